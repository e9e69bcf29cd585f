"""slim.data.dataset: the description of a dataset (files, reader, decoder, size).

Example::

    dataset = slim.dataset.Dataset(
        data_sources='/data/digits_train_*.tfrecord',
        reader=tf.compat.v1.TFRecordReader,      # or tf.data.TFRecordDataset
        decoder=slim.tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers),
        num_samples=1438,
        items_to_descriptions={'image': 'An 8x8 grey image.', 'label': 'A digit.'},
        num_classes=10)
    provider = slim.dataset_data_provider.DatasetDataProvider(dataset)
"""

from __future__ import annotations

from typing import Any

__all__ = ["Dataset"]


class Dataset:
    """Represents a Dataset specification: a plain attribute bag, as in slim."""

    def __init__(
        self,
        data_sources: Any,
        reader: Any,
        decoder: Any,
        num_samples: int,
        items_to_descriptions: dict,
        **kwargs: Any,
    ) -> None:
        """Initializes the dataset.

        Args:
          data_sources: a file name, a glob pattern, or a list of them.
          reader: the reader: a TF1 reader class (``tf.compat.v1.TFRecordReader``,
            ``TextLineReader``, ``FixedLengthRecordReader``, ``WholeFileReader``), a
            ``tf.data`` dataset class (``tf.data.TFRecordDataset``) or any callable
            ``reader(filename, **reader_kwargs)`` returning a ``tf.data.Dataset`` of
            records.
          decoder: an instance of a ``data_decoder.DataDecoder``.
          num_samples: the number of samples in the dataset.
          items_to_descriptions: a map from the items that the dataset provides to
            the descriptions of those items.
          **kwargs: any remaining dataset-specific fields (e.g. ``num_classes``,
            ``labels_to_names``), which become attributes.
        """
        kwargs["data_sources"] = data_sources
        kwargs["reader"] = reader
        kwargs["decoder"] = decoder
        kwargs["num_samples"] = num_samples
        kwargs["items_to_descriptions"] = items_to_descriptions
        self.__dict__.update(kwargs)
