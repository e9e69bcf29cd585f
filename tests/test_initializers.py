"""slim's initializers (xavier, variance_scaling) and TF1 initializer objects on layers."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

SHAPE = (3, 3, 16, 32)  # fan_in = 9·16 = 144, fan_out = 9·32 = 288


def sample(init, shape=SHAPE):
    return np.asarray(init(shape, dtype="float32"))


def test_xavier_uniform_bounds_are_glorots():
    limit = math.sqrt(6.0 / (144 + 288))
    values = sample(slim.xavier_initializer(seed=1))
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.95 * limit
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=0.05)
    assert isinstance(slim.xavier_initializer(), keras.initializers.GlorotUniform)
    assert slim.xavier_initializer_conv2d is slim.xavier_initializer


def test_xavier_normal_stddev_uses_slims_truncated_formula():
    values = sample(slim.xavier_initializer(uniform=False, seed=2), (400, 600))
    expected = math.sqrt(1.3 * 1.0 / 500)
    # The 1.3 factor compensates the truncation at 2σ: the sample std is ≈ σ·0.88.
    assert values.std() == pytest.approx(expected * 0.8796, rel=0.02)
    assert np.abs(values).max() <= 2 * expected + 1e-6


def test_variance_scaling_default_stddev_is_sqrt_1_3_f_over_n():
    init = slim.variance_scaling_initializer(seed=3)
    values = sample(init, (500, 400))
    stddev = math.sqrt(1.3 * 2.0 / 500)
    assert np.abs(values).max() <= 2 * stddev + 1e-6
    assert np.abs(values).max() > 1.9 * stddev
    assert values.std() == pytest.approx(stddev * 0.8796, rel=0.02)
    assert abs(values.mean()) < 0.05 * stddev


@pytest.mark.parametrize("mode, n", [("FAN_IN", 144.0), ("FAN_OUT", 288.0), ("FAN_AVG", 216.0)])
def test_variance_scaling_modes_pick_fan(mode, n):
    values = sample(slim.variance_scaling_initializer(factor=1.0, mode=mode, seed=4))
    stddev = math.sqrt(1.3 / n)
    assert values.std() == pytest.approx(stddev * 0.8796, rel=0.05)


def test_variance_scaling_uniform_limit():
    values = sample(slim.variance_scaling_initializer(uniform=True, seed=5))
    limit = math.sqrt(3.0 * 2.0 / 144)
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.95 * limit


def test_variance_scaling_is_deterministic_with_a_seed():
    a = sample(slim.variance_scaling_initializer(seed=7), (4, 4))
    b = sample(slim.variance_scaling_initializer(seed=7), (4, 4))
    np.testing.assert_array_equal(a, b)


def test_variance_scaling_unknown_mode_raises():
    with pytest.raises(TypeError) as err:
        slim.variance_scaling_initializer(mode="FAN_SUM")
    assert str(err.value) == "Unknown mode FAN_SUM [FAN_IN, FAN_OUT, FAN_AVG]"


def test_initializers_reject_integer_dtype():
    message = "Cannot create initializer for non-floating point type."
    with pytest.raises(TypeError, match=message):
        slim.variance_scaling_initializer(dtype=tf.int32)
    with pytest.raises(TypeError, match=message):
        slim.xavier_initializer(dtype=tf.int32)
    with pytest.raises(TypeError, match=message):
        slim.variance_scaling_initializer()((2, 2), dtype="int32")


def test_variance_scaling_config_round_trips():
    init = slim.variance_scaling_initializer(factor=1.5, mode="FAN_AVG", uniform=True, seed=3)
    clone = slim.initializers.VarianceScaling.from_config(init.get_config())
    assert clone.get_config() == {"factor": 1.5, "mode": "FAN_AVG", "uniform": True, "seed": 3}
    limit = math.sqrt(3.0 * 1.5 / 216)
    values = sample(clone)
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.95 * limit


def test_tf1_initializers_on_conv2d_save_and_load(tmp_path):
    with slim.Graph().as_default():
        x = keras.Input((8, 8, 3))
        net = slim.conv2d(
            x,
            16,
            [3, 3],
            scope="conv1",
            weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.01),
            biases_initializer=tf.compat.v1.constant_initializer(0.1),
        )
        net = slim.conv2d(
            net,
            4,
            [1, 1],
            scope="conv2",
            weights_initializer=tf.compat.v1.zeros_initializer(),
            activation_fn=None,
        )
        model = keras.Model(x, net)
    weights = {w.path: np.asarray(w) for w in model.weights}
    assert np.abs(weights["conv1/weights"]).max() <= 0.02 + 1e-7
    assert weights["conv1/weights"].std() == pytest.approx(0.01 * 0.8796, rel=0.1)
    np.testing.assert_allclose(weights["conv1/biases"], 0.1)
    np.testing.assert_array_equal(weights["conv2/weights"], 0.0)

    path = str(tmp_path / "init.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    for variable in restored.weights:
        np.testing.assert_array_equal(np.asarray(variable), weights[variable.path])
    x_val = np.random.RandomState(0).rand(2, 8, 8, 3).astype(np.float32)
    np.testing.assert_allclose(np.asarray(restored(x_val)), np.asarray(model(x_val)), atol=1e-6)


def test_slim_initializer_objects_on_layers_save_and_load(tmp_path):
    with slim.Graph().as_default():
        x = keras.Input((5,))
        y = slim.fully_connected(
            x, 3, weights_initializer=slim.variance_scaling_initializer(seed=1), scope="fc"
        )
        model = keras.Model(x, y)
    path = str(tmp_path / "vs.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(restored.weights[0]), np.asarray(model.weights[0]))
