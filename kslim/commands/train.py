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
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kslim.commands.pipeline import (  # noqa: F401 - kslim eval imports them from here
    StderrHandler,
    build_network_and_inputs,
    get_split,
    positive_int,
    setup_logging,
)
from kslim.commands.train_flags import (  # noqa: F401 - the flags of this command
    DECAY_TYPES,
    DEFAULT_MAX_NUMBER_OF_STEPS,
    OPTIMIZERS,
    add_arguments,
    add_dataset_arguments,
    add_strategy_argument,
)

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

NAME = "train"
HELP = "train a network (default: LeNet on the digits) like train_image_classifier.py"


def configure_learning_rate(
    args: argparse.Namespace, num_samples_per_epoch: int
) -> float | keras.optimizers.schedules.LearningRateSchedule:
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


def configure_optimizer(
    args: argparse.Namespace, learning_rate: Any
) -> keras.optimizers.Optimizer | tf.compat.v1.train.Optimizer:
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


def get_init_fn(args: argparse.Namespace) -> Callable | None:
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


def get_variables_to_train(args: argparse.Namespace) -> list | None:
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


def run(args: argparse.Namespace) -> int:
    """Trains and prints the final global step, loss and checkpoint directory."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    positive_int(args.batch_size, "--batch-size")
    positive_int(args.max_number_of_steps, "--max-number-of-steps")
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
            jit_compile=args.jit_compile,
        )
        step = int(train_op.optimizer.iterations.numpy())
    loss = "n/a" if final_loss is None else f"{float(final_loss):.4f}"
    print(
        f"trained {args.model_name} on {args.dataset_name}/{args.dataset_split_name} "
        f"({dataset_dir}) to global step {step}: loss = {loss}; checkpoints in {args.train_dir}"
    )
    return 0
