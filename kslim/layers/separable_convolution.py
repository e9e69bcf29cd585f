"""slim's separable_conv2d (scope ``SeparableConv2d``).

Variables depthwise_weights, pointwise_weights and biases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.base import wrap_regularizer
from kslim.layers.initializers import to_keras_initializer
from kslim.layers.layout import channels_first
from kslim.layers.weighted import (
    XAVIER,
    WeightedLayer,
    apply_weighted_layer,
    check_num_outputs,
    check_padding,
    check_rank,
    input_channels,
    shared_arguments,
)
from kslim.ops.arg_scope import add_arg_scope
from kslim.tensor_types import (
    Activation,
    Collections,
    Initializer,
    Regularizer,
    Reuse,
    Scope,
    ShapeLike,
    Size,
    Tensor,
)
from kslim.utils import n_positive_integers

__all__ = [
    "SeparableConvolution2D",
    "separable_conv2d",
    "separable_convolution2d",
]


@keras.saving.register_keras_serializable(package="kslim")
class SeparableConvolution2D(WeightedLayer):
    """Depthwise-separable 2-D convolution with slim's variable names.

    Variables: ``depthwise_weights`` [kh, kw, Cin, depth_multiplier]; when
    ``num_outputs`` is set ``pointwise_weights`` [1, 1, Cin*dm, num_outputs];
    ``biases`` [num_outputs] (or [Cin*dm] without the pointwise stage).

    Args:
      scope: the variable scope path.
      num_outputs: pointwise output channels, or None for depthwise only.
      kernel_size: pairs of ints.
      stride: pairs of ints.
      rate: pairs of ints.
      depth_multiplier: depthwise channels per input channel.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      pointwise_initializer: pointwise initializer (``weights_initializer``
        initializes the depthwise weights, ``weights_regularizer`` regularizes both).
      **kwargs: ``WeightedLayer``'s (activation, biases, initializers,
        regularizers) and Keras ``Layer`` arguments.
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
        pointwise_initializer: Initializer | str | dict[str, Any] | None = "glorot_uniform",
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
        self.pointwise_initializer = cfg.de_init(pointwise_initializer)

    def op_config(self) -> dict:
        """The layer's own constructor arguments (part of ``get_config``)."""
        return {
            "num_outputs": self.num_outputs,
            "kernel_size": list(self.kernel_size),
            "depth_multiplier": self.depth_multiplier,
            "stride": list(self.stride),
            "padding": self.padding,
            "data_format": self.data_format,
            "rate": list(self.rate),
            "pointwise_initializer": cfg.ser_init(self.pointwise_initializer),
        }

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``depthwise_weights``, ``pointwise_weights`` (if any) and ``biases``."""
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
        self.add_biases((self.num_outputs if self.num_outputs is not None else mid,))

    def layout_rank(self) -> int | None:
        """2 for a channels-first input (run channels-last), else None."""
        return 2 if channels_first(self.data_format) else None

    def op(self, x: Tensor) -> tf.Tensor:
        """The depthwise (then pointwise, if any) convolution of the channels-last ``x``."""
        strides = (1,) + self.stride + (1,)
        if self.pointwise_var is None:
            return tf.nn.depthwise_conv2d(
                x, self.depthwise_var, strides, self.padding, dilations=self.rate
            )
        return tf.nn.separable_conv2d(
            x, self.depthwise_var, self.pointwise_var, strides, self.padding, dilations=self.rate
        )


def _separable_collections(variables_collections: Collections | None):
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
    inputs: Tensor,
    num_outputs: int | None,
    kernel_size: Size,
    depth_multiplier: int = 1,
    stride: Size = 1,
    padding: str = "SAME",
    data_format: str = "NHWC",
    rate: Size = 1,
    activation_fn: Activation | None = tf.nn.relu,
    normalizer_fn: Activation | None = None,
    normalizer_params: dict[str, Any] | None = None,
    weights_initializer: Initializer | None = XAVIER,
    pointwise_initializer: Initializer | None = None,
    weights_regularizer: Regularizer | None = None,
    biases_initializer: Initializer | None = tf.zeros_initializer(),
    biases_regularizer: Regularizer | None = None,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
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
      normalizer_fn: optional normalizer (drops the biases).
      normalizer_params: optional normalizer (drops the biases).
      weights_initializer: depthwise initializer, default Xavier.
      pointwise_initializer: pointwise initializer; None (default) uses
        ``weights_initializer``.
      weights_regularizer: regularizer of both weight variables.
      biases_initializer: default zeros; None for no biases.
      biases_regularizer: regularizer of the biases.
      reuse: as
        for ``convolution`` (a ``variables_collections`` dict is keyed
        ``weights``/``biases`` as in slim).
      variables_collections: see ``reuse``.
      outputs_collections: see ``reuse``.
      trainable: see ``reuse``.
      scope: see ``reuse``.

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
    check_rank(inputs, 4, "separable_conv2d")
    kernel = n_positive_integers(2, kernel_size, "kernel_size")
    strides = n_positive_integers(2, stride, "stride")
    rates = n_positive_integers(2, rate, "rate")
    (multiplier,) = n_positive_integers(1, depth_multiplier, "depth_multiplier")
    padding = check_padding(padding)
    input_channels(inputs, data_format)
    if pointwise_initializer is None:
        pointwise_initializer = weights_initializer
    variables_collections = _separable_collections(variables_collections)
    return apply_weighted_layer(
        inputs,
        "SeparableConv2d",
        lambda name, **shared: SeparableConvolution2D(
            name,
            num_outputs,
            kernel,
            multiplier,
            strides,
            padding,
            data_format,
            rates,
            to_keras_initializer(pointwise_initializer),
            **shared,
        ),
        first_variable="depthwise_weights",
        **shared_arguments(locals()),
    )


separable_conv2d = separable_convolution2d
