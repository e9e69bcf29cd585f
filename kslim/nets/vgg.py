"""Contains model definitions for versions of the Oxford VGG network.

These model definitions were introduced in the following technical report:

  Very Deep Convolutional Networks For Large-Scale Image Recognition
  Karen Simonyan and Andrew Zisserman
  arXiv technical report, 2015
  PDF: http://arxiv.org/pdf/1409.1556.pdf
  ILSVRC 2014 Slides: http://www.robots.ox.ac.uk/~karen/pdf/ILSVRC_2014.pdf
  CC-BY-4.0

More information can be obtained from the VGG website:
www.robots.ox.ac.uk/~vgg/research/very_deep/

Usage:
  with slim.arg_scope(vgg.vgg_arg_scope()):
    outputs, end_points = vgg.vgg_a(inputs)

  with slim.arg_scope(vgg.vgg_arg_scope()):
    outputs, end_points = vgg.vgg_16(inputs)

@@vgg_a
@@vgg_16
@@vgg_19
"""

# Ported from tf_slim 1.1.0 (tf_slim/nets/vgg.py, Apache License 2.0): same layers,
# scopes, variable names and end_points. Raw TF ops on tensors are keras.ops here, so
# the net builds a Keras functional graph on KerasTensors and computes on tensors.
from __future__ import annotations

import keras
import tensorflow as tf

import kslim
from kslim.ops.arg_scope import arg_scope


def vgg_arg_scope(weight_decay=0.0005):
    """Defines the VGG arg scope.

    Args:
      weight_decay: The l2 regularization coefficient.

    Returns:
      An arg_scope.
    """
    with arg_scope(
        [kslim.conv2d, kslim.fully_connected],
        activation_fn=tf.nn.relu,
        weights_regularizer=kslim.l2_regularizer(weight_decay),
        biases_initializer=tf.compat.v1.zeros_initializer(),
    ):
        with arg_scope([kslim.conv2d], padding="SAME") as arg_sc:
            return arg_sc


def vgg_a(
    inputs,
    num_classes=1000,
    is_training=True,
    dropout_keep_prob=0.5,
    spatial_squeeze=True,
    scope="vgg_a",
):
    """Oxford Net VGG 11-Layers version A Example.

    Note: All the fully_connected layers have been transformed to conv2d kslim.
          To use in classification mode, resize input to 224x224.

    Args:
      inputs: a tensor of size [batch_size, height, width, channels].
      num_classes: number of predicted classes.
      is_training: whether or not the model is being trained.
      dropout_keep_prob: the probability that activations are kept in the dropout
        layers during training.
      spatial_squeeze: whether or not should squeeze the spatial dimensions of the
        outputs. Useful to remove unnecessary dimensions for classification.
      scope: Optional scope for the variables.

    Returns:
      the last op containing the log predictions and end_points dict.
    """
    with kslim.variable_scope(scope, "vgg_a", values=[inputs]) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        # Collect outputs for conv2d, fully_connected and max_pool2d.
        with arg_scope([kslim.conv2d, kslim.max_pool2d], outputs_collections=end_points_collection):
            net = kslim.repeat(inputs, 1, kslim.conv2d, 64, [3, 3], scope="conv1")
            net = kslim.max_pool2d(net, [2, 2], scope="pool1")
            net = kslim.repeat(net, 1, kslim.conv2d, 128, [3, 3], scope="conv2")
            net = kslim.max_pool2d(net, [2, 2], scope="pool2")
            net = kslim.repeat(net, 2, kslim.conv2d, 256, [3, 3], scope="conv3")
            net = kslim.max_pool2d(net, [2, 2], scope="pool3")
            net = kslim.repeat(net, 2, kslim.conv2d, 512, [3, 3], scope="conv4")
            net = kslim.max_pool2d(net, [2, 2], scope="pool4")
            net = kslim.repeat(net, 2, kslim.conv2d, 512, [3, 3], scope="conv5")
            net = kslim.max_pool2d(net, [2, 2], scope="pool5")
            # Use conv2d instead of fully_connected kslim.
            net = kslim.conv2d(net, 4096, [7, 7], padding="VALID", scope="fc6")
            net = kslim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout6")
            net = kslim.conv2d(net, 4096, [1, 1], scope="fc7")
            net = kslim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout7")
            net = kslim.conv2d(
                net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="fc8"
            )
            # Convert end_points_collection into a end_point dict.
            end_points = kslim.utils.convert_collection_to_dict(end_points_collection)
            if spatial_squeeze:
                net = keras.ops.squeeze(net, axis=(1, 2))
                end_points[sc.name + "/fc8"] = net
            return net, end_points


vgg_a.default_image_size = 224


