"""One worker of a local MultiWorkerMirroredStrategy cluster (or, with index -1, the
single-replica reference) training a small slim net with ``learning.train``; writes the
per-step losses as JSON.

``python _multiworker_runner.py INDEX PORT0,PORT1 LOGDIR OUT.json``
"""

from __future__ import annotations

import json
import os
import sys

index, ports, logdir, out = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3], sys.argv[4]
if index >= 0:
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
            "task": {"type": "worker", "index": index},
        }
    )
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

strategy = (
    tf.distribute.MultiWorkerMirroredStrategy() if index >= 0 else tf.distribute.get_strategy()
)

import kslim as slim  # noqa: E402


class _StepLosses(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.extend(float(v) for v in np.ravel(logs["step_losses"]))


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
        net = slim.batch_norm(slim.fully_connected(images, 16, scope="fc1"), is_training=True)
        logits = slim.fully_connected(net, 4, activation_fn=None, scope="fc2")
    slim.losses.softmax_cross_entropy(logits, labels)
    train_op = slim.learning.create_train_op(
        slim.losses.get_total_loss(), tf.compat.v1.train.GradientDescentOptimizer(0.5)
    )
    final = slim.learning.train(
        train_op,
        logdir,
        number_of_steps=4,
        save_summaries_secs=600,
        save_interval_secs=600,
        callbacks=[steps],
    )
with open(out, "w") as f:
    json.dump({"losses": steps.losses, "final": float(final)}, f)
