"""kslim.preprocessing: the factory and LeNet's preprocessing of the 8x8 digits."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from kslim.preprocessing import lenet_preprocessing, preprocessing_factory


def _digit() -> np.ndarray:
    return (np.arange(64, dtype=np.uint8).reshape(8, 8, 1) * 4).astype(np.uint8)


def test_lenet_preprocessing_matches_the_tutorials_digits_28x28():
    image = _digit()
    got = lenet_preprocessing.preprocess_image(tf.constant(image), 28, 28)
    # The tutorial: 3x nearest-neighbour upsampling (np.kron) to 24x24, padded by 2.
    expected = np.pad(np.kron(image[..., 0] / 255.0, np.ones((3, 3))), 2)[..., None]
    assert got.shape == (28, 28, 1) and got.dtype == tf.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_lenet_preprocessing_crops_or_pads_images_at_least_the_output_size():
    image = np.full((30, 26, 1), 255, np.uint8)
    got = lenet_preprocessing.preprocess_image(image, 28, 28).numpy()
    assert got.shape == (28, 28, 1)
    assert got[:, 0].max() == 0 and got[:, 27].max() == 0  # padded columns
    assert got[:, 1:27].min() == 1.0  # cropped rows, scaled to [0, 1]


def test_lenet_preprocessing_keeps_float_images_in_place_and_works_in_tf_data():
    images = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices(images).map(
        lambda image: lenet_preprocessing.preprocess_image(image, 28, 28)
    )
    assert ds.element_spec.shape == (28, 28, 1)
    first = next(iter(ds)).numpy()
    np.testing.assert_allclose(first[2:26:3, 2:26:3], images[0], rtol=1e-6)


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_lenet_preprocessing_rejects_a_bad_output_size(size):
    with pytest.raises(ValueError, match=f"output_height must be a positive integer, got {size!r}"):
        lenet_preprocessing.preprocess_image(_digit(), size, 28)


def test_lenet_preprocessing_rejects_a_batch():
    with pytest.raises(ValueError, match=r"rank 3\), got shape \(2, 8, 8, 1\)"):
        lenet_preprocessing.preprocess_image(np.zeros((2, 8, 8, 1), np.uint8), 28, 28)


def test_get_preprocessing_returns_the_named_function_with_grayscale_option():
    fn = preprocessing_factory.get_preprocessing("lenet", is_training=True, use_grayscale=True)
    rgb = np.full((8, 8, 3), 255, np.uint8)
    got = fn(tf.constant(rgb), 28, 28)
    assert got.shape == (28, 28, 1)
    np.testing.assert_allclose(float(tf.reduce_max(got)), 1.0, rtol=1e-6)


def test_get_preprocessing_unknown_name_raises_slims_message():
    with pytest.raises(ValueError, match=r"^Preprocessing name \[vgg_99\] was not recognized$"):
        preprocessing_factory.get_preprocessing("vgg_99")


def test_preprocessing_fn_map_accepts_a_new_preprocessing(monkeypatch):
    calls = []

    def preprocess_image(image, output_height, output_width, is_training=False):
        calls.append(is_training)
        return tf.image.resize(tf.cast(image, tf.float32), [output_height, output_width])

    monkeypatch.setitem(preprocessing_factory.preprocessing_fn_map, "mine", preprocess_image)
    got = preprocessing_factory.get_preprocessing("mine", is_training=True)(_digit(), 4, 4)
    assert got.shape == (4, 4, 1) and calls == [True]
