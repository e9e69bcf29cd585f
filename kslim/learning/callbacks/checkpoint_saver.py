"""CheckpointSaver: slim's time-based checkpoints (at start, every N secs, at end)."""

from __future__ import annotations

import errno
import logging
import os
import time

import numpy as np

from kslim.checkpoints import CheckpointManager, checkpoint_step, restore_variables
from kslim.learning.callbacks._common import (
    StatefulCallback,
    build_optimizer,
    checkpoint_variables,
    global_step,
)
from kslim.learning.callbacks.chunk_events import ChunkEventsCallback, Phase
from kslim.tensor_types import Logs

_log = logging.getLogger("kslim")


class CheckpointSaver(ChunkEventsCallback):
    """Writes ``logdir/model.ckpt-<global step>`` with slim variable names.

    At the start of training it heals ``logdir`` (``CheckpointManager.recover``:
    leftovers of interrupted saves removed, the newest checkpoint verified, a
    damaged one moved aside, a damaged state file rebuilt) and restores the
    newest intact checkpoint (weights, optimizer state, global step and the
    state of the sibling callbacks given in ``stateful_callbacks``) if there is
    one; it saves ``model.ckpt-<start step>`` unless that is the checkpoint it
    restored; afterwards every ``save_interval_secs`` (checked between chunks)
    and at the end. The last ``max_to_keep`` are kept on disk.

    Args:
      logdir: the directory (created if missing; must be writable).
      save_interval_secs: seconds between saves, default 600; 0/None saves
        only at start and end.
      max_to_keep: recent checkpoints kept, default 5.
      keep_checkpoint_every_n_hours: also keep one per this many hours.
      restore: resume from the latest checkpoint of ``logdir``, default True.
      stateful_callbacks: ``StatefulCallback`` callbacks whose declared state
        travels in the checkpoint (``kslim/<state_key>/<name>``).
      is_chief: only the chief writes.
      manager: the ``kslim.checkpoints.CheckpointManager`` to save with
        (default: one for ``logdir`` with ``max_to_keep`` and
        ``keep_checkpoint_every_n_hours``, which are then ignored).

    Raises:
      ValueError: for a negative interval.
      PermissionError: if ``logdir`` is not writable (at construction).
    """

    phase = Phase.CHECKPOINT

    def __init__(
        self,
        logdir: str,
        save_interval_secs: float | None = 600,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        restore: bool = True,
        stateful_callbacks: tuple[StatefulCallback, ...] | list[StatefulCallback] = (),
        is_chief: bool = True,
        *,
        manager: CheckpointManager | None = None,
    ) -> None:
        super().__init__()
        if save_interval_secs is not None and save_interval_secs < 0:
            raise ValueError(f"save_interval_secs must be >= 0, got {save_interval_secs!r}")
        check_writable(logdir, "logdir")
        self.logdir = logdir
        self.save_interval_secs = save_interval_secs or 0
        self.restore = restore
        self.is_chief = is_chief
        self.stateful_callbacks = list(stateful_callbacks)
        self.manager = (
            manager
            if manager is not None
            else CheckpointManager(logdir, max_to_keep, keep_checkpoint_every_n_hours)
        )
        self._last_save = None
        self.restored_from = None

    def seconds_until_event(self, now: float) -> float | None:
        """Seconds to the next time-based save (None: no interval, or not started)."""
        if not self.save_interval_secs or self._last_save is None:
            return None
        return self._last_save + self.save_interval_secs - now

    def _variables(self):
        variables = checkpoint_variables(self.model)
        for cb in self.stateful_callbacks:
            for key, value in cb.get_state().items():
                variables[f"kslim/{cb.state_key}/{key}"] = np.asarray(value, np.float64)
        return variables

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Restores the newest intact checkpoint (``restore``); saves this step if it has none."""
        build_optimizer(self.model)
        recover = getattr(self.manager, "recover", None)
        latest = recover() if self.is_chief and callable(recover) else self.manager.latest
        if self.restore and latest is not None:
            restore_variables(latest, checkpoint_variables(self.model))
            self._restore_callback_state(latest)
            self.restored_from = latest
            _log.info("Restored %s at global step %d", latest, global_step(self.model))
        if latest is not None and checkpoint_step(latest) == global_step(self.model):
            # The checkpoint just restored is this step's: rewriting it would only
            # need disk space (and fail on a still-full disk before the first step).
            self._last_save = time.time()
        else:
            self.save()

    def _restore_callback_state(self, path: str) -> None:
        import tensorflow as tf

        reader = tf.train.load_checkpoint(path)
        names = reader.get_variable_to_shape_map()
        for cb in self.stateful_callbacks:
            prefix = f"kslim/{cb.state_key}/"
            state = {
                n[len(prefix) :]: float(reader.get_tensor(n)) for n in names if n.startswith(prefix)
            }
            if state:
                cb.set_state(state)

    def save(self) -> str | None:
        """Saves now (chief only); returns the checkpoint prefix."""
        self._last_save = time.time()
        if not self.is_chief:
            return None
        step = global_step(self.model)
        _log.info("Saving checkpoint to path %s", os.path.join(self.logdir, "model.ckpt"))
        return self.manager.save(self._variables(), step)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Saves when ``save_interval_secs`` have passed since the last save."""
        remaining = self.seconds_until_event(time.time())
        if remaining is not None and remaining <= 0:
            self.save()

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Saves the final step unless it is already the newest checkpoint."""
        if self.manager.latest != os.path.join(
            self.logdir, f"model.ckpt-{global_step(self.model)}"
        ):
            _log.info("Finished training! Saving model to disk.")
            self.save()


def check_writable(logdir: str, argname: str) -> None:
    """Creates ``logdir`` if needed and checks it is writable.

    Raises:
      PermissionError / NotADirectoryError: naming the argument and path.
    """
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise NotADirectoryError(f"{argname}={logdir!r} is not a directory")
    try:
        os.makedirs(logdir, exist_ok=True)
    except OSError as e:
        raise PermissionError(f"{argname}={logdir!r} cannot be created: {e}") from None
    if not os.path.isdir(logdir):
        raise NotADirectoryError(f"{argname}={logdir!r} is not a directory")
    probe = os.path.join(logdir, f".kslim-write-test-{os.getpid()}")
    try:
        with open(probe, "w"):
            pass
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            # Writable but full: a resumed run can still train; a save that does
            # not fit raises CheckpointSaveError naming the bytes needed.
            _log.warning("%s=%r: no space left on the device", argname, logdir)
            return
        raise PermissionError(f"{argname}={logdir!r} is not writable: {e}") from None
    try:
        os.remove(probe)
    except OSError:
        pass
