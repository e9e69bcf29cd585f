"""A classifier over feature statistics, with the summary code of train_image_classifier.py.

Idioms: ``tf.nn.moments`` and ``tf.unstack`` (several outputs from one call), end_points
keyed by ``net.op.name``, ``tf.math.rsqrt``, ``tf.stack`` of per-row maxima, ``tf.identity``
with a name, and ``add_summaries``: ``tf.compat.v1.summary.histogram('activations/' + ...)``,
``tf.compat.v1.summary.scalar('sparsity/' + ..., tf.nn.zero_fraction(x))``,
``tf.compat.v1.summary.histogram(variable.op.name, variable)`` for every model variable and
``tf.compat.v1.summary.merge``.
"""

import tensorflow as tf
import tf_slim as slim


def stats_net_arg_scope():
    """3x3 SAME relu convolutions."""
    with slim.arg_scope(
        [slim.conv2d],
        kernel_size=[3, 3],
        padding="SAME",
        weights_initializer=slim.xavier_initializer(),
    ) as sc:
        return sc


def stats_net(images, num_classes=10, is_training=False, reuse=None, scope="StatsNet"):
    """conv - instance statistics normalization - strided conv - row maxima - logits."""
    del is_training  # inference and training compute the same function
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "StatsNet", [images], reuse=reuse):
        net = slim.conv2d(images, 8, scope="conv1")
        end_points[net.op.name] = net
        mean, variance = tf.nn.moments(net, axes=[1, 2], keepdims=True)
        end_points["mean"] = mean
        net = (net - mean) * tf.math.rsqrt(variance + 1e-5)
        end_points["normalized"] = net
        net = slim.conv2d(net, 8, stride=2, scope="conv2")
        rows = tf.unstack(net, axis=1)
        row_max = tf.stack([tf.reduce_max(row, axis=1) for row in rows], axis=1)
        end_points["row_max"] = row_max
        net = tf.reduce_mean(row_max, axis=1)
        net = tf.identity(net, name="features")
        end_points[net.op.name] = net
        logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="logits")
        end_points["Logits"] = logits
        end_points["Predictions"] = tf.nn.softmax(logits)
    return logits, end_points


def add_summaries(end_points):
    """train_image_classifier.py's summaries; returns the merged summary op."""
    summaries = set(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES))
    for end_point in end_points:
        x = end_points[end_point]
        summaries.add(tf.compat.v1.summary.histogram("activations/" + end_point, x))
        summaries.add(tf.compat.v1.summary.scalar("sparsity/" + end_point, tf.nn.zero_fraction(x)))
    for variable in slim.get_model_variables():
        summaries.add(tf.compat.v1.summary.histogram(variable.op.name, variable))
    return tf.compat.v1.summary.merge(list(summaries), name="summary_op")
