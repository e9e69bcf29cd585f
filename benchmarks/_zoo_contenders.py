"""One zoo-net benchmark contender per process: trains a zoo net and writes its timings as JSON.

Run by ``bench_zoo.py`` (one fresh interpreter per contender and net)::

    python benchmarks/_zoo_contenders.py CONTENDER NET --steps N --warmup W --out RESULT.json
        [--image-size S] [--batch-size B] [--windows R --control-fd FD --report-fd FD]

With ``--windows`` the process warms up once, then trains ``R`` measured windows of ``N``
steps, each when ``bench_zoo.py`` says so on the control pipe, so the contenders of a net
take turns (``_contenders._WindowClock``). Without it, it times one window and exits.

Nets (slim's file from ``kslim/nets``, NHWC, 10 classes, ``weight_decay=0``, batch norm in
training mode) and the equivalent ``keras.applications`` model (``weights=None``):

* ``resnet_v1_50``: 96x96, batch 8; Keras ``ResNet50``;
* ``inception_v3``: 107x107, batch 4 (main logits only in the loss); Keras ``InceptionV3``;
* ``mobilenet_v1``: 128x128, batch 16; Keras ``MobileNet``.

Contenders (the same data, optimizer, logging and checkpoint settings as ``_contenders.py``:
in-memory random images, ``repeat``, ``batch``, ``prefetch(2)``; momentum SGD 0.01/0.9):

* ``kslim``: the net built with ``kslim.nets`` and trained by ``kslim.learning.train`` with
  slim's defaults (``log_every_n_steps=1``, a logdir, 600 s summaries and checkpoints);
* ``kslim_xla``: the same with ``jit_compile=True``;
* ``tf_slim``: the same net file run under tf_slim 1.1.0 (``import tf_slim as slim``, TF1
  graph mode, as ``tests/nets/tfslim_zoo_runner.py``), or tf_slim's own copy of the net
  (``tf_slim.nets``) when kslim's file uses more of kslim than ``import kslim as slim``
  (resnet_v1, inception_v3); tf_slim's ``learning.train``;
* ``keras``: the ``keras.applications`` model, ``compile`` defaults, ``fit(verbose=0)``.

The timings are those of ``_contenders._Clock`` (see ``_contenders.py``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))

from _contenders import _Clock, _patch_tensorflow, _WindowClock, train_slim_timed  # noqa: E402

CONTENDERS = ("kslim", "kslim_xla", "tf_slim", "keras")
NUM_CLASSES = 10
#: net -> (module in kslim/nets, function, arg_scope module, arg_scope, size, batch, Keras app)
NETS = {
    "resnet_v1_50": ("resnet_v1", "resnet_v1_50", "resnet_utils", "resnet_arg_scope", 96, 8,
                     "ResNet50"),
    "inception_v3": ("inception_v3", "inception_v3", "inception_v3", "inception_v3_arg_scope",
                     107, 4, "InceptionV3"),
    "mobilenet_v1": ("mobilenet_v1", "mobilenet_v1", "mobilenet_v1", "mobilenet_v1_arg_scope",
                     128, 16, "MobileNet"),
}  # fmt: skip


def _dataset(tf, size: int, batch: int):
    import numpy as np

    rng = np.random.RandomState(0)
    n = 4 * batch
    x = rng.uniform(-1, 1, (n, size, size, 3)).astype(np.float32)
    y = np.eye(NUM_CLASSES, dtype=np.float32)[rng.randint(0, NUM_CLASSES, n)]
    return tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(batch).prefetch(2)


def _slim_net(slim, module, scope_module, net: str, images):
    module_name, fn_name, _, scope_name, *_ = NETS[net]
    fn = getattr(module, fn_name)
    with slim.arg_scope(getattr(scope_module, scope_name)(weight_decay=0.0)):
        logits, _ = fn(images, num_classes=NUM_CLASSES, is_training=True)
    if logits.shape.rank == 4:  # resnet's [N, 1, 1, C] logits
        logits = slim.flatten(logits)
    return logits


def run_kslim(net: str, size: int, batch: int, clock: _Clock, logdir: str, xla: bool):
    import tensorflow as tf

    import kslim as slim

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    module_name, _, scope_module_name, *_ = NETS[net]
    module = importlib.import_module(f"kslim.nets.{module_name}")
    scope_module = importlib.import_module(f"kslim.nets.{scope_module_name}")
    return train_slim_timed(
        clock,
        lambda: _dataset(tf, size, batch),
        lambda images: _slim_net(slim, module, scope_module, net, images),
        lambda: tf.compat.v1.train.MomentumOptimizer(0.01, 0.9),
        logdir,
        **({"jit_compile": True} if xla else {}),
    )


def run_tf_slim(net: str, size: int, batch: int, clock: _Clock, logdir: str):
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
    _patch_tensorflow(tf)
    import tf_slim as slim

    sys.path.insert(0, str(_HERE.parent / "tests" / "nets"))
    from _zoo_peer import TFSLIM_PACKAGE, install_tfslim_nets_finder

    install_tfslim_nets_finder()
    module_name, _, scope_module_name, *_ = NETS[net]
    try:
        module = importlib.import_module(f"{TFSLIM_PACKAGE}.{module_name}")
        scope_module = importlib.import_module(f"{TFSLIM_PACKAGE}.{scope_module_name}")
    except ValueError:
        # kslim's file does not import as tf_slim code (it uses more of kslim than
        # ``import kslim as slim``): slim's own copy of the net, shipped in tf_slim.nets.
        module = importlib.import_module(f"tf_slim.nets.{module_name}")
        scope_module = importlib.import_module(f"tf_slim.nets.{scope_module_name}")
    done = {"steps": 0}

    def train_step_fn(sess, train_op, global_step, train_step_kwargs):
        loss, should_stop = slim.learning.train_step(sess, train_op, global_step, train_step_kwargs)
        done["steps"] += 1
        clock.at_step(done["steps"])
        return loss, should_stop

    with tf.Graph().as_default():
        iterator = tf.compat.v1.data.make_one_shot_iterator(_dataset(tf, size, batch))
        images, labels = iterator.get_next()
        images.set_shape([batch, size, size, 3])
        logits = _slim_net(slim, module, scope_module, net, images)
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), tf.compat.v1.train.MomentumOptimizer(0.01, 0.9)
        )
        final = slim.learning.train(
            train_op,
            logdir,
            train_step_fn=train_step_fn,
            number_of_steps=clock.total,
            log_every_n_steps=1,
        )
        clock.mark("return")
    return {"clock": clock, "final_loss": float(final), "steps_done": done["steps"]}


def run_keras(net: str, size: int, batch: int, clock: _Clock, logdir: str):
    del logdir
    import keras
    import tensorflow as tf

    class Timer(keras.callbacks.Callback):
        async_safe = True  # keeps fit's asynchronous callback dispatch, as with no callback

        def on_train_batch_begin(self, batch, logs=None):
            # Called in fit's own thread before step ``batch`` (0-based) begins, when the
            # ``batch`` steps before it have run (a step's function call returns when the
            # step is done), so a window clock may pause the training here; hence one
            # extra step at the end, after the last mark.
            clock.at_step(batch)

    app = getattr(keras.applications, NETS[net][6])
    model = app(weights=None, input_shape=(size, size, 3), classes=NUM_CLASSES)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        # keras.applications end in a softmax.
        loss=keras.losses.CategoricalCrossentropy(),
    )
    history = model.fit(
        _dataset(tf, size, batch),
        epochs=1,
        steps_per_epoch=clock.total + 1,
        verbose=0,
        callbacks=[Timer()],
    )
    clock.mark("return")
    return {
        "clock": clock,
        "final_loss": float(history.history["loss"][-1]),
        "steps_done": int(model.optimizer.iterations.numpy()),
    }


def run(
    contender: str,
    net: str,
    warmup: int,
    steps: int,
    image_size: int | None = None,
    batch_size: int | None = None,
    windows: tuple[int, int, int] | None = None,
) -> dict:
    """Trains ``net`` with ``contender`` for ``warmup + steps`` steps in this process.

    With ``windows=(count, control_fd, report_fd)`` it trains ``warmup + count * steps``
    steps instead, measured in ``count`` windows that a controller starts one by one (see
    ``_contenders._WindowClock``).

    Args:
      contender: one of ``CONTENDERS``.
      net: one of ``NETS``.
      warmup: steps excluded from the rate (>= 1).
      steps: measured steps (>= 1).
      image_size: input height and width (default: the net's in ``NETS``).
      batch_size: examples per step (default: the net's in ``NETS``).
      windows: the number of measured windows and the controller's two pipe ends.

    Returns:
      A JSON-able dict of timings, rates (``windows``: one dict per window), the final loss
      and the peak RSS.

    Raises:
      ValueError: an unknown contender or net, or non-positive counts.
    """
    if contender not in CONTENDERS:
        raise ValueError(f"contender must be one of {CONTENDERS}, got {contender!r}")
    if net not in NETS:
        raise ValueError(f"net must be one of {tuple(NETS)}, got {net!r}")
    size = image_size or NETS[net][4]
    batch = batch_size or NETS[net][5]
    counts = [("warmup", warmup), ("steps", steps), ("size", size), ("batch", batch)]
    if windows is not None:
        counts.append(("windows", windows[0]))
    for name, value in counts:
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value!r}")
    start = time.perf_counter()
    import tensorflow  # noqa: F401  (import cost reported separately)

    import_s = time.perf_counter() - start
    if windows is None:
        clock = _Clock(warmup, warmup + steps)
    else:
        clock = _WindowClock(warmup, steps, *windows)
    with tempfile.TemporaryDirectory(prefix=f"bench_zoo_{contender}_") as logdir:
        if contender in ("kslim", "kslim_xla"):
            out = run_kslim(net, size, batch, clock, logdir, contender == "kslim_xla")
        elif contender == "tf_slim":
            out = run_tf_slim(net, size, batch, clock, logdir)
        else:
            out = run_keras(net, size, batch, clock, logdir)
    clock = out.pop("clock")
    timings = clock.timings(f"{contender}/{net}", steps)
    return {
        "contender": contender,
        "workload": net,
        "image_size": size,
        "batch_size": batch,
        "warmup_steps": warmup,
        "measured_steps": steps,
        **timings,
        "import_s": import_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        **out,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=CONTENDERS)
    parser.add_argument("net", choices=tuple(NETS))
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--windows", type=int, default=None, help="measured windows")
    parser.add_argument("--control-fd", type=int, default=None, help="with --windows")
    parser.add_argument("--report-fd", type=int, default=None, help="with --windows")
    args = parser.parse_args(argv)
    given = [x is not None for x in (args.windows, args.control_fd, args.report_fd)]
    if any(given) and not all(given):
        parser.error("--windows, --control-fd and --report-fd go together")
    windows = (args.windows, args.control_fd, args.report_fd) if all(given) else None
    result = run(
        args.contender,
        args.net,
        args.warmup,
        args.steps,
        args.image_size,
        args.batch_size,
        windows,
    )
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
