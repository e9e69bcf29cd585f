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

import tensorflow as tf  # noqa: E402

strategy = (
    tf.distribute.MultiWorkerMirroredStrategy() if index >= 0 else tf.distribute.get_strategy()
)

from _distributed_net import train  # noqa: E402

result = train(strategy, lambda: tf.compat.v1.train.GradientDescentOptimizer(0.5), True, logdir, 4)
with open(out, "w") as f:
    json.dump(result, f)
