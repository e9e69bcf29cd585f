"""A three-cell NAS-style net in the manner of slim's nasnet / pnasnet.

Idioms: ``tf.split`` of a cell's input into two hidden states, combinations summed with
``tf.add_n``, drop-path noise of shape ``[tf.shape(net)[0], 1, 1, 1]`` from
``tf.compat.v1.random_uniform`` with ``tf.floor`` and ``tf.math.divide`` under a
``tf.compat.v1.name_scope``, ``net.dtype.base_dtype``, a factorized reduction whose second
path is shifted with ``tf.pad`` and a ``[:, 1:, 1:, :]`` slice, separable convolutions and
``net.shape[3]`` / ``get_shape()`` comparisons between the previous and current layer.

With ``drop_path_keep_prob=1.0`` the drop-path code still runs and keeps every path
(``floor(1 + u) == 1`` for ``u`` in ``[0, 1)``), so inference outputs are deterministic.
"""

import tensorflow as tf
import tf_slim as slim


def nas_mini_arg_scope(weight_decay=5e-5, batch_norm_decay=0.9997, batch_norm_epsilon=1e-3):
    """Bias-free, linear convolutions; batch norm with scale."""
    batch_norm_params = {
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "scale": True,
        "fused": True,
    }
    weights_regularizer = slim.l2_regularizer(weight_decay)
    weights_initializer = slim.variance_scaling_initializer(mode="FAN_OUT")
    with slim.arg_scope(
        [slim.fully_connected, slim.conv2d, slim.separable_conv2d],
        weights_regularizer=weights_regularizer,
        weights_initializer=weights_initializer,
    ):
        with slim.arg_scope([slim.fully_connected], activation_fn=None):
            with slim.arg_scope(
                [slim.conv2d, slim.separable_conv2d], activation_fn=None, biases_initializer=None
            ):
                with slim.arg_scope([slim.batch_norm], **batch_norm_params) as sc:
                    return sc


def drop_path(net, keep_prob, scope=None):
    """Drops whole examples' paths with probability ``1 - keep_prob``."""
    with tf.compat.v1.name_scope(scope, "drop_path", [net]):
        batch_size = tf.shape(net)[0]
        noise_shape = [batch_size, 1, 1, 1]
        random_tensor = keep_prob
        random_tensor += tf.compat.v1.random_uniform(noise_shape, dtype=net.dtype.base_dtype)
        binary_tensor = tf.floor(random_tensor)
        net = tf.math.divide(net, keep_prob) * binary_tensor
    return net


def factorized_reduction(net, output_filters, stride):
    """Halves height/width with two offset 1x1 paths (no information thrown away)."""
    if stride == 1:
        net = slim.conv2d(net, output_filters, 1, scope="path_conv")
        return slim.batch_norm(net, scope="path_bn")
    path1 = slim.avg_pool2d(net, [1, 1], [stride, stride], padding="VALID")
    path1 = slim.conv2d(path1, output_filters // 2, 1, scope="path1_conv")
    pad_arr = [[0, 0], [0, 1], [0, 1], [0, 0]]
    path2 = tf.pad(tensor=net, paddings=pad_arr)[:, 1:, 1:, :]
    path2 = slim.avg_pool2d(path2, [1, 1], [stride, stride], padding="VALID")
    path2 = slim.conv2d(path2, output_filters - output_filters // 2, 1, scope="path2_conv")
    net = tf.concat(values=[path1, path2], axis=3)
    return slim.batch_norm(net, scope="final_path_bn")


def _separable(net, num_outputs, kernel_size, stride, scope):
    with tf.compat.v1.variable_scope(scope):
        net = tf.nn.relu(net)
        net = slim.separable_conv2d(
            net, num_outputs, kernel_size, depth_multiplier=1, stride=stride, scope="separable"
        )
        return slim.batch_norm(net, scope="bn_sep")


def nas_cell(net, prev_layer, filter_size, drop_path_keep_prob, scope):
    """Two combinations of the split hidden states and the (reduced) previous layer."""
    with tf.compat.v1.variable_scope(scope):
        if prev_layer is None:
            prev_layer = net
        prev_height = prev_layer.get_shape().as_list()[1]
        curr_height = net.shape[1]
        if prev_height != curr_height or prev_layer.shape[3] != filter_size:
            with tf.compat.v1.variable_scope("prev_reduction"):
                prev_layer = tf.nn.relu(prev_layer)
                prev_layer = factorized_reduction(
                    prev_layer, filter_size, stride=prev_height // curr_height
                )
        net = tf.nn.relu(net)
        net = slim.conv2d(net, filter_size, 1, scope="1x1")
        net = slim.batch_norm(net, scope="beginning_bn")
        hidden_0, hidden_1 = tf.split(net, num_or_size_splits=2, axis=3)
        half = filter_size // 2
        with tf.compat.v1.variable_scope("comb_iter_0"):
            left = _separable(hidden_0, half, 3, 1, "left")
            combined_0 = tf.add_n([left, hidden_1])
            combined_0 = drop_path(combined_0, drop_path_keep_prob)
        with tf.compat.v1.variable_scope("comb_iter_1"):
            left = _separable(prev_layer, filter_size, 5, 1, "left")
            right = slim.avg_pool2d(
                tf.concat(values=[combined_0, hidden_0], axis=3), [3, 3], 1, padding="SAME"
            )
            combined_1 = tf.add_n([left, right])
            combined_1 = drop_path(combined_1, drop_path_keep_prob)
        return tf.concat(values=[combined_0, combined_1], axis=3)


def nas_mini(
    images,
    num_classes=10,
    is_training=False,
    drop_path_keep_prob=1.0,
    dropout_keep_prob=0.5,
    reuse=None,
    scope="NasMini",
):
    """Stem - cell_0 - cell_1 - reduction - cell_2 - global pool - logits."""
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "NasMini", [images], reuse=reuse):
        with slim.arg_scope([slim.dropout, slim.batch_norm], is_training=is_training):
            net = slim.conv2d(images, 8, [3, 3], stride=2, padding="SAME", scope="conv0")
            net = slim.batch_norm(net, scope="conv0_bn")
            end_points["Stem"] = net
            stem = net
            net = nas_cell(net, None, 8, drop_path_keep_prob, "cell_0")
            end_points["Cell_0"] = net
            cell_0 = net
            net = nas_cell(net, stem, 8, drop_path_keep_prob, "cell_1")
            end_points["Cell_1"] = net
            prev = cell_0 if net.get_shape()[3] == cell_0.get_shape()[3] else net
            net = slim.max_pool2d(net, [3, 3], stride=2, padding="SAME", scope="reduction")
            end_points["Reduction"] = net
            net = nas_cell(net, prev, 8, drop_path_keep_prob, "cell_2")
            end_points["Cell_2"] = net
            net = tf.nn.relu(net)
            net = tf.reduce_mean(net, [1, 2], name="global_pool")
            end_points["global_pool"] = net
            net = slim.dropout(net, dropout_keep_prob, scope="dropout")
            logits = slim.fully_connected(net, num_classes, scope="logits")
            end_points["Logits"] = logits
            end_points["Predictions"] = tf.nn.softmax(logits, name="predictions")
    return logits, end_points
