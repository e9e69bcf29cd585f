"""slim's batch_norm (scope ``BatchNorm``): decay 0.999, no gamma unless scale=True."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.base import (
    SlimLayer,
    apply_activation,
    call_layer,
    get_or_create_layer,
    wrap_regularizer,
)
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import GraphKeys
from kslim.ops.variable_scope import variable_scope
from kslim.utils import collect_named_outputs

__all__ = ["BatchNorm", "batch_norm"]


@keras.saving.register_keras_serializable(package="kslim")
class BatchNorm(SlimLayer):
    """Batch normalization with slim's variables and moving-average rule.

    In training mode the batch mean and (biased) variance normalize, and
    ``moving -= (moving - batch) * (1 - decay)`` updates the averages; the
    variance average uses the unbiased (n/(n-1)) batch variance when
    ``bessel`` is set (slim's default fused path).

    Args:
      scope: variable scope path (``.../BatchNorm``).
      decay, center, scale, epsilon: as ``batch_norm``.
      is_training: True/False fixed, or None to follow Keras' ``training``.
      channels_axis: the channel axis (1 for NCHW, -1 otherwise).
      bessel: unbiased variance in the moving average.
      param_initializers, param_regularizers: dicts keyed beta/gamma/
        moving_mean/moving_variance.
    """

    def __init__(self, scope: str, decay: float = 0.999, center: bool = True,
                 scale: bool = False, epsilon: float = 0.001, is_training=True,
                 channels_axis: int = -1, bessel: bool = True, param_initializers=None,
                 param_regularizers=None, **kwargs: Any) -> None:
        super().__init__(scope, **kwargs)
        self.decay = float(decay)
        self.center = bool(center)
        self.scale = bool(scale)
        self.epsilon = float(epsilon)
        self.is_training = is_training
        self.channels_axis = int(channels_axis)
        self.bessel = bool(bessel)
        self.param_initializers = {k: cfg.de_init(v) for k, v in (param_initializers or {}).items()}
        self.param_regularizers = {k: cfg.de_reg(v) for k, v in (param_regularizers or {}).items()}

    def build(self, input_shape) -> None:
        channels = input_shape[self.channels_axis]
        if channels is None:
            raise ValueError(
                f"Inputs {tuple(input_shape)} has undefined channels dimension "
                f"{self.channels_axis}.")
        shape = (int(channels),)
        init = self.param_initializers
        reg = self.param_regularizers
        self.beta = self.gamma = None
        if self.center:
            self.beta = self.slim_weight("beta", shape, init.get("beta", "zeros"),
                                         wrap_regularizer(reg.get("beta")), self.trainable)
        if self.scale:
            self.gamma = self.slim_weight("gamma", shape, init.get("gamma", "ones"),
                                          wrap_regularizer(reg.get("gamma")), self.trainable)
        self.moving_mean = self.slim_weight("moving_mean", shape,
                                            init.get("moving_mean", "zeros"), trainable=False)
        self.moving_variance = self.slim_weight(
            "moving_variance", shape, init.get("moving_variance", "ones"), trainable=False)

    def call(self, inputs, training=None):
        x = tf.convert_to_tensor(inputs)
        rank = x.shape.rank
        axis = self.channels_axis % rank
        reduce_axes = [i for i in range(rank) if i != axis]
        bshape = [1] * rank
        bshape[axis] = -1
        train = self.is_training if self.is_training is not None else bool(training)
        if train:
            mean, variance = tf.nn.moments(x, reduce_axes)
            count = tf.cast(tf.reduce_prod(tf.gather(tf.shape(x), reduce_axes)), x.dtype)
            moving_var_target = variance
            if self.bessel:
                moving_var_target = variance * count / tf.maximum(count - 1.0, 1.0)
            one_minus = tf.constant(1.0 - self.decay, x.dtype)
            self.moving_mean.assign_sub((self.moving_mean - mean) * one_minus)
            self.moving_variance.assign_sub((self.moving_variance - moving_var_target) * one_minus)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        beta = self.beta if self.beta is not None else None
        gamma = self.gamma if self.gamma is not None else None
        y = tf.nn.batch_normalization(
            x, tf.reshape(mean, bshape), tf.reshape(variance, bshape),
            None if beta is None else tf.reshape(beta, bshape),
            None if gamma is None else tf.reshape(gamma, bshape), self.epsilon)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            decay=self.decay, center=self.center, scale=self.scale, epsilon=self.epsilon,
            is_training=self.is_training, channels_axis=self.channels_axis, bessel=self.bessel,
            param_initializers={k: cfg.ser_init(v) for k, v in self.param_initializers.items()},
            param_regularizers={k: cfg.ser_reg(v) for k, v in self.param_regularizers.items()})
        return config


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None,
               updates_collections=GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC",
               zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
    """Batch normalization with slim's defaults and variable names.

    Variables ``<scope>/BatchNorm/{beta, gamma (scale=True only), moving_mean,
    moving_variance}``. In training mode the moving averages are updated in
    the forward pass (Keras style), which is what slim's ``create_train_op``
    achieves by running UPDATE_OPS before the gradients.

    Args:
      inputs: tensor of rank >= 2 with a known channel dimension.
      decay: moving-average decay, default 0.999.
      center: add ``beta``, default True.
      scale: add ``gamma``, default False.
      epsilon: default 0.001.
      activation_fn: optional activation after normalization.
      param_initializers: dict of initializers keyed beta/gamma/moving_mean/
        moving_variance.
      param_regularizers: dict of regularizers keyed beta/gamma.
      updates_collections: accepted; updates are always applied in the call.
      is_training: True (default) uses batch statistics and updates the
        averages; False uses the averages; None follows Keras' ``training``.
      reuse, variables_collections, outputs_collections, trainable, scope: as
        usual (default scope ``BatchNorm``).
      batch_weights: not supported (raises if given).
      fused: None/True: moving variance from the unbiased batch variance (slim's
        fused path, rank 2 and 4); False: biased.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      zero_debias_moving_mean, renorm, renorm_clipping, renorm_decay,
        adjustment: not supported (raise if set).

    Returns:
      The normalized tensor.

    Raises:
      ValueError: for undefined rank/channels, an unknown ``data_format`` or
        an unsupported option.
    """
    del updates_collections
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC, got {data_format!r}")
    for name, value, default in (("batch_weights", batch_weights, None),
                                 ("zero_debias_moving_mean", zero_debias_moving_mean, False),
                                 ("renorm", renorm, False),
                                 ("renorm_clipping", renorm_clipping, None),
                                 ("adjustment", adjustment, None)):
        if value is not default and value != default:
            raise ValueError(f"batch_norm: {name}={value!r} is not supported by kslim")
    del renorm_decay
    if is_training not in (True, False, None):
        raise ValueError(f"is_training must be True, False or None, got {is_training!r}")
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", 0) is None:
        raise ValueError("Inputs %s has undefined rank." % (inputs,))
    rank = len(shape)
    axis = 1 if data_format == "NCHW" and rank > 2 else -1
    if shape[axis] is None:
        raise ValueError("Inputs %s has undefined channels dimension %s." % (inputs, axis))
    bessel = fused is not False and rank in (2, 4)
    with variable_scope(scope, "BatchNorm", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: BatchNorm(sc.name, decay, center, scale, epsilon, is_training, axis, bessel,
                              param_initializers, param_regularizers, trainable=trainable),
            "beta" if center else ("gamma" if scale else "moving_mean"))
        outputs = call_layer(layer, inputs, created, variables_collections)
        if activation_fn is not None:
            outputs = apply_activation(activation_fn, outputs, sc.original_name_scope)
        return collect_named_outputs(outputs_collections, sc.name, outputs)
