#!/usr/bin/env bash
# Download into wheels/ (git-ignored) the Python packages the GPU device machine lacks, so that
# scripts/gpu_check.sh can install them there with no network (docs/GPU.md).
#
# The device runs CPython 3.12 on manylinux x86_64 with JAX (CUDA), numpy, scipy, h5py,
# ml-dtypes, absl-py, rich, packaging, opencv-python-headless, imageio... but not keras or the
# two keras dependencies namex and optree, nor imageio-ffmpeg (vidstyle's video I/O). keras is
# pinned to the version installed here, so both machines run the same code.
#
# Usage: bash scripts/fetch_wheels.sh        (from anywhere; writes <repo>/wheels/)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi

# Same keras as here (KERAS_VERSION overrides). imageio-ffmpeg is pinned below the newest: from
# 0.8.0 on its wheel bundles a 68 MB ffmpeg, over the 64 MiB the device tool carries per call;
# 0.7.0 (ffmpeg 7.0.2, 29.5 MB) is within vidstyle's own requirement (>=0.4.9). namex and
# optree: the newest with a cp312 manylinux wheel.
KERAS_VERSION=${KERAS_VERSION:-$("$PY" -c 'import importlib.metadata as m; print(m.version("keras"))')}
IMAGEIO_FFMPEG_VERSION=${IMAGEIO_FFMPEG_VERSION:-0.7.0}
PACKAGES=("keras==$KERAS_VERSION" namex optree "imageio-ffmpeg==$IMAGEIO_FFMPEG_VERSION")

rm -rf wheels
mkdir -p wheels
"$PY" -m pip download --quiet --disable-pip-version-check --no-cache-dir --dest wheels --no-deps --only-binary=:all: \
  --python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_27_x86_64 --platform manylinux1_x86_64 --platform any \
  "${PACKAGES[@]}"

# Every wheel's own requirements (extras aside) must be on the device already or among the
# wheels: the device's package list (.library/device/KINDS.md) has these, versions unchecked.
ON_DEVICE="absl-py numpy rich h5py ml-dtypes packaging typing-extensions"
FETCHED="keras namex optree imageio-ffmpeg"
missing=""
for wheel in wheels/*.whl; do
  for req in $(unzip -p "$wheel" '*/METADATA' | sed -n 's/^Requires-Dist: *//p' | grep -v 'extra *==' \
               | sed 's/[ ;<>=!~(\[].*//' | tr 'A-Z_.' 'a-z--' | sort -u); do
    case " $ON_DEVICE $FETCHED " in *" $req "*) ;; *) missing="$missing $req(${wheel#wheels/})" ;; esac
  done
done
if [ -n "$missing" ]; then
  echo "fetch_wheels: requirements the device may lack:$missing" >&2
  echo "fetch_wheels: add them to PACKAGES and FETCHED in $0" >&2
  exit 1
fi

ls -l wheels
total=$(du -cb wheels/*.whl | tail -1 | cut -f1)
echo "wheels: $(ls wheels/*.whl | wc -l) files, $((total / 1024 / 1024)) MiB ($total bytes)"
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
  echo "fetch_wheels: over 60 MiB: the device tool carries at most 64 MiB per call" >&2
  exit 1
fi
