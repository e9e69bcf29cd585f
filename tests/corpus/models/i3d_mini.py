"""A small inflated-3D video classifier in the manner of slim's i3d / s3dg.

Idioms: ``slim.conv3d`` / ``slim.max_pool3d`` / ``slim.avg_pool3d`` with 3-D strides,
inception branches joined with ``tf.concat(axis=4, values=[...])``, the end_points
collection idiom on 3-D layers, ``get_shape().as_list()`` for the pooling window, and the
logits ``tf.squeeze`` over space then ``tf.reduce_mean`` over time.
"""

import tensorflow as tf
import tf_slim as slim


def i3d_mini_arg_scope(weight_decay=1e-7):
    """Batch-normalized 3-D convolutions."""
    with slim.arg_scope(
        [slim.conv3d],
        weights_regularizer=slim.l2_regularizer(weight_decay),
        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1),
        activation_fn=tf.nn.relu,
        normalizer_fn=slim.batch_norm,
        normalizer_params={"decay": 0.999, "epsilon": 0.001, "fused": False},
    ):
        with slim.arg_scope([slim.conv3d], padding="SAME") as sc:
            return sc


def mixed_3d(net, depths, scope):
    """Four-branch 3-D inception module."""
    with tf.compat.v1.variable_scope(scope):
        with tf.compat.v1.variable_scope("Branch_0"):
            branch_0 = slim.conv3d(net, depths[0], [1, 1, 1], scope="Conv2d_0a_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            branch_1 = slim.conv3d(net, depths[1], [1, 1, 1], scope="Conv2d_0a_1x1")
            branch_1 = slim.conv3d(branch_1, depths[2], [3, 3, 3], scope="Conv2d_0b_3x3")
        with tf.compat.v1.variable_scope("Branch_2"):
            branch_2 = slim.conv3d(net, depths[3], [1, 1, 1], scope="Conv2d_0a_1x1")
            branch_2 = slim.conv3d(branch_2, depths[4], [3, 3, 3], scope="Conv2d_0b_3x3")
        with tf.compat.v1.variable_scope("Branch_3"):
            branch_3 = slim.max_pool3d(
                net, [3, 3, 3], stride=1, padding="SAME", scope="MaxPool3d_0a_3x3"
            )
            branch_3 = slim.conv3d(branch_3, depths[5], [1, 1, 1], scope="Conv2d_0b_1x1")
        return tf.concat(axis=4, values=[branch_0, branch_1, branch_2, branch_3])


def i3d_mini(
    inputs,
    num_classes=10,
    is_training=False,
    dropout_keep_prob=0.8,
    spatial_squeeze=True,
    reuse=None,
    scope="I3dMini",
):
    """Video [N, T, H, W, C] -> logits [N, num_classes]."""
    with tf.compat.v1.variable_scope(scope, "I3dMini", [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            with slim.arg_scope(
                [slim.conv3d, slim.max_pool3d], outputs_collections=end_points_collection
            ):
                net = slim.conv3d(inputs, 8, [3, 5, 5], stride=[1, 2, 2], scope="Conv2d_1a_7x7")
                net = slim.max_pool3d(
                    net, [1, 3, 3], stride=[1, 2, 2], padding="SAME", scope="MaxPool_2a_3x3"
                )
                net = mixed_3d(net, [4, 4, 6, 2, 2, 2], "Mixed_3b")
            end_points = slim.utils.convert_collection_to_dict(end_points_collection)
            end_points["Mixed_3b"] = net
            with tf.compat.v1.variable_scope("Logits"):
                window = net.get_shape().as_list()[1:4]
                net = slim.avg_pool3d(net, window, stride=1, scope="AvgPool_0a_7x7")
                net = slim.dropout(net, dropout_keep_prob, scope="Dropout_0b")
                logits = slim.conv3d(
                    net,
                    num_classes,
                    [1, 1, 1],
                    activation_fn=None,
                    normalizer_fn=None,
                    scope="Conv2d_0c_1x1",
                )
                if spatial_squeeze:
                    logits = tf.squeeze(logits, [2, 3], name="SpatialSqueeze")
                logits = tf.reduce_mean(logits, axis=1)
            end_points["Logits"] = logits
            end_points["Predictions"] = slim.softmax(logits, scope="Predictions")
    return logits, end_points
