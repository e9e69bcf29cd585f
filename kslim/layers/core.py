"""slim's core layers: fully_connected (+ relu/relu6/elu/linear), bias_add, dropout, flatten."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.activations import activation_name
from kslim.layers.base import (
    SlimLayer,
    apply_named_op,
    apply_op,
    call_layer,
    get_or_create_layer,
    register_op,
    wrap_regularizer,
)
from kslim.layers.initializers import to_keras_initializer
from kslim.layers.weighted import (
    XAVIER,
    WeightedLayer,
    apply_weighted_layer,
    check_num_outputs,
    shared_arguments,
)
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import (
    Activation,
    Collections,
    Initializer,
    Regularizer,
    Reuse,
    Scope,
    ShapeLike,
    Tensor,
)
from kslim.utils import collect_named_outputs

__all__ = [
    "BiasAdd",
    "FullyConnected",
    "bias_add",
    "dropout",
    "elu",
    "flatten",
    "fully_connected",
    "linear",
    "relu",
    "relu6",
]


@keras.saving.register_keras_serializable(package="kslim")
class FullyConnected(WeightedLayer):
    """``x @ weights + biases`` on the last axis, slim variable names.

    Args:
      scope: the variable scope path.
      num_outputs: output units.
      **kwargs: ``WeightedLayer``'s (activation, biases, initializers,
        regularizers) and Keras ``Layer`` arguments.
    """

    def __init__(self, scope: str, num_outputs: int, **kwargs: Any) -> None:
        super().__init__(scope, **kwargs)
        self.num_outputs = int(num_outputs)

    def op_config(self) -> dict:
        """The layer's own constructor arguments (part of ``get_config``)."""
        return {"num_outputs": self.num_outputs}

    def variable_shapes(self, input_shape: tuple) -> tuple[tuple, tuple]:
        """The shapes of ``weights`` [Cin, num_outputs] and ``biases`` for ``input_shape``."""
        cin = input_shape[-1]
        if cin is None:
            raise ValueError(
                f"fully_connected {self.scope!r}: the last dimension of inputs must be "
                f"known, got shape {tuple(input_shape)}"
            )
        return (int(cin), self.num_outputs), (self.num_outputs,)

    def op(self, x: Tensor) -> tf.Tensor:
        """``x @ weights`` over the last axis of ``x``."""
        if x.shape.rank == 2:
            return tf.matmul(x, self.weights_var)
        return tf.tensordot(x, self.weights_var, [[x.shape.rank - 1], [0]])


@add_arg_scope
def fully_connected(
    inputs: Tensor,
    num_outputs: int,
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
    """Adds a fully connected layer (``weights`` [Cin, Cout], ``biases`` [Cout]).

    Inputs of rank > 2 are transformed on their last axis (no flattening).

    Args:
      inputs: a tensor or KerasTensor of rank >= 2 with a known last dimension.
      num_outputs: a Python int.
      activation_fn: default ``tf.nn.relu``; None for linear.
      normalizer_fn: optional normalizer (drops the biases).
      normalizer_params: optional normalizer (drops the biases).
      weights_initializer: default Xavier.
      weights_regularizer: as for conv.
      biases_initializer: as for conv.
      biases_regularizer: as for conv.
      reuse: as
        for ``convolution``; default scope ``fully_connected``.
      variables_collections: see ``reuse``.
      outputs_collections: see ``reuse``.
      trainable: see ``reuse``.
      scope: see ``reuse``.

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
    return apply_weighted_layer(
        inputs,
        "fully_connected",
        lambda name, **shared: FullyConnected(name, num_outputs, **shared),
        **shared_arguments(locals()),
    )


relu = functools.partial(fully_connected, activation_fn=tf.nn.relu)
relu6 = functools.partial(fully_connected, activation_fn=tf.nn.relu6)
elu = functools.partial(fully_connected, activation_fn=tf.nn.elu)
linear = functools.partial(fully_connected, activation_fn=None)


@register_op("dropout")
def _dropout_op(
    x: Tensor,
    rate: float,
    noise_shape: Sequence[int | None] | None = None,
    seed: int | None = None,
    training: bool = False,
):
    if not training:
        return tf.identity(x)
    return tf.nn.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed)


@add_arg_scope
def dropout(
    inputs: Tensor,
    keep_prob: float = 0.5,
    noise_shape: ShapeLike | None = None,
    is_training: bool | None = True,
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
    seed: int | None = None,
) -> keras.KerasTensor | tf.Tensor:
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
def _flatten_op(x: Tensor):
    shape = x.shape
    if shape.rank is not None and all(d is not None for d in shape[1:]):
        size = 1
        for d in shape[1:]:
            size *= int(d)
        return tf.reshape(x, [-1, size])
    return tf.reshape(x, [tf.shape(x)[0], -1])


@add_arg_scope
def flatten(
    inputs: Tensor, outputs_collections: Collections | None = None, scope: Scope | None = None
) -> keras.KerasTensor | tf.Tensor:
    """Flattens ``inputs`` to [batch, prod(other dims)] (name scope ``Flatten``).

    Raises:
      ValueError: if ``inputs`` has rank < 2 or unknown rank.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) < 2:
        raise ValueError(f"Inputs must have a least 2 dimensions, got shape {shape}")
    outputs, alias = apply_named_op("flatten", inputs, scope, "Flatten")
    return collect_named_outputs(outputs_collections, alias, outputs)


@keras.saving.register_keras_serializable(package="kslim")
class BiasAdd(SlimLayer):
    """Adds slim's ``biases`` [C] on the channel axis (``tf.nn.bias_add``).

    Args:
      scope: the variable scope path.
      data_format: ``'NHWC'`` (channels last) or ``'NCHW'`` (channels at axis 1).
      activation: applied after the bias, or None.
      initializer: of ``biases``.
      regularizer: of ``biases``.
    """

    def __init__(
        self,
        scope: str,
        data_format: str = "NHWC",
        activation: str | Activation | dict[str, Any] | None = None,
        initializer: Initializer | str | dict[str, Any] | None = "zeros",
        regularizer: Regularizer | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.data_format = data_format
        self.activation = cfg.de_act(activation)
        self.initializer = cfg.de_init(initializer)
        self.regularizer = cfg.de_reg(regularizer)

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``biases`` [C] for the channel axis of ``input_shape``."""
        axis = 1 if self.data_format == "NCHW" else -1
        self.biases_var = self.slim_weight(
            "biases",
            (int(input_shape[axis]),),
            self.initializer,
            wrap_regularizer(self.regularizer),
            self.trainable,
        )

    def call(self, inputs: Tensor) -> tf.Tensor:
        """``inputs`` plus ``biases`` on the channel axis, then the activation (if any)."""
        y = tf.nn.bias_add(inputs, self.biases_var, data_format=self.data_format)
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
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
    inputs: Tensor,
    activation_fn: Activation | None = None,
    initializer: Initializer | None = tf.zeros_initializer(),
    regularizer: Regularizer | None = None,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    data_format: str = "NHWC",
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
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
