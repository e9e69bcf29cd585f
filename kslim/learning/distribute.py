"""Helpers shared by training, evaluation and the CLI to run on a ``tf.distribute`` strategy.

kslim trains with TensorFlow's own distributed engine: a ``tf.distribute.Strategy``
(``MirroredStrategy`` over the local devices, ``MultiWorkerMirroredStrategy`` over the
workers of ``TF_CONFIG``). This module holds the one implementation of what training,
evaluation and ``kslim train/eval --strategy`` need from it:

* ``resolve_strategy``: the strategy a call runs under (``strategy=`` or the one the
  model's variables were created under), with a clear error when the two disagree;
* ``make_strategy``: a strategy from its CLI name (``mirrored`` / ``multi_worker``);
* ``is_chief`` / ``task_label`` / ``worker_log_prefix``: slim's chief semantics (task 0
  of ``chief``/``worker``) and the task id in non-chief log lines;
* ``distribute_dataset``: the global batches bound by ``kslim.data.inputs``, split per
  replica with ``distribute_datasets_from_function`` (per-worker sharding by
  ``tf.distribute.InputContext``);
* ``worker_temp_dir``: where a non-chief worker writes its checkpoints (removed at the
  end);
* ``agree_with_chief`` / ``gather_from_chief``: every worker takes the chief's decision
  (fresh start or resume) and, through ``callbacks.ChiefSync``, the chief's restored
  variables;
* ``warn_replaced``: one warning per TF1 cluster argument, saying what replaced it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "STRATEGY_NAMES",
    "WorkerLostError",
    "agree_with_chief",
    "gather_from_chief",
    "distribute_dataset",
    "in_multi_worker",
    "is_chief",
    "make_strategy",
    "remove_worker_temp_dir",
    "resolve_strategy",
    "task_label",
    "warn_replaced",
    "worker_log_prefix",
    "worker_temp_dir",
]

_log = logging.getLogger("kslim")

STRATEGY_NAMES = ("default", "mirrored", "multi_worker")

# Errors a collective raises when a peer worker died or stopped answering.
_PEER_ERRORS = (
    tf.errors.UnavailableError,
    tf.errors.DeadlineExceededError,
    tf.errors.CancelledError,
    tf.errors.AbortedError,
    tf.errors.InternalError,
)


class WorkerLostError(ConnectionError):
    """A worker of a multi-worker cluster died or stopped answering during a collective.

    Every worker stops: restart all of them (same ``TF_CONFIG``, same script) and the
    cluster resumes from the chief's last complete checkpoint. (A ``ConnectionError``,
    so an ``OSError``: ``kslim train`` prints it as a one-line error.)
    """


# --------------------------------------------------------------- strategies
def make_strategy(name: str | None, argname: str = "--strategy") -> tf.distribute.Strategy:
    """Returns a strategy from its CLI name.

    Args:
      name: ``None``/``"default"`` (the default, one-device strategy), ``"mirrored"``
        (``MirroredStrategy`` over every local GPU, or the local CPU devices when there is
        no GPU) or ``"multi_worker"`` (``MultiWorkerMirroredStrategy`` over the cluster of
        the ``TF_CONFIG`` environment variable).
      argname: the argument named in errors.

    Returns:
      The ``tf.distribute.Strategy``.

    Raises:
      ValueError: an unknown name, or ``multi_worker`` without a ``TF_CONFIG`` naming a
        cluster.
    """
    if name in (None, "", "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        import json

        raw = os.environ.get("TF_CONFIG", "")
        try:
            config = json.loads(raw) if raw else {}
        except ValueError as e:
            raise ValueError(f"{argname} multi_worker: TF_CONFIG is not valid JSON: {e}") from None
        if not config.get("cluster"):
            raise ValueError(
                f"{argname} multi_worker needs the TF_CONFIG environment variable to describe "
                'the cluster and this task, e.g. TF_CONFIG=\'{"cluster": {"worker": '
                '["host0:port", "host1:port"]}, "task": {"type": "worker", "index": 0}}\''
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"{argname} must be one of {', '.join(STRATEGY_NAMES)}, got {name!r}")


def _model_variables(model: keras.Model | Sequence[tf.Variable | keras.Variable]) -> list:
    if isinstance(model, (list, tuple)):
        return list(model)
    variables = list(getattr(model, "weights", []))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "iterations", None) is not None:
        variables.append(optimizer.iterations)
    return variables


def resolve_strategy(
    strategy: tf.distribute.Strategy | None,
    model: keras.Model | Sequence[tf.Variable | keras.Variable] | None = None,
    fn: str = "learning.train",
) -> tf.distribute.Strategy:
    """The strategy a training or evaluation call runs under.

    ``strategy=None`` takes the strategy the model was created under (a graph built in
    ``with strategy.scope():``) or, without a model, the current one. A given strategy
    must be the one the model's variables were created under: variables are placed on the
    replicas when they are created, so a model built outside ``strategy.scope()`` cannot
    be moved onto the strategy afterwards.

    Args:
      strategy: None or a ``tf.distribute.Strategy``.
      model: the ``TrainOp`` / evaluation model (or a list of variables) whose
        variables are checked, or None.
      fn: the public function named in errors.

    Returns:
      The ``tf.distribute.Strategy``.

    Raises:
      TypeError: ``strategy`` is not a ``tf.distribute.Strategy``.
      ValueError: the model's variables were not created under ``strategy``.
    """
    if strategy is None:
        # The strategy the variables were created under (a distributed variable knows it),
        # else the model's (Keras records the strategy a model is created under).
        for variable in _model_variables(model) if model is not None else []:
            owner = getattr(getattr(variable, "value", variable), "distribute_strategy", None)
            if isinstance(owner, tf.distribute.Strategy):
                return owner
        if model is not None and getattr(model, "distribute_strategy", None) is not None:
            return model.distribute_strategy
        return tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            f"{fn}: strategy must be a tf.distribute.Strategy or None, got "
            f"strategy={strategy!r} ({type(strategy).__name__})"
        )
    if model is not None:
        stray = [
            getattr(v, "path", None) or v.name
            for v in _model_variables(model)
            if not strategy.extended.variable_created_in_scope(getattr(v, "value", v))
        ]
        if stray:
            raise ValueError(
                f"{fn}: strategy={type(strategy).__name__} was given, but the model's "
                f"variables were not created under it ({', '.join(stray[:3])}"
                f"{', ...' if len(stray) > 3 else ''}): build the graph, the optimizer and "
                "create_train_op inside `with strategy.scope():` and pass the same strategy"
            )
    return strategy


def in_multi_worker(strategy: tf.distribute.Strategy | None) -> bool:
    """True for a strategy whose replicas span several worker processes."""
    return bool(getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)())


def _task(strategy: tf.distribute.Strategy | None) -> tuple[str | None, int | None]:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not in_multi_worker(strategy):
        return None, None
    return resolver.task_type, resolver.task_id


def is_chief(strategy: tf.distribute.Strategy | None) -> bool:
    """False on the workers of a multi-worker strategy that are not its chief.

    The chief is the ``chief`` task, or worker 0 when the cluster has none (what
    ``tf.distribute`` reports as ``extended.should_checkpoint``); one-machine strategies
    have only a chief.
    """
    return bool(getattr(strategy.extended, "should_checkpoint", True))


def task_label(strategy: tf.distribute.Strategy | None) -> str | None:
    """``"worker 1"`` for a task of a multi-worker strategy, None on one machine."""
    task_type, task_id = _task(strategy)
    if task_type is None:
        return None
    return f"{task_type} {task_id}"


class _PrefixFilter(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_kslim_prefixed", False):
            record.msg = f"{self.prefix}{record.msg}"
            record._kslim_prefixed = True
        return True


@contextlib.contextmanager
def worker_log_prefix(strategy: tf.distribute.Strategy | None) -> Iterator[None]:
    """While active, kslim's log lines on a non-chief worker start with its task id.

    ``"worker 1: global step 3: loss = ..."``. The ``kslim`` logger gets a filter that
    rewrites the message (no handler, level or format is touched: the application
    configures logging); the chief's lines are unchanged.
    """
    label = task_label(strategy)
    if label is None or is_chief(strategy):
        yield
        return
    logger = logging.getLogger("kslim")
    prefix = _PrefixFilter(f"{label}: ")
    logger.addFilter(prefix)
    try:
        yield
    finally:
        logger.removeFilter(prefix)


# ------------------------------------------------------------------- data
def distribute_dataset(
    strategy: tf.distribute.Strategy | None, dataset: tf.data.Dataset, argname: str = "dataset"
) -> tf.data.Dataset | tf.distribute.DistributedDataset:
    """The strategy's distributed dataset of ``dataset``'s global batches.

    Each element of ``dataset`` is one global batch (what ``kslim.data.inputs`` binds, as
    slim's synchronous replicas). With ``distribute_datasets_from_function`` every worker
    builds its own input pipeline (``tf.distribute.InputContext``) and keeps, of each
    global batch, the rows of its own replicas: replica ``r`` of ``N`` gets rows
    ``[r*B/N, (r+1)*B/N)``. The replicas together see exactly the global batch, so N
    replicas train the numbers of one replica on batch ``B``. A one-replica strategy
    returns ``dataset`` unchanged.

    Args:
      strategy: the ``tf.distribute.Strategy``.
      dataset: a batched ``tf.data.Dataset`` of dense tensors.
      argname: the argument named in errors.

    Returns:
      A ``tf.distribute.DistributedDataset`` (or ``dataset`` for one replica).

    Raises:
      ValueError: a static batch size that the number of replicas does not divide (a
        dynamic one is checked per batch: ``InvalidArgumentError`` naming both).
    """
    replicas = strategy.num_replicas_in_sync
    if replicas == 1 and not in_multi_worker(strategy):
        return dataset
    specs = tf.nest.flatten(dataset.element_spec)
    if not all(isinstance(s, tf.TensorSpec) and s.shape.rank for s in specs):
        # Sparse, ragged or unbatched elements: tf.distribute's own rebatching.
        return strategy.experimental_distribute_dataset(dataset)
    batch = specs[0].shape[0]
    if batch is not None and batch % replicas:
        raise ValueError(
            f"{argname}: the global batch size {batch} is not a multiple of the "
            f"{replicas} replicas of {type(strategy).__name__}; batch the data with a "
            "multiple of strategy.num_replicas_in_sync"
        )

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        total = context.num_replicas_in_sync
        local = total // context.num_input_pipelines
        first = context.input_pipeline_id * local

        def split(x: tf.Tensor):
            rows = tf.shape(x)[0]
            tf.debugging.assert_equal(
                rows % total,
                0,
                message=f"{argname}: a global batch is not a multiple of the {total} replicas",
            )
            static = x.shape[0]
            per = static // total if static is not None else rows // total
            shape = [total, per] + [d if d is not None else -1 for d in x.shape[1:]]
            if any(d == -1 for d in shape[2:]):
                shape = tf.concat([[total, per], tf.shape(x)[1:]], 0)
            return tf.reshape(x, shape)[first : first + local]

        def to_replicas(*element: Any):
            structure = element[0] if len(element) == 1 else element
            return tf.data.Dataset.from_tensor_slices(tf.nest.map_structure(split, structure))

        return dataset.flat_map(to_replicas).prefetch(tf.data.AUTOTUNE)

    return strategy.distribute_datasets_from_function(dataset_fn)


# ---------------------------------------------------------- non-chief files
def worker_temp_dir(logdir: str | None, strategy: tf.distribute.Strategy | None) -> str | None:
    """An empty temporary folder for a non-chief worker's checkpoints.

    ``tf.distribute``'s multi-worker guides have every worker run the same saves (a save
    may read variables with collectives) and the non-chief workers write them to
    temporary places that are deleted. The folder is
    ``<logdir's parent>/.<logdir name>-<task>-tmp`` (e.g. ``.train-worker1-tmp``) when
    that parent is writable, else in the system temp folder; a leftover of a killed run
    is emptied first. Remove it with ``remove_worker_temp_dir``.

    Args:
      logdir: the training logdir (None: no checkpoints, no folder).
      strategy: the strategy (its task id names the folder).

    Returns:
      The folder's path, or None when ``logdir`` is None.
    """
    if logdir is None:
        return None
    label = (task_label(strategy) or "worker").replace(" ", "")
    path = os.path.abspath(logdir)
    name = f".{os.path.basename(path) or 'logdir'}-{label}-tmp"
    try:
        folder = os.path.join(os.path.dirname(path), name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        return folder
    except OSError:
        return tempfile.mkdtemp(prefix=f"kslim-{label}-")


def remove_worker_temp_dir(path: str | None) -> None:
    """Deletes a folder made by ``worker_temp_dir`` (nothing for None)."""
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------ agreeing with chief
def gather_from_chief(strategy: tf.distribute.Strategy | None, values: list) -> list:
    """The chief's ``values`` on every worker, as float64 tensors of their shapes.

    One all-gather of all of them, packed in one vector.

    Args:
      strategy: the model's strategy.
      values: tensors (each worker passes its own of the same shapes).

    Returns:
      The chief's values, in order.
    """
    chief = 1.0 if is_chief(strategy) else 0.0
    shapes = [tf.shape(v) for v in values]
    sizes = [int(tf.size(v)) for v in values]
    flat = [tf.reshape(tf.cast(v, tf.float64), [-1]) for v in values]
    packed = tf.concat([tf.constant([chief], tf.float64), *flat], 0)

    @tf.function
    def gather(vector: tf.Tensor):
        local = strategy.run(tf.identity, args=(vector,))
        return strategy.gather(local, axis=0)

    rows = tf.reshape(gather(tf.expand_dims(packed, 0)), [-1, 1 + sum(sizes)]).numpy()
    chosen = rows[int(np.argmax(rows[:, 0]))][1:]
    out, start = [], 0
    for shape, size in zip(shapes, sizes, strict=True):
        out.append(tf.reshape(chosen[start : start + size], shape))
        start += size
    return out


def agree_with_chief(strategy: tf.distribute.Strategy | None, value: bool) -> bool:
    """The chief's ``value`` on every worker of a multi-worker strategy.

    ``value`` itself on one machine. Every worker must call it at the same point (a
    collective).
    """
    if not in_multi_worker(strategy):
        return bool(value)
    (chief_value,) = gather_from_chief(strategy, [tf.constant(float(bool(value)))])
    return bool(chief_value.numpy() > 0.5)


def peer_error(error: BaseException) -> bool:
    """Whether ``error`` is a collective failing because a peer worker is gone."""
    return isinstance(error, _PEER_ERRORS)


# ---------------------------------------------------------------- warnings
def warn_replaced(fn: str, name: str, value: Any, replacement: str, stacklevel: int = 3) -> None:
    """One warning for a TF1 cluster argument (``master``, ``sync_optimizer``, ...).

    Args:
      fn: the public function (``learning.train``).
      name: the argument.
      value: its value.
      replacement: what replaced it, e.g. ``"pass strategy=tf.distribute...."``.
      stacklevel: as ``warnings.warn``.
    """
    warnings.warn(
        f"{fn}: {name}={value!r} has no effect in kslim: {replacement}", stacklevel=stacklevel
    )
