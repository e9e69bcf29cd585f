"""slim's core layers: fully_connected (+ relu/relu6/elu/linear), dropout, flatten."""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.activations import activation_name
from kslim.layers.base import (
    SlimLayer,
    apply_named_op,
    apply_op,
    call_layer,
    finish_layer,
    get_or_create_layer,
    is_symbolic,
    register_op,
    weighted_layer_kwargs,
    wrap_regularizer,
)
from kslim.layers.convolution import check_num_outputs
from kslim.layers.initializers import to_keras_initializer, xavier_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.utils import collect_named_outputs, last_dimension

__all__ = [
    "FullyConnected",
    "fully_connected",
    "relu",
    "relu6",
    "elu",
    "linear",
    "dropout",
    "flatten",
    "BiasAdd",
    "SpatialSoftmax",
    "bias_add",
    "images_to_sequence",
    "maxout",
    "one_hot_encoding",
    "scale_gradient",
    "sequence_to_images",
    "softmax",
    "spatial_softmax",
    "unit_norm",
]

_XAVIER = xavier_initializer()


@keras.saving.register_keras_serializable(package="kslim")
class FullyConnected(SlimLayer):
    """``x @ weights + biases`` on the last axis, slim variable names.

    Args:
      scope: the variable scope path.
      num_outputs: output units.
      activation: applied inside when set.
      use_bias: whether ``biases`` exist.
      weights_initializer, biases_initializer, weights_regularizer,
      biases_regularizer: as in ``fully_connected``.
    """

    def __init__(
        self,
        scope: str,
        num_outputs: int,
        activation=None,
        use_bias: bool = True,
        weights_initializer="glorot_uniform",
        biases_initializer="zeros",
        weights_regularizer=None,
        biases_regularizer=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.num_outputs = int(num_outputs)
        self.activation = cfg.de_act(activation)
        self.use_bias = bool(use_bias)
        self.weights_initializer = cfg.de_init(weights_initializer)
        self.biases_initializer = cfg.de_init(biases_initializer)
        self.weights_regularizer = cfg.de_reg(weights_regularizer)
        self.biases_regularizer = cfg.de_reg(biases_regularizer)

    def build(self, input_shape) -> None:
        cin = input_shape[-1]
        if cin is None:
            raise ValueError(
                f"fully_connected {self.scope!r}: the last dimension of inputs must be "
                f"known, got shape {tuple(input_shape)}"
            )
        self.add_weights_and_biases((int(cin), self.num_outputs), (self.num_outputs,))

    def call(self, inputs):
        if inputs.shape.rank == 2:
            y = tf.matmul(inputs, self.weights_var)
        else:
            y = tf.tensordot(inputs, self.weights_var, [[inputs.shape.rank - 1], [0]])
        if self.biases_var is not None:
            y = tf.nn.bias_add(y, self.biases_var)
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            num_outputs=self.num_outputs,
            activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias,
            weights_initializer=cfg.ser_init(self.weights_initializer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer),
        )
        return config


