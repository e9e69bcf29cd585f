"""Evaluates a trained network on a slim-format dataset (slim's eval_image_classifier.py).

Example (after 'kslim train --train-dir /tmp/lenet'):
  kslim eval --checkpoint-path /tmp/lenet
  kslim eval --checkpoint-path /tmp/lenet --eval-interval-secs 60   # beside training

Built on the library: DatasetDataProvider (one pass, in order) + kslim.data.batch ->
kslim.data.inputs -> nets_factory network -> metrics.streaming_accuracy and
streaming_recall_at_k (aggregate_metric_map) -> evaluation.evaluate_once, or
evaluation.evaluation_loop with --eval-interval-secs. Prints each metric as
'eval/Accuracy: 0.9722' and writes them as TensorBoard summaries to --eval-dir.
By default the whole split is evaluated once (the last batch may be smaller).
"""

from __future__ import annotations

import argparse
import math
import os

NAME = "eval"
HELP = "evaluate a checkpoint (default: LeNet on the digits' validation split)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds eval_image_classifier.py's flags plus the evaluation loop's."""
    from kslim.commands.train import add_dataset_arguments, add_strategy_argument

    g = parser.add_argument_group("general")
    g.add_argument(
        "--checkpoint-path",
        required=True,
        help="a checkpoint prefix (DIR/model.ckpt-1000) or a directory (its latest "
        "checkpoint; with --eval-interval-secs, the directory watched)",
    )
    g.add_argument(
        "--eval-dir",
        default=None,
        help="directory of the evaluation summaries (default: <checkpoint dir>/eval)",
    )
    g.add_argument("--batch-size", type=int, default=100, help="examples per batch (default 100)")
    add_strategy_argument(g, "eval")
    g.add_argument(
        "--max-num-batches",
        type=int,
        default=None,
        help="evaluate at most this many batches (default: the whole split)",
    )
    g.add_argument(
        "--eval-interval-secs",
        type=float,
        default=None,
        help="evaluate each new checkpoint of the --checkpoint-path directory, at most "
        "every this many seconds (evaluation_loop); default: evaluate once",
    )
    g.add_argument(
        "--max-number-of-evaluations",
        type=int,
        default=None,
        help="with --eval-interval-secs: stop after this many evaluations (default: "
        "until --timeout)",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="with --eval-interval-secs: stop after waiting this many seconds for a new "
        "checkpoint (default: wait forever)",
    )
    g.add_argument(
        "--moving-average-decay",
        type=float,
        default=None,
        help="evaluate the exponential moving averages of the model variables: restore "
        "each from its '<name>/ExponentialMovingAverage' shadow in the checkpoint (as "
        "slim's published checkpoints have them); the decay value itself is not used "
        "(default: restore the variables themselves)",
    )
    d = parser.add_argument_group("dataset and model")
    add_dataset_arguments(d, "validation")
    d.add_argument(
        "--eval-image-size",
        type=int,
        default=None,
        help="image size fed to the network (default: the network's default_image_size)",
    )


def _checkpoint_dir(path: str) -> str:
    return path if os.path.isdir(path) else os.path.dirname(path) or "."


def _check_checkpoint(args: argparse.Namespace) -> str | None:
    """The checkpoint to evaluate once (None in loop mode for a directory).

    Raises:
      ValueError: a missing checkpoint.
    """
    from kslim import checkpoints

    path = args.checkpoint_path
    loop = args.eval_interval_secs is not None
    if os.path.isdir(path):
        latest = checkpoints.latest_checkpoint(path)
        if latest is None and not loop:
            raise ValueError(f"--checkpoint-path {path!r} is a directory without a checkpoint")
        return latest
    if loop:
        raise ValueError(
            f"--eval-interval-secs needs a directory as --checkpoint-path, got {path!r}"
        )
    if not tf_checkpoint_exists(path):
        raise ValueError(f"--checkpoint-path {path!r}: no such checkpoint or directory")
    return path


EMA_SUFFIX = "ExponentialMovingAverage"


def moving_average_restore_map(variables: list, model_variables: list) -> dict:
    """Checkpoint name -> variable, model variables read from their EMA shadows.

    As ``tf.train.ExponentialMovingAverage.variables_to_restore(model_variables)`` in
    slim's eval script: a model variable ``X`` restores from ``X/ExponentialMovingAverage``,
    every other variable (the global step) from its own name.
    """
    from kslim.variables import get_variable_full_name

    averaged = {id(v) for v in model_variables}
    restore = {}
    for var in variables:
        name = get_variable_full_name(var)
        restore[f"{name}/{EMA_SUFFIX}" if id(var) in averaged else name] = var
    return restore


