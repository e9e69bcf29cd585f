"""slim layer functions called inside a ``tf.function`` (autograph converts them)."""

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

CASES = {
    "max_pool2d": (lambda x: slim.max_pool2d(x, [2, 2]), (2, 8, 8, 3), (2, 4, 4, 3)),
    "avg_pool2d": (lambda x: slim.avg_pool2d(x, [2, 2]), (2, 8, 8, 3), (2, 4, 4, 3)),
    "max_pool3d": (lambda x: slim.max_pool3d(x, [2, 2, 2]), (2, 4, 8, 8, 3), (2, 2, 4, 4, 3)),
    "avg_pool3d": (lambda x: slim.avg_pool3d(x, [2, 2, 2]), (2, 4, 8, 8, 3), (2, 2, 4, 4, 3)),
    "conv2d": (lambda x: slim.conv2d(x, 4, [3, 3]), (2, 8, 8, 3), (2, 8, 8, 4)),
    "conv2d_transpose": (
        lambda x: slim.conv2d_transpose(x, 4, [3, 3], stride=2),
        (2, 8, 8, 3),
        (2, 16, 16, 4),
    ),
    "conv3d_transpose": (
        lambda x: slim.conv3d_transpose(x, 4, [3, 3, 3], stride=2),
        (2, 2, 4, 4, 3),
        (2, 4, 8, 8, 4),
    ),
    "separable_conv2d": (
        lambda x: slim.separable_conv2d(x, 4, [3, 3], 1),
        (2, 8, 8, 3),
        (2, 8, 8, 4),
    ),
    "fully_connected": (lambda x: slim.fully_connected(x, 5), (2, 7), (2, 5)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_function_runs_inside_tf_function_with_autograph(name):
    fn, in_shape, out_shape = CASES[name]
    x = tf.constant(np.random.default_rng(0).normal(size=in_shape), tf.float32)
    with slim.Graph().as_default():
        eager = fn(x)
    with slim.Graph().as_default():
        traced = tf.function(fn, autograph=True)(x)
    assert tuple(traced.shape) == out_shape
    assert tuple(eager.shape) == out_shape
