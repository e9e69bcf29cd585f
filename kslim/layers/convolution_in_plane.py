"""slim's conv2d_in_plane (scope ``ConvInPlane``).

One [kh, kw, 1, 1] kernel tiled over the channels, biases [Cin].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.weighted import (
    XAVIER,
    WeightedLayer,
    apply_weighted_layer,
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
    Size,
    Tensor,
)
from kslim.utils import last_dimension, n_positive_integers

__all__ = [
    "ConvolutionInPlane",
    "conv2d_in_plane",
    "convolution2d_in_plane",
]


@keras.saving.register_keras_serializable(package="kslim")
class ConvolutionInPlane(WeightedLayer):
    """One [kh, kw, 1, 1] ``weights`` kernel applied to every channel (NHWC).

    Args:
      scope: the variable scope path.
      kernel_size: pairs of ints.
      stride: pairs of ints.
      padding: ``'SAME'`` or ``'VALID'``.
      **kwargs: ``WeightedLayer``'s (activation, biases, initializers,
        regularizers; ``biases`` are [Cin]) and Keras ``Layer`` arguments.
    """

    def __init__(
        self,
        scope: str,
        kernel_size: Sequence[int],
        stride: Sequence[int] = (1, 1),
        padding: str = "SAME",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.padding = padding.upper()

    def op_config(self) -> dict:
        """The in-plane convolution's own constructor arguments (part of ``get_config``)."""
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding,
        }

    def variable_shapes(self, input_shape: tuple) -> tuple[tuple, tuple]:
        """The shapes of ``weights`` [kh, kw, 1, 1] and ``biases`` [C] for ``input_shape``."""
        cin = input_channels(keras.KerasTensor(input_shape), None)
        return self.kernel_size + (1, 1), (cin,)

    def op(self, x: Tensor) -> tf.Tensor:
        """The one kernel applied to every channel of ``x`` (a tiled depthwise convolution)."""
        depthwise = tf.tile(self.weights_var, [1, 1, x.shape[-1], 1])
        return tf.nn.depthwise_conv2d(x, depthwise, (1,) + self.stride + (1,), self.padding)


@add_arg_scope
def convolution2d_in_plane(
    inputs: Tensor,
    kernel_size: Size,
    stride: Size = 1,
    padding: str = "SAME",
    activation_fn: Activation | None = tf.nn.relu,
    normalizer_fn: Activation | None = None,
    normalizer_params: dict[str, Any] | None = None,
    weights_initializer: Initializer | None = XAVIER,
    weights_regularizer: Regularizer | None = None,
    biases_initializer: Initializer | None = tf.zeros_initializer(),
    biases_regularizer: Regularizer | None = None,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
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
      normalizer_fn: optional normalizer (drops the biases).
      normalizer_params: optional normalizer (drops the biases).
      weights_initializer: default Xavier.
      weights_regularizer: as for conv.
      biases_initializer: as for conv.
      biases_regularizer: as for conv.
      reuse: as
        for ``convolution``.
      variables_collections: see ``reuse``.
      outputs_collections: see ``reuse``.
      trainable: see ``reuse``.
      scope: see ``reuse``.

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
    check_rank(inputs, 4, "conv2d_in_plane")
    kernel = n_positive_integers(2, kernel_size, "kernel_size")
    strides = n_positive_integers(2, stride, "stride")
    padding = check_padding(padding)
    return apply_weighted_layer(
        inputs,
        "ConvInPlane",
        lambda name, **shared: ConvolutionInPlane(name, kernel, strides, padding, **shared),
        **shared_arguments(locals()),
    )


conv2d_in_plane = convolution2d_in_plane
