"""slim's conv2d_in_plane (scope ``ConvInPlane``).

One [kh, kw, 1, 1] kernel tiled over the channels, biases [Cin].
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
)
from kslim.layers.convolution import (
    _XAVIER,
    _check_padding,
    _check_rank,
    input_channels,
)
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.utils import last_dimension, n_positive_integers

__all__ = [
    "ConvolutionInPlane",
    "conv2d_in_plane",
    "convolution2d_in_plane",
]


@keras.saving.register_keras_serializable(package="kslim")
class ConvolutionInPlane(SlimLayer):
    """One [kh, kw, 1, 1] ``weights`` kernel applied to every channel (NHWC).

    Args:
      scope: the variable scope path.
      kernel_size, stride: pairs of ints.
      padding: ``'SAME'`` or ``'VALID'``.
      activation, use_bias, weights_initializer, biases_initializer,
      weights_regularizer, biases_regularizer: as ``Convolution``; ``biases``
        are [Cin].
    """

    def __init__(
        self,
        scope: str,
        kernel_size: Sequence[int],
        stride: Sequence[int] = (1, 1),
        padding: str = "SAME",
        activation=None,
        use_bias: bool = True,
        weights_initializer="glorot_uniform",
        biases_initializer="zeros",
        weights_regularizer=None,
        biases_regularizer=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.padding = padding.upper()
        self.activation = cfg.de_act(activation)
        self.use_bias = bool(use_bias)
        self.weights_initializer = cfg.de_init(weights_initializer)
        self.biases_initializer = cfg.de_init(biases_initializer)
        self.weights_regularizer = cfg.de_reg(weights_regularizer)
        self.biases_regularizer = cfg.de_reg(biases_regularizer)

    def build(self, input_shape) -> None:
        cin = input_channels(keras.KerasTensor(input_shape), None)
        self.add_weights_and_biases(self.kernel_size + (1, 1), (cin,))

    def call(self, inputs):
        cin = inputs.shape[-1]
        depthwise = tf.tile(self.weights_var, [1, 1, cin, 1])
        y = tf.nn.depthwise_conv2d(inputs, depthwise, (1,) + self.stride + (1,), self.padding)
        if self.biases_var is not None:
            y = tf.nn.bias_add(y, self.biases_var)
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            kernel_size=list(self.kernel_size),
            stride=list(self.stride),
            padding=self.padding,
            activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias,
            weights_initializer=cfg.ser_init(self.weights_initializer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer),
        )
        return config


@add_arg_scope
def convolution2d_in_plane(
    inputs,
    kernel_size,
    stride=1,
    padding="SAME",
    activation_fn=tf.nn.relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=_XAVIER,
    weights_regularizer=None,
    biases_initializer=tf.zeros_initializer(),
    biases_regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
):
    """Applies the same in-plane convolution to each channel (default scope ``ConvInPlane``).

    Creates one ``<scope>/weights`` [kh, kw, 1, 1], tiled over the Cin channels
    of an NHWC input and applied depthwise, and ``<scope>/biases`` [Cin]
    (unless ``normalizer_fn`` is given or ``biases_initializer`` is None).

    Args:
      inputs: a rank-4 NHWC tensor or KerasTensor with known channels.
      kernel_size: int or [kh, kw].
      stride: int or [sh, sw], default 1.
      padding: ``'SAME'`` (default) or ``'VALID'``.
      activation_fn: default ``tf.nn.relu``; None for linear.
      normalizer_fn, normalizer_params: optional normalizer (drops the biases).
      weights_initializer: default Xavier.
      weights_regularizer, biases_initializer, biases_regularizer: as for conv.
      reuse, variables_collections, outputs_collections, trainable, scope: as
        for ``convolution``.

    Returns:
      The output tensor.

    Raises:
      ValueError: for inputs of rank below 4 or unknown channels (slim's
        ``last_dimension`` messages), a bad ``kernel_size``/``stride``/``padding``.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None:
        raise ValueError(f"Inputs {inputs!r} has undefined rank.")
    last_dimension(shape, min_rank=4)
    _check_rank(inputs, 4, "conv2d_in_plane")
    kernel = n_positive_integers(2, kernel_size, "kernel_size")
    strides = n_positive_integers(2, stride, "stride")
    padding = _check_padding(padding)
    with variable_scope(scope, "ConvInPlane", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: ConvolutionInPlane(
                sc.name,
                kernel,
                strides,
                padding,
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
            "weights",
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return finish_layer(
            outputs, sc, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


conv2d_in_plane = convolution2d_in_plane
