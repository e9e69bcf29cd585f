"""A two-module Inception net in the manner of slim's inception_v1 / inception_v3.

Idioms: ``Branch_N`` variable scopes joined with ``tf.concat(axis=3, values=[...])``, a
base function re-entering the caller's ``VariableScope`` object, an ``arg_scope`` over conv
and pool strides/padding, ``get_shape().as_list()`` to shrink the pooling kernel on small
inputs, v1 ``tf.compat.v1.reduce_mean(keep_dims=True)``,
``tf.compat.v1.squeeze(squeeze_dims=[1, 2])`` and ``tf.identity``.
"""

import tensorflow as tf
import tf_slim as slim


def inception_mini_arg_scope(weight_decay=0.00004, stddev=0.1):
    """Regularized, batch-normalized convolutions."""
    with slim.arg_scope(
        [slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(weight_decay)
    ):
        with slim.arg_scope(
            [slim.conv2d],
            weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=stddev),
            activation_fn=tf.nn.relu,
            normalizer_fn=slim.batch_norm,
            normalizer_params={"decay": 0.9997, "epsilon": 0.001},
        ) as sc:
            return sc


def _reduced_kernel_size_for_small_input(input_tensor, kernel_size):
    shape = input_tensor.get_shape().as_list()
    if shape[1] is None or shape[2] is None:
        return kernel_size
    return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def inception_mini_base(inputs, final_endpoint="Mixed_4a", scope=None):
    """Stem - Mixed_3b (four branches) - Mixed_4a (reduction)."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "InceptionMini", [inputs]):
        with slim.arg_scope(
            [slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"
        ):
            end_point = "Conv2d_1a_3x3"
            net = slim.conv2d(inputs, 8, [3, 3], stride=2, scope=end_point)
            end_points[end_point] = net
            end_point = "MaxPool_2a_3x3"
            net = slim.max_pool2d(net, [3, 3], stride=2, scope=end_point)
            end_points[end_point] = net

            end_point = "Mixed_3b"
            with tf.compat.v1.variable_scope(end_point):
                with tf.compat.v1.variable_scope("Branch_0"):
                    branch_0 = slim.conv2d(net, 4, [1, 1], scope="Conv2d_0a_1x1")
                with tf.compat.v1.variable_scope("Branch_1"):
                    branch_1 = slim.conv2d(net, 4, [1, 1], scope="Conv2d_0a_1x1")
                    branch_1 = slim.conv2d(branch_1, 6, [3, 3], scope="Conv2d_0b_3x3")
                with tf.compat.v1.variable_scope("Branch_2"):
                    branch_2 = slim.conv2d(net, 2, [1, 1], scope="Conv2d_0a_1x1")
                    branch_2 = slim.conv2d(branch_2, 4, [1, 3], scope="Conv2d_0b_1x3")
                    branch_2 = slim.conv2d(branch_2, 4, [3, 1], scope="Conv2d_0c_3x1")
                with tf.compat.v1.variable_scope("Branch_3"):
                    branch_3 = slim.avg_pool2d(net, [3, 3], scope="AvgPool_0a_3x3")
                    branch_3 = slim.conv2d(branch_3, 4, [1, 1], scope="Conv2d_0b_1x1")
                net = tf.concat(axis=3, values=[branch_0, branch_1, branch_2, branch_3])
            end_points[end_point] = net
            if end_point == final_endpoint:
                return net, end_points

            end_point = "Mixed_4a"
            with tf.compat.v1.variable_scope(end_point):
                with tf.compat.v1.variable_scope("Branch_0"):
                    branch_0 = slim.conv2d(
                        net, 8, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_1"):
                    branch_1 = slim.max_pool2d(
                        net, [3, 3], stride=2, padding="VALID", scope="MaxPool_1a_3x3"
                    )
                net = tf.concat(axis=3, values=[branch_0, branch_1])
            end_points[end_point] = net
    return net, end_points


def inception_mini(
    inputs,
    num_classes=10,
    is_training=False,
    dropout_keep_prob=0.8,
    spatial_squeeze=True,
    reuse=None,
    scope="InceptionMini",
):
    """The base, a pooled 1x1-conv classifier and softmax predictions."""
    with tf.compat.v1.variable_scope(scope, "InceptionMini", [inputs], reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_mini_base(inputs, scope=scope)
            with tf.compat.v1.variable_scope("Logits"):
                kernel_size = _reduced_kernel_size_for_small_input(net, [7, 7])
                net = slim.avg_pool2d(
                    net,
                    kernel_size,
                    padding="VALID",
                    scope="AvgPool_1a_{}x{}".format(*kernel_size),
                )
                end_points["AvgPool_1a"] = net
                net = tf.compat.v1.reduce_mean(net, [1, 2], keep_dims=True, name="GlobalPool")
                net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
                logits = slim.conv2d(
                    net,
                    num_classes,
                    [1, 1],
                    activation_fn=None,
                    normalizer_fn=None,
                    scope="Conv2d_1c_1x1",
                )
                if spatial_squeeze:
                    logits = tf.compat.v1.squeeze(
                        logits, squeeze_dims=[1, 2], name="SpatialSqueeze"
                    )
            end_points["Logits"] = tf.identity(logits, name="Logits")
            end_points["Predictions"] = slim.softmax(logits, scope="Predictions")
    return logits, end_points
