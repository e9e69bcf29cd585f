"""Evaluation speed: ``slim.evaluation.evaluate_once`` vs Keras ``model.evaluate``.

Both evaluate the tutorial's LeNet (built once with kslim) on the same
in-memory digits dataset (cached, repeated, batched) for N batches:

* **kslim**: ``evaluate_once`` with ``streaming_accuracy`` on the argmax of the
  logits and ``streaming_mean`` of the cross-entropy (restore from a checkpoint,
  metric reset, N batches, summary write);
* **keras**: ``keras.Model(images, logits)`` compiled with the sparse
  cross-entropy loss and ``metrics=['sparse_categorical_accuracy']``,
  ``model.evaluate(dataset, steps=N)``
  with Keras' default ``steps_per_execution=1``, and with ``steps_per_execution=N``.

Each is run once to warm up (tracing), then the three are timed in turn,
``--repeats`` interleaved rounds; each figure is the median of the rounds with min and
max. The printed ratios are kslim batches/s over Keras batches/s (medians; the targets
are >= 0.9 against Keras' default and >= 1.0 against ``steps_per_execution=N``).

Usage::

    python benchmarks/bench_eval.py [--batch-size 32] [--batches 200] [--repeats 15]
        [--json OUT.json]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))

from train_lenet import digits, lenet  # noqa: E402

import kslim as slim  # noqa: E402
from kslim import checkpoints  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_util import fmt, ratio, stats, write_report  # noqa: E402


def _dataset(batch_size: int) -> tf.data.Dataset:
    images, labels = digits("validation")
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).cache().repeat()
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _interleaved_times(fns: dict, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """Each function's (wall, CPU) times; one warm-up (tracing) each, then rounds
    interleaving them, so a change of load on a shared machine hits all of them alike."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append((time.perf_counter() - start, time.process_time() - cpu))
    return times


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", default=None)
    argv_list = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv_list)
    started = time.time()
    logging.getLogger("kslim").setLevel(logging.WARNING)
    n = args.batches
    workdir = tempfile.mkdtemp(prefix="kslim-bench-eval-")
    dataset = _dataset(args.batch_size)

    with slim.Graph().as_default() as graph:
        images, labels = slim.data.inputs(dataset)
        logits = lenet(images)
        predictions = keras.ops.argmax(logits, axis=1)
        xent = keras.ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        values, updates = slim.metrics.aggregate_metric_map(
            {
                "accuracy": slim.metrics.streaming_accuracy(predictions, labels),
                "loss": slim.metrics.streaming_mean(xent),
            }
        )
        slim.summaries.add_scalar_summary(values["accuracy"], "accuracy")
        keras_model = keras.Model(images, logits)
        variables = {v.path: v for v in keras_model.weights}
        variables["global_step"] = np.int64(0)
        checkpoint = checkpoints.save_variables(os.path.join(workdir, "model.ckpt-0"), variables)
        results = {}

        def run_kslim():
            results["kslim"] = slim.evaluation.evaluate_once(
                "",
                checkpoint,
                os.path.join(workdir, "eval"),
                num_evals=n,
                eval_op=list(updates.values()),
                final_op=values,
            )

    keras_default = keras.Model(keras_model.inputs, keras_model.outputs)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    keras_default.compile(loss=loss, metrics=["sparse_categorical_accuracy"])
    keras_chunked = keras.Model(keras_model.inputs, keras_model.outputs)
    keras_chunked.compile(loss=loss, metrics=["sparse_categorical_accuracy"], steps_per_execution=n)

    def run_keras(model, key):
        def run():
            results[key] = model.evaluate(dataset, steps=n, verbose=0, return_dict=True)

        return run

    with graph.as_default():
        times = _interleaved_times(
            {
                "kslim": run_kslim,
                "keras": run_keras(keras_default, "keras"),
                "keras_chunked": run_keras(keras_chunked, "keras_chunked"),
            },
            args.repeats,
        )
    rates = {name: stats([n / wall for wall, _ in ts]) for name, ts in times.items()}
    cpu_rates = {name: stats([n / cpu for _, cpu in ts]) for name, ts in times.items()}
    report = {
        "batches": n,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "batches_per_s": rates,
        "batches_per_cpu_s": cpu_rates,
        "ratio_vs_keras_default": ratio(rates["kslim"], rates["keras"]),
        "ratio_vs_keras_steps_per_execution_n": ratio(rates["kslim"], rates["keras_chunked"]),
        "cpu_ratio_vs_keras_default": ratio(cpu_rates["kslim"], cpu_rates["keras"]),
        "cpu_ratio_vs_keras_steps_per_execution_n": ratio(
            cpu_rates["kslim"], cpu_rates["keras_chunked"]
        ),
        "targets": {"vs_keras_default": ">= 0.9", "vs_keras_steps_per_execution_n": ">= 1.0"},
        "kslim_accuracy": float(results["kslim"]["accuracy"]),
        "kslim_loss": float(results["kslim"]["loss"]),
        "keras_loss": float(results["keras"]["loss"]),
        "keras_accuracy": float(results["keras"]["sparse_categorical_accuracy"]),
    }
    print(f"batches/s, median [min-max] of {args.repeats} interleaved rounds of {n} batches")
    print(f"kslim evaluate_once:                      {fmt(rates['kslim'])}")
    print(f"keras evaluate (steps_per_execution=1):   {fmt(rates['keras'])}")
    print(f"keras evaluate (steps_per_execution={n}): {fmt(rates['keras_chunked'])}")
    print(
        f"ratio kslim / keras default:             {report['ratio_vs_keras_default']:.2f} "
        f"(per CPU second {report['cpu_ratio_vs_keras_default']:.2f})"
    )
    print(
        "ratio kslim / keras steps_per_execution: "
        f"{report['ratio_vs_keras_steps_per_execution_n']:.2f} "
        f"(per CPU second {report['cpu_ratio_vs_keras_steps_per_execution_n']:.2f})"
    )
    print(
        f"accuracy kslim {report['kslim_accuracy']:.4f} keras {report['keras_accuracy']:.4f}; "
        f"loss kslim {report['kslim_loss']:.4f} keras {report['keras_loss']:.4f}"
    )
    if args.json:
        write_report(Path(args.json), "bench_eval.py", argv_list, started, report)
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
