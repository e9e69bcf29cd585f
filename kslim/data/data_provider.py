"""slim.data.data_provider: the abstract provider of named items.

``provider.get(['image', 'label'])`` returns one value per requested item.
"""

from __future__ import annotations

from collections.abc import KeysView
from typing import Any

__all__ = ["DataProvider"]


class DataProvider:
    """Maps a list of requested data items to tensors from a data source.

    Subclasses pass a dictionary of item names to tensors (or, for
    ``DatasetDataProvider``, to the ``tf.TypeSpec`` of each item) and may override
    ``get``.
    """

    def __init__(self, items_to_tensors: dict, num_samples: int) -> None:
        """Constructs the data provider.

        Args:
          items_to_tensors: a dictionary of names to tensors.
          num_samples: the number of samples in the dataset being provided.
        """
        self._items_to_tensors = items_to_tensors
        self._num_samples = num_samples

    def get(self, items: Any) -> list:
        """Returns a list of tensors specified by the given list of items.

        Args:
          items: a list or tuple of strings, each of which names an item.

        Returns:
          A list of tensors, one per item, in the order of ``items``.

        Raises:
          ValueError: if ``items`` is not a list or tuple, or names an unknown item.
        """
        self._validate_items(items)
        return [self._items_to_tensors[item] for item in items]

    def list_items(self) -> KeysView[str]:
        """Returns the names of the items the provider can provide (``dict_keys``)."""
        return self._items_to_tensors.keys()

    def num_samples(self) -> int:
        """Returns the number of data samples in the dataset."""
        return self._num_samples

    def _validate_items(self, items: Any) -> None:
        """Raises slim's ``ValueError`` for a non-sequence or an unknown item."""
        if not isinstance(items, (list, tuple)):
            raise ValueError("items must be a list or tuple")
        valid_items = self.list_items()
        for item in items:
            if item not in valid_items:
                raise ValueError(f"Item [{item}] is invalid. Valid entries include: {valid_items}")
