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
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import keras

from kslim.ops.scope_objects import VariableScope, is_auto_reuse

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "Graph",
    "GraphKeys",
    "VariableScope",
    "add_to_collection",
    "add_to_collections",
    "get_collection",
    "get_default_graph",
    "is_auto_reuse",
    "reset_default_graph",
]


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
    # kslim's own collections (not TF1's): their items are kslim bookkeeping.
    #: Variables created by ``slim.variable`` & co. that no Keras layer owns.
    UNOWNED_VARIABLES = "kslim_unowned_variables"
    #: ``(tag, tensor, kind)`` of the summaries written by the training loop.
    SUMMARY_TENSORS = "_summary_tensors"
    #: ``(variable, layer output)``: a regularized layer variable and its anchor.
    REGULARIZED_ANCHORS = "_regularized_anchors"
    #: ``(key, evaluator)``: compiled evaluators cached by ``kslim.evaluation``.
    EVALUATORS = "_kslim_evaluators"


def _trace_graph():
    """The ``tf.function`` graph being traced (or a Keras scratch graph), else None."""
    import tensorflow as tf

    graph = tf.compat.v1.get_default_graph()
    return graph if getattr(graph, "building_function", False) else None


class _NamingState:
    """Default-name counters of one execution context (eager or one trace)."""

    def __init__(
        self,
        scope_counts: Mapping[str, int] | None = None,
        names_in_use: Mapping[str, int] | None = None,
    ) -> None:
        # Times each variable scope was opened (TF1 ``variable_scopes_count``).
        self.scope_counts: dict[str, int] = dict(scope_counts or {})
        # Name scopes in use, lower-cased (TF1 ``_names_in_use``).
        self.names_in_use: dict[str, int] = dict(names_in_use or {})


