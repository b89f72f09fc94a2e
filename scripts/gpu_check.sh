#!/usr/bin/env bash
# One prepared GPU check for the device machine (docs/GPU.md): install the carried wheels, show
# the GPU, run the backend-neutral tests under JAX, then scripts/gpu_bench.py.
#
#   bash scripts/fetch_wheels.sh                 # here, once: wheels/ for the device
#   bash scripts/gpu_check.sh                    # there, from the repo root, with wheels carried
#   . .venv/bin/activate && bash scripts/gpu_check.sh --device cpu --quick    # CPU dry run
#
# Budget: the whole script stays under GPU_CHECK_SECONDS (default 285 s, under 5 minutes on an
# H100); the tests get at most TEST_SECONDS (default 100 s; 0 skips them), the benchmark what is
# left; BENCH_ARGS adds arguments to gpu_bench.py (a rerun: --sections video,loss --shapes 1920x1080x1).
# QUALITY_SECONDS > 0 then runs scripts/gpu_quality.py (issue 5's iteration counts) for that long,
# outside the 5-minute budget of the check itself; QUALITY_ARGS adds arguments to it.
# CACHE_SECONDS > 0 then times the CLI's compile cache (scripts/compile_cache_check.py, CACHE_ARGS;
# default --size 512 --rounds 1), also outside the 5 minutes.
# When $OUT is set, gpu_table.md, gpu_bench.json and gpu_check.log are written there.
set -uo pipefail
cd "$(dirname "$0")/.."

DEVICE=gpu
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=${2:?--device needs cpu, gpu or auto}; shift 2 ;;
    --device=*) DEVICE=${1#--device=}; shift ;;
    --quick) QUICK=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown argument $1 (expected --device cpu|gpu|auto, --quick)" >&2; exit 2 ;;
  esac
done
case "$DEVICE" in cpu|gpu|auto) ;; *) echo "gpu_check: --device: expected cpu, gpu or auto" >&2; exit 2 ;; esac

START=$SECONDS
if [ "$QUICK" = 1 ]; then DEFAULT_TOTAL=1500; DEFAULT_TESTS=600; else DEFAULT_TOTAL=285; DEFAULT_TESTS=100; fi
TOTAL=${GPU_CHECK_SECONDS:-$DEFAULT_TOTAL}
TEST_SECONDS=${TEST_SECONDS:-$DEFAULT_TESTS}
left() { echo $((TOTAL - (SECONDS - START))); }

if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  exec > >(tee -a "$OUT/gpu_check.log") 2>&1
fi
say() { printf '\n=== %s (%d s)\n' "$*" $((SECONDS - START)); }

export KERAS_BACKEND=jax
export XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONUNBUFFERED=1
export TF_CPP_MIN_LOG_LEVEL=2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # vidstyle from this tree, not installed there
# Compiled steps are cached on disk (git-ignored): each row compiles its own shapes, 10-20 s on an
# H200, and the device keeps ignored folders between calls while it stays warm, so a rerun skips them.
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$PWD/.jax_cache}
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=${JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS:-0.5}
if [ "$DEVICE" = cpu ]; then
  export JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES=-1
fi
PY=${PYTHON:-python3}

# --- 1. packages: keras, namex, optree, imageio-ffmpeg from wheels/ (no network there) ----------
say "packages"
if "$PY" -c "import keras, namex, optree, imageio_ffmpeg" 2>/dev/null; then
  echo "already importable, nothing installed"
