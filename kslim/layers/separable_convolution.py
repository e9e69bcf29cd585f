"""slim's separable_conv2d (scope ``SeparableConv2d``).

Variables depthwise_weights, pointwise_weights and biases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.base import (
    SlimLayer,
    call_layer,
    finish_layer,
    get_or_create_layer,
    weighted_layer_kwargs,
    wrap_regularizer,
)
from kslim.layers.convolution import (
    _XAVIER,
    _check_padding,
    _check_rank,
    channels_first,
    check_num_outputs,
    input_channels,
    to_channels_first,
    to_channels_last,
)
from kslim.layers.initializers import to_keras_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.utils import n_positive_integers

__all__ = [
    "SeparableConvolution2D",
    "separable_conv2d",
    "separable_convolution2d",
]


@keras.saving.register_keras_serializable(package="kslim")
class SeparableConvolution2D(SlimLayer):
    """Depthwise-separable 2-D convolution with slim's variable names.

    Variables: ``depthwise_weights`` [kh, kw, Cin, depth_multiplier]; when
    ``num_outputs`` is set ``pointwise_weights`` [1, 1, Cin*dm, num_outputs];
    ``biases`` [num_outputs] (or [Cin*dm] without the pointwise stage).

    Args:
      scope: the variable scope path.
      num_outputs: pointwise output channels, or None for depthwise only.
      kernel_size, stride, rate: pairs of ints.
      depth_multiplier: depthwise channels per input channel.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      activation: applied inside when set.
      use_bias: whether ``biases`` exist.
      weights_initializer: depthwise initializer.
      pointwise_initializer: pointwise initializer.
      weights_regularizer: regularizer of both weights.
      biases_initializer, biases_regularizer: of the biases.
    """

    def __init__(
        self,
        scope: str,
        num_outputs: int | None,
        kernel_size: Sequence[int],
        depth_multiplier: int = 1,
        stride: Sequence[int] = (1, 1),
        padding: str = "SAME",
        data_format: str = "NHWC",
        rate: Sequence[int] = (1, 1),
        activation=None,
        use_bias: bool = True,
        weights_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        weights_regularizer=None,
        biases_initializer="zeros",
        biases_regularizer=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.num_outputs = None if num_outputs is None else int(num_outputs)
        self.kernel_size = tuple(kernel_size)
        self.depth_multiplier = int(depth_multiplier)
        self.stride = tuple(stride)
        self.padding = padding.upper()
        self.data_format = data_format
        self.rate = tuple(rate)
        self.activation = cfg.de_act(activation)
        self.use_bias = bool(use_bias)
        self.weights_initializer = cfg.de_init(weights_initializer)
        self.pointwise_initializer = cfg.de_init(pointwise_initializer)
        self.weights_regularizer = cfg.de_reg(weights_regularizer)
        self.biases_initializer = cfg.de_init(biases_initializer)
        self.biases_regularizer = cfg.de_reg(biases_regularizer)

    def build(self, input_shape) -> None:
        cin = input_channels(keras.KerasTensor(input_shape), self.data_format)
        mid = cin * self.depth_multiplier
        regularizer = wrap_regularizer(self.weights_regularizer)
        self.depthwise_var = self.slim_weight(
            "depthwise_weights",
            self.kernel_size + (cin, self.depth_multiplier),
            self.weights_initializer,
            regularizer,
            self.trainable,
        )
        self.pointwise_var = None
        if self.num_outputs is not None:
            self.pointwise_var = self.slim_weight(
                "pointwise_weights",
                (1, 1, mid, self.num_outputs),
                self.pointwise_initializer,
                regularizer,
                self.trainable,
            )
        self.biases_var = None
        if self.use_bias:
            units = self.num_outputs if self.num_outputs is not None else mid
            self.biases_var = self.slim_weight(
                "biases",
                (units,),
                self.biases_initializer,
                wrap_regularizer(self.biases_regularizer),
                self.trainable,
            )

    def call(self, inputs):
        x = inputs
        if channels_first(self.data_format):
            x = to_channels_last(x, 2)
        strides = (1,) + self.stride + (1,)
        if self.pointwise_var is not None:
            y = tf.nn.separable_conv2d(
                x,
                self.depthwise_var,
                self.pointwise_var,
                strides,
                self.padding,
                dilations=self.rate,
            )
        else:
            y = tf.nn.depthwise_conv2d(
                x, self.depthwise_var, strides, self.padding, dilations=self.rate
            )
        if self.biases_var is not None:
            y = tf.nn.bias_add(y, self.biases_var)
        if self.activation is not None:
            y = self.activation(y)
        if channels_first(self.data_format):
            y = to_channels_first(y, 2)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            num_outputs=self.num_outputs,
            kernel_size=list(self.kernel_size),
            depth_multiplier=self.depth_multiplier,
            stride=list(self.stride),
            padding=self.padding,
            data_format=self.data_format,
            rate=list(self.rate),
            activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias,
            weights_initializer=cfg.ser_init(self.weights_initializer),
            pointwise_initializer=cfg.ser_init(self.pointwise_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer),
        )
        return config


def _separable_collections(variables_collections):
    """slim files both separable weights under the ``weights`` key of a dict."""
    if not isinstance(variables_collections, dict):
        return variables_collections
    weights = variables_collections.get("weights")
    return {
        "depthwise_weights": weights,
        "pointwise_weights": weights,
        "biases": variables_collections.get("biases"),
    }


@add_arg_scope
def separable_convolution2d(
    inputs,
    num_outputs,
    kernel_size,
    depth_multiplier=1,
    stride=1,
    padding="SAME",
    data_format="NHWC",
    rate=1,
    activation_fn=tf.nn.relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=_XAVIER,
    pointwise_initializer=None,
    weights_regularizer=None,
    biases_initializer=tf.zeros_initializer(),
    biases_regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
):
    """Adds a depthwise-separable 2-D convolution (default scope ``SeparableConv2d``).

    A depthwise convolution (``depthwise_weights`` [kh, kw, Cin, depth_multiplier])
    followed, when ``num_outputs`` is not None, by a pointwise one
    (``pointwise_weights`` [1, 1, Cin*depth_multiplier, num_outputs]); then
    ``biases`` (unless ``normalizer_fn`` is given or ``biases_initializer`` is
    None), the normalizer and the activation.

    Args:
      inputs: a rank-4 tensor or KerasTensor.
      num_outputs: int pointwise output channels, or None to skip the pointwise
        stage (``biases`` are then [Cin*depth_multiplier]).
      kernel_size: int or [kh, kw].
      depth_multiplier: depthwise output channels per input channel, default 1.
      stride: int or [sh, sw], default 1.
      padding: ``'SAME'`` (default) or ``'VALID'``.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      rate: dilation rate, int or [rh, rw], default 1.
      activation_fn: default ``tf.nn.relu``; None for linear.
      normalizer_fn, normalizer_params: optional normalizer (drops the biases).
      weights_initializer: depthwise initializer, default Xavier.
      pointwise_initializer: pointwise initializer; None (default) uses
        ``weights_initializer``.
      weights_regularizer: regularizer of both weight variables.
      biases_initializer: default zeros; None for no biases.
      biases_regularizer: regularizer of the biases.
      reuse, variables_collections, outputs_collections, trainable, scope: as
        for ``convolution`` (a ``variables_collections`` dict is keyed
        ``weights``/``biases`` as in slim).

    Returns:
      The output tensor.

    Raises:
      ValueError: for a ``data_format`` other than NHWC/NCHW, a non-int
        ``num_outputs``, inputs not of rank 4, a bad ``kernel_size``/``stride``/
        ``rate``/``depth_multiplier``/``padding`` or an undefined channel dimension.
    """
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(
            f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
        )
    check_num_outputs(num_outputs, allow_none=True)
    _check_rank(inputs, 4, "separable_conv2d")
    kernel = n_positive_integers(2, kernel_size, "kernel_size")
    strides = n_positive_integers(2, stride, "stride")
    rates = n_positive_integers(2, rate, "rate")
    (multiplier,) = n_positive_integers(1, depth_multiplier, "depth_multiplier")
    padding = _check_padding(padding)
    input_channels(inputs, data_format)
    if pointwise_initializer is None:
        pointwise_initializer = weights_initializer
    with variable_scope(scope, "SeparableConv2d", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: SeparableConvolution2D(
                sc.name,
                num_outputs,
                kernel,
                multiplier,
                strides,
                padding,
                data_format,
                rates,
                pointwise_initializer=to_keras_initializer(pointwise_initializer),
                **weighted_layer_kwargs(
                    activation_fn,
                    normalizer_fn,
                    weights_initializer,
                    weights_regularizer,
                    biases_initializer,
                    biases_regularizer,
                    trainable,
                ),
            ),
            "depthwise_weights",
        )
        outputs = call_layer(layer, inputs, created, _separable_collections(variables_collections))
        return finish_layer(
            outputs, sc, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


separable_conv2d = separable_convolution2d
