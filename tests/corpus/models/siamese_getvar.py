"""A two-view (siamese) classifier with hand-made variables, as slim-era code wrote them.

Idioms: ``tf.compat.v1.get_variable`` inside a ``tf.compat.v1.variable_scope`` (a learned
per-channel scale and offset), a tower applied twice with
``tf.compat.v1.get_variable_scope().reuse_variables()``, a scalar made under
``reuse=tf.compat.v1.AUTO_REUSE``, a squeeze-and-excite gate
(``tf.reduce_mean(keepdims=True)``, ``tf.nn.sigmoid``), ``tf.image.flip_left_right`` under
``tf.compat.v1.name_scope``, ``.shape.ndims`` / ``.shape.as_list()`` and
``net.dtype.base_dtype``.
"""

import tensorflow as tf
import tf_slim as slim


def channel_affine(net, scope=None):
    """``net * gamma + beta`` with variables made by ``get_variable``."""
    with tf.compat.v1.variable_scope(scope, "ChannelAffine", [net]):
        if net.shape.ndims != 4:
            raise ValueError(f"channel_affine expects NHWC input, got rank {net.shape.ndims}")
        depth = net.shape.as_list()[-1]
        dtype = net.dtype.base_dtype
        gamma = tf.compat.v1.get_variable(
            "gamma", shape=[depth], dtype=dtype, initializer=tf.compat.v1.ones_initializer()
        )
        beta = tf.compat.v1.get_variable(
            "beta", [depth], dtype=dtype, initializer=tf.compat.v1.zeros_initializer()
        )
        return net * gamma + beta


def squeeze_excite(net, ratio=2, scope=None):
    """Channel gate from the globally pooled features."""
    with tf.compat.v1.variable_scope(scope, "SqueezeExcite", [net]):
        depth = net.get_shape()[-1]
        pooled = tf.reduce_mean(net, [1, 2], keepdims=True, name="squeeze")
        gate = slim.conv2d(pooled, depth // ratio, [1, 1], scope="reduce")
        gate = slim.conv2d(gate, depth, [1, 1], activation_fn=tf.nn.sigmoid, scope="expand")
        return net * gate


def tower(images):
    """conv - affine - SE - pool - conv - global pool; variables shared between views."""
    net = slim.conv2d(images, 8, [3, 3], scope="conv1")
    net = channel_affine(net, scope="affine1")
    net = squeeze_excite(net, scope="se1")
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.conv2d(net, 8, [3, 3], scope="conv2")
    return tf.reduce_mean(net, [1, 2], name="pool")


def siamese_arg_scope():
    """3x3 SAME relu convolutions without normalization."""
    with slim.arg_scope(
        [slim.conv2d],
        padding="SAME",
        normalizer_fn=None,
        weights_initializer=slim.xavier_initializer(),
    ) as sc:
        return sc


def siamese_net(images, num_classes=10, is_training=False, reuse=None, scope="Siamese"):
    """Features of the image and its mirror image from one tower, then a classifier."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "Siamese", [images], reuse=reuse):
        with tf.compat.v1.name_scope("views"):
            mirrored = tf.image.flip_left_right(images)
        end_points["mirrored"] = mirrored
        with tf.compat.v1.variable_scope("Tower"):
            left = tower(images)
            tf.compat.v1.get_variable_scope().reuse_variables()
            right = tower(mirrored)
        end_points["left"] = left
        end_points["right"] = right
        net = tf.concat([left, right], axis=1)
        with tf.compat.v1.variable_scope("Head", reuse=tf.compat.v1.AUTO_REUSE):
            temperature = tf.compat.v1.get_variable(
                "temperature", [], initializer=tf.compat.v1.constant_initializer(1.0)
            )
        net = slim.fully_connected(net, 16, scope="fc1")
        net = slim.dropout(net, 0.7, is_training=is_training, scope="dropout1")
        logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="logits")
        logits = logits / temperature
        end_points["Logits"] = logits
        end_points["Predictions"] = tf.nn.softmax(logits)
    return logits, end_points
