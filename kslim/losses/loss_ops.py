"""slim's loss functions.

Every loss is reduced as slim does (``SUM_BY_NONZERO_WEIGHTS``: the weighted sum
divided by the number of elements with a non-zero weight, weights broadcast over
the *leading* dimensions) and recorded in the graph's LOSSES collection. On
KerasTensors each loss is a weightless ``SlimOp`` layer, so the losses are part
of the Keras functional graph; on concrete tensors they are computed directly.
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope

_log = logging.getLogger("kslim")

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
            f"and losses shape {losses.shape}"
        )
    reduced = losses
    if l_rank > w_rank:
        reduced = tf.reduce_sum(losses, axis=list(range(w_rank, l_rank)))
    total = tf.reduce_sum(reduced * weights)
    if w_rank == 0:
        num_present = tf.where(tf.equal(weights, 0.0), 0.0, tf.cast(tf.size(losses), tf.float32))
    else:
        per = tf.cast(tf.reduce_prod(tf.shape(losses)[w_rank:]), tf.float32)
        # As slim: the non-zero weights are counted as given, not broadcast first.
        nonzero = tf.cast(tf.math.count_nonzero(weights), tf.float32)
        num_present = nonzero * per
    return tf.cast(tf.math.divide_no_nan(total, num_present), input_dtype)


def _apply_loss(
    op: str,
    tensors: list,
    weights: Any,
    scope: str | None,
    default: str,
    collect: bool = True,
    **kwargs: Any,
):
    """Runs loss op ``op`` on ``tensors`` (+ weights) in name scope ``scope``/``default``.

    The result is named ``<name scope>/value`` (``op_name``, used by
    ``get_losses(scope)``) and, if ``collect``, added to LOSSES. ``weights=None``
    means the op takes no weights (``hinge_loss``).
    """
    inputs = list(tensors)
    if weights is not None:
        _pass_weights(weights, inputs, kwargs)
    with name_scope(scope, default) as ns:
        loss = apply_op(op, inputs, ns + "value", **kwargs)
    _set_op_name(loss, ns + "value")
    if collect:
        add_loss(loss)
    return loss


def _pass_weights(weights: Any, inputs: list, kwargs: dict) -> None:
    """Adds ``weights`` to the op's inputs (tensors) or kwargs (JSON-able constants).

    A KerasTensor, or a tensor when the losses are concrete, becomes the op's
    last input; a Python/numpy constant (or an eager tensor feeding a Keras
    graph) becomes a JSON-able kwarg so the graph stays serializable.
    """
    symbolic_inputs = is_symbolic(inputs)
    if is_symbolic(weights) or (
        isinstance(weights, (tf.Tensor, tf.Variable)) and not symbolic_inputs
    ):
        inputs.append(weights)
        kwargs["tensor_weights"] = True
        return
    try:
        value = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"weights must be a number, an array or a tensor, got {weights!r}"
        ) from err
    kwargs["weights"] = float(value) if value.ndim == 0 else value.tolist()


def _set_op_name(tensor: Any, op_name: str) -> None:
    try:
        tensor.op_name = op_name
    except AttributeError:  # a tensor type without a __dict__: no scope filtering
        pass


def _check_weights(weights: Any) -> None:
    if weights is None:
        raise ValueError("weights cannot be None, got weights=None")


def _check_labels(labels: Any, name: str = "labels") -> None:
    if labels is None:
        raise ValueError(f"{name} must be given, got {name}=None")


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
    _check_weights(weights)
    return _apply_loss("weighted_loss", [losses], weights, scope, "weighted_loss")


# ------------------------------------------------------------- collection
@add_arg_scope
def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds an externally defined ``loss`` to ``loss_collection``.

    Args:
      loss: a loss tensor (or KerasTensor).
      loss_collection: the collection name, default LOSSES; nothing is added
        when it is falsy (None or '').
    """
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
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

    def __init__(self, variable=None, variable_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._variable_ref = lambda: variable
        self.variable_path = variable.path if variable is not None else variable_path

    def call(self, anchor):
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

    def compute_output_spec(self, anchor):
        return keras.KerasTensor((), "float32")

    def get_config(self) -> dict:
        config = super().get_config()
        config["variable_path"] = self.variable_path
        return config


def get_regularization_losses(scope=None):
    """Returns the regularization penalties of the graph's layers (and any added).

    On a graph built from KerasTensors each penalty is a scalar KerasTensor
    (``<scope>/kernel/Regularizer``); eagerly it is a scalar tensor.

    Args:
      scope: optional prefix regex on the variable name.

    Returns:
      A list of scalar penalties (layers' variable regularizers, then anything
      added to REGULARIZATION_LOSSES, e.g. by ``apply_regularization``).
    """
    import re

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


def _eager_regularized(graph):
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
            "get_total_loss: the graph has no losses (add_regularization_losses="
            f"{add_regularization_losses!r}); add one with a slim.losses function or "
            "slim.losses.add_loss. (slim: Inputs must be an iterable of at least one "
            "Tensor/IndexedSlices with the same dtype and shape.)"
        )
    if is_symbolic(losses):
        with name_scope(name) as ns:
            return apply_op("add_n", losses, ns.rstrip("/"))
    return tf.add_n([tf.cast(t, tf.float32) for t in losses], name=name)


