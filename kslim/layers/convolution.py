"""slim's convolution family: convolution, conv1d/2d/3d (variable scope ``Conv``)."""

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
    "Convolution",
    "convolution",
    "convolution1d",
    "convolution2d",
    "convolution3d",
    "conv1d",
    "conv2d",
    "conv3d",
]

_DATA_FORMATS = (None, "NWC", "NCW", "NHWC", "NCHW", "NDHWC", "NCDHW")


@keras.saving.register_keras_serializable(package="kslim")
class Convolution(WeightedLayer):
    """N-D convolution with slim's variables ``weights`` [k..., Cin, Cout] and ``biases``.

    Args:
      scope: the variable scope path.
      rank: 1, 2 or 3 spatial dimensions.
      num_outputs: output channels.
      kernel_size, stride, rate: tuples of ``rank`` ints.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'N...C'`` or ``'NC...'`` (slim spelling) or None.
      **kwargs: ``WeightedLayer``'s (activation, biases, initializers,
        regularizers) and Keras ``Layer`` arguments.
    """

    def __init__(
        self,
        scope: str,
        rank: int,
        num_outputs: int,
        kernel_size: Sequence[int],
        stride: Sequence[int] = (1,),
        padding: str = "SAME",
        data_format: str | None = None,
        rate: Sequence[int] = (1,),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.rank = int(rank)
        self.num_outputs = int(num_outputs)
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.padding = padding.upper()
        self.data_format = data_format
        self.rate = tuple(rate)

    def op_config(self) -> dict:
        """The convolution's own constructor arguments (part of ``get_config``)."""
        return {
            "rank": self.rank,
            "num_outputs": self.num_outputs,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding,
            "data_format": self.data_format,
            "rate": list(self.rate),
        }

    def variable_shapes(self, input_shape: tuple) -> tuple[tuple, tuple]:
        """The shapes of ``weights`` [k..., Cin, Cout] and ``biases`` [Cout] for ``input_shape``."""
        cin = input_channels(keras.KerasTensor(input_shape), self.data_format)
        return self.kernel_size + (cin, self.num_outputs), (self.num_outputs,)

    def layout_rank(self) -> int | None:
        """The spatial rank run in channels-last layout (channels-first input), else None."""
        return self.rank if channels_first(self.data_format) else None

    def op(self, x: Tensor) -> tf.Tensor:
        """The convolution of the channels-last ``x`` with ``weights``."""
        return tf.nn.convolution(
            x, self.weights_var, strides=self.stride, padding=self.padding, dilations=self.rate
        )


@add_arg_scope
def convolution(
    inputs: Tensor,
    num_outputs: int,
    kernel_size: Size,
    stride: Size = 1,
    padding: str = "SAME",
    data_format: str | None = None,
    rate: Size = 1,
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
    conv_dims: int | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Adds an N-D convolution followed by an optional normalizer and activation.

    The rank of ``inputs`` (3, 4 or 5) picks 1-D, 2-D or 3-D convolution. Creates
    ``<scope>/weights`` and, unless ``normalizer_fn`` is given or
    ``biases_initializer`` is None, ``<scope>/biases``.

    Args:
      inputs: a tensor or KerasTensor of rank 3, 4 or 5.
      num_outputs: int, number of output channels.
      kernel_size: int or list of ints, one per spatial dimension.
      stride: int or list of ints, default 1.
      padding: ``'SAME'`` (default) or ``'VALID'``.
      data_format: None (channels last) or one of NWC, NCW, NHWC, NCHW, NDHWC, NCDHW.
      rate: dilation rate, int or list, default 1.
      activation_fn: default ``tf.nn.relu``; None for linear.
      normalizer_fn: e.g. ``batch_norm``; applied before the activation.
      normalizer_params: keyword arguments of ``normalizer_fn``.
      weights_initializer: default Xavier (Glorot uniform).
      weights_regularizer: optional regularizer of the weights.
      biases_initializer: default zeros; None for no biases.
      biases_regularizer: optional regularizer of the biases.
      reuse: re-use the layer of ``scope`` (requires ``scope``).
      variables_collections: extra collections for the variables.
      outputs_collections: collections receiving the output (end_points).
      trainable: whether the variables are trained.
      scope: variable scope name, default ``Conv`` made unique.
      conv_dims: if set, the expected number of spatial dimensions.

    Returns:
      The output tensor (a KerasTensor when ``inputs`` is one).

    Raises:
      ValueError: for an invalid ``data_format``, a rank mismatch with
        ``conv_dims``, a non-int ``num_outputs``, a bad ``kernel_size``, or an
        undefined channel dimension.
    """
    if data_format not in _DATA_FORMATS:
        raise ValueError(f"Invalid data_format: {data_format!r}")
    check_num_outputs(num_outputs)
    shape = getattr(inputs, "shape", None)
    rank = len(shape) if shape is not None else None
    if rank is None:
        raise ValueError(f"Inputs {inputs!r} has undefined rank.")
    if conv_dims is not None and conv_dims + 2 != rank:
        raise ValueError(f"Convolution expects input with rank {conv_dims + 2}, got {rank}")
    if rank not in (3, 4, 5):
        raise ValueError(
            f"Convolution not supported for input with rank {rank} (inputs shape {shape}); "
            "expected rank 3, 4 or 5"
        )
    dims = rank - 2
    kernel = n_positive_integers(dims, kernel_size, "kernel_size")
    strides = n_positive_integers(dims, stride, "stride")
    rates = n_positive_integers(dims, rate, "rate")
    check_padding(padding)
    input_channels(inputs, data_format)
    return apply_weighted_layer(
        inputs,
        "Conv",
        lambda name, **shared: Convolution(
            name, dims, num_outputs, kernel, strides, padding, data_format, rates, **shared
        ),
        **shared_arguments(locals()),
    )


def _fixed_rank(conv_dims: int):
    def conv(
        inputs: Tensor,
        num_outputs: int,
        kernel_size: Size,
        stride: Size = 1,
        padding: str = "SAME",
        data_format: str | None = None,
        rate: Size = 1,
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
    ):
        return convolution(
            inputs,
            num_outputs,
            kernel_size,
            stride,
            padding,
            data_format,
            rate,
            activation_fn,
            normalizer_fn,
            normalizer_params,
            weights_initializer,
            weights_regularizer,
            biases_initializer,
            biases_regularizer,
            reuse,
            variables_collections,
            outputs_collections,
            trainable,
            scope,
            conv_dims,
        )

    conv.__name__ = f"convolution{conv_dims}d"
    conv.__qualname__ = conv.__name__
    conv.__doc__ = (
        f"{conv_dims}-D ``convolution`` (inputs of rank {conv_dims + 2}); see ``convolution``.\n\n"
        "Calls ``convolution`` positionally, so ``arg_scope([convolution], padding=...)``\n"
        "makes this function raise TypeError, as in slim."
    )
    return add_arg_scope(conv)


convolution1d = conv1d = _fixed_rank(1)
convolution2d = conv2d = _fixed_rank(2)
convolution3d = conv3d = _fixed_rank(3)
