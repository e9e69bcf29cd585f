"""StopAtStep: stop training exactly at an absolute global step."""

from __future__ import annotations

from kslim.learning.callbacks._common import global_step
from kslim.learning.callbacks.chunk_events import ChunkEventsCallback, Phase
from kslim.tensor_types import Logs


class StopAtStep(ChunkEventsCallback):
    """Stops ``fit`` when the global step reaches ``number_of_steps``.

    ``number_of_steps`` is absolute (a resumed run continues to it) and at least
    one step always runs, as in slim. With a kslim ``TrainOp`` chunks end
    exactly at the step; in a plain ``fit`` with ``steps_per_execution`` > 1
    training stops at the first execution boundary at or after it.

    Args:
      number_of_steps: positive int, the global step to stop at.

    Raises:
      ValueError: if ``number_of_steps`` is not a positive int.
    """

    phase = Phase.STOP

    def __init__(self, number_of_steps: int) -> None:
        super().__init__()
        if (
            isinstance(number_of_steps, bool)
            or not isinstance(number_of_steps, int)
            or number_of_steps <= 0
        ):
            raise ValueError(
                "`number_of_steps` must be either None or a positive number."
                f" Got number_of_steps={number_of_steps!r}"
            )
        self.number_of_steps = number_of_steps

    def steps_until_event(self, step: int) -> int:
        """Steps the next chunk may run before this callback needs the host."""
        return max(1, self.number_of_steps - step)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Stops ``fit`` once the global step reaches ``number_of_steps``."""
        if global_step(self.model) >= self.number_of_steps:
            self.model.stop_training = True
