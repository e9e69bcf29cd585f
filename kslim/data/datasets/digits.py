"""The digits dataset in slim's dataset-file form (compare slim's ``datasets/flowers.py``).

Written by ``convert_digits``: 8x8 grey PNG images of the handwritten digits 0..9.
"""

from __future__ import annotations

import os
from typing import Any

import tensorflow as tf

from kslim.data import dataset as slim_dataset
from kslim.data import tfexample_decoder
from kslim.data.datasets import dataset_utils
from kslim.data.datasets.convert_digits import SPLITS_FILENAME

__all__ = ["NUM_CLASSES", "SPLITS", "get_split"]

_FILE_PATTERN = "digits_%s_*.tfrecord"

SPLITS = ("train", "validation")

NUM_CLASSES = 10

_ITEMS_TO_DESCRIPTIONS = {
    "image": "An 8x8 grey image (uint8, 0..255) of a handwritten digit.",
    "label": "A single integer between 0 and 9",
}


def get_split(
    split_name: str, dataset_dir: str, file_pattern: str | None = None, reader: Any = None
) -> slim_dataset.Dataset:
    """Gets a dataset tuple with instructions for reading the digits.

    Args:
      split_name: ``'train'`` or ``'validation'``.
      dataset_dir: the directory written by ``convert_digits``.
      file_pattern: the file pattern, with ``%s`` for the split name; default
        ``'digits_%s_*.tfrecord'``.
      reader: the reader; default ``tf.compat.v1.TFRecordReader`` (read through
        tf.data).

    Returns:
      A ``Dataset`` with items ``image`` (uint8 ``[8, 8, 1]``) and ``label``
      (int64 scalar), ``num_classes`` and ``labels_to_names``.

    Raises:
      ValueError: if ``split_name`` is unknown, or the split has no files.
    """
    if split_name not in SPLITS:
        raise ValueError(f"split name {split_name} was not recognized.")
    pattern = os.path.join(dataset_dir, file_pattern or _FILE_PATTERN)
    if "%s" in pattern:
        pattern = pattern % split_name
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise ValueError(
            f"No data files found for split {split_name!r} in {dataset_dir!r} (pattern "
            f"{pattern!r}); write them with kslim.data.datasets.convert_digits(dataset_dir)"
        )
    keys_to_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.io.FixedLenFeature(
            [], tf.int64, default_value=tf.zeros([], dtype=tf.int64)
        ),
    }
    items_to_handlers = {
        "image": tfexample_decoder.Image(shape=[8, 8, 1], channels=1),
        "label": tfexample_decoder.Tensor("image/class/label"),
    }
    decoder = tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers)
    labels_to_names = None
    if dataset_utils.has_labels(dataset_dir):
        labels_to_names = dataset_utils.read_label_file(dataset_dir)
    return slim_dataset.Dataset(
        data_sources=files,
        reader=reader or tf.compat.v1.TFRecordReader,
        decoder=decoder,
        num_samples=_num_samples(dataset_dir, split_name, files),
        items_to_descriptions=_ITEMS_TO_DESCRIPTIONS,
        num_classes=NUM_CLASSES,
        labels_to_names=labels_to_names,
    )


def _num_samples(dataset_dir: str, split_name: str, files: list) -> int:
    """The split size from ``splits.txt``, or by counting records when it is absent."""
    path = os.path.join(dataset_dir, SPLITS_FILENAME)
    if tf.io.gfile.exists(path):
        with tf.io.gfile.GFile(path) as f:
            for line in f.read().splitlines():
                name, _, size = line.partition(":")
                if name == split_name:
                    return int(size)
    return sum(1 for f in files for _ in tf.data.TFRecordDataset(f))
