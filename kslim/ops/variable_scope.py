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
from collections.abc import Iterator

import tensorflow as tf

from kslim.ops.graph import get_default_graph


class _ReuseMode:
    def __repr__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


def _is_auto_reuse(reuse) -> bool:
    if reuse is AUTO_REUSE:
        return True
    return type(reuse).__name__ == "_ReuseMode" and "AUTO" in str(reuse).upper()


class VariableScope:
    """A variable scope: its full ``name``, its ``reuse`` mode and name scope.

    Attributes:
      name: the full scope path (``'vgg_16/conv1'``).
      reuse: ``None``/``False`` (create), ``True`` (re-use) or ``AUTO_REUSE``.
      original_name_scope: the name scope opened with it, ending in ``'/'``.
    """

    def __init__(self, name: str, reuse=None, original_name_scope: str = "") -> None:
        self.name = name
        self.reuse = reuse
        self.original_name_scope = original_name_scope

    @property
    def reuses(self) -> bool:
        """True when existing layers are re-used (``reuse`` True or AUTO_REUSE)."""
        return self.reuse is True or _is_auto_reuse(self.reuse)

    def __repr__(self) -> str:
        return f"VariableScope(name={self.name!r}, reuse={self.reuse!r})"


def _tf_v1_scope_name() -> str:
    """The name of an enclosing ``tf.compat.v1.variable_scope`` ('' if none)."""
    return tf.compat.v1.get_variable_scope().name


def current_var_scope(graph) -> tuple[str, object]:
    """(name, reuse) of the current variable scope.

    At the root of the kslim scope stack, an enclosing
    ``tf.compat.v1.variable_scope`` names the scope (migrated code often keeps
    ``with tf.compat.v1.variable_scope('vgg_16'):``); its reuse flag is not used
    (TF2 eager scopes always say AUTO_REUSE), kslim's ``reuse`` rules apply.
    """
    name, reuse = graph.current_var_scope
    if len(graph._var_scope_stack) == 1:
        name = _tf_v1_scope_name()
    return name, reuse


def current_name_scope(graph) -> str:
    """The current name scope ('' or ending in '/'); see ``current_var_scope``."""
    if len(graph._name_scope_stack) == 1:
        name = _tf_v1_scope_name()
        return name + "/" if name else ""
    return graph.current_name_scope


def get_variable_scope() -> VariableScope:
    """Returns the current variable scope of the default graph."""
    graph = get_default_graph()
    name, reuse = current_var_scope(graph)
    return VariableScope(name, reuse, current_name_scope(graph))


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


@contextlib.contextmanager
def name_scope(name: str | None, default_name: str | None = None) -> Iterator[str]:
    """Opens a name scope (for op and weightless-layer names), made unique.

    Args:
      name: the scope name, or None to use ``default_name``. A name ending in
        ``'/'`` re-enters that exact (absolute) scope.
      default_name: used when ``name`` is None.

    Yields:
      The full name-scope string, ending in ``'/'`` (``''`` for the root).
    """
    graph = get_default_graph()
    name = name if name is not None else default_name
    if name is None:
        raise ValueError("name_scope needs a name or a default_name, got None for both")
    if name.endswith("/"):
        full = name
    else:
        parent = current_name_scope(graph).rstrip("/")
        full = graph.unique_name(_join(parent, name)) + "/"
    graph._name_scope_stack.append(full)
    try:
        yield full
    finally:
        graph._name_scope_stack.pop()


def _unique_variable_scope(prefix: str) -> str:
    graph = get_default_graph()
    current = current_var_scope(graph)[0]
    name = _join(current, prefix)
    if graph._scope_counts.get(name, 0) == 0:
        return prefix
    idx = 1
    while graph._scope_counts.get(f"{name}_{idx}", 0) > 0:
        idx += 1
    return f"{prefix}_{idx}"


@contextlib.contextmanager
def variable_scope(
    name_or_scope=None, default_name: str | None = None, reuse=None, values=None
) -> Iterator[VariableScope]:
    """Opens a variable scope, as ``tf.compat.v1.variable_scope`` does.

    Args:
      name_or_scope: a scope name (relative to the current scope), a
        ``VariableScope`` to re-enter (absolute), or None to use
        ``default_name`` made unique (``Conv``, ``Conv_1`` ...).
      default_name: the name used when ``name_or_scope`` is None.
      reuse: ``True`` re-uses the layers created under this scope before,
        ``AUTO_REUSE`` creates or re-uses, ``None`` inherits the parent's mode.
      values: accepted for slim compatibility (the input tensors); unused.

    Yields:
      The ``VariableScope`` entered.

    Raises:
      ValueError: if both ``name_or_scope`` and ``default_name`` are None, or
        ``reuse=True`` is given without ``name_or_scope``.
    """
    del values
    graph = get_default_graph()
    old_name, old_reuse = current_var_scope(graph)
    if name_or_scope is None:
        if default_name is None:
            raise ValueError("If default_name is None then name_or_scope is required")
        if reuse is True:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        relative = _unique_variable_scope(default_name)
        new_name = _join(old_name, relative)
        ns_name = default_name
        new_reuse = reuse or old_reuse
        restore_counts = None
    elif isinstance(name_or_scope, VariableScope):
        new_name = name_or_scope.name
        ns_name = new_name.rsplit("/", 1)[-1]
        new_reuse = reuse if reuse is not None else name_or_scope.reuse
        new_reuse = new_reuse or old_reuse
        restore_counts = dict(graph._scope_counts)
    elif isinstance(name_or_scope, str):
        new_name = _join(old_name, name_or_scope)
        ns_name = name_or_scope
        new_reuse = reuse or old_reuse
        restore_counts = None
    else:
        raise TypeError(
            "VariableScope: name_or_scope must be a string or VariableScope, got "
            f"{name_or_scope!r} of type {type(name_or_scope).__name__}"
        )
    graph._scope_counts[new_name] = graph._scope_counts.get(new_name, 0) + 1
    with name_scope(ns_name) as ns:
        graph._var_scope_stack.append((new_name, new_reuse))
        try:
            yield VariableScope(new_name, new_reuse, ns)
        finally:
            graph._var_scope_stack.pop()
            if restore_counts is not None:
                graph._scope_counts = restore_counts
            else:
                prefix = new_name + "/"
                for key in graph._scope_counts:
                    if key.startswith(prefix):
                        graph._scope_counts[key] = 0
