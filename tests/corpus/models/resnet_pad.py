"""A two-block bottleneck ResNet in the manner of slim's resnet_v1 / resnet_utils.

Idioms: fixed padding with ``tf.pad`` before a strided VALID conv, ``@slim.add_arg_scope``
units collected with ``slim.utils.collect_named_outputs``, ``slim.utils.last_dimension`` of
``get_shape()``, ``tf.nn.relu(shortcut + residual)``, the end_points-collection idiom
(``sc.original_name_scope + '_end_points'`` + ``convert_collection_to_dict``),
``tf.reduce_mean(net, [1, 2], keepdims=True)`` and ``tf.squeeze(net, [1, 2], name=...)``.
"""

import tensorflow as tf
import tf_slim as slim


def fixed_padding(inputs, kernel_size, rate=1):
    """Pads height and width so a VALID conv of ``kernel_size`` keeps 'SAME' alignment."""
    effective = kernel_size + (kernel_size - 1) * (rate - 1)
    pad_total = effective - 1
    pad_beg = pad_total // 2
    pad_end = pad_total - pad_beg
    return tf.pad(tensor=inputs, paddings=[[0, 0], [pad_beg, pad_end], [pad_beg, pad_end], [0, 0]])


def conv2d_same(inputs, num_outputs, kernel_size, stride, scope=None):
    """A strided conv whose output does not depend on the input size parity."""
    if stride == 1:
        return slim.conv2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", scope=scope)
    inputs = fixed_padding(inputs, kernel_size)
    return slim.conv2d(
        inputs, num_outputs, kernel_size, stride=stride, padding="VALID", scope=scope
    )


def subsample(inputs, factor, scope=None):
    """Strided 1x1 max pool (the identity for factor 1)."""
    if factor == 1:
        return inputs
    return slim.max_pool2d(inputs, [1, 1], stride=factor, scope=scope)


@slim.add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, outputs_collections=None, scope=None):
    """1x1 - 3x3 - 1x1 bottleneck unit with a projection shortcut when depths differ."""
    with tf.compat.v1.variable_scope(scope, "bottleneck", [inputs]) as sc:
        depth_in = slim.utils.last_dimension(inputs.get_shape(), min_rank=4)
        if depth == depth_in:
            shortcut = subsample(inputs, stride, "shortcut")
        else:
            shortcut = slim.conv2d(
                inputs, depth, [1, 1], stride=stride, activation_fn=None, scope="shortcut"
            )
        residual = slim.conv2d(inputs, depth_bottleneck, [1, 1], stride=1, scope="conv1")
        residual = conv2d_same(residual, depth_bottleneck, 3, stride, scope="conv2")
        residual = slim.conv2d(residual, depth, [1, 1], stride=1, activation_fn=None, scope="conv3")
        output = tf.nn.relu(shortcut + residual)
        return slim.utils.collect_named_outputs(outputs_collections, sc.name, output)


def resnet_pad_arg_scope(weight_decay=0.0001):
    """Batch-normalized, regularized convolutions."""
    batch_norm_params = {"decay": 0.997, "epsilon": 1e-5, "scale": True}
    with slim.arg_scope(
        [slim.conv2d],
        weights_regularizer=slim.l2_regularizer(weight_decay),
        weights_initializer=slim.variance_scaling_initializer(),
        activation_fn=tf.nn.relu,
        normalizer_fn=slim.batch_norm,
        normalizer_params=batch_norm_params,
    ):
        with slim.arg_scope([slim.batch_norm], **batch_norm_params):
            with slim.arg_scope([slim.max_pool2d], padding="SAME") as sc:
                return sc


def resnet_pad(
    inputs,
    num_classes=10,
    is_training=False,
    global_pool=True,
    spatial_squeeze=True,
    reuse=None,
    scope="resnet_pad",
):
    """conv1 (fixed padding) - pool1 - block1 (2 units) - block2 (1 unit) - logits."""
    with tf.compat.v1.variable_scope(scope, "resnet_pad", [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        with slim.arg_scope(
            [slim.conv2d, bottleneck, slim.max_pool2d],
            outputs_collections=end_points_collection,
        ):
            with slim.arg_scope([slim.batch_norm], is_training=is_training):
                net = conv2d_same(inputs, 8, 5, stride=2, scope="conv1")
                net = slim.max_pool2d(net, [3, 3], stride=2, scope="pool1")
                with tf.compat.v1.variable_scope("block1"):
                    net = bottleneck(net, 16, 4, 1, scope="unit_1")
                    net = bottleneck(net, 16, 4, 2, scope="unit_2")
                with tf.compat.v1.variable_scope("block2"):
                    net = bottleneck(net, 24, 6, 1, scope="unit_1")
                end_points = slim.utils.convert_collection_to_dict(end_points_collection)
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], name="pool5", keepdims=True)
                    end_points["global_pool"] = net
                net = slim.conv2d(
                    net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="logits"
                )
                end_points[sc.name + "/logits"] = net
                if spatial_squeeze:
                    net = tf.squeeze(net, [1, 2], name="SpatialSqueeze")
                    end_points[sc.name + "/spatial_squeeze"] = net
                end_points["predictions"] = slim.softmax(net, scope="predictions")
    return net, end_points