else
  if ! ls wheels/*.whl >/dev/null 2>&1; then
    echo "gpu_check: keras & co. are missing and there is no wheels/: run 'bash scripts/fetch_wheels.sh'" \
         "here first and carry [\"wheels\"]" >&2
    exit 3
  fi
  PIP_FLAGS=(--quiet --disable-pip-version-check --no-index --find-links wheels --no-compile --no-cache-dir)
  if ! "$PY" -m pip install "${PIP_FLAGS[@]}" wheels/*.whl; then
    echo "installing into $("$PY" -c 'import sys; print(sys.prefix)') refused: using a venv with its packages"
    "$PY" -m venv --system-site-packages /tmp/vidstyle-venv || exit 3
    PY=/tmp/vidstyle-venv/bin/python
    "$PY" -m pip install "${PIP_FLAGS[@]}" wheels/*.whl || exit 3
  fi
fi
"$PY" - <<'EOF' || exit 3
import importlib.metadata as m, sys
names = ["keras", "namex", "optree", "imageio-ffmpeg", "jax", "jaxlib", "numpy", "scipy", "h5py", "ml-dtypes",
         "opencv-python-headless", "imageio", "pytest"]
def version(n):
    try:
        return m.version(n)
    except m.PackageNotFoundError:
        return "missing"
print(f"Python {sys.version.split()[0]} ({sys.executable}); " + ", ".join(f"{n} {version(n)}" for n in names))
import imageio_ffmpeg, keras
print("ffmpeg:", imageio_ffmpeg.get_ffmpeg_exe(), "| keras backend:", keras.backend.backend())
EOF

# --- 2. the device --------------------------------------------------------------------------
say "device"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L
else
  echo "nvidia-smi: not found"
fi
"$PY" -c "import jax; print('jax.devices():', jax.devices()); print('default backend:', jax.default_backend())"
echo "compilation cache: $JAX_COMPILATION_CACHE_DIR, $(find "$JAX_COMPILATION_CACHE_DIR" -type f 2>/dev/null | wc -l) files from earlier calls"
if [ "$DEVICE" = gpu ] && ! "$PY" -c "import jax, sys; sys.exit(jax.default_backend() != 'gpu')"; then
  echo "gpu_check: --device gpu but JAX sees no GPU: stopping here" >&2
  exit 4
fi

# --- 3. tests: the backend-neutral core under JAX ------------------------------------------------
if [ "$QUICK" = 1 ]; then
  TESTS=(tests/test_losses.py tests/test_flow.py)
else
  TESTS=(tests/test_losses.py tests/test_api.py tests/test_flow.py tests/test_pipeline.py)
fi
PYTEST=(-m pytest -q -p no:cacheprovider --durations=8)
if [ "$DEVICE" != cpu ] && "$PY" -c "import xdist" 2>/dev/null; then
  PYTEST+=(-n "${TEST_WORKERS:-4}")  # compilation dominates: several processes share the GPU
fi
budget=$(( TEST_SECONDS < $(left) - 60 ? TEST_SECONDS : $(left) - 60 ))
if [ "$TEST_SECONDS" -le 0 ]; then
  say "tests: skipped (TEST_SECONDS=0)"
  TEST_RC=0
else
  say "tests: ${TESTS[*]} (at most $budget s)"
  # The tests check values, not speed: skipping XLA's per-shape search of convolution algorithms
  # shortens each compile (TEST_XLA_FLAGS= keeps the search).
  XLA_FLAGS="${XLA_FLAGS:-} ${TEST_XLA_FLAGS---xla_gpu_autotune_level=0}" \
    timeout --kill-after=5 "$budget" "$PY" "${PYTEST[@]}" "${TESTS[@]}" 2>&1 | tee /tmp/vidstyle-tests.log
  TEST_RC=${PIPESTATUS[0]}
fi
case $TEST_RC in
  0) [ "$TEST_SECONDS" -gt 0 ] && echo "tests: passed" ;;
  124|137) echo "tests: stopped at the $budget s limit (the ones shown above ran)" ;;
  *) echo "tests: FAILED (exit $TEST_RC)"
     # A tolerance broken by TF32 passes again at true float32: rerun the failures so.
     mapfile -t FAILED < <(sed -n 's/^FAILED \([^ ]*\).*/\1/p' /tmp/vidstyle-tests.log)
     rerun=$(( 60 < $(left) - 150 ? 60 : $(left) - 150 ))
     if [ "${#FAILED[@]}" -gt 0 ] && [ "$DEVICE" != cpu ] && [ "$rerun" -gt 10 ]; then
       say "rerun of the failures at JAX_DEFAULT_MATMUL_PRECISION=highest (at most $rerun s)"
       JAX_DEFAULT_MATMUL_PRECISION=highest timeout --kill-after=5 "$rerun" \
         "$PY" -m pytest -q -p no:cacheprovider "${FAILED[@]}" 2>&1
       echo "rerun at float32 'highest': exit $?"
     fi ;;
esac

# --- 4. benchmark ---------------------------------------------------------------------------
remaining=$(left)
[ "$remaining" -lt 60 ] && remaining=60  # at least the device line and the reference products
BENCH=(scripts/gpu_bench.py --device "$DEVICE" --budget $((remaining - 45)))
[ "$QUICK" = 1 ] && BENCH+=(--quick)
[ -n "${OUT:-}" ] && BENCH+=(--out "$OUT")
read -r -a EXTRA <<< "${BENCH_ARGS:-}"
BENCH+=("${EXTRA[@]}")
say "benchmark (new rows start during its first $((remaining - 45)) s; stopped at $((remaining - 5)) s)"
timeout --kill-after=5 $((remaining - 5)) "$PY" "${BENCH[@]}"
BENCH_RC=$?
[ "$BENCH_RC" = 124 ] && echo "benchmark: stopped at its time limit (rows done so far are in \$OUT/gpu_table.md)"

# --- 5. optional: iterations to quality (not part of the 5-minute check) ---------------------
QUALITY_RC=0
QUALITY_SECONDS=${QUALITY_SECONDS:-0}
if [ "$QUALITY_SECONDS" -gt 0 ]; then
  say "quality measurements (rows start during $QUALITY_SECONDS s; stopped at $((QUALITY_SECONDS + 60)) s)"
  QUALITY=(scripts/gpu_quality.py --device "$DEVICE" --budget "$QUALITY_SECONDS")
  [ "$QUICK" = 1 ] && QUALITY+=(--quick)
  [ -n "${OUT:-}" ] && QUALITY+=(--out "$OUT")
  read -r -a QEXTRA <<< "${QUALITY_ARGS:-}"
  timeout --kill-after=5 $((QUALITY_SECONDS + 60)) "$PY" "${QUALITY[@]}" "${QEXTRA[@]}"
  QUALITY_RC=$?
fi

# --- 6. optional: the CLI's compile cache, off / cold / warm in fresh processes -------------------
CACHE_RC=0
CACHE_SECONDS=${CACHE_SECONDS:-0}
if [ "$CACHE_SECONDS" -gt 0 ]; then
  say "compile cache (at most $CACHE_SECONDS s)"
  read -r -a CEXTRA <<< "${CACHE_ARGS:---size 512 --rounds 1}"
  timeout --kill-after=5 "$CACHE_SECONDS" "$PY" scripts/compile_cache_check.py "${CEXTRA[@]}"
  CACHE_RC=$?
fi

say "done: tests exit $TEST_RC, benchmark exit $BENCH_RC, quality exit $QUALITY_RC, cache exit $CACHE_RC"
[ "$TEST_RC" = 0 ] && [ "$BENCH_RC" = 0 ] && [ "$QUALITY_RC" = 0 ] && [ "$CACHE_RC" = 0 ]