def vgg_16(
    inputs,
    num_classes=1000,
    is_training=True,
    dropout_keep_prob=0.5,
    spatial_squeeze=True,
    scope="vgg_16",
):
    """Oxford Net VGG 16-Layers version D Example.

    Note: All the fully_connected layers have been transformed to conv2d kslim.
          To use in classification mode, resize input to 224x224.

    Args:
      inputs: a tensor of size [batch_size, height, width, channels].
      num_classes: number of predicted classes.
      is_training: whether or not the model is being trained.
      dropout_keep_prob: the probability that activations are kept in the dropout
        layers during training.
      spatial_squeeze: whether or not should squeeze the spatial dimensions of the
        outputs. Useful to remove unnecessary dimensions for classification.
      scope: Optional scope for the variables.

    Returns:
      the last op containing the log predictions and end_points dict.
    """
    with kslim.variable_scope(scope, "vgg_16", values=[inputs]) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        # Collect outputs for conv2d, fully_connected and max_pool2d.
        with arg_scope(
            [kslim.conv2d, kslim.fully_connected, kslim.max_pool2d],
            outputs_collections=end_points_collection,
        ):
            net = kslim.repeat(inputs, 2, kslim.conv2d, 64, [3, 3], scope="conv1")
            net = kslim.max_pool2d(net, [2, 2], scope="pool1")
            net = kslim.repeat(net, 2, kslim.conv2d, 128, [3, 3], scope="conv2")
            net = kslim.max_pool2d(net, [2, 2], scope="pool2")
            net = kslim.repeat(net, 3, kslim.conv2d, 256, [3, 3], scope="conv3")
            net = kslim.max_pool2d(net, [2, 2], scope="pool3")
            net = kslim.repeat(net, 3, kslim.conv2d, 512, [3, 3], scope="conv4")
            net = kslim.max_pool2d(net, [2, 2], scope="pool4")
            net = kslim.repeat(net, 3, kslim.conv2d, 512, [3, 3], scope="conv5")
            net = kslim.max_pool2d(net, [2, 2], scope="pool5")
            # Use conv2d instead of fully_connected kslim.
            net = kslim.conv2d(net, 4096, [7, 7], padding="VALID", scope="fc6")
            net = kslim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout6")
            net = kslim.conv2d(net, 4096, [1, 1], scope="fc7")
            net = kslim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout7")
            net = kslim.conv2d(
                net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="fc8"
            )
            # Convert end_points_collection into a end_point dict.
            end_points = kslim.utils.convert_collection_to_dict(end_points_collection)
            if spatial_squeeze:
                net = keras.ops.squeeze(net, axis=(1, 2))
                end_points[sc.name + "/fc8"] = net
            return net, end_points


vgg_16.default_image_size = 224


def vgg_19(
    inputs,
    num_classes=1000,
    is_training=True,
    dropout_keep_prob=0.5,
    spatial_squeeze=True,
    scope="vgg_19",
):
    """Oxford Net VGG 19-Layers version E Example.

    Note: All the fully_connected layers have been transformed to conv2d kslim.
          To use in classification mode, resize input to 224x224.

    Args:
      inputs: a tensor of size [batch_size, height, width, channels].
      num_classes: number of predicted classes.
      is_training: whether or not the model is being trained.
      dropout_keep_prob: the probability that activations are kept in the dropout
        layers during training.
      spatial_squeeze: whether or not should squeeze the spatial dimensions of the
        outputs. Useful to remove unnecessary dimensions for classification.
      scope: Optional scope for the variables.

    Returns:
      the last op containing the log predictions and end_points dict.
    """
    with kslim.variable_scope(scope, "vgg_19", values=[inputs]) as sc:
        end_points_collection = sc.name + "_end_points"
        # Collect outputs for conv2d, fully_connected and max_pool2d.
        with arg_scope(
            [kslim.conv2d, kslim.fully_connected, kslim.max_pool2d],
            outputs_collections=end_points_collection,
        ):
            net = kslim.repeat(inputs, 2, kslim.conv2d, 64, [3, 3], scope="conv1")
            net = kslim.max_pool2d(net, [2, 2], scope="pool1")
            net = kslim.repeat(net, 2, kslim.conv2d, 128, [3, 3], scope="conv2")
            net = kslim.max_pool2d(net, [2, 2], scope="pool2")
            net = kslim.repeat(net, 4, kslim.conv2d, 256, [3, 3], scope="conv3")
            net = kslim.max_pool2d(net, [2, 2], scope="pool3")
            net = kslim.repeat(net, 4, kslim.conv2d, 512, [3, 3], scope="conv4")
            net = kslim.max_pool2d(net, [2, 2], scope="pool4")
            net = kslim.repeat(net, 4, kslim.conv2d, 512, [3, 3], scope="conv5")
            net = kslim.max_pool2d(net, [2, 2], scope="pool5")
            # Use conv2d instead of fully_connected kslim.
            net = kslim.conv2d(net, 4096, [7, 7], padding="VALID", scope="fc6")
            net = kslim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout6")
            net = kslim.conv2d(net, 4096, [1, 1], scope="fc7")
            net = kslim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout7")
            net = kslim.conv2d(
                net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="fc8"
            )
            # Convert end_points_collection into a end_point dict.
            end_points = kslim.utils.convert_collection_to_dict(end_points_collection)
            if spatial_squeeze:
                net = keras.ops.squeeze(net, axis=(1, 2))
                end_points[sc.name + "/fc8"] = net
            return net, end_points


vgg_19.default_image_size = 224

# Alias
vgg_d = vgg_16
vgg_e = vgg_19
