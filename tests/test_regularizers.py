"""slim's regularizers: l2 = s·Σw²/2, l1, l1_l2, sum, apply_regularization, errors."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

W = np.array([[1.0, -2.0], [3.0, -4.0]], np.float32)  # Σw² = 30, Σ|w| = 10


def test_l2_regularizer_is_half_scale_sum_of_squares():
    assert float(slim.l2_regularizer(0.5)(tf.constant(W))) == pytest.approx(7.5)


def test_l1_regularizer_is_scale_sum_of_abs():
    assert float(slim.l1_regularizer(0.5)(tf.constant(W))) == pytest.approx(5.0)


def test_l1_l2_regularizer_sums_both_with_halved_l2():
    value = slim.l1_l2_regularizer(0.5, 0.2)(tf.constant(W))
    assert float(value) == pytest.approx(0.5 * 10 + 0.2 * 30 / 2)
    assert float(slim.l1_l2_regularizer()(tf.constant(W))) == pytest.approx(10 + 15)


def test_l1_l2_regularizer_with_a_zero_scale_is_the_other_regularizer():
    only_l2 = slim.l1_l2_regularizer(0.0, 0.5)
    only_l1 = slim.l1_l2_regularizer(0.5, 0.0)
    assert float(only_l2(tf.constant(W))) == pytest.approx(7.5)
    assert float(only_l1(tf.constant(W))) == pytest.approx(5.0)


def test_sum_regularizer_drops_none_and_adds():
    summed = slim.sum_regularizer([slim.l1_regularizer(1.0), None, slim.l2_regularizer(1.0)])
    assert float(summed(tf.constant(W))) == pytest.approx(10 + 15)
    assert slim.sum_regularizer([None, None]) is None
    assert slim.sum_regularizer([]) is None


def test_scale_zero_disables_the_regularizer(caplog):
    with caplog.at_level(logging.INFO, logger="kslim"):
        l2 = slim.l2_regularizer(0.0)
        l1 = slim.l1_regularizer(0.0)
    assert l2(tf.constant(W)) is None
    assert l1(tf.constant(W)) is None
    assert "Scale of 0 disables regularizer." in caplog.text


def test_disabled_regularizer_on_a_layer_adds_zero_penalty():
    with slim.Graph().as_default():
        y = slim.conv2d(
            tf.ones((1, 4, 4, 1)), 2, [3, 3], weights_regularizer=slim.l2_regularizer(0.0)
        )
        assert y.shape == (1, 4, 4, 2)
        penalties = slim.losses.get_regularization_losses()
    assert all(float(p) == 0.0 for p in penalties)


@pytest.mark.parametrize("factory", [slim.l1_regularizer, slim.l2_regularizer])
def test_integer_scale_raises_slims_error(factory):
    with pytest.raises(ValueError) as err:
        factory(2)
    assert str(err.value) == "scale cannot be an integer: 2"


def test_negative_scale_raises_slims_errors_verbatim():
    with pytest.raises(ValueError) as err:
        slim.l2_regularizer(-0.5)
    assert str(err.value) == "Setting a scale less than 0 on a regularizer: -0.5."
    with pytest.raises(ValueError) as err:
        slim.l1_regularizer(-0.5)
    assert str(err.value) == "Setting a scale less than 0 on a regularizer: -0.5"


def test_l1_l2_integer_scales_raise():
    with pytest.raises(ValueError, match="^scale_l1 cannot be an integer: 1$"):
        slim.l1_l2_regularizer(1, 0.5)
    with pytest.raises(ValueError, match="^scale_l2 cannot be an integer: 1$"):
        slim.l1_l2_regularizer(0.5, 1)


def test_non_numeric_scale_raises_naming_the_value():
    with pytest.raises(TypeError, match="'big'"):
        slim.l2_regularizer("big")


def test_apply_regularization_sums_and_records_penalty():
    with slim.Graph().as_default():
        a = tf.Variable(W)
        b = tf.Variable(np.ones((3,), np.float32))
        total = slim.apply_regularization(slim.l2_regularizer(0.5), [a, b])
        assert float(total) == pytest.approx(7.5 + 0.75)
        assert slim.get_collection(slim.GraphKeys.REGULARIZATION_LOSSES) == [total]


def test_apply_regularization_without_weights_raises():
    with slim.Graph().as_default():
        slim.conv2d(keras.Input((4, 4, 1)), 2, [3, 3])
        with pytest.raises(ValueError) as err:
            slim.apply_regularization(slim.l2_regularizer(0.5))
    assert str(err.value) == "No weights to regularize."


def test_apply_regularization_rejects_non_scalar_penalty():
    with slim.Graph().as_default(), pytest.raises(ValueError) as err:
        slim.apply_regularization(lambda w: w * 2.0, [tf.Variable(W)])
    assert str(err.value) == (
        "regularizer must return a scalar Tensor instead of a Tensor with rank 2."
    )


def test_conv2d_weights_regularizer_penalty_on_keras_graph():
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 1))
        slim.conv2d(
            x,
            2,
            [3, 3],
            scope="conv1",
            weights_initializer=tf.compat.v1.constant_initializer(0.5),
            weights_regularizer=slim.l2_regularizer(0.5),
            biases_regularizer=slim.l1_regularizer(1.0),
        )
        penalties = slim.losses.get_regularization_losses()
        scoped = slim.losses.get_regularization_losses(scope="conv1/weights")
        model = keras.Model(x, penalties)
    values = [float(v) for v in model(np.zeros((1, 4, 4, 1), np.float32))]
    assert values == pytest.approx([0.5 * (18 * 0.25) / 2, 0.0])
    assert len(scoped) == 1


def test_regularized_model_saves_and_loads(tmp_path):
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 1))
        y = slim.conv2d(x, 2, [3, 3], weights_regularizer=slim.l2_regularizer(0.5))
        model = keras.Model(x, y)
    path = str(tmp_path / "reg.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    restored(np.zeros((1, 4, 4, 1), np.float32))
    assert len(restored.losses) == 1
    expected = 0.5 * float(tf.reduce_sum(model.weights[0] ** 2)) / 2
    assert float(restored.losses[0]) == pytest.approx(expected, rel=1e-5)
