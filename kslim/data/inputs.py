"""kslim.data.inputs: model inputs that read a tf.data.Dataset when training starts."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.ops.graph import get_default_graph

__all__ = ["inputs", "as_dataset", "check_dataset_matches"]


def as_dataset(data: Any, batch_size: int = 32) -> tf.data.Dataset:
    """Returns ``data`` as a batched ``tf.data.Dataset``.

    Args:
      data: a ``tf.data.Dataset`` (returned as is, assumed batched), or numpy
        arrays / a tuple, list or dict of them (first axis = examples), which
        are sliced, shuffled-free, repeated and batched.
      batch_size: batch size for array data, default 32.

    Returns:
      The dataset.

    Raises:
      TypeError: for any other type, naming it.
    """
    if isinstance(data, tf.data.Dataset):
        return data
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size <= 0
    ):
        raise ValueError(f"batch_size must be a positive int, got batch_size={batch_size!r}")
    leaves = tf.nest.flatten(data)
    if leaves and all(isinstance(x, (np.ndarray, tf.Tensor, list)) for x in leaves):
        if isinstance(data, list):
            data = tuple(data)
        return (
            tf.data.Dataset.from_tensor_slices(data).repeat().batch(batch_size, drop_remainder=True)
        )
    raise TypeError(
        f"dataset must be a tf.data.Dataset or numpy arrays (a tuple/dict of them), got "
        f"{type(data).__name__}"
    )


def inputs(dataset: Any, batch_size: int = 32, name: str | None = None) -> Any:
    """Returns KerasTensors matching a dataset's elements and binds the dataset.

    The returned structure (a tensor, tuple or dict, as the dataset's
    elements) is the input of the model graph; ``learning.train`` (and the
    evaluators) read the bound dataset when they start, as slim read its input
    queues when ``train()`` was called.

    Args:
      dataset: a batched ``tf.data.Dataset`` or numpy arrays (see ``as_dataset``).
      batch_size: batch size used for numpy data.
      name: optional name prefix of the Keras inputs.

    Returns:
      KerasTensors with the dataset's element structure (batch dim None).
    """
    dataset = as_dataset(dataset, batch_size)
    spec = dataset.element_spec
    paths = _leaf_names(spec, name or "input")
    leaves = tf.nest.flatten(spec)
    tensors = []
    for leaf, leaf_name in zip(leaves, paths, strict=True):
        if not isinstance(leaf, tf.TensorSpec):
            raise TypeError(
                f"dataset elements must be dense tensors, got {leaf!r} at {leaf_name!r}"
            )
        shape = leaf.shape
        if shape.rank is None or shape.rank == 0:
            raise ValueError(
                f"dataset must be batched (elements of rank >= 1), got shape {shape} at "
                f"{leaf_name!r}"
            )
        tensors.append(keras.Input(shape=tuple(shape[1:]), dtype=leaf.dtype.name, name=leaf_name))
    structure = tf.nest.pack_sequence_as(spec, tensors)
    get_default_graph().bind(structure, dataset)
    return structure


def _leaf_names(spec: Any, prefix: str) -> list[str]:
    paths = []
    for path, _ in _flatten_with_paths(spec):
        suffix = "_".join(str(p) for p in path)
        paths.append(f"{prefix}_{suffix}" if suffix else prefix)
    graph = get_default_graph()
    return [graph.unique_name(p).replace("/", "_") for p in paths]


def _flatten_with_paths(structure: Any, path: tuple = ()):
    if isinstance(structure, dict):
        for key in sorted(structure):
            yield from _flatten_with_paths(structure[key], path + (key,))
    elif isinstance(structure, (list, tuple)):
        for i, item in enumerate(structure):
            yield from _flatten_with_paths(item, path + (i,))
    else:
        yield path, structure


def check_dataset_matches(
    dataset: tf.data.Dataset, model_inputs: Any, argname: str = "dataset"
) -> None:
    """Checks a dataset's element structure and shapes against model inputs.

    Raises:
      ValueError: naming the structure or the first mismatching shape/dtype.
    """
    spec = dataset.element_spec
    try:
        tf.nest.assert_same_structure(spec, model_inputs, check_types=False)
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"{argname} elements have structure {tf.nest.map_structure(lambda s: s.shape, spec)} "
            f"but the model inputs are "
            f"{tf.nest.map_structure(lambda t: tuple(t.shape), model_inputs)}: {e}"
        ) from None
    for leaf, tensor in zip(tf.nest.flatten(spec), tf.nest.flatten(model_inputs), strict=True):
        expected = tuple(tensor.shape[1:])
        got = tuple(leaf.shape[1:]) if leaf.shape.rank else ()
        if len(expected) != len(got) or any(
            e is not None and g is not None and e != g for e, g in zip(expected, got, strict=False)
        ):
            raise ValueError(
                f"{argname} element shape {tuple(leaf.shape)} does not match model input "
                f"{tensor.name!r} of shape {tuple(tensor.shape)}"
            )
        if tf.as_dtype(leaf.dtype) != tf.as_dtype(tensor.dtype):
            raise ValueError(
                f"{argname} element dtype {leaf.dtype.name} does not match model input "
                f"{tensor.name!r} of dtype {tensor.dtype}"
            )
