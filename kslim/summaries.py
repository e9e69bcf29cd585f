"""slim.summaries: summaries of graph tensors, written by training and evaluation.

A summary records ``(tag, tensor, kind)`` in the graph (collection SUMMARIES).
``create_train_op`` makes every KerasTensor summary an output of the TrainOp,
and the summary saver writes it every ``save_summaries_secs``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope

__all__ = [
    "add_histogram_summaries",
    "add_histogram_summary",
    "add_image_summaries",
    "add_image_summary",
    "add_scalar_summaries",
    "add_scalar_summary",
    "add_zero_fraction_summaries",
    "add_zero_fraction_summary",
]


def _tensor_name(tensor: Any) -> str:
    history = getattr(tensor, "_keras_history", None)
    if history is not None:
        return history.operation.name.replace(".", "/")
    name = getattr(tensor, "name", None)
    if isinstance(name, str):
        return name.split(":")[0]
    raise ValueError(f"summary of {tensor!r} needs a name")


def _get_summary_name(tensor, name=None, prefix=None, postfix=None) -> str:
    if not name:
        name = _tensor_name(tensor)
    if prefix:
        name = prefix + "/" + name
    if postfix:
        name = name + "/" + postfix
    return name


def _record(tag: str, tensor: Any, kind: str, print_summary: bool = False) -> tuple:
    if not (
        is_symbolic(tensor)
        or isinstance(tensor, (tf.Tensor, tf.Variable))
        or hasattr(tensor, "shape")
    ):
        raise TypeError(f"summary {tag!r}: tensor must be a tensor, got {tensor!r}")
    if print_summary:
        import logging

        logging.getLogger("kslim").info("summary %s: %s", tag, tensor)
    entry = (tag, tensor, kind)
    graph = get_default_graph()
    graph.add_to_collection("_summary_tensors", entry)
    graph.add_to_collection(GraphKeys.SUMMARIES, entry)
    return entry


def add_histogram_summary(tensor, name=None, prefix=None):
    """Records a histogram summary of ``tensor``; returns ``(tag, tensor, kind)``."""
    return _record(_get_summary_name(tensor, name, prefix), tensor, "histogram")


def add_image_summary(tensor, name=None, prefix=None, print_summary=False):
    """Records an image summary of ``tensor`` [N, H, W, C]."""
    return _record(_get_summary_name(tensor, name, prefix), tensor, "image", print_summary)


def add_scalar_summary(tensor, name=None, prefix=None, print_summary=False):
    """Records a scalar summary of ``tensor``.

    Raises:
      ValueError: if ``tensor`` is not a scalar.
    """
    shape = getattr(tensor, "shape", ())
    if shape is not None and len(tuple(shape)) != 0:
        raise ValueError(f"add_scalar_summary: tensor must be a scalar, got shape {tuple(shape)}")
    return _record(_get_summary_name(tensor, name, prefix), tensor, "scalar", print_summary)


@register_op("zero_fraction")
def _zero_fraction_op(x):
    return tf.math.zero_fraction(x)


def add_zero_fraction_summary(tensor, name=None, prefix=None, print_summary=False):
    """Records the fraction of zeros of ``tensor`` (tag ``<name>/Fraction_of_Zero_Values``)."""
    tag = _get_summary_name(tensor, name, prefix, "Fraction_of_Zero_Values")
    if is_symbolic(tensor):
        with name_scope("zero_fraction") as ns:
            value = apply_op("zero_fraction", tensor, ns.rstrip("/"))
    else:
        value = tf.math.zero_fraction(tensor)
    return _record(tag, value, "scalar", print_summary)


def add_histogram_summaries(tensors, prefix=None):
    """``add_histogram_summary`` for each tensor."""
    return [add_histogram_summary(t, prefix=prefix) for t in tensors]


def add_image_summaries(tensors, prefix=None):
    """``add_image_summary`` for each tensor."""
    return [add_image_summary(t, prefix=prefix) for t in tensors]


def add_scalar_summaries(tensors, prefix=None, print_summary=False):
    """``add_scalar_summary`` for each tensor."""
    return [add_scalar_summary(t, prefix=prefix, print_summary=print_summary) for t in tensors]


def add_zero_fraction_summaries(tensors, prefix=None):
    """``add_zero_fraction_summary`` for each tensor."""
    return [add_zero_fraction_summary(t, prefix=prefix) for t in tensors]
