"""slim's variables API (``tf_slim.ops.variables``) on Keras variables.

Variables live in the default ``kslim.Graph``'s collections (GLOBAL_VARIABLES,
MODEL_VARIABLES, TRAINABLE_VARIABLES, LOCAL_VARIABLES): slim layers record
theirs when they are built, ``variable``/``model_variable`` record the
``keras.Variable`` they create. A variable's checkpoint name is its ``.path``
(``conv1/weights``); slim's name regexes are matched against the TF1 name
``<path>:0`` so patterns ending in ``':'`` (``get_variables(suffix=...)``) work.

Variables created through ``variable``/``model_variable``/``global_variable``/
``local_variable`` belong to no Keras layer. They are listed by
``get_unowned_variables()`` so the training driver (the TrainOp model) tracks,
trains (if trainable) and checkpoints them. Inside a Keras functional graph use
them through ``keras.ops`` (``keras.ops.matmul(net, w)``), which reads the live
variable on every call.

Checkpoint assignment (``assign_from_checkpoint*``, ``restore_from_slim_checkpoint``)
goes through ``kslim.checkpoints``: every name and shape is checked before any
variable changes, missing names are listed all at once, and a missing or
corrupt checkpoint is named.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim import checkpoints
from kslim.layers.base import wrap_regularizer
from kslim.layers.initializers import to_keras_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.ops.variable_scope import VariableScope, current_name_scope, get_variable_scope

__all__ = [
    "UNOWNED_VARIABLES",
    "VariableDeviceChooser",
    "add_model_variable",
    "assert_global_step",
    "assert_or_get_global_step",
    "assign_from_checkpoint",
    "assign_from_checkpoint_fn",
    "assign_from_values",
    "assign_from_values_fn",
    "create_global_step",
    "filter_variables",
    "get_global_step",
    "get_local_variables",
    "get_model_variables",
    "get_or_create_global_step",
    "get_trainable_variables",
    "get_unique_variable",
    "get_unowned_variables",
    "get_variable_full_name",
    "get_variables",
    "get_variables_by_name",
    "get_variables_by_suffix",
    "get_variables_to_restore",
    "global_variable",
    "local_variable",
    "model_variable",
    "register_global_step",
    "restore_from_slim_checkpoint",
    "variable",
]

_log = logging.getLogger("kslim")

#: Collection of the variables created by this module's functions (no layer owns them).
UNOWNED_VARIABLES = "kslim_unowned_variables"

_SYNC = {"AUTO": "auto", "ON_WRITE": "on_write", "ON_READ": "on_read", "NONE": "none"}
_AGG = {"NONE": "none", "SUM": "sum", "MEAN": "mean", "ONLY_FIRST_REPLICA": "only_first_replica"}


# ----------------------------------------------------------------- names
def get_variable_full_name(var: Any) -> str:
    """Returns the checkpoint name of ``var``: its slim name (``conv1/weights``).

    Args:
      var: a ``keras.Variable`` (its ``.path``) or a ``tf.Variable`` (its
        name without ``:0``).

    Returns:
      The full name.
    """
    path = getattr(var, "path", None)
    if isinstance(path, str):
        return path
    name = getattr(var, "name", None)
    if not isinstance(name, str):
        raise TypeError(f"var must be a variable, got {var!r}")
    return name[:-2] if name.endswith(":0") else name


def _tf_name(var: Any) -> str:
    return get_variable_full_name(var) + ":0"


def _unique(variables: Iterable) -> list:
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


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
    shape,
    dtype,
    initializer,
    trainable: bool,
    synchronization=None,
    aggregation=None,
    device=None,
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


def _enum(value, table) -> str:
    if value is None:
        return table.get("AUTO", "none")
    if isinstance(value, str):
        return value
    return table[getattr(value, "name", str(value)).upper()]


def _get_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=True,
    collections=None,
    caching_device=None,
    partitioner=None,
    use_resource=None,
    synchronization=None,
    aggregation=None,
    reuse=None,
    device=None,
):
    """``tf.get_variable`` for kslim: create or re-use ``<variable scope>/<name>``."""
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
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=True,
    collections=None,
    caching_device=None,
    device=None,
    partitioner=None,
    custom_getter=None,
    use_resource=None,
    synchronization=None,
    aggregation=None,
):
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
      synchronization, aggregation: ``tf.VariableSynchronization`` /
        ``tf.VariableAggregation`` values or Keras strings; default AUTO / NONE.

    Returns:
      The created or re-used variable.

    Raises:
      ValueError: slim's "already exists" error without ``reuse``, "does not
        exist" with ``reuse=True``, a shape/dtype mismatch on re-use, an
        undefined shape, or a ``partitioner``.
    """
    getter = _get_variable
    if custom_getter is not None:

        def getter(name, **kwargs):
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
    name,
    shape=None,
    dtype=tf.float32,
    initializer=None,
    regularizer=None,
    trainable=True,
    collections=None,
    caching_device=None,
    device=None,
    partitioner=None,
    custom_getter=None,
    use_resource=None,
    synchronization=None,
    aggregation=None,
):
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


