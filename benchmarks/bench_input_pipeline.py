"""Input pipeline: the main job from its TFRecords vs from memory, and the provider's throughput.

Three measurements:

* **main job** (issue 12 item 1, target >= 0.9): ``kslim train`` (the README's first command:
  LeNet on the digits, slim's flags and defaults) run in a fresh process per run, once
  reading the digits TFRecords as the command does (``DatasetDataProvider`` -> decode ->
  ``lenet`` preprocessing -> ``kslim.data.batch``) and once fed the same batches from memory
  (the pipeline's first epoch read into memory before training, ``take(epoch).cache()``
  then ``repeat()``, passed as ``dataset=``).
  Everything else (net, optimizer, logging, checkpoints, summaries) is the command's. A
  timer callback gives steps/s between step ``W`` and ``W + N``; the two are interleaved.
* **JPEG provider** (slim's ``DatasetDataProvider`` path in general): synthetic 64x64 RGB
  JPEG TFRecords written here (slim's ``image/encoded`` keys, 8 shards), decoded and batched
  by ``DatasetDataProvider`` + ``kslim.data.batch`` with nothing consuming them: examples/s
  for ``num_readers`` = ``num_parallel_calls`` = 1, 2, 4 without the decoded cache, and with
  the decoded cache (``cache_decoded=None``: the split fits).
* **digits provider**: the same for the digits (the main job's data).

Every figure is the median of ``--repeats`` interleaved runs with min and max; rates per CPU
second (steadier on a shared machine) alongside.

Usage::

    python benchmarks/bench_input_pipeline.py [--repeats 3] [--steps 60] [--warmup 20]
        [--batches 60] [--quick] [--json OUT.json]

Results go to ``benchmarks/results/bench_input_pipeline.json`` (``--quick``: only with
``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))

from _bench_util import fmt, ratio, run_json_process, stats, write_report  # noqa: E402

DEFAULT_JSON = _HERE / "results" / "bench_input_pipeline.json"
MAIN_JOB_CONTENDERS = ("memory", "tfrecords")
PARALLELISM = (1, 2, 4)
JPEG_SIZE, JPEG_EXAMPLES, JPEG_SHARDS = 64, 1024, 8
#: Batches of 32 in one epoch of the digits' train split (1437 examples).
EPOCH_BATCHES = 1437 // 32


# ------------------------------------------------------------------ main job contender
def run_main_job(contender: str, warmup: int, steps: int, workdir: str) -> dict:
    """Runs ``kslim train`` on the digits in this process and times steps W..W+N.

    Args:
      contender: ``tfrecords`` (the command as is) or ``memory`` (its first epoch's
        batches cached in memory, passed as ``dataset=``).
      warmup: steps excluded from the rate.
      steps: measured steps.
      workdir: the train dir's parent (a ``data`` folder there is reused).

    Returns:
      The timings, rates and peak RSS.
    """
    import argparse as _argparse
    import resource

    import keras

    import kslim as slim
    from kslim.commands import train as train_command

    total = warmup + steps
    marks: dict[str, tuple[float, float]] = {}
    real_train = slim.learning.train
    base = getattr(slim.callbacks, "ChunkEventsCallback", keras.callbacks.Callback)

    class Timer(base):
        """Ends a chunk at the warm-up step and stamps the warm-up and last steps."""

        def steps_until_event(self, step: int) -> int:
            return warmup - step if step < warmup else total

        def on_train_batch_end(self, batch, logs=None):
            step = int(self.model.optimizer.iterations.numpy())
            for name, at in (("first", 1), ("warm", warmup), ("last", total)):
                if step >= at and name not in marks:
                    marks[name] = (time.perf_counter(), time.process_time())

    def timed_train(train_op, logdir, **kwargs):
        kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [Timer()]
        if contender == "memory":
            # One epoch of the command's own batches, read into memory before training.
            cached = train_op.bound_dataset.take(EPOCH_BATCHES).cache()
            for _ in cached:
                pass
            kwargs["dataset"] = cached.repeat()
        return real_train(train_op, logdir, **kwargs)

    slim.learning.train = timed_train
    train_dir = os.path.join(workdir, f"train_{contender}")
    shutil.rmtree(train_dir, ignore_errors=True)
    os.makedirs(train_dir)
    data_dir = os.path.join(workdir, "data")
    if os.path.isdir(data_dir):
        shutil.copytree(data_dir, os.path.join(train_dir, "data"))
    parser = _argparse.ArgumentParser()
    train_command.add_arguments(parser)
    args = parser.parse_args(["--train-dir", train_dir, "--max-number-of-steps", str(total)])
    t0 = time.perf_counter()
    train_command.run(args)
    if not os.path.isdir(data_dir):
        shutil.copytree(os.path.join(train_dir, "data"), data_dir)
    (w, wc), (last, lc) = marks["warm"], marks["last"]
    return {
        "contender": contender,
        "warmup_steps": warmup,
        "measured_steps": steps,
        "steps_per_sec": steps / (last - w),
        "cpu_steps_per_sec": steps / (lc - wc) if lc > wc else None,
        "time_to_first_step_s": marks["first"][0] - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


# ------------------------------------------------------------------ provider throughput
def write_jpeg_records(directory: str) -> str:
    """Writes synthetic 64x64 RGB JPEG TFRecords (slim's keys); returns the file pattern."""
    import numpy as np
    import tensorflow as tf

    from kslim.data.datasets import dataset_utils

    rng = np.random.RandomState(0)
    per_shard = JPEG_EXAMPLES // JPEG_SHARDS
    for shard in range(JPEG_SHARDS):
        path = os.path.join(directory, f"jpeg_train_{shard:02d}.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for _ in range(per_shard):
                # Smooth random images, so the JPEGs are of a natural size.
                small = rng.randint(0, 256, (8, 8, 3)).astype(np.uint8)
                image = np.kron(small, np.ones((8, 8, 1), np.uint8))
                encoded = tf.io.encode_jpeg(image, quality=90).numpy()
                example = dataset_utils.image_to_tfexample(
                    encoded, b"jpg", JPEG_SIZE, JPEG_SIZE, int(rng.randint(0, 10))
                )
                writer.write(example.SerializeToString())
    return os.path.join(directory, "jpeg_train_*.tfrecord")


def jpeg_dataset(pattern: str):
    """The synthetic JPEGs as a slim ``Dataset`` (``image`` uint8 [64, 64, 3], ``label``)."""
    import tensorflow as tf

    from kslim.data import dataset as slim_dataset
    from kslim.data import tfexample_decoder

    keys_to_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="jpeg"),
        "image/class/label": tf.io.FixedLenFeature([], tf.int64, default_value=0),
    }
    items_to_handlers = {
        "image": tfexample_decoder.Image(shape=[JPEG_SIZE, JPEG_SIZE, 3], channels=3),
        "label": tfexample_decoder.Tensor("image/class/label"),
    }
    return slim_dataset.Dataset(
        data_sources=pattern,
        reader=tf.compat.v1.TFRecordReader,
        decoder=tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers),
        num_samples=JPEG_EXAMPLES,
        items_to_descriptions={"image": "a 64x64 RGB image", "label": "0..9"},
        num_classes=10,
    )


