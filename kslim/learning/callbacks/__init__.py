"""The Keras callbacks behind ``learning.train``, usable in any ``model.fit``.

One callback per module. ``ChunkPlanner`` makes each chunk's ``ChunkPlan``
(``chunk_events``); the callbacks that need the host at some step or time
implement ``ChunkEvents``; ``Phase`` orders them in ``learning.train``.
"""

from kslim.learning.callbacks.checkpoint_saver import CheckpointSaver
from kslim.learning.callbacks.chief_sync import ChiefSync
from kslim.learning.callbacks.chunk_events import (
    ChunkEvents,
    ChunkEventsCallback,
    ChunkPlan,
    Phase,
    in_phase_order,
)
from kslim.learning.callbacks.graph_writer import GraphWriter
from kslim.learning.callbacks.init_fn import InitFnOnFreshStart
from kslim.learning.callbacks.last_loss import LastLoss
from kslim.learning.callbacks.planner import ChunkPlanner
from kslim.learning.callbacks.step_logger import StepLogger
from kslim.learning.callbacks.step_summary_saver import StepSummarySaver
from kslim.learning.callbacks.stop_at_step import StopAtStep
from kslim.learning.callbacks.summary_saver import SummarySaver
from kslim.learning.callbacks.tracer import Tracer

__all__ = [
    "CheckpointSaver",
    "ChiefSync",
    "ChunkEvents",
    "ChunkEventsCallback",
    "ChunkPlan",
    "ChunkPlanner",
    "GraphWriter",
    "InitFnOnFreshStart",
    "LastLoss",
    "Phase",
    "StepLogger",
    "StepSummarySaver",
    "StopAtStep",
    "SummarySaver",
    "Tracer",
    "in_phase_order",
]
