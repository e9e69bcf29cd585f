"""A small Inception-ResNet in the manner of slim's inception_resnet_v2.

Idioms: residual blocks that open their own ``tf.compat.v1.variable_scope`` and are
stacked by ``slim.repeat``; ``up = slim.conv2d(mixed, net.get_shape()[3], 1, ...)``;
``net += scale * up`` then ``tf.nn.relu``; a ``tf.nn.relu6`` variant with
``tf.clip_by_value``; ``get_shape()[1:3].is_fully_defined()`` choosing the final pool.
"""

import tensorflow as tf
import tf_slim as slim


def block_a(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
    """Two-branch residual block (35x35 blocks of the original)."""
    with tf.compat.v1.variable_scope(scope, "BlockA", [net], reuse=reuse):
        with tf.compat.v1.variable_scope("Branch_0"):
            tower_conv = slim.conv2d(net, 4, 1, scope="Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            tower_conv1_0 = slim.conv2d(net, 4, 1, scope="Conv2d_0a_1x1")
            tower_conv1_1 = slim.conv2d(tower_conv1_0, 4, 3, scope="Conv2d_0b_3x3")
        mixed = tf.concat(axis=3, values=[tower_conv, tower_conv1_1])
        up = slim.conv2d(
            mixed, net.get_shape()[3], 1, normalizer_fn=None, activation_fn=None, scope="Conv2d_1x1"
        )
        net += scale * up
        if activation_fn:
            net = activation_fn(net)
    return net


def block_b(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
    """Factorized 1x3 / 3x1 residual block, its residual clipped under relu6."""
    with tf.compat.v1.variable_scope(scope, "BlockB", [net], reuse=reuse):
        with tf.compat.v1.variable_scope("Branch_0"):
            tower_conv = slim.conv2d(net, 6, 1, scope="Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            tower_conv1_0 = slim.conv2d(net, 4, 1, scope="Conv2d_0a_1x1")
            tower_conv1_1 = slim.conv2d(tower_conv1_0, 5, [1, 3], scope="Conv2d_0b_1x3")
            tower_conv1_2 = slim.conv2d(tower_conv1_1, 6, [3, 1], scope="Conv2d_0c_3x1")
        mixed = tf.concat(axis=3, values=[tower_conv, tower_conv1_2])
        up = slim.conv2d(
            mixed, net.get_shape()[3], 1, normalizer_fn=None, activation_fn=None, scope="Conv2d_1x1"
        )
        scaled_up = up * scale
        if activation_fn == tf.nn.relu6:
            scaled_up = tf.clip_by_value(scaled_up, -6.0, 6.0)
        net += scaled_up
        if activation_fn:
            net = activation_fn(net)
    return net


def inception_resnet_mini_arg_scope(weight_decay=0.00004):
    """Regularized convolutions with scaled batch norm."""
    with slim.arg_scope(
        [slim.conv2d, slim.fully_connected],
        weights_regularizer=slim.l2_regularizer(weight_decay),
        biases_regularizer=slim.l2_regularizer(weight_decay),
    ):
        with slim.arg_scope(
            [slim.conv2d],
            activation_fn=tf.nn.relu,
            normalizer_fn=slim.batch_norm,
            normalizer_params={"decay": 0.9997, "epsilon": 0.001, "fused": None, "scale": True},
        ) as sc:
            return sc


def inception_resnet_mini(
    inputs,
    num_classes=10,
    is_training=False,
    dropout_keep_prob=0.8,
    reuse=None,
    scope="InceptionResnetMini",
):
    """Stem - 2 x BlockA - reduction - 2 x BlockB (relu6) - logits."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "InceptionResnetMini", [inputs], reuse=reuse):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            with slim.arg_scope(
                [slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"
            ):
                net = slim.conv2d(inputs, 8, 3, stride=2, scope="Conv2d_1a_3x3")
                end_points["Conv2d_1a_3x3"] = net
                net = slim.repeat(net, 2, block_a, scale=0.17)
                end_points["Repeat"] = net
                with tf.compat.v1.variable_scope("Mixed_6a"):
                    with tf.compat.v1.variable_scope("Branch_0"):
                        tower_conv = slim.conv2d(
                            net, 6, 3, stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                        )
                    with tf.compat.v1.variable_scope("Branch_1"):
                        tower_pool = slim.max_pool2d(
                            net, 3, stride=2, padding="VALID", scope="MaxPool_1a_3x3"
                        )
                    net = tf.concat(axis=3, values=[tower_conv, tower_pool])
                end_points["Mixed_6a"] = net
                net = slim.repeat(
                    net, 2, block_b, scale=0.10, activation_fn=tf.nn.relu6, scope="Repeat_1"
                )
                end_points["Repeat_1"] = net
            with tf.compat.v1.variable_scope("Logits"):
                kernel_size = net.get_shape()[1:3]
                if kernel_size.is_fully_defined():
                    net = slim.avg_pool2d(net, kernel_size, padding="VALID", scope="AvgPool_1a_8x8")
                else:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True, name="global_pool")
                net = slim.flatten(net)
                net = slim.dropout(net, dropout_keep_prob, scope="Dropout")
                end_points["PreLogitsFlatten"] = net
                logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="Logits")
                end_points["Logits"] = logits
                end_points["Predictions"] = tf.nn.softmax(logits, name="Predictions")
    return logits, end_points
