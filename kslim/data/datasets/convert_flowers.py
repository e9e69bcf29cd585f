"""Converts a local flowers archive to slim's TFRecords (slim's download_and_convert_flowers).

Example:
  kslim convert flowers --archive flower_photos.tgz --dataset-dir /tmp/flowers

The archive is ``flower_photos.tgz`` (``flower_photos/<class name>/<photo>.jpg``), or a
directory or zip laid out the same; nothing is downloaded. The class names are the
sorted folder names; the photos, sorted then shuffled with seed 0, give the first
``num_validation`` (350) to the validation split and the rest to train, each in
``num_shards`` (5) files ``flowers_<split>_0000N-of-00005.tfrecord`` of the JPEG bytes
as they are (``image/format`` ``jpg``). Also writes ``labels.txt`` and ``splits.txt``.
"""

from __future__ import annotations

import logging
import math
import os
import posixpath
import random

import tensorflow as tf

from kslim.data.datasets import archive_utils, dataset_utils

__all__ = ["convert_flowers", "output_filename"]

_logger = logging.getLogger("kslim")

_NUM_VALIDATION = 350
_RANDOM_SEED = 0
_NUM_SHARDS = 5


def output_filename(dataset_dir: str, split_name: str, shard_id: int, num_shards: int) -> str:
    """Returns slim's shard path, ``flowers_train_00000-of-00005.tfrecord``."""
    name = "flowers_%s_%05d-of-%05d.tfrecord" % (split_name, shard_id, num_shards)
    return os.path.join(dataset_dir, name)


def _is_photo(path: str) -> bool:
    parts = path.split("/")
    return len(parts) >= 2 and posixpath.splitext(path)[1].lower() in (".jpg", ".jpeg")


def convert_flowers(
    dataset_dir: str,
    archive: str | None = None,
    num_validation: int = _NUM_VALIDATION,
    num_shards: int = _NUM_SHARDS,
) -> dict:
    """Converts the flowers photos to sharded TFRecords in ``dataset_dir``.

    Args:
      dataset_dir: the directory to write to (created).
      archive: ``flower_photos.tgz``, or a directory/zip of ``<class>/<photo>.jpg``.
      num_validation: photos in the validation split, default 350 (slim's).
      num_shards: files per split, default 5.

    Returns:
      ``{'train': n, 'validation': m}``, the examples written per split.

    Raises:
      ValueError: no archive, no photos, or not more photos than ``num_validation``.
    """
    archive_utils.require_archive("flowers", archive, "flower_photos.tgz")
    if num_shards < 1 or num_validation < 0:
        raise ValueError(
            f"num_shards must be >= 1 and num_validation >= 0, got {num_shards}, {num_validation}"
        )
    photos = archive_utils.read_members(archive, _is_photo)
    class_names = sorted({path.split("/")[-2] for path in photos})
    if len(photos) <= num_validation:
        raise ValueError(
            f"--archive {archive!r} has {len(photos)} photos in {class_names}: more than "
            f"num_validation={num_validation} are needed"
        )
    class_ids = {name: i for i, name in enumerate(class_names)}
    filenames = sorted(photos)
    random.Random(_RANDOM_SEED).shuffle(filenames)
    splits = {"train": filenames[num_validation:], "validation": filenames[:num_validation]}
    tf.io.gfile.makedirs(dataset_dir)
    for split_name, names in splits.items():
        per_shard = int(math.ceil(len(names) / float(num_shards)))
        for shard_id in range(num_shards):
            path = output_filename(dataset_dir, split_name, shard_id, num_shards)
            with tf.io.TFRecordWriter(path) as writer:
                for name in names[shard_id * per_shard : (shard_id + 1) * per_shard]:
                    data = photos[name]
                    height, width = tf.image.extract_jpeg_shape(data).numpy()[:2]
                    example = dataset_utils.image_to_tfexample(
                        data, b"jpg", int(height), int(width), class_ids[name.split("/")[-2]]
                    )
                    writer.write(example.SerializeToString())
    sizes = {name: len(files) for name, files in splits.items()}
    dataset_utils.write_label_file(dict(enumerate(class_names)), dataset_dir)
    dataset_utils.write_split_sizes(sizes, dataset_dir)
    _logger.info("Wrote flowers to %s: %s", dataset_dir, sizes)
    return sizes
