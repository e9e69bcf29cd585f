"""slim's global step: the graph's GLOBAL_STEP variable (the TrainOp's optimizer iterations)."""

from __future__ import annotations

import logging
from typing import Any

import keras
import tensorflow as tf

from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.ops.variable_scope import get_variable_scope
from kslim.variables.queries import get_variable_full_name

__all__ = [
    "assert_global_step",
    "assert_or_get_global_step",
    "create_global_step",
    "get_global_step",
    "get_or_create_global_step",
    "register_global_step",
]

_log = logging.getLogger("kslim")

# Marks the step made by ``create_global_step`` (replaced by the TrainOp's own).
_CREATED_MARK = "_kslim_global_step"


def is_created_global_step(variable: Any) -> bool:
    """True for a global step made by ``create_global_step``.

    Args:
      variable: any variable.

    Returns:
      Whether ``create_global_step`` made it.
    """
    return getattr(variable, _CREATED_MARK, False)


def register_global_step(
    global_step: keras.Variable | tf.Variable, graph: Graph | None = None
) -> None:
    """Makes ``global_step`` (e.g. a Keras optimizer's ``iterations``) the graph's.

    The TrainOp calls this with its optimizer's ``iterations``. A global step
    created earlier by ``create_global_step`` is replaced (and removed from
    GLOBAL_VARIABLES) after its value is copied into ``global_step``.
    """
    assert_global_step(global_step)
    graph = graph or get_default_graph()
    for old in graph.get_collection(GraphKeys.GLOBAL_STEP):
        if old is global_step:
            continue
        if is_created_global_step(old):
            global_step.assign(tf.cast(old, global_step.dtype))
            ref = graph.get_collection_ref(GraphKeys.GLOBAL_VARIABLES)
            ref[:] = [v for v in ref if v is not old]
    graph.clear_collection(GraphKeys.GLOBAL_STEP)
    graph.add_to_collection(GraphKeys.GLOBAL_STEP, global_step)


def assert_global_step(global_step_tensor: keras.Variable | tf.Variable | tf.Tensor) -> None:
    """Checks ``global_step_tensor`` is a scalar integer variable or tensor.

    Raises:
      TypeError: TF's messages for a non-variable, non-integer or non-scalar value.
    """
    if not isinstance(global_step_tensor, (tf.Variable, tf.Tensor, keras.Variable)):
        raise TypeError(
            f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.'
        )
    dtype = tf.as_dtype(global_step_tensor.dtype)
    if not dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: {dtype}')
    shape = tf.TensorShape(global_step_tensor.shape)
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def get_global_step(graph: Graph | None = None) -> keras.Variable | tf.Variable | None:
    """The global step of ``graph``.

    The GLOBAL_STEP collection's single item, else a global variable named
    ``global_step``, else None.
    """
    graph = graph or get_default_graph()
    items = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(items) > 1:
        _log.error("Multiple tensors in global_step collection.")
        return None
    if items:
        step = items[0]
    else:
        named = [
            v
            for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
            if get_variable_full_name(v) == GraphKeys.GLOBAL_STEP
        ]
        if not named:
            return None
        step = named[0]
    assert_global_step(step)
    return step


def create_global_step(graph: Graph | None = None) -> keras.Variable:
    """Creates ``global_step``: an int64 scalar, non-trainable ``keras.Variable``.

    As TF1's, it is named in the current variable scope (not the name scope):
    created at the top level it is ``global_step``; created by model code inside
    ``variable_scope('cell_0')`` (NASNet's drop path) it is ``cell_0/global_step``.

    Raises:
      ValueError: ``'"global_step" already exists.'``
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    parent, _, leaf = get_variable_scope().name.rpartition("/")
    with tf.device("cpu:0"), keras.name_scope(leaf, override_parent=parent):
        step = keras.Variable(
            0,
            shape=(),
            dtype="int64",
            trainable=False,
            name=GraphKeys.GLOBAL_STEP,
            aggregation="only_first_replica",
        )
    setattr(step, _CREATED_MARK, True)
    graph.add_to_collections([GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP], step)
    return step


def get_or_create_global_step(graph: Graph | None = None) -> keras.Variable | tf.Variable:
    """The global step of ``graph``, created if there is none.

    Once a TrainOp exists this is its optimizer's ``iterations``.
    """
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def assert_or_get_global_step(
    graph: Graph | None = None,
    global_step_tensor: keras.Variable | tf.Variable | tf.Tensor | None = None,
) -> keras.Variable | tf.Variable | tf.Tensor | None:
    """Checks ``global_step_tensor`` if given, else returns ``get_global_step(graph)``."""
    if global_step_tensor is None:
        return get_global_step(graph)
    assert_global_step(global_step_tensor)
    return global_step_tensor
