"""Helpers for writing and reading slim-format datasets (as slim's ``dataset_utils``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from kslim.data.dataset import Dataset

__all__ = [
    "LABELS_FILENAME",
    "SPLIT_SIZES_FILENAME",
    "bytes_feature",
    "float_feature",
    "get_image_split",
    "has_labels",
    "image_to_tfexample",
    "int64_feature",
    "read_label_file",
    "read_split_sizes",
    "write_label_file",
    "write_split_sizes",
]

LABELS_FILENAME = "labels.txt"


def int64_feature(values: int | Sequence[int]) -> tf.train.Feature:
    """Returns a ``tf.train.Feature`` of int64 values (a scalar or a list)."""
    if not isinstance(values, (tuple, list)):
        values = [values]
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def bytes_feature(values: bytes) -> tf.train.Feature:
    """Returns a ``tf.train.Feature`` of one bytes value."""
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[values]))


def float_feature(values: float | Sequence[float]) -> tf.train.Feature:
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


SPLIT_SIZES_FILENAME = "splits.txt"


def write_split_sizes(sizes: dict, dataset_dir: str) -> None:
    """Writes ``{split_name: num_examples}`` as ``splits.txt`` lines ``name:size``."""
    with tf.io.gfile.GFile(os.path.join(dataset_dir, SPLIT_SIZES_FILENAME), "w") as f:
        for name, size in sizes.items():
            f.write(f"{name}:{size}\n")


def read_split_sizes(dataset_dir: str) -> dict:
    """Reads ``splits.txt`` (written by kslim's converters); ``{}`` when it is absent."""
    path = os.path.join(dataset_dir, SPLIT_SIZES_FILENAME)
    if not tf.io.gfile.exists(path):
        return {}
    sizes = {}
    with tf.io.gfile.GFile(path) as f:
        for line in f.read().splitlines():
            name, _, size = line.partition(":")
            if name and size:
                sizes[name] = int(size)
    return sizes


def get_image_split(
    dataset_name: str,
    split_name: str,
    dataset_dir: str,
    file_pattern: str,
    reader: Any,
    splits_to_sizes: dict,
    num_classes: int,
    items_to_descriptions: dict,
    keys_to_features: dict,
    items_to_handlers: dict,
) -> Dataset:
    """The ``Dataset`` of one split of a slim image-classification dataset.

    Slim's ``get_split`` of cifar10/flowers/mnist/imagenet: the files matching
    ``os.path.join(dataset_dir, file_pattern % split_name)``, a ``TFExampleDecoder``,
    ``labels_to_names`` from ``labels.txt`` when present. The split size is slim's
    ``splits_to_sizes[split_name]``, unless ``splits.txt`` (written by kslim's
    converters) gives the size of the converted files.

    Raises:
      ValueError: if ``split_name`` is not in ``splits_to_sizes`` (slim's message),
        or no file matches.
    """
    from kslim.data import dataset as slim_dataset
    from kslim.data import tfexample_decoder

    if split_name not in splits_to_sizes:
        raise ValueError("split name %s was not recognized." % split_name)
    pattern = os.path.join(dataset_dir, file_pattern)
    if "%s" in pattern:
        pattern = pattern % split_name
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise ValueError(
            f"No data files found for split {split_name!r} of {dataset_name} in "
            f"{dataset_dir!r} (pattern {pattern!r}); write them with "
            f"'kslim convert {dataset_name} --archive FILE --dataset-dir {dataset_dir}'"
        )
    decoder = tfexample_decoder.TFExampleDecoder(keys_to_features, items_to_handlers)
    labels_to_names = read_label_file(dataset_dir) if has_labels(dataset_dir) else None
    num_samples = read_split_sizes(dataset_dir).get(split_name, splits_to_sizes[split_name])
    return slim_dataset.Dataset(
        data_sources=files,
        reader=reader or tf.compat.v1.TFRecordReader,
        decoder=decoder,
        num_samples=num_samples,
        items_to_descriptions=items_to_descriptions,
        num_classes=num_classes,
        labels_to_names=labels_to_names,
    )
