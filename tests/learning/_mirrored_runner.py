"""Trains the same small slim net on one replica and on two (MirroredStrategy over two
logical CPU devices) and prints, as JSON, each run's per-step losses and final variables.

Run as ``python _mirrored_runner.py OUT.json`` (a separate process: logical devices must be
configured before TF initializes its devices).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

_CPUS = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(_CPUS[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kslim as slim  # noqa: E402

STEPS = 4


class _StepLosses(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.extend(float(v) for v in np.ravel(logs["step_losses"]))


def _optimizer(name):
    if name == "tf1_momentum":
        return tf.compat.v1.train.MomentumOptimizer(0.3, 0.9)
    return keras.optimizers.Adam(0.01)


def train(strategy, optimizer, batch_norm):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 256)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32, drop_remainder=True).repeat()
    steps = _StepLosses()
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
        total_loss = slim.losses.get_total_loss()
        train_op = slim.learning.create_train_op(total_loss, _optimizer(optimizer))
        slim.learning.train(
            train_op,
            tempfile.mkdtemp(),
            number_of_steps=STEPS,
            save_summaries_secs=600,
            save_interval_secs=600,
            callbacks=[steps],
        )
        variables = {v.path: np.asarray(v.numpy()).tolist() for v in slim.get_model_variables()}
    return {"losses": steps.losses, "variables": variables}


def main(out):
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    for optimizer in ("tf1_momentum", "keras_adam"):
        for batch_norm in (False, True):
            key = f"{optimizer}/{'bn' if batch_norm else 'plain'}"
            results[key] = {
                "one": train(tf.distribute.get_strategy(), optimizer, batch_norm),
                "two": train(mirrored, optimizer, batch_norm),
                "replicas": mirrored.num_replicas_in_sync,
            }
    with open(out, "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
