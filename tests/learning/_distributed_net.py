"""The small slim net the distributed-training tests train on one and on several replicas.

Imported by the runner scripts after they configured devices / ``TF_CONFIG``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

import kslim as slim


class StepLosses(keras.callbacks.Callback):
    """Collects every step's loss (``learning.train`` reports them per chunk)."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.extend(float(v) for v in np.ravel(logs["step_losses"]))


def train(strategy, make_optimizer, batch_norm: bool, logdir: str, steps: int) -> dict:
    """Trains the net under ``strategy`` on global batches of 32 with ``learning.train``.

    ``make_optimizer()`` is called under the strategy's scope (a Keras optimizer belongs to
    the strategy it is created under).

    Returns:
      ``{"losses": per-step losses, "final": train's result, "variables": model variables}``.
    """
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 256)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32, drop_remainder=True).repeat()
    step_losses = StepLosses()
    with strategy.scope(), slim.Graph().as_default():
        images, labels = slim.data.inputs(data)
        with slim.arg_scope(
            [slim.fully_connected],
            weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.3, seed=1),
            weights_regularizer=slim.l2_regularizer(0.01),
        ):
            net = slim.fully_connected(images, 16, scope="fc1")
            if batch_norm:
                net = slim.batch_norm(net, decay=0.9, scale=True, is_training=True)
            logits = slim.fully_connected(net, 4, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(slim.losses.get_total_loss(), make_optimizer())
        final = slim.learning.train(
            train_op,
            logdir,
            number_of_steps=steps,
            save_summaries_secs=600,
            save_interval_secs=600,
            callbacks=[step_losses],
        )
        variables = {v.path: np.asarray(v.numpy()).tolist() for v in slim.get_model_variables()}
    return {"losses": step_losses.losses, "final": float(final), "variables": variables}
