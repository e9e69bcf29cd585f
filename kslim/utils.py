"""slim.utils: named outputs (end_points) and small shape helpers."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import tensorflow as tf

from kslim.ops.graph import get_default_graph
from kslim.tensor_types import Collections, DTypeLike, ShapeLike, Size, TensorLike

__all__ = [
    "collect_named_outputs",
    "append_tensor_alias",
    "get_tensor_aliases",
    "gather_tensors_aliases",
    "convert_collection_to_dict",
    "constant_value",
    "static_cond",
    "smart_cond",
    "get_variable_collections",
    "two_element_tuple",
    "n_positive_integers",
    "channel_dimension",
    "last_dimension",
]


def append_tensor_alias(tensor: Any, alias: str) -> Any:
    """Records ``alias`` (trailing '/' stripped) for ``tensor``; returns it."""
    if alias[-1] == "/":
        alias = alias[:-1]
    get_default_graph().add_tensor_alias(tensor, alias)
    return tensor


def get_tensor_aliases(tensor: Any) -> list[str]:
    """Aliases recorded for ``tensor`` (its name when it has none)."""
    aliases = get_default_graph().tensor_aliases(tensor)
    if aliases:
        return aliases
    name = getattr(tensor, "name", None)
    if isinstance(name, str) and name.endswith(":0"):
        name = name[:-2]
    return [name]


def gather_tensors_aliases(tensors: Iterable[Any]) -> list[str]:
    """All aliases of ``tensors``, in order."""
    aliases = []
    for tensor in tensors:
        aliases += get_tensor_aliases(tensor)
    return aliases


def collect_named_outputs(
    collections_: str | Sequence[str] | None, alias: str, outputs: Any
) -> Any:
    """Adds ``outputs`` under ``alias`` to each collection in ``collections_``.

    Args:
      collections_: a collection name, a list of them, or None (nothing).
      alias: the end_point name (a trailing '/' is stripped).
      outputs: the tensor.

    Returns:
      ``outputs``.
    """
    if collections_:
        append_tensor_alias(outputs, alias)
        get_default_graph().add_to_collections(collections_, outputs)
    return outputs


def convert_collection_to_dict(collection: str, clear_collection: bool = False) -> dict:
    """Returns an ``OrderedDict`` alias -> tensor over a collection (end_points).

    Args:
      collection: the collection name.
      clear_collection: empty the collection afterwards.
    """
    graph = get_default_graph()
    output = collections.OrderedDict()
    for tensor in graph.get_collection(collection):
        for alias in get_tensor_aliases(tensor):
            output[alias] = tensor
    if clear_collection:
        graph.clear_collection(collection)
    return output


def constant_value(value_or_tensor_or_var: TensorLike, dtype: DTypeLike | None = None) -> Any:
    """The static value of a Python value or constant tensor (None if unknown).

    Raises:
      ValueError: if ``value_or_tensor_or_var`` is None.
    """
    if value_or_tensor_or_var is None:
        raise ValueError("value_or_tensor_or_var cannot be None")
    value = value_or_tensor_or_var
    if isinstance(value, tf.Variable) or hasattr(value, "assign"):
        return None
    if isinstance(value, tf.Tensor):
        static = tf.get_static_value(value)
        value = static
    if value is not None and dtype is not None:
        value = tf.constant(value, dtype=dtype).numpy()
    return value


def static_cond(pred: TensorLike, fn1: Callable[[], Any], fn2: Callable[[], Any]) -> Any:
    """``fn1()`` if ``pred`` else ``fn2()``; ``pred`` must be a Python/static value."""
    if not callable(fn1):
        raise TypeError("fn1 must be callable.")
    if not callable(fn2):
        raise TypeError("fn2 must be callable.")
    return fn1() if pred else fn2()


def smart_cond(
    pred: TensorLike,
    fn1: Callable[[], Any],
    fn2: Callable[[], Any],
    name: str | None = None,
) -> Any:
    """Static cond when ``pred`` is known, else ``tf.cond``."""
    static = constant_value(pred)
    if static is not None:
        return static_cond(static, fn1, fn2)
    return tf.cond(pred, fn1, fn2, name=name)


def get_variable_collections(variables_collections: Collections | None, name: str) -> Any:
    """``variables_collections.get(name)`` for a dict, else the value itself."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name, None)
    return variables_collections


def two_element_tuple(int_or_tuple: Size | tf.TensorShape) -> tuple[int, int]:
    """``(x, x)`` for an int, the pair for a 2-element list/tuple/TensorShape.

    Raises:
      ValueError: for any other value, naming it.
    """
    if isinstance(int_or_tuple, (list, tuple)):
        if len(int_or_tuple) != 2:
            raise ValueError("Must be a list with 2 elements: %s" % (int_or_tuple,))
        return int(int_or_tuple[0]), int(int_or_tuple[1])
    if isinstance(int_or_tuple, int):
        return int(int_or_tuple), int(int_or_tuple)
    if isinstance(int_or_tuple, tf.TensorShape):
        if len(int_or_tuple) == 2:
            return int_or_tuple[0], int_or_tuple[1]
    raise ValueError("Must be an int, a list with 2 elements or a TensorShape of length 2")


def n_positive_integers(
    n: int, value: Size | tf.TensorShape, name: str = "value"
) -> tuple[int, ...]:
    """Returns ``value`` as a tuple of ``n`` positive ints (an int is repeated).

    Raises:
      ValueError: naming ``name`` and the value when it is not of that form.
    """
    import numbers

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
        if value > 0:
            return (value,) * n
    elif isinstance(value, (list, tuple, tf.TensorShape)):
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            values = ()
        if (
            len(values) == n
            and all(v > 0 for v in values)
            and all(
                isinstance(v, numbers.Integral)
                or (hasattr(v, "__int__") and not isinstance(v, float))
                for v in value
            )
        ):
            return values
    raise ValueError(
        f"{name} must be a positive int or a list/tuple of {n} positive ints, got {value!r}"
    )


def channel_dimension(shape: ShapeLike, data_format: str, min_rank: int = 1) -> int:
    """The channels dimension of ``shape`` for ``data_format`` ('NC...' or 'N...C').

    Raises:
      ValueError: if the rank is below ``min_rank`` or the dimension is unknown.
    """
    shape = tf.TensorShape(shape)
    if shape.rank is None:
        raise ValueError("dims of shape must be known but is None")
    if shape.rank < min_rank:
        raise ValueError("rank of shape must be at least %d not: %d" % (min_rank, shape.rank))
    axis = 1 if data_format.startswith("NC") else -1
    value = shape[axis]
    if value is None:
        raise ValueError("dimension %d of shape must be known but is None: %s" % (axis, shape))
    return int(value)


def last_dimension(shape: ShapeLike, min_rank: int = 1) -> int:
    """The last dimension of ``shape``.

    Raises:
      ValueError: if unknown or the rank is below ``min_rank``.
    """
    shape = tf.TensorShape(shape)
    if shape.rank is None:
        raise ValueError("dims of shape must be known but is None")
    if shape.rank < min_rank:
        raise ValueError("rank of shape must be at least %d not: %d" % (min_rank, shape.rank))
    value = shape[-1]
    if value is None:
        raise ValueError("last dimension shape must be known but is None")
    return int(value)
