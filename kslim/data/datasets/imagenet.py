"""Provides data for the ImageNet ILSVRC-2012 dataset (slim's ``datasets/imagenet.py``).

Reads the TFRecords written by the Inception model's ``build_imagenet_data.py``
(``train-00000-of-01024`` ..., ``validation-00000-of-00128`` ...); kslim has no
converter for them. Label 0 is the background class (1001 classes); ``labels.txt``
(``id:name`` lines) is read when present.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from kslim.data import tfexample_decoder
from kslim.data.dataset import Dataset
from kslim.data.datasets import dataset_utils

__all__ = ["SPLITS_TO_SIZES", "get_split"]

_FILE_PATTERN = "%s-*"

SPLITS_TO_SIZES = {"train": 1281167, "validation": 50000}

_NUM_CLASSES = 1001

_ITEMS_TO_DESCRIPTIONS = {
    "image": "A color image of varying height and width.",
    "label": "The label id of the image, integer between 0 and 999",
    "label_text": "The text of the label.",
    "object/bbox": "A list of bounding boxes.",
    "object/label": "A list of labels, one per each object.",
}


def get_split(
    split_name: str, dataset_dir: str, file_pattern: str | None = None, reader: Any = None
) -> Dataset:
    """Gets a dataset tuple with instructions for reading ImageNet.

    Args:
      split_name: a train/validation split name.
      dataset_dir: the base directory of the dataset sources.
      file_pattern: the file pattern, with ``%s`` for the split name; default
        ``'%s-*'``.
      reader: the TensorFlow reader type, default ``tf.compat.v1.TFRecordReader``.

    Returns:
      A ``Dataset`` with items ``image``, ``label``, ``label_text``, ``object/bbox``
      and ``object/label``.

    Raises:
      ValueError: if ``split_name`` is not a valid train/validation split.
    """
    keys_to_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="jpeg"),
        "image/class/label": tf.io.FixedLenFeature([], dtype=tf.int64, default_value=-1),
        "image/class/text": tf.io.FixedLenFeature([], dtype=tf.string, default_value=""),
        "image/object/bbox/xmin": tf.io.VarLenFeature(dtype=tf.float32),
        "image/object/bbox/ymin": tf.io.VarLenFeature(dtype=tf.float32),
        "image/object/bbox/xmax": tf.io.VarLenFeature(dtype=tf.float32),
        "image/object/bbox/ymax": tf.io.VarLenFeature(dtype=tf.float32),
        "image/object/class/label": tf.io.VarLenFeature(dtype=tf.int64),
    }
    items_to_handlers = {
        "image": tfexample_decoder.Image("image/encoded", "image/format"),
        "label": tfexample_decoder.Tensor("image/class/label"),
        "label_text": tfexample_decoder.Tensor("image/class/text"),
        "object/bbox": tfexample_decoder.BoundingBox(
            ["ymin", "xmin", "ymax", "xmax"], "image/object/bbox/"
        ),
        "object/label": tfexample_decoder.Tensor("image/object/class/label"),
    }
    return dataset_utils.get_image_split(
        "imagenet",
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
