"""Writes scikit-learn's handwritten digits as slim-format TFRecord shards.

Like slim's ``download_and_convert_data.py`` (without a download: scikit-learn ships
the digits). ``load_digits()`` gives 1797 grey 8x8 images with values 0..16; they are
scaled to uint8 0..255 and PNG-encoded, split into train/validation, and written as
``digits_<split>_<shard>-of-<num_shards>.tfrecord`` with ``labels.txt`` and
``splits.txt`` (examples per split, read by ``digits.get_split``).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import tensorflow as tf

from kslim.data.datasets import dataset_utils

__all__ = ["SPLITS_FILENAME", "convert_digits", "output_filename"]

_logger = logging.getLogger("kslim")

SPLITS_FILENAME = "splits.txt"


def output_filename(dataset_dir: str, split_name: str, shard_id: int, num_shards: int) -> str:
    """Returns the path of one shard, ``digits_train_0000-of-0002.tfrecord``."""
    name = f"digits_{split_name}_{shard_id:04d}-of-{num_shards:04d}.tfrecord"
    return os.path.join(dataset_dir, name)


def _dataset_exists(dataset_dir: str, num_shards: int) -> bool:
    for split_name in ("train", "validation"):
        for shard_id in range(num_shards):
            if not tf.io.gfile.exists(
                output_filename(dataset_dir, split_name, shard_id, num_shards)
            ):
                return False
    return dataset_utils.has_labels(dataset_dir) and tf.io.gfile.exists(
        os.path.join(dataset_dir, SPLITS_FILENAME)
    )


def convert_digits(
    dataset_dir: str, validation_fraction: float = 0.2, num_shards: int = 2, seed: int = 0
) -> dict:
    """Converts scikit-learn's digits to slim-format TFRecords in ``dataset_dir``.

    Each Example has ``image/encoded`` (PNG, 8x8x1 uint8), ``image/format``
    (``b'png'``), ``image/class/label``, ``image/height``, ``image/width``. Files that
    already exist are kept (as slim's converters: "Dataset files already exist").

    Args:
      dataset_dir: the output directory (created if missing).
      validation_fraction: fraction of examples in the validation split, in
        (0, 1); default 0.2.
      num_shards: shards per split, a positive integer; default 2.
      seed: the shuffling seed of the split, default 0.

    Returns:
      ``{'train': n_train, 'validation': n_validation}``.

    Raises:
      ValueError: for a bad ``validation_fraction`` or ``num_shards``.
      ImportError: if scikit-learn is not installed.
    """
    if not isinstance(validation_fraction, (int, float)) or not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    if isinstance(num_shards, bool) or not isinstance(num_shards, int) or num_shards <= 0:
        raise ValueError(f"num_shards must be a positive integer, got {num_shards!r}")
    tf.io.gfile.makedirs(dataset_dir)
    if _dataset_exists(dataset_dir, num_shards):
        _logger.info("Dataset files already exist in %s. Not re-creating them.", dataset_dir)
        return _read_splits(dataset_dir)
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("convert_digits needs scikit-learn (pip install scikit-learn)") from e
    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    labels = digits.target.astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(labels))
    num_validation = int(round(validation_fraction * len(labels)))
    splits = {"train": order[num_validation:], "validation": order[:num_validation]}
    encoded = [tf.io.encode_png(image[:, :, None]).numpy() for image in images]
    for split_name, indices in splits.items():
        for shard_id, shard in enumerate(np.array_split(indices, num_shards)):
            path = output_filename(dataset_dir, split_name, shard_id, num_shards)
            with tf.io.TFRecordWriter(path) as writer:
                for i in shard:
                    example = dataset_utils.image_to_tfexample(
                        encoded[i], b"png", 8, 8, int(labels[i])
                    )
                    writer.write(example.SerializeToString())
    dataset_utils.write_label_file({i: str(i) for i in range(10)}, dataset_dir)
    sizes = {name: len(indices) for name, indices in splits.items()}
    with tf.io.gfile.GFile(os.path.join(dataset_dir, SPLITS_FILENAME), "w") as f:
        for name, size in sizes.items():
            f.write(f"{name}:{size}\n")
    _logger.info("Wrote the digits to %s: %s", dataset_dir, sizes)
    return sizes


def _read_splits(dataset_dir: str) -> dict:
    with tf.io.gfile.GFile(os.path.join(dataset_dir, SPLITS_FILENAME)) as f:
        pairs = [line.split(":") for line in f.read().splitlines() if line]
    return {name: int(size) for name, size in pairs}
