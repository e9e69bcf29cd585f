"""TF1 scopes, variables, collections and summaries in slim model code, on kslim.

Published slim code calls TF1 APIs next to slim's layer functions:
``tf.compat.v1.variable_scope(scope, 'InceptionV3', [inputs]) as sc``,
``sc.original_name_scope``, ``tf.compat.v1.get_variable``,
``tf.compat.v1.add_to_collection``/``get_collection``, ``tf.compat.v1.summary.*``.
In TF2 none of these reach kslim: TF's v1 variable scopes do not name Keras
layers, its collections are empty and its summaries need a TF1 graph.

``install()`` (run by ``import kslim``) replaces these functions in every
``tf.compat.v1`` module object (``tf.compat.v1``, ``tensorflow.compat.v1``,
``tf.compat.v2.compat.v1`` ...) by dispatchers that decide per call:

* TF2 behaviour (``tf.compat.v1.executing_eagerly_outside_functions()``: eager,
  Keras functional building, and inside ``tf.function``): kslim's implementation
  on the default ``kslim.Graph`` (scopes name kslim layers and variables, the
  collections are kslim's, summaries are recorded for ``learning.train``).
* TF1 graph mode (``tf.compat.v1.disable_eager_execution()`` or inside a
  ``tf.Graph().as_default()`` block): TF's original function, so TF1 code and
  tf_slim itself behave exactly as without kslim.

``uninstall()`` puts TF's functions back.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf

from kslim.ops import graph as _graph
from kslim.ops import variable_scope as _vs
from kslim.ops.scope_objects import VariableScope
from kslim.tensor_types import (
    Collections,
    DTypeLike,
    Initializer,
    Regularizer,
    Reuse,
    ShapeLike,
    TensorLike,
)

__all__ = ["install", "installed", "tf2_behavior", "uninstall"]


def tf2_behavior() -> bool:
    """True where kslim's implementations apply (not in TF1 graph mode)."""
    return tf.compat.v1.executing_eagerly_outside_functions()


# ------------------------------------------------------------- scopes
def variable_scope(
    name_or_scope: str | VariableScope | None,
    default_name: str | None = None,
    values: TensorLike | None = None,
    initializer: Initializer | None = None,
    regularizer: Regularizer | None = None,
    caching_device: str | None = None,
    partitioner: Callable[..., Any] | None = None,
    custom_getter: Callable[..., Any] | None = None,
    reuse: Reuse | None = None,
    dtype: DTypeLike | None = None,
    use_resource: bool | None = None,
    constraint: Callable[[Any], Any] | None = None,
    auxiliary_name_scope: bool = True,
):
    """``tf.compat.v1.variable_scope`` naming kslim layers (TF1's signature)."""
    return _vs.variable_scope_context(
        name_or_scope,
        default_name,
        reuse=reuse,
        values=values,
        initializer=initializer,
        regularizer=regularizer,
        caching_device=caching_device,
        partitioner=partitioner,
        custom_getter=custom_getter,
        dtype=dtype,
        use_resource=use_resource,
        constraint=constraint,
        auxiliary_name_scope=auxiliary_name_scope,
    )


def name_scope(name: str | None, default_name: str | None = None, values: TensorLike | None = None):
    """``tf.compat.v1.name_scope``; ``name_scope(None)`` resets to the root, as TF1."""
    if name is None and default_name is None:
        if values is not None:
            raise ValueError(
                f"name_scope: at least one of name ({name!r}) and default_name "
                f"({default_name!r}) must be provided when values are given"
            )
        name = ""
    return _vs.name_scope(name, default_name, values)


def get_variable_scope():
    """``tf.compat.v1.get_variable_scope``: kslim's live current scope."""
    return _vs.get_variable_scope()


def get_variable(
    name: str,
    shape: ShapeLike | None = None,
    dtype: DTypeLike | None = None,
    initializer: Initializer | TensorLike | None = None,
    regularizer: Regularizer | None = None,
    trainable: bool | None = None,
    collections: Collections | None = None,
    caching_device: str | None = None,
    partitioner: Callable[..., Any] | None = None,
    validate_shape: bool = True,
    use_resource: bool | None = None,
    custom_getter: Callable[..., Any] | None = None,
    constraint: Callable[[Any], Any] | None = None,
    synchronization: tf.VariableSynchronization | str | None = None,
    aggregation: tf.VariableAggregation | str | None = None,
):
    """``tf.compat.v1.get_variable``: creates or re-uses ``<scope>/<name>`` in kslim.

    The variable is a ``keras.Variable`` named by the variable scope, kept in
    the kslim graph (GLOBAL_VARIABLES, TRAINABLE_VARIABLES) and trained and
    checkpointed by ``create_train_op``; the scope's ``initializer``,
    ``regularizer``, ``dtype`` and ``custom_getter`` apply; ``reuse`` re-uses it.
    """
    from kslim.variables.creation import get_variable as kslim_get_variable

    del validate_shape
    if trainable is None:
        on_read = getattr(synchronization, "name", str(synchronization)).upper() == "ON_READ"
        trainable = not on_read
    sc = _vs.get_variable_scope()
    if constraint is None:
        constraint = sc.constraint

    def getter(name: str, *args: Any, **kwargs: Any):
        for unused in ("validate_shape", "constraint", "custom_getter"):
            kwargs.pop(unused, None)
        return kslim_get_variable(name, *args, **kwargs)

    kwargs = dict(
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        reuse=sc.reuse,
        trainable=trainable,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        use_resource=use_resource,
        synchronization=synchronization,
        aggregation=aggregation,
    )
    # As TF1: an explicit custom_getter replaces the scope's.
    custom = custom_getter if custom_getter is not None else sc.custom_getter
    if custom is not None:
        getter = functools.partial(custom, getter)
    var = getter(name, **kwargs)
    if constraint is not None and getattr(var, "constraint", None) is None:
        var.constraint = constraint
    return var


