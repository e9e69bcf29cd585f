"""Contains the model definition for the OverFeat network.

The definition for the network was obtained from:
  OverFeat: Integrated Recognition, Localization and Detection using
  Convolutional Networks
  Pierre Sermanet, David Eigen, Xiang Zhang, Michael Mathieu, Rob Fergus and
  Yann LeCun, 2014
  http://arxiv.org/abs/1312.6229

Usage:
  with slim.arg_scope(overfeat.overfeat_arg_scope()):
    outputs, end_points = overfeat.overfeat(inputs)

@@overfeat
"""

# Ported from tf_slim 1.1.0 (tf_slim/nets/overfeat.py, Apache License 2.0): same layers,
# scopes, variable names and end_points. Raw TF ops on tensors are keras.ops here, so
# the net builds a Keras functional graph on KerasTensors and computes on tensors.
from __future__ import annotations

import keras
import tensorflow as tf

import kslim
from kslim.ops.arg_scope import arg_scope


def trunc_normal(stddev):
    """slim's ``trunc_normal``: a truncated normal initializer, mean 0, ``stddev``."""
    return tf.compat.v1.truncated_normal_initializer(0.0, stddev)


def overfeat_arg_scope(weight_decay=0.0005):
    """Slim's overfeat arg_scope: ReLU, L2 ``weight_decay``, zero biases, SAME convolutions."""
    with arg_scope(
        [kslim.conv2d, kslim.fully_connected],
        activation_fn=tf.nn.relu,
        weights_regularizer=kslim.l2_regularizer(weight_decay),
        biases_initializer=tf.compat.v1.zeros_initializer(),
    ):
        with arg_scope([kslim.conv2d], padding="SAME"):
            with arg_scope([kslim.max_pool2d], padding="VALID") as arg_sc:
                return arg_sc


def overfeat(
    inputs,
    num_classes=1000,
    is_training=True,
    dropout_keep_prob=0.5,
    spatial_squeeze=True,
    scope="overfeat",
):
    """Contains the model definition for the OverFeat network.

    The definition for the network was obtained from:
      OverFeat: Integrated Recognition, Localization and Detection using
      Convolutional Networks
      Pierre Sermanet, David Eigen, Xiang Zhang, Michael Mathieu, Rob Fergus and
      Yann LeCun, 2014
      http://arxiv.org/abs/1312.6229

    Note: All the fully_connected layers have been transformed to conv2d kslim.
          To use in classification mode, resize input to 231x231. To use in fully
          convolutional mode, set spatial_squeeze to false.

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
    with kslim.variable_scope(scope, "overfeat", values=[inputs]) as sc:
        end_points_collection = sc.name + "_end_points"
        # Collect outputs for conv2d, fully_connected and max_pool2d
        with arg_scope(
            [kslim.conv2d, kslim.fully_connected, kslim.max_pool2d],
            outputs_collections=end_points_collection,
        ):
            net = kslim.conv2d(inputs, 64, [11, 11], 4, padding="VALID", scope="conv1")
            net = kslim.max_pool2d(net, [2, 2], scope="pool1")
            net = kslim.conv2d(net, 256, [5, 5], padding="VALID", scope="conv2")
            net = kslim.max_pool2d(net, [2, 2], scope="pool2")
            net = kslim.conv2d(net, 512, [3, 3], scope="conv3")
            net = kslim.conv2d(net, 1024, [3, 3], scope="conv4")
            net = kslim.conv2d(net, 1024, [3, 3], scope="conv5")
            net = kslim.max_pool2d(net, [2, 2], scope="pool5")
            with arg_scope(
                [kslim.conv2d],
                weights_initializer=trunc_normal(0.005),
                biases_initializer=tf.compat.v1.constant_initializer(0.1),
            ):
                # Use conv2d instead of fully_connected kslim.
                net = kslim.conv2d(net, 3072, [6, 6], padding="VALID", scope="fc6")
                net = kslim.dropout(
                    net, dropout_keep_prob, is_training=is_training, scope="dropout6"
                )
                net = kslim.conv2d(net, 4096, [1, 1], scope="fc7")
                net = kslim.dropout(
                    net, dropout_keep_prob, is_training=is_training, scope="dropout7"
                )
                net = kslim.conv2d(
                    net,
                    num_classes,
                    [1, 1],
                    activation_fn=None,
                    normalizer_fn=None,
                    biases_initializer=tf.compat.v1.zeros_initializer(),
                    scope="fc8",
                )
            # Convert end_points_collection into a end_point dict.
            end_points = kslim.utils.convert_collection_to_dict(end_points_collection)
            if spatial_squeeze:
                net = keras.ops.squeeze(net, axis=(1, 2))
                end_points[sc.name + "/fc8"] = net
            return net, end_points
