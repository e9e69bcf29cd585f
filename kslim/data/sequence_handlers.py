"""The item handlers of sequence features: boxes and keypoints per frame.

``tf.train.SequenceExample`` box and keypoint features parse to 2-D sparse tensors
``[time, n]``; these handlers stack them into ``[time, n, k]`` items or count the boxes
per frame. Like the handlers of ``item_handlers`` they use only TensorFlow ops, and
they are re-exported by ``kslim.data.tfexample_decoder``.
"""

from __future__ import annotations

import tensorflow as tf

from kslim.data.item_handlers import ItemHandler

__all__ = ["BoundingBoxSequence", "KeypointsSequence", "NumBoxesSequence"]


def _sparse_stack_last(keys_to_tensors: dict, full_keys: list) -> tf.SparseTensor:
    """Stacks 2-D sparse features ``[time, n]`` into one ``[time, n, len(keys)]``."""
    parts = []
    for key in full_keys:
        value = keys_to_tensors[key]
        expanded = tf.concat(
            [tf.cast(tf.shape(value), tf.int64), tf.constant([1], dtype=tf.int64)], 0
        )
        parts.append(tf.sparse.reshape(value, expanded))
    return tf.sparse.concat(2, parts)


class _StackedSequence(ItemHandler):
    """Stacks ``len(DEFAULT_KEYS)`` sparse sequence features into ``[time, n, k]`` items."""

    DEFAULT_KEYS: tuple[str, ...] = ()

    def __init__(
        self,
        keys: list | None,
        prefix: str | None,
        return_dense: bool,
        default_value: float,
    ) -> None:
        expected = len(self.DEFAULT_KEYS)
        if keys is None:
            keys = list(self.DEFAULT_KEYS)
        elif len(keys) != expected:
            raise ValueError(f"{type(self).__name__} expects {expected} keys but got {len(keys)}")
        self._prefix = prefix
        self._full_keys = [(prefix or "") + k for k in keys]
        self._return_dense = return_dense
        self._default_value = default_value
        super().__init__(self._full_keys)

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor | tf.SparseTensor:
        """Returns the stacked ``[time, n, k]`` item (dense or sparse)."""
        stacked = _sparse_stack_last(keys_to_tensors, self._full_keys)
        if self._return_dense:
            return tf.sparse.to_dense(stacked, default_value=self._default_value)
        return stacked


class BoundingBoxSequence(_StackedSequence):
    """Concatenates four sparse sequence features into ``[time, num_boxes, 4]`` boxes."""

    DEFAULT_KEYS = ("ymin", "xmin", "ymax", "xmax")

    def __init__(
        self,
        keys: list | None = None,
        prefix: str | None = None,
        return_dense: bool = True,
        default_value: float = -1.0,
    ) -> None:
        """Initializes the bounding box sequence handler.

        Args:
          keys: four key names for ymin, xmin, ymax, xmax; default
            ``['ymin', 'xmin', 'ymax', 'xmax']``.
          prefix: a prefix prepended to each key (None = no prefix; slim 1.1.0
            fails on None).
          return_dense: return a dense tensor (default True) or a sparse one.
          default_value: fill value of empty positions, default -1.0.

        Raises:
          ValueError: if ``keys`` is given and does not have exactly 4 keys.
        """
        super().__init__(keys, prefix, return_dense, default_value)


class NumBoxesSequence(ItemHandler):
    """Returns the number of boxes per frame (int64 ``[time]``) of 2-D sparse features."""

    def __init__(self, keys: list | None = None, check_consistency: bool = True) -> None:
        """Initializes the handler.

        Args:
          keys: keys of 2-D sparse features ``[time, boxes]``; the first one
            determines the result.
          check_consistency: assert that every key gives the same counts, default
            True.

        Raises:
          ValueError: if ``keys`` is empty.
        """
        if not keys:
            raise ValueError("keys must not be empty.")
        self._check_consistency = check_consistency
        super().__init__(keys)

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor:
        """Returns the ``[time]`` number of boxes per frame.

        Raises:
          ValueError: if a keyed tensor is not a ``tf.SparseTensor``.
        """

        def num_boxes_of(tensor: tf.SparseTensor | tf.Tensor) -> tf.Tensor:
            if not isinstance(tensor, tf.SparseTensor):
                raise ValueError("tensor must be of type tf.SparseTensor.")
            box_ids = tf.SparseTensor(tensor.indices, tensor.indices[:, 1], tensor.dense_shape)
            box_ids = tf.sparse.to_dense(box_ids, default_value=-1)
            # An empty frame (or an empty parse) pads to 0 boxes.
            return tf.reduce_max(tf.pad(box_ids + 1, [[0, 0], [0, 1]]), axis=1)

        num_boxes = num_boxes_of(keys_to_tensors[self._keys[0]])
        asserts = []
        if self._check_consistency:
            for key in self._keys[1:]:
                asserts.append(
                    tf.debugging.assert_equal(num_boxes, num_boxes_of(keys_to_tensors[key]))
                )
        with tf.control_dependencies(asserts):
            return tf.identity(num_boxes)


class KeypointsSequence(_StackedSequence):
    """Concatenates two sparse sequence features into ``[time, num_keypoints, 2]``."""

    DEFAULT_KEYS = ("y", "x")

    def __init__(
        self,
        keys: list | None = None,
        prefix: str | None = None,
        return_dense: bool = True,
        default_value: float = -1.0,
    ) -> None:
        """Initializes the keypoints handler.

        Args:
          keys: two key names for y and x; default ``['y', 'x']``.
          prefix: a prefix prepended to each key (None = no prefix).
          return_dense: return a dense tensor (default True) or a sparse one.
          default_value: fill value of empty positions, default -1.0.

        Raises:
          ValueError: if ``keys`` is given and does not have exactly 2 keys.
        """
        super().__init__(keys, prefix, return_dense, default_value)
