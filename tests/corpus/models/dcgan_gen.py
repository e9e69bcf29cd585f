"""A DCGAN-style generator in the manner of slim's dcgan.

Idioms: ``get_shape().assert_has_rank(2)`` on the noise, ``tf.expand_dims`` twice to a
1x1 map, ``get_shape().assert_is_compatible_with``, ``slim.conv2d_transpose`` with
``stride``/``kernel_size`` from an ``arg_scope``, ``batch_norm(zero_debias_moving_mean=True)``
as the normalizer, a resize-convolution upsampling with ``tf.image.resize`` sized from
``get_shape().as_list()``, and ``tf.tanh``.
"""

import math

import tensorflow as tf
import tf_slim as slim


def generator(
    noise,
    depth=4,
    final_size=16,
    num_outputs=3,
    is_training=False,
    reuse=None,
    scope="Generator",
):
    """Noise [N, D] -> images [N, final_size, final_size, num_outputs] in [-1, 1]."""
    noise.get_shape().assert_has_rank(2)
    normalizer_fn_args = {"is_training": is_training, "zero_debias_moving_mean": True}
    num_layers = int(math.log(final_size, 2)) - 1
    end_points = {}
    with tf.compat.v1.variable_scope(scope, values=[noise], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm], **normalizer_fn_args):
            with slim.arg_scope(
                [slim.conv2d_transpose],
                normalizer_fn=slim.batch_norm,
                stride=2,
                kernel_size=4,
            ):
                net = tf.expand_dims(tf.expand_dims(noise, 1), 1)
                current_depth = depth * 2 ** (num_layers - 1)
                net = slim.conv2d_transpose(
                    net, current_depth, stride=1, padding="VALID", scope="deconv1"
                )
                net.get_shape().assert_is_compatible_with([None, 4, 4, current_depth])
                end_points["deconv1"] = net
                for i in range(2, num_layers):
                    current_depth //= 2
                    scope_name = f"deconv{i}"
                    net = slim.conv2d_transpose(net, current_depth, scope=scope_name)
                    end_points[scope_name] = net
                height, width = net.get_shape().as_list()[1:3]
                net = tf.image.resize(
                    net, [2 * height, 2 * width], method=tf.image.ResizeMethod.BILINEAR
                )
                end_points["resize"] = net
                logits = slim.conv2d(
                    net,
                    num_outputs,
                    [3, 3],
                    normalizer_fn=None,
                    activation_fn=None,
                    scope="logits",
                )
                end_points["logits"] = logits
                net = tf.tanh(logits, name=sc.name.split("/")[-1] + "_tanh")
                end_points["images"] = net
    return net, end_points
