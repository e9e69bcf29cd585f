"""Means, counts and concatenation.

streaming_mean, streaming_mean_tensor, count, streaming_concat, aggregate_metrics and
aggregate_metric_map.

Many slim metrics are a weighted mean of a per-element quantity (accuracy,
mean absolute error, percentage_less ...). They share the ``mean`` kind: a
registered *transform* turns the inputs into ``(values, weights)`` and an
optional *post* step (``sqrt``, ``one_minus``) maps the mean to the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.state import (
    InputShapes,
    MetricInputs,
    MetricSpec,
    MetricState,
    add,
    broadcast_weights,
    prepare,
    read,
    register_metric,
    streaming_metric,
)
from kslim.tensor_types import Collections, TensorLike

_TRANSFORMS: dict[str, Callable] = {}
_POST = {
    None: lambda x: x,
    "sqrt": tf.sqrt,
    "one_minus": lambda x: 1.0 - x,
}


def register_transform(name: str) -> Callable[[Callable], Callable]:
    """Registers ``fn(config, inputs) -> (values, weights)`` for the ``mean`` kind."""

    def decorator(fn: Callable) -> Callable:
        _TRANSFORMS[name] = fn
        return fn

    return decorator


@register_transform("identity")
def _identity(config: dict[str, Any], x: MetricInputs):
    return x["values"], x.get("weights")


def _mean_variables(config: dict[str, Any], shapes: InputShapes):
    return [("total", (), "float32"), ("count", (), "float32")]


def _mean_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    values, weights = _TRANSFORMS[config.get("transform", "identity")](config, x)
    values = tf.cast(values, tf.float32)
    if weights is None:
        num_values = tf.cast(tf.size(values), tf.float32)
    else:
        values, _, weights = prepare(values, None, tf.convert_to_tensor(weights))
        weights = broadcast_weights(tf.cast(weights, tf.float32), values)
        values = values * weights
        num_values = tf.reduce_sum(weights)
    total = add(state, "total", tf.reduce_sum(values))
    count = add(state, "count", num_values)
    return _POST[config.get("post")](tf.math.divide_no_nan(total, tf.maximum(count, 0.0)))


def _mean_value(config: dict[str, Any], state: MetricState):
    mean = tf.math.divide_no_nan(read(state, "total"), tf.maximum(read(state, "count"), 0.0))
    return _POST[config.get("post")](mean)


register_metric("mean", MetricSpec(_mean_variables, _mean_update, _mean_value))


def mean_metric(
    transform: str,
    tensors: dict,
    name: str | None,
    default_name: str,
    metrics_collections: Collections | None,
    updates_collections: Collections | None,
    post: str | None = None,
    **config: Any,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """A ``mean``-kind metric with a registered ``transform`` and ``post`` step."""
    config = dict(config, transform=transform)
    if post is not None:
        config["post"] = post
    return streaming_metric(
        "mean", tensors, config, name, default_name, metrics_collections, updates_collections
    )


def streaming_mean(
    values: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming weighted mean of ``values``.

    Variables ``<scope>/total`` and ``<scope>/count`` (default scope ``mean``).

    Args:
      values: tensor of any shape (cast to float32).
      weights: optional tensor broadcastable to ``values`` (rank 0 or same rank).
      metrics_collections: collections receiving the value.
      updates_collections: collections receiving the update.
      name: scope name, default ``mean``.

    Returns:
      ``(mean, update_op)``: Σw·v/Σw (0 when Σw is 0).

    Raises:
      ValueError: if a collections argument is not a list or tuple.
    """
    return mean_metric(
        "identity",
        {"values": values, "weights": weights},
        name,
        "mean",
        metrics_collections,
        updates_collections,
    )


# ---------------------------------------------------------------- mean_tensor
def _mean_tensor_variables(config: dict[str, Any], shapes: InputShapes):
    # An undefined dimension (a symbolic batch: kslim inputs have batch dimension
    # None) gives growable variables of size 0 there, shaped on the first update.
    shape = tuple(shapes["values"])
    return [("total_tensor", shape, "float32"), ("count_tensor", shape, "float32")]


def _add_or_init(state: MetricState, key: str, delta: TensorLike):
    """``state[key] += delta``; a variable still of size 0 (not yet shaped) takes ``delta``."""
    variable = state[key]
    delta = tf.cast(delta, variable.dtype)
    if variable.shape.is_fully_defined():
        return add(state, key, delta)
    current = tf.reshape(tf.convert_to_tensor(variable), [-1])
    # Branch-free (a tf.cond on the size failed inside the evaluation's while loop,
    # adding the size-0 value): the empty state is padded with zeros to the batch's size.
    missing = tf.size(delta) - tf.size(current)
    base = tf.concat([current, tf.zeros([missing], variable.dtype)], 0)
    variable.assign(tf.reshape(base, tf.shape(delta)) + delta)
    return tf.convert_to_tensor(variable)


