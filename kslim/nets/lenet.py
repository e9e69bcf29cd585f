"""Contains a variant of the LeNet model definition (slim's ``nets/lenet.py``).

The same code as the TF-Slim models repository's LeNet, on ``import kslim as slim``:
conv1 (32 5x5) -> pool1 -> conv2 (64 5x5) -> pool2 -> flatten -> fc3 (1024) ->
dropout3 -> fc4 (logits). Variables are ``LeNet/conv1/weights`` ... ``LeNet/fc4/biases``,
so checkpoints of slim's LeNet load by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from kslim.layers.convolution import conv2d
from kslim.layers.core import dropout, flatten, fully_connected
from kslim.layers.pooling import max_pool2d
from kslim.layers.regularizers import l2_regularizer
from kslim.layers.transforms import softmax
from kslim.ops.arg_scope import arg_scope
from kslim.ops.variable_scope import variable_scope

__all__ = ["lenet", "lenet_arg_scope"]


def lenet(
    images: Any,
    num_classes: int | None = 10,
    is_training: bool = False,
    dropout_keep_prob: float = 0.5,
    prediction_fn: Callable[..., Any] = softmax,
    scope: str = "LeNet",
) -> tuple[Any, dict]:
    """Creates a variant of the LeNet model.

    Note that since the output is a set of 'logits', the values fall in the
    interval of (-infinity, infinity). To get a probability distribution over the
    classes use ``end_points['Predictions']`` (``prediction_fn`` of the logits).

    Args:
      images: a batch of images ``[batch_size, height, width, channels]`` (a
        KerasTensor or a concrete tensor); ``lenet.default_image_size`` is 28.
      num_classes: the number of classes, default 10. If 0 or None, the logits
        layer is omitted and the input features to the logits layer (the fc3
        output) are returned instead.
      is_training: whether dropout is active, default False.
      dropout_keep_prob: the fraction of activations kept by dropout3, default 0.5.
      prediction_fn: the function turning logits into predictions, default
        ``slim.softmax``; called as ``prediction_fn(logits, scope='Predictions')``.
      scope: the variable scope, default ``'LeNet'``.

    Returns:
      ``(net, end_points)``: ``net`` is the ``[batch_size, num_classes]`` logits,
      or the ``[batch_size, 1024]`` fc3 output when ``num_classes`` is 0 or None;
      ``end_points`` maps ``conv1, pool1, conv2, pool2, Flatten, fc3`` (then
      ``dropout3, Logits, Predictions``) to their tensors.
    """
    end_points: dict[str, Any] = {}

    with variable_scope(scope, "LeNet", [images]):
        net = end_points["conv1"] = conv2d(images, 32, [5, 5], scope="conv1")
        net = end_points["pool1"] = max_pool2d(net, [2, 2], 2, scope="pool1")
        net = end_points["conv2"] = conv2d(net, 64, [5, 5], scope="conv2")
        net = end_points["pool2"] = max_pool2d(net, [2, 2], 2, scope="pool2")
        net = flatten(net)
        end_points["Flatten"] = net

        net = end_points["fc3"] = fully_connected(net, 1024, scope="fc3")
        if not num_classes:
            return net, end_points
        net = end_points["dropout3"] = dropout(
            net, dropout_keep_prob, is_training=is_training, scope="dropout3"
        )
        logits = end_points["Logits"] = fully_connected(
            net, num_classes, activation_fn=None, scope="fc4"
        )

    end_points["Predictions"] = prediction_fn(logits, scope="Predictions")

    return logits, end_points


lenet.default_image_size = 28


def lenet_arg_scope(weight_decay: float = 0.0) -> dict:
    """Defines the default lenet argument scope.

    Args:
      weight_decay: the weight decay (L2 scale) of the conv and fully connected
        weights, default 0.0.

    Returns:
      An ``arg_scope`` (relu activations, truncated-normal(0.1) weights, L2 weight
      regularizer) to use for the LeNet model.
    """
    with arg_scope(
        [conv2d, fully_connected],
        weights_regularizer=l2_regularizer(weight_decay),
        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1),
        activation_fn=tf.nn.relu,
    ) as sc:
        return sc
