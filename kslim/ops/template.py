"""make_template: a slim model function as a Keras Layer that re-uses its variables.

The first call runs the function under ``variable_scope(name)`` and keeps the
kslim layers it creates as the template's sub-layers (so a containing Keras
model tracks, trains and saves their weights); later calls run it again under
``variable_scope(name, reuse=True)``, which re-uses those layers. Each template
has its own ``kslim.Graph`` for its layer registry, so it works inside
subclassed models, ``keras.Sequential`` and ``tf.function`` custom loops; the
variables it creates are also listed in the calling graph's variable
collections (as TF1's templates' were). ``tf.compat.v1.variable_scope`` inside
the function keeps its names (``lenet/LeNet/conv1/weights``), and variables of
``tf.compat.v1.get_variable`` are tracked by the template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from kslim.ops import keras_graph
from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.ops.variable_scope import variable_scope

__all__ = ["Template", "make_template"]

#: Variables no Keras layer owns (kslim.variables.UNOWNED_VARIABLES).
_UNOWNED = GraphKeys.UNOWNED_VARIABLES


_VARIABLE_COLLECTIONS = (
    GraphKeys.GLOBAL_VARIABLES,
    GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.MODEL_VARIABLES,
    GraphKeys.LOCAL_VARIABLES,
)


def _tracked(layer: keras.layers.Layer, variable: keras.Variable | tf.Variable) -> bool:
    return any(v is variable for v in getattr(layer, "_template_variables", []))


class Template(keras.layers.Layer):
    """A Keras Layer calling a slim-style function with shared variables.

    Args:
      name: the variable scope of the function's layers (``<name>/conv1/weights``).
      func: the model function; called as ``func(*args, **kwargs, **bound_kwargs)``.
      bound_kwargs: keyword arguments bound at creation.
    """

    def __init__(
        self, name: str, func: Callable, bound_kwargs: dict | None = None, **kwargs: Any
    ) -> None:
        if not callable(func):
            raise TypeError(f"make_template: func_ must be callable, got {func!r}")
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(
                f"make_template: name_ must be a non-empty string without '/', got {name!r}"
            )
        super().__init__(name=name, **kwargs)
        self.scope_name = name
        self.func = func
        self.bound_kwargs = dict(bound_kwargs or {})
        self._slim_graph = Graph()
        self._created = False

    @property
    def variable_scope_name(self) -> str:
        """The variable scope the template's variables live under."""
        return self.scope_name

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the function with the template's variables (made on the first call)."""
        kwargs = {**self.bound_kwargs, **kwargs}
        created: list = []
        graph = self._slim_graph
        caller = get_default_graph()
        before = {key: len(graph.get_collection_ref(key)) for key in _VARIABLE_COLLECTIONS}
        unowned = graph.get_collection_ref(_UNOWNED)
        n_unowned = len(unowned)
        with graph.as_default():
            with graph.recording_new_layers(created):
                with variable_scope(self.scope_name, reuse=True if self._created else None):
                    outputs = self.func(*args, **kwargs)
        new_variables = [v for v in unowned[n_unowned:] if not _tracked(self, v)]
        if caller is not graph:
            # As in TF1, a template's variables are variables of the calling graph.
            for key, start in before.items():
                listed = caller.get_collection_ref(key)
                for v in graph.get_collection_ref(key)[start:]:
                    if all(v is not w for w in listed):
                        listed.append(v)
        if created or new_variables:
            # State appears on the first call; Keras locks a layer's state after
            # build, so the new sub-layers (and the variables of
            # tf.compat.v1.get_variable / slim.variable) are added with the
            # tracker unlocked.
            tracked = {}
            if created:
                tracked["_template_layers"] = list(getattr(self, "_template_layers", [])) + created
            if new_variables:
                tracked["_template_variables"] = (
                    list(getattr(self, "_template_variables", [])) + new_variables
                )
            keras_graph.set_tracked_attributes(self, **tracked)
        self._created = True
        return outputs

    def get_config(self) -> dict:
        """Raises ``NotImplementedError``: a Python function has no config."""
        raise NotImplementedError(
            f"Template {self.name!r} wraps the Python function {self.func!r} and cannot be "
            "serialized to a config; save its weights (model.save_weights) or export it "
            "with kslim.export instead"
        )


def make_template(
    name_: str,
    func_: Callable,
    create_scope_now_: bool = False,
    unique_name_: str | None = None,
    custom_getter_: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Template:
    """Wraps ``func_`` so that every call shares the variables of the first one.

    Args:
      name_: the variable scope name (made unique with ``unique_name_`` if given).
      func_: the slim model function.
      create_scope_now_: accepted for TF1 compatibility (scopes are created on
        the first call).
      unique_name_: if given, used instead of ``name_``.
      custom_getter_: not supported; must be None.
      **kwargs: keyword arguments bound to ``func_``.

    Returns:
      A ``Template`` (a ``keras.layers.Layer``).

    Raises:
      ValueError: if ``custom_getter_`` is given, or the name is invalid.
    """
    del create_scope_now_
    if custom_getter_ is not None:
        raise ValueError(
            f"make_template: custom_getter_={custom_getter_!r} is not supported by kslim"
        )
    name = unique_name_ or name_
    return Template(name, func_, kwargs)