def _plain_variable(initial_value, name, collection: str, validate_shape: bool):
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


def local_variable(initial_value, validate_shape=True, name=None, use_resource=None):
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


def global_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """A non-trainable variable in GLOBAL_VARIABLES (slim's; note: not trainable).

    Args: as ``local_variable``.

    Returns:
      The variable.
    """
    del use_resource
    return _plain_variable(initial_value, name, GraphKeys.GLOBAL_VARIABLES, validate_shape)


def add_model_variable(var) -> None:
    """Adds ``var`` to MODEL_VARIABLES if it is not there yet."""
    graph = get_default_graph()
    if all(v is not var for v in graph.get_collection(GraphKeys.MODEL_VARIABLES)):
        graph.add_to_collection(GraphKeys.MODEL_VARIABLES, var)


def get_unowned_variables(graph: Graph | None = None) -> list:
    """Variables created by ``variable``/``model_variable``/``global_variable``/
    ``local_variable`` in ``graph`` (default graph): no Keras layer owns them.

    ``create_train_op`` adds them to its model so trainable ones are trained
    and global ones are checkpointed. The global step is not among them.
    """
    graph = graph or get_default_graph()
    return [
        v
        for v in graph.get_collection(UNOWNED_VARIABLES)
        if not getattr(v, "_kslim_global_step", False)
    ]


