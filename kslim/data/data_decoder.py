"""slim.data.data_decoder: the abstract decoder a ``Dataset`` pairs with its reader.

A data decoder is given one serialized record (a scalar string tensor) and a list of
item names, and returns one tensor per item. In kslim, decoders run inside
``tf.data`` map functions (graph mode) or eagerly on a single serialized record.
"""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["DataDecoder"]


class DataDecoder(abc.ABC):
    """An abstract class which is used to decode data for a provider."""

    @abc.abstractmethod
    def decode(self, data: Any, items: Any) -> list:
        """Decodes the data to return the tensors specified by the list of items.

        Args:
          data: a possibly encoded record (for example a serialized
            ``tf.train.Example`` as a scalar string tensor).
          items: a list of strings, each of which names an item.

        Returns:
          A list of tensors, one per item, in the order of ``items``.

        Raises:
          ValueError: if any of the items cannot be satisfied.
        """

    @abc.abstractmethod
    def list_items(self) -> list:
        """Lists the names of the items that the decoder can decode.

        Returns:
          A list of string names.
        """
