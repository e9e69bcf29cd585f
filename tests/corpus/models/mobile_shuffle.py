"""A depthwise-separable net with channel shuffles, in the manner of slim's mobilenet_v1.

Idioms: ``slim.separable_conv2d(net, None, ...)`` (depthwise only) followed by a 1x1
pointwise conv, ``activation_fn=tf.nn.relu6`` and a direct ``tf.nn.relu6`` call, a channel
shuffle written with ``.shape.as_list()``, ``tf.reshape`` and ``tf.transpose`` under
``tf.compat.v1.name_scope``, global pooling, ``tf.squeeze`` and class ids from
``tf.cast(tf.argmax(...), tf.int32)``.
"""

import tensorflow as tf
import tf_slim as slim


def channel_shuffle(net, groups, scope=None):
    """Interleaves the channels of ``groups`` groups."""
    with tf.compat.v1.name_scope(scope, "ChannelShuffle", [net]):
        _, height, width, depth = net.shape.as_list()
        net = tf.reshape(net, [-1, height, width, groups, depth // groups])
        net = tf.transpose(net, [0, 1, 2, 4, 3])
        return tf.reshape(net, [-1, height, width, depth])


def mobile_shuffle_arg_scope(weight_decay=0.00004, stddev=0.09):
    """Batch-normalized relu6 convolutions; depthwise weights unregularized."""
    batch_norm_params = {"center": True, "scale": True, "decay": 0.9997, "epsilon": 0.001}
    with slim.arg_scope(
        [slim.conv2d, slim.separable_conv2d],
        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=stddev),
        activation_fn=tf.nn.relu6,
        normalizer_fn=slim.batch_norm,
        normalizer_params=batch_norm_params,
    ):
        with slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay)):
            with slim.arg_scope([slim.separable_conv2d], weights_regularizer=None) as sc:
                return sc


CONV_DEFS = [(16, 1), (16, 2), (24, 1)]


def mobile_shuffle(
    inputs,
    num_classes=10,
    is_training=False,
    dropout_keep_prob=0.999,
    reuse=None,
    scope="MobileShuffle",
):
    """conv - 3 x (depthwise - pointwise [- shuffle]) - pool - 1x1 logits."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "MobileShuffle", [inputs], reuse=reuse):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding="SAME"):
                net = slim.conv2d(inputs, 8, [3, 3], stride=2, scope="Conv2d_0")
                end_points["Conv2d_0"] = net
                for i, (depth, stride) in enumerate(CONV_DEFS, start=1):
                    name = f"Conv2d_{i}_depthwise"
                    net = slim.separable_conv2d(
                        net, None, [3, 3], depth_multiplier=1, stride=stride, scope=name
                    )
                    end_points[name] = net
                    name = f"Conv2d_{i}_pointwise"
                    net = slim.conv2d(net, depth, [1, 1], stride=1, scope=name)
                    end_points[name] = net
                    if i > 1:
                        net = channel_shuffle(net, 2)
                        end_points[f"Shuffle_{i}"] = net
                net = tf.nn.relu6(net * 2.0)
            with tf.compat.v1.variable_scope("Logits"):
                net = tf.reduce_mean(net, [1, 2], keepdims=True, name="global_pool")
                end_points["global_pool"] = net
                net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
                logits = slim.conv2d(
                    net,
                    num_classes,
                    [1, 1],
                    activation_fn=None,
                    normalizer_fn=None,
                    scope="Conv2d_1c_1x1",
                )
                logits = tf.squeeze(logits, [1, 2], name="SpatialSqueeze")
            end_points["Logits"] = logits
            end_points["Predictions"] = slim.softmax(logits, scope="Predictions")
            end_points["Classes"] = tf.cast(tf.argmax(logits, axis=1), tf.int32, name="Classes")
    return logits, end_points