class Graph:
    """A container of collections and scope state for slim-style model code.

    Inside ``tf.function`` every trace runs the model code again. Each trace
    gets its own copy of the default-name counters (taken from the context
    that calls the function), so a retrace names its layers as the first trace
    did; a layer or variable used in an earlier trace is re-used by a later one
    instead of raising "already exists" (within one trace TF1's rules hold);
    and tensors of finished traces are dropped from the collections.
    """

    def __init__(self) -> None:
        self._collections: dict[str, list] = {}
        # Variable-scope name -> Keras layer created under it.
        self._layers: dict[str, Any] = {}
        # Naming state of eager/functional code, and of each tf.function trace.
        self._eager_naming = _NamingState()
        self._trace_naming: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Key (layer scope / variable name) -> weakref of the trace that last
        # used it (None: eager or functional code).
        self._claims: dict[str, Any] = {}
        # Stack of VariableScope objects and of name-scope strings.
        self._var_scope_stack: list[VariableScope] = [VariableScope("")]
        self._name_scope_stack: list[str] = [""]
        # Input KerasTensor id -> (KerasTensor, bound dataset).
        self._bindings: list[tuple[Any, Any]] = []
        # Lists receiving every layer created (make_template tracks its own).
        self._layer_sinks: list[list] = []
        # id(tensor) -> (tensor, aliases) for collect_named_outputs.
        self._aliases: dict[int, tuple[Any, list[str]]] = {}
        # Named dicts kept with the graph (e.g. built regularization penalties).
        self._caches: dict[str, dict] = {}

    # ------------------------------------------------------ trace contexts
    def _naming(self) -> _NamingState:
        trace = _trace_graph()
        if trace is None:
            return self._eager_naming
        state = self._trace_naming.get(trace)
        if state is None:
            parent = self._eager_naming
            outer = getattr(trace, "outer_graph", None)
            while outer is not None:
                if outer in self._trace_naming:
                    parent = self._trace_naming[outer]
                    break
                outer = getattr(outer, "outer_graph", None)
            state = _NamingState(parent.scope_counts, parent.names_in_use)
            self._trace_naming[trace] = state
            self._drop_dead_trace_tensors(trace)
        return state

    @property
    def _names_in_use(self) -> dict[str, int]:
        return self._naming().names_in_use

    def _drop_dead_trace_tensors(self, trace: tf.Graph) -> None:
        live = set()
        graph = trace
        while graph is not None:
            live.add(id(graph))
            graph = getattr(graph, "outer_graph", None)
        for items in self._collections.values():
            if isinstance(items, list):
                items[:] = [item for item in items if not _from_other_trace(item, live)]
        self._aliases = {
            key: entry
            for key, entry in self._aliases.items()
            if not _from_other_trace(entry[0], live)
        }

    def claim(self, key: str) -> None:
        """Records that the current context (eager or a trace) uses ``key``."""
        trace = _trace_graph()
        self._claims[key] = None if trace is None else weakref.ref(trace)

    def used_by_earlier_trace(self, key: str) -> bool:
        """True inside a ``tf.function`` trace when ``key`` was last used elsewhere.

        A layer or variable found in the registry is then re-used (the trace
        re-runs code that created it), not reported as "already exists".
        """
        trace = _trace_graph()
        if trace is None or key not in self._claims:
            return False
        ref = self._claims[key]
        return ref is None or ref() is not trace

    # ------------------------------------------------------------ collections
    def add_to_collection(self, name: str, value: Any) -> None:
        """Appends ``value`` to the collection ``name``."""
        self._naming()
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: str | Sequence[str], value: Any) -> None:
        """Appends ``value`` to each collection in ``names`` (a name or list)."""
        if isinstance(names, str):
            names = [names]
        for name in dict.fromkeys(names):
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list:
        """Returns the live list of the collection ``name``."""
        self._naming()
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
        self._naming()
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
    def get_layer(self, scope_name: str) -> keras.Layer | None:
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
        """(name, reuse) of the innermost kslim variable scope."""
        scope = self._var_scope_stack[-1]
        return scope.name, scope.reuse

    @property
    def current_variable_scope(self) -> VariableScope:
        """The innermost kslim ``VariableScope`` object."""
        return self._var_scope_stack[-1]

    @property
    def current_name_scope(self) -> str:
        """The innermost kslim name scope ('' or ending in '/')."""
        return self._name_scope_stack[-1]

    @property
    def at_root_variable_scope(self) -> bool:
        """True when no kslim variable scope is open."""
        return len(self._var_scope_stack) == 1

    @property
    def at_root_name_scope(self) -> bool:
        """True when no kslim name scope is open."""
        return len(self._name_scope_stack) == 1

    @contextlib.contextmanager
    def entered_name_scope(self, full_name: str) -> Iterator[str]:
        """Makes ``full_name`` the current name scope inside the ``with`` block.

        Args:
          full_name: the full name-scope string ('' or ending in '/').

        Yields:
          ``full_name``.
        """
        self._name_scope_stack.append(full_name)
        try:
            yield full_name
        finally:
            self._name_scope_stack.pop()

    @contextlib.contextmanager
    def entered_variable_scope(
        self, scope: VariableScope, restore_counts: bool = False
    ) -> Iterator[VariableScope]:
        """Makes ``scope`` the current variable scope inside the ``with`` block.

        Entering counts one opening of ``scope.name`` (for default names). On
        exit the counters of its sub-scopes are reset, as TF1 does when a scope
        closes, or (``restore_counts``: a re-entered ``VariableScope`` object)
        all counters go back to what they were on entry.

        Args:
          scope: the scope to enter.
          restore_counts: restore every counter on exit.

        Yields:
          ``scope``.

        Raises:
          RuntimeError: if the scopes were not closed in the order opened.
        """
        saved = dict(self._naming().scope_counts) if restore_counts else None
        counts = self._naming().scope_counts
        counts[scope.name] = counts.get(scope.name, 0) + 1
        self._var_scope_stack.append(scope)
        try:
            yield scope
        finally:
            if self._var_scope_stack[-1] is not scope:
                raise RuntimeError("Improper nesting of variable_scope.")
            self._var_scope_stack.pop()
            if saved is not None:
                self._naming().scope_counts = saved
            else:
                prefix = scope.name + "/"
                counts = self._naming().scope_counts
                for key in counts:
                    if key.startswith(prefix):
                        counts[key] = 0

    def scope_count(self, name: str) -> int:
        """How many times variable scope ``name`` was opened (since its parent opened).

        Args:
          name: the full variable-scope name.

        Returns:
          The count (0 when never opened).
        """
        return self._naming().scope_counts.get(name, 0)

    # ------------------------------------------------------ layer creation
    @contextlib.contextmanager
    def recording_new_layers(self, sink: list) -> Iterator[list]:
        """Appends every layer created in the ``with`` block to ``sink``.

        Args:
          sink: the list receiving the layers (``make_template`` tracks its own).

        Yields:
          ``sink``.
        """
        self._layer_sinks.append(sink)
        try:
            yield sink
        finally:
            self._layer_sinks.pop()

    def layer_created(self, layer: Any) -> None:
        """Reports a newly created layer to the open ``recording_new_layers`` blocks."""
        for sink in self._layer_sinks:
            sink.append(layer)

    # ---------------------------------------------------------- tensor aliases
    def add_tensor_alias(self, tensor: Any, alias: str) -> None:
        """Records ``alias`` for ``tensor`` (``collect_named_outputs``)."""
        _, aliases = self._aliases.setdefault(id(tensor), (tensor, []))
        aliases.append(alias)

    def tensor_aliases(self, tensor: Any) -> list[str] | None:
        """The aliases recorded for ``tensor`` (a copy), or None if it has none."""
        entry = self._aliases.get(id(tensor))
        return list(entry[1]) if entry else None

    # --------------------------------------------------------------- caches
    def cache(self, name: str) -> dict:
        """The live dict ``name`` kept with this graph (created empty).

        Unlike a collection it is not listed by ``get_all_collection_keys``.

        Args:
          name: the cache name.

        Returns:
          The dict.
        """
        return self._caches.setdefault(name, {})

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


def add_to_collections(names: str | Sequence[str], value: Any) -> None:
    """``get_default_graph().add_to_collections(names, value)``."""
    get_default_graph().add_to_collections(names, value)


def _from_other_trace(item: Any, live: set) -> bool:
    """True if ``item`` (or a member of a tuple item) is a tensor of a dead trace."""
    members = item if isinstance(item, tuple) else (item,)
    for member in members:
        if type(member).__name__ not in ("SymbolicTensor", "Tensor", "Operation"):
            continue
        graph = getattr(member, "graph", None)
        if getattr(graph, "building_function", False) and id(graph) not in live:
            return True
    return False


def _item_name(item: Any) -> str | None:
    for attr in ("path", "op_name", "name"):
        value = getattr(item, attr, None)
        if isinstance(value, str):
            return value
    return None
