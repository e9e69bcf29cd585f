"""kslim train's flags (train_image_classifier.py's), shared with kslim eval."""

from __future__ import annotations

import argparse

OPTIMIZERS = ("adadelta", "adagrad", "adam", "ftrl", "momentum", "rmsprop", "sgd")
DECAY_TYPES = ("exponential", "fixed", "polynomial")

#: Training steps of the main job (``kslim train --train-dir DIR``): LeNet on the
#: digits reaches > 95 % validation accuracy in well under two minutes on 2 CPU cores.
DEFAULT_MAX_NUMBER_OF_STEPS = 500


def add_dataset_arguments(parser: argparse.ArgumentParser, split: str) -> None:
    """Adds the dataset, model and preprocessing flags shared by train and eval."""
    parser.add_argument(
        "--dataset-name", default="digits", help="registered dataset name (default: digits)"
    )
    parser.add_argument(
        "--dataset-split-name", default=split, help=f"the split to read (default: {split})"
    )
    parser.add_argument(
        "--dataset-dir",
        default=None,
        help="directory of the dataset's TFRecords (default: <train-dir>/data for train, "
        "the checkpoint directory's data/ for eval); an empty one is filled with the "
        "converted dataset first",
    )
    parser.add_argument(
        "--labels-offset",
        type=int,
        default=0,
        help="offset subtracted from the labels, e.g. 1 to drop a background class (default 0)",
    )
    parser.add_argument(
        "--model-name", default="lenet", help="network name of nets_factory (default: lenet)"
    )
    parser.add_argument(
        "--preprocessing-name",
        default=None,
        help="preprocessing of preprocessing_factory (default: the --model-name)",
    )
    parser.add_argument(
        "--use-grayscale", action="store_true", help="convert RGB images to grayscale first"
    )
    parser.add_argument(
        "--num-readers", type=int, default=4, help="files read in parallel (default 4)"
    )
    parser.add_argument(
        "--num-preprocessing-threads",
        type=int,
        default=4,
        help="parallel decode + preprocessing calls in tf.data (default 4)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds train_image_classifier.py's flags (those with a meaning in kslim)."""
    g = parser.add_argument_group("general")
    g.add_argument(
        "--train-dir",
        required=True,
        help="directory of checkpoints, event files and traces (a run resumes from it)",
    )
    g.add_argument(
        "--max-number-of-steps",
        type=int,
        default=DEFAULT_MAX_NUMBER_OF_STEPS,
        help="the global step to stop at (slim: none; kslim default "
        f"{DEFAULT_MAX_NUMBER_OF_STEPS}, LeNet on the digits in under two minutes)",
    )
    g.add_argument("--batch-size", type=int, default=32, help="examples per batch (default 32)")
    g.add_argument(
        "--log-every-n-steps",
        type=int,
        default=100,
        help="log the loss every n global steps (slim: 10; default 100; 0: never)",
    )
    g.add_argument(
        "--save-summaries-secs",
        type=float,
        default=600,
        help="seconds between TensorBoard summaries (default 600)",
    )
    g.add_argument(
        "--save-interval-secs",
        type=float,
        default=600,
        help="seconds between checkpoints (default 600; one is also written at the end)",
    )
    g.add_argument(
        "--trace-every-n-steps",
        type=int,
        default=None,
        help="write a Chrome trace tf_trace-N.json every n steps (default: never)",
    )
    g.add_argument(
        "--jit-compile",
        action="store_true",
        help="compile each training step with XLA (kslim; default off: slower on CPU)",
    )
    g.add_argument(
        "--seed", type=int, default=None, help="random seed of weights and shuffling (kslim)"
    )
    add_strategy_argument(g, "train")
    d = parser.add_argument_group("dataset and model")
    add_dataset_arguments(d, "train")
    d.add_argument(
        "--train-image-size",
        type=int,
        default=None,
        help="image size fed to the network (default: the network's default_image_size)",
    )

    o = parser.add_argument_group("optimization")
    o.add_argument(
        "--weight-decay",
        type=float,
        default=0.00004,
        help="L2 weight decay of the model weights (default 0.00004)",
    )
    o.add_argument(
        "--optimizer",
        default="rmsprop",
        choices=OPTIMIZERS,
        help="the optimizer (default rmsprop); adagrad, adam, momentum, rmsprop and sgd "
        "are tf.compat.v1.train optimizers with TF1's update rules, adadelta and ftrl "
        "Keras'",
    )
    o.add_argument("--adadelta-rho", type=float, default=0.95, help="adadelta decay (0.95)")
    o.add_argument(
        "--adagrad-initial-accumulator-value",
        type=float,
        default=0.1,
        help="adagrad starting accumulator value (0.1)",
    )
    o.add_argument("--adam-beta1", type=float, default=0.9, help="adam 1st moment decay (0.9)")
    o.add_argument("--adam-beta2", type=float, default=0.999, help="adam 2nd moment decay (0.999)")
    o.add_argument(
        "--opt-epsilon",
        type=float,
        default=1.0,
        help="epsilon of adadelta, adam and rmsprop (default 1.0)",
    )
    o.add_argument(
        "--ftrl-learning-rate-power", type=float, default=-0.5, help="ftrl lr power (-0.5)"
    )
    o.add_argument(
        "--ftrl-initial-accumulator-value",
        type=float,
        default=0.1,
        help="ftrl starting accumulator value (0.1)",
    )
    o.add_argument("--ftrl-l1", type=float, default=0.0, help="ftrl l1 regularization (0.0)")
    o.add_argument("--ftrl-l2", type=float, default=0.0, help="ftrl l2 regularization (0.0)")
    o.add_argument(
        "--momentum", type=float, default=0.9, help="momentum of the momentum optimizer (0.9)"
    )
    o.add_argument("--rmsprop-momentum", type=float, default=0.9, help="rmsprop momentum (0.9)")
    o.add_argument("--rmsprop-decay", type=float, default=0.9, help="rmsprop decay (0.9)")

    lr = parser.add_argument_group("learning rate")
    lr.add_argument(
        "--learning-rate", type=float, default=0.01, help="initial learning rate (0.01)"
    )
    lr.add_argument(
        "--learning-rate-decay-type",
        default="exponential",
        choices=DECAY_TYPES,
        help="how the learning rate decays with the global step (default exponential, staircase)",
    )
    lr.add_argument(
        "--end-learning-rate",
        type=float,
        default=0.0001,
        help="minimal learning rate of the polynomial decay (0.0001)",
    )
    lr.add_argument(
        "--learning-rate-decay-factor",
        type=float,
        default=0.94,
        help="learning rate decay factor (0.94)",
    )
    lr.add_argument(
        "--num-epochs-per-decay",
        type=float,
        default=2.0,
        help="epochs after which the learning rate decays (2.0)",
    )
    lr.add_argument(
        "--label-smoothing", type=float, default=0.0, help="label smoothing of the loss (0.0)"
    )

    o.add_argument(
        "--moving-average-decay",
        type=float,
        default=None,
        help="slim's flag to keep moving averages of the model variables: not supported "
        "by kslim train (an error when given); kslim eval --moving-average-decay reads "
        "the averages of checkpoints that have them",
    )

    f = parser.add_argument_group("fine-tuning")
    f.add_argument(
        "--checkpoint-path",
        default=None,
        help="checkpoint (prefix or directory) to warm-start from; ignored when --train-dir "
        "already has a checkpoint",
    )
    f.add_argument(
        "--checkpoint-exclude-scopes",
        default=None,
        help="comma-separated scopes not restored from --checkpoint-path, e.g. LeNet/fc4",
    )
    f.add_argument(
        "--trainable-scopes",
        default=None,
        help="comma-separated scopes to train (default: all trainable variables)",
    )
    f.add_argument(
        "--ignore-missing-vars",
        action="store_true",
        help="skip variables missing from --checkpoint-path instead of failing",
    )


# ---- tf.distribute (kslim.learning.distribute) ----
def add_strategy_argument(group: argparse._ArgumentGroup, command: str) -> None:
    """Adds ``--strategy default|mirrored|multi_worker``.

    It stands for slim's --master/--task/--worker_replicas/--sync_replicas.
    """
    what = (
        "trains on the global --batch-size split across the replicas; only the chief "
        "(worker 0) writes into --train-dir"
        if command == "train"
        else "restores into every replica and evaluates on this worker"
    )
    group.add_argument(
        "--strategy",
        choices=["default", "mirrored", "multi_worker"],
        default="default",
        help="tf.distribute strategy the graph is built under: mirrored (every local GPU, "
        "else the local CPU devices) or multi_worker (MultiWorkerMirroredStrategy over the "
        f"cluster of the TF_CONFIG environment variable); {what} (default: one device)",
    )
