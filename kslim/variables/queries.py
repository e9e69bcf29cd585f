"""slim's variable queries: names and the collections' variables by scope, suffix or regex.

A variable's checkpoint name is its ``.path`` (``conv1/weights``); slim's name
regexes are matched against the TF1 name ``<path>:0`` so patterns ending in
``':'`` (``get_variables(suffix=...)``) work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import VariableScope

__all__ = [
    "filter_variables",
    "get_local_variables",
    "get_model_variables",
    "get_trainable_variables",
    "get_unique_variable",
    "get_variable_full_name",
    "get_variables",
    "get_variables_by_name",
    "get_variables_by_suffix",
    "get_variables_to_restore",
]


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


def tf_name(var: Any) -> str:
    """The TF1 name of ``var`` (``conv1/weights:0``), which slim's regexes match."""
    return get_variable_full_name(var) + ":0"


def unique_variables(variables: Iterable) -> list:
    """``variables`` without repeats (by identity), in order."""
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def get_variables(
    scope: str | VariableScope | None = None,
    suffix: str | None = None,
    collection: str = GraphKeys.GLOBAL_VARIABLES,
) -> list:
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
    return [v for v in items if pattern.match(tf_name(v))]


def get_model_variables(
    scope: str | VariableScope | None = None, suffix: str | None = None
) -> list:
    """``get_variables`` on MODEL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_local_variables(
    scope: str | VariableScope | None = None, suffix: str | None = None
) -> list:
    """``get_variables`` on LOCAL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(
    scope: str | VariableScope | None = None, suffix: str | None = None
) -> list:
    """``get_variables`` on TRAINABLE_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_to_restore(
    include: Sequence[str] | None = None, exclude: Sequence[str] | None = None
) -> list:
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


def get_variables_by_suffix(suffix: str, scope: str | VariableScope | None = None) -> list:
    """Global variables whose name ends in ``suffix`` (under ``scope``)."""
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name: str, scope: str | VariableScope | None = None) -> list:
    """Global variables whose last name component is ``given_name``."""
    suffix = "/" + given_name + ":|^" + given_name + ":"
    return get_variables(scope=scope, suffix=suffix)


def get_unique_variable(var_op_name: str) -> keras.Variable | tf.Variable:
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
    var_list: Iterable[Any],
    include_patterns: Iterable[str] | None = None,
    exclude_patterns: Iterable[str] | None = None,
    reg_search: bool = True,
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
        included = [v for v in included if any(match(p, tf_name(v)) for p in include_patterns)]
    if exclude_patterns is None:
        return included
    return [v for v in included if not any(match(p, tf_name(v)) for p in exclude_patterns)]
