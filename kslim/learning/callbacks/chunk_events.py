"""The chunk contract: ``ChunkPlan`` and ``ChunkEvents``.

``ChunkPlan`` is what the next compiled chunk runs; ``ChunkEvents`` is what a callback
tells the planner.

``ChunkPlanner`` reads the clock once per chunk, asks every ``ChunkEvents``
callback when it next needs the host, and makes one frozen ``ChunkPlan``; the
TrainOp's compiled chunk runs exactly that plan (``TrainOp.run_chunk``), and the
callbacks act on the same plan (``on_chunk_begin``), so no decision is made twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import keras

__all__ = ["ChunkEvents", "ChunkEventsCallback", "ChunkPlan", "Phase"]


@dataclass(frozen=True)
class ChunkPlan:
    """What the next compiled chunk of a TrainOp runs.

    Attributes:
      start_step: the global step the chunk starts from.
      steps: how many steps it runs (at most; a dataset that ends stops it).
      summaries: the chunk is a single step that also computes the graph's
        summaries (and the SummarySaver writes them).
      trace: the chunk is a single step traced by the profiler.
      now: the clock reading the plan was made from.
      looped: the chunks of this ``fit`` may run several steps, in the compiled loop.
        False when every chunk is one step (``learning.train(max_steps_per_chunk=1)``,
        or Keras' own ``fit`` of a TrainOp): the step then runs without the loop, as
        Keras' ``steps_per_execution=1``, and only the step function is traced.
    """

    start_step: int = 0
    steps: int = 1
    summaries: bool = False
    trace: bool = False
    now: float = 0.0
    looped: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"ChunkPlan.steps must be a positive int, got steps={self.steps!r}")
        if not self.looped and self.steps != 1:
            raise ValueError(
                f"a ChunkPlan with looped=False runs one step, got steps={self.steps!r}"
            )
        if (self.summaries or self.trace) and self.steps != 1:
            raise ValueError(
                "a ChunkPlan with summaries or trace runs one step, got "
                f"steps={self.steps!r}, summaries={self.summaries!r}, trace={self.trace!r}"
            )


@runtime_checkable
class ChunkEvents(Protocol):
    """A callback that needs the host at some steps or times.

    ``ChunkPlanner`` calls the first three with the step and the one clock
    reading of the plan it is making, then ``on_chunk_begin`` with the plan.
    """

    def steps_until_event(self, step: int) -> int | None:
        """Steps the next chunk may run from ``step`` before this callback needs the host.

        None: no step-based event.
        """
        ...

    def seconds_until_event(self, now: float) -> float | None:
        """Seconds from ``now`` to this callback's next time-based event (None: none)."""
        ...

    def wants_summary(self, step: int, now: float) -> bool:
        """Whether the chunk starting at ``step`` must compute the summaries."""
        ...

    def wants_trace(self, step: int) -> bool:
        """Whether the step starting at ``step`` must be traced."""
        ...

    def on_chunk_begin(self, plan: ChunkPlan) -> None:
        """Receives the plan of the chunk about to run."""
        ...


class Phase:
    """Where a kslim callback runs among the others (``learning.train`` sorts by it).

    Keras calls callbacks in list order. The planner plans before anyone acts on
    the chunk; stateful callbacks reset their state before ``CheckpointSaver``
    restores it; ``init_fn`` runs on the fresh weights before the first
    checkpoint is written; stopping, logging and the result come after.
    """

    PLAN: ClassVar[int] = 0
    STATE: ClassVar[int] = 10
    INIT: ClassVar[int] = 20
    CHECKPOINT: ClassVar[int] = 30
    STOP: ClassVar[int] = 40
    LOG: ClassVar[int] = 50
    RESULT: ClassVar[int] = 60
    USER: ClassVar[int] = 100


class ChunkEventsCallback(keras.callbacks.Callback):
    """Base of kslim's planning callbacks: neutral ``ChunkEvents`` answers.

    ``chunk_plan`` is the plan of the running chunk while a ``ChunkPlanner``
    drives training (None in a plain ``fit``, where each callback decides alone).
    """

    phase: ClassVar[int] = Phase.USER

    def __init__(self) -> None:
        super().__init__()
        self.chunk_plan: ChunkPlan | None = None

    def steps_until_event(self, step: int) -> int | None:
        """No step-based event by default."""
        del step
        return None

    def seconds_until_event(self, now: float) -> float | None:
        """No time-based event by default."""
        del now
        return None

    def wants_summary(self, step: int, now: float) -> bool:
        """No summaries by default."""
        del step, now
        return False

    def wants_trace(self, step: int) -> bool:
        """No trace by default."""
        del step
        return False

    def on_chunk_begin(self, plan: ChunkPlan) -> None:
        """Keeps ``plan`` as ``chunk_plan`` until the chunk ends."""
        self.chunk_plan = plan

    def take_chunk_plan(self) -> ChunkPlan | None:
        """The plan of the chunk that just ended (None: not planned); clears it."""
        plan, self.chunk_plan = self.chunk_plan, None
        return plan


def phase_of(callback: keras.callbacks.Callback) -> int:
    """A callback's ``phase`` (``Phase.USER`` for callbacks that declare none)."""
    phase = getattr(type(callback), "phase", Phase.USER)
    return phase if isinstance(phase, int) and not isinstance(phase, bool) else Phase.USER


def in_phase_order(callbacks: list) -> list:
    """``callbacks`` stably sorted by ``phase_of`` (user callbacks keep their order, last)."""
    return sorted(callbacks, key=phase_of)
