"""slim.data.tfexample_decoder: decoding ``tf.train.Example`` / ``SequenceExample`` records.

The ``keys_to_features`` / ``items_to_handlers`` declarations of a slim dataset file
work unchanged::

    keys_to_features = {
        'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
        'image/format': tf.io.FixedLenFeature((), tf.string, default_value='png'),
        'image/class/label': tf.io.FixedLenFeature([], tf.int64, default_value=0),
    }
    items_to_handlers = {
        'image': slim.tfexample_decoder.Image(shape=[8, 8, 1], channels=1),
        'label': slim.tfexample_decoder.Tensor('image/class/label'),
    }
    decoder = slim.tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers)
    image, label = decoder.decode(serialized_example, ['image', 'label'])

``decode`` runs eagerly on one serialized example, and inside ``tf.data`` map
functions (graph mode), which is how ``DatasetDataProvider`` uses it.
"""

from __future__ import annotations

from collections.abc import KeysView
from typing import Any

import tensorflow as tf

from kslim.data.data_decoder import DataDecoder
from kslim.data.item_handlers import (
    BackupHandler,
    BoundingBox,
    Image,
    ItemHandler,
    ItemHandlerCallback,
    LookupTensor,
    SparseTensor,
    Tensor,
)
from kslim.data.sequence_handlers import BoundingBoxSequence, KeypointsSequence, NumBoxesSequence

__all__ = [
    "BackupHandler",
    "BoundingBox",
    "BoundingBoxSequence",
    "Image",
    "ItemHandler",
    "ItemHandlerCallback",
    "KeypointsSequence",
    "LookupTensor",
    "NumBoxesSequence",
    "SparseTensor",
    "TFExampleDecoder",
    "TFSequenceExampleDecoder",
    "Tensor",
]


def _select_items(items_to_handlers: dict, items: Any) -> list:
    if not items:
        return list(items_to_handlers.keys())
    if isinstance(items, str):
        raise ValueError(f"items must be a list of item names, got the string {items!r}")
    for item in items:
        if item not in items_to_handlers:
            raise ValueError(
                f"Item [{item}] is invalid. Valid entries include: {list(items_to_handlers.keys())}"
            )
    return list(items)


class TFExampleDecoder(DataDecoder):
    """A decoder for ``tf.train.Example`` protos.

    Decoding parses the example with the ``FixedLenFeature`` / ``VarLenFeature``
    specs of ``keys_to_features``, then each requested item's handler turns the
    parsed tensors of its keys into the item.
    """

    def __init__(self, keys_to_features: dict, items_to_handlers: dict) -> None:
        """Constructs the decoder.

        Args:
          keys_to_features: a dictionary from feature keys to ``tf.io.FixedLenFeature``
            or ``tf.io.VarLenFeature`` (also ``tf.compat.v1`` ones) instances.
          items_to_handlers: a dictionary from item names to ``ItemHandler``
            instances.

        Raises:
          TypeError: if a handler is not an ``ItemHandler``.
          ValueError: if a handler reads a key missing from ``keys_to_features``.
        """
        _check_handlers(items_to_handlers, set(keys_to_features))
        self._keys_to_features = keys_to_features
        self._items_to_handlers = items_to_handlers

    def list_items(self) -> list:
        """Returns the item names (a list), in declaration order."""
        return list(self._items_to_handlers.keys())

    def decode(self, serialized_example: Any, items: Any = None) -> list:
        """Decodes the given serialized example.

        Args:
          serialized_example: a scalar string tensor (or ``bytes``) holding a
            serialized ``tf.train.Example``.
          items: the list of items to decode; None or empty decodes every item.

        Returns:
          The decoded items, a list of tensors in the order of ``items``.

        Raises:
          ValueError: if an item is unknown.
        """
        items = _select_items(self._items_to_handlers, items)
        example = tf.io.parse_single_example(serialized_example, self._keys_to_features)
        # Reshape dense features once, in a deterministic order (as slim).
        for key in sorted(self._keys_to_features):
            feature = self._keys_to_features[key]
            if isinstance(feature, tf.io.FixedLenFeature):
                example[key] = tf.reshape(example[key], feature.shape)
        outputs = []
        for item in items:
            handler = self._items_to_handlers[item]
            outputs.append(handler.tensors_to_item({key: example[key] for key in handler.keys}))
        return outputs


class TFSequenceExampleDecoder(DataDecoder):
    """A decoder for ``tf.train.SequenceExample`` protos."""

    def __init__(
        self,
        keys_to_context_features: dict,
        keys_to_sequence_features: dict,
        items_to_handlers: dict,
    ) -> None:
        """Constructs the decoder.

        Args:
          keys_to_context_features: context keys -> ``FixedLenFeature`` /
            ``VarLenFeature``.
          keys_to_sequence_features: sequence keys -> ``FixedLenSequenceFeature`` /
            ``VarLenFeature``.
          items_to_handlers: item names -> ``ItemHandler`` instances.

        Raises:
          ValueError: if a key is both a context and a sequence key, or a handler
            reads an undeclared key.
          TypeError: if a handler is not an ``ItemHandler``.
        """
        unique_keys = set(keys_to_context_features) | set(keys_to_sequence_features)
        if len(unique_keys) != len(keys_to_context_features) + len(keys_to_sequence_features):
            context_keys = list(keys_to_context_features.keys())
            sequence_keys = list(keys_to_sequence_features.keys())
            raise ValueError(
                "Context and sequence keys are not unique. \n"
                f" Context keys: {context_keys} \n Sequence keys: {sequence_keys}"
            )
        _check_handlers(items_to_handlers, unique_keys)
        self._keys_to_context_features = keys_to_context_features
        self._keys_to_sequence_features = keys_to_sequence_features
        self._items_to_handlers = items_to_handlers

    def list_items(self) -> KeysView[str]:
        """Returns the item names (``dict_keys``, as slim)."""
        return self._items_to_handlers.keys()

    def decode(self, serialized_example: Any, items: Any = None) -> list:
        """Decodes the given serialized sequence example.

        Args:
          serialized_example: a scalar string tensor (or ``bytes``) holding a
            serialized ``tf.train.SequenceExample``.
          items: the list of items to decode; None or empty decodes every item.

        Returns:
          The decoded items, a list of tensors in the order of ``items``.

        Raises:
          ValueError: if an item is unknown.
        """
        items = _select_items(self._items_to_handlers, items)
        context, feature_list = tf.io.parse_single_sequence_example(
            serialized_example,
            context_features=self._keys_to_context_features,
            sequence_features=self._keys_to_sequence_features,
        )
        context = dict(context)
        for key, feature in self._keys_to_context_features.items():
            if isinstance(feature, tf.io.FixedLenFeature):
                context[key] = tf.reshape(context[key], feature.shape)
        outputs = []
        for item in items:
            handler = self._items_to_handlers[item]
            keys_to_tensors = {
                key: context[key] if key in context else feature_list[key] for key in handler.keys
            }
            outputs.append(handler.tensors_to_item(keys_to_tensors))
        return outputs


def _check_handlers(items_to_handlers: dict, known_keys: set) -> None:
    """Fails at construction (not at the first record) on a bad handler table."""
    for item, handler in items_to_handlers.items():
        if not isinstance(handler, ItemHandler):
            raise TypeError(
                f"items_to_handlers[{item!r}] must be an ItemHandler, got {type(handler).__name__}"
            )
        missing = [key for key in handler.keys if key not in known_keys]
        if missing:
            raise ValueError(
                f"items_to_handlers[{item!r}] reads feature keys {missing} that are not "
                f"declared in the features: {sorted(known_keys)}"
            )
