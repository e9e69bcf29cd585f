"""slim's loss functions.

Every loss is reduced as slim does (``SUM_BY_NONZERO_WEIGHTS``: the weighted sum
divided by the number of elements with a non-zero weight, weights broadcast over
the *leading* dimensions) and recorded in the graph's LOSSES collection. On
KerasTensors each loss is a weightless ``SlimOp`` layer, so the losses are part
of the Keras functional graph; on concrete tensors they are computed directly.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope

__all__ = [
    "absolute_difference",
    "add_loss",
    "compute_weighted_loss",
    "cosine_distance",
    "get_losses",
    "get_regularization_losses",
    "get_total_loss",
    "hinge_loss",
    "log_loss",
    "mean_pairwise_squared_error",
    "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]


# --------------------------------------------------------------- reduction
def _weighted_reduce(losses, weights):
    """slim's compute_weighted_loss on tensors: sum(w·l) / #non-zero weights."""
    input_dtype = losses.dtype
    losses = tf.cast(losses, tf.float32)
    weights = tf.cast(tf.convert_to_tensor(weights), tf.float32)
    if weights.shape.rank is not None and weights.shape.rank > 1 and weights.shape[-1] == 1:
        weights = tf.squeeze(weights, [-1])
    w_rank = weights.shape.rank
    l_rank = losses.shape.rank
    if w_rank is None or l_rank is None:
        raise ValueError("compute_weighted_loss: losses and weights need a known rank")
    if w_rank > l_rank:
        raise ValueError(
            f"weights must have rank <= rank of losses, got weights shape {weights.shape} "
            f"and losses shape {losses.shape}")
    reduced = losses
    if l_rank > w_rank:
        reduced = tf.reduce_sum(losses, axis=list(range(w_rank, l_rank)))
    total = tf.reduce_sum(reduced * weights)
    if w_rank == 0:
        num_present = tf.where(tf.equal(weights, 0.0), 0.0, tf.cast(tf.size(losses), tf.float32))
    else:
        per = tf.cast(tf.reduce_prod(tf.shape(losses)[w_rank:]), tf.float32)
        nonzero = tf.cast(tf.math.count_nonzero(tf.broadcast_to(weights, tf.shape(losses)[:w_rank])),
                          tf.float32)
        num_present = nonzero * per
    return tf.cast(tf.math.divide_no_nan(total, num_present), input_dtype)


def _apply_loss(op: str, tensors: list, weights: Any, scope: str | None, default: str,
                collect: bool = True, **kwargs: Any):
    """Runs loss op ``op`` on ``tensors`` (+ weights) and records it in LOSSES."""
    inputs = list(tensors)
    if is_symbolic(weights) or isinstance(weights, (tf.Tensor, tf.Variable)) or hasattr(
            weights, "shape") and getattr(weights, "shape", ()) != ():
        inputs.append(weights)
        kwargs["tensor_weights"] = True
    else:
        kwargs["weights"] = float(weights)
    with name_scope(scope, default) as ns:
        loss = apply_op(op, inputs, ns + "value", **kwargs)
    if collect:
        add_loss(loss)
    return loss


def _split_weights(args, kwargs):
    if kwargs.pop("tensor_weights", False):
        return list(args[:-1]), args[-1]
    return list(args), kwargs.pop("weights", 1.0)


@register_op("weighted_loss")
def _weighted_loss_op(*args, **kwargs):
    (losses,), weights = _split_weights(args, kwargs)
    return _weighted_reduce(tf.convert_to_tensor(losses), weights)


def compute_weighted_loss(losses, weights=1.0, scope=None):
    """Reduces ``losses`` slim's way and adds the result to LOSSES.

    Args:
      losses: tensor of per-element losses [batch, d1, ...].
      weights: scalar or tensor whose shape is a prefix of ``losses``' shape
        (a trailing dimension of 1 is squeezed).
      scope: name scope, default ``weighted_loss``.

    Returns:
      The scalar loss: sum(weights·losses) / number of non-zero-weighted elements.

    Raises:
      ValueError: if ``weights`` has a higher rank than ``losses``.
    """
    return _apply_loss("weighted_loss", [losses], weights, scope, "weighted_loss")