# -------------------------------------------------------- collections
def add_to_collection(name: str, value: Any) -> None:
    """``tf.compat.v1.add_to_collection`` on the default kslim graph."""
    _graph.get_default_graph().add_to_collection(name, value)


def add_to_collections(names: str | Sequence[str], value: Any) -> None:
    """``tf.compat.v1.add_to_collections`` on the default kslim graph."""
    _graph.get_default_graph().add_to_collections(names, value)


def get_collection(key: str, scope: str | None = None) -> list:
    """``tf.compat.v1.get_collection`` on the default kslim graph.

    REGULARIZATION_LOSSES gives ``kslim.losses.get_regularization_losses(scope)``
    (the penalties of the layers' and variables' regularizers, as TF1 listed).
    """
    if key == _graph.GraphKeys.REGULARIZATION_LOSSES:
        from kslim.losses import get_regularization_losses

        return list(get_regularization_losses(scope))
    return _graph.get_default_graph().get_collection(key, scope)


def get_collection_ref(key: str) -> list:
    """``tf.compat.v1.get_collection_ref``: the live list of the kslim collection."""
    return _graph.get_default_graph().get_collection_ref(key)


def _variables_getter(key: str) -> Callable[[str | None], list]:
    def getter(scope: str | None = None) -> list:
        return _graph.get_default_graph().get_collection(key, scope)

    getter.__name__ = {
        _graph.GraphKeys.GLOBAL_VARIABLES: "global_variables",
        _graph.GraphKeys.TRAINABLE_VARIABLES: "trainable_variables",
        _graph.GraphKeys.LOCAL_VARIABLES: "local_variables",
        _graph.GraphKeys.MODEL_VARIABLES: "model_variables",
    }[key]
    getter.__doc__ = f"``tf.compat.v1.{getter.__name__}`` from the kslim graph."
    return getter


# ---------------------------------------------------------- the table
def _summary_functions() -> dict[str, Callable]:
    from kslim import summaries

    return {
        "scalar": summaries.tf1_scalar,
        "histogram": summaries.tf1_histogram,
        "image": summaries.tf1_image,
        "merge": summaries.tf1_merge,
        "merge_all": summaries.tf1_merge_all,
    }


def _functions() -> dict[str, Callable]:
    keys = _graph.GraphKeys
    return {
        "variable_scope": variable_scope,
        "name_scope": name_scope,
        "get_variable_scope": get_variable_scope,
        "get_variable": get_variable,
        "add_to_collection": add_to_collection,
        "add_to_collections": add_to_collections,
        "get_collection": get_collection,
        "get_collection_ref": get_collection_ref,
        "global_variables": _variables_getter(keys.GLOBAL_VARIABLES),
        "trainable_variables": _variables_getter(keys.TRAINABLE_VARIABLES),
        "local_variables": _variables_getter(keys.LOCAL_VARIABLES),
        "model_variables": _variables_getter(keys.MODEL_VARIABLES),
        "make_template": _make_template,
    }


def _make_template(
    name_: str,
    func_: Callable[..., Any],
    create_scope_now_: bool = False,
    unique_name_: str | None = None,
    custom_getter_: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Any:
    """``tf.compat.v1.make_template``: ``kslim.make_template`` (a Keras layer)."""
    from kslim.ops.template import make_template

    return make_template(name_, func_, create_scope_now_, unique_name_, custom_getter_, **kwargs)


def _dispatcher(kslim_fn: Callable, original: Callable) -> Callable:
    @functools.wraps(original)
    def dispatch(*args: Any, **kwargs: Any):
        if tf2_behavior():
            return kslim_fn(*args, **kwargs)
        return original(*args, **kwargs)

    dispatch._kslim_original = original
    dispatch._kslim_impl = kslim_fn
    return dispatch


def _v1_modules() -> list:
    """Every loaded module object that is a ``tf.compat.v1`` namespace."""
    modules, seen = [], set()
    candidates = [tf.compat.v1] + [
        module
        for name, module in list(sys.modules.items())
        if name.endswith("compat.v1") and hasattr(module, "variable_scope")
    ]
    for module in candidates:
        if id(module) not in seen:
            seen.add(id(module))
            modules.append(module)
    return modules


def _patch(module: types.ModuleType, attr: str, kslim_fn: Callable) -> None:
    current = getattr(module, attr, None)
    if current is None:
        return
    if getattr(current, "_kslim_impl", None) is not None:
        return
    setattr(module, attr, _dispatcher(kslim_fn, current))


def install() -> None:
    """Installs kslim's dispatchers into every ``tf.compat.v1`` namespace (idempotent)."""
    functions = _functions()
    summary_functions = _summary_functions()
    for module in _v1_modules():
        for attr, fn in functions.items():
            _patch(module, attr, fn)
        summary = getattr(module, "summary", None)
        if summary is not None:
            for attr, fn in summary_functions.items():
                _patch(summary, attr, fn)


def uninstall() -> None:
    """Restores TF's original functions."""
    for module in _v1_modules():
        for owner in (module, getattr(module, "summary", None)):
            if owner is None:
                continue
            for attr in list(vars(owner)):
                current = getattr(owner, attr, None)
                original = getattr(current, "_kslim_original", None)
                if original is not None:
                    setattr(owner, attr, original)


def installed() -> bool:
    """True when ``tf.compat.v1.variable_scope`` is kslim's dispatcher."""
    return getattr(tf.compat.v1.variable_scope, "_kslim_impl", None) is not None