def _preprocess(image, label):
    import tensorflow as tf

    image = tf.image.random_flip_left_right(tf.cast(image, tf.float32) / 255.0)
    return image, tf.one_hot(label, 10)


def provider_rate(dataset, parallelism: int, cache: bool, batches: int) -> tuple[float, float]:
    """Examples/s (wall, per CPU second) of provider -> batch(32), nothing consuming."""
    from kslim.data import batch
    from kslim.data.dataset_data_provider import DatasetDataProvider

    provider = DatasetDataProvider(
        dataset,
        num_readers=parallelism,
        common_queue_capacity=640,
        common_queue_min=320,
        seed=0,
        cache_decoded=None if cache else False,
    )
    data = batch(
        provider, ["image", "label"], 32, preprocess_fn=_preprocess, num_parallel_calls=parallelism
    )
    iterator = iter(data)
    # Past the first epoch, so the cached variant reads from its cache.
    for _ in range(dataset.num_samples // 32 + 5 if cache else 5):
        next(iterator)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        next(iterator)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return batches * 32 / wall, batches * 32 / cpu


def provider_table(datasets: dict, repeats: int, batches: int) -> dict:
    """``{dataset: {variant: {"examples_per_sec": stats, "examples_per_cpu_sec": stats}}}``."""
    variants = [(f"parallel_{p}", p, False) for p in PARALLELISM] + [("cached_4", 4, True)]
    raw: dict = {}
    for _ in range(repeats):
        for name, dataset in datasets.items():
            for variant, parallelism, cache in variants:
                wall, cpu = provider_rate(dataset, parallelism, cache, batches)
                raw.setdefault(name, {}).setdefault(variant, []).append((wall, cpu))
    return {
        name: {
            variant: {
                "examples_per_sec": stats([w for w, _ in values]),
                "examples_per_cpu_sec": stats([c for _, c in values]),
            }
            for variant, values in variants_.items()
        }
        for name, variants_ in raw.items()
    }


# ------------------------------------------------------------------ driver
def main(argv=None) -> dict:
    """Runs the measurements, prints them and writes the JSON; returns the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--steps", type=int, default=None, help="main job measured steps (60)")
    parser.add_argument("--warmup", type=int, default=None, help="main job warm-up steps (20)")
    parser.add_argument("--batches", type=int, default=None, help="provider batches (60)")
    parser.add_argument("--quick", action="store_true", help="few steps, one run (smoke test)")
    parser.add_argument("--json", default=None, help=f"results file (default {DEFAULT_JSON.name})")
    parser.add_argument("--contender", choices=MAIN_JOB_CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    for name in ("repeats", "steps", "warmup", "batches"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    warmup = args.warmup or (3 if args.quick else 20)
    steps = args.steps or (5 if args.quick else 60)
    if args.contender:  # one main-job run, in its own process
        result = run_main_job(args.contender, warmup, steps, args.workdir)
        Path(args.out).write_text(json.dumps(result))
        return result
    repeats = args.repeats or (1 if args.quick else 3)
    batches = args.batches or (5 if args.quick else 60)
    json_path = Path(args.json) if args.json else (None if args.quick else DEFAULT_JSON)
    started = time.time()

    main_job: dict[str, list[dict]] = {c: [] for c in MAIN_JOB_CONTENDERS}
    with tempfile.TemporaryDirectory(prefix="bench_input_") as tmp:
        for repeat in range(repeats):
            for contender in MAIN_JOB_CONTENDERS:
                stem = Path(tmp) / f"{contender}_{repeat}"
                cmd = [str(Path(__file__).resolve()), "--contender", contender]
                cmd += ["--warmup", str(warmup), "--steps", str(steps)]
                cmd += ["--workdir", tmp, "--out", f"{stem}.json"]
                result = run_json_process(cmd, Path(f"{stem}.json"), Path(f"{stem}.log"))
                main_job[contender].append(result)
                print(
                    f"[{repeat + 1}/{repeats}] main job {contender:9} "
                    f"{result['steps_per_sec']:6.2f} steps/s "
                    f"({result['cpu_steps_per_sec']:.2f}/cpu-s)",
                    flush=True,
                )
        from kslim.data.datasets import dataset_factory

        jpeg_dir = os.path.join(tmp, "jpeg")
        os.makedirs(jpeg_dir)
        datasets = {
            "jpeg_64x64": jpeg_dataset(write_jpeg_records(jpeg_dir)),
            "digits": dataset_factory.get_dataset("digits", "train", os.path.join(tmp, "data")),
        }
        providers = provider_table(datasets, repeats, batches)

    job = {
        c: {m: stats([r[m] for r in runs]) for m in ("steps_per_sec", "cpu_steps_per_sec")}
        for c, runs in main_job.items()
    }
    job_ratio = ratio(job["tfrecords"]["steps_per_sec"], job["memory"]["steps_per_sec"])
    job_cpu_ratio = ratio(job["tfrecords"]["cpu_steps_per_sec"], job["memory"]["cpu_steps_per_sec"])
    print("\nmain job (kslim train, LeNet on the digits), steps/s median [min-max]:")
    for contender, row in job.items():
        print(
            f"  {contender:9} {fmt(row['steps_per_sec'], 2):>20} "
            f"per cpu-s {fmt(row['cpu_steps_per_sec'], 2):>20}"
        )
    print(
        f"  tfrecords / memory: {job_ratio:.2f} (target >= 0.9: "
        f"{'MET' if job_ratio >= 0.9 else 'MISSED'}), per CPU second {job_cpu_ratio:.2f}"
    )
    print("\nprovider -> batch(32) throughput, examples/s median [min-max] (per cpu-s):")
    for name, variants in providers.items():
        for variant, row in variants.items():
            print(
                f"  {name:11} {variant:11} {fmt(row['examples_per_sec'], 0):>24} "
                f"({fmt(row['examples_per_cpu_sec'], 0)})"
            )
    results = {
        "main_job": {
            "summary": job,
            "tfrecords_over_memory": job_ratio,
            "tfrecords_over_memory_cpu_time": job_cpu_ratio,
            "target": ">= 0.9",
            "met": job_ratio >= 0.9,
            "runs": main_job,
        },
        "providers": providers,
    }
    if json_path is not None:
        write_report(json_path, "bench_input_pipeline.py", argv, started, results)
        print(f"\nwrote {json_path}")
    return results


if __name__ == "__main__":
    main()