@add_arg_scope
def fully_connected(
    inputs,
    num_outputs,
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
    """Adds a fully connected layer (``weights`` [Cin, Cout], ``biases`` [Cout]).

    Inputs of rank > 2 are transformed on their last axis (no flattening).

    Args:
      inputs: a tensor or KerasTensor of rank >= 2 with a known last dimension.
      num_outputs: a Python int.
      activation_fn: default ``tf.nn.relu``; None for linear.
      normalizer_fn, normalizer_params: optional normalizer (drops the biases).
      weights_initializer: default Xavier.
      weights_regularizer, biases_initializer, biases_regularizer: as for conv.
      reuse, variables_collections, outputs_collections, trainable, scope: as
        for ``convolution``; default scope ``fully_connected``.

    Returns:
      The output tensor.

    Raises:
      ValueError: if ``num_outputs`` is not an int or the last dimension of
        ``inputs`` is unknown.
    """
    check_num_outputs(num_outputs)
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) < 2:
        raise ValueError(f"fully_connected: inputs must have rank >= 2, got shape {shape}")
    if shape[-1] is None:
        raise ValueError(
            f"fully_connected: the last dimension of inputs must be known, got shape {tuple(shape)}"
        )
    with variable_scope(scope, "fully_connected", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: FullyConnected(
                sc.name,
                num_outputs,
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


relu = functools.partial(fully_connected, activation_fn=tf.nn.relu)
relu6 = functools.partial(fully_connected, activation_fn=tf.nn.relu6)
elu = functools.partial(fully_connected, activation_fn=tf.nn.elu)
linear = functools.partial(fully_connected, activation_fn=None)


@register_op("dropout")
def _dropout_op(x, rate, noise_shape=None, seed=None, training=False):
    if not training:
        return tf.identity(x)
    return tf.nn.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed)


@add_arg_scope
def dropout(
    inputs,
    keep_prob=0.5,
    noise_shape=None,
    is_training=True,
    outputs_collections=None,
    scope=None,
    seed=None,
):
    """Dropout: kept values are scaled by ``1/keep_prob``.

    Args:
      inputs: the tensor.
      keep_prob: probability of keeping each value, default 0.5.
      noise_shape: optional shape of the keep/drop mask.
      is_training: True (default, slim's: always active), False (identity),
        or None to follow Keras' ``training`` flag of the enclosing model call.
      outputs_collections: collections receiving the output.
      scope: name scope, default ``Dropout``.
      seed: optional random seed.

    Returns:
      The output tensor.

    Raises:
      ValueError: if ``keep_prob`` is not in (0, 1].
    """
    if not isinstance(keep_prob, (int, float)) or not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be a float in (0, 1], got {keep_prob!r}")
    if is_training not in (True, False, None):
        raise ValueError(f"is_training must be True, False or None, got {is_training!r}")
    kwargs: dict[str, Any] = {"rate": 1.0 - float(keep_prob), "seed": seed}
    if noise_shape is not None:
        kwargs["noise_shape"] = [None if d is None else int(d) for d in noise_shape]
    if is_training is None:
        kwargs["_training"] = True
    else:
        kwargs["training"] = bool(is_training)
    with variable_scope(scope, "Dropout") as sc:
        outputs = apply_op("dropout", inputs, sc.original_name_scope.rstrip("/"), **kwargs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@register_op("flatten")
def _flatten_op(x):
    shape = x.shape
    if shape.rank is not None and all(d is not None for d in shape[1:]):
        size = 1
        for d in shape[1:]:
            size *= int(d)
        return tf.reshape(x, [-1, size])
    return tf.reshape(x, [tf.shape(x)[0], -1])


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """Flattens ``inputs`` to [batch, prod(other dims)] (name scope ``Flatten``).

    Raises:
      ValueError: if ``inputs`` has rank < 2 or unknown rank.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) < 2:
        raise ValueError(f"Inputs must have a least 2 dimensions, got shape {shape}")
    outputs, alias = apply_named_op("flatten", inputs, scope, "Flatten")
    return collect_named_outputs(outputs_collections, alias, outputs)


def _single_input(x):
    """A list/tuple given as one tensor (``apply_op`` would spread it over arguments)."""
    if isinstance(x, (list, tuple)) and not is_symbolic(x):
        return tf.convert_to_tensor(x)
    return x


@keras.saving.register_keras_serializable(package="kslim")
class BiasAdd(SlimLayer):
    """Adds slim's ``biases`` [C] on the channel axis (``tf.nn.bias_add``).

    Args:
      scope: the variable scope path.
      data_format: ``'NHWC'`` (channels last) or ``'NCHW'`` (channels at axis 1).
      activation: applied after the bias, or None.
      initializer, regularizer: of ``biases``.
    """

    def __init__(
        self,
        scope: str,
        data_format: str = "NHWC",
        activation=None,
        initializer="zeros",
        regularizer=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.data_format = data_format
        self.activation = cfg.de_act(activation)
        self.initializer = cfg.de_init(initializer)
        self.regularizer = cfg.de_reg(regularizer)

    def build(self, input_shape) -> None:
        axis = 1 if self.data_format == "NCHW" else -1
        self.biases_var = self.slim_weight(
            "biases",
            (int(input_shape[axis]),),
            self.initializer,
            wrap_regularizer(self.regularizer),
            self.trainable,
        )

    def call(self, inputs):
        y = tf.nn.bias_add(inputs, self.biases_var, data_format=self.data_format)
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            data_format=self.data_format,
            activation=cfg.ser_act(self.activation),
            initializer=cfg.ser_init(self.initializer),
            regularizer=cfg.ser_reg(self.regularizer),
        )
        return config


@add_arg_scope
def bias_add(
    inputs,
    activation_fn=None,
    initializer=tf.zeros_initializer(),
    regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    data_format="NHWC",
    scope=None,
):
    """Adds ``<scope>/biases`` [C] to ``inputs`` (default scope ``BiasAdd``).

    Usable as the ``normalizer_fn`` of conv2d / fully_connected (then the
    variable is ``<layer scope>/BiasAdd/biases``).

    Args:
      inputs: a tensor or KerasTensor of rank >= 2 with a known channel dim.
      activation_fn: optional activation, default None.
      initializer: initializer of the biases, default zeros.
      regularizer: optional regularizer of the biases.
      reuse: re-use the layer of ``scope``.
      variables_collections: extra collections (or a dict keyed ``biases``).
      outputs_collections: collections receiving the output.
      trainable: whether the biases are trained, default True.
      data_format: ``'NHWC'`` (default; channels last, any rank) or ``'NCHW'``
        (rank 4 only).
      scope: variable scope, default ``BiasAdd`` made unique.

    Returns:
      ``inputs + biases`` (then the activation).

    Raises:
      ValueError: slim's messages for a bad ``data_format``, an unknown rank,
        NCHW with rank != 4, or an unknown channel dimension.
    """
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(
            f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
        )
    with variable_scope(scope, "BiasAdd", reuse=reuse) as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None:
            raise ValueError("Dims of shape must be known but is None")
        if len(shape) != 4 and data_format == "NCHW":
            raise ValueError(
                f"Data format NCHW only supports 4D Tensor (inputs shape {tuple(shape)})"
            )
        axis = 1 if data_format == "NCHW" else -1
        if len(shape) == 0 or shape[axis] is None:
            raise ValueError(
                f"`C` dimension must be known but is None (inputs shape {tuple(shape)})"
            )
        layer, created = get_or_create_layer(
            sc,
            lambda: BiasAdd(
                sc.name,
                data_format,
                activation_name(activation_fn),
                to_keras_initializer(initializer),
                regularizer,
                trainable=trainable,
            ),
            "biases",
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@register_op("one_hot_encoding")
def _one_hot_op(labels, num_classes, on_value=1.0, off_value=0.0):
    labels = tf.convert_to_tensor(labels)
    if labels.dtype == tf.int32:
        labels = tf.cast(labels, tf.int64)
    return tf.one_hot(labels, num_classes, on_value=on_value, off_value=off_value)


@add_arg_scope
def one_hot_encoding(
    labels, num_classes, on_value=1.0, off_value=0.0, outputs_collections=None, scope=None
):
    """One-hot encodes ``labels`` with ``tf.one_hot`` (name scope ``OneHotEncoding``).

    Args:
      labels: integer labels (int32 labels are cast to int64, as in slim).
      num_classes: the number of classes (a Python int on KerasTensors).
      on_value: value of the hot entry, default 1.0 (float32 output).
      off_value: value of the other entries, default 0.0.
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The one-hot tensor, shape ``labels.shape + [num_classes]``.

    Raises:
      TypeError: if ``num_classes`` is not an int while building a Keras graph.
    """
    if is_symbolic(labels):
        if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
            raise TypeError(
                f"one_hot_encoding: num_classes must be a Python int on KerasTensors, got "
                f"{num_classes!r}"
            )
        num_classes = int(num_classes)
    outputs, alias = apply_named_op(
        "one_hot_encoding",
        _single_input(labels),
        scope,
        "OneHotEncoding",
        num_classes=num_classes,
        on_value=on_value,
        off_value=off_value,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)


@register_op("softmax")
def _softmax_op(logits):
    logits = tf.convert_to_tensor(logits)
    num_logits = int(logits.shape[-1])
    predictions = tf.nn.softmax(tf.reshape(logits, [-1, num_logits]))
    predictions = tf.reshape(predictions, tf.shape(logits))
    predictions.set_shape(logits.shape)
    return predictions


@add_arg_scope
def softmax(logits, scope=None):
    """Softmax over the last axis of an N-D tensor (variable scope ``softmax``).

    Args:
      logits: a tensor of rank >= 2 with a known last dimension.
      scope: variable scope, default ``softmax`` made unique.

    Returns:
      A tensor of the shape and dtype of ``logits``.

    Raises:
      ValueError: slim's ``last_dimension`` messages for rank < 2 or an unknown
        last dimension.
    """
    shape = getattr(logits, "shape", None)
    if shape is None:
        raise ValueError("dims of shape must be known but is None")
    with variable_scope(scope, "softmax") as sc:
        last_dimension(shape, min_rank=2)
        return apply_op("softmax", _single_input(logits), sc.original_name_scope.rstrip("/"))


@register_op("unit_norm")
def _unit_norm_op(x, dim, epsilon=1e-7):
    x = tf.convert_to_tensor(x)
    lengths = tf.sqrt(epsilon + tf.reduce_sum(tf.square(x), dim, keepdims=True))
    return x / lengths


@add_arg_scope
def unit_norm(inputs, dim, epsilon=1e-7, scope=None):
    """``inputs / sqrt(epsilon + sum(inputs², dim))`` (variable scope ``UnitNorm``).

    Args:
      inputs: a tensor of known rank.
      dim: the axis to normalize, in ``[0, rank)``.
      epsilon: added under the square root, default 1e-7.
      scope: variable scope, default ``UnitNorm`` made unique.

    Returns:
      The normalized tensor.

    Raises:
      ValueError: ``'The input rank must be known.'`` (also for scalars) or
        ``'dim must be positive but smaller than the input rank.'``.
    """
    with variable_scope(scope, "UnitNorm") as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None or len(shape) == 0:
            raise ValueError("The input rank must be known.")
        if not isinstance(dim, (int, np.integer)) or dim < 0 or dim >= len(shape):
            raise ValueError(
                "dim must be positive but smaller than the input rank. "
                f"(dim={dim!r}, rank {len(shape)})"
            )
        return apply_op(
            "unit_norm",
            _single_input(inputs),
            sc.original_name_scope.rstrip("/"),
            dim=int(dim),
            epsilon=epsilon,
        )


@register_op("maxout")
def _maxout_op(x, num_units, axis=-1):
    x = tf.convert_to_tensor(x)
    shape = x.shape.as_list()
    num_channels = shape[axis]
    shape[axis] = num_units
    shape += [num_channels // num_units]
    dynamic = tf.shape(x)
    for i in range(len(shape)):
        if shape[i] is None:
            shape[i] = dynamic[i]
    return tf.reduce_max(tf.reshape(x, shape), -1, keepdims=False)


@add_arg_scope
def maxout(inputs, num_units, axis=-1, scope=None):
    """Maxout (variable scope ``MaxOut``): max over groups of ``axis``.

    As in slim, the grouped axis is reshaped to ``num_units`` and the group
    index is appended as a new last axis, which is reduced with max.

    Args:
      inputs: a tensor with a known dimension ``axis``.
      num_units: features kept; must divide ``inputs.shape[axis]``.
      axis: the axis pooled over, default -1.
      scope: variable scope, default ``MaxOut`` made unique.

    Returns:
      The maxout tensor.

    Raises:
      ValueError: ``'number of features(C) is not a multiple of num_units(k)'``,
        or if that dimension is unknown.
    """
    with variable_scope(scope, "MaxOut") as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None:
            raise ValueError(f"maxout: inputs {inputs!r} has undefined rank")
        if not isinstance(axis, (int, np.integer)) or not -len(shape) <= axis < len(shape):
            raise ValueError(f"maxout: axis={axis!r} is out of range for shape {tuple(shape)}")
        num_channels = shape[axis]
        if num_channels is None:
            raise ValueError(
                f"maxout: dimension {axis} of inputs must be known, got shape {tuple(shape)}"
            )
        if not isinstance(num_units, (int, np.integer)) or num_units <= 0:
            raise ValueError(f"maxout: num_units must be a positive int, got {num_units!r}")
        if num_channels % num_units:
            raise ValueError(
                f"number of features({num_channels}) is not a multiple of num_units({num_units})"
            )
        return apply_op(
            "maxout",
            _single_input(inputs),
            sc.original_name_scope.rstrip("/"),
            num_units=int(num_units),
            axis=int(axis),
        )


@keras.saving.register_keras_serializable(package="kslim")
class SpatialSoftmax(SlimLayer):
    """slim's spatial softmax: per-channel expected (x, y) position in [-1, 1].

    Variable ``temperature`` (scalar float32) divides the features before the
    softmax over each channel's H·W positions. Output [N, 2C] as
    ``[x1, y1, ..., xC, yC]`` (x runs along H, y along W, as in slim).

    Args:
      scope: the variable scope path.
      temperature: initial temperature (None: 1.0).
      data_format: ``'NHWC'`` or ``'NCHW'``.
    """

    def __init__(
        self, scope: str, temperature: float | None = None, data_format: str = "NHWC", **kwargs: Any
    ) -> None:
        super().__init__(scope, **kwargs)
        self.temperature = None if temperature is None else float(temperature)
        self.data_format = data_format

    def build(self, input_shape) -> None:
        init = "ones" if self.temperature is None else keras.initializers.Constant(self.temperature)
        self.temperature_var = self.slim_weight(
            "temperature", (), init, trainable=self.trainable, dtype="float32"
        )

    def call(self, features):
        shape = tf.shape(features)
        if self.data_format == "NHWC":
            height, width, num_channels = shape[1], shape[2], features.shape[3]
        else:
            num_channels, height, width = features.shape[1], shape[2], shape[3]
        pos_x, pos_y = tf.meshgrid(
            tf.linspace(-1.0, 1.0, num=height), tf.linspace(-1.0, 1.0, num=width), indexing="ij"
        )
        pos_x = tf.reshape(pos_x, [height * width])
        pos_y = tf.reshape(pos_y, [height * width])
        if self.data_format == "NCHW":
            features = tf.reshape(features, [-1, height * width])
        else:
            features = tf.reshape(tf.transpose(features, [0, 3, 1, 2]), [-1, height * width])
        attention = tf.nn.softmax(features / self.temperature_var)
        expected_x = tf.reduce_sum(pos_x * attention, [1], keepdims=True)
        expected_y = tf.reduce_sum(pos_y * attention, [1], keepdims=True)
        keypoints = tf.reshape(tf.concat([expected_x, expected_y], 1), [-1, int(num_channels) * 2])
        keypoints.set_shape([None, int(num_channels) * 2])
        return keypoints

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(temperature=self.temperature, data_format=self.data_format)
        return config


@add_arg_scope
def spatial_softmax(
    features,
    temperature=None,
    name=None,
    variables_collections=None,
    trainable=True,
    data_format="NHWC",
):
    """Spatial softmax keypoints of a feature map (variable scope ``spatial_softmax``).

    Softmax over the spatial positions of each channel, then the expected
    (x, y) position on a [-1, 1] grid: [N, 2C] as ``[x1, y1, ..., xC, yC]``.
    Creates the scalar variable ``<scope>/temperature`` (initialized to
    ``temperature``, or 1.0 when None).

    Args:
      features: a rank-4 tensor with a known channel dimension.
      temperature: initial temperature, default None (1.0).
      name: variable scope, default ``spatial_softmax`` made unique.
      variables_collections: extra collections for ``temperature`` (or a dict
        keyed ``temperature``); ignored when not trainable, as in slim.
      trainable: whether the temperature is trained, default True.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.

    Returns:
      The keypoints tensor [N, 2C].

    Raises:
      ValueError: for another ``data_format`` or an undefined channel dimension
        (slim's messages).
    """
    with variable_scope(name, "spatial_softmax") as sc:
        shape = getattr(features, "shape", None)
        if data_format not in ("NHWC", "NCHW"):
            raise ValueError(
                f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
            )
        if shape is None or len(shape) != 4:
            raise ValueError(f"spatial_softmax: features must have rank 4, got shape {shape}")
        num_channels = shape[3] if data_format == "NHWC" else shape[1]
        if num_channels is None:
            raise ValueError(
                "The num_channels dimension of the inputs to `spatial_softmax` "
                "should be defined. Found `None`."
            )
        layer, created = get_or_create_layer(
            sc,
            lambda: SpatialSoftmax(sc.name, temperature, data_format, trainable=trainable),
            "temperature",
        )
        return call_layer(layer, features, created, variables_collections if trainable else None)


@register_op("images_to_sequence")
def _images_to_sequence_op(x, data_format="NHWC"):
    x = tf.convert_to_tensor(x)
    if data_format == "NCHW":
        x = tf.transpose(x, [0, 2, 3, 1])
    _, _, width, depth = x.shape.as_list()
    s = tf.shape(x)
    batch_size, height = s[0], s[1]
    transposed = tf.transpose(x, [2, 0, 1, 3])
    return tf.reshape(transposed, [width, batch_size * height, depth])


@add_arg_scope
def images_to_sequence(inputs, data_format="NHWC", outputs_collections=None, scope=None):
    """[N, H, W, C] images to a [W, N·H, C] sequence (name scope ``ImagesToSequence``).

    Args:
      inputs: a rank-4 tensor with known width and depth.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The sequence tensor [width, num_images·height, depth].

    Raises:
      ValueError: for another ``data_format``, a rank other than 4 or an
        unknown width/depth.
    """
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(
            f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
        )
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) != 4:
        raise ValueError(f"images_to_sequence: inputs must have rank 4, got shape {shape}")
    dims = tuple(shape)
    width, depth = (dims[3], dims[1]) if data_format == "NCHW" else (dims[2], dims[3])
    if width is None or depth is None:
        raise ValueError(
            f"images_to_sequence: width and depth of inputs must be known, got shape {dims}"
        )
    outputs, alias = apply_named_op(
        "images_to_sequence",
        _single_input(inputs),
        scope,
        "ImagesToSequence",
        data_format=data_format,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)


@register_op("sequence_to_images")
def _sequence_to_images_op(x, height, output_data_format="channels_last"):
    x = tf.convert_to_tensor(x)
    width, num_batches, depth = x.shape.as_list()
    if num_batches is None:
        num_batches = -1
    else:
        num_batches //= height
    reshaped = tf.reshape(x, [width, num_batches, height, depth])
    if output_data_format == "channels_first":
        return tf.transpose(reshaped, [1, 3, 2, 0])
    return tf.transpose(reshaped, [1, 2, 0, 3])


@add_arg_scope
def sequence_to_images(
    inputs, height, output_data_format="channels_last", outputs_collections=None, scope=None
):
    """[W, N·H, C] sequence back to images (name scope ``SequenceToImages``).

    Args:
      inputs: a rank-3 tensor [width, num_images·height, depth], width and
        depth known.
      height: the image height (Python int).
      output_data_format: ``'channels_first'`` gives [N, C, H, W]; anything
        else [N, H, W, C] (default ``'channels_last'``).
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The images tensor.

    Raises:
      ValueError: for a rank other than 3, unknown width/depth or a
        non-positive ``height``.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) != 3:
        raise ValueError(f"sequence_to_images: inputs must have rank 3, got shape {shape}")
    if tuple(shape)[0] is None or tuple(shape)[2] is None:
        raise ValueError(
            f"sequence_to_images: width and depth of inputs must be known, got shape {tuple(shape)}"
        )
    if not isinstance(height, (int, np.integer)) or height <= 0:
        raise ValueError(f"sequence_to_images: height must be a positive int, got {height!r}")
    outputs, alias = apply_named_op(
        "sequence_to_images",
        _single_input(inputs),
        scope,
        "SequenceToImages",
        height=int(height),
        output_data_format=output_data_format,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)


@register_op("scale_gradient")
def _scale_gradient_op(x, gradient_multiplier):
    @tf.custom_gradient
    def identity(value):
        def grad(dy):
            return dy * gradient_multiplier

        return tf.identity(value), grad

    return identity(x)


def scale_gradient(inputs, gradient_multiplier):
    """Identity forward; the gradient to ``inputs`` is multiplied by ``gradient_multiplier``.

    Not arg-scoped, as in slim. On a KerasTensor it is a graph node (layer
    named by the name scope ``ScaleGradient``) and ``gradient_multiplier`` must
    be a Python number.

    Args:
      inputs: the tensor.
      gradient_multiplier: a number, or (on concrete tensors) a tensor
        broadcastable to ``inputs``.

    Returns:
      A tensor equal to ``inputs``.

    Raises:
      TypeError: if ``gradient_multiplier`` is not a number while building a
        Keras graph.
    """
    if is_symbolic(inputs):
        if isinstance(gradient_multiplier, bool) or not isinstance(
            gradient_multiplier, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                "scale_gradient: gradient_multiplier must be a Python number on KerasTensors, "
                f"got {gradient_multiplier!r}"
            )
        gradient_multiplier = float(gradient_multiplier)
    outputs, _ = apply_named_op(
        "scale_gradient",
        _single_input(inputs),
        None,
        "ScaleGradient",
        gradient_multiplier=gradient_multiplier,
    )
    return outputs
