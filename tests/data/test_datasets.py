"""The digits converter, get_split and the dataset registry."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf

from kslim.data import datasets
from kslim.data.datasets import dataset_utils, digits


def test_convert_digits_writes_shards_labels_and_split_sizes(digits_dir):
    names = sorted(os.listdir(digits_dir))
    assert names == [
        "digits_train_0000-of-0002.tfrecord",
        "digits_train_0001-of-0002.tfrecord",
        "digits_validation_0000-of-0002.tfrecord",
        "digits_validation_0001-of-0002.tfrecord",
        "labels.txt",
        "splits.txt",
    ]
    with open(os.path.join(digits_dir, "labels.txt")) as f:
        assert f.read().splitlines() == [f"{i}:{i}" for i in range(10)]
    assert dataset_utils.read_label_file(digits_dir) == {i: str(i) for i in range(10)}


def test_converted_examples_have_slims_image_features(digits_dir):
    path = os.path.join(digits_dir, "digits_train_0000-of-0002.tfrecord")
    record = next(iter(tf.data.TFRecordDataset(path))).numpy()
    example = tf.train.Example.FromString(record).features.feature
    assert example["image/format"].bytes_list.value == [b"png"]
    assert example["image/height"].int64_list.value == [8]
    assert example["image/width"].int64_list.value == [8]
    assert 0 <= example["image/class/label"].int64_list.value[0] <= 9
    image = tf.io.decode_png(example["image/encoded"].bytes_list.value[0])
    assert image.shape == (8, 8, 1) and image.dtype == tf.uint8


def test_get_split_reads_back_every_example_with_sklearn_labels(digits_dir):
    from sklearn.datasets import load_digits

    counts = {}
    label_counts = np.zeros(10, np.int64)
    pixel_sum = 0
    for split in ("train", "validation"):
        ds = digits.get_split(split, digits_dir)
        decoded = tf.data.TFRecordDataset(ds.data_sources).map(
            lambda s, ds=ds: tuple(ds.decoder.decode(s, ["image", "label"]))
        )
        n = 0
        for image, label in decoded:
            n += 1
            label_counts[int(label)] += 1
            pixel_sum += int(tf.reduce_sum(tf.cast(image, tf.int64)))
        counts[split] = (n, ds.num_samples)
    assert counts == {"train": (1438, 1438), "validation": (359, 359)}
    sk = load_digits()
    np.testing.assert_array_equal(label_counts, np.bincount(sk.target, minlength=10))
    expected = np.round(sk.images * (255.0 / 16.0)).clip(0, 255).astype(np.int64).sum()
    assert pixel_sum == expected


def test_get_split_counts_records_without_splits_file(digits_dir, tmp_path):
    for name in os.listdir(digits_dir):
        if name.startswith("digits_validation"):
            tf.io.gfile.copy(os.path.join(digits_dir, name), str(tmp_path / name))
    assert digits.get_split("validation", str(tmp_path)).num_samples == 359


def test_get_split_errors_name_the_split_and_directory(tmp_path):
    with pytest.raises(ValueError, match="split name test was not recognized"):
        digits.get_split("test", str(tmp_path))
    with pytest.raises(ValueError, match="No data files found for split 'train'"):
        digits.get_split("train", str(tmp_path))


def test_convert_digits_keeps_existing_files(digits_dir):
    path = os.path.join(digits_dir, "digits_train_0000-of-0002.tfrecord")
    before = os.path.getmtime(path)
    assert datasets.convert_digits(digits_dir) == {"train": 1438, "validation": 359}
    assert os.path.getmtime(path) == before


def test_convert_digits_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="validation_fraction must be in"):
        datasets.convert_digits(str(tmp_path), validation_fraction=1.5)
    with pytest.raises(ValueError, match="num_shards must be a positive integer, got 0"):
        datasets.convert_digits(str(tmp_path), num_shards=0)


def test_registry_gets_digits_and_rejects_unknown_names(digits_dir):
    assert "digits" in datasets.list_datasets()
    ds = datasets.get_dataset("digits", "validation", digits_dir)
    assert ds.num_samples == 359 and ds.num_classes == 10
    with pytest.raises(ValueError, match="Name of dataset unknown cifar"):
        datasets.get_dataset("cifar", "train", digits_dir)


def test_register_dataset_accepts_a_get_split_function(digits_dir):
    calls = []

    def get_split(split_name, dataset_dir, file_pattern=None, reader=None):
        calls.append((split_name, dataset_dir))
        return digits.get_split(split_name, dataset_dir, file_pattern, reader)

    datasets.register_dataset("my_digits", get_split, converter=datasets.convert_digits)
    try:
        assert datasets.get_dataset("my_digits", "train", digits_dir).num_samples == 1438
        assert calls == [("train", digits_dir)]
        assert datasets.convert_dataset("my_digits", digits_dir)["train"] == 1438
    finally:
        from kslim.data.datasets import dataset_factory

        dataset_factory._DATASETS.pop("my_digits")
        dataset_factory._CONVERTERS.pop("my_digits")
    with pytest.raises(TypeError, match="module_or_fn must be a module with get_split"):
        datasets.register_dataset("bad", 3)
