"""slim's convolution family: convolution, conv1d/2d/3d (variable scope ``Conv``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.activations import activation_name
from kslim.layers.base import (
    SlimLayer,
    call_layer,
    finish_layer,
    get_or_create_layer,
    wrap_regularizer,
)
from kslim.layers.initializers import to_keras_initializer, xavier_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.utils import last_dimension, n_positive_integers

__all__ = [
    "Convolution",
    "convolution",
    "convolution1d",
    "convolution2d",
    "convolution3d",
    "conv1d",
    "conv2d",
    "conv3d",
    "ConvolutionInPlane",
    "ConvolutionTranspose",
    "SeparableConvolution2D",
    "conv2d_in_plane",
    "conv2d_transpose",
    "conv3d_transpose",
    "convolution2d_in_plane",
    "convolution2d_transpose",
    "convolution3d_transpose",
    "separable_conv2d",
    "separable_convolution2d",
]

_DATA_FORMATS = (None, "NWC", "NCW", "NHWC", "NCHW", "NDHWC", "NCDHW")
_XAVIER = xavier_initializer()


def channels_first(data_format: str | None) -> bool:
    """True for NCW/NCHW/NCDHW."""
    return data_format is not None and data_format.startswith("NC")


def to_channels_last(x, rank: int):
    """NC... -> N...C."""
    return tf.transpose(x, [0] + list(range(2, rank + 2)) + [1])


def to_channels_first(x, rank: int):
    """N...C -> NC...."""
    return tf.transpose(x, [0, rank + 1] + list(range(1, rank + 1)))


def check_num_outputs(num_outputs: Any, allow_none: bool = False) -> None:
    """slim accepts only Python ints for ``num_outputs``."""
    if allow_none and num_outputs is None:
        return
    if not isinstance(num_outputs, int) or isinstance(num_outputs, bool):
        raise ValueError(
            f"num_outputs type should be one of {(int,)}, got {type(num_outputs)}. "
            f"(num_outputs={num_outputs!r})"
        )


def input_channels(inputs, data_format: str | None, argname: str = "inputs") -> int:
    """The static channel count of ``inputs``.

    Raises:
      ValueError: if the rank or the channel dimension is undefined.
    """
    shape = tuple(inputs.shape)
    if inputs.shape is None or len(shape) == 0:
        raise ValueError(f"Inputs {inputs!r} has undefined rank.")
    axis = 1 if channels_first(data_format) else -1
    channels = shape[axis]
    if channels is None:
        raise ValueError(
            f"Inputs {argname} has undefined channels dimension {axis} (shape {shape}); "
            "the channel dimension must be known to create the weights."
        )
    return int(channels)


@keras.saving.register_keras_serializable(package="kslim")
class Convolution(SlimLayer):
    """N-D convolution with slim's variables ``weights`` [k..., Cin, Cout] and ``biases``.

    Args:
      scope: the variable scope path.
      rank: 1, 2 or 3 spatial dimensions.
      num_outputs: output channels.
      kernel_size, stride, rate: tuples of ``rank`` ints.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'N...C'`` or ``'NC...'`` (slim spelling) or None.
      activation: activation (name or callable) applied inside, or None.
      use_bias: whether ``biases`` exist.
      weights_initializer, biases_initializer: initializers.
      weights_regularizer, biases_regularizer: regularizers or None.
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
        activation=None,
        use_bias: bool = True,
        weights_initializer="glorot_uniform",
        biases_initializer="zeros",
        weights_regularizer=None,
        biases_regularizer=None,
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
        self.activation = cfg.de_act(activation)
        self.use_bias = bool(use_bias)
        self.weights_initializer = cfg.de_init(weights_initializer)
        self.biases_initializer = cfg.de_init(biases_initializer)
        self.weights_regularizer = cfg.de_reg(weights_regularizer)
        self.biases_regularizer = cfg.de_reg(biases_regularizer)

    def build(self, input_shape) -> None:
        cin = input_channels(keras.KerasTensor(input_shape), self.data_format)
        self.add_weights_and_biases(self.kernel_size + (cin, self.num_outputs), (self.num_outputs,))

    def call(self, inputs):
        x = inputs
        if channels_first(self.data_format):
            x = to_channels_last(x, self.rank)
        y = tf.nn.convolution(
            x, self.weights_var, strides=self.stride, padding=self.padding, dilations=self.rate
        )
        if self.biases_var is not None:
            y = tf.nn.bias_add(y, self.biases_var)
        if self.activation is not None:
            y = self.activation(y)
        if channels_first(self.data_format):
            y = to_channels_first(y, self.rank)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            rank=self.rank,
            num_outputs=self.num_outputs,
            kernel_size=list(self.kernel_size),
            stride=list(self.stride),
            padding=self.padding,
            data_format=self.data_format,
            rate=list(self.rate),
            activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias,
            weights_initializer=cfg.ser_init(self.weights_initializer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer),
        )
        return config


