"""One benchmark contender per process: trains a workload and writes its timings as JSON.

Run by ``bench_train.py`` (one fresh interpreter per contender, so imports, graph mode and
memory do not leak between them)::

    python benchmarks/_contenders.py CONTENDER WORKLOAD --steps N --warmup W --out RESULT.json

Contenders:

* ``kslim``: ``kslim.learning.train`` with slim's defaults (``log_every_n_steps=1``, a logdir,
  ``save_summaries_secs=save_interval_secs=600``), data bound with ``kslim.data.inputs``;
* ``kslim_xla``: the same with ``jit_compile=True`` (each step one XLA computation);
* ``tf_slim``: tf_slim 1.1.0 ``learning.train`` in TF1 graph mode, same defaults, data from
  ``tf.compat.v1.data.make_one_shot_iterator``;
* ``keras``: the same architecture from ``keras.layers``, default ``compile`` settings
  (``steps_per_execution=1``), ``fit(verbose=0)``;
* ``bare``: the same Keras model trained by a ``tf.function`` step called once per batch
  while iterating the dataset in Python.

Workloads: ``mlp`` (64-128-128-10, batch 64, Adam) and ``lenet`` (the tutorial's LeNet on
28x28x1, batch 32, RMSProp(0.001, 0.9) with the tutorial's L2 0.0005 on the convolutions).
All read the same pipeline: ``from_tensor_slices`` of in-memory random data, ``repeat``,
``batch(drop_remainder=True)``, ``prefetch(2)``.

Timings (``time.perf_counter``): ``t_first`` when the first step has finished, ``t_warm`` when
step ``W`` has, ``t_last`` when step ``W + N`` has (after that step's log line for the slims),
``t_return`` when the training call returned; all from ``t0``, taken before the dataset and
the model are built (imports excluded, reported as ``import_s``). ``steps_per_sec`` is
``N / (t_last - t_warm)``; ``cpu_steps_per_sec`` the same over the process CPU time of that
window (steadier on a shared machine). ``peak_rss_mb`` is ``ru_maxrss`` of this process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CONTENDERS = ("kslim", "kslim_xla", "tf_slim", "keras", "bare")
WORKLOADS = {
    "mlp": {"batch_size": 64, "examples": 4096},
    "lenet": {"batch_size": 32, "examples": 1024},
}
_REPO = Path(__file__).resolve().parents[1]


class _Clock:
    """Timestamps of the first, warm-up and last step, and the CPU time of the window."""

    def __init__(self, warmup: int, total: int) -> None:
        self.warmup = warmup
        self.total = total
        self.t0 = time.perf_counter()
        self.marks: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def mark(self, name: str) -> None:
        if name not in self.marks:
            self.marks[name] = time.perf_counter() - self.t0
            self.cpu[name] = time.process_time()

    def timings(self, label: str, steps: int) -> dict:
        """The rates and times of a finished run of ``steps`` measured steps.

        Raises:
          RuntimeError: a mark never reached (``label`` names the run).
        """
        missing = {"first", "warm", "last", "return"} - set(self.marks)
        if missing:
            raise RuntimeError(f"{label}: no timestamp for {sorted(missing)}")
        window = self.marks["last"] - self.marks["warm"]
        cpu_window = self.cpu["last"] - self.cpu["warm"]
        out = {
            "steps_per_sec": steps / window,
            "cpu_steps_per_sec": steps / cpu_window if cpu_window > 0 else None,
            "time_to_first_step_s": self.marks["first"],
            "warmup_s": self.marks["warm"],
            "teardown_s": self.marks["return"] - self.marks["last"],
        }
        if {"built", "first_begin"} <= set(self.marks):
            # Where the time to the first step goes: building the model (graph, dataset,
            # train op / compile), the training call's set-up until the first step begins
            # (callbacks, checkpoint at start, iterator), then the first step (its trace
            # and run).
            out["startup_breakdown_s"] = {
                "build": self.marks["built"],
                "setup": self.marks["first_begin"] - self.marks["built"],
                "first_step": self.marks["first"] - self.marks["first_begin"],
            }
        return out

    def at_step(self, step: int) -> None:
        """Records the marks due once global step ``step`` has finished."""
        if step >= 1:
            self.mark("first")
        if step >= self.warmup:
            self.mark("warm")
        if step >= self.total:
            self.mark("last")

    def next_boundary(self, step: int) -> int:
        """The next step after ``step`` at which a mark is due (a kslim chunk ends there)."""
        return self.warmup if step < self.warmup else self.total


class _WindowClock(_Clock):
    """A run measured in ``windows`` windows of ``steps`` steps, each started by a controller.

    At step ``warmup`` and at the end of every window the process reports on ``report_fd``
    (one JSON line: ``{"event": "ready", ...}`` after the warm-up, ``{"event": "window",
    "steps_per_sec", "cpu_steps_per_sec"}`` after a window) and then waits, inside the
    training loop's step hook, until the controller writes ``go`` on ``control_fd``. So
    several contenders, each warmed up once in its own process, run their windows in turn
    (``_bench_util.PausedContender``), and a window never shares the cores with another
    contender's window. The waits are outside every window; the ``go`` after the last window
    lets the run finish (``teardown_s`` is counted from then).
    """

    def __init__(
        self, warmup: int, steps: int, windows: int, control_fd: int, report_fd: int
    ) -> None:
        super().__init__(warmup, warmup + steps * windows)
        self.steps = steps
        self.windows: list[dict] = []
        self._control = os.fdopen(control_fd, "r")
        self._report = os.fdopen(report_fd, "w")
        self._next = warmup
        self._start: tuple[int, float, float] | None = None

    def next_boundary(self, step: int) -> int:
        if step < self.warmup:
            return self.warmup
        return min(self.total, self.warmup + ((step - self.warmup) // self.steps + 1) * self.steps)

    def at_step(self, step: int) -> None:
        super().at_step(step)
        if step < self._next or self._next > self.total:
            return
        wall, cpu = time.perf_counter(), time.process_time()
        if self._start is None:
            event = {
                "event": "ready",
                "time_to_first_step_s": self.marks["first"],
                "warmup_s": self.marks["warm"],
            }
        else:
            done = step - self._start[0]
            event = {
                "event": "window",
                "steps": done,
                "steps_per_sec": done / (wall - self._start[1]),
                "cpu_steps_per_sec": done / max(cpu - self._start[2], 1e-9),
            }
            self.windows.append(event)
        self._report.write(json.dumps(event) + "\n")
        self._report.flush()
        command = self._control.readline().strip()
        if command != "go":
            raise RuntimeError(f"the benchmark controller said {command!r}, not 'go': stopping")
        self._next = step + self.steps
        if self._next > self.total:  # the last window has been reported: the run ends
            self.marks["last"] = time.perf_counter() - self.t0
            self.cpu["last"] = time.process_time()
        self._start = (step, time.perf_counter(), time.process_time())

    def timings(self, label: str, steps: int) -> dict:
        """The windows' rates and the process's start-up and teardown times.

        Raises:
          RuntimeError: fewer windows than asked for, or a mark never reached.
        """
        expected = (self.total - self.warmup) // self.steps
        if len(self.windows) != expected or not {"first", "warm", "return"} <= set(self.marks):
            raise RuntimeError(f"{label}: {len(self.windows)} of {expected} windows measured")
        return {
            "windows": self.windows,
            "time_to_first_step_s": self.marks["first"],
            "warmup_s": self.marks["warm"],
            "teardown_s": self.marks["return"] - self.marks["last"],
        }


def _random_arrays(workload: str):
    import numpy as np

    rng = np.random.RandomState(0)
    n = WORKLOADS[workload]["examples"]
    shape = (n, 64) if workload == "mlp" else (n, 28, 28, 1)
    x = rng.standard_normal(shape).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, n)]
    return x, y


def _dataset(tf, workload: str):
    x, y = _random_arrays(workload)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat()
    return ds.batch(WORKLOADS[workload]["batch_size"], drop_remainder=True).prefetch(2)


# --------------------------------------------------------------------------- slim code
def _slim_model(slim, tf, workload: str, images):
    """The workload's network written against slim's API (tf_slim or kslim)."""
    if workload == "mlp":
        net = slim.fully_connected(images, 128, scope="fc1")
        net = slim.fully_connected(net, 128, scope="fc2")
        return slim.fully_connected(net, 10, activation_fn=None, scope="fc3")
    with slim.arg_scope(
        [slim.conv2d],
        padding="SAME",
        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.01),
        weights_regularizer=slim.l2_regularizer(0.0005),
    ):
        net = slim.conv2d(images, 20, [5, 5], scope="conv1")
        net = slim.max_pool2d(net, [2, 2], scope="pool1")
        net = slim.conv2d(net, 50, [5, 5], scope="conv2")
        net = slim.max_pool2d(net, [2, 2], scope="pool2")
        net = slim.flatten(net, scope="flatten3")
        net = slim.fully_connected(net, 500, scope="fc4")
        return slim.fully_connected(net, 10, activation_fn=None, scope="fc5")


def _tf1_optimizer(tf, workload: str):
    if workload == "mlp":
        return tf.compat.v1.train.AdamOptimizer()
    return tf.compat.v1.train.RMSPropOptimizer(0.001, 0.9)


def train_slim_timed(
    clock: _Clock,
    make_dataset,
    build_logits,
    make_optimizer,
    logdir,
    log_every_n_steps: int = 1,
    on_step=None,
    **train_kwargs,
) -> dict:
    """slim's training of ``build_logits(images)`` with softmax loss, timed by ``clock``.

    The one kslim contender of every benchmark: a chunk ends at the warm-up step, the clock
    is stamped after every chunk (``on_step(step)`` too, when given), and ``learning.train``
    runs to ``clock.total`` with ``train_kwargs``.
    """
    import keras

    import kslim as slim

    # ChunkEventsCallback: kslim's planner protocol (a plain Callback on older kslim).
    base = getattr(slim.callbacks, "ChunkEventsCallback", keras.callbacks.Callback)

    class Timer(base):
        """Ends a chunk at the warm-up step and stamps the step marks."""

        def steps_until_event(self, step: int) -> int:
            return clock.next_boundary(step) - step

        def on_train_batch_begin(self, batch, logs=None):
            clock.mark("first_begin")

        def on_train_batch_end(self, batch, logs=None):
            step = int(self.model.optimizer.iterations.numpy())
            clock.at_step(step)
            if on_step is not None:
                on_step(step)

    with slim.Graph().as_default():
        images, labels = slim.data.inputs(make_dataset())
        logits = build_logits(images)
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(slim.losses.get_total_loss(), make_optimizer())
        clock.mark("built")
        final = slim.learning.train(
            train_op,
            logdir,
            number_of_steps=clock.total,
            log_every_n_steps=log_every_n_steps,
            callbacks=[Timer()],
            progress_bar=False,
            **train_kwargs,
        )
        clock.mark("return")
        steps_done = int(train_op.optimizer.iterations.numpy())
    return {"clock": clock, "final_loss": float(final), "steps_done": steps_done}


def run_kslim(workload: str, warmup: int, steps: int, logdir: str, xla: bool = False) -> dict:
    import tensorflow as tf

    import kslim as slim

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return train_slim_timed(
        _Clock(warmup, warmup + steps),
        lambda: _dataset(tf, workload),
        lambda images: _slim_model(slim, tf, workload, images),
        lambda: _tf1_optimizer(tf, workload),
        logdir,
        **({"jit_compile": True} if xla else {}),
    )


def run_kslim_xla(workload: str, warmup: int, steps: int, logdir: str) -> dict:
    return run_kslim(workload, warmup, steps, logdir, xla=True)


def _patch_tensorflow(tf) -> None:
    spec = importlib.util.spec_from_file_location(
        "_tfslim_peer_harness", _REPO / "tests" / "peer" / "harness.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    module.patch_tensorflow(tf)


def run_tf_slim(workload: str, warmup: int, steps: int, logdir: str) -> dict:
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
    _patch_tensorflow(tf)
    import tf_slim as slim

    clock = _Clock(warmup, warmup + steps)
    done = {"steps": 0}

    def train_step_fn(sess, train_op, global_step, train_step_kwargs):
        clock.mark("first_begin")
        loss, should_stop = slim.learning.train_step(sess, train_op, global_step, train_step_kwargs)
        done["steps"] += 1
        clock.at_step(done["steps"])
        return loss, should_stop

    with tf.Graph().as_default():
        iterator = tf.compat.v1.data.make_one_shot_iterator(_dataset(tf, workload))
        images, labels = iterator.get_next()
        logits = _slim_model(slim, tf, workload, images)
        slim.losses.softmax_cross_entropy(logits, labels)
        total_loss = slim.losses.get_total_loss()
        train_op = slim.learning.create_train_op(total_loss, _tf1_optimizer(tf, workload))
        clock.mark("built")
        final = slim.learning.train(
            train_op,
            logdir,
            train_step_fn=train_step_fn,
            number_of_steps=clock.total,
            log_every_n_steps=1,
        )
        clock.mark("return")
    return {"clock": clock, "final_loss": float(final), "steps_done": done["steps"]}


# --------------------------------------------------------------------------- Keras code
def _keras_model(keras, workload: str):
    """The same network from ``keras.layers`` (the L2 matches slim's ``0.0005 * sum/2``)."""
    if workload == "mlp":
        inputs = keras.Input((64,))
        net = keras.layers.Dense(128, activation="relu")(inputs)
        net = keras.layers.Dense(128, activation="relu")(net)
        return keras.Model(inputs, keras.layers.Dense(10)(net))
    conv = {
        "padding": "same",
        "activation": "relu",
        "kernel_initializer": keras.initializers.TruncatedNormal(stddev=0.01),
        "kernel_regularizer": keras.regularizers.L2(0.00025),
    }
    inputs = keras.Input((28, 28, 1))
    net = keras.layers.Conv2D(20, 5, **conv)(inputs)
    net = keras.layers.MaxPooling2D(2)(net)
    net = keras.layers.Conv2D(50, 5, **conv)(net)
    net = keras.layers.MaxPooling2D(2)(net)
    net = keras.layers.Flatten()(net)
    net = keras.layers.Dense(500, activation="relu")(net)
    return keras.Model(inputs, keras.layers.Dense(10)(net))


def _keras_optimizer(keras, workload: str):
    if workload == "mlp":
        return keras.optimizers.Adam()
    return keras.optimizers.RMSprop(0.001, rho=0.9)


def run_keras(workload: str, warmup: int, steps: int, logdir: str) -> dict:
    del logdir
    import keras
    import tensorflow as tf

    clock = _Clock(warmup, warmup + steps)

    class Timer(keras.callbacks.Callback):
        async_safe = True  # keeps fit's asynchronous callback dispatch, as with no callback

        def on_train_batch_begin(self, batch, logs=None):
            clock.mark("first_begin")

        def on_train_batch_end(self, batch, logs=None):
            clock.at_step(batch + 1)

    model = _keras_model(keras, workload)
    model.compile(
        optimizer=_keras_optimizer(keras, workload),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    clock.mark("built")
    history = model.fit(
        _dataset(tf, workload),
        epochs=1,
        steps_per_epoch=clock.total,
        verbose=0,
        callbacks=[Timer()],
    )
    clock.mark("return")
    steps_done = int(model.optimizer.iterations.numpy())
    return {
        "clock": clock,
        "final_loss": float(history.history["loss"][-1]),
        "steps_done": steps_done,
    }


def run_bare(workload: str, warmup: int, steps: int, logdir: str) -> dict:
    del logdir
    import keras
    import tensorflow as tf

    clock = _Clock(warmup, warmup + steps)
    model = _keras_model(keras, workload)
    optimizer = _keras_optimizer(keras, workload)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    variables = model.trainable_variables

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
            if model.losses:
                loss = loss + tf.add_n(model.losses)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    loss = None
    for i, (images, labels) in enumerate(_dataset(tf, workload)):
        loss = step(images, labels)
        if i + 1 in (1, warmup, clock.total):
            loss.numpy()  # the step has finished
            clock.at_step(i + 1)
        if i + 1 == clock.total:
            break
    clock.mark("return")
    return {"clock": clock, "final_loss": float(loss), "steps_done": clock.total}


RUNNERS = {
    "kslim": run_kslim,
    "kslim_xla": run_kslim_xla,
    "tf_slim": run_tf_slim,
    "keras": run_keras,
    "bare": run_bare,
}


def run(contender: str, workload: str, warmup: int, steps: int) -> dict:
    """Trains ``workload`` with ``contender`` for ``warmup + steps`` steps in this process.

    Args:
      contender: one of ``CONTENDERS``.
      workload: one of ``WORKLOADS``.
      warmup: steps excluded from the rate (>= 1).
      steps: measured steps (>= 1).

    Returns:
      A JSON-able dict of timings, rates, the final loss and the peak RSS.

    Raises:
      ValueError: an unknown contender or workload, or non-positive step counts.
    """
    if contender not in RUNNERS:
        raise ValueError(f"contender must be one of {CONTENDERS}, got {contender!r}")
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {tuple(WORKLOADS)}, got {workload!r}")
    if warmup < 1 or steps < 1:
        raise ValueError(f"warmup and steps must be >= 1, got warmup={warmup!r}, steps={steps!r}")
    start = time.perf_counter()
    import tensorflow  # noqa: F401  (import cost reported separately)

    import_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix=f"bench_{contender}_") as logdir:
        out = RUNNERS[contender](workload, warmup, steps, logdir)
    clock = out.pop("clock")
    timings = clock.timings(f"{contender}/{workload} (steps done: {out['steps_done']})", steps)
    return {
        "contender": contender,
        "workload": workload,
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
    parser.add_argument("workload", choices=tuple(WORKLOADS))
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = run(args.contender, args.workload, args.warmup, args.steps)
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
