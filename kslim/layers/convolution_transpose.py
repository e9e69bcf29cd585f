"""slim's transposed convolutions: conv2d_transpose and conv3d_transpose.

Scopes ``Conv2d_transpose``, ``Conv3d_transpose``; weights [k..., Cout, Cin].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

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
    Size,
    Tensor,
)
from kslim.utils import n_positive_integers

__all__ = [
    "ConvolutionTranspose",
    "conv2d_transpose",
    "conv3d_transpose",
    "convolution2d_transpose",
    "convolution3d_transpose",
]


def _transpose_length(size: int | tf.Tensor, kernel: int, stride: int, padding: str):
    """Output length of a transposed convolution (slim's ``deconv_output_length``)."""
    if padding == "VALID":
        return size * stride + max(kernel - stride, 0)
    return size * stride


@keras.saving.register_keras_serializable(package="kslim")
class ConvolutionTranspose(WeightedLayer):
    """2-D/3-D transposed convolution, slim's ``weights`` [k..., Cout, Cin] and ``biases``.

    ``SAME`` padding maps a spatial size ``n`` to ``n * stride``; ``VALID`` to
    ``n * stride + max(kernel - stride, 0)``.

    Args:
      scope: the variable scope path.
      rank: 2 or 3 spatial dimensions.
      num_outputs: output channels.
      kernel_size: tuples of ``rank`` ints.
      stride: tuples of ``rank`` ints.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'``/``'NCHW'`` (rank 2) or ``'NDHWC'``/``'NCDHW'`` (rank 3).
      **kwargs: ``WeightedLayer``'s (activation, biases, initializers,
        regularizers) and Keras ``Layer`` arguments.
    """

    def __init__(
        self,
        scope: str,
        rank: int,
        num_outputs: int,
        kernel_size: Sequence[int],
        stride: Sequence[int],
        padding: str = "SAME",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.rank = int(rank)
        self.num_outputs = int(num_outputs)
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.padding = padding.upper()
        self.data_format = data_format

    def op_config(self) -> dict:
        """The transposed convolution's own constructor arguments (part of ``get_config``)."""
        return {
            "rank": self.rank,
            "num_outputs": self.num_outputs,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding,
            "data_format": self.data_format,
        }

    def variable_shapes(self, input_shape: tuple) -> tuple[tuple, tuple]:
        """The shapes of ``weights`` [k..., Cout, Cin] and ``biases`` [Cout] for ``input_shape``."""
        cin = input_channels(keras.KerasTensor(input_shape), self.data_format)
        return self.kernel_size + (self.num_outputs, cin), (self.num_outputs,)

    def layout_rank(self) -> int | None:
        """The spatial rank run in channels-last layout (channels-first input), else None."""
        return self.rank if channels_first(self.data_format) else None

    def op(self, x: Tensor) -> tf.Tensor:
        """The transposed convolution of the channels-last ``x`` with ``weights``."""
        dynamic = tf.shape(x)
        static = x.shape
        spatial = []
        for i in range(self.rank):
            size = static[i + 1] if static[i + 1] is not None else dynamic[i + 1]
            spatial.append(
                _transpose_length(size, self.kernel_size[i], self.stride[i], self.padding)
            )
        output_shape = tf.stack([dynamic[0], *spatial, self.num_outputs])
        y = tf.nn.conv_transpose(
            x, self.weights_var, output_shape, strides=self.stride, padding=self.padding
        )
        y.set_shape(
            [static[0]] + [s if isinstance(s, int) else None for s in spatial] + [self.num_outputs]
        )
        return y


def _convolution_transpose(
    dims: int,
    default_scope: str,
    formats: tuple[str, str],
    inputs: Tensor,
    num_outputs: int,
    kernel_size: Size,
    stride: Size,
    padding: str,
    data_format: str,
    **shared_args: Any,
):
    """conv2d/3d_transpose's body; ``shared_args``: the ``SHARED_ARGUMENTS``."""
    if data_format not in formats:
        raise ValueError(
            f"data_format has to be either {formats[0]} or {formats[1]}. "
            f"(data_format={data_format!r})"
        )
    check_num_outputs(num_outputs)
    fn = f"conv{dims}d_transpose"
    check_rank(inputs, dims + 2, fn)
    kernel = n_positive_integers(dims, kernel_size, "kernel_size")
    strides = n_positive_integers(dims, stride, "stride")
    padding = check_padding(padding)
    input_channels(inputs, data_format)
    return apply_weighted_layer(
        inputs,
        default_scope,
        lambda name, **shared: ConvolutionTranspose(
            name, dims, num_outputs, kernel, strides, padding, data_format, **shared
        ),
        **shared_args,
    )


@add_arg_scope
def convolution2d_transpose(
    inputs: Tensor,
    num_outputs: int,
    kernel_size: Size,
    stride: Size = 1,
    padding: str = "SAME",
    data_format: str = "NHWC",
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
    """Adds a 2-D transposed convolution (default scope ``Conv2d_transpose``).

    Creates ``<scope>/weights`` [kh, kw, num_outputs, Cin] and, unless
    ``normalizer_fn`` is given or ``biases_initializer`` is None,
    ``<scope>/biases`` [num_outputs]. ``SAME`` padding with stride ``s`` maps
    H to H*s; ``VALID`` to H*s + max(kh - s, 0).

    Args:
      inputs: a rank-4 tensor or KerasTensor (NHWC, or NCHW per ``data_format``).
      num_outputs: int, number of output channels.
      kernel_size: int or [kh, kw].
      stride: int or [sh, sw], default 1.
      padding: ``'SAME'`` (default) or ``'VALID'``.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      activation_fn: default ``tf.nn.relu``; None for linear.
      normalizer_fn: optional normalizer (drops the biases).
      normalizer_params: optional normalizer (drops the biases).
      weights_initializer: default Xavier.
      weights_regularizer: optional regularizer of the weights.
      biases_initializer: default zeros; None for no biases.
      biases_regularizer: optional regularizer of the biases.
      reuse: re-use the layer of ``scope``.
      variables_collections: extra collections for the variables (or a dict
        keyed ``weights``/``biases``).
      outputs_collections: collections receiving the output.
      trainable: whether the variables are trained, default True.
      scope: variable scope, default ``Conv2d_transpose`` made unique.

    Returns:
      The output tensor.

    Raises:
      ValueError: for a ``data_format`` other than NHWC/NCHW, a non-int
        ``num_outputs``, inputs not of rank 4, a bad ``kernel_size``/``stride``/
        ``padding`` or an undefined channel dimension.
    """
    return _convolution_transpose(
        2,
        "Conv2d_transpose",
        ("NCHW", "NHWC"),
        inputs,
        num_outputs,
        kernel_size,
        stride,
        padding,
        data_format,
        **shared_arguments(locals()),
    )


@add_arg_scope
def convolution3d_transpose(
    inputs: Tensor,
    num_outputs: int,
    kernel_size: Size,
    stride: Size = 1,
    padding: str = "SAME",
    data_format: str = "NDHWC",
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
    """Adds a 3-D transposed convolution (default scope ``Conv3d_transpose``).

    Creates ``<scope>/weights`` [kd, kh, kw, num_outputs, Cin] and ``biases``;
    arguments as ``convolution2d_transpose``, with ``data_format`` ``'NDHWC'``
    (default) or ``'NCDHW'`` and rank-5 inputs.

    Returns:
      The output tensor.

    Raises:
      ValueError: as ``convolution2d_transpose`` (data_format NCDHW/NDHWC).
    """
    return _convolution_transpose(
        3,
        "Conv3d_transpose",
        ("NCDHW", "NDHWC"),
        inputs,
        num_outputs,
        kernel_size,
        stride,
        padding,
        data_format,
        **shared_arguments(locals()),
    )


conv2d_transpose = convolution2d_transpose
conv3d_transpose = convolution3d_transpose
