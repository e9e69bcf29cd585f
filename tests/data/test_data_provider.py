"""Dataset, DataProvider, DatasetDataProvider, batch and prefetch_queue on the digits."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.data import data_provider, dataset, dataset_data_provider, datasets, prefetch_queue
from kslim.data import tfexample_decoder as td


def test_dataset_is_an_attribute_bag_with_extra_fields():
    d = dataset.Dataset(["a"], tf.data.TFRecordDataset, None, 7, {"image": "x"}, num_classes=3)
    assert (d.data_sources, d.num_samples, d.num_classes) == (["a"], 7, 3)
    assert d.items_to_descriptions == {"image": "x"}


def test_data_provider_get_validates_items_with_slims_messages():
    provider = data_provider.DataProvider({"a": 1, "b": 2}, num_samples=5)
    assert provider.get(["b", "a"]) == [2, 1]
    assert provider.num_samples() == 5
    with pytest.raises(ValueError, match="items must be a list or tuple"):
        provider.get("a")
    with pytest.raises(ValueError, match=r"Item \[c\] is invalid. Valid entries include"):
        provider.get(["c"])


def test_provider_lists_decoder_items_and_record_key(digits_dir):
    provider = dataset_data_provider.DatasetDataProvider(
        datasets.get_dataset("digits", "train", digits_dir)
    )
    assert list(provider.list_items()) == ["image", "label", "record_key"]
    assert provider.num_samples() == 1438
    assert set(provider.dataset.element_spec) == {"image", "label", "record_key"}


def test_record_key_cannot_be_a_dataset_item(digits_dir):
    ds = datasets.get_dataset("digits", "train", digits_dir)
    with pytest.raises(ValueError, match="cannot also be used for a dataset item: label"):
        dataset_data_provider.DatasetDataProvider(ds, record_key="label")


def test_get_returns_the_next_example_and_ends_after_num_epochs(digits_dir):
    ds = datasets.get_dataset("digits", "validation", digits_dir)
    provider = dataset_data_provider.DatasetDataProvider(ds, shuffle=False, num_epochs=1)
    image, label, key = provider.get(["image", "label", "record_key"])
    assert image.shape == (8, 8, 1) and image.dtype == tf.uint8
    assert key.numpy().decode() == ds.data_sources[0] + ":0"
    seen = 1
    with pytest.raises(tf.errors.OutOfRangeError):
        while True:
            provider.get(["label"])
            seen += 1
    assert seen == ds.num_samples


def test_get_works_inside_tf_function(digits_dir):
    provider = dataset_data_provider.DatasetDataProvider(
        datasets.get_dataset("digits", "train", digits_dir), seed=1
    )

    @tf.function
    def next_label():
        return provider.get(["label"])[0]

    labels = {int(next_label()) for _ in range(30)}
    assert labels <= set(range(10)) and len(labels) > 1


def test_shuffled_provider_with_seed_is_reproducible(digits_dir):
    def first_keys():
        provider = dataset_data_provider.DatasetDataProvider(
            datasets.get_dataset("digits", "train", digits_dir), num_readers=2, seed=7
        )
        return [provider.get(["record_key"])[0].numpy() for _ in range(5)]

    assert first_keys() == first_keys()


def test_batch_decodes_preprocesses_and_batches(digits_dir):
    provider = dataset_data_provider.DatasetDataProvider(
        datasets.get_dataset("digits", "train", digits_dir), num_epochs=1
    )
    batched = slim.data.batch(
        provider,
        ["image", "label"],
        batch_size=100,
        preprocess_fn=lambda image, label: (tf.cast(image, tf.float32) / 255.0, label),
    )
    images_spec, labels_spec = batched.element_spec
    assert images_spec.shape.as_list() == [100, 8, 8, 1] and images_spec.dtype == tf.float32
    batches = list(batched)
    assert len(batches) == 14  # 1438 // 100, the final partial batch dropped
    assert float(tf.reduce_max(batches[0][0])) <= 1.0


def test_batch_can_keep_the_smaller_final_batch(digits_dir):
    provider = dataset_data_provider.DatasetDataProvider(
        datasets.get_dataset("digits", "validation", digits_dir), num_epochs=1
    )
    batched = slim.data.batch(provider, ["label"], 100, allow_smaller_final_batch=True)
    assert [int(b[0].shape[0]) for b in batched] == [100, 100, 100, 59]


def test_batch_needs_static_shapes_unless_dynamic_pad(digits_dir):
    ds = datasets.get_dataset("digits", "validation", digits_dir)
    ds.decoder = td.TFExampleDecoder(
        {
            "image/encoded": tf.io.FixedLenFeature((), tf.string),
            "image/format": tf.io.FixedLenFeature((), tf.string),
        },
        {"image": td.Image(channels=1)},
    )
    provider = dataset_data_provider.DatasetDataProvider(ds, num_epochs=1)
    with pytest.raises(ValueError, match="item 'image' has per-example shape"):
        slim.data.batch(provider, ["image"], 4)
    padded = slim.data.batch(provider, ["image"], 4, dynamic_pad=True)
    assert tuple(next(iter(padded))[0].shape) == (4, 8, 8, 1)


def test_batch_rejects_bad_arguments(digits_dir):
    provider = dataset_data_provider.DatasetDataProvider(
        datasets.get_dataset("digits", "validation", digits_dir)
    )
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        slim.data.batch(provider, ["image"], 0)
    with pytest.raises(ValueError, match=r"Item \[pixels\] is invalid"):
        slim.data.batch(provider, ["pixels"], 4)
    with pytest.raises(TypeError, match="provider must be a DatasetDataProvider"):
        slim.data.batch(["image"], ["image"], 4)


def test_prefetch_queue_prefetches_a_dataset_and_rejects_tensors():
    ds = tf.data.Dataset.range(5).batch(2)
    assert [b.numpy().tolist() for b in prefetch_queue.prefetch_queue(ds, capacity=2)] == [
        [0, 1],
        [2, 3],
        [4],
    ]
    with pytest.raises(TypeError, match="batched tf.data.Dataset"):
        prefetch_queue.prefetch_queue([tf.constant(1)])


def test_end_to_end_digits_to_kslim_model_trained_with_keras_fit(digits_dir):
    import keras

    provider = dataset_data_provider.DatasetDataProvider(
        datasets.get_dataset("digits", "train", digits_dir), seed=0
    )
    batched = slim.data.batch(
        provider,
        ["image", "label"],
        batch_size=32,
        preprocess_fn=lambda image, label: (tf.cast(image, tf.float32) / 255.0, label),
    )
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(batched)
        net = slim.conv2d(images, 8, [3, 3], scope="conv1")
        net = slim.flatten(net)
        logits = slim.fully_connected(net, 10, activation_fn=None, scope="logits")
        model = keras.Model(images, logits)
    assert {v.path for v in model.trainable_variables} >= {"conv1/weights", "logits/weights"}
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(batched, steps_per_epoch=25, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert history.history["accuracy"][-1] > 0.6
    assert np.isfinite(losses).all()
