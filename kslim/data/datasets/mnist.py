"""Provides data for the MNIST dataset (slim's ``datasets/mnist.py``).

The TFRecords are written by ``convert_mnist`` (``kslim convert mnist --archive
DIR_OR_TAR --dataset-dir DIR``): ``mnist_train.tfrecord`` and ``mnist_test.tfrecord`` of
PNG-encoded 28x28 grey images, plus ``labels.txt``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from kslim.data import tfexample_decoder
from kslim.data.dataset import Dataset
from kslim.data.datasets import dataset_utils

__all__ = ["SPLITS_TO_SIZES", "get_split"]

_FILE_PATTERN = "mnist_%s.tfrecord"

SPLITS_TO_SIZES = {"train": 60000, "test": 10000}

_NUM_CLASSES = 10

_ITEMS_TO_DESCRIPTIONS = {
    "image": "A [28 x 28 x 1] grayscale image.",
    "label": "A single integer between 0 and 9",
}


def get_split(
    split_name: str, dataset_dir: str, file_pattern: str | None = None, reader: Any = None
) -> Dataset:
    """Gets a dataset tuple with instructions for reading MNIST.

    Args:
      split_name: a train/test split name.
      dataset_dir: the base directory of the dataset sources.
      file_pattern: the file pattern, with ``%s`` for the split name; default
        ``'mnist_%s.tfrecord'``.
      reader: the TensorFlow reader type, default ``tf.compat.v1.TFRecordReader``.

    Returns:
      A ``Dataset`` with items ``image`` (uint8 ``[28, 28, 1]``) and ``label``.

    Raises:
      ValueError: if ``split_name`` is not a valid train/test split.
    """
    keys_to_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="raw"),
        "image/class/label": tf.io.FixedLenFeature(
            [1], tf.int64, default_value=tf.zeros([1], dtype=tf.int64)
        ),
    }
    items_to_handlers = {
        "image": tfexample_decoder.Image(shape=[28, 28, 1], channels=1),
        "label": tfexample_decoder.Tensor("image/class/label", shape=[]),
    }
    return dataset_utils.get_image_split(
        "mnist",
        split_name,
        dataset_dir,
        file_pattern or _FILE_PATTERN,
        reader,
        SPLITS_TO_SIZES,
        _NUM_CLASSES,
        _ITEMS_TO_DESCRIPTIONS,
        keys_to_features,
        items_to_handlers,
    )
