"""Evaluates ``examples/train_lenet.py``'s checkpoints on the held-out digits.

The slim evaluation script of the tutorial with ``import kslim as slim``: the
model is built on the validation split, the metrics come from
``aggregate_metric_map`` and ``slim.evaluation`` restores each checkpoint by
slim name, runs the update ops over the split and writes the summaries.

Run: ``python examples/train_lenet.py --logdir /tmp/lenet`` then
``python examples/eval_lenet.py --checkpoint-dir /tmp/lenet`` (add ``--loop``
to evaluate each new checkpoint while training runs).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from train_lenet import digits, lenet  # noqa: E402

import kslim as slim  # noqa: E402

NUM_CLASSES = 10


def eval_dataset(batch_size: int = 64) -> tf.data.Dataset:
    """The validation split, once, in batches (the last one smaller)."""
    images, labels = digits("validation")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)


def build_metrics(images, labels):
    """LeNet on ``images`` and slim's metrics: ``(names_to_values, names_to_updates)``."""
    with slim.arg_scope([slim.conv2d], padding="SAME"):
        logits = lenet(images)
    predictions = keras.ops.argmax(logits, axis=1)
    metrics = {
        "accuracy": slim.metrics.streaming_accuracy(predictions, labels),
        "mean_iou": slim.metrics.streaming_mean_iou(predictions, labels, NUM_CLASSES),
    }
    for digit in range(NUM_CLASSES):
        predicted = keras.ops.equal(predictions, digit)
        actual = keras.ops.equal(labels, digit)
        metrics[f"precision/{digit}"] = slim.metrics.streaming_precision(predicted, actual)
        metrics[f"recall/{digit}"] = slim.metrics.streaming_recall(predicted, actual)
    return slim.metrics.aggregate_metric_map(metrics)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint-dir", default="/tmp/kslim_lenet")
    parser.add_argument("--eval-dir", default=None, help="default: <checkpoint-dir>/eval")
    parser.add_argument("--loop", action="store_true", help="evaluate each new checkpoint")
    parser.add_argument("--eval-interval-secs", type=float, default=60)
    parser.add_argument("--max-number-of-evaluations", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    eval_dir = args.eval_dir or os.path.join(args.checkpoint_dir, "eval")

    num_examples = len(digits("validation")[1])
    num_evals = math.ceil(num_examples / args.batch_size)
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(eval_dataset(args.batch_size))
        names_to_values, names_to_updates = build_metrics(images, labels)
        for name in ("accuracy", "mean_iou"):
            slim.summaries.add_scalar_summary(names_to_values[name], name)
        common = dict(
            num_evals=num_evals,
            eval_op=list(names_to_updates.values()),
            final_op=names_to_values,
        )
        if args.loop:
            values = slim.evaluation.evaluation_loop(
                "",
                args.checkpoint_dir,
                eval_dir,
                eval_interval_secs=args.eval_interval_secs,
                max_number_of_evaluations=args.max_number_of_evaluations,
                timeout=args.timeout,
                **common,
            )
        else:
            checkpoint = slim.checkpoints.latest_checkpoint(args.checkpoint_dir)
            if checkpoint is None:
                parser.error(f"no checkpoint in --checkpoint-dir {args.checkpoint_dir!r}")
            values = slim.evaluation.evaluate_once("", checkpoint, eval_dir, **common)
    if values is None:
        print("no checkpoint was evaluated")
        return {}
    precision = np.mean([values[f"precision/{d}"] for d in range(NUM_CLASSES)])
    recall = np.mean([values[f"recall/{d}"] for d in range(NUM_CLASSES)])
    print(
        f"accuracy {values['accuracy']:.4f}  mean IoU {values['mean_iou']:.4f}  "
        f"precision {precision:.4f}  recall {recall:.4f}  (macro over digits; "
        f"{num_examples} validation images, summaries in {eval_dir})"
    )
    return values


if __name__ == "__main__":
    main()
