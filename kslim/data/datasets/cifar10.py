"""Provides data for the CIFAR-10 dataset (slim's ``datasets/cifar10.py``).

The TFRecords are written by ``convert_cifar10`` (``kslim convert cifar10 --archive
cifar-10-python.tar.gz --dataset-dir DIR``): ``cifar10_train.tfrecord`` and
``cifar10_test.tfrecord`` of PNG-encoded 32x32 colour images, plus ``labels.txt``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from kslim.data import tfexample_decoder
from kslim.data.dataset import Dataset
from kslim.data.datasets import dataset_utils

__all__ = ["SPLITS_TO_SIZES", "get_split"]

_FILE_PATTERN = "cifar10_%s.tfrecord"

SPLITS_TO_SIZES = {"train": 50000, "test": 10000}

_NUM_CLASSES = 10

_ITEMS_TO_DESCRIPTIONS = {
    "image": "A [32 x 32 x 3] color image.",
    "label": "A single integer between 0 and 9",
}


def get_split(
    split_name: str, dataset_dir: str, file_pattern: str | None = None, reader: Any = None
) -> Dataset:
    """Gets a dataset tuple with instructions for reading CIFAR-10.

    Args:
      split_name: a train/test split name.
      dataset_dir: the base directory of the dataset sources.
      file_pattern: the file pattern to use when matching the dataset sources, with
        ``%s`` for the split name; default ``'cifar10_%s.tfrecord'``.
      reader: the TensorFlow reader type, default ``tf.compat.v1.TFRecordReader``.

    Returns:
      A ``Dataset`` with items ``image`` (uint8 ``[32, 32, 3]``) and ``label``.

    Raises:
      ValueError: if ``split_name`` is not a valid train/test split.
    """
    keys_to_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.io.FixedLenFeature(
            [], tf.int64, default_value=tf.zeros([], dtype=tf.int64)
        ),
    }
    items_to_handlers = {
        "image": tfexample_decoder.Image(shape=[32, 32, 3]),
        "label": tfexample_decoder.Tensor("image/class/label"),
    }
    return dataset_utils.get_image_split(
        "cifar10",
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