# ------------------------------------------------------------------ losses
def _check_same_shape(a, b, name_a, name_b):
    """slim's ``a.get_shape().assert_is_compatible_with(b.get_shape())``."""
    sa, sb = getattr(a, "shape", None), getattr(b, "shape", None)
    if sa is None or sb is None:
        return
    sa, sb = tuple(sa), tuple(sb)
    if len(sa) != len(sb) or any(
        x is not None and y is not None and x != y for x, y in zip(sa, sb, strict=True)
    ):
        raise ValueError(
            f"Shapes {sa} and {sb} are incompatible: {name_a} has shape {sa}, {name_b} has "
            f"shape {sb}"
        )


def _check_pair(predictions, labels, name_a="predictions", name_b="labels"):
    _check_labels(labels, name_b)
    _check_same_shape(predictions, labels, name_a, name_b)


def _as_float32(*tensors):
    return [tf.cast(t, tf.float32) for t in tensors]


@register_op("absolute_difference")
def _absolute_difference_op(*args, **kwargs):
    (predictions, labels), weights = _split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    return _weighted_reduce(tf.abs(predictions - labels), weights)


def absolute_difference(predictions, labels=None, weights=1.0, scope=None):
    """Weighted mean absolute error ``|predictions - labels|``.

    Args:
      predictions: the predicted values, [batch, d1, ...].
      labels: the targets, same shape as ``predictions`` (required).
      weights: default 1.0; a scalar, [batch], or a shape that is a prefix of
        ``predictions``' shape (broadcast over the leading dimensions).
      scope: name scope, default ``absolute_difference``.

    Returns:
      The scalar loss: the weighted sum divided by the number of elements with a
      non-zero weight (added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, or ``weights`` is
        None or has a higher rank than the losses.
    """
    _check_pair(predictions, labels)
    _check_weights(weights)
    return _apply_loss(
        "absolute_difference", [predictions, labels], weights, scope, "absolute_difference"
    )


@register_op("mean_squared_error")
def _mean_squared_error_op(*args, **kwargs):
    (predictions, labels), weights = _split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    return _weighted_reduce(tf.math.squared_difference(predictions, labels), weights)


def mean_squared_error(predictions, labels=None, weights=1.0, scope=None):
    """Weighted mean of ``(predictions - labels)**2``.

    Args:
      predictions: the predicted values, [batch, d1, ...].
      labels: the targets, same shape as ``predictions`` (required).
      weights: default 1.0; a scalar, [batch], or a prefix of the losses' shape.
      scope: name scope, default ``mean_squared_error``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, or ``weights`` is
        invalid.
    """
    _check_pair(predictions, labels)
    _check_weights(weights)
    return _apply_loss(
        "mean_squared_error", [predictions, labels], weights, scope, "mean_squared_error"
    )


