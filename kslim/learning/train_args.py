"""learning.train's argument checks: slim's validation and the no-effect warnings."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf

from kslim.data.inputs import as_dataset, check_dataset_matches
from kslim.learning.distribute import warn_replaced
from kslim.learning.train_op import TrainOp

if TYPE_CHECKING:
    from kslim.checkpoints import CheckpointManager
    from kslim.ops.graph import Graph

__all__ = ["USE_DEFAULT", "check_train_args", "train_data", "warn_no_effect"]

#: The default of slim's arguments whose default means "create the usual one".
USE_DEFAULT = 0

# ``learning.train``'s ``dataset``: a batched tf.data.Dataset or numpy arrays (a tuple,
# list or dict of them; see ``kslim.data.inputs.as_dataset``).
DataLike = tf.data.Dataset | np.ndarray | Sequence[np.ndarray] | dict[str, np.ndarray]


def warn_no_effect(name: str, value: Any, why: str, stacklevel: int = 3) -> None:
    """Warns that ``learning.train``'s ``name=value`` has no effect in kslim.

    Args:
      name: the argument.
      value: its value.
      why: the reason (what replaces it in TF2).
      stacklevel: passed to ``warnings.warn``; the default points at the caller
        of the function that called this one.
    """
    warnings.warn(
        f"learning.train: {name}={value!r} has no effect in kslim: {why}", stacklevel=stacklevel
    )


def check_train_args(
    train_op: TrainOp,
    logdir: str | None,
    *,
    log_every_n_steps: int,
    master: str,
    global_step: tf.Variable | keras.Variable | None,
    number_of_steps: int | None,
    init_op: Any,
    init_feed_dict: dict[Any, Any] | None,
    local_init_op: Any,
    ready_op: Any,
    summary_op: Any,
    save_summaries_secs: float | None,
    startup_delay_steps: int,
    saver: CheckpointManager | tf.compat.v1.train.Saver | None,
    save_interval_secs: float | None,
    sync_optimizer: tf.compat.v1.train.SyncReplicasOptimizer
    | Sequence[tf.compat.v1.train.SyncReplicasOptimizer]
    | None,
    session_config: tf.compat.v1.ConfigProto | None,
    session_wrapper: Callable | None,
    trace_every_n_steps: int | None,
    ignore_live_threads: bool,
    max_steps_per_chunk: int,
) -> int | None:
    """Checks ``learning.train``'s arguments as slim does and warns for TF1-only ones.

    Each argument is the one of ``kslim.learning.train`` of the same name; a
    TF1 session option set to anything but its default warns once that it has
    no effect (the warning points at the caller of ``train``).

    Returns:
      ``number_of_steps`` as a Python int (None stays None).

    Raises:
      ValueError: slim's validation messages (naming the argument and value).
      TypeError: a ``train_op`` that is not a ``TrainOp``; a ``number_of_steps``
        that is not an int.
    """
    if train_op is None:
        raise ValueError("train_op cannot be None.")
    if not isinstance(train_op, TrainOp):
        raise TypeError(
            "train_op must be the TrainOp returned by kslim.learning.create_train_op, got "
            f"{type(train_op).__name__}"
        )
    if logdir is None:
        if summary_op is not USE_DEFAULT and summary_op is not None:
            raise ValueError("Cannot provide summary_op because logdir=None")
        if saver is not None:
            raise ValueError("Cannot provide saver because logdir=None")
        if trace_every_n_steps is not None:
            raise ValueError("Cannot provide trace_every_n_steps because logdir=None")
    if sync_optimizer is not None and startup_delay_steps > 0:
        raise ValueError("startup_delay_steps must be zero when sync_optimizer is supplied.")
    if number_of_steps is not None:
        if isinstance(number_of_steps, bool) or not isinstance(number_of_steps, (int, np.integer)):
            raise TypeError(
                "`number_of_steps` must be either None or a positive int, got "
                f"number_of_steps={number_of_steps!r} ({type(number_of_steps).__name__})"
            )
        if number_of_steps <= 0:
            raise ValueError(
                "`number_of_steps` must be either None or a positive number. Got "
                f"number_of_steps={number_of_steps!r}"
            )
        number_of_steps = int(number_of_steps)
    if sync_optimizer is not None:
        for opt in (
            sync_optimizer if isinstance(sync_optimizer, (list, tuple)) else [sync_optimizer]
        ):
            if type(opt).__name__ != "SyncReplicasOptimizer":
                raise ValueError("`sync_optimizer` must be a tf.train.SyncReplicasOptimizer.")
        warn_replaced(
            "learning.train",
            "sync_optimizer",
            sync_optimizer,
            "pass strategy=tf.distribute.MultiWorkerMirroredStrategy() (or build under its "
            "scope): its replicas train synchronously on the global batch",
            stacklevel=4,
        )
    for name, value, default, why in (
        (
            "master",
            master,
            "",
            "tf.distribute strategies replace masters: pass strategy=... (the cluster comes "
            "from TF_CONFIG)",
        ),
        ("init_op", init_op, USE_DEFAULT, "Keras initializes variables on creation"),
        ("init_feed_dict", init_feed_dict, None, "there are no feeds in TF2"),
        ("local_init_op", local_init_op, USE_DEFAULT, "there are no local init ops in TF2"),
        ("ready_op", ready_op, USE_DEFAULT, "variables are always ready in TF2"),
        ("session_config", session_config, None, "there is no session; use tf.config"),
        ("session_wrapper", session_wrapper, None, "there is no session"),
        ("ignore_live_threads", ignore_live_threads, False, "there are no queue threads"),
        (
            "startup_delay_steps",
            startup_delay_steps,
            0,
            "the workers of a tf.distribute strategy start together (strategy=...)",
        ),
        ("global_step", global_step, None, "the optimizer's iterations are the global step"),
    ):
        if name == "global_step" and value is train_op.optimizer.iterations:
            continue
        # ``value != default`` only for plain values: a tf.Variable compares elementwise.
        plain = isinstance(value, (str, bool, int, float)) or value is None
        if value is not default and not (plain and value == default):
            warn_no_effect(name, value, why, stacklevel=4)
    if summary_op not in (USE_DEFAULT, None):
        warn_no_effect(
            "summary_op", summary_op, "kslim writes the graph's collected summaries", stacklevel=4
        )
    # slim: should_log only ``if log_every_n_steps > 0``, so 0 means never log.
    if (
        isinstance(log_every_n_steps, bool)
        or not isinstance(log_every_n_steps, (int, np.integer))
        or log_every_n_steps < 0
    ):
        raise ValueError(
            "log_every_n_steps must be an int >= 0 (0: never log), got "
            f"log_every_n_steps={log_every_n_steps!r}"
        )
    for name, value in (
        ("save_summaries_secs", save_summaries_secs),
        ("save_interval_secs", save_interval_secs),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
        ):
            raise ValueError(f"{name} must be a number >= 0 or None, got {name}={value!r}")
    if (
        isinstance(max_steps_per_chunk, bool)
        or not isinstance(max_steps_per_chunk, int)
        or max_steps_per_chunk <= 0
    ):
        raise ValueError(
            f"max_steps_per_chunk must be a positive int, got max_steps_per_chunk="
            f"{max_steps_per_chunk!r}"
        )
    return number_of_steps


def train_data(
    train_op: TrainOp,
    dataset: DataLike | None,
    graph: Graph | None,
    batch_size: int,
) -> tf.data.Dataset:
    """The dataset ``learning.train`` trains on, checked against the model's inputs.

    Args:
      train_op: the ``TrainOp``.
      dataset: ``train``'s ``dataset`` (None: the one bound to the train op or
        the graph with ``kslim.data.inputs``).
      graph: the kslim Graph (its bound dataset), or None.
      batch_size: the batch size for numpy data.

    Returns:
      The batched ``tf.data.Dataset``.

    Raises:
      ValueError: no data, or a dataset that does not match the inputs.
    """
    data = dataset if dataset is not None else train_op.bound_dataset
    if data is None and graph is not None:
        for _, bound in graph.bindings:
            data = bound
            break
    if data is None:
        raise ValueError(
            "learning.train has no data: bind a dataset with kslim.data.inputs(dataset) when "
            "building the model, or pass dataset=..."
        )
    data = as_dataset(data, batch_size)
    check_dataset_matches(data, train_op.input, "dataset")
    return data
