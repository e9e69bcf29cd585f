"""The Keras callbacks behind ``learning.train``, usable in any ``model.fit``."""

from kslim.learning.callbacks.checkpoint_saver import CheckpointSaver
from kslim.learning.callbacks.init_fn import InitFnOnFreshStart
from kslim.learning.callbacks.planner import ChunkPlanner
from kslim.learning.callbacks.step_logger import StepLogger
from kslim.learning.callbacks.stop_at_step import StopAtStep
from kslim.learning.callbacks.summary_saver import SummarySaver
from kslim.learning.callbacks.tracer import Tracer

__all__ = [
    "ChunkPlanner",
    "CheckpointSaver",
    "InitFnOnFreshStart",
    "StepLogger",
    "StopAtStep",
    "SummarySaver",
    "Tracer",
]