def _num_present_per_batch(losses, weights):
    """slim's ``_num_present(losses, weights, per_batch=True)``: [batch] counts."""
    batch_size = tf.shape(losses)[0]
    if weights.shape.rank == 0:
        per = tf.cast(tf.size(losses), tf.float32) / tf.cast(batch_size, tf.float32)
        per = tf.where(tf.equal(weights, 0.0), 0.0, per)
        return tf.ones([batch_size], tf.float32) * per
    nonzero = tf.reduce_sum(
        tf.cast(tf.not_equal(weights, 0.0), tf.float32),
        axis=list(range(1, weights.shape.rank)),
    )
    broadcast = tf.cast(tf.reduce_prod(tf.shape(losses)[weights.shape.rank :]), tf.float32)
    return nonzero * broadcast


@register_op("mean_pairwise_squared_error")
def _mean_pairwise_squared_error_op(*args, **kwargs):
    (predictions, labels), weights = _split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    weights = tf.cast(tf.convert_to_tensor(weights), tf.float32)
    diffs = predictions - labels
    axis = list(range(1, diffs.shape.rank))
    num_present = _num_present_per_batch(diffs, weights)
    term1 = 2.0 * tf.math.divide_no_nan(tf.reduce_sum(tf.square(diffs), axis=axis), num_present)
    term2 = 2.0 * tf.math.divide_no_nan(
        tf.square(tf.reduce_sum(diffs, axis=axis)), tf.square(num_present)
    )
    # slim's _scale_losses: reduce the per-example terms down to weights' rank,
    # scale, and SUM over the batch (this loss is not averaged over examples).
    per_example = term1 - term2
    w_rank = weights.shape.rank
    if w_rank == 0:
        scaled = tf.reduce_sum(per_example) * weights
    else:
        scaled = tf.reduce_sum(per_example * weights)
    return tf.where(tf.reduce_sum(num_present) > 0, scaled, tf.zeros_like(scaled))


def mean_pairwise_squared_error(predictions, labels=None, weights=1.0, scope=None):
    """slim's pairwise-difference loss, summed (not averaged) over the batch.

    For each example ``b`` with differences ``d = predictions - labels`` over its
    ``n`` weighted elements: ``2·Σd²/n − 2·(Σd)²/n²`` (the mean over pairs of
    the squared difference of differences); the per-example values are scaled
    by ``weights`` and summed over the batch.

    Args:
      predictions: [batch, d1, ...] predicted values (rank ≥ 2).
      labels: the targets, same shape (required).
      weights: default 1.0; a scalar or [batch] per-example weights.
      scope: name scope, default ``mean_pairwise_squared_error``.

    Returns:
      The scalar loss (added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, ``weights`` is None
        or ``predictions`` has no batch dimension.
    """
    _check_pair(predictions, labels)
    _check_weights(weights)
    rank = len(getattr(predictions, "shape", ()))
    if rank < 1:
        raise ValueError(
            f"mean_pairwise_squared_error: predictions must have a batch dimension, got "
            f"shape {tuple(getattr(predictions, 'shape', ()))}"
        )
    return _apply_loss(
        "mean_pairwise_squared_error",
        [predictions, labels],
        weights,
        scope,
        "mean_pairwise_squared_error",
    )


@register_op("log_loss")
def _log_loss_op(*args, epsilon=1e-7, **kwargs):
    (predictions, labels), weights = _split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    losses = -labels * tf.math.log(predictions + epsilon) - (1.0 - labels) * tf.math.log(
        1.0 - predictions + epsilon
    )
    return _weighted_reduce(losses, weights)