# ------------------------------------------------------------- queries
def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES) -> list:
    """Variables of ``collection`` whose TF name ``re.match``-es ``scope``/``suffix``.

    ``scope`` is a prefix regex (``'conv1'`` also matches ``conv10/...``;
    use ``'conv1/'``). A ``suffix`` matches ``scope + '.*' + suffix + ':'``.

    Args:
      scope: a string or a ``VariableScope`` (its ``.name``), or None.
      suffix: an optional suffix.
      collection: default GLOBAL_VARIABLES.

    Returns:
      The matching variables, in creation order.
    """
    if scope and isinstance(scope, VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    items = get_default_graph().get_collection(collection)
    if scope is None:
        return items
    pattern = re.compile(scope)
    return [v for v in items if pattern.match(_tf_name(v))]


def get_model_variables(scope=None, suffix=None) -> list:
    """``get_variables`` on MODEL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope=None, suffix=None) -> list:
    """``get_variables`` on LOCAL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None) -> list:
    """``get_variables`` on TRAINABLE_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_to_restore(include=None, exclude=None) -> list:
    """Global variables under the ``include`` scopes minus those under ``exclude``.

    Args:
      include: list/tuple of scope prefixes, or None for all global variables.
      exclude: list/tuple of scope prefixes to drop, or None.

    Returns:
      The variables, in creation order.

    Raises:
      TypeError: if ``include`` or ``exclude`` is given but not a list/tuple.
    """
    if include is None:
        included = get_variables()
    else:
        if not isinstance(include, (list, tuple)):
            raise TypeError("include is provided but is not a list or a tuple.")
        included = []
        for scope in include:
            included += get_variables(scope)
    excluded = set()
    if exclude is not None:
        if not isinstance(exclude, (list, tuple)):
            raise TypeError("exclude is provided but is not a list or a tuple.")
        for scope in exclude:
            excluded |= {id(v) for v in get_variables(scope)}
    return [v for v in included if id(v) not in excluded]


def get_variables_by_suffix(suffix, scope=None) -> list:
    """Global variables whose name ends in ``suffix`` (under ``scope``)."""
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name, scope=None) -> list:
    """Global variables whose last name component is ``given_name``."""
    suffix = "/" + given_name + ":|^" + given_name + ":"
    return get_variables(scope=scope, suffix=suffix)


def get_unique_variable(var_op_name: str):
    """The global variable named exactly ``var_op_name``.

    Raises:
      ValueError: ``"Couldn't find variable %s"`` or ``"Variable %s does not
        uniquely identify a variable"`` (slim's messages).
    """
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError(f"Couldn't find variable {var_op_name}")
    for candidate in candidates:
        if get_variable_full_name(candidate) == var_op_name:
            return candidate
    raise ValueError(f"Variable {var_op_name} does not uniquely identify a variable")


def filter_variables(
    var_list, include_patterns=None, exclude_patterns=None, reg_search=True
) -> list:
    """Filters ``var_list`` by regexes on the TF name (``conv1/weights:0``).

    Args:
      var_list: the variables.
      include_patterns: regexes; a variable is kept if any matches (None: all).
      exclude_patterns: regexes; a kept variable is dropped if any matches.
      reg_search: ``re.search`` (default) or, if False, ``re.match``.

    Returns:
      The filtered list.
    """
    match = re.search if reg_search else re.match
    included = list(var_list)
    if include_patterns is not None:
        included = [v for v in included if any(match(p, _tf_name(v)) for p in include_patterns)]
    if exclude_patterns is None:
        return included
    return [v for v in included if not any(match(p, _tf_name(v)) for p in exclude_patterns)]


# ---------------------------------------------------------- global step
def register_global_step(global_step, graph: Graph | None = None) -> None:
    """Makes ``global_step`` (e.g. a Keras optimizer's ``iterations``) the graph's.

    The TrainOp calls this with its optimizer's ``iterations``. A global step
    created earlier by ``create_global_step`` is replaced (and removed from
    GLOBAL_VARIABLES) after its value is copied into ``global_step``.
    """
    assert_global_step(global_step)
    graph = graph or get_default_graph()
    for old in graph.get_collection(GraphKeys.GLOBAL_STEP):
        if old is global_step:
            continue
        if getattr(old, "_kslim_global_step", False):
            global_step.assign(tf.cast(old, global_step.dtype))
            ref = graph.get_collection_ref(GraphKeys.GLOBAL_VARIABLES)
            ref[:] = [v for v in ref if v is not old]
    graph.clear_collection(GraphKeys.GLOBAL_STEP)
    graph.add_to_collection(GraphKeys.GLOBAL_STEP, global_step)


def assert_global_step(global_step_tensor) -> None:
    """Checks ``global_step_tensor`` is a scalar integer variable or tensor.

    Raises:
      TypeError: TF's messages for a non-variable, non-integer or non-scalar value.
    """
    if not isinstance(global_step_tensor, (tf.Variable, tf.Tensor, keras.Variable)):
        raise TypeError(
            f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.'
        )
    dtype = tf.as_dtype(global_step_tensor.dtype)
    if not dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: {dtype}')
    shape = tf.TensorShape(global_step_tensor.shape)
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def get_global_step(graph: Graph | None = None):
    """The global step of ``graph``: the GLOBAL_STEP collection's single item,
    else a global variable named ``global_step``, else None."""
    graph = graph or get_default_graph()
    items = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(items) > 1:
        _log.error("Multiple tensors in global_step collection.")
        return None
    if items:
        step = items[0]
    else:
        named = [
            v
            for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
            if get_variable_full_name(v) == GraphKeys.GLOBAL_STEP
        ]
        if not named:
            return None
        step = named[0]
    assert_global_step(step)
    return step


def create_global_step(graph: Graph | None = None):
    """Creates ``global_step``: an int64 scalar, non-trainable ``keras.Variable``.

    As TF1's, it is named in the current variable scope (not the name scope):
    created at the top level it is ``global_step``; created by model code inside
    ``variable_scope('cell_0')`` (NASNet's drop path) it is ``cell_0/global_step``.

    Raises:
      ValueError: ``'"global_step" already exists.'``
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    parent, _, leaf = get_variable_scope().name.rpartition("/")
    with tf.device("cpu:0"), keras.name_scope(leaf, override_parent=parent):
        step = keras.Variable(
            0,
            shape=(),
            dtype="int64",
            trainable=False,
            name=GraphKeys.GLOBAL_STEP,
            aggregation="only_first_replica",
        )
    step._kslim_global_step = True
    graph.add_to_collections([GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP], step)
    return step


def get_or_create_global_step(graph: Graph | None = None):
    """The global step of ``graph``, created if there is none.

    Once a TrainOp exists this is its optimizer's ``iterations``.
    """
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def assert_or_get_global_step(graph: Graph | None = None, global_step_tensor=None):
    """Checks ``global_step_tensor`` if given, else returns ``get_global_step(graph)``."""
    if global_step_tensor is None:
        return get_global_step(graph)
    assert_global_step(global_step_tensor)
    return global_step_tensor


# ------------------------------------------------------ device chooser
class VariableDeviceChooser:
    """Device function for variables: round-robin over ``num_tasks`` ps tasks.

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
        self, num_tasks=0, job_name="ps", device_type="CPU", device_index=0, replica=None
    ) -> None:
        if not isinstance(num_tasks, int) or num_tasks < 0:
            raise ValueError(f"num_tasks must be a non-negative int, got {num_tasks!r}")
        self._job_name = job_name
        self._device_type = device_type
        self._device_index = device_index
        self._replica = replica
        self._num_tasks = num_tasks
        self._next_task_id = 0

    def __call__(self, op) -> str:
        spec = tf.compat.v1.DeviceSpec(
            replica=self._replica, device_type=self._device_type, device_index=self._device_index
        )
        if self._num_tasks > 0:
            task_id = self._next_task_id
            self._next_task_id = (self._next_task_id + 1) % self._num_tasks
            spec.job = self._job_name
            spec.task = task_id
        return spec.to_string()


# ------------------------------------------------ assignment from values
def _assigner(pairs: list) -> Callable:
    def assign(*_unused):
        for var, value in pairs:
            var.assign(value)

    return assign


def assign_from_values(var_names_to_values: Mapping[str, Any]):
    """Prepares assigning ``{variable name: value}`` to global variables.

    Values are reshaped to the variable's shape. Everything is checked here,
    so the returned callable assigns all or (on a bad argument) nothing.

    Args:
      var_names_to_values: variable name (a prefix regex, as slim) -> value.

    Returns:
      ``(assign_fn, feed_dict)``: ``assign_fn()`` performs the assignment
      (TF2's replacement of slim's assign op); ``feed_dict`` is ``{}``.

    Raises:
      ValueError: ``"Variable %s wasn't found"``, ``"Variable %s doesn't
        uniquely identify a variable"``, or a value of another size.
    """
    pairs = []
    for var_name, value in var_names_to_values.items():
        found = get_variables(var_name)
        if not found:
            raise ValueError(f"Variable {var_name} wasn't found")
        if len(found) > 1:
            exact = [v for v in found if get_variable_full_name(v) == var_name]
            if not exact:
                raise ValueError(f"Variable {var_name} doesn't uniquely identify a variable")
            found = exact
        var = found[0]
        value = np.asarray(value)
        if value.size != int(np.prod(var.shape)):
            raise ValueError(
                f"value for variable {var_name} has shape {list(value.shape)}, which cannot "
                f"be reshaped to the variable's shape {list(var.shape)}"
            )
        pairs.append((var, value.reshape(tuple(var.shape))))
    return _assigner(pairs), {}


def assign_from_values_fn(var_names_to_values: Mapping[str, Any]) -> Callable:
    """Like ``assign_from_values``; returns ``callback(model_or_session)`` that assigns."""
    assign_fn, _ = assign_from_values(var_names_to_values)
    return assign_fn


# -------------------------------------------- assignment from checkpoints
def _group(var_list) -> dict[str, Any]:
    """ckpt name -> variable, from a list (by full name) or a dict."""
    if isinstance(var_list, Mapping):
        grouped = {}
        for name, value in var_list.items():
            if isinstance(value, (list, tuple)):
                if len(value) != 1:
                    raise ValueError(
                        f"var_list[{name!r}] holds {len(value)} variables; kslim restores one "
                        "variable per checkpoint name (no partitioned variables)"
                    )
                value = value[0]
            grouped[name] = value
        return grouped
    if isinstance(var_list, (list, tuple)):
        return {get_variable_full_name(v): v for v in var_list}
    raise TypeError(f"var_list must be a list/tuple of variables or a dict, got {var_list!r}")


def _present(model_path: str, grouped: dict, ignore_missing_vars: bool, message: str) -> dict:
    names = {n for n, _, _ in checkpoints.list_variables(model_path)}
    present = {}
    for name, var in grouped.items():
        if name in names:
            present[name] = var
        elif ignore_missing_vars:
            _log.warning(message, name, model_path)
    return present


def assign_from_checkpoint(model_path: str, var_list, ignore_missing_vars: bool = False):
    """Reads the values of ``var_list`` from a checkpoint, to be assigned later.

    Names and shapes are checked and values read here, as slim did; the
    returned callable assigns them all.

    Args:
      model_path: checkpoint prefix (or a directory: its latest checkpoint).
      var_list: list of variables (keyed by full name) or a dict
        ``{checkpoint name: variable}`` (renames scopes).
      ignore_missing_vars: skip (with a warning) names absent from the checkpoint.

    Returns:
      ``(assign_fn, feed_dict)``: ``assign_fn()`` assigns the values (TF2's
      replacement of slim's assign op); ``feed_dict`` is ``{}``.

    Raises:
      kslim.checkpoints.CheckpointError (a ValueError): a missing/corrupt
        checkpoint (names it), missing variables (all listed), shape
        mismatches (name, both shapes).
    """
    grouped = _group(var_list)
    if ignore_missing_vars:
        grouped = _present(
            model_path, grouped, True, "Checkpoint is missing variable [%s] (checkpoint %s)"
        )
    values = checkpoints.read_checkpoint(model_path, list(grouped))
    errors = [
        f"{n}: checkpoint shape {list(values[n].shape)} vs variable shape {list(v.shape)}"
        for n, v in grouped.items()
        if tuple(values[n].shape) != tuple(v.shape)
    ]
    if errors:
        raise checkpoints.CheckpointError(
            f"checkpoint {model_path!r} does not match the variables: " + "; ".join(errors)
        )
    return _assigner([(v, values[n]) for n, v in grouped.items()]), {}


def assign_from_checkpoint_fn(
    model_path: str, var_list, ignore_missing_vars: bool = False, reshape_variables: bool = False
):
    """Returns ``callback(model_or_session)`` restoring ``var_list`` from a checkpoint.

    ``kslim.learning.train`` calls ``init_fn(model)``; the argument is ignored
    (the variables are known). The checkpoint is read when the callback runs;
    every name and shape is checked first, so nothing is half-restored.

    Args:
      model_path: checkpoint prefix (or a directory: its latest checkpoint).
      var_list: list of variables or dict ``{checkpoint name: variable}``.
      ignore_missing_vars: drop names absent from the checkpoint now, with a
        warning ``Variable %s missing in checkpoint %s`` each.
      reshape_variables: allow a checkpoint shape with the same number of elements.

    Returns:
      The callback (returning the restored names), or None when
      ``ignore_missing_vars`` leaves nothing to restore.

    Raises:
      ValueError: ``'var_list cannot be empty'``.
      kslim.checkpoints.CheckpointError: when called (or now, with
        ``ignore_missing_vars``) for a missing/corrupt checkpoint, missing
        variables (all listed) or shape mismatches.
    """
    if var_list is None or len(var_list) == 0:
        raise ValueError("var_list cannot be empty")
    grouped = _group(var_list)
    if ignore_missing_vars:
        grouped = _present(model_path, grouped, True, "Variable %s missing in checkpoint %s")
    if not grouped:
        _log.warning("No Variables to restore")
        return None

    def callback(model_or_session=None):
        del model_or_session
        return checkpoints.restore_variables(
            model_path, grouped, reshape_variables=reshape_variables
        )

    return callback


def restore_from_slim_checkpoint(
    model,
    checkpoint_path: str,
    include=None,
    exclude=None,
    ignore_missing_vars: bool = False,
    reshape_variables: bool = False,
) -> list[str]:
    """Loads a slim (TF1) checkpoint into a Keras model's weights by name.

    Each weight's ``.path`` (``conv1/weights`` for kslim layers) is its
    checkpoint name. All or nothing: names and shapes are checked first.

    Args:
      model: a Keras model or layer (its ``weights``), or a list of variables.
      checkpoint_path: checkpoint prefix or a directory (its latest checkpoint).
      include: list/tuple of name prefixes (regex ``re.match``) to restore; None: all.
      exclude: list/tuple of name prefixes to leave alone (e.g. ``['fc5']``).
      ignore_missing_vars: skip, with a warning, weights absent from the checkpoint.
      reshape_variables: allow same-size checkpoint tensors of another shape.

    Returns:
      The checkpoint names restored.

    Raises:
      TypeError: ``include``/``exclude`` not a list or tuple.
      kslim.checkpoints.CheckpointError: missing/corrupt checkpoint, missing
        weights (all listed), shape mismatches.
    """
    for arg, value in (("include", include), ("exclude", exclude)):
        if value is not None and not isinstance(value, (list, tuple)):
            raise TypeError(f"{arg} is provided but is not a list or a tuple. Got {value!r}")
    weights = model if isinstance(model, (list, tuple)) else model.weights
    selected = []
    for var in _unique(weights):
        name = _tf_name(var)
        if include is not None and not any(re.match(p, name) for p in include):
            continue
        if exclude is not None and any(re.match(p, name) for p in exclude):
            continue
        selected.append(var)
    grouped = {get_variable_full_name(v): v for v in selected}
    if ignore_missing_vars:
        grouped = _present(checkpoint_path, grouped, True, "Variable %s missing in checkpoint %s")
    if not grouped:
        _log.warning("No Variables to restore")
        return []
    return checkpoints.restore_variables(
        checkpoint_path, grouped, reshape_variables=reshape_variables
    )
