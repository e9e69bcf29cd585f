"""The arg scope shared by the Inception nets (slim's ``nets/inception_utils.py``).

tf_slim 1.1.0 gives each Inception module its own ``inception_vN_arg_scope``; the
TF-Slim model zoo (``tensorflow/models/research/slim``) uses this shared one instead,
so model code from there runs unchanged::

    with slim.arg_scope(inception_utils.inception_arg_scope()):
        logits, end_points = inception.inception_v3(images, num_classes)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

import kslim
from kslim.ops.arg_scope import arg_scope
from kslim.ops.graph import GraphKeys

__all__ = ["inception_arg_scope"]


def inception_arg_scope(
    weight_decay: float = 0.00004,
    use_batch_norm: bool = True,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 0.001,
    activation_fn: Callable[..., Any] = tf.nn.relu,
    batch_norm_updates_collections: str = GraphKeys.UPDATE_OPS,
    batch_norm_scale: bool = False,
) -> dict:
    """Defines the default arg scope for the Inception models.

    Args:
      weight_decay: l2 coefficient of the conv and fully connected weights,
        default 0.00004.
      use_batch_norm: whether conv2d is followed by batch_norm, default True.
      batch_norm_decay: decay of the batch_norm moving averages, default 0.9997.
      batch_norm_epsilon: batch_norm epsilon, default 0.001.
      activation_fn: activation of the convolutions, default ``tf.nn.relu``.
      batch_norm_updates_collections: batch_norm's ``updates_collections``,
        default UPDATE_OPS.
      batch_norm_scale: whether batch_norm has a ``gamma`` variable, default False.

    Returns:
      An ``arg_scope`` (dict) for ``kslim.arg_scope``: conv2d and fully_connected
      get an l2 regularizer; conv2d gets ``variance_scaling_initializer()``,
      ``activation_fn`` and, when ``use_batch_norm``, batch_norm with these params.
    """
    batch_norm_params = {
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "updates_collections": batch_norm_updates_collections,
        "fused": None,
        "scale": batch_norm_scale,
    }
    if use_batch_norm:
        normalizer_fn = kslim.batch_norm
        normalizer_params = batch_norm_params
    else:
        normalizer_fn = None
        normalizer_params = {}
    with arg_scope(
        [kslim.conv2d, kslim.fully_connected],
        weights_regularizer=kslim.l2_regularizer(weight_decay),
    ):
        with arg_scope(
            [kslim.conv2d],
            weights_initializer=kslim.variance_scaling_initializer(),
            activation_fn=activation_fn,
            normalizer_fn=normalizer_fn,
            normalizer_params=normalizer_params,
        ) as sc:
            return sc
