"""LastLoss: keeps the last step's total loss (what ``learning.train`` returns)."""

from __future__ import annotations

import keras
import numpy as np

from kslim.learning.callbacks.chunk_events import Phase
from kslim.tensor_types import Logs

__all__ = ["LastLoss"]


class LastLoss(keras.callbacks.Callback):
    """Records the total loss of the last step run.

    ``value``, a numpy float32 (None until a step ran): a TrainOp chunk's last
    ``step_losses`` entry, else ``loss``.
    """

    phase = Phase.RESULT

    def __init__(self) -> None:
        super().__init__()
        self.value: np.float32 | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Forgets the previous run's loss."""
        self.value = None

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Records the last step's total loss of the chunk."""
        if logs and "step_losses" in logs and len(np.asarray(logs["step_losses"])):
            self.value = np.float32(np.asarray(logs["step_losses"]).reshape(-1)[-1])
        elif logs and "loss" in logs:
            self.value = np.float32(logs["loss"])