def _mean_tensor_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    values = tf.cast(x["values"], tf.float32)
    num_values = tf.ones_like(values)
    weights = x.get("weights")
    if weights is not None:
        values, _, weights = prepare(values, None, weights)
        weights = broadcast_weights(tf.cast(weights, tf.float32), values)
        values = values * weights
        num_values = num_values * weights
    total = _add_or_init(state, "total_tensor", values)
    count = _add_or_init(state, "count_tensor", num_values)
    return tf.math.divide_no_nan(total, tf.maximum(count, 0.0))


def _mean_tensor_value(config: dict[str, Any], state: MetricState):
    return tf.math.divide_no_nan(
        read(state, "total_tensor"), tf.maximum(read(state, "count_tensor"), 0.0)
    )


register_metric(
    "mean_tensor",
    MetricSpec(_mean_tensor_variables, _mean_tensor_update, _mean_tensor_value, needs_shapes=True),
)


def streaming_mean_tensor(
    values: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming element-wise weighted mean of ``values``.

    Variables ``<scope>/total_tensor`` and ``<scope>/count_tensor`` of the
    shape of ``values`` (default scope ``mean``). On a symbolic batch (batch
    dimension None, as every kslim input) they are created of size 0 and take
    the shape of the first batch; later batches must have that shape.

    Args:
      values: tensor (batch dimension included).
      weights: optional tensor broadcastable to ``values``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``mean``.

    Returns:
      ``(mean, update_op)``, tensors of the shape of ``values``.

    Raises:
      InvalidArgumentError: a later batch of a different shape (when run).
    """
    return streaming_metric(
        "mean_tensor",
        {"values": values, "weights": weights},
        {},
        name,
        "mean",
        metrics_collections,
        updates_collections,
    )


# ---------------------------------------------------------------------- count
def _count_variables(config: dict[str, Any], shapes: InputShapes):
    return [("count", (), "float32")]


def _count_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    values = x["values"]
    weights = x.get("weights")
    if weights is None:
        num = tf.cast(tf.size(values), tf.float32)
    else:
        values = tf.cast(values, tf.float32)
        values, _, weights = prepare(values, None, weights)
        num = tf.reduce_sum(broadcast_weights(tf.cast(weights, tf.float32), values))
    return add(state, "count", num)


register_metric(
    "count", MetricSpec(_count_variables, _count_update, lambda config, state: read(state, "count"))
)


def count(
    values: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming count of the elements of ``values`` (or the sum of ``weights``).

    Variable ``<scope>/count`` (default scope ``count``). slim raises
    ``RuntimeError`` eagerly; kslim also works on concrete tensors.

    Args:
      values: tensor of any shape and dtype.
      weights: optional tensor broadcastable to ``values``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``count``.

    Returns:
      ``(count, update_op)``, float32 scalars.
    """
    return streaming_metric(
        "count",
        {"values": values, "weights": weights},
        {},
        name,
        "count",
        metrics_collections,
        updates_collections,
    )


# --------------------------------------------------------------------- concat
def _concat_variables(config: dict[str, Any], shapes: InputShapes):
    shape = list(shapes["values"])
    axis = config["axis"]
    fixed = [d for n, d in enumerate(shape) if n != axis]
    first = None if config.get("max_size") is None else config["max_size"]
    return [("array", tuple([first] + fixed), config["dtype"]), ("size", (), "int32")]


def _next_array_size(required_size: TensorLike, growth_factor: float = 1.5):
    exponent = tf.math.ceil(
        tf.math.log(tf.cast(required_size, tf.float32))
        / tf.math.log(tf.cast(growth_factor, tf.float32))
    )
    return tf.cast(tf.math.ceil(growth_factor**exponent), tf.int32)


def concat_update(
    state: MetricState, values: tf.Tensor, axis: int, max_size: int | None, prefix: str = ""
):
    """Appends ``values`` along ``axis`` to the growable buffer ``<prefix>array``."""
    array, size = state[prefix + "array"], state[prefix + "size"]
    ndim = values.shape.rank
    perm = [axis] + [n for n in range(ndim) if n != axis]
    values_size = tf.shape(values)[axis]
    cur = tf.convert_to_tensor(size)
    if max_size is None:
        batch_size = values_size
    else:
        batch_size = tf.minimum(values_size, max_size - cur)
    batch_values = tf.transpose(values, perm)[:batch_size]
    new_size = cur + batch_size
    old = tf.convert_to_tensor(array)
    capacity = tf.shape(old)[0]
    if max_size is None:
        next_capacity = tf.maximum(capacity, _next_array_size(tf.maximum(new_size, 1)))
        next_capacity = tf.where(new_size > capacity, next_capacity, capacity)
        pad = [[0, next_capacity - capacity]] + [[0, 0]] * (ndim - 1)
        old = tf.pad(old, pad)
    tail = old[new_size:]
    array.assign(tf.concat([old[:cur], tf.cast(batch_values, array.dtype), tail], 0))
    size.assign(new_size)
    return new_size


def concat_value(state: MetricState, axis: int, ndim: int, prefix: str = ""):
    """The valid part of the buffer, transposed back so ``axis`` is the concat axis."""
    perm = [0 if n == axis else n + 1 if n < axis else n for n in range(ndim)]
    valid = tf.convert_to_tensor(state[prefix + "array"])[: read(state, prefix + "size")]
    return tf.transpose(valid, perm)


def _concat_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    values = tf.cast(x["values"], config["dtype"])
    return concat_update(state, values, config["axis"], config.get("max_size"))


def _concat_value(config: dict[str, Any], state: MetricState):
    return concat_value(state, config["axis"], config["ndim"])


register_metric(
    "concat", MetricSpec(_concat_variables, _concat_update, _concat_value, needs_shapes=True)
)


def streaming_concat(
    values: TensorLike,
    axis: int = 0,
    max_size: int | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Concatenates ``values`` along ``axis`` across batches.

    Variables ``<scope>/array`` (a growable buffer) and ``<scope>/size``
    (default scope ``streaming_concat``).

    Args:
      values: tensor of static rank; every dimension but ``axis`` static.
      axis: the concatenation axis, default 0.
      max_size: optional maximum number of slices kept (later ones dropped).
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``streaming_concat``.

    Returns:
      ``(concatenated, update_op)``; ``update_op`` returns the new size (int32).

    Raises:
      ValueError: slim's messages for an unknown rank, a bad ``axis`` or an
        undefined non-concatenation dimension.
    """
    shape = getattr(values, "shape", None)
    if shape is None:
        values = tf.convert_to_tensor(values)
        shape = values.shape
    rank = len(shape) if getattr(shape, "rank", 0) is not None else None
    if rank is None:
        raise ValueError("`values` must have known statically known rank")
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank:
        raise ValueError(f"axis = {axis!r} not in [0, {rank!r})")
    if any(d is None for n, d in enumerate(shape) if n != axis):
        raise ValueError(
            "all dimensions of `values` other than the dimension to "
            "concatenate along must have statically known size"
        )
    dtype = tf.as_dtype(getattr(values, "dtype", "float32")).name
    config = {"axis": axis, "max_size": max_size, "dtype": dtype, "ndim": rank}
    return streaming_metric(
        "concat",
        {"values": values},
        config,
        name,
        "streaming_concat",
        metrics_collections,
        updates_collections,
    )


# ---------------------------------------------------------------- aggregation
def aggregate_metrics(*value_update_tuples: tuple[Any, Any]) -> tuple[list, list]:
    """Splits ``(value, update_op)`` pairs into ``([values], [update_ops])``.

    Raises:
      ValueError: with no pair (slim's message).
    """
    if not value_update_tuples:
        raise ValueError("Expected at least one value_tensor/update_op pair")
    value_ops, update_ops = zip(*value_update_tuples, strict=False)
    return list(value_ops), list(update_ops)


def aggregate_metric_map(names_to_tuples: Mapping[str, tuple[Any, Any]]) -> tuple[dict, dict]:
    """Splits ``{name: (value, update_op)}`` into ``({name: value}, {name: update_op})``."""
    metric_names = names_to_tuples.keys()
    value_ops, update_ops = zip(*names_to_tuples.values(), strict=False)
    return dict(zip(metric_names, value_ops, strict=False)), dict(
        zip(metric_names, update_ops, strict=False)
    )


__all__ = [
    "aggregate_metric_map",
    "aggregate_metrics",
    "count",
    "mean_metric",
    "register_transform",
    "streaming_concat",
    "streaming_mean",
    "streaming_mean_tensor",
]