def log_loss(predictions, labels=None, weights=1.0, epsilon=1e-7, scope=None):
    """Weighted binary log loss ``−l·log(p+ε) − (1−l)·log(1−p+ε)``.

    Args:
      predictions: predicted probabilities, [batch, d1, ...].
      labels: the targets (0/1 or soft), same shape (required).
      weights: default 1.0; a scalar, [batch], or a prefix of the losses' shape.
      epsilon: default 1e-7, added inside both logarithms.
      scope: name scope, default ``log_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, or ``weights`` is
        invalid.
    """
    _check_pair(predictions, labels)
    _check_weights(weights)
    return _apply_loss(
        "log_loss", [predictions, labels], weights, scope, "log_loss", epsilon=float(epsilon)
    )


@register_op("hinge_loss")
def _hinge_loss_op(logits, labels):
    labels = tf.cast(labels, logits.dtype)
    return tf.nn.relu(1.0 - (2.0 * labels - 1.0) * logits)


def hinge_loss(logits, labels=None, scope=None):
    """Per-element hinge loss ``relu(1 − (2·labels − 1)·logits)``.

    Unlike the other losses it is unreduced and NOT added to LOSSES (as in slim).

    Args:
      logits: [batch, ...] 0-centred scores.
      labels: same shape, values 0.0 or 1.0 (mapped to −1/+1) (required).
      scope: name scope, default ``hinge_loss``.

    Returns:
      A tensor of the shape of ``logits``.

    Raises:
      ValueError: if ``labels`` is None or the shapes differ.
    """
    _check_pair(logits, labels, "logits", "labels")
    return _apply_loss("hinge_loss", [logits, labels], None, scope, "hinge_loss", collect=False)


@register_op("cosine_distance")
def _cosine_distance_op(*args, axis, **kwargs):
    (predictions, labels), weights = _split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    losses = 1.0 - tf.reduce_sum(predictions * labels, axis=[axis])
    return _weighted_reduce(losses, weights)


def cosine_distance(predictions, labels=None, axis=None, weights=1.0, scope=None, dim=None):
    """Weighted cosine distance ``1 − Σ_axis predictions·labels``.

    The inputs are assumed unit-normalized along ``axis`` (as in slim).

    Args:
      predictions: [batch, ...] unit vectors along ``axis``.
      labels: same shape (required).
      axis: the dimension of the vectors (required).
      weights: default 1.0; a scalar, [batch], or a prefix of the losses' shape
        (the losses have ``axis`` reduced away).
      scope: name scope, default ``cosine_distance_loss``.
      dim: deprecated alias of ``axis``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: ``"You must specify 'axis'."`` if neither ``axis`` nor ``dim``
        is given; if both are; if ``labels`` is None or the shapes differ.
    """
    if dim is not None:
        if axis is not None:
            raise ValueError(f"Cannot specify both 'axis' and 'dim' (axis={axis!r}, dim={dim!r})")
        _log.warning("cosine_distance: dim is deprecated, use axis instead")
        axis = dim
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    _check_pair(predictions, labels)
    _check_weights(weights)
    return _apply_loss(
        "cosine_distance",
        [predictions, labels],
        weights,
        scope,
        "cosine_distance_loss",
        axis=int(axis),
    )


@register_op("sigmoid_cross_entropy")
def _sigmoid_ce_op(*args, label_smoothing=0.0, **kwargs):
    (logits, labels), weights = _split_weights(args, kwargs)
    labels = tf.cast(labels, logits.dtype)
    if label_smoothing > 0:
        labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return _weighted_reduce(losses, weights)


