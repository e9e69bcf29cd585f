"""Trains the same small slim net on one replica and on two (MirroredStrategy over two
logical CPU devices) and writes, as JSON, each run's per-step losses and final variables;
the two-replica Keras-optimizer runs pass ``strategy=`` to ``learning.train`` (the TF1 ones
take it from the scope). Also: ``evaluate_once`` of each batch-norm result with and without
the strategy, and the error for ``strategy=`` with a TrainOp built outside its scope.

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
from _distributed_net import evaluate, train  # noqa: E402

import kslim as slim  # noqa: E402

_OPTIMIZERS = {
    "tf1_momentum": lambda: tf.compat.v1.train.MomentumOptimizer(0.3, 0.9),
    "keras_adam": lambda: keras.optimizers.Adam(0.01),
}


def main(out):
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    # The net has batch_norm and l2 regularization (the plain net's every piece).
    for optimizer, make_optimizer in _OPTIMIZERS.items():
        pass_strategy = optimizer.startswith("keras")
        logdir = tempfile.mkdtemp()
        one = tf.distribute.get_strategy()
        key = f"{optimizer}/bn"
        results[key] = {
            "one": train(one, make_optimizer, True, tempfile.mkdtemp(), 4),
            "two": train(mirrored, make_optimizer, True, logdir, 4, pass_strategy),
            "replicas": mirrored.num_replicas_in_sync,
        }
        checkpoint = slim.checkpoints.latest_checkpoint(logdir)
        results[key]["eval"] = {
            "checkpoint": checkpoint,
            "without": evaluate(one, True, checkpoint, False),
            "scope": evaluate(mirrored, True, checkpoint, False),
            "strategy": evaluate(mirrored, True, checkpoint, True),
        }
    results["outside_scope"] = _outside_scope_error(mirrored)
    with open(out, "w") as f:
        json.dump(results, f)
    return 0


def _outside_scope_error(strategy):
    """The error of learning.train(strategy=...) on a TrainOp built outside its scope."""
    data = tf.data.Dataset.from_tensors((tf.zeros([4, 8]), tf.one_hot([0, 1, 2, 3], 4))).repeat()
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(data)
        logits = slim.fully_connected(images, 4, activation_fn=None, scope="fc")
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), tf.compat.v1.train.GradientDescentOptimizer(0.1)
        )
        try:
            slim.learning.train(train_op, None, number_of_steps=1, strategy=strategy)
        except ValueError as e:
            return {"type": "ValueError", "message": str(e)}
        except Exception as e:  # noqa: BLE001 - reported to the test
            return {"type": type(e).__name__, "message": str(e)}
    return {"type": None, "message": ""}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
