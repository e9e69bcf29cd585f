"""ChunkPlanner: decides how many steps the next compiled chunk runs."""

from __future__ import annotations

import time

import keras

from kslim.learning.callbacks._common import global_step


class ChunkPlanner(keras.callbacks.Callback):
    """Sets ``model.steps_per_chunk`` before each chunk of a kslim TrainOp.

    A chunk ends exactly at the next step-based event of the other callbacks
    (``steps_until_event(step)``: stop, trace) and is short enough that the
    next time-based event (``seconds_until_event(now)``: checkpoint, summary)
    is late by at most ``max_lateness_secs``, using the measured time per step.
    A summary that is due makes the next chunk a single summary step.

    Args:
      callbacks: the sibling callbacks to consult.
      max_steps_per_chunk: upper bound, default 1000.
      max_lateness_secs: default 1.0.
    """

    def __init__(
        self, callbacks, max_steps_per_chunk: int = 1000, max_lateness_secs: float = 1.0
    ) -> None:
        super().__init__()
        self.callbacks = [c for c in callbacks if c is not self]
        self.max_steps_per_chunk = int(max_steps_per_chunk)
        self.max_lateness_secs = float(max_lateness_secs)
        self._sec_per_step = None
        self._t0 = None

    def on_train_batch_begin(self, batch, logs=None):
        step = global_step(self.model)
        now = time.time()
        n = self.max_steps_per_chunk
        for cb in self.callbacks:
            fn = getattr(cb, "steps_until_event", None)
            if fn is not None:
                n = min(n, fn(step))
        want_summaries = any(
            getattr(cb, "wants_summary", lambda _t: False)(now) for cb in self.callbacks
        )
        if self._sec_per_step is None:
            n = 1
        else:
            for cb in self.callbacks:
                fn = getattr(cb, "seconds_until_event", None)
                secs = fn(now) if fn is not None else None
                if secs is not None:
                    budget = max(secs, 0.0) + self.max_lateness_secs
                    n = min(n, max(1, int(budget / max(self._sec_per_step, 1e-6))))
        self.model.want_summaries = bool(want_summaries)
        self.model.steps_per_chunk = 1 if want_summaries else max(1, n)
        self._t0 = now

    def on_train_batch_end(self, batch, logs=None):
        steps = int((logs or {}).get("steps_run", 1))
        elapsed = time.time() - self._t0
        per = elapsed / max(steps, 1)
        self._sec_per_step = (
            per if self._sec_per_step is None else (0.7 * self._sec_per_step + 0.3 * per)
        )
