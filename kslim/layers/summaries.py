"""slim.summarize_*: tf_slim.layers.summaries, recorded the way ``kslim.summaries`` records.

Each function records its summaries as ``tf.compat.v1.summary.scalar``/``histogram``
do in kslim (``kslim.summaries``: entries in the graph's SUMMARIES, written by
``learning.train`` and ``evaluation``) and returns them where slim returns its summary
ops. Tags are slim's: the tensor's op name (``conv1/Relu``) plus a suffix, in the
current name scope, made unique as TF1 does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.ops import keras_graph
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope
from kslim.summaries import SummaryEntry, tf1_histogram, tf1_scalar
from kslim.tensor_types import Tensor, TensorLike

# What slim summarizes: a tensor, a KerasTensor or a variable.
_Summarizable = Tensor | tf.Variable | keras.Variable

__all__ = [
    "summarize_activation",
    "summarize_activations",
    "summarize_biases",
    "summarize_collection",
    "summarize_tensor",
    "summarize_tensors",
    "summarize_variables",
    "summarize_weights",
]

# slim's activation op types, by the activation a kslim layer applies.
_ACTIVATION_TYPES = {"relu": "Relu", "relu6": "Relu6", "softplus": "Softplus"}


def _op_name(tensor: Any) -> str:
    """The TF1 op name of ``tensor`` (``conv1/Relu``; a variable's slim name)."""
    try:
        name = tensor.op.name
    except (AttributeError, ValueError):
        name = None
    if isinstance(name, str):
        return name
    path = getattr(tensor, "path", None)
    if isinstance(path, str):
        return path
    name = getattr(tensor, "name", None)
    if isinstance(name, str) and not tf.executing_eagerly():
        return name.split(":")[0]
    raise ValueError(
        f"summary of {tensor!r}: an eager tensor has no op name; pass tag= (summarize_tensor) "
        "or summarize the tensors of a graph (keras.Input / slim.data.inputs)"
    )


def _activation_type(tensor: Any) -> str | None:
    """``'Relu'``, ``'Relu6'``, ``'Softplus'`` or None: the activation producing ``tensor``."""
    layer = keras_graph.producer(tensor)
    if layer is None:
        try:
            return tensor.op.type
        except (AttributeError, ValueError):
            return None
    spec = getattr(layer, "activation", None)
    if getattr(layer, "op", None) == "activation":
        spec = layer.op_kwargs.get("activation")
    symbol = getattr(layer, "symbol", None)
    if spec is None and isinstance(symbol, str):
        # A TF function called on KerasTensors is a TFOpLayer naming its symbol
        # ('nn.relu6', 'math.softplus').
        spec = symbol.rsplit(".", 1)[-1]
    if spec is None:
        return None
    if not isinstance(spec, str):
        known = {
            tf.nn.relu: "relu",
            keras.activations.relu: "relu",
            tf.nn.relu6: "relu6",
            keras.activations.relu6: "relu6",
            tf.nn.softplus: "softplus",
            keras.activations.softplus: "softplus",
        }
        spec = next((n for fn, n in known.items() if fn is spec), None)
    return _ACTIVATION_TYPES.get(spec)


_COMPARE = {"<": tf.less, "<=": tf.less_equal, ">=": tf.greater_equal, ">": tf.greater}


def _pre_activation(tensor: Any):
    """The activation's input, where it is a graph tensor (a TF op or slim's activation op).

    None for kslim layers that apply their activation inside (conv2d, fully_connected).
    """
    layer = keras_graph.producer(tensor)
    if layer is None:
        return None
    if getattr(layer, "function", None) is None and getattr(layer, "op", None) != "activation":
        return None
    inputs = keras_graph.call_inputs(tensor)
    return inputs[0] if len(inputs) == 1 else None


@register_op("fraction_where")
def _fraction_where_op(x: Tensor, compare: str, threshold: float):
    hits = _COMPARE[compare](x, tf.cast(threshold, x.dtype))
    return tf.reduce_mean(tf.cast(hits, tf.float32))


def _fraction_where(tensor: TensorLike, compare: str, threshold: float, scope: str):
    """The fraction of ``tensor``'s entries with ``entry <compare> threshold``."""
    if is_symbolic(tensor):
        with name_scope(scope) as ns:
            return apply_op(
                "fraction_where", tensor, ns.rstrip("/"), compare=compare, threshold=threshold
            )
    return _fraction_where_op(tf.convert_to_tensor(tensor), compare, threshold)


def _add_scalar_summary(tensor: _Summarizable, tag: str | None = None):
    # slim's summaries are TF1's tf.summary.scalar/histogram: the tag is made unique
    # in the current name scope (a second 'x' is 'x_1').
    shape = getattr(tensor, "shape", None)
    if shape is None or len(tuple(shape)) != 0:
        raise ValueError(f"Shape {tuple(shape or ())} must have rank 0 (scalar summary {tag!r})")
    return tf1_scalar(tag or f"{_op_name(tensor)}_summary", tensor)


def _add_histogram_summary(tensor: _Summarizable, tag: str | None = None):
    return tf1_histogram(tag or f"{_op_name(tensor)}_summary", tensor)


def summarize_activation(op: Tensor) -> SummaryEntry:
    """Summarizes an activation: a histogram, and how often it saturates.

    Tags (``N`` is the tensor's op name, ``conv1/Relu``): ``N/activation``
    (histogram); for relu, relu6 and softplus ``N/zeros``, the fraction of
    pre-activations below 0; for relu6 also ``N/sixes``, the fraction above 6.
    For a TF activation on a KerasTensor (``tf.nn.relu(net)``) or the
    activation after a ``normalizer_fn`` they are counted on its input, as in
    slim; conv2d/fully_connected apply their activation inside the layer, so
    there they are read from the output (relu: ``== 0``, relu6: ``== 6``,
    softplus: ``< log 2``), the same numbers except for pre-activations exactly
    at 0 or 6.

    Args:
      op: the activation tensor (a layer's output).

    Returns:
      The histogram summary entry ``(tag, tensor, 'histogram')``.

    Raises:
      ValueError: for an eager tensor (it has no op name to tag it by).
    """
    name = _op_name(op)
    kind = _activation_type(op)
    pre = _pre_activation(op) if kind is not None else None
    if pre is not None:
        # slim's own counts: pre-activations below 0 and above 6.
        zeros, sixes = ("<", 0.0, pre), (">", 6.0, pre)
    else:
        # Read from the output: relu == 0 (pre <= 0), relu6 == 6, softplus < log 2.
        below = (0.0, "<=") if kind != "Softplus" else (float(np.log(2.0)), "<")
        zeros, sixes = (below[1], below[0], op), (">=", 6.0, op)
    if kind is not None:
        compare, threshold, tensor = zeros
        _add_scalar_summary(_fraction_where(tensor, compare, threshold, "zeros"), f"{name}/zeros")
    if kind == "Relu6":
        compare, threshold, tensor = sixes
        _add_scalar_summary(_fraction_where(tensor, compare, threshold, "sixes"), f"{name}/sixes")
    return _add_histogram_summary(op, f"{name}/activation")


def summarize_tensor(tensor: _Summarizable, tag: str | None = None) -> SummaryEntry | None:
    """Summarizes ``tensor``: a scalar summary for rank 0, a histogram otherwise.

    Args:
      tensor: a tensor, KerasTensor or variable.
      tag: the tag, default ``'<op name>_summary'``.

    Returns:
      The entry, or None for string and bool tensors (slim skips them).
    """
    dtype = tf.as_dtype(keras.backend.standardize_dtype(tensor.dtype))
    if dtype in (tf.string, tf.bool):
        return None
    if len(tuple(tensor.shape)) == 0:
        return _add_scalar_summary(tensor, tag)
    return _add_histogram_summary(tensor, tag)


def summarize_tensors(
    tensors: Iterable[_Summarizable], summarizer: Callable = summarize_tensor
) -> list:
    """``summarizer(t)`` for each tensor; returns their results."""
    return [summarizer(tensor) for tensor in tensors]


def summarize_collection(
    collection: str, name_filter: str | None = None, summarizer: Callable = summarize_tensor
) -> list:
    """Summarizes the tensors of a graph collection.

    Args:
      collection: the collection name (``GraphKeys.ACTIVATIONS``...).
      name_filter: optional regular expression matched (``re.match``) against
        each item's op name; None keeps all.
      summarizer: applied to each kept item, default ``summarize_tensor``.

    Returns:
      The summarizer's results.
    """
    items = [
        item
        for item in get_default_graph().get_collection(collection)
        if name_filter is None or re.match(name_filter, _op_name(item))
    ]
    return summarize_tensors(items, summarizer)


def summarize_variables(
    name_filter: str | None = None, summarizer: Callable = summarize_tensor
) -> list:
    """``summarize_collection(GraphKeys.GLOBAL_VARIABLES, ...)``."""
    return summarize_collection(GraphKeys.GLOBAL_VARIABLES, name_filter, summarizer)


def summarize_weights(
    name_filter: str | None = None, summarizer: Callable = summarize_tensor
) -> list:
    """``summarize_collection(GraphKeys.WEIGHTS, ...)``."""
    return summarize_collection(GraphKeys.WEIGHTS, name_filter, summarizer)


def summarize_biases(
    name_filter: str | None = None, summarizer: Callable = summarize_tensor
) -> list:
    """``summarize_collection(GraphKeys.BIASES, ...)``."""
    return summarize_collection(GraphKeys.BIASES, name_filter, summarizer)


def summarize_activations(
    name_filter: str | None = None, summarizer: Callable = summarize_activation
) -> list:
    """``summarize_collection(GraphKeys.ACTIVATIONS, ...)`` with ``summarize_activation``."""
    return summarize_collection(GraphKeys.ACTIVATIONS, name_filter, summarizer)
