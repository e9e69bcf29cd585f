"""StepLogger: slim's ``global step %d: loss = %.4f (%.3f sec/step)`` lines."""

from __future__ import annotations

import logging
import time

import keras

from kslim.learning.callbacks._common import global_step, step_losses
from kslim.learning.callbacks.chunk_events import Phase
from kslim.tensor_types import Logs

_log = logging.getLogger("kslim")


class StepLogger(keras.callbacks.Callback):
    """Logs every ``log_every_n_steps``-th step through the ``kslim`` logger (INFO).

    After the step that brings the global step to k with k % n == 0 the line
    reads ``global step k: loss = <that step's loss> (<sec/step>)``. With a
    kslim TrainOp each chunk returns every step's loss, so lines are exact
    without a host round trip per step; sec/step is the chunk's average.

    Args:
      log_every_n_steps: positive int, default 1.

    Raises:
      ValueError: if ``log_every_n_steps`` is not a positive int.
    """

    phase = Phase.LOG

    def __init__(self, log_every_n_steps: int = 1) -> None:
        super().__init__()
        if (
            isinstance(log_every_n_steps, bool)
            or not isinstance(log_every_n_steps, int)
            or log_every_n_steps <= 0
        ):
            raise ValueError(f"log_every_n_steps must be a positive int, got {log_every_n_steps!r}")
        self.log_every_n_steps = log_every_n_steps
        self._t0 = None

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Notes the chunk's start time."""
        self._t0 = time.time()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Logs the chunk's steps that are multiples of ``log_every_n_steps``."""
        losses = step_losses(logs)
        if losses is None or not len(losses):
            return
        end = global_step(self.model)
        elapsed = time.time() - (self._t0 or time.time())
        per_step = elapsed / len(losses)
        first = end - len(losses) + 1
        n = self.log_every_n_steps
        for k in range(first + (-first) % n, end + 1, n):
            _log.info("global step %d: loss = %.4f (%.3f sec/step)", k, losses[k - first], per_step)
