"""Trains the same small slim net on one replica and on two (MirroredStrategy over two
logical CPU devices) and writes, as JSON, each run's per-step losses and final variables.

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
from _distributed_net import train  # noqa: E402

_OPTIMIZERS = {
    "tf1_momentum": lambda: tf.compat.v1.train.MomentumOptimizer(0.3, 0.9),
    "keras_adam": lambda: keras.optimizers.Adam(0.01),
}


def main(out):
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    for optimizer, make_optimizer in _OPTIMIZERS.items():
        for batch_norm in (False, True):
            runs = {
                name: train(strategy, make_optimizer, batch_norm, tempfile.mkdtemp(), 4)
                for name, strategy in (("one", tf.distribute.get_strategy()), ("two", mirrored))
            }
            key = f"{optimizer}/{'bn' if batch_norm else 'plain'}"
            results[key] = {**runs, "replicas": mirrored.num_replicas_in_sync}
    with open(out, "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
