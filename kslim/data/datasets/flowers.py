"""Provides data for the flowers dataset (slim's ``datasets/flowers.py``).

The TFRecords are written by ``convert_flowers`` (``kslim convert flowers --archive
flower_photos.tgz --dataset-dir DIR``): ``flowers_{train,validation}_0000N-of-00005
.tfrecord`` shards of JPEG images of varying size, plus ``labels.txt``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from kslim.data import tfexample_decoder
from kslim.data.dataset import Dataset
from kslim.data.datasets import dataset_utils

__all__ = ["SPLITS_TO_SIZES", "get_split"]

_FILE_PATTERN = "flowers_%s_*.tfrecord"

SPLITS_TO_SIZES = {"train": 3320, "validation": 350}

_NUM_CLASSES = 5

_ITEMS_TO_DESCRIPTIONS = {
    "image": "A color image of varying size.",
    "label": "A single integer between 0 and 4",
}


def get_split(
    split_name: str, dataset_dir: str, file_pattern: str | None = None, reader: Any = None
) -> Dataset:
    """Gets a dataset tuple with instructions for reading flowers.

    Args:
      split_name: a train/validation split name.
      dataset_dir: the base directory of the dataset sources.
      file_pattern: the file pattern, with ``%s`` for the split name; default
        ``'flowers_%s_*.tfrecord'``.
      reader: the TensorFlow reader type, default ``tf.compat.v1.TFRecordReader``.

    Returns:
      A ``Dataset`` with items ``image`` (uint8 ``[height, width, 3]``, varying) and
      ``label``.

    Raises:
      ValueError: if ``split_name`` is not a valid train/validation split.
    """
    keys_to_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.io.FixedLenFeature(
            [], tf.int64, default_value=tf.zeros([], dtype=tf.int64)
        ),
    }
    items_to_handlers = {
        "image": tfexample_decoder.Image(),
        "label": tfexample_decoder.Tensor("image/class/label"),
    }
    return dataset_utils.get_image_split(
        "flowers",
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
