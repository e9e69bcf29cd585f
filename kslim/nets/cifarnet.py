"""CifarNet: a small CIFAR-10 convnet of the slim model zoo (``nets/cifarnet.py``).

Two 5x5 conv + max-pool stages with local response normalization, two fully connected
layers and the logits; variables under ``CifarNet/`` as in the published code, so its
checkpoints load by name. Plain slim code: this file also runs unchanged under tf_slim.
"""

import tensorflow as tf

import kslim as slim


def trunc_normal(stddev):
    """A truncated normal initializer, mean 0, ``stddev``."""
    return tf.compat.v1.truncated_normal_initializer(stddev=stddev)


def _lrn(net, name):
    # The zoo's local response normalization: depth radius 4, alpha 0.001 / 9.
    return tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)


def cifarnet(
    images,
    num_classes=10,
    is_training=False,
    dropout_keep_prob=0.5,
    prediction_fn=slim.softmax,
    scope="CifarNet",
):
    """Creates a variant of the CifarNet model.

    The logits are unnormalized; ``end_points['Predictions']`` is
    ``prediction_fn(logits)``.

    Args:
      images: a batch of images, ``[batch_size, height, width, channels]``.
      num_classes: the number of classes, default 10. If 0 or None, the logits layer is
        omitted and its input features (``fc4``) are returned instead.
      is_training: whether dropout is active, default False.
      dropout_keep_prob: the fraction of ``fc3`` activations kept by dropout, default 0.5.
      prediction_fn: the function from logits to predictions, default ``slim.softmax``.
      scope: the variable scope, default ``'CifarNet'``.

    Returns:
      ``(net, end_points)``: the logits ``[batch_size, num_classes]`` (or the ``fc4``
      features when ``num_classes`` is 0 or None) and a dict of the activations.
    """
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "CifarNet", [images]):
        net = slim.conv2d(images, 64, [5, 5], scope="conv1")
        end_points["conv1"] = net
        net = slim.max_pool2d(net, [2, 2], 2, scope="pool1")
        end_points["pool1"] = net
        net = _lrn(net, "norm1")
        net = slim.conv2d(net, 64, [5, 5], scope="conv2")
        end_points["conv2"] = net
        net = _lrn(net, "norm2")
        net = slim.max_pool2d(net, [2, 2], 2, scope="pool2")
        end_points["pool2"] = net
        net = slim.flatten(net)
        end_points["Flatten"] = net
        net = slim.fully_connected(net, 384, scope="fc3")
        end_points["fc3"] = net
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout3")
        net = slim.fully_connected(net, 192, scope="fc4")
        end_points["fc4"] = net
        if not num_classes:
            return net, end_points
        logits = slim.fully_connected(
            net,
            num_classes,
            biases_initializer=tf.compat.v1.zeros_initializer(),
            weights_initializer=trunc_normal(1 / 192.0),
            weights_regularizer=None,
            activation_fn=None,
            scope="logits",
        )
        end_points["Logits"] = logits
        end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


cifarnet.default_image_size = 32


def cifarnet_arg_scope(weight_decay=0.004):
    """The CifarNet arg scope.

    Args:
      weight_decay: the l2 weight decay of the fully connected weights, default 0.004.

    Returns:
      An ``arg_scope`` for ``cifarnet``: conv weights truncated normal (stddev 0.05),
      fully connected weights truncated normal (stddev 0.04) with l2 decay and biases 0.1,
      relu activations.
    """
    with slim.arg_scope(
        [slim.conv2d],
        weights_initializer=trunc_normal(5e-2),
        activation_fn=tf.nn.relu,
    ):
        with slim.arg_scope(
            [slim.fully_connected],
            biases_initializer=tf.compat.v1.constant_initializer(0.1),
            weights_initializer=trunc_normal(0.04),
            weights_regularizer=slim.l2_regularizer(weight_decay),
            activation_fn=tf.nn.relu,
        ) as sc:
            return sc
