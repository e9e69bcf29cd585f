"""One distributed-training benchmark contender (or one worker of it) per process.

Run by ``bench_distributed.py``::

    python benchmarks/_distributed_contender.py CONTENDER[,CONTENDER] WORKLOAD SETUP
        --steps N --warmup W --out RESULTS.json [--worker-index I --ports P0,P1]

Several comma-separated contenders run one after the other in this process under one
strategy (``--quick`` does that, to save the start-up of a process per contender; a full
run starts one process per contender). ``RESULTS.json`` is a list, one dict per contender.

Contenders (both train the workloads of ``_contenders.py``: same data pipeline, same
networks, same global batch):

* ``kslim``: the slim model built under ``strategy.scope()`` and trained by
  ``kslim.learning.train`` with a TF1 optimizer created under that scope, ``logdir=None``
  and ``log_every_n_steps=0`` (no checkpoints, summaries or log lines);
* ``keras``: the same network from ``keras.layers``, built and compiled under the same
  strategy's scope with default ``compile`` settings (``steps_per_execution=1``), trained by
  ``fit(verbose=0)`` with no callback but the timer (no checkpoints or summaries either).

Setups:

* ``single``: no strategy (the default strategy), 1 replica;
* ``mirrored-1``: ``MirroredStrategy(["/cpu:0"])``, 1 replica;
* ``mirrored-2``: ``MirroredStrategy`` over 2 logical CPU devices of this process, 2 replicas;
* ``multiworker-2``: ``MultiWorkerMirroredStrategy``, this process is worker
  ``--worker-index`` of 2 (``TF_CONFIG`` on 127.0.0.1 ``--ports``), 1 replica per worker.

The timings are those of ``_contenders.run`` (``_contenders._Clock``): ``steps_per_sec``
is ``N / (t_last - t_warm)`` over global steps, ``cpu_steps_per_sec`` the same over this
process's CPU time. A contender whose training raises gets ``{"error": ..., "raised_in": ...}``
instead (the process then exits 3), so the benchmark reports the failure instead of a rate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _contenders import (  # noqa: E402
    WORKLOADS,
    _Clock,
    _dataset,
    _keras_model,
    _keras_optimizer,
    _slim_model,
    _tf1_optimizer,
    train_slim_timed,
)

CONTENDERS = ("kslim", "keras")
# setup -> (kind, replicas in sync)
SETUPS = {
    "single": ("default", 1),
    "mirrored-1": ("mirrored", 1),
    "mirrored-2": ("mirrored", 2),
    "multiworker-2": ("multi_worker", 2),
}


def make_strategy(setup: str, worker_index: int | None, ports: list[int] | None):
    """Configures devices / ``TF_CONFIG`` for ``setup`` and returns its strategy.

    Must run before TensorFlow initializes its devices (before any op runs).

    Args:
      setup: one of ``SETUPS``.
      worker_index: this worker's index (``multiworker-2`` only).
      ports: the workers' loopback ports (``multiworker-2`` only).

    Returns:
      The ``tf.distribute.Strategy``.

    Raises:
      ValueError: an unknown setup, or a multi-worker setup without index and ports.
    """
    if setup not in SETUPS:
        raise ValueError(f"setup must be one of {tuple(SETUPS)}, got {setup!r}")
    kind, replicas = SETUPS[setup]
    if kind == "multi_worker":
        if worker_index is None or not ports or len(ports) != replicas:
            raise ValueError(
                f"setup {setup!r} needs --worker-index and {replicas} --ports, "
                f"got worker_index={worker_index!r}, ports={ports!r}"
            )
        os.environ["TF_CONFIG"] = json.dumps(
            {
                "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                "task": {"type": "worker", "index": worker_index},
            }
        )
    import tensorflow as tf

    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if replicas > 1:
        cpus = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * replicas
        )
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(replicas)])


def run_kslim(strategy, workload: str, clock: _Clock) -> dict:
    """``learning.train`` on the slim model built under ``strategy.scope()``."""
    import tensorflow as tf

    import kslim as slim

    marked_at = {}

    def first_step_of_each_mark(step: int) -> None:
        for name in clock.marks:
            marked_at.setdefault(name, step)

    with strategy.scope():
        result = train_slim_timed(
            clock,
            lambda: _dataset(tf, workload),
            lambda images: _slim_model(slim, tf, workload, images),
            lambda: _tf1_optimizer(tf, workload),
            None,
            log_every_n_steps=0,
            on_step=first_step_of_each_mark,
        )
    final, steps_done = result["final_loss"], result["steps_done"]
    # The window's steps as counted, not as planned (a chunk ending past the warm-up
    # step would otherwise inflate the rate).
    measured = marked_at.get("last", 0) - marked_at.get("warm", 0)
    return {"final_loss": float(final), "steps_done": steps_done, "window_steps": measured}


def run_keras(strategy, workload: str, clock: _Clock) -> dict:
    """Keras ``fit`` on the same network, built and compiled under ``strategy.scope()``."""
    import keras
    import tensorflow as tf

    class Timer(keras.callbacks.Callback):
        async_safe = True  # keeps fit's asynchronous callback dispatch, as with no callback

        def on_train_batch_end(self, batch, logs=None):
            clock.at_step(batch + 1)

    with strategy.scope():
        model = _keras_model(keras, workload)
        model.compile(
            optimizer=_keras_optimizer(keras, workload),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        )
    history = model.fit(
        _dataset(tf, workload),
        epochs=1,
        steps_per_epoch=clock.total,
        verbose=0,
        callbacks=[Timer()],
    )
    clock.mark("return")
    return {
        "final_loss": float(history.history["loss"][-1]),
        "steps_done": int(model.optimizer.iterations.numpy()),
    }


RUNNERS = {"kslim": run_kslim, "keras": run_keras}


def describe_error(error: BaseException) -> dict:
    """A short, printable account of ``error``: type and message, and where it was raised.

    The values of ``PerReplica`` objects (whole input batches) are elided from the message.
    """
    message = " ".join(" ".join(traceback.format_exception_only(type(error), error)).split())
    message = re.sub(r"\(PerReplica:\{.*\}\) with", "(PerReplica:{...}) with", message)
    frames = traceback.extract_tb(error.__traceback__)
    # The innermost Keras frames (what Keras was doing), then where it was raised.
    keras_frames = [
        f for f in frames if "/keras/src/" in f.filename and "traceback" not in f.filename
    ]
    frames = keras_frames[-3:] + frames[-1:]
    raised_in = [f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.name}" for f in frames]
    return {"error": message[:600], "raised_in": raised_in}


def run(
    contender: str,
    workload: str,
    setup: str,
    warmup: int,
    steps: int,
    strategy,
) -> dict:
    """Trains ``workload`` with ``contender`` under ``strategy`` in this process.

    Args:
      contender: one of ``CONTENDERS``.
      workload: one of ``_contenders.WORKLOADS``.
      setup: the ``SETUPS`` name ``strategy`` was made for (recorded).
      warmup: global steps excluded from the rate (>= 1).
      steps: measured global steps (>= 1).
      strategy: from ``make_strategy(setup, ...)``.

    Returns:
      A JSON-able dict of timings and rates, or of the error when training raised.

    Raises:
      ValueError: an unknown contender or workload, or non-positive step counts.
    """
    if contender not in RUNNERS:
        raise ValueError(f"contender must be one of {CONTENDERS}, got {contender!r}")
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {tuple(WORKLOADS)}, got {workload!r}")
    if warmup < 1 or steps < 1:
        raise ValueError(f"warmup and steps must be >= 1, got warmup={warmup!r}, steps={steps!r}")
    resolver = getattr(strategy, "cluster_resolver", None)
    base = {
        "contender": contender,
        "workload": workload,
        "setup": setup,
        "worker_index": resolver.task_id if resolver is not None and resolver.task_type else None,
        "replicas": strategy.num_replicas_in_sync,
        "global_batch": WORKLOADS[workload]["batch_size"],
        "warmup_steps": warmup,
        "measured_steps": steps,
    }
    clock = _Clock(warmup, warmup + steps)
    try:
        out = RUNNERS[contender](strategy, workload, clock)
    except Exception as e:  # recorded, not hidden: the benchmark prints it
        return {**base, **describe_error(e)}
    try:
        timings = clock.timings(f"steps done: {out['steps_done']}", steps)
    except RuntimeError as e:
        return {**base, "error": str(e)}
    counted = out.pop("window_steps", steps)
    if counted != steps:
        return {**base, "error": f"timed window ran {counted} steps, not {steps}"}
    return {
        **base,
        **timings,
        "examples_per_sec": timings["steps_per_sec"] * base["global_batch"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        **out,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contenders", help=f"comma-separated, of {CONTENDERS}")
    parser.add_argument("workload", choices=tuple(WORKLOADS))
    parser.add_argument("setup", choices=tuple(SETUPS))
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--worker-index", type=int, default=None)
    parser.add_argument("--ports", default=None, help="comma-separated loopback ports")
    args = parser.parse_args(argv)
    contenders = args.contenders.split(",")
    for contender in contenders:
        if contender not in CONTENDERS:
            parser.error(f"contender must be one of {CONTENDERS}, got {contender!r}")
    ports = [int(p) for p in args.ports.split(",")] if args.ports else None
    start = time.perf_counter()
    strategy = make_strategy(args.setup, args.worker_index, ports)
    import keras  # an import error is no training failure: it ends the process

    keras.config.disable_traceback_filtering()  # where a failure was raised, in full

    if "kslim" in contenders:
        import kslim  # noqa: F401
    import_s = time.perf_counter() - start
    results = []
    for contender in contenders:
        result = run(contender, args.workload, args.setup, args.warmup, args.steps, strategy)
        results.append({**result, "import_s": import_s})
        import_s = 0.0  # paid once per process
    Path(args.out).write_text(json.dumps(results, indent=2))
    # A multi-worker process may hang in TF's teardown after a peer failed: leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(3 if any("error" in r for r in results) else 0)


if __name__ == "__main__":
    sys.exit(main())
