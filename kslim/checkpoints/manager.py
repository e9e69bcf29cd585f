"""``CheckpointManager``: saves, retention, the state file, and healing a logdir."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow as tf

from kslim.checkpoints.files import (
    CheckpointSaveError,
    data_files,
    first_line,
    is_no_space,
    save_variables,
)
from kslim.checkpoints.logdir import (
    checkpoint_step,
    complete_on_disk,
    files_on_disk,
    forget_verified,
    latest_checkpoint,
    mark_verified,
    quarantine,
    read_state,
    verified_problem,
)

_log = logging.getLogger("kslim")

#: Keeping a checkpoint every this many hours or more means never (TF1's default).
_NEVER_PRESERVE_HOURS = 10000.0


class CheckpointManager:
    """Writes ``<logdir>/model.ckpt-<step>`` and keeps the state file and retention.

    ``max_to_keep`` holds on disk: before a save that would exceed it, the
    oldest checkpoint is removed (never the latest one), and ``recover``
    applies it to checkpoints the state file does not list.

    Args:
      logdir: the directory.
      max_to_keep: how many recent checkpoints to keep (default 5; None/0
        keeps all).
      keep_checkpoint_every_n_hours: additionally keep one checkpoint per this
        many hours (default 10000, i.e. never, as TF1's Saver): a checkpoint
        leaving the ``max_to_keep`` window stays on disk when its own save
        time is at least this long after the manager was made or after the
        last one kept this way (TF1 Saver's rule).
      basename: file prefix, default ``model.ckpt``.
      clock: the time source, ``time.time`` by default (a fake one in tests).

    Raises:
      ValueError: a bad ``max_to_keep`` or ``keep_checkpoint_every_n_hours``
        (naming it and the value).
    """

    def __init__(
        self,
        logdir: str,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        basename: str = "model.ckpt",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_to_keep is not None and (
            isinstance(max_to_keep, bool) or not isinstance(max_to_keep, int) or max_to_keep < 0
        ):
            raise ValueError(f"max_to_keep must be a non-negative int or None, got {max_to_keep!r}")
        if (
            isinstance(keep_checkpoint_every_n_hours, bool)
            or not isinstance(keep_checkpoint_every_n_hours, (int, float))
            or keep_checkpoint_every_n_hours <= 0
        ):
            raise ValueError(
                "keep_checkpoint_every_n_hours must be a positive number, got "
                f"{keep_checkpoint_every_n_hours!r}"
            )
        self.logdir = logdir
        self.max_to_keep = max_to_keep
        self.keep_every_secs = keep_checkpoint_every_n_hours * 3600.0
        self._preserving = keep_checkpoint_every_n_hours < _NEVER_PRESERVE_HOURS
        self.basename = basename
        self._clock = clock
        # TF1 Saver's ``_next_checkpoint_time``: the save time from which the next
        # checkpoint leaving the window is preserved.
        self._next_preserved = clock() + self.keep_every_secs
        # Each checkpoint's own save time (this manager's saves; older ones: the
        # index file's modification time).
        self._saved_at: dict[str, float] = {}
        self._kept: list[str] = []
        paths, _ = read_state(logdir) if os.path.isdir(logdir) else ([], None)
        for full in paths[1:]:
            if full not in self._kept and tf.io.gfile.exists(full + ".index"):
                self._kept.append(full)

    @property
    def latest(self) -> str | None:
        """The latest checkpoint prefix or None."""
        return latest_checkpoint(self.logdir)

    def recover(self) -> str | None:
        """Heals ``logdir`` and returns its newest intact checkpoint (None: none).

        - Removes leftovers of interrupted saves (``.tmp-ckpt-*`` folders,
          temporary state files).
        - Verifies checkpoints from the newest down (``checkpoint_problem``);
          a damaged one is moved aside (``quarantine``) with a warning naming
          the file and the reason, and the next older one is tried.
        - Rebuilds a damaged or empty ``checkpoint`` state file from the
          ``<basename>-<step>.index`` files present (with a warning); adopts
          complete checkpoints the state file does not list, and removes the
          oldest beyond ``max_to_keep`` (with ``keep_checkpoint_every_n_hours``
          set, unlisted checkpoints older than the listed ones are preserved
          ones and stay).

        Returns:
          The prefix to resume from, or None for a fresh start.
        """
        if not os.path.isdir(self.logdir):
            return None
        self._remove_leftovers()
        paths, state_problem = read_state(self.logdir)
        if state_problem is not None:
            _log.warning(
                "Checkpoint state file damaged (%s); rebuilding it from the checkpoints in %s",
                state_problem,
                self.logdir,
            )
        files = files_on_disk(self.logdir, self.basename)
        for step in sorted(files):
            prefix = os.path.join(self.logdir, f"{self.basename}-{step}")
            if not files[step]["index"]:
                self._set_aside(prefix, f"{prefix}.index is missing")
            elif not files[step]["data"]:
                self._set_aside(prefix, f"{prefix}.data-00000-of-00001 is missing")
        candidates = complete_on_disk(self.logdir, self.basename)
        latest = None
        while candidates:
            step, prefix = candidates[-1]
            problem = verified_problem(prefix)
            if problem is None:
                latest = prefix
                break
            candidates.pop()
            self._set_aside(prefix, problem)
        listed = set(paths[1:])
        kept = [p for _, p in candidates]
        existing = [checkpoint_step(p) or 0 for p in listed if os.path.exists(p + ".index")]
        if self._preserving and existing:
            # Unlisted checkpoints older than every listed one were preserved by
            # keep_checkpoint_every_n_hours: they stay on disk, untracked.
            kept = [p for p in kept if p in listed or (checkpoint_step(p) or 0) > min(existing)]
        removed = []
        if self.max_to_keep and len(kept) > self.max_to_keep:
            removed = kept[: len(kept) - self.max_to_keep]
            kept = kept[len(kept) - self.max_to_keep :]
        self._kept = kept
        unchanged = (
            state_problem is None
            and paths
            and latest is not None
            and paths[0] == latest
            and paths[1:] == kept
        )
        if latest is not None and not unchanged:
            self._write_state(latest)
        elif latest is None and (paths or state_problem is not None):
            self._set_state_aside()
        for old in removed:
            _log.info("Removing checkpoint %s (beyond max_to_keep=%s)", old, self.max_to_keep)
            self._remove(old)
        return latest

    def _set_aside(self, prefix: str, reason: str) -> None:
        dest = quarantine(prefix, reason)
        _log.warning("Checkpoint %s is damaged (%s); moved it to %s", prefix, reason, dest)

    def _set_state_aside(self) -> None:
        path = os.path.join(self.logdir, "checkpoint")
        if os.path.exists(path):
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            os.replace(path, f"{path}.corrupt-{stamp}")

    def _remove_leftovers(self) -> None:
        for name in os.listdir(self.logdir):
            path = os.path.join(self.logdir, name)
            if name.startswith(".tmp-ckpt-") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif name.startswith(".checkpoint.tmp-") and os.path.isfile(path):
                os.remove(path)

    def _remove(self, prefix: str) -> None:
        for path in [prefix + ".index", *data_files(prefix)]:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        forget_verified(prefix)
        self._saved_at.pop(prefix, None)

    def _retire(self, count: int) -> list[str]:
        """Pops the ``count`` oldest kept checkpoints; returns those to delete."""
        removed = []
        for _ in range(max(0, count)):
            oldest = self._kept.pop(0)
            if self._save_time(oldest) >= self._next_preserved:
                self._next_preserved += self.keep_every_secs
                continue
            removed.append(oldest)
        return removed

    def _save_time(self, prefix: str) -> float:
        """When ``prefix`` was saved: recorded by ``save``, else its index file's mtime."""
        if prefix in self._saved_at:
            return self._saved_at[prefix]
        try:
            return os.path.getmtime(prefix + ".index")
        except OSError:
            return float("-inf")

    def save(self, variables: Mapping[str, Any], step: int) -> str:
        """Writes checkpoint ``model.ckpt-<step>``, updates the state, prunes old ones.

        Before writing, the oldest checkpoints are removed so that at most
        ``max_to_keep`` are on disk after the save (the latest one always
        stays until the new one is complete).

        Returns:
          The checkpoint prefix.

        Raises:
          CheckpointSaveError: no space left; the state file still names the
            last complete checkpoint.
        """
        prefix = os.path.join(self.logdir, f"{self.basename}-{int(step)}")
        if prefix in self._kept:
            self._kept.remove(prefix)
        if self.max_to_keep:
            # Room for the new one; the newest existing one stays until it is complete.
            excess = min(len(self._kept) + 1 - self.max_to_keep, len(self._kept) - 1)
            early = self._retire(excess)
            if early:
                latest = self.latest
                if latest is not None and latest not in early:
                    self._write_state(latest)
                for old in early:
                    self._remove(old)
        save_variables(prefix, variables)
        self._saved_at[prefix] = self._clock()
        self._kept.append(prefix)
        removed = self._retire(len(self._kept) - self.max_to_keep) if self.max_to_keep else []
        self._write_state(prefix)
        for old in removed:
            self._remove(old)
        mark_verified(prefix)
        return prefix

    def _write_state(self, latest: str) -> None:
        kept = [p for p in self._kept if p != latest] + [latest]
        rel = [os.path.relpath(p, self.logdir) for p in kept]
        lines = [f'model_checkpoint_path: "{os.path.relpath(latest, self.logdir)}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in rel]
        tmp = os.path.join(self.logdir, f".checkpoint.tmp-{uuid.uuid4().hex}")
        try:
            with open(tmp, "w") as f:
                f.write("\n".join(lines) + "\n")
            os.replace(tmp, os.path.join(self.logdir, "checkpoint"))
        except OSError as e:
            try:
                os.remove(tmp)
            except OSError:
                pass
            if is_no_space(e):
                raise CheckpointSaveError(
                    errno.ENOSPC,
                    f"cannot update the checkpoint state file in logdir {self.logdir!r}: no "
                    f"space left on the device ({first_line(e)})",
                ) from None
            raise
