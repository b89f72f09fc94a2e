"""The work folder's resume check names what changed, as the user would type it."""

from __future__ import annotations

import numpy as np
import pytest

from vidstyle.errors import UsageError
from vidstyle.workdir import ENTRIES, WorkDir, changes

SETTINGS = {"input": "/a.mp4", "size": [64, 48], "style_options": {"style_weight": 0.01, "tv_weight": 8e4},
            "video_options": {"long_term": [1], "frame_lr": 2.0}}


def test_changes_name_options_with_old_and_new_values():
    new = SETTINGS | {"size": [96, 72], "style_options": {"style_weight": 0.5, "tv_weight": 8e4},
                      "video_options": {"long_term": [1, 2], "frame_lr": 2.0}}
    assert changes(SETTINGS, new) == ["--long-term 1 -> 1,2", "--style-weight 0.01 -> 0.5", "the working size"]
    assert changes(SETTINGS, SETTINGS) == []


def test_resume_with_other_settings_is_refused_unless_restarted(tmp_path):
    work = WorkDir(tmp_path / "work")
    work.lock()  # makes the folder, as a run does
    work.prepare(SETTINGS, restart=False)
    other = SETTINGS | {"style_options": {"style_weight": 1.0, "tv_weight": 8e4}}
    # No frame finished (a run that failed at its first frame, say): nothing to lose, no refusal.
    assert work.prepare(other, restart=False)["settings"] == other
    work.save(0, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(UsageError, match=r"--style-weight 1.0 -> 0.01.*--restart"):
        work.prepare(SETTINGS, restart=False)
    assert work.prepare(SETTINGS, restart=True)["settings"] == SETTINGS
    assert work.finished() == 0
    work.save(0, np.zeros((4, 4, 3), np.uint8))
    work.prepare(SETTINGS, restart=True)  # the same settings: --restart still discards the frames
    assert work.finished() == 0
    work.unlock()


def test_report_entries_of_an_interrupted_run_keep_only_whole_finished_frames(tmp_path):
    work = WorkDir(tmp_path)
    for k in range(3):
        work.append_entry({"index": k, "seconds": 1.0})
    with open(tmp_path / ENTRIES, "a") as fh:  # what hand edits and a crash could leave
        fh.write('[1, 2]\n"text"\n{"index": "1"}\n{"index": 1, "sec')
    assert [e["index"] for e in work.load_entries(2)] == [0, 1]  # frame 2 is not finished: redone
    assert [e["index"] for e in work.load_entries(3)] == [0, 1]  # and its entry is gone for good
    assert WorkDir(tmp_path / "empty").load_entries(5) == []
