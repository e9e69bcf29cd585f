"""Converts a local CIFAR-10 archive to slim's TFRecords (slim's download_and_convert_cifar10).

Example:
  kslim convert cifar10 --archive cifar-10-python.tar.gz --dataset-dir /tmp/cifar10

The archive is the "CIFAR-10 python version" (``cifar-10-batches-py/data_batch_1..5``
and ``test_batch`` pickles of ``{b'data': uint8 [N, 3072], b'labels': [N]}``), given as
the ``.tar.gz`` or a directory; nothing is downloaded. Writes ``cifar10_train.tfrecord``
and ``cifar10_test.tfrecord`` (PNG-encoded 32x32x3 images), ``labels.txt`` and
``splits.txt``. The pickles are loaded with an unpickler that only builds numpy arrays.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import posixpath
import re
from typing import Any

import numpy as np
import tensorflow as tf

from kslim.data.datasets import archive_utils, dataset_utils

__all__ = ["convert_cifar10"]

_logger = logging.getLogger("kslim")

_CLASS_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a CIFAR-10 batch does not contain {module}.{name}")


def _load_batch(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    batch = _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
    images = np.asarray(batch[b"data"], dtype=np.uint8)
    images = images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if len(images) != len(labels):
        raise ValueError(f"a CIFAR-10 batch has {len(images)} images and {len(labels)} labels")
    return images, labels


def _is_batch(path: str) -> bool:
    return re.fullmatch(r"data_batch_\d+|test_batch", posixpath.basename(path)) is not None


def _write(filename: str, images: np.ndarray, labels: np.ndarray) -> None:
    with tf.io.TFRecordWriter(filename) as writer:
        for image, label in zip(images, labels, strict=True):
            png = tf.io.encode_png(image).numpy()
            example = dataset_utils.image_to_tfexample(png, b"png", 32, 32, int(label))
            writer.write(example.SerializeToString())


def convert_cifar10(dataset_dir: str, archive: str | None = None) -> dict:
    """Converts the CIFAR-10 python archive to TFRecords in ``dataset_dir``.

    Args:
      dataset_dir: the directory to write to (created).
      archive: ``cifar-10-python.tar.gz`` (or a directory holding the batches).

    Returns:
      ``{'train': n, 'test': m}``, the examples written per split.

    Raises:
      ValueError: no archive, or one without ``test_batch`` and a ``data_batch_*``.
    """
    archive_utils.require_archive("cifar10", archive, "cifar-10-python.tar.gz")
    members = archive_utils.read_members(archive, _is_batch)
    by_name = {posixpath.basename(path): data for path, data in members.items()}
    train_names = sorted(
        (n for n in by_name if n.startswith("data_batch_")), key=lambda n: int(n.split("_")[-1])
    )
    if not train_names or "test_batch" not in by_name:
        raise ValueError(
            f"--archive {archive!r} holds no CIFAR-10 python batches (data_batch_N and "
            f"test_batch); found {sorted(by_name)}"
        )
    tf.io.gfile.makedirs(dataset_dir)
    splits = {"train": train_names, "test": ["test_batch"]}
    sizes = {}
    for split_name, names in splits.items():
        batches = [_load_batch(by_name[n]) for n in names]
        images = np.concatenate([b[0] for b in batches])
        labels = np.concatenate([b[1] for b in batches])
        _write(os.path.join(dataset_dir, f"cifar10_{split_name}.tfrecord"), images, labels)
        sizes[split_name] = len(images)
    dataset_utils.write_label_file(dict(enumerate(_CLASS_NAMES)), dataset_dir)
    dataset_utils.write_split_sizes(sizes, dataset_dir)
    _logger.info("Wrote CIFAR-10 to %s: %s", dataset_dir, sizes)
    return sizes
