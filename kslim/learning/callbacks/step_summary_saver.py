"""StepSummarySaver: slim.training's summaries every N global steps."""

from __future__ import annotations

from kslim.learning.callbacks.summary_saver import SummarySaver
from kslim.tensor_types import Logs

__all__ = ["StepSummarySaver"]


class StepSummarySaver(SummarySaver):
    """``SummarySaver`` triggered every ``every_steps`` global steps (the first step too).

    The steps are counted from the step of the last write (slim.training's
    ``save_summaries_steps``); chunks end exactly at the due step.

    Args:
      logdir: the event-file directory.
      every_steps: positive int, global steps between writes.
      is_chief: only the chief writes.

    Raises:
      ValueError: if ``every_steps`` is not a positive int.
    """

    def __init__(self, logdir: str, every_steps: int, is_chief: bool = True) -> None:
        if isinstance(every_steps, bool) or not isinstance(every_steps, int) or every_steps <= 0:
            raise ValueError(f"every_steps must be a positive int, got {every_steps!r}")
        super().__init__(logdir, save_summaries_secs=0, is_chief=is_chief)
        self.every_steps = every_steps
        self._base: int | None = None

    def _steps_left(self, step: int) -> int:
        return 0 if self._base is None else self._base + self.every_steps - step

    def seconds_until_event(self, now: float) -> float | None:
        """No time-based event: writes are step-based."""
        del now
        return None

    def steps_until_event(self, step: int) -> int:
        """Steps from ``step`` to the next due write (at least 1)."""
        return max(1, self._steps_left(step))

    def wants_summary(self, step: int, now: float) -> bool:
        """Whether the write is due at ``step`` (chief only)."""
        del now
        return self.is_chief and self._steps_left(step) <= 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Opens the writer (``SummarySaver``) and forgets the previous run's step count."""
        super().on_train_begin(logs)
        self._base = None

    def _written(self, start_step: int) -> None:
        self._base = start_step
