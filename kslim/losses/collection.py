"""slim's loss collections: LOSSES, the layers' regularization penalties and the total loss."""

from __future__ import annotations

import re
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope
from kslim.tensor_types import Scope, Tensor, TensorLike

__all__ = [
    "RegularizationPenalty",
    "add_loss",
    "get_losses",
    "get_regularization_losses",
    "get_total_loss",
]


@add_arg_scope
def add_loss(loss: TensorLike, loss_collection: str | None = GraphKeys.LOSSES) -> None:
    """Adds an externally defined ``loss`` to ``loss_collection``.

    Args:
      loss: a loss tensor (or KerasTensor).
      loss_collection: the collection name, default LOSSES; nothing is added
        when it is falsy (None or '').
    """
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope: Scope | None = None, loss_collection: str = GraphKeys.LOSSES) -> list:
    """Returns the losses of ``loss_collection`` whose name matches ``scope``.

    Args:
      scope: optional regular expression matched (``re.match``, a prefix match)
        against each loss's name (``softmax_cross_entropy_loss/value``).
      loss_collection: the collection, default LOSSES.

    Returns:
      A list of loss tensors (a copy).
    """
    return get_default_graph().get_collection(loss_collection, scope)


@keras.saving.register_keras_serializable(package="kslim")
class RegularizationPenalty(keras.layers.Layer):
    """The penalty ``regularizer(variable)`` of another layer's variable.

    Its input only anchors it in the functional graph; the variable is read,
    not owned, so it is not counted twice in ``model.weights``.
    """

    def __init__(
        self,
        variable: keras.Variable | tf.Variable | None = None,
        variable_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._variable_ref = lambda: variable
        self.variable_path = variable.path if variable is not None else variable_path

    def call(self, anchor: Tensor) -> tf.Tensor:
        """``regularizer(variable)`` (``anchor`` only places the layer in the graph)."""
        del anchor
        variable = self._variable_ref()
        if variable is None:
            raise ValueError(
                f"RegularizationPenalty of {self.variable_path!r} is not bound to a variable: "
                "a graph with regularization losses is restored from checkpoints by slim name "
                "(rebuild it from the model code), not from its config"
            )
        penalty = variable.regularizer(variable)
        return tf.convert_to_tensor(penalty, tf.float32)

    def compute_output_spec(self, anchor: keras.KerasTensor) -> keras.KerasTensor:
        """A float32 scalar."""
        return keras.KerasTensor((), "float32")

    def get_config(self) -> dict:
        """The constructor arguments (the variable's path), for Keras serialization."""
        config = super().get_config()
        config["variable_path"] = self.variable_path
        return config


def get_regularization_losses(scope: Scope | None = None) -> list:
    """Returns the regularization penalties of the graph's layers (and any added).

    On a graph built from KerasTensors each penalty is a scalar KerasTensor
    (``<scope>/kernel/Regularizer``); eagerly it is a scalar tensor.

    Args:
      scope: optional prefix regex on the variable name.

    Returns:
      A list of scalar penalties (layers' variable regularizers, then anything
      added to REGULARIZATION_LOSSES, e.g. by ``apply_regularization``).
    """
    graph = get_default_graph()
    cache = graph.cache("regularization_penalties")
    anchored = list(graph.get_collection(GraphKeys.REGULARIZED_ANCHORS))
    # Regularized variables no layer owns (slim.variable(regularizer=...)) are
    # anchored on any symbolic tensor of the graph, so they stay live graph nodes.
    symbolic = [a for _, a in anchored] + [
        x for x in graph.get_collection(GraphKeys.LOSSES) if is_symbolic(x)
    ]
    loose = _eager_regularized(graph)
    if symbolic:
        anchored += [(v, symbolic[0]) for v in loose]
        loose = []
    penalties = []
    for variable, anchor in anchored:
        if scope is not None and not re.match(scope, variable.path):
            continue
        key = id(variable)
        if key not in cache:
            owner, _, leaf = variable.path.rpartition("/")
            kernel = {"weights": "kernel", "biases": "bias"}.get(leaf, leaf)
            with name_scope(f"{owner}/{kernel}/Regularizer/") as ns:
                cache[key] = RegularizationPenalty(variable, name=ns.rstrip("/").replace("/", "."))(
                    anchor
                )
        penalties.append(cache[key])
    for variable in loose:
        if scope is not None and not re.match(scope, variable.path):
            continue
        penalties.append(variable.regularizer(variable))
    penalties += graph.get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)
    return penalties


def _eager_regularized(graph: Graph):
    anchored = {id(v) for v, _ in graph.get_collection(GraphKeys.REGULARIZED_ANCHORS)}
    out = []
    seen = set(anchored)
    for variable in graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
        if id(variable) in seen:
            continue
        seen.add(id(variable))
        if getattr(variable, "regularizer", None) is not None and variable.trainable:
            out.append(variable)
    return out


@register_op("add_n")
def _add_n_op(*tensors: TensorLike):
    return tf.add_n([tf.cast(t, tf.float32) for t in tensors])


def get_total_loss(
    add_regularization_losses: bool = True, name: str = "total_loss"
) -> keras.KerasTensor | tf.Tensor:
    """Sum of the LOSSES collection and (by default) the regularization losses.

    Args:
      add_regularization_losses: include the layers' regularization penalties.
      name: the name of the result.

    Returns:
      A scalar (a KerasTensor for a KerasTensor graph, which can be a Keras
      model output).

    Raises:
      ValueError: if there is no loss at all (slim's message).
    """
    losses = get_losses()
    if add_regularization_losses:
        losses += get_regularization_losses()
    if not losses:
        raise ValueError(
            "get_total_loss: the graph has no losses (add_regularization_losses="
            f"{add_regularization_losses!r}); add one with a slim.losses function or "
            "slim.losses.add_loss. (slim: Inputs must be an iterable of at least one "
            "Tensor/IndexedSlices with the same dtype and shape.)"
        )
    if is_symbolic(losses):
        with name_scope(name) as ns:
            return apply_op("add_n", losses, ns.rstrip("/"))
    return tf.add_n([tf.cast(t, tf.float32) for t in losses], name=name)