def tf_checkpoint_exists(prefix: str) -> bool:
    """Whether ``prefix`` names a (V2) checkpoint (its ``.index`` file exists)."""
    return os.path.exists(prefix + ".index")


def run(args: argparse.Namespace) -> int:
    """Evaluates and prints ``eval/<metric>: <value>`` lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from kslim.commands.pipeline import get_split, positive_int, setup_logging
    from kslim.nets import nets_factory

    positive_int(args.batch_size, "--batch-size")
    if args.max_num_batches is not None:
        positive_int(args.max_num_batches, "--max-num-batches")
    if args.model_name not in nets_factory.networks_map:
        raise ValueError(
            f"Name of network unknown {args.model_name!r}; known networks: "
            f"{', '.join(sorted(nets_factory.networks_map))}"
        )
    checkpoint_path = _check_checkpoint(args)
    setup_logging()
    import keras

    import kslim as slim
    from kslim.commands.train import build_network_and_inputs
    from kslim.learning.distribute import make_strategy

    # First: MultiWorkerMirroredStrategy configures TF's collectives at startup.
    strategy = make_strategy(getattr(args, "strategy", None))

    checkpoint_dir = _checkpoint_dir(args.checkpoint_path)
    dataset, dataset_dir = get_split(args, os.path.join(checkpoint_dir, "data"))
    eval_dir = args.eval_dir or os.path.join(checkpoint_dir, "eval")
    with strategy.scope(), slim.Graph().as_default():
        logits, _, labels, num_classes = build_network_and_inputs(
            args,
            dataset,
            is_training=False,
            batch_size=args.batch_size,
            image_size=args.eval_image_size,
        )
        variables_to_restore = slim.get_variables_to_restore()
        if args.moving_average_decay is not None:
            variables_to_restore = moving_average_restore_map(
                variables_to_restore, slim.get_model_variables()
            )
        predictions = keras.ops.argmax(logits, axis=1)
        metrics = {"Accuracy": slim.metrics.streaming_accuracy(predictions, labels)}
        if num_classes > 5:
            metrics["Recall_5"] = slim.metrics.streaming_recall_at_k(logits, labels, 5)
        names_to_values, names_to_updates = slim.metrics.aggregate_metric_map(metrics)
        for name, value in names_to_values.items():
            slim.summaries.add_scalar_summary(value, "eval/%s" % name)
        num_batches = args.max_num_batches or math.ceil(dataset.num_samples / args.batch_size)
        common = dict(
            num_evals=num_batches,
            eval_op=list(names_to_updates.values()),
            final_op=names_to_values,
            variables_to_restore=variables_to_restore,
            strategy=strategy,
        )
        if args.eval_interval_secs is None:
            if os.path.isdir(args.checkpoint_path):
                # The newest intact checkpoint: a damaged newer one is skipped with a
                # warning naming the file (the loop skips damaged ones as they come).
                checkpoint_path = slim.checkpoints.latest_intact_checkpoint(args.checkpoint_path)
                if checkpoint_path is None:
                    raise ValueError(
                        f"--checkpoint-path {args.checkpoint_path!r} has no intact checkpoint"
                    )
            values = slim.evaluation.evaluate_once("", checkpoint_path, eval_dir, **common)
            evaluated = checkpoint_path
        else:
            values = slim.evaluation.evaluation_loop(
                "",
                args.checkpoint_path,
                eval_dir,
                eval_interval_secs=args.eval_interval_secs,
                max_number_of_evaluations=args.max_number_of_evaluations,
                timeout=args.timeout,
                **common,
            )
            evaluated = f"the checkpoints of {args.checkpoint_path} (the last one shown)"
    if values is None:
        print(f"no checkpoint was evaluated in {args.checkpoint_path}")
        return 1
    examples = min(dataset.num_samples, num_batches * args.batch_size)
    print(
        f"evaluated {evaluated} on {args.dataset_name}/{args.dataset_split_name} "
        f"({dataset_dir}, {examples} examples)"
    )
    for name, value in values.items():
        print(f"eval/{name}: {float(value):.4f}")
    return 0
