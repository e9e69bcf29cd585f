"""DatasetDataProvider(cache_decoded=...): decoded examples kept in memory after one pass."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import tensorflow as tf

from kslim.data import batch, dataset_data_provider, tfexample_decoder
from kslim.data import dataset as slim_dataset
from kslim.data.dataset_data_provider import DatasetDataProvider
from kslim.data.datasets import digits


def _epoch_counts(dataset, n):
    counts = collections.Counter()
    for image, label in dataset.take(n):
        counts[(image.numpy().tobytes(), int(label))] += 1
    return counts


def test_a_split_that_fits_is_cached_and_each_epoch_holds_every_example_once(digits_dir):
    split = digits.get_split("train", digits_dir)
    n = split.num_samples
    cached = DatasetDataProvider(split, num_readers=2, seed=3)
    plain = DatasetDataProvider(split, num_readers=2, seed=3, cache_decoded=False)
    assert cached.will_cache(["image", "label"])
    assert not plain.will_cache(["image", "label"])
    items = cached.items_dataset(["image", "label"])
    first, second = _epoch_counts(items, n), _epoch_counts(items.skip(n), n)
    expected = _epoch_counts(plain.items_dataset(["image", "label"]), n)
    # Shuffling happens within the buffer: an epoch is about (not exactly) one pass.
    assert sum(first.values()) == sum(second.values()) == n
    assert len(set(first) & set(expected)) > 0.9 * len(expected)
    assert len(set(second) & set(expected)) > 0.9 * len(expected)


def test_cached_items_go_through_preprocess_fn_and_batch(digits_dir):
    split = digits.get_split("train", digits_dir)
    provider = DatasetDataProvider(split, shuffle=False, num_epochs=2, cache_decoded=True)
    data = batch(
        provider,
        ["image", "label"],
        16,
        preprocess_fn=lambda image, label: (tf.cast(image, tf.float32) / 255.0, label),
    )
    batches = list(data)
    assert len(batches) == (2 * split.num_samples) // 16
    images, labels = batches[0]
    assert images.shape == (16, 8, 8, 1) and images.dtype == tf.float32
    reference = DatasetDataProvider(split, shuffle=False, num_epochs=1, cache_decoded=False)
    first = next(iter(reference.items_dataset(["image", "label"]).batch(16)))
    np.testing.assert_allclose(images.numpy(), first[0].numpy() / 255.0)
    np.testing.assert_array_equal(labels.numpy(), first[1].numpy())


def test_one_epoch_or_images_without_a_static_shape_are_not_cached(digits_dir, tmp_path):
    split = digits.get_split("train", digits_dir)
    assert not DatasetDataProvider(split, num_epochs=1).will_cache(["image", "label"])
    keys = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.io.FixedLenFeature([], tf.int64, default_value=0),
    }
    handlers = {
        "image": tfexample_decoder.Image(channels=1),
        "label": tfexample_decoder.Tensor("image/class/label"),
    }
    unknown = slim_dataset.Dataset(
        data_sources=split.data_sources,
        reader=split.reader,
        decoder=tfexample_decoder.TFExampleDecoder(keys, handlers),
        num_samples=split.num_samples,
        items_to_descriptions={},
    )
    assert not DatasetDataProvider(unknown).will_cache(["image", "label"])
    assert DatasetDataProvider(unknown, cache_decoded=True).will_cache(["image", "label"])


def test_a_split_over_the_budget_is_not_cached(digits_dir, monkeypatch):
    split = digits.get_split("train", digits_dir)
    monkeypatch.setattr(dataset_data_provider, "CACHE_BUDGET_BYTES", 1000)
    assert not DatasetDataProvider(split).will_cache(["image", "label"])


def test_cache_decoded_must_be_a_bool_or_none(digits_dir):
    split = digits.get_split("train", digits_dir)
    with pytest.raises(ValueError, match="cache_decoded must be True, False or None, got 'yes'"):
        DatasetDataProvider(split, cache_decoded="yes")


def test_batch_runs_on_a_private_thread_pool_of_half_the_cpus(digits_dir):
    import os

    split = digits.get_split("train", digits_dir)
    provider = DatasetDataProvider(split, seed=0)
    data = batch(provider, ["image", "label"], 8)
    expected = max(1, (os.cpu_count() or 2) // 2)
    assert data.options().threading.private_threadpool_size == expected
    assert (
        batch(provider, ["image", "label"], 8, private_threads=3)
        .options()
        .threading.private_threadpool_size
        == 3
    )
    shared = batch(provider, ["image", "label"], 8, private_threads=0)
    assert not shared.options().threading.private_threadpool_size
    assert next(iter(data))[0].shape == (8, 8, 8, 1)
    with pytest.raises(ValueError, match="private_threads must be None or an integer >= 0"):
        batch(provider, ["image", "label"], 8, private_threads=-1)