def sigmoid_cross_entropy(logits, multi_class_labels, weights=1.0, label_smoothing=0, scope=None):
    """Weighted sigmoid cross-entropy of ``logits`` against 0/1 labels.

    Args:
      logits: [batch, num_classes] logits.
      multi_class_labels: [batch, num_classes] labels in {0, 1} (or soft).
      weights: default 1.0; a scalar, [batch] or [batch, num_classes].
      label_smoothing: default 0; if > 0 labels become ``y·(1−ls) + 0.5·ls``.
      scope: name scope, default ``sigmoid_cross_entropy_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: if the shapes of ``logits`` and ``multi_class_labels`` differ
        or ``weights`` is invalid.
    """
    _check_pair(logits, multi_class_labels, "logits", "multi_class_labels")
    _check_weights(weights)
    return _apply_loss(
        "sigmoid_cross_entropy",
        [logits, multi_class_labels],
        weights,
        scope,
        "sigmoid_cross_entropy_loss",
        label_smoothing=float(label_smoothing),
    )


@register_op("softmax_cross_entropy")
def _softmax_ce_op(*args, label_smoothing=0.0, **kwargs):
    (logits, labels), weights = _split_weights(args, kwargs)
    labels = tf.cast(labels, logits.dtype)
    if label_smoothing > 0:
        num_classes = tf.cast(tf.shape(labels)[1], logits.dtype)
        labels = labels * (1.0 - label_smoothing) + label_smoothing / num_classes
    # slim's (TF1) op does not back-propagate into the labels.
    losses = tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(labels), logits=logits)
    return _weighted_reduce(losses, weights)


def softmax_cross_entropy(logits, onehot_labels, weights=1.0, label_smoothing=0, scope=None):
    """Softmax cross-entropy of ``logits`` [batch, classes] against one-hot labels.

    Args:
      logits: [batch, num_classes] unnormalized log probabilities.
      onehot_labels: [batch, num_classes] one-hot (or soft) labels.
      weights: default 1.0; a scalar or [batch] per-example weights.
      label_smoothing: default 0; if > 0, labels become ``y·(1-ls) + ls/num_classes``.
      scope: name scope, default ``softmax_cross_entropy_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted examples; added to LOSSES).

    Raises:
      ValueError: if the shapes of ``logits`` and ``onehot_labels`` differ or
        ``weights`` is invalid.
    """
    _check_pair(logits, onehot_labels, "logits", "onehot_labels")
    _check_weights(weights)
    return _apply_loss(
        "softmax_cross_entropy",
        [logits, onehot_labels],
        weights,
        scope,
        "softmax_cross_entropy_loss",
        label_smoothing=float(label_smoothing),
    )


@register_op("sparse_softmax_cross_entropy")
def _sparse_softmax_ce_op(*args, **kwargs):
    (logits, labels), weights = _split_weights(args, kwargs)
    labels = tf.reshape(labels, [tf.shape(labels)[0]])
    if not labels.dtype.is_integer:
        labels = tf.cast(labels, tf.int64)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return _weighted_reduce(losses, weights)


def sparse_softmax_cross_entropy(logits, labels, weights=1.0, scope=None):
    """Softmax cross-entropy of ``logits`` against integer class ``labels``.

    Args:
      logits: [batch, num_classes] logits.
      labels: [batch] or [batch, 1] class indices in ``[0, num_classes)``
        (float labels holding integers are cast to int64).
      weights: default 1.0; a scalar, [batch] or [batch, 1].
      scope: name scope, default ``sparse_softmax_cross_entropy_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted examples; added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None or not of shape [batch]/[batch, 1], or
        ``weights`` is invalid.
    """
    _check_labels(labels)
    _check_weights(weights)
    shape = getattr(labels, "shape", None)
    if shape is not None and (
        len(shape) == 0 or len(shape) > 2 or (len(shape) == 2 and shape[1] not in (1, None))
    ):
        raise ValueError(
            f"sparse_softmax_cross_entropy: labels must have shape [batch] or [batch, 1], "
            f"got labels shape {tuple(shape)}"
        )
    return _apply_loss(
        "sparse_softmax_cross_entropy",
        [logits, labels],
        weights,
        scope,
        "sparse_softmax_cross_entropy_loss",
    )
