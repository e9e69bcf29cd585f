"""Helpers for writing and reading slim-format datasets (as slim's ``dataset_utils``)."""

from __future__ import annotations

import os

import tensorflow as tf

__all__ = [
    "LABELS_FILENAME",
    "bytes_feature",
    "float_feature",
    "has_labels",
    "image_to_tfexample",
    "int64_feature",
    "read_label_file",
    "write_label_file",
]

LABELS_FILENAME = "labels.txt"


def int64_feature(values) -> tf.train.Feature:
    """Returns a ``tf.train.Feature`` of int64 values (a scalar or a list)."""
    if not isinstance(values, (tuple, list)):
        values = [values]
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def bytes_feature(values) -> tf.train.Feature:
    """Returns a ``tf.train.Feature`` of one bytes value."""
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[values]))


def float_feature(values) -> tf.train.Feature:
    """Returns a ``tf.train.Feature`` of float values (a scalar or a list)."""
    if not isinstance(values, (tuple, list)):
        values = [values]
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def image_to_tfexample(
    image_data: bytes, image_format: bytes, height: int, width: int, class_id: int
) -> tf.train.Example:
    """Returns slim's image classification Example.

    Args:
      image_data: the encoded image bytes (``image/encoded``).
      image_format: e.g. ``b'png'`` (``image/format``).
      height: the image height (``image/height``).
      width: the image width (``image/width``).
      class_id: the label (``image/class/label``).

    Returns:
      The ``tf.train.Example``.
    """
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "image/encoded": bytes_feature(image_data),
                "image/format": bytes_feature(image_format),
                "image/class/label": int64_feature(class_id),
                "image/height": int64_feature(height),
                "image/width": int64_feature(width),
            }
        )
    )


def write_label_file(
    labels_to_class_names: dict, dataset_dir: str, filename: str = LABELS_FILENAME
) -> None:
    """Writes ``label:class_name`` lines to ``dataset_dir/filename``."""
    with tf.io.gfile.GFile(os.path.join(dataset_dir, filename), "w") as f:
        for label in labels_to_class_names:
            f.write(f"{label:d}:{labels_to_class_names[label]}\n")


def has_labels(dataset_dir: str, filename: str = LABELS_FILENAME) -> bool:
    """Returns whether ``dataset_dir/filename`` exists."""
    return tf.io.gfile.exists(os.path.join(dataset_dir, filename))


def read_label_file(dataset_dir: str, filename: str = LABELS_FILENAME) -> dict:
    """Reads ``label:class_name`` lines into ``{label: class_name}``."""
    with tf.io.gfile.GFile(os.path.join(dataset_dir, filename), "rb") as f:
        lines = f.read().decode().split("\n")
    labels_to_class_names = {}
    for line in filter(None, lines):
        index = line.index(":")
        labels_to_class_names[int(line[:index])] = line[index + 1 :]
    return labels_to_class_names
