"""Input pipeline throughput: digits TFRecords decoded and batched, vs a training step.

Measures, on the digits written by ``kslim.data.datasets.convert_digits``:

* **pipeline**: examples/s through ``DatasetDataProvider`` -> ``kslim.data.batch``
  (PNG decode, a float preprocess, batching, prefetch) with nothing consuming them;
* **train step**: examples/s of a LeNet-sized kslim model trained with Keras ``fit``
  on the same batch size from an in-memory (cached) dataset, i.e. the model alone;
* **train from TFRecords**: the same model fed by the pipeline.

The pipeline is not the bottleneck when its rate is well above the train step rate and
training from TFRecords runs at about the in-memory rate.

Usage::

    python benchmarks/bench_input_pipeline.py [--batch-size 32] [--batches 300]
        [--num-readers 2] [--dataset-dir DIR] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import kslim as slim  # noqa: E402
from kslim.data import datasets  # noqa: E402
from kslim.data.dataset_data_provider import DatasetDataProvider  # noqa: E402


def _preprocess(image, label):
    return tf.cast(image, tf.float32) / 255.0, label


def _batched(dataset_dir: str, batch_size: int, num_readers: int) -> tf.data.Dataset:
    provider = DatasetDataProvider(
        datasets.get_dataset("digits", "train", dataset_dir), num_readers=num_readers, seed=0
    )
    return slim.data.batch(provider, ["image", "label"], batch_size, preprocess_fn=_preprocess)


def pipeline_rate(
    dataset_dir: str, batch_size: int, batches: int, num_readers: int
) -> tuple[float, float]:
    """Examples/s decoded and batched (wall clock, and per CPU second of the process).

    The per-CPU-second rate is the steadier number on a machine shared with other
    work: it is what one core would deliver.
    """
    iterator = iter(_batched(dataset_dir, batch_size, num_readers))
    for _ in range(20):
        next(iterator)
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(batches):
        next(iterator)
    examples = batches * batch_size
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return examples / wall, examples / cpu


def _lenet(images):
    net = slim.conv2d(images, 32, [3, 3], scope="conv1")
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.conv2d(net, 64, [3, 3], scope="conv2")
    net = slim.max_pool2d(net, [2, 2], scope="pool2")
    net = slim.flatten(net)
    net = slim.fully_connected(net, 128, scope="fc3")
    return slim.fully_connected(net, 10, activation_fn=None, scope="fc4")


def train_rate(dataset: tf.data.Dataset, batch_size: int, batches: int) -> float:
    """Examples/s of ``fit`` on ``dataset``, after a warm-up epoch of 20 steps."""
    with slim.Graph().as_default():
        images, _ = slim.data.inputs(dataset)
        model = keras.Model(images, _lenet(images))
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(dataset, steps_per_epoch=20, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=batches, epochs=1, verbose=0)
    return batches * batch_size / (time.perf_counter() - start)


def main(argv=None) -> dict:
    """Runs the three measurements and prints (and optionally writes) the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--num-readers", type=int, default=2)
    parser.add_argument("--dataset-dir", default=None, help="digits dir (default: a temp dir)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    dataset_dir = args.dataset_dir or tempfile.mkdtemp(prefix="kslim_digits_")
    datasets.convert_digits(dataset_dir)

    pipeline, pipeline_cpu = pipeline_rate(
        dataset_dir, args.batch_size, args.batches, args.num_readers
    )
    batched = _batched(dataset_dir, args.batch_size, args.num_readers)
    in_memory = batched.take(45).cache().repeat()
    step = train_rate(in_memory, args.batch_size, args.batches)
    from_records = train_rate(batched, args.batch_size, args.batches)
    results = {
        "batch_size": args.batch_size,
        "pipeline_examples_per_sec": round(pipeline, 1),
        "pipeline_examples_per_cpu_sec": round(pipeline_cpu, 1),
        "train_in_memory_examples_per_sec": round(step, 1),
        "train_from_tfrecords_examples_per_sec": round(from_records, 1),
        "pipeline_over_train_step": round(pipeline / step, 2),
        "tfrecords_over_in_memory_training": round(from_records / step, 2),
    }
    for key, value in results.items():
        print(f"{key}: {value}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
