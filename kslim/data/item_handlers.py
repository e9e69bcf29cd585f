"""The item handlers of slim's ``tfexample_decoder``: parsed features -> one item.

Each handler names the ``tf.train.Example`` feature keys it reads (``keys``) and turns
the parsed tensors of those keys into one item (``tensors_to_item``). The handlers
use only TensorFlow ops, so they run eagerly on one example and inside ``tf.data``
map functions (graph mode). They are re-exported by ``kslim.data.tfexample_decoder``,
the module a slim dataset file imports them from. The handlers of
``tf.train.SequenceExample`` box and keypoint features are in ``sequence_handlers``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import tensorflow as tf

__all__ = [
    "BackupHandler",
    "BoundingBox",
    "Image",
    "ItemHandler",
    "ItemHandlerCallback",
    "LookupTensor",
    "SparseTensor",
    "Tensor",
]


class ItemHandler(abc.ABC):
    """Specifies the item-to-features mapping for parsing and post-processing."""

    def __init__(self, keys: Any) -> None:
        """Constructs the handler with the names of the ``tf.train.Feature`` keys it uses.

        Args:
          keys: a feature key or a list of feature keys.
        """
        if not isinstance(keys, (tuple, list)):
            keys = [keys]
        self._keys = keys

    @property
    def keys(self) -> list:
        """The feature keys this handler reads."""
        return self._keys

    @abc.abstractmethod
    def tensors_to_item(self, keys_to_tensors: dict) -> Any:
        """Maps the given dictionary of parsed tensors to the requested item.

        Args:
          keys_to_tensors: a mapping of feature keys to parsed tensors.

        Returns:
          The tensor (or ``tf.SparseTensor``) of the item.
        """


class ItemHandlerCallback(ItemHandler):
    """An ItemHandler that converts the parsed tensors via a given function."""

    def __init__(self, keys: Any, func: Callable[[dict], Any]) -> None:
        """Initializes the handler.

        Args:
          keys: a list of feature keys.
          func: a function of one argument, the dictionary from ``keys`` to parsed
            tensors, returning the item.
        """
        super().__init__(keys)
        self._func = func

    def tensors_to_item(self, keys_to_tensors: dict) -> Any:
        """Returns ``func(keys_to_tensors)``."""
        return self._func(keys_to_tensors)


class BoundingBox(ItemHandler):
    """Concatenates four parsed features into ``[num_boxes, 4]`` boxes."""

    def __init__(self, keys: list | None = None, prefix: str = "") -> None:
        """Initializes the bounding box handler.

        Args:
          keys: four key names for ymin, xmin, ymax, xmax; default
            ``['ymin', 'xmin', 'ymax', 'xmax']``.
          prefix: a prefix prepended to each key, default ``''``.

        Raises:
          ValueError: if ``keys`` is given and does not have exactly 4 keys.
        """
        if keys is None:
            keys = ["ymin", "xmin", "ymax", "xmax"]
        elif len(keys) != 4:
            raise ValueError(f"BoundingBox expects 4 keys but got {len(keys)}")
        self._prefix = prefix
        self._full_keys = [prefix + k for k in keys]
        super().__init__(self._full_keys)

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor:
        """Returns the ``[num_boxes, 4]`` boxes, columns in key order."""
        sides = []
        for key in self._full_keys:
            side = keys_to_tensors[key]
            if isinstance(side, tf.SparseTensor):
                side = side.values
            sides.append(tf.expand_dims(side, 0))
        return tf.transpose(tf.concat(sides, 0))


class Tensor(ItemHandler):
    """Returns a parsed tensor, densified and optionally reshaped."""

    def __init__(
        self,
        tensor_key: str,
        shape_keys: Any = None,
        shape: Any = None,
        default_value: Any = 0,
    ) -> None:
        """Initializes the Tensor handler.

        Args:
          tensor_key: the name of the feature to read the tensor from.
          shape_keys: optional name or list of names of the features holding the
            tensor's shape (one per dimension if a list).
          shape: optional fixed output shape.
          default_value: the value used to densify a sparse (``VarLenFeature``)
            tensor, default 0 (use ``''`` for strings).

        Raises:
          ValueError: if both ``shape_keys`` and ``shape`` are given.
        """
        if shape_keys and shape is not None:
            raise ValueError("Cannot specify both shape_keys and shape parameters.")
        if shape_keys and not isinstance(shape_keys, list):
            shape_keys = [shape_keys]
        self._tensor_key = tensor_key
        self._shape_keys = shape_keys
        self._shape = shape
        self._default_value = default_value
        keys = [tensor_key]
        if shape_keys:
            keys.extend(shape_keys)
        super().__init__(keys)

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor:
        """Returns the (densified, reshaped) tensor of ``tensor_key``."""
        tensor = keys_to_tensors[self._tensor_key]
        shape = self._shape
        if self._shape_keys:
            shape_dims = []
            for k in self._shape_keys:
                shape_dim = keys_to_tensors[k]
                if isinstance(shape_dim, tf.SparseTensor):
                    shape_dim = tf.sparse.to_dense(shape_dim)
                shape_dims.append(shape_dim)
            shape = tf.reshape(tf.stack(shape_dims), [-1])
        if isinstance(tensor, tf.SparseTensor):
            if shape is not None:
                tensor = tf.sparse.reshape(tensor, shape)
            return tf.sparse.to_dense(tensor, self._default_value)
        if shape is not None:
            tensor = tf.reshape(tensor, shape)
        return tensor


class LookupTensor(Tensor):
    """A ``Tensor`` handler whose result is looked up in a ``tf.lookup`` table."""

    def __init__(
        self,
        tensor_key: str,
        table: Any,
        shape_keys: Any = None,
        shape: Any = None,
        default_value: Any = "",
    ) -> None:
        """Initializes the LookupTensor handler.

        Args:
          tensor_key: the name of the feature to read the tensor from.
          table: a ``tf.lookup`` table (e.g. ``tf.lookup.StaticHashTable``).
          shape_keys: see ``Tensor``.
          shape: see ``Tensor``.
          default_value: see ``Tensor``; default ``''``.

        Raises:
          ValueError: if both ``shape_keys`` and ``shape`` are given.
        """
        self._table = table
        super().__init__(tensor_key, shape_keys, shape, default_value)

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor:
        """Returns ``table.lookup`` of the ``Tensor`` item."""
        return self._table.lookup(super().tensors_to_item(keys_to_tensors))


class BackupHandler(ItemHandler):
    """Tries a primary handler and uses a backup when its item has no elements."""

    def __init__(self, handler: ItemHandler, backup: ItemHandler) -> None:
        """Initializes the BackupHandler.

        Args:
          handler: the primary ItemHandler.
          backup: the backup ItemHandler.

        Raises:
          ValueError: if either is not an ItemHandler.
        """
        if not isinstance(handler, ItemHandler):
            raise ValueError(f"Primary handler is of type {type(handler)} instead of ItemHandler")
        if not isinstance(backup, ItemHandler):
            raise ValueError(f"Backup handler is of type {type(backup)} instead of ItemHandler")
        self._handler = handler
        self._backup = backup
        super().__init__(handler.keys + backup.keys)

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor:
        """Returns the primary item, or the backup item when the primary is empty."""
        item = self._handler.tensors_to_item(keys_to_tensors)
        return tf.cond(
            tf.equal(tf.reduce_prod(tf.shape(item)), 0),
            lambda: self._backup.tensors_to_item(keys_to_tensors),
            lambda: item,
        )


class SparseTensor(ItemHandler):
    """Builds a ``tf.SparseTensor`` from an ids feature and a values feature."""

    def __init__(
        self,
        indices_key: str | None = None,
        values_key: str | None = None,
        shape_key: str | None = None,
        shape: Any = None,
        densify: bool = False,
        default_value: Any = 0,
    ) -> None:
        """Initializes the SparseTensor handler.

        Args:
          indices_key: the feature holding the ids (last-dimension indices);
            default ``'indices'``.
          values_key: the feature holding the values; default ``'values'``.
          shape_key: optional feature holding the dense shape.
          shape: the dense shape when ``shape_key`` is not given (default: the
            parsed ids' dense shape).
          densify: return a dense tensor, default False.
          default_value: the fill value when densifying, default 0.
        """
        indices_key = indices_key or "indices"
        values_key = values_key or "values"
        self._indices_key = indices_key
        self._values_key = values_key
        self._shape_key = shape_key
        self._shape = shape
        self._densify = densify
        self._default_value = default_value
        keys = [indices_key, values_key]
        if shape_key:
            keys.append(shape_key)
        super().__init__(keys)

    def tensors_to_item(self, keys_to_tensors: dict) -> Any:
        """Returns the ``tf.SparseTensor`` (or its dense tensor if ``densify``)."""
        indices = keys_to_tensors[self._indices_key]
        values = keys_to_tensors[self._values_key]
        if self._shape_key:
            shape = keys_to_tensors[self._shape_key]
            if isinstance(shape, tf.SparseTensor):
                shape = tf.sparse.to_dense(shape)
        elif self._shape:
            shape = self._shape
        else:
            shape = indices.dense_shape
        rank = tf.shape(indices.indices)[1]
        ids = tf.cast(indices.values, tf.int64)
        preserved = tf.slice(indices.indices, [0, 0], tf.stack([-1, rank - 1]))
        new_indices = tf.concat([preserved, tf.reshape(ids, [-1, 1])], 1)
        tensor = tf.SparseTensor(new_indices, values.values, tf.cast(shape, tf.int64))
        if self._densify:
            tensor = tf.sparse.to_dense(tensor, self._default_value)
        return tensor


class Image(ItemHandler):
    """Decodes an encoded image feature (JPEG, PNG, GIF, BMP or raw bytes).

    As in slim, a ``dtype`` other than ``tf.uint8`` is a plain cast: ``tf.float32``
    images keep values in 0..255, they are NOT rescaled to [0, 1].
    """

    def __init__(
        self,
        image_key: str | None = None,
        format_key: str | None = None,
        shape: Any = None,
        channels: int = 3,
        dtype: Any = tf.uint8,
        repeated: bool = False,
        dct_method: str = "",
    ) -> None:
        """Initializes the image handler.

        Args:
          image_key: the feature holding the encoded image; default
            ``'image/encoded'``.
          format_key: the feature holding the format; default ``'image/format'``.
            ``'raw'``/``'RAW'`` means raw bytes (``tf.io.decode_raw``), anything
            else is decoded by content (JPEG with ``dct_method``, else
            ``tf.io.decode_image``).
          shape: optional output shape ``[height, width, channels]``; required for
            raw images to be reshaped, and what gives a batchable static shape.
          channels: the number of channels, default 3.
          dtype: the output dtype, default ``tf.uint8`` (a cast, not a rescale).
          repeated: decode a 1-D tensor of encoded images (via ``tf.map_fn``),
            default False.
          dct_method: JPEG decompression hint, default ``''``.
        """
        image_key = image_key or "image/encoded"
        format_key = format_key or "image/format"
        super().__init__([image_key, format_key])
        self._image_key = image_key
        self._format_key = format_key
        self._shape = shape
        self._channels = channels
        self._dtype = tf.as_dtype(dtype)
        self._repeated = repeated
        self._dct_method = dct_method

    def tensors_to_item(self, keys_to_tensors: dict) -> tf.Tensor:
        """Returns the decoded image (or the stacked images if ``repeated``)."""
        image_buffer = keys_to_tensors[self._image_key]
        image_format = keys_to_tensors[self._format_key]
        if self._repeated:
            return tf.map_fn(
                lambda x: self._decode(x, image_format),
                image_buffer,
                fn_output_signature=self._dtype,
            )
        return self._decode(image_buffer, image_format)

    def _decode(self, image_buffer: tf.Tensor, image_format: tf.Tensor) -> tf.Tensor:
        def decode_image():
            return tf.cast(tf.io.decode_image(image_buffer, channels=self._channels), self._dtype)

        def decode_jpeg():
            return tf.cast(
                tf.io.decode_jpeg(
                    image_buffer, channels=self._channels, dct_method=self._dct_method
                ),
                self._dtype,
            )

        def check_jpeg():
            return tf.cond(tf.io.is_jpeg(image_buffer), decode_jpeg, decode_image)

        def decode_raw():
            return tf.io.decode_raw(image_buffer, out_type=self._dtype)

        is_raw = tf.logical_or(tf.equal(image_format, "raw"), tf.equal(image_format, "RAW"))
        image = tf.cond(is_raw, decode_raw, check_jpeg)
        # Eagerly a raw image is still flat here; graph mode only knows the rank after
        # the reshape below, as in slim.
        if image.shape.is_compatible_with([None, None, self._channels]):
            image.set_shape([None, None, self._channels])
        if self._shape is not None:
            image = tf.reshape(image, self._shape)
        return image
