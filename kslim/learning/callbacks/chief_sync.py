"""Every worker starts from the chief's variables (multi-worker strategies)."""

from __future__ import annotations

import keras
import tensorflow as tf

from kslim.learning.callbacks._common import build_optimizer, checkpoint_variables
from kslim.learning.callbacks.chunk_events import Phase
from kslim.learning.distribute import gather_from_chief, in_multi_worker
from kslim.tensor_types import Logs


class ChiefSync(keras.callbacks.Callback):
    """At the start of training every worker takes the chief's variables.

    The chief restored its logdir's newest checkpoint (non-chief workers wrote none
    there and may not see the chief's disk); this callback then copies the chief's
    weights, optimizer state and global step to every worker with one all-gather, so a
    restarted cluster resumes at the same global step everywhere. Its ``phase`` puts it after the
    ``CheckpointSaver``'s restore. Nothing happens on one machine.

    Args:
      strategy: the model's strategy.
    """

    phase = Phase.CHECKPOINT + 5

    def __init__(self, strategy: tf.distribute.Strategy | None) -> None:
        super().__init__()
        self.strategy = strategy

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Sets every worker's variables to the chief's (multi-worker strategies only)."""
        if not in_multi_worker(self.strategy):
            return
        build_optimizer(self.model)
        variables = list(checkpoint_variables(self.model).values())
        values = gather_from_chief(self.strategy, [tf.convert_to_tensor(v) for v in variables])
        for variable, value in zip(variables, values, strict=True):
            variable.assign(tf.cast(value, variable.dtype))
