"""Trains a network on a slim-format dataset (slim's train_image_classifier.py).

Example (the main job: converts the digits into <train-dir>/data if that is empty,
then trains LeNet on them):
  kslim train --train-dir /tmp/lenet
  kslim eval --checkpoint-path /tmp/lenet

Built on the library: DatasetDataProvider + kslim.data.batch (decode and
preprocess in tf.data) -> kslim.data.inputs -> nets_factory network ->
losses.softmax_cross_entropy -> learning.create_train_op -> learning.train
(checkpoints, summaries and logs in --train-dir; a run resumes from the latest
checkpoint there). Defaults are slim's except where noted in a flag's help.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from typing import Any

NAME = "train"
HELP = "train a network (default: LeNet on the digits) like train_image_classifier.py"

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
def add_strategy_argument(group, command: str) -> None:
    """Adds ``--strategy default|mirrored|multi_worker`` (slim's --master/--task/
    --worker_replicas/--sync_replicas)."""
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


def _positive_int(value: Any, flag: str) -> int:
    if value is None or value <= 0:
        raise ValueError(f"{flag} must be a positive integer, got {value!r}")
    return value


def get_split(args: argparse.Namespace, default_dir: str):
    """Resolves the dataset dir (converting an empty one) and returns the split's Dataset.

    ``--dataset-dir`` must exist when given; the default ``default_dir`` is
    created and filled with the converted dataset when missing or empty.

    Raises:
      ValueError: unknown dataset, missing dataset dir, an empty split.
    """
    from kslim.commands.convert import ensure_dataset
    from kslim.data.datasets import dataset_factory

    dataset_dir = args.dataset_dir or default_dir
    if ensure_dataset(args.dataset_name, dataset_dir, may_create=args.dataset_dir is None):
        logging.getLogger("kslim").info("Converted %s into %s", args.dataset_name, dataset_dir)
    dataset = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, dataset_dir)
    if not dataset.num_samples:
        raise ValueError(
            f"split {args.dataset_split_name!r} of dataset {args.dataset_name!r} in "
            f"{dataset_dir!r} is empty"
        )
    return dataset, dataset_dir


def build_network_and_inputs(
    args: argparse.Namespace,
    dataset: Any,
    is_training: bool,
    batch_size: int,
    image_size: int | None,
    weight_decay: float = 0.0,
    seed: int | None = None,
):
    """Builds the input pipeline and the network in the default kslim graph.

    Returns:
      ``(logits, end_points, labels, num_classes)``; ``labels`` are one-hot for
      training, class ids for evaluation.

    Raises:
      ValueError: unknown model or preprocessing name.
    """
    import tensorflow as tf

    from kslim.data import batch, inputs
    from kslim.data.dataset_data_provider import DatasetDataProvider
    from kslim.nets import nets_factory
    from kslim.preprocessing import preprocessing_factory

    num_classes = dataset.num_classes - args.labels_offset
    network_fn = nets_factory.get_network_fn(
        args.model_name,
        num_classes=num_classes,
        weight_decay=weight_decay,
        is_training=is_training,
    )
    preprocessing_name = args.preprocessing_name or args.model_name
    preprocessing_fn = preprocessing_factory.get_preprocessing(
        preprocessing_name, is_training=is_training, use_grayscale=args.use_grayscale
    )
    size = image_size or getattr(network_fn, "default_image_size", None)
    if not size:
        raise ValueError(
            f"network {args.model_name!r} has no default_image_size; give the image size flag"
        )
    provider = DatasetDataProvider(
        dataset,
        num_readers=_positive_int(args.num_readers, "--num-readers"),
        shuffle=is_training,
        num_epochs=None if is_training else 1,
        common_queue_capacity=20 * batch_size if is_training else 2 * batch_size,
        common_queue_min=10 * batch_size if is_training else batch_size,
        seed=seed,
    )
    offset = args.labels_offset

    def preprocess(image, label):
        image = preprocessing_fn(image, size, size)
        label = label - offset
        if is_training:
            label = tf.one_hot(label, num_classes)
        return image, label

    data = batch(
        provider,
        ["image", "label"],
        batch_size=batch_size,
        preprocess_fn=preprocess,
        num_parallel_calls=_positive_int(
            args.num_preprocessing_threads, "--num-preprocessing-threads"
        ),
        allow_smaller_final_batch=not is_training,
    )
    images, labels = inputs(data)
    logits, end_points = network_fn(images)
    return logits, end_points, labels, num_classes


def configure_learning_rate(args: argparse.Namespace, num_samples_per_epoch: int):
    """The learning rate: a float or a Keras schedule of the global step (slim's flags).

    Raises:
      ValueError: an unknown ``--learning-rate-decay-type`` (slim's message).
    """
    import keras

    decay_steps = int(num_samples_per_epoch * args.num_epochs_per_decay / args.batch_size)
    if args.learning_rate_decay_type == "fixed":
        return args.learning_rate
    if decay_steps <= 0:
        raise ValueError(
            f"--num-epochs-per-decay {args.num_epochs_per_decay} gives {decay_steps} decay "
            f"steps at batch size {args.batch_size}; it must give at least 1"
        )
    if args.learning_rate_decay_type == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            args.learning_rate, decay_steps, args.learning_rate_decay_factor, staircase=True
        )
    if args.learning_rate_decay_type == "polynomial":
        return keras.optimizers.schedules.PolynomialDecay(
            args.learning_rate, decay_steps, args.end_learning_rate, power=1.0, cycle=False
        )
    raise ValueError(
        "learning_rate_decay_type [%s] was not recognized" % args.learning_rate_decay_type
    )


def configure_optimizer(args: argparse.Namespace, learning_rate: Any):
    """The optimizer of ``--optimizer`` with its hyperparameters.

    adagrad, adam, momentum, rmsprop and sgd are ``tf.compat.v1.train`` optimizers
    (kslim's ``create_train_op`` converts them with TF1's update rules); adadelta and
    ftrl, which kslim does not convert, are the Keras optimizers.

    Raises:
      ValueError: an unknown optimizer name (slim's message).
    """
    import keras
    import tensorflow as tf

    v1 = tf.compat.v1.train
    name = args.optimizer
    if name == "adadelta":
        return keras.optimizers.Adadelta(
            learning_rate, rho=args.adadelta_rho, epsilon=args.opt_epsilon
        )
    if name == "adagrad":
        return v1.AdagradOptimizer(
            learning_rate, initial_accumulator_value=args.adagrad_initial_accumulator_value
        )
    if name == "adam":
        return v1.AdamOptimizer(
            learning_rate, beta1=args.adam_beta1, beta2=args.adam_beta2, epsilon=args.opt_epsilon
        )
    if name == "ftrl":
        return keras.optimizers.Ftrl(
            learning_rate,
            learning_rate_power=args.ftrl_learning_rate_power,
            initial_accumulator_value=args.ftrl_initial_accumulator_value,
            l1_regularization_strength=args.ftrl_l1,
            l2_regularization_strength=args.ftrl_l2,
        )
    if name == "momentum":
        return v1.MomentumOptimizer(learning_rate, momentum=args.momentum, name="Momentum")
    if name == "rmsprop":
        return v1.RMSPropOptimizer(
            learning_rate,
            decay=args.rmsprop_decay,
            momentum=args.rmsprop_momentum,
            epsilon=args.opt_epsilon,
        )
    if name == "sgd":
        return v1.GradientDescentOptimizer(learning_rate)
    raise ValueError("Optimizer [%s] was not recognized" % name)


def _scopes(text: str | None) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()] if text else []


def get_init_fn(args: argparse.Namespace):
    """The warm-start ``init_fn`` (slim's ``_get_init_fn``), or None.

    Raises:
      ValueError: a --checkpoint-path without checkpoint.
    """
    from kslim import checkpoints, variables

    if args.checkpoint_path is None:
        return None
    log = logging.getLogger("kslim")
    # The logdir is healed as learning.train will (a damaged newest checkpoint is set
    # aside): warm-starting is for a train dir without an intact checkpoint.
    if checkpoints.CheckpointManager(args.train_dir, None).recover():
        log.info(
            "Ignoring --checkpoint-path because a checkpoint already exists in %s",
            args.train_dir,
        )
        return None
    path = args.checkpoint_path
    if os.path.isdir(path):
        latest = checkpoints.latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"--checkpoint-path {path!r} is a directory without a checkpoint")
        path = latest
    exclusions = _scopes(args.checkpoint_exclude_scopes)
    variables_to_restore = [
        var
        for var in variables.get_model_variables()
        if not any(variables.get_variable_full_name(var).startswith(e) for e in exclusions)
    ]
    if not variables_to_restore:
        raise ValueError(
            f"--checkpoint-exclude-scopes {args.checkpoint_exclude_scopes!r} excludes every "
            "model variable: nothing to restore"
        )
    log.info("Fine-tuning from %s", path)
    return variables.assign_from_checkpoint_fn(
        path, variables_to_restore, ignore_missing_vars=args.ignore_missing_vars
    )


def get_variables_to_train(args: argparse.Namespace):
    """The variables of ``--trainable-scopes`` (None: all trainable variables).

    Raises:
      ValueError: a scope without trainable variables.
    """
    from kslim import variables

    scopes = _scopes(args.trainable_scopes)
    if not scopes:
        return None
    variables_to_train = []
    for scope in scopes:
        found = variables.get_trainable_variables(scope)
        if not found:
            raise ValueError(f"--trainable-scopes: scope {scope!r} has no trainable variables")
        variables_to_train.extend(found)
    return variables_to_train


class _StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (which may be replaced after setup)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        del value


def setup_logging() -> None:
    """Shows the ``kslim`` logger's INFO lines (the loss log) on stderr."""
    log = logging.getLogger("kslim")
    if not log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def run(args: argparse.Namespace) -> int:
    """Trains and prints the final global step, loss and checkpoint directory."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _positive_int(args.batch_size, "--batch-size")
    _positive_int(args.max_number_of_steps, "--max-number-of-steps")
    if args.moving_average_decay is not None:
        raise ValueError(
            "--moving-average-decay is not supported by kslim train: it keeps no moving "
            "averages of the variables (kslim eval --moving-average-decay restores the "
            "averages of a checkpoint that has them)"
        )
    if args.log_every_n_steps < 0:
        raise ValueError(f"--log-every-n-steps must be >= 0, got {args.log_every_n_steps}")
    from kslim.nets import nets_factory

    if args.model_name not in nets_factory.networks_map:
        raise ValueError(
            f"Name of network unknown {args.model_name!r}; known networks: "
            f"{', '.join(sorted(nets_factory.networks_map))}"
        )
    setup_logging()
    import keras

    import kslim as slim
    from kslim.learning.distribute import make_strategy

    # First: MultiWorkerMirroredStrategy configures TF's collectives at startup.
    strategy = make_strategy(getattr(args, "strategy", None))
    if args.batch_size % strategy.num_replicas_in_sync:
        raise ValueError(
            f"--batch-size {args.batch_size} (the global batch) must be a multiple of the "
            f"{strategy.num_replicas_in_sync} replicas of --strategy {args.strategy}"
        )

    # learning.train feeds fit a tf.data.Dataset (shuffled by the provider).
    warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    dataset, dataset_dir = get_split(args, os.path.join(args.train_dir, "data"))
    with strategy.scope(), slim.Graph().as_default():
        logits, end_points, labels, _ = build_network_and_inputs(
            args,
            dataset,
            is_training=True,
            batch_size=args.batch_size,
            image_size=args.train_image_size,
            weight_decay=args.weight_decay,
            seed=args.seed,
        )
        if "AuxLogits" in end_points:
            slim.losses.softmax_cross_entropy(
                end_points["AuxLogits"],
                labels,
                label_smoothing=args.label_smoothing,
                weights=0.4,
                scope="aux_loss",
            )
        slim.losses.softmax_cross_entropy(logits, labels, label_smoothing=args.label_smoothing)
        total_loss = slim.losses.get_total_loss()
        learning_rate = configure_learning_rate(args, dataset.num_samples)
        optimizer = configure_optimizer(args, learning_rate)
        train_op = slim.learning.create_train_op(
            total_loss, optimizer, variables_to_train=get_variables_to_train(args)
        )
        final_loss = slim.learning.train(
            train_op,
            args.train_dir,
            init_fn=get_init_fn(args),
            number_of_steps=args.max_number_of_steps,
            log_every_n_steps=args.log_every_n_steps,
            save_summaries_secs=args.save_summaries_secs,
            save_interval_secs=args.save_interval_secs,
            trace_every_n_steps=args.trace_every_n_steps,
            progress_bar=False,
            strategy=strategy,
        )
        step = int(train_op.optimizer.iterations.numpy())
    loss = "n/a" if final_loss is None else f"{float(final_loss):.4f}"
    print(
        f"trained {args.model_name} on {args.dataset_name}/{args.dataset_split_name} "
        f"({dataset_dir}) to global step {step}: loss = {loss}; checkpoints in {args.train_dir}"
    )
    return 0