@add_arg_scope
def convolution(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format=None,
    rate=1,
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
    conv_dims=None,
):
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
    if str(padding).upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    input_channels(inputs, data_format)
    use_bias = normalizer_fn is None and biases_initializer is not None
    with variable_scope(scope, "Conv", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: Convolution(
                sc.name,
                dims,
                num_outputs,
                kernel,
                strides,
                padding,
                data_format,
                rates,
                activation=None if normalizer_fn is not None else activation_name(activation_fn),
                use_bias=use_bias,
                weights_initializer=to_keras_initializer(weights_initializer),
                biases_initializer=to_keras_initializer(biases_initializer),
                weights_regularizer=weights_regularizer,
                biases_regularizer=biases_regularizer,
                trainable=trainable,
            ),
            "weights",
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return finish_layer(
            outputs, sc, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


def _fixed_rank(conv_dims: int):
    def conv(
        inputs,
        num_outputs,
        kernel_size,
        stride=1,
        padding="SAME",
        data_format=None,
        rate=1,
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


def _transpose_length(size, kernel: int, stride: int, padding: str):
    """Output length of a transposed convolution (slim's ``deconv_output_length``)."""
    if padding == "VALID":
        return size * stride + max(kernel - stride, 0)
    return size * stride


@keras.saving.register_keras_serializable(package="kslim")
class ConvolutionTranspose(SlimLayer):
    """2-D/3-D transposed convolution, slim's ``weights`` [k..., Cout, Cin] and ``biases``.

    ``SAME`` padding maps a spatial size ``n`` to ``n * stride``; ``VALID`` to
    ``n * stride + max(kernel - stride, 0)``.

    Args:
      scope: the variable scope path.
      rank: 2 or 3 spatial dimensions.
      num_outputs: output channels.
      kernel_size, stride: tuples of ``rank`` ints.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'``/``'NCHW'`` (rank 2) or ``'NDHWC'``/``'NCDHW'`` (rank 3).
      activation: activation (name or callable) applied inside, or None.
      use_bias: whether ``biases`` exist.
      weights_initializer, biases_initializer: initializers.
      weights_regularizer, biases_regularizer: regularizers or None.
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
        activation=None,
        use_bias: bool = True,
        weights_initializer="glorot_uniform",
        biases_initializer="zeros",
        weights_regularizer=None,
        biases_regularizer=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.rank = int(rank)
        self.num_outputs = int(num_outputs)
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.padding = padding.upper()
        self.data_format = data_format
        self.activation = cfg.de_act(activation)
        self.use_bias = bool(use_bias)
        self.weights_initializer = cfg.de_init(weights_initializer)
        self.biases_initializer = cfg.de_init(biases_initializer)
        self.weights_regularizer = cfg.de_reg(weights_regularizer)
        self.biases_regularizer = cfg.de_reg(biases_regularizer)

    def build(self, input_shape) -> None:
        cin = input_channels(keras.KerasTensor(input_shape), self.data_format)
        self.add_weights_and_biases(self.kernel_size + (self.num_outputs, cin), (self.num_outputs,))

    def call(self, inputs):
        x = inputs
        if channels_first(self.data_format):
            x = to_channels_last(x, self.rank)
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
        if self.biases_var is not None:
            y = tf.nn.bias_add(y, self.biases_var)
        if self.activation is not None:
            y = self.activation(y)
        if channels_first(self.data_format):
            y = to_channels_first(y, self.rank)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            rank=self.rank,
            num_outputs=self.num_outputs,
            kernel_size=list(self.kernel_size),
            stride=list(self.stride),
            padding=self.padding,
            data_format=self.data_format,
            activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias,
            weights_initializer=cfg.ser_init(self.weights_initializer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer),
        )
        return config


def _check_rank(inputs, rank: int, fn: str) -> tuple:
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", len(shape)) is None:
        raise ValueError(f"Inputs {inputs!r} has undefined rank.")
    if len(shape) != rank:
        raise ValueError(f"{fn}: inputs must have rank {rank}, got shape {tuple(shape)}")
    return tuple(shape)


def _check_padding(padding) -> str:
    if str(padding).upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return str(padding).upper()


def _convolution_transpose(
    dims,
    default_scope,
    formats,
    inputs,
    num_outputs,
    kernel_size,
    stride,
    padding,
    data_format,
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
):
    if data_format not in formats:
        raise ValueError(
            f"data_format has to be either {formats[0]} or {formats[1]}. "
            f"(data_format={data_format!r})"
        )
    check_num_outputs(num_outputs)
    fn = f"conv{dims}d_transpose"
    _check_rank(inputs, dims + 2, fn)
    kernel = n_positive_integers(dims, kernel_size, "kernel_size")
    strides = n_positive_integers(dims, stride, "stride")
    padding = _check_padding(padding)
    input_channels(inputs, data_format)
    use_bias = normalizer_fn is None and biases_initializer is not None
    with variable_scope(scope, default_scope, reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: ConvolutionTranspose(
                sc.name,
                dims,
                num_outputs,
                kernel,
                strides,
                padding,
                data_format,
                activation=None if normalizer_fn is not None else activation_name(activation_fn),
                use_bias=use_bias,
                weights_initializer=to_keras_initializer(weights_initializer),
                biases_initializer=to_keras_initializer(biases_initializer),
                weights_regularizer=weights_regularizer,
                biases_regularizer=biases_regularizer,
                trainable=trainable,
            ),
            "weights",
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return finish_layer(
            outputs, sc, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


@add_arg_scope
def convolution2d_transpose(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format="NHWC",
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
      normalizer_fn, normalizer_params: optional normalizer (drops the biases).
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
    )


@add_arg_scope
def convolution3d_transpose(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format="NDHWC",
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
    )


conv2d_transpose = convolution2d_transpose
conv3d_transpose = convolution3d_transpose


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
    use_bias = normalizer_fn is None and biases_initializer is not None
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
                activation=None if normalizer_fn is not None else activation_name(activation_fn),
                use_bias=use_bias,
                weights_initializer=to_keras_initializer(weights_initializer),
                pointwise_initializer=to_keras_initializer(pointwise_initializer),
                weights_regularizer=weights_regularizer,
                biases_initializer=to_keras_initializer(biases_initializer),
                biases_regularizer=biases_regularizer,
                trainable=trainable,
            ),
            "depthwise_weights",
        )
        outputs = call_layer(layer, inputs, created, _separable_collections(variables_collections))
        return finish_layer(
            outputs, sc, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


separable_conv2d = separable_convolution2d


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
    use_bias = normalizer_fn is None and biases_initializer is not None
    with variable_scope(scope, "ConvInPlane", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: ConvolutionInPlane(
                sc.name,
                kernel,
                strides,
                padding,
                activation=None if normalizer_fn is not None else activation_name(activation_fn),
                use_bias=use_bias,
                weights_initializer=to_keras_initializer(weights_initializer),
                biases_initializer=to_keras_initializer(biases_initializer),
                weights_regularizer=weights_regularizer,
                biases_regularizer=biases_regularizer,
                trainable=trainable,
            ),
            "weights",
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return finish_layer(
            outputs, sc, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


conv2d_in_plane = convolution2d_in_plane
