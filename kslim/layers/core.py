"""slim's core layers: fully_connected (+ relu/relu6/elu/linear), dropout, flatten."""

from __future__ import annotations

import functools
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
    finish_layer,
    get_or_create_layer,
    register_op,
    wrap_regularizer,
)
from kslim.layers.convolution import check_num_outputs
from kslim.layers.initializers import to_keras_initializer, xavier_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.utils import collect_named_outputs

__all__ = [
    "FullyConnected",
    "fully_connected",
    "relu",
    "relu6",
    "elu",
    "linear",
    "dropout",
    "flatten",
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

    def __init__(self, scope: str, num_outputs: int, activation=None, use_bias: bool = True,
                 weights_initializer="glorot_uniform", biases_initializer="zeros",
                 weights_regularizer=None, biases_regularizer=None, **kwargs: Any) -> None:
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
                f"known, got shape {tuple(input_shape)}")
        self.weights_var = self.slim_weight(
            "weights", (int(cin), self.num_outputs), self.weights_initializer,
            wrap_regularizer(self.weights_regularizer), self.trainable)
        self.biases_var = None
        if self.use_bias:
            self.biases_var = self.slim_weight(
                "biases", (self.num_outputs,), self.biases_initializer,
                wrap_regularizer(self.biases_regularizer), self.trainable)

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
            num_outputs=self.num_outputs, activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias, weights_initializer=cfg.ser_init(self.weights_initializer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer))
        return config


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=_XAVIER,
                    weights_regularizer=None, biases_initializer=tf.zeros_initializer(),
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
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
        raise ValueError(
            f"fully_connected: inputs must have rank >= 2, got shape {shape}")
    if shape[-1] is None:
        raise ValueError(
            f"fully_connected: the last dimension of inputs must be known, got shape "
            f"{tuple(shape)}")
    use_bias = normalizer_fn is None and biases_initializer is not None
    with variable_scope(scope, "fully_connected", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: FullyConnected(
                sc.name, num_outputs,
                activation=None if normalizer_fn is not None else activation_name(activation_fn),
                use_bias=use_bias,
                weights_initializer=to_keras_initializer(weights_initializer),
                biases_initializer=to_keras_initializer(biases_initializer),
                weights_regularizer=weights_regularizer,
                biases_regularizer=biases_regularizer, trainable=trainable),
            "weights")
        outputs = call_layer(layer, inputs, created, variables_collections)
        return finish_layer(outputs, sc, normalizer_fn, normalizer_params, activation_fn,
                            outputs_collections)


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
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True, outputs_collections=None,
            scope=None, seed=None):
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