# ------------------------------------------------------------- collection
@add_arg_scope
def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds ``loss`` to ``loss_collection`` (nothing if it is falsy)."""
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """Returns the losses of ``loss_collection`` whose name matches ``scope``."""
    return get_default_graph().get_collection(loss_collection, scope)


@keras.saving.register_keras_serializable(package="kslim")
class RegularizationPenalty(keras.layers.Layer):
    """The penalty ``regularizer(variable)`` of another layer's variable.

    Its input only anchors it in the functional graph; the variable is read,
    not owned, so it is not counted twice in ``model.weights``.
    """

    def __init__(self, variable=None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._variable_ref = (lambda: variable)

    def call(self, anchor):
        del anchor
        variable = self._variable_ref()
        penalty = variable.regularizer(variable)
        return tf.convert_to_tensor(penalty, tf.float32)

    def compute_output_spec(self, anchor):
        return keras.KerasTensor((), "float32")


def get_regularization_losses(scope=None):
    """Returns the regularization penalties of the graph's layers (and any added).

    On a graph built from KerasTensors each penalty is a scalar KerasTensor
    (``<scope>/kernel/Regularizer``); eagerly it is a scalar tensor.

    Args:
      scope: optional prefix regex on the variable name.
    """
    import re

    graph = get_default_graph()
    cache = graph._collections.setdefault("_regularization_cache", {})
    penalties = []
    for variable, anchor in graph.get_collection("_regularized_anchors"):
        if scope is not None and not re.match(scope, variable.path):
            continue
        key = id(variable)
        if key not in cache:
            owner, _, leaf = variable.path.rpartition("/")
            kernel = {"weights": "kernel", "biases": "bias"}.get(leaf, leaf)
            with name_scope(f"{owner}/{kernel}/Regularizer/") as ns:
                cache[key] = RegularizationPenalty(variable, name=ns.rstrip("/").replace("/", "."))(anchor)
        penalties.append(cache[key])
    for layer_var in _eager_regularized(graph):
        if scope is not None and not re.match(scope, layer_var.path):
            continue
        penalties.append(layer_var.regularizer(layer_var))
    penalties += graph.get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)
    return penalties


def _eager_regularized(graph):
    anchored = {id(v) for v, _ in graph.get_collection("_regularized_anchors")}
    out = []
    for variable in graph.get_collection(GraphKeys.MODEL_VARIABLES):
        if id(variable) in anchored:
            continue
        if getattr(variable, "regularizer", None) is not None and variable.trainable:
            out.append(variable)
    return out


@register_op("add_n")
def _add_n_op(*tensors):
    return tf.add_n([tf.cast(t, tf.float32) for t in tensors])


def get_total_loss(add_regularization_losses=True, name="total_loss"):
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
            "Inputs must be an iterable of at least one Tensor/IndexedSlices with the "
            "same dtype and shape.")
    if is_symbolic(losses):
        with name_scope(name) as ns:
            return apply_op("add_n", losses, ns.rstrip("/"))
    return tf.add_n([tf.cast(t, tf.float32) for t in losses], name=name)


# ------------------------------------------------------------------ losses
@register_op("softmax_cross_entropy")
def _softmax_ce_op(*args, label_smoothing=0.0, **kwargs):
    (logits, labels), weights = _split_weights(args, kwargs)
    labels = tf.cast(labels, logits.dtype)
    if label_smoothing > 0:
        num_classes = tf.cast(tf.shape(labels)[-1], logits.dtype)
        labels = labels * (1.0 - label_smoothing) + label_smoothing / num_classes
    losses = tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(labels), logits=logits)
    return _weighted_reduce(losses, weights)


def softmax_cross_entropy(logits, onehot_labels, weights=1.0, label_smoothing=0, scope=None):
    """Softmax cross-entropy of ``logits`` [batch, classes] against one-hot labels.

    Args:
      logits: [batch, num_classes] unnormalized log probabilities.
      onehot_labels: [batch, num_classes] one-hot (or soft) labels.
      weights: scalar or [batch] per-example weights.
      label_smoothing: if > 0, labels become ``y·(1-ls) + ls/num_classes``.
      scope: name scope, default ``softmax_cross_entropy_loss``.

    Returns:
      The scalar loss (also added to LOSSES).

    Raises:
      ValueError: if the shapes of ``logits`` and ``onehot_labels`` differ.
    """
    _check_same_shape(logits, onehot_labels, "logits", "onehot_labels")
    return _apply_loss("softmax_cross_entropy", [logits, onehot_labels], weights, scope,
                       "softmax_cross_entropy_loss", label_smoothing=float(label_smoothing))


def _check_same_shape(a, b, name_a, name_b):
    sa, sb = getattr(a, "shape", None), getattr(b, "shape", None)
    if sa is None or sb is None:
        return
    sa, sb = tuple(sa), tuple(sb)
    if len(sa) != len(sb) or any(x is not None and y is not None and x != y for x, y in zip(sa, sb)):
        raise ValueError(
            f"Shapes {sa} and {sb} are incompatible: {name_a} has shape {sa}, {name_b} has "
            f"shape {sb}")
