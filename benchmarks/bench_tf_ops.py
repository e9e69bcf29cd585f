"""Step time of TF ops recorded in model code vs the same model written with keras.ops.

One small slim net in the idioms of published slim code (fixed padding with ``tf.pad``,
inception-style branches joined by ``tf.concat``, ``tf.split``/``tf.add_n``, a residual
``tf.nn.relu``, ``tf.reduce_mean`` + ``tf.squeeze`` pooling) is built twice on
``keras.Input``: once with the TF functions (each becomes a kslim ``TFOpLayer``), once
with the ``keras.ops`` equivalents. Both get the same weights and train with Keras
``fit`` on the same in-memory batches. After one warm-up fit each (tracing), they are
timed in interleaved rounds; the median steps/s (wall and CPU time) of each is printed
with the ratio ``tf_ops / keras_ops`` (SPEC §4 target: within 5 %, i.e. >= 0.95).

Usage::

    python benchmarks/bench_tf_ops.py [--steps 300] [--repeats 5] [--batch-size 32]
        [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kslim as slim  # noqa: E402


class _TFOps:
    """The TF spellings of the net's weightless ops (recorded as TFOpLayers)."""

    pad = staticmethod(lambda x: tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]))
    concat = staticmethod(lambda values: tf.concat(axis=3, values=values))
    split = staticmethod(lambda x: tf.split(x, 2, axis=3))
    add_n = staticmethod(lambda values: tf.add_n(values))
    relu = staticmethod(tf.nn.relu)
    pool = staticmethod(lambda x: tf.squeeze(tf.reduce_mean(x, [1, 2], keepdims=True), [1, 2]))


class _KerasOps:
    """The keras.ops spellings of the same ops."""

    pad = staticmethod(lambda x: keras.ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]))
    concat = staticmethod(lambda values: keras.ops.concatenate(values, axis=3))
    split = staticmethod(lambda x: keras.ops.split(x, 2, axis=3))
    add_n = staticmethod(lambda values: keras.ops.sum(keras.ops.stack(values), axis=0))
    relu = staticmethod(keras.ops.relu)
    pool = staticmethod(
        lambda x: keras.ops.squeeze(keras.ops.mean(x, axis=[1, 2], keepdims=True), [1, 2])
    )


def build(ops, image_size: int = 32) -> keras.Model:
    """The benchmark net, with its weightless ops taken from ``ops``."""
    with slim.Graph().as_default():
        images = keras.Input((image_size, image_size, 3), name="images")
        net = slim.conv2d(ops.pad(images), 16, 3, stride=2, padding="VALID", scope="conv1")
        for i in range(3):
            with slim.variable_scope(f"Mixed_{i}"):
                b0 = slim.conv2d(net, 8, 1, scope="Branch_0")
                b1 = slim.conv2d(slim.conv2d(net, 8, 1, scope="Branch_1a"), 8, 3, scope="Branch_1b")
                mixed = ops.concat([b0, b1])
                left, right = ops.split(mixed)
                up = slim.conv2d(
                    ops.add_n([left, right, left]), 16, 1, activation_fn=None, scope="up"
                )
                net = ops.relu(net + 0.5 * up)
        logits = slim.fully_connected(ops.pool(net), 10, activation_fn=None, scope="logits")
        return keras.Model(images, logits)


def _data(batch_size: int, image_size: int = 32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size * 8, image_size, image_size, 3)).astype(np.float32)
    y = rng.integers(0, 10, size=(batch_size * 8,)).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).repeat().cache()


def _timed_fit(model, dataset, steps: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - wall, time.process_time() - cpu


def run(steps: int, repeats: int, batch_size: int) -> dict:
    """Times both models; returns the report (medians, min/max, ratios)."""
    models = {"tf_ops": build(_TFOps), "keras_ops": build(_KerasOps)}
    models["keras_ops"].set_weights(models["tf_ops"].get_weights())
    dataset = _data(batch_size)
    for model in models.values():
        model.compile(
            optimizer=keras.optimizers.SGD(0.01),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            steps_per_execution=10,
        )
        _timed_fit(model, dataset, 20)  # warm-up: tracing
    times = {name: {"wall": [], "cpu": []} for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            wall, cpu = _timed_fit(model, dataset, steps)
            times[name]["wall"].append(steps / wall)
            times[name]["cpu"].append(steps / cpu)
    summary = {
        name: {
            "steps_per_sec": statistics.median(t["wall"]),
            "steps_per_sec_min": min(t["wall"]),
            "steps_per_sec_max": max(t["wall"]),
            "cpu_steps_per_sec": statistics.median(t["cpu"]),
        }
        for name, t in times.items()
    }
    ratio = summary["tf_ops"]["steps_per_sec"] / summary["keras_ops"]["steps_per_sec"]
    cpu_ratio = summary["tf_ops"]["cpu_steps_per_sec"] / summary["keras_ops"]["cpu_steps_per_sec"]
    n_tf_layers = sum(
        isinstance(layer, slim.ops.tf_op_layer.TFOpLayer) for layer in models["tf_ops"].layers
    )
    return {
        "steps": steps,
        "repeats": repeats,
        "batch_size": batch_size,
        "tf_op_layers": n_tf_layers,
        "summary": summary,
        "ratio_tf_ops_over_keras_ops": ratio,
        "cpu_ratio_tf_ops_over_keras_ops": cpu_ratio,
        "target": 0.95,
        "met": ratio >= 0.95 or cpu_ratio >= 0.95,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    report = run(args.steps, args.repeats, args.batch_size)
    for name, row in report["summary"].items():
        print(
            f"{name:>10}: {row['steps_per_sec']:8.1f} steps/s (min {row['steps_per_sec_min']:.1f}, "
            f"max {row['steps_per_sec_max']:.1f}), {row['cpu_steps_per_sec']:8.1f} steps/CPU-s"
        )
    print(
        f"tf_ops/keras_ops: {report['ratio_tf_ops_over_keras_ops']:.3f} wall, "
        f"{report['cpu_ratio_tf_ops_over_keras_ops']:.3f} CPU "
        f"({report['tf_op_layers']} TF-op layers; target >= 0.95: "
        f"{'MET' if report['met'] else 'MISSED'})"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
