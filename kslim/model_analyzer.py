"""slim.model_analyzer: sizes of a model's variables and of its graph's outputs.

``analyze_vars`` and ``tensor_description`` keep tf_slim's output format
exactly. ``analyze_ops`` has no TF1 graph of operations to walk: on a kslim
``Graph`` it counts the layers registered in the graph's layer registry (the
layers with variables: conv, fully_connected, batch_norm...; weightless ops
such as pooling are not registered and not counted), one line per layer with
the shapes of its outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf

from kslim.ops import keras_graph
from kslim.tensor_types import Tensor

if TYPE_CHECKING:
    from kslim.ops.graph import Graph

__all__ = ["analyze_ops", "analyze_vars", "tensor_description"]


def _shape(value: Any) -> tuple:
    shape = getattr(value, "shape", None)
    if shape is None:
        raise TypeError(
            f"expected a tensor or variable with a shape, got {type(value).__name__}: {value!r}"
        )
    return tuple(tf.TensorShape(shape).as_list()) if shape is not None else ()


def _dtype(value: Any) -> tf.DType:
    return tf.as_dtype(getattr(value, "dtype", "float32"))


def _num_elements(shape: tuple) -> int:
    """Elements of a shape; 0 if any dimension is unknown (slim's ``or 0``)."""
    if any(d is None for d in shape):
        return 0
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _name(value: Any) -> str:
    """slim's ``var.name``: the TF1 name with ``:0`` (kslim variables: ``path:0``)."""
    path = getattr(value, "path", None)
    if path:
        return path + ":0"
    return str(getattr(value, "name", value))


def tensor_description(var: Tensor | tf.Variable | keras.Variable) -> str:
    """Returns a compact string with the type and size of a tensor.

    Args:
      var: a tensor, KerasTensor or variable.

    Returns:
      e.g. ``'(float32 1x8x8x1024)'`` (unknown dimensions print ``None``).

    Raises:
      TypeError: if ``var`` has no shape.
    """
    shape = _shape(var)
    return "(" + _dtype(var).name + " " + "x".join(str(d) for d in shape) + ")"


def analyze_vars(
    variables: Iterable[tf.Variable | keras.Variable], print_info: bool = False
) -> tuple[int, int]:
    """Returns the total size and bytes of ``variables``, optionally printing them.

    Prints slim's table: a header, one line ``name (dtype shape) [size, bytes: n]``
    per variable, then ``Total size of variables: %d`` and
    ``Total bytes of variables: %d``.

    Args:
      variables: list of variables, e.g. ``slim.get_model_variables()``.
      print_info: print the table.

    Returns:
      ``(total_size, total_bytes)``; a variable of unknown shape counts 0.

    Raises:
      TypeError: if an element has no shape.
    """
    if print_info:
        print("---------")
        print("Variables: name (type shape) [size]")
        print("---------")
    total_size = 0
    total_bytes = 0
    for var in variables:
        var_size = _num_elements(_shape(var))
        var_bytes = var_size * _dtype(var).size
        total_size += var_size
        total_bytes += var_bytes
        if print_info:
            print(_name(var), tensor_description(var), "[%d, bytes: %d]" % (var_size, var_bytes))
    if print_info:
        print("Total size of variables: %d" % total_size)
        print("Total bytes of variables: %d" % total_bytes)
    return total_size, total_bytes


def _layer_outputs(layer: Any) -> list:
    return keras_graph.layer_output_tensors(layer)


def analyze_ops(graph: Graph | tf.Graph, print_info: bool = False) -> int:
    r"""Returns the total size of the outputs of the layers registered in ``graph``.

    slim walked the TF1 graph's operations. A kslim ``Graph`` records the
    layers with variables created by the layer functions (by scope); each
    counts the elements of every output it produced (unknown dimensions, such
    as the batch size of a Keras input, make an output count 0, as slim's
    ``num_elements() or 0``). Printed as slim: header, then
    ``name \t-> (dtype shape), ... [size]`` per layer.

    Args:
      graph: a ``kslim.Graph`` (e.g. ``slim.get_default_graph()``), or any
        object with ``get_operations()`` returning objects with ``name`` and
        ``outputs`` (a TF1 ``tf.Graph``).
      print_info: print one line per layer.

    Returns:
      The total number of output elements.

    Raises:
      TypeError: if ``graph`` is neither.
    """
    if hasattr(graph, "get_operations"):
        ops = [(op.name, list(op.outputs)) for op in graph.get_operations()]
    elif hasattr(graph, "layers"):
        ops = [(name, _layer_outputs(layer)) for name, layer in _graph_layers(graph)]
    else:
        raise TypeError(
            f"analyze_ops: graph must be a kslim.Graph or a tf.Graph, got "
            f"{type(graph).__name__}: {graph!r}"
        )
    if print_info:
        print("---------")
        print("Operations: name -> (type shapes) [size]")
        print("---------")
    total_size = 0
    for name, outputs in ops:
        op_size = 0
        shapes = []
        for output in outputs:
            shape = _shape(output)
            op_size += _num_elements(shape)
            if shape:
                shapes.append(tensor_description(output))
        if print_info:
            print(name, "\t->", ", ".join(shapes), "[" + str(op_size) + "]")
        total_size += op_size
    return total_size


def _graph_layers(graph: Graph) -> list[tuple[str, Any]]:
    """``(scope, layer)`` of every layer registered in a kslim graph, in creation order."""
    layers = graph.layers
    return list(layers.items()) if hasattr(layers, "items") else list(layers)
