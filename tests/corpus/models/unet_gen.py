"""An encoder-decoder image-to-image net in the manner of slim's pix2pix / cyclegan.

Idioms: reflect padding ``tf.pad(..., mode='REFLECT')`` before VALID convs, nearest-neighbor
upsampling with ``tf.compat.v1.image.resize_nearest_neighbor`` to a size computed from
``tf.shape`` (then ``set_shape`` when ``get_shape()[1:3].is_fully_defined()``), a
``slim.conv2d_transpose`` decoder step cropped with a slice, skip connections with
``tf.concat(..., axis=3)``, ``tf.nn.leaky_relu`` and ``slim.layer_norm``.
"""

import tensorflow as tf
import tf_slim as slim


def upsample(net, num_outputs, method="nn_upsample_conv"):
    """Doubles height and width."""
    if method == "nn_upsample_conv":
        static_shape = net.get_shape()
        net_shape = tf.shape(net)
        height, width = net_shape[1], net_shape[2]
        net = tf.compat.v1.image.resize_nearest_neighbor(net, [2 * height, 2 * width])
        if static_shape[1:3].is_fully_defined():
            net.set_shape([None, 2 * static_shape[1], 2 * static_shape[2], static_shape[3]])
        net = tf.pad(net, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
        return slim.conv2d(net, num_outputs, kernel_size=[3, 3], padding="VALID")
    if method == "conv2d_transpose":
        net = slim.conv2d_transpose(net, num_outputs, kernel_size=[3, 3], stride=2, padding="VALID")
        return net[:, 1:, 1:, :]
    raise ValueError(f"unknown upsample method {method!r}")


def unet_arg_scope():
    """Layer-normalized leaky-relu convolutions."""
    with slim.arg_scope(
        [slim.conv2d, slim.conv2d_transpose],
        normalizer_fn=slim.layer_norm,
        activation_fn=tf.nn.leaky_relu,
        weights_initializer=tf.compat.v1.random_normal_initializer(0, 0.05),
    ) as sc:
        return sc


def unet(images, num_outputs=3, is_training=False, reuse=None, scope="UNet"):
    """Two strided encoder convs, two upsampling decoder steps with skips, tanh output."""
    del is_training  # no dropout or batch norm in this generator
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "UNet", [images], reuse=reuse):
        with tf.compat.v1.variable_scope("encoder"):
            net = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
            enc_0 = slim.conv2d(net, 4, [3, 3], padding="VALID", normalizer_fn=None, scope="conv0")
            end_points["encoder0"] = enc_0
            enc_1 = slim.conv2d(enc_0, 8, [4, 4], stride=2, padding="SAME", scope="conv1")
            end_points["encoder1"] = enc_1
            enc_2 = slim.conv2d(enc_1, 8, [4, 4], stride=2, padding="SAME", scope="conv2")
            end_points["encoder2"] = enc_2
        with tf.compat.v1.variable_scope("decoder"):
            with tf.compat.v1.variable_scope("upsample1"):
                net = upsample(enc_2, 8, method="nn_upsample_conv")
            net = tf.concat([net, enc_1], axis=3)
            end_points["decoder1"] = net
            with tf.compat.v1.variable_scope("upsample2"):
                net = upsample(net, 4, method="conv2d_transpose")
            net = tf.concat([net, enc_0], axis=3)
            end_points["decoder2"] = net
        logits = slim.conv2d(
            net, num_outputs, [1, 1], activation_fn=None, normalizer_fn=None, scope="logits"
        )
        end_points["logits"] = logits
        net = tf.tanh(logits)
        end_points["predictions"] = net
    return net, end_points
