"""kslim.Graph: what TF1 kept in graph collections, for a Keras functional graph.

A Graph holds named collections (losses, regularization losses, model variables,
named outputs, summaries, update ops ...), the Keras layers created per variable
scope name, the variable-scope and name-scope bookkeeping that makes default
names unique the way TF1 did, and the data bound to inputs by
``kslim.data.inputs``. There is always a default graph;
``with kslim.Graph().as_default():`` installs a fresh one.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any


class GraphKeys:
    """Standard collection names (the TF1 ``tf.GraphKeys`` that slim uses)."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    UPDATE_OPS = "update_ops"
    SUMMARIES = "summaries"
    TRAIN_OP = "train_op"
    GLOBAL_STEP = "global_step"
    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    BIASES = "biases"
    EVAL_STEP = "eval_step"
    METRIC_VARIABLES = "metric_variables"


class Graph:
    """A container of collections and scope state for slim-style model code."""

    def __init__(self) -> None:
        self._collections: dict[str, list] = {}
        # Variable-scope name -> Keras layer created under it.
        self._layers: dict[str, Any] = {}
        # Times each variable scope was opened (TF1 ``variable_scopes_count``).
        self._scope_counts: dict[str, int] = {}
        # Name scopes in use, lower-cased (TF1 ``_names_in_use``).
        self._names_in_use: dict[str, int] = {}
        # Stack of (variable scope name, reuse) and of name-scope strings.
        self._var_scope_stack: list[tuple[str, Any]] = [("", None)]
        self._name_scope_stack: list[str] = [""]
        # Input KerasTensor id -> (KerasTensor, bound dataset).
        self._bindings: list[tuple[Any, Any]] = []
        # Lists receiving every layer created (make_template tracks its own).
        self._layer_sinks: list[list] = []
        # id(tensor) -> (tensor, aliases) for collect_named_outputs.
        self._aliases: dict[int, tuple[Any, list[str]]] = {}

    # ------------------------------------------------------------ collections
    def add_to_collection(self, name: str, value: Any) -> None:
        """Appends ``value`` to the collection ``name``."""
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value: Any) -> None:
        """Appends ``value`` to each collection in ``names`` (a name or list)."""
        if isinstance(names, str):
            names = [names]
        for name in dict.fromkeys(names):
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list:
        """Returns the live list of the collection ``name``."""
        return self._collections.setdefault(name, [])

    def get_collection(self, name: str, scope: str | None = None) -> list:
        """Returns a copy of collection ``name``, filtered by ``scope``.

        Args:
          name: the collection name.
          scope: optional regular expression matched (``re.match``, a prefix
            match, as TF1 does) against each item's ``name`` attribute.

        Returns:
          A list of the items.
        """
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [item for item in items if pattern.match(_item_name(item) or "")]

    def get_all_collection_keys(self) -> list[str]:
        """Names of all non-empty collections."""
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name: str) -> None:
        """Empties the collection ``name``."""
        self._collections.pop(name, None)

    # --------------------------------------------------------- layer registry
    def get_layer(self, scope_name: str):
        """Returns the layer created under variable scope ``scope_name`` or None."""
        return self._layers.get(scope_name)

    def register_layer(self, scope_name: str, layer: Any) -> None:
        """Records ``layer`` as the owner of variable scope ``scope_name``."""
        self._layers[scope_name] = layer

    @property
    def layers(self) -> dict[str, Any]:
        """A copy of the scope name -> layer registry."""
        return dict(self._layers)

    # ------------------------------------------------------------ bound data
    def bind(self, tensor: Any, dataset: Any) -> None:
        """Binds ``dataset`` as the data read by input ``tensor``."""
        self._bindings.append((tensor, dataset))

    @property
    def bindings(self) -> list[tuple[Any, Any]]:
        """(input KerasTensors, dataset) pairs bound with ``kslim.data.inputs``."""
        return list(self._bindings)

    # ----------------------------------------------------------- as_default
    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Makes this graph the default graph inside the ``with`` block."""
        _graph_stack().append(self)
        try:
            yield self
        finally:
            _graph_stack().pop()

    # ---------------------------------------------------- scope bookkeeping
    @property
    def current_var_scope(self) -> tuple[str, Any]:
        return self._var_scope_stack[-1]

    @property
    def current_name_scope(self) -> str:
        return self._name_scope_stack[-1]

    def unique_name(self, name: str) -> str:
        """Returns ``name`` (a full path) made unique as TF1's Graph.unique_name."""
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = "%s_%d" % (base, i)
                i += 1
            name = "%s_%d" % (name, i - 1)
            self._names_in_use[key] = 1
        return name


class _GraphStack(threading.local):
    def __init__(self) -> None:
        self.stack: list[Graph] = []


_STACK = _GraphStack()
_GLOBAL_DEFAULT: list[Graph] = [Graph()]


def _graph_stack() -> list[Graph]:
    return _STACK.stack


def get_default_graph() -> Graph:
    """Returns the innermost graph installed by ``as_default`` (or the global one)."""
    stack = _graph_stack()
    return stack[-1] if stack else _GLOBAL_DEFAULT[0]


def reset_default_graph() -> None:
    """Replaces the global default graph by a fresh one.

    Raises:
      AssertionError: inside a ``Graph().as_default()`` block (as in TF1).
    """
    if _graph_stack():
        raise AssertionError(
            "Do not use reset_default_graph() to clear nested graphs. If you need "
            "a cleared graph, exit the nesting and create a new graph."
        )
    _GLOBAL_DEFAULT[0] = Graph()


def get_collection(name: str, scope: str | None = None) -> list:
    """``get_default_graph().get_collection(name, scope)``."""
    return get_default_graph().get_collection(name, scope)


def add_to_collection(name: str, value: Any) -> None:
    """``get_default_graph().add_to_collection(name, value)``."""
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value: Any) -> None:
    """``get_default_graph().add_to_collections(names, value)``."""
    get_default_graph().add_to_collections(names, value)


def _item_name(item: Any) -> str | None:
    for attr in ("path", "op_name", "name"):
        value = getattr(item, attr, None)
        if isinstance(value, str):
            return value
    return None
