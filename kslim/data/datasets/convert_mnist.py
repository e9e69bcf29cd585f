"""Converts local MNIST files to slim's TFRecords (slim's download_and_convert_mnist).

Example:
  kslim convert mnist --archive /data/mnist --dataset-dir /tmp/mnist

The archive holds LeCun's four gzipped IDX files (``train-images-idx3-ubyte.gz``,
``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
``t10k-labels-idx1-ubyte.gz``): a directory, or a tar/zip file of them; nothing is
downloaded. Writes ``mnist_train.tfrecord`` and ``mnist_test.tfrecord`` (PNG-encoded
28x28x1 images), ``labels.txt`` and ``splits.txt``.
"""

from __future__ import annotations

import gzip
import logging
import os
import posixpath

import numpy as np
import tensorflow as tf

from kslim.data.datasets import archive_utils, dataset_utils

__all__ = ["convert_mnist"]

_logger = logging.getLogger("kslim")

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_IMAGE_SIZE = 28


def _read_idx(data: bytes, name: str, rank: int) -> np.ndarray:
    """Parses an IDX file of unsigned bytes (magic ``0x0000 08 rank``)."""
    data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    header = np.frombuffer(data[:4], dtype=">u1")
    if header[0] != 0 or header[1] != 0 or header[2] != 8 or header[3] != rank:
        raise ValueError(f"{name} is not an IDX file of unsigned bytes of rank {rank}")
    dims = np.frombuffer(data[4 : 4 + 4 * rank], dtype=">u4").astype(int)
    values = np.frombuffer(data[4 + 4 * rank :], dtype=np.uint8)
    if values.size != int(np.prod(dims)):
        raise ValueError(f"{name} has {values.size} values for dimensions {list(dims)}")
    return values.reshape(dims)


def convert_mnist(dataset_dir: str, archive: str | None = None) -> dict:
    """Converts the four MNIST IDX files to TFRecords in ``dataset_dir``.

    Args:
      dataset_dir: the directory to write to (created).
      archive: a directory, tar or zip holding the four ``*-idx?-ubyte.gz`` files.

    Returns:
      ``{'train': n, 'test': m}``, the examples written per split.

    Raises:
      ValueError: no archive, a missing file, or a malformed IDX file.
    """
    archive_utils.require_archive("mnist", archive, "the four *-idx?-ubyte.gz files")
    wanted = {name for pair in _FILES.values() for name in pair}
    members = archive_utils.read_members(archive, lambda p: posixpath.basename(p) in wanted)
    by_name = {posixpath.basename(path): data for path, data in members.items()}
    missing = sorted(wanted - set(by_name))
    if missing:
        raise ValueError(f"--archive {archive!r} lacks the MNIST files {missing}")
    tf.io.gfile.makedirs(dataset_dir)
    sizes = {}
    for split_name, (images_name, labels_name) in _FILES.items():
        images = _read_idx(by_name[images_name], images_name, 3)
        labels = _read_idx(by_name[labels_name], labels_name, 1)
        if images.shape[1:] != (_IMAGE_SIZE, _IMAGE_SIZE) or len(images) != len(labels):
            raise ValueError(
                f"{images_name} / {labels_name}: images {images.shape}, labels {labels.shape}"
            )
        filename = os.path.join(dataset_dir, f"mnist_{split_name}.tfrecord")
        with tf.io.TFRecordWriter(filename) as writer:
            for image, label in zip(images, labels, strict=True):
                png = tf.io.encode_png(image[..., None]).numpy()
                example = dataset_utils.image_to_tfexample(
                    png, b"png", _IMAGE_SIZE, _IMAGE_SIZE, int(label)
                )
                writer.write(example.SerializeToString())
        sizes[split_name] = len(images)
    dataset_utils.write_label_file({i: str(i) for i in range(10)}, dataset_dir)
    dataset_utils.write_split_sizes(sizes, dataset_dir)
    _logger.info("Wrote MNIST to %s: %s", dataset_dir, sizes)
    return sizes
