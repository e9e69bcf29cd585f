"""CheckpointManager retention: max_to_keep and keep_checkpoint_every_n_hours (fake clock)."""

from __future__ import annotations

import os

import numpy as np

from kslim.checkpoints import CheckpointManager


class _Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _on_disk(logdir: str) -> list[int]:
    return sorted(
        int(name[len("model.ckpt-") : -len(".index")])
        for name in os.listdir(logdir)
        if name.startswith("model.ckpt-") and name.endswith(".index")
    )


def _save_every(manager: CheckpointManager, clock: _Clock, steps, seconds: float) -> None:
    for step in steps:
        manager.save({"w": np.float32(step)}, step)
        clock.now += seconds


def test_keep_every_n_hours_keeps_the_checkpoints_saved_an_interval_apart(tmp_path):
    clock = _Clock()
    manager = CheckpointManager(str(tmp_path), 2, keep_checkpoint_every_n_hours=1.0, clock=clock)
    # One save every 20 minutes, 10 saves: saved at 0, 20, 40, ... 180 minutes.
    _save_every(manager, clock, range(10), 1200.0)
    # Window: the last two (8, 9). Preserved: the first saved >= 60 min after the
    # manager was made (step 3), then >= 60 min after that threshold (6).
    assert _on_disk(str(tmp_path)) == [3, 6, 8, 9]


def test_keep_every_n_hours_is_judged_by_save_time_not_pruning_time(tmp_path):
    clock = _Clock()
    manager = CheckpointManager(str(tmp_path), 1, keep_checkpoint_every_n_hours=1.0, clock=clock)
    _save_every(manager, clock, [1, 2], 60.0)
    # A long pause before the next save: pruning now happens 2 hours later, but the
    # checkpoint leaving the window (step 2) was saved 1 minute after the start.
    clock.now += 7200.0
    _save_every(manager, clock, [3], 60.0)
    assert _on_disk(str(tmp_path)) == [3]


def test_default_retention_keeps_only_max_to_keep_even_after_many_hours(tmp_path):
    clock = _Clock()
    manager = CheckpointManager(str(tmp_path), 3, clock=clock)
    _save_every(manager, clock, range(6), 3600.0 * 100)
    assert _on_disk(str(tmp_path)) == [3, 4, 5]
