"""slim's variable creation: ``variable``, ``model_variable``, local and global variables.

Variables live in the default ``kslim.Graph``'s collections (GLOBAL_VARIABLES,
MODEL_VARIABLES, TRAINABLE_VARIABLES, LOCAL_VARIABLES): slim layers record
theirs when they are built, ``variable``/``model_variable`` record the
``keras.Variable`` they create, named ``<variable scope>/<name>``.

Variables created here belong to no Keras layer. They are listed by
``get_unowned_variables()`` so the training driver (the TrainOp model) tracks,
trains (if trainable) and checkpoints them. Inside a Keras functional graph use
them through ``keras.ops`` (``keras.ops.matmul(net, w)``), which reads the live
variable on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import wrap_regularizer
from kslim.layers.initializers import to_keras_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.ops.variable_scope import current_name_scope, get_variable_scope
from kslim.tensor_types import (
    Collections,
    DTypeLike,
    Initializer,
    Regularizer,
    Reuse,
    ShapeLike,
    TensorLike,
)
from kslim.variables.global_step import is_created_global_step
from kslim.variables.queries import get_variable_full_name

__all__ = [
    "UNOWNED_VARIABLES",
    "VariableDeviceChooser",
    "add_model_variable",
    "get_unowned_variables",
    "get_variable",
    "global_variable",
    "local_variable",
    "model_variable",
    "variable",
]

#: Collection of the variables created by this module's functions (no layer owns them).
UNOWNED_VARIABLES = GraphKeys.UNOWNED_VARIABLES

# A ``device`` argument: a device string or a device function (``VariableDeviceChooser``).
_Device = str | Callable[[Any], str]

_SYNC = {"AUTO": "auto", "ON_WRITE": "on_write", "ON_READ": "on_read", "NONE": "none"}
_AGG = {"NONE": "none", "SUM": "sum", "MEAN": "mean", "ONLY_FIRST_REPLICA": "only_first_replica"}


# ------------------------------------------------------------- creation
def _find_variable(graph: Graph, full_name: str):
    for key in (
        UNOWNED_VARIABLES,
        GraphKeys.GLOBAL_VARIABLES,
        GraphKeys.LOCAL_VARIABLES,
        GraphKeys.MODEL_VARIABLES,
    ):
        for v in graph.get_collection(key):
            if get_variable_full_name(v) == full_name:
                return v
    return None


def _create(
    full_name: str,
    shape: ShapeLike | None,
    dtype: DTypeLike | None,
    initializer: Initializer | TensorLike | None,
    trainable: bool,
    synchronization: tf.VariableSynchronization | str | None = None,
    aggregation: tf.VariableAggregation | str | None = None,
    device: _Device | None = None,
):
    """A ``keras.Variable`` whose ``.path`` is ``full_name``."""
    scope, _, leaf_name = full_name.rpartition("/")
    parent, _, leaf_scope = scope.rpartition("/")
    is_value = initializer is not None and not callable(initializer)
    if is_value:
        value = initializer if isinstance(initializer, tf.Tensor) else np.asarray(initializer)
        if shape is not None and tuple(shape) != tuple(value.shape):
            raise ValueError(
                f"If initializer is a constant, do not specify shape: variable {full_name!r} "
                f"got shape={list(shape)} and a value of shape {list(value.shape)}"
            )
        dtype = tf.as_dtype(dtype or value.dtype).name
        if dtype == "float64" and not isinstance(initializer, (tf.Tensor, np.ndarray)):
            dtype = "float32"  # a Python float: TF1 makes float32 variables
        init, shape = tf.cast(value, dtype), None
    else:
        dtype = tf.as_dtype(dtype or tf.float32).name
        if shape is None or any(d is None for d in shape):
            raise ValueError(
                f"Shape of a new variable ({full_name}) must be fully defined, but instead "
                f"was {shape}."
            )
        init = to_keras_initializer(initializer)
        if init is None:
            init = "glorot_uniform" if tf.as_dtype(dtype).is_floating else "zeros"
        shape = tuple(int(d) for d in shape)
    if callable(device):
        device = device(None)
    with tf.device(device or ""), keras.name_scope(leaf_scope, override_parent=parent):
        return keras.Variable(
            initializer=init,
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            name=leaf_name,
            synchronization=_enum(synchronization, _SYNC),
            aggregation=_enum(aggregation, _AGG),
        )


def _enum(
    value: tf.VariableSynchronization | tf.VariableAggregation | str | None,
    table: dict[str, str],
) -> str:
    if value is None:
        return table.get("AUTO", "none")
    if isinstance(value, str):
        return value
    return table[getattr(value, "name", str(value)).upper()]


def get_variable(
    name: str,
    shape: ShapeLike | None = None,
    dtype: DTypeLike | None = None,
    initializer: Initializer | TensorLike | None = None,
    regularizer: Regularizer | None = None,
    trainable: bool = True,
    collections: Collections | None = None,
    caching_device: str | None = None,
    partitioner: Callable[..., Any] | None = None,
    use_resource: bool | None = None,
    synchronization: tf.VariableSynchronization | str | None = None,
    aggregation: tf.VariableAggregation | str | None = None,
    reuse: Reuse | None = None,
    device: _Device | None = None,
) -> keras.Variable:
    """``tf.compat.v1.get_variable`` for kslim: create or re-use ``<variable scope>/<name>``.

    ``variable`` calls it (through a ``custom_getter`` when given); so does
    kslim's ``tf.compat.v1.get_variable``. The arguments are ``variable``'s, plus
    ``reuse`` (None: the scope's).

    Returns:
      The created or re-used variable.

    Raises:
      ValueError: as ``variable``.
    """
    del caching_device, use_resource  # Keras variables are resource variables.
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if partitioner is not None:
        raise ValueError(
            f"partitioner={partitioner!r} is not supported: Keras variables cannot be "
            "partitioned (use a tf.distribute strategy to shard)"
        )
    sc = get_variable_scope()
    graph = get_default_graph()
    full_name = f"{sc.name}/{name}" if sc.name else name
    existing = _find_variable(graph, full_name)
    reuses = sc.reuses if reuse is None else (reuse is True or sc.reuses)
    claim_key = "variable:" + full_name
    if existing is not None:
        # A tf.function retrace re-runs the code that created it: re-use it.
        if not reuses and not graph.used_by_earlier_trace(claim_key):
            raise ValueError(
                f"Variable {full_name} already exists, disallowed. Did you mean to set "
                "reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
            )
        if shape is not None and tuple(shape) != tuple(existing.shape):
            raise ValueError(
                f"Trying to share variable {full_name}, but specified shape {list(shape)} "
                f"and found shape {list(existing.shape)}."
            )
        if dtype is not None and tf.as_dtype(dtype).name != tf.as_dtype(existing.dtype).name:
            raise ValueError(
                f"Trying to share variable {full_name}, but specified dtype "
                f"{tf.as_dtype(dtype).name} and found dtype {tf.as_dtype(existing.dtype).name}."
            )
        graph.claim(claim_key)
        return existing
    if sc.reuse is True:
        raise ValueError(
            f"Variable {full_name} does not exist, or was not created with "
            "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
        )
    if initializer is None:
        initializer = sc.initializer
    if regularizer is None:
        regularizer = sc.regularizer
    if dtype is None:
        dtype = sc.dtype
    var = _create(
        full_name, shape, dtype, initializer, trainable, synchronization, aggregation, device
    )
    graph.claim(claim_key)
    graph.unique_name(full_name)  # TF1: the variable's op name is in use (summary tags)
    if regularizer is not None:
        var.regularizer = wrap_regularizer(regularizer)
    names = list(
        dict.fromkeys(collections if collections is not None else [GraphKeys.GLOBAL_VARIABLES])
    )
    if trainable and GraphKeys.TRAINABLE_VARIABLES not in names:
        names.append(GraphKeys.TRAINABLE_VARIABLES)
    graph.add_to_collections(names + [UNOWNED_VARIABLES], var)
    return var


@add_arg_scope
def variable(
    name: str,
    shape: ShapeLike | None = None,
    dtype: DTypeLike | None = None,
    initializer: Initializer | TensorLike | None = None,
    regularizer: Regularizer | None = None,
    trainable: bool = True,
    collections: Collections | None = None,
    caching_device: str | None = None,
    device: _Device | None = None,
    partitioner: Callable[..., Any] | None = None,
    custom_getter: Callable[..., Any] | None = None,
    use_resource: bool | None = None,
    synchronization: tf.VariableSynchronization | str | None = None,
    aggregation: tf.VariableAggregation | str | None = None,
) -> keras.Variable:
    """Gets an existing variable ``<variable scope>/<name>`` or creates a new one.

    The variable is a ``keras.Variable`` whose ``.path`` is the slim name. It is
    listed by ``get_unowned_variables()``; the training driver tracks it.

    Args:
      name: the last name component.
      shape: its shape (must be None when ``initializer`` is a value).
      dtype: default float32 (or the value's dtype).
      initializer: a Keras/TF1/slim initializer, a callable ``(shape, dtype)``,
        or a value (array, tensor, number). Default: Glorot uniform for floats,
        zeros otherwise (TF1's).
      regularizer: optional ``variable -> scalar`` callable, kept as
        ``var.regularizer``.
      trainable: whether it joins TRAINABLE_VARIABLES and is trained (default True).
      collections: collection names, default ``[GLOBAL_VARIABLES]``.
      caching_device: accepted; unused (Keras variables are resource variables).
      device: a device string or a device function (``VariableDeviceChooser``).
      partitioner: must be None (Keras has no partitioned variables).
      custom_getter: optional replacement of the getter, called as
        ``custom_getter(name, shape=..., ..., reuse=<scope's reuse>)``.
      use_resource: accepted; unused.
      synchronization: ``tf.VariableSynchronization`` /
        ``tf.VariableAggregation`` values or Keras strings; default AUTO / NONE.
      aggregation: see ``synchronization``.

    Returns:
      The created or re-used variable.

    Raises:
      ValueError: slim's "already exists" error without ``reuse``, "does not
        exist" with ``reuse=True``, a shape/dtype mismatch on re-use, an
        undefined shape, or a ``partitioner``.
    """
    getter = get_variable
    if custom_getter is not None:

        def getter(name: str, **kwargs: Any):
            return custom_getter(name, reuse=get_variable_scope().reuse, **kwargs)

    with tf.device(device(None) if callable(device) else (device or "")):
        return getter(
            name,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable,
            collections=list(dict.fromkeys(collections or [GraphKeys.GLOBAL_VARIABLES])),
            caching_device=caching_device,
            partitioner=partitioner,
            use_resource=use_resource,
            synchronization=synchronization,
            aggregation=aggregation,
        )


@add_arg_scope
def model_variable(
    name: str,
    shape: ShapeLike | None = None,
    dtype: DTypeLike = tf.float32,
    initializer: Initializer | TensorLike | None = None,
    regularizer: Regularizer | None = None,
    trainable: bool = True,
    collections: Collections | None = None,
    caching_device: str | None = None,
    device: _Device | None = None,
    partitioner: Callable[..., Any] | None = None,
    custom_getter: Callable[..., Any] | None = None,
    use_resource: bool | None = None,
    synchronization: tf.VariableSynchronization | str | None = None,
    aggregation: tf.VariableAggregation | str | None = None,
) -> keras.Variable:
    """``variable`` that also joins GLOBAL_VARIABLES and MODEL_VARIABLES.

    Same arguments as ``variable``; ``dtype`` defaults to float32 and
    ``collections`` are extra collections. A ``regularizer`` penalty is
    included by ``kslim.losses.get_regularization_losses()``.

    Returns:
      The created or re-used variable.
    """
    names = list(collections or []) + [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    return variable(
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=names,
        caching_device=caching_device,
        device=device,
        partitioner=partitioner,
        custom_getter=custom_getter,
        use_resource=use_resource,
        synchronization=synchronization,
        aggregation=aggregation,
    )


def _plain_variable(
    initial_value: TensorLike | Callable[[], TensorLike],
    name: str | None,
    collection: str,
    validate_shape: bool,
):
    del validate_shape
    graph = get_default_graph()
    scope = current_name_scope(graph).rstrip("/")
    full_name = graph.unique_name(f"{scope}/{name or 'Variable'}" if scope else name or "Variable")
    claim_key = "variable:" + full_name
    existing = _find_variable(graph, full_name)
    if existing is not None and graph.used_by_earlier_trace(claim_key):
        # A tf.function retrace re-runs the code that created it: re-use it.
        graph.claim(claim_key)
        return existing
    if callable(initial_value):
        initial_value = initial_value()
    var = _create(full_name, None, None, initial_value, False)
    graph.claim(claim_key)
    graph.add_to_collections([collection, UNOWNED_VARIABLES], var)
    return var


def local_variable(
    initial_value: TensorLike | Callable[[], TensorLike],
    validate_shape: bool = True,
    name: str | None = None,
    use_resource: bool | None = None,
) -> keras.Variable:
    """A non-trainable variable in LOCAL_VARIABLES (named in the current name scope).

    Args:
      initial_value: its value (array, tensor, number, or a callable returning one).
      validate_shape: accepted (shapes are always static).
      name: its name, default ``Variable`` (made unique: ``Variable_1`` ...).
      use_resource: accepted; unused.

    Returns:
      The variable.
    """
    del use_resource
    return _plain_variable(initial_value, name, GraphKeys.LOCAL_VARIABLES, validate_shape)


def global_variable(
    initial_value: TensorLike | Callable[[], TensorLike],
    validate_shape: bool = True,
    name: str | None = None,
    use_resource: bool | None = None,
) -> keras.Variable:
    """A non-trainable variable in GLOBAL_VARIABLES (slim's; note: not trainable).

    Args: as ``local_variable``.

    Returns:
      The variable.
    """
    del use_resource
    return _plain_variable(initial_value, name, GraphKeys.GLOBAL_VARIABLES, validate_shape)


def add_model_variable(var: keras.Variable | tf.Variable) -> None:
    """Adds ``var`` to MODEL_VARIABLES if it is not there yet."""
    graph = get_default_graph()
    if all(v is not var for v in graph.get_collection(GraphKeys.MODEL_VARIABLES)):
        graph.add_to_collection(GraphKeys.MODEL_VARIABLES, var)


def get_unowned_variables(graph: Graph | None = None) -> list:
    """The variables of ``graph`` (default graph) that no Keras layer owns.

    Those created by ``variable``/``model_variable``/``global_variable``/
    ``local_variable``.

    ``create_train_op`` adds them to its model so trainable ones are trained
    and global ones are checkpointed. The global step is not among them.
    """
    graph = graph or get_default_graph()
    return [v for v in graph.get_collection(UNOWNED_VARIABLES) if not is_created_global_step(v)]


# ------------------------------------------------------ device chooser
class VariableDeviceChooser:
    """_Device function for variables: round-robin over ``num_tasks`` ps tasks.

    ``VariableDeviceChooser(2)`` returns ``/job:ps/task:0/device:CPU:0``, then
    ``task:1``, ``task:0`` ...; with ``num_tasks=0`` it returns
    ``/device:CPU:0``. Use it as ``with tf.device(chooser(None)):`` or as the
    ``device`` of ``variable``.

    Args:
      num_tasks: number of parameter-server tasks (0: none).
      job_name: the ps job name, default ``'ps'``.
      device_type: ``'CPU'`` (default) or ``'GPU'``.
      device_index: device index, default 0.
      replica: optional replica index.
    """

    def __init__(
        self,
        num_tasks: int = 0,
        job_name: str = "ps",
        device_type: str = "CPU",
        device_index: int = 0,
        replica: int | None = None,
    ) -> None:
        if not isinstance(num_tasks, int) or num_tasks < 0:
            raise ValueError(f"num_tasks must be a non-negative int, got {num_tasks!r}")
        self._job_name = job_name
        self._device_type = device_type
        self._device_index = device_index
        self._replica = replica
        self._num_tasks = num_tasks
        self._next_task_id = 0

    def __call__(self, op: tf.Operation | None) -> str:
        """The device of the variable op ``op``: the next ps task, round-robin."""
        spec = tf.compat.v1.DeviceSpec(
            replica=self._replica, device_type=self._device_type, device_index=self._device_index
        )
        if self._num_tasks > 0:
            task_id = self._next_task_id
            self._next_task_id = (self._next_task_id + 1) % self._num_tasks
            spec.job = self._job_name
            spec.task = task_id
        return spec.to_string()
