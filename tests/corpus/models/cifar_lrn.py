"""A CIFAR-sized classifier in the manner of slim's cifarnet.

Idioms: ``kernel_size`` set by ``arg_scope``, ``tf.nn.lrn``, ``get_shape().assert_has_rank``
and ``.assert_is_fully_defined``, a flatten written as
``tf.reshape(x, [tf.shape(x)[0], -1])`` + ``set_shape``, dropout and ``tf.nn.softmax``
predictions in a hand-made end_points dict.
"""

import tensorflow as tf
import tf_slim as slim


def lrn_net_arg_scope(weight_decay=0.004):
    """Conv layers 3x3 SAME by default; regularized fully connected layers."""
    with slim.arg_scope(
        [slim.conv2d],
        kernel_size=[3, 3],
        padding="SAME",
        activation_fn=tf.nn.relu,
        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.05),
    ):
        with slim.arg_scope(
            [slim.fully_connected],
            biases_initializer=tf.compat.v1.constant_initializer(0.1),
            weights_regularizer=slim.l2_regularizer(weight_decay),
            activation_fn=tf.nn.relu,
        ) as sc:
            return sc


def lrn_net(
    images,
    num_classes=10,
    is_training=False,
    dropout_keep_prob=0.5,
    reuse=None,
    scope="LrnNet",
):
    """conv - pool - lrn - conv - lrn - pool - fc - dropout - logits."""
    images.get_shape().assert_has_rank(4)
    images.get_shape()[1:].assert_is_fully_defined()
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "LrnNet", [images], reuse=reuse):
        net = slim.conv2d(images, 8, scope="conv1")
        end_points["conv1"] = net
        net = slim.max_pool2d(net, [2, 2], 2, scope="pool1")
        end_points["pool1"] = net
        net = tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm1")
        end_points["norm1"] = net
        net = slim.conv2d(net, 8, kernel_size=[5, 5], scope="conv2")
        end_points["conv2"] = net
        net = tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm2")
        net = slim.max_pool2d(net, [2, 2], 2, scope="pool2")
        end_points["pool2"] = net
        flat_size = 1
        for dim in net.get_shape().as_list()[1:]:
            flat_size *= dim
        net = tf.reshape(net, [tf.shape(net)[0], -1])
        net.set_shape([None, flat_size])
        end_points["Flatten"] = net
        net = slim.fully_connected(net, 24, scope="fc3")
        end_points["fc3"] = net
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout3")
        logits = slim.fully_connected(
            net,
            num_classes,
            biases_initializer=tf.compat.v1.zeros_initializer(),
            weights_regularizer=None,
            activation_fn=None,
            scope="logits",
        )
        end_points["Logits"] = logits
        end_points["Predictions"] = tf.nn.softmax(logits, name="Predictions")
    return logits, end_points
