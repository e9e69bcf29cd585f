"""ChunkPlanner: makes the ``ChunkPlan`` of each compiled chunk of a kslim TrainOp."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras

from kslim.learning.callbacks._common import global_step
from kslim.learning.callbacks.chunk_events import ChunkEvents, ChunkPlan, Phase
from kslim.tensor_types import Logs

__all__ = ["ChunkPlanner"]


class ChunkPlanner(keras.callbacks.Callback):
    """Plans each chunk from one clock reading (``plan``, read by ``TrainOp.run_chunk``).

    A chunk ends exactly at the next step-based event of the ``ChunkEvents``
    callbacks (``steps_until_event``: stop, trace, step summaries) and is short
    enough that the next time-based event (``seconds_until_event``: checkpoint,
    summary) is late by at most ``max_lateness_secs``, using the measured time
    per step (the first chunk is one step). A chunk that must compute summaries
    or be traced is a single step. Every ``ChunkEvents`` callback then receives
    the plan (``on_chunk_begin``), so what the chunk computes and what the
    callbacks do after it are one decision.

    Args:
      callbacks: the sibling callbacks; those implementing ``ChunkEvents`` are
        consulted.
      max_steps_per_chunk: upper bound, default 1000; 1: every chunk is one step, run
        without the compiled loop (``ChunkPlan.looped`` is False).
      max_lateness_secs: default 1.0.
      clock: the time source, default ``time.time``.
    """

    phase = Phase.PLAN

    def __init__(
        self,
        callbacks: Sequence[keras.callbacks.Callback],
        max_steps_per_chunk: int = 1000,
        max_lateness_secs: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.events: list[ChunkEvents] = [
            c for c in callbacks if c is not self and isinstance(c, ChunkEvents)
        ]
        self.max_steps_per_chunk = int(max_steps_per_chunk)
        self.max_lateness_secs = float(max_lateness_secs)
        self.clock = clock
        self.sec_per_step: float | None = None
        self.plan = ChunkPlan()

    def plan_chunk(self, step: int, now: float) -> ChunkPlan:
        """The plan of the chunk starting at global step ``step`` at time ``now``."""
        n = self.max_steps_per_chunk
        for cb in self.events:
            steps = cb.steps_until_event(step)
            if steps is not None:
                n = min(n, max(1, int(steps)))
        summaries = any(cb.wants_summary(step, now) for cb in self.events)
        trace = any(cb.wants_trace(step) for cb in self.events)
        if self.sec_per_step is None or summaries or trace:
            n = 1
        else:
            for cb in self.events:
                secs = cb.seconds_until_event(now)
                if secs is not None:
                    budget = max(secs, 0.0) + self.max_lateness_secs
                    n = min(n, max(1, int(budget / max(self.sec_per_step, 1e-6))))
        return ChunkPlan(
            start_step=step,
            steps=n,
            summaries=summaries,
            trace=trace,
            now=now,
            looped=self.max_steps_per_chunk > 1,
        )

    def chunk_done(self, steps: int, elapsed: float) -> None:
        """Updates the time per step from a chunk of ``steps`` that took ``elapsed`` s."""
        per = elapsed / max(steps, 1)
        self.sec_per_step = (
            per if self.sec_per_step is None else 0.7 * self.sec_per_step + 0.3 * per
        )

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Makes the chunk's ``ChunkPlan`` from one clock reading and hands it to the events."""
        self.plan = self.plan_chunk(global_step(self.model), self.clock())
        for cb in self.events:
            cb.on_chunk_begin(self.plan)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Records the steps the chunk ran and how long it took."""
        steps = int((logs or {}).get("steps_run", 1))
        self.chunk_done(steps, self.clock() - self.plan.now)
