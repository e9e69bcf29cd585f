"""One worker of a local MultiWorkerMirroredStrategy cluster training a small slim net with
``learning.train`` (``strategy=`` passed); writes what it saw as JSON.

``python _multiworker_runner.py INDEX PORT0,PORT1 LOGDIR OUT.json STEPS [options]``

Options: ``--kill-at N`` (the process SIGKILLs itself once the global step reaches N),
``--save-secs S`` (``save_interval_secs``), ``--init-log FILE`` (``init_fn`` appends the
worker index to FILE), ``--reference`` (worker 0 then trains the same net on one replica,
in the same process, and reports its losses), ``--evaluate DIR`` (then ``evaluate_once`` of
DIR's latest checkpoint with ``strategy=`` the cluster's and without a strategy). kslim's
log lines go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

parser = argparse.ArgumentParser()
parser.add_argument("index", type=int)
parser.add_argument("ports")
parser.add_argument("logdir")
parser.add_argument("out")
parser.add_argument("steps", type=int)
parser.add_argument("--kill-at", type=int)
parser.add_argument("--save-secs", type=float, default=600)
parser.add_argument("--init-log")
parser.add_argument("--reference", action="store_true")
parser.add_argument("--evaluate")
args = parser.parse_args()

os.environ["TF_CONFIG"] = json.dumps(
    {
        "cluster": {"worker": [f"127.0.0.1:{p}" for p in args.ports.split(",")]},
        "task": {"type": "worker", "index": args.index},
    }
)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import logging  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.distribute import collective_all_reduce_strategy as _cars  # noqa: E402

# A dead peer is found by the strategy's health check (every 30 s by default): check every
# second here so the fault test stays short.
_cars.CollectiveAllReduceExtended._check_health_interval = 1
_cars.CollectiveAllReduceExtended._check_health_timeout = 3
_cars.CollectiveAllReduceExtended._check_health_retry_limit = 2

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(message)s"))
logging.getLogger("kslim").addHandler(handler)
logging.getLogger("kslim").setLevel(logging.INFO)

strategy = tf.distribute.MultiWorkerMirroredStrategy()

from _distributed_net import evaluate, train  # noqa: E402


class KillAt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= args.kill_at:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def init_fn(model):
    with open(args.init_log, "a") as f:
        f.write(f"{args.index}\n")


def optimizer():
    return tf.compat.v1.train.GradientDescentOptimizer(0.5)


result = {}
try:
    result = train(
        strategy,
        optimizer,
        True,
        args.logdir,
        args.steps,
        pass_strategy=True,
        init_fn=init_fn if args.init_log else None,
        save_interval_secs=args.save_secs,
        callbacks=[KillAt()] if args.kill_at else [],
    )
except Exception as e:  # noqa: BLE001 - reported to the test
    result = {"error": type(e).__name__, "message": str(e)}
if args.evaluate and "error" not in result:
    from kslim.checkpoints import latest_checkpoint

    checkpoint = latest_checkpoint(args.evaluate)
    result["eval"] = {
        "strategy": evaluate(strategy, True, checkpoint, True),
        "without": evaluate(tf.distribute.get_strategy(), True, checkpoint, False),
    }
if args.reference and args.index == 0 and "error" not in result:
    import tempfile

    reference = train(tf.distribute.get_strategy(), optimizer, True, tempfile.mkdtemp(), 4)
    result["reference"] = reference["losses"]
with open(args.out, "w") as f:
    json.dump(result, f)
sys.stdout.flush()
os._exit(3 if "error" in result else 0)
