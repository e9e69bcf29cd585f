"""variable_scope and name_scope with TF1's naming rules, on a kslim.Graph.

Variable scopes name the Keras layers (and so the variables) that slim layer
functions create: ``conv1/weights``, ``Conv_1/biases``. Default names are made
unique per enclosing scope, exactly as TF1 did: a scope's sub-scope counters are
reset when the scope is closed, so re-entering ``variable_scope('a')`` and
creating a default-named layer again names it ``a/Conv`` again (and so collides
unless ``reuse`` is set).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import tensorflow as tf

from kslim.ops.graph import Graph, VariableScope, get_default_graph, is_auto_reuse
from kslim.tensor_types import DTypeLike, Initializer, Regularizer, Reuse, TensorLike


class _ReuseMode:
    def __repr__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


def _is_auto_reuse(reuse: Reuse) -> bool:
    return reuse is AUTO_REUSE or is_auto_reuse(reuse)


def _tf_v1_scope_name() -> str:
    """The name of an enclosing ``tf.compat.v1.variable_scope`` ('' if none)."""
    getter = tf.compat.v1.get_variable_scope
    getter = getattr(getter, "_kslim_original", getter)  # TF's, not kslim's dispatcher
    return getter().name


def current_var_scope(graph: Graph) -> tuple[str, object]:
    """(name, reuse) of the current variable scope.

    At the root of the kslim scope stack, an enclosing
    ``tf.compat.v1.variable_scope`` names the scope (migrated code often keeps
    ``with tf.compat.v1.variable_scope('vgg_16'):``); its reuse flag is not used
    (TF2 eager scopes always say AUTO_REUSE), kslim's ``reuse`` rules apply.
    """
    name, reuse = graph.current_var_scope
    if graph.at_root_variable_scope and not name:
        name = _tf_v1_scope_name()
    return name, reuse


def current_name_scope(graph: Graph) -> str:
    """The current name scope ('' or ending in '/'); see ``current_var_scope``."""
    if graph.at_root_name_scope:
        name = _tf_v1_scope_name()
        return name + "/" if name else ""
    return graph.current_name_scope


def get_variable_scope() -> VariableScope:
    """Returns the current variable scope of the default graph (the live object).

    ``get_variable_scope().reuse_variables()`` makes the open scope re-use its
    layers and variables (at the root: for the rest of the graph, as in TF1).
    """
    graph = get_default_graph()
    scope = graph.current_variable_scope
    if graph.at_root_variable_scope and not scope.name:
        tf_name = _tf_v1_scope_name()
        if tf_name:
            return scope.copy_with(name=tf_name, original_name_scope=tf_name + "/")
    return scope


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


@contextlib.contextmanager
def name_scope(
    name: str | None, default_name: str | None = None, values: TensorLike | None = None
) -> Iterator[str]:
    """Opens a name scope (for op and weightless-layer names), made unique.

    Args:
      name: the scope name, or None to use ``default_name``. A name ending in
        ``'/'`` re-enters that exact (absolute) scope; ``''`` is the root.
      default_name: used when ``name`` is None.
      values: accepted for TF1 compatibility (the input tensors); unused.

    Yields:
      The full name-scope string, ending in ``'/'`` (``''`` for the root).

    Raises:
      ValueError: if ``name`` and ``default_name`` are both None.
      TypeError: if the name is not a string.
    """
    del values
    graph = get_default_graph()
    name = name if name is not None else default_name
    if name is None:
        raise ValueError("name_scope needs a name or a default_name, got None for both")
    if not isinstance(name, str):
        raise TypeError(f"name_scope: name must be a string, got {name!r}")
    if not name or name.endswith("/"):
        full = name
    else:
        parent = current_name_scope(graph).rstrip("/")
        full = graph.unique_name(_join(parent, name)) + "/"
    with graph.entered_name_scope(full):
        if _building_tf_graph():
            # Tracing (tf.function, a template's graph call): TF ops in the model code
            # get the same name scope, as in TF1 ('InceptionV3/Mixed_5b/concat').
            with tf.name_scope(full or ""):
                yield full
        else:
            yield full


def _building_tf_graph() -> bool:
    """True while TF ops are recorded into a graph (a tf.function trace)."""
    return not tf.executing_eagerly() and tf.compat.v1.executing_eagerly_outside_functions()


def _unique_variable_scope(prefix: str) -> str:
    graph = get_default_graph()
    current = current_var_scope(graph)[0]
    name = _join(current, prefix)
    if graph.scope_count(name) == 0:
        return prefix
    idx = 1
    while graph.scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


_VALUES_TYPES = (list, tuple)


def _check_reuse(reuse: Reuse):
    if reuse is None or reuse is True or reuse is False or _is_auto_reuse(reuse):
        return None if reuse is False else reuse
    raise ValueError(
        f"variable_scope: reuse must be None, True, False or AUTO_REUSE, got {reuse!r}"
    )


def variable_scope(
    name_or_scope: str | VariableScope | None = None,
    default_name: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> contextlib.AbstractContextManager[VariableScope]:
    """Opens a variable scope, as ``tf.compat.v1.variable_scope`` does.

    ``variable_scope(name_or_scope, default_name=None, reuse=None, values=None,
    initializer=None, regularizer=None, caching_device=None, partitioner=None,
    custom_getter=None, dtype=None, use_resource=None, constraint=None,
    auxiliary_name_scope=True)``. The third positional argument is ``reuse``;
    a list or tuple there is taken as ``values`` (TF1's third positional, as in
    ``variable_scope(scope, 'Conv', [inputs], reuse=reuse)``). See
    ``variable_scope_context`` for the arguments.
    """
    if len(args) > 2:
        raise TypeError(f"variable_scope takes at most 4 positional arguments, got {len(args) + 2}")
    if args and (isinstance(args[0], _VALUES_TYPES) or is_tensor_like(args[0])):
        args = (None, args[0]) + args[1:]
        if len(args) > 2 and args[2] is not None:
            raise TypeError("variable_scope: values given twice (positions 3 and 4)")
        args = args[:2]
    for key, value in zip(("reuse", "values"), args, strict=False):
        if value is None:
            continue
        if key in kwargs:
            raise TypeError(f"variable_scope() got multiple values for argument {key!r}")
        kwargs[key] = value
    return variable_scope_context(name_or_scope, default_name, **kwargs)


@contextlib.contextmanager
def variable_scope_context(
    name_or_scope: str | VariableScope | None = None,
    default_name: str | None = None,
    reuse: Reuse | None = None,
    values: TensorLike | None = None,
    initializer: Initializer | None = None,
    regularizer: Regularizer | None = None,
    caching_device: str | None = None,
    partitioner: Callable[..., Any] | None = None,
    custom_getter: Callable[..., Any] | None = None,
    dtype: DTypeLike | None = None,
    use_resource: bool | None = None,
    constraint: Callable[[Any], Any] | None = None,
    auxiliary_name_scope: bool = True,
) -> Iterator[VariableScope]:
    """The variable scope context behind ``variable_scope`` (keyword arguments).

    Args:
      name_or_scope: a scope name (relative to the current scope), a
        ``VariableScope`` to re-enter (absolute), or None to use
        ``default_name`` made unique (``Conv``, ``Conv_1`` ...).
      default_name: the name used when ``name_or_scope`` is None.
      reuse: ``True`` re-uses the layers created under this scope before,
        ``AUTO_REUSE`` creates or re-uses, ``None`` inherits the parent's mode.
        A list or tuple here is taken as ``values`` (TF1's third positional
        argument: ``variable_scope(scope, 'Conv', [inputs], reuse=reuse)``).
      values: accepted for slim compatibility (the input tensors); unused.
      initializer: defaults
        for ``tf.compat.v1.get_variable`` / ``slim.variable`` in this scope.
      regularizer: see ``initializer``.
      dtype: see ``initializer``.
      constraint: see ``initializer``.
      custom_getter: see ``initializer``.
      caching_device: accepted; unused (Keras variables).
      use_resource: accepted; unused (Keras variables).
      partitioner: must be None.
      auxiliary_name_scope: False opens no name scope (the current one stays).

    Yields:
      The ``VariableScope`` entered (the live object: ``reuse_variables()``
      on it applies to the rest of the block).

    Raises:
      ValueError: if both ``name_or_scope`` and ``default_name`` are None,
        ``reuse`` is set without ``name_or_scope``, ``reuse`` is not a reuse
        mode, or a ``partitioner`` is given.
      TypeError: if ``name_or_scope`` is neither a string nor a VariableScope.
    """
    if isinstance(reuse, _VALUES_TYPES) or is_tensor_like(reuse):
        values, reuse = reuse, None
    del values, caching_device, use_resource
    reuse = _check_reuse(reuse)
    if partitioner is not None:
        raise ValueError(
            f"variable_scope: partitioner={partitioner!r} is not supported: Keras variables "
            "cannot be partitioned (use a tf.distribute strategy to shard)"
        )
    graph = get_default_graph()
    old = get_variable_scope()
    restore_counts = False
    if name_or_scope is None:
        if default_name is None:
            raise ValueError("If default_name is None then name_or_scope is required")
        if reuse:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        ns_name = default_name
    elif isinstance(name_or_scope, VariableScope):
        ns_name = name_or_scope.name.rsplit("/", 1)[-1]
    elif isinstance(name_or_scope, str):
        ns_name = name_or_scope
    else:
        raise TypeError(
            "VariableScope: name_or_scope must be a string or VariableScope, got "
            f"{name_or_scope!r} of type {type(name_or_scope).__name__}"
        )
    with contextlib.ExitStack() as stack:
        if not auxiliary_name_scope:
            current = current_name_scope(graph)
            ns = stack.enter_context(name_scope(current))
        elif ns_name or current_name_scope(graph):
            ns = stack.enter_context(name_scope(ns_name))
        else:
            ns = ""
        if isinstance(name_or_scope, VariableScope):
            new = name_or_scope.copy_with(reuse=reuse if reuse else name_or_scope.reuse)
            restore_counts = True
        else:
            if name_or_scope is None:
                relative = _unique_variable_scope(default_name)
            else:
                relative = name_or_scope
            new = old.copy_with(
                name=_join(old.name, relative),
                reuse=reuse or old.reuse,
                original_name_scope=ns,
            )
        if initializer is not None:
            new.initializer = initializer
        if regularizer is not None:
            new.regularizer = regularizer
        if dtype is not None:
            new.dtype = dtype
        if constraint is not None:
            new.constraint = constraint
        if custom_getter is not None:
            new.custom_getter = _chain_getters(custom_getter, new.custom_getter)
        with graph.entered_variable_scope(new, restore_counts=restore_counts):
            yield new


variable_scope.__signature__ = inspect.signature(variable_scope_context)


def _chain_getters(
    getter: Callable[..., Any], outer: Callable[..., Any] | None
) -> Callable[..., Any]:
    if outer is None:
        return getter

    def chained(next_getter: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return getter(lambda *a, **k: outer(next_getter, *a, **k), *args, **kwargs)

    return chained


def is_tensor_like(value: Any) -> bool:
    """True for a tensor or KerasTensor (values passed where ``reuse`` goes)."""
    return hasattr(value, "shape") and hasattr(value, "dtype")
