"""SummarySaver: TensorBoard summaries every N seconds, slim's tags."""

from __future__ import annotations

import logging
import time

import keras
import numpy as np
import tensorflow as tf

from kslim.learning.callbacks._common import StatefulCallback, global_step, step_losses
from kslim.learning.callbacks.chunk_events import ChunkEventsCallback, Phase
from kslim.tensor_types import Logs, TensorLike

_log = logging.getLogger("kslim")


class SummarySaver(ChunkEventsCallback, StatefulCallback):
    """Writes the training summaries to ``logdir`` every ``save_summaries_secs``.

    ``total_loss``, ``losses/<name>``, ``learning_rate``, ``global_step/sec`` and the
    graph's summaries, at the start, then time-based between chunks.

    Under ``ChunkPlanner`` the decision is the plan's (``ChunkPlan.summaries``,
    made from the planner's one clock reading): the due step runs alone and
    returns the requested summaries (``kslim.summaries``, gradient summaries),
    written with the scalars at the global step the step started from. In a
    plain ``fit`` the callback decides at each batch and writes the logged
    scalars at the end of the execution.

    Args:
      logdir: the event-file directory.
      save_summaries_secs: seconds between writes, default 600.
      summary_writer: an existing ``tf.summary`` writer (default: one for logdir).
      is_chief: only the chief writes.
    """

    phase = Phase.STATE
    state_key = "summary_saver"
    state_defaults = {"last_time": None}

    def __init__(
        self,
        logdir: str,
        save_summaries_secs: float = 600,
        summary_writer: tf.summary.SummaryWriter | None = None,
        is_chief: bool = True,
    ) -> None:
        super().__init__()
        if save_summaries_secs is None or save_summaries_secs < 0:
            raise ValueError(f"save_summaries_secs must be >= 0, got {save_summaries_secs!r}")
        self.logdir = logdir
        self.save_summaries_secs = save_summaries_secs
        self.is_chief = is_chief
        self.writer = summary_writer
        self.reset_state()
        self._last_step = None
        self._rate_written = 0
        self._owns_writer = False
        self._due_from: int | None = None

    def seconds_until_event(self, now: float) -> float | None:
        """Seconds to the next write (0 before the first; None: never again)."""
        if self.last_time is None:
            return 0.0
        if not self.save_summaries_secs:
            return None
        return self.last_time + self.save_summaries_secs - now

    def wants_summary(self, step: int, now: float) -> bool:
        """Whether a write is due at ``now`` (chief only)."""
        del step
        remaining = self.seconds_until_event(now)
        return self.is_chief and remaining is not None and remaining <= 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Opens the summary writer (chief only) and resets the callback's state."""
        if self.writer is None and self.is_chief:
            self.writer = tf.summary.create_file_writer(self.logdir)
            self._owns_writer = True
        self.begin_state()
        self._last_step = None

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """In a plain ``fit`` (no planner): decides whether this step's summaries are due."""
        if self.chunk_plan is None:  # a plain fit: this callback decides
            step = global_step(self.model)
            self._due_from = step if self.wants_summary(step, time.time()) else None

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Writes the summaries of a chunk that computed them (chief only)."""
        plan = self.take_chunk_plan()
        if plan is not None:
            due, start = plan.summaries, plan.start_step
        else:
            due, start, self._due_from = self._due_from is not None, self._due_from, None
        if not due or not self.is_chief:
            return
        # Under the planner the due step ran alone: its loss and summaries are those
        # of the weights at the step it started from (slim's summary thread evaluates
        # at the current global step). A plain fit writes at the execution's end.
        self._record(logs or {}, start if plan is not None else global_step(self.model))
        self._written(start)

    def _written(self, start_step: int) -> None:
        """Called after a write for the chunk that started at ``start_step``."""
        del start_step

    def _record(self, logs: dict, write_step: int) -> None:
        losses = step_losses(logs)
        now = time.time()
        end = global_step(self.model)
        summaries = {
            k[len("summaries/") :]: v for k, v in logs.items() if k.startswith("summaries/")
        }
        with self.writer.as_default(step=write_step):
            if losses is not None and len(losses):
                tf.summary.scalar("total_loss", float(losses[-1]))
            for key, value in logs.items():
                if key.startswith("losses/"):
                    tf.summary.scalar(key, float(np.asarray(value).reshape(-1)[-1]))
            lr = _learning_rate(self.model)
            if lr is not None:
                tf.summary.scalar("learning_rate", lr)
            rate = 0.0
            if self._last_step is not None and now > self.last_time:
                rate = (end - self._last_step) / (now - self.last_time)
            tf.summary.scalar("global_step/sec", rate)
            if self._rate_written < 10:
                _log.info("global_step/sec: %g", rate)
                self._rate_written += 1
            for tag, value in summaries.items():
                _write(tag, value)
        self.writer.flush()
        _log.info("Recording summary at step %s.", write_step)
        self.last_time, self._last_step = now, end

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Flushes the summary writer."""
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Closes the writer this callback created (a writer passed in stays open)."""
        if self._owns_writer and self.writer is not None:
            self.writer.close()
            self.writer = None
            self._owns_writer = False


def _learning_rate(model: keras.Model) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    lr = optimizer.learning_rate
    try:
        return float(np.asarray(lr))
    except (TypeError, ValueError):
        return None


def _write(key: str, value: TensorLike) -> None:
    kind, _, tag = key.partition(":") if ":" in key else ("scalar", "", key)
    value = np.asarray(value)
    if kind == "image":
        tf.summary.image(tag, value)
    elif kind == "histogram" or (kind == "scalar" and value.ndim > 0):
        tf.summary.histogram(tag, value)
    else:
        tf.summary.scalar(tag, float(value))
