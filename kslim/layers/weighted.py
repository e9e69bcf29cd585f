"""The weighted-layer base: what slim's conv and fully-connected layers share, written once.

As Keras' ``BaseConv`` owns build/call/get_config for its convolutions,
``WeightedLayer`` owns slim's shared tail for the convolution, transposed
convolution, separable, in-plane and fully-connected layers: the config
(activation, biases, initializers, regularizers) and ``get_config``, creating
``weights``/``biases``, and the bias-add and activation after the op (inside
the transposes of a channels-first layout). A subclass implements only its op.

``apply_weighted_layer`` is the shared body of the slim functions: open the
variable scope, create or re-use the layer, call it, then slim's
normalizer/activation tail and the outputs collections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.activations import activation_name
from kslim.layers.base import (
    SlimLayer,
    apply_activation,
    call_layer,
    get_or_create_layer,
    wrap_regularizer,
)
from kslim.layers.initializers import to_keras_initializer, xavier_initializer
from kslim.layers.layout import channels_first, to_channels_first, to_channels_last
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
    "SHARED_ARGUMENTS",
    "XAVIER",
    "WeightedLayer",
    "apply_weighted_layer",
    "check_num_outputs",
    "check_padding",
    "check_rank",
    "input_channels",
    "shared_arguments",
]

XAVIER = xavier_initializer()
"""slim's default ``weights_initializer`` of the weighted layers."""

SHARED_ARGUMENTS = (
    "activation_fn",
    "normalizer_fn",
    "normalizer_params",
    "weights_initializer",
    "weights_regularizer",
    "biases_initializer",
    "biases_regularizer",
    "reuse",
    "variables_collections",
    "outputs_collections",
    "trainable",
    "scope",
)
"""The parameters every slim weighted-layer function has, with one meaning."""


def check_num_outputs(num_outputs: Any, allow_none: bool = False) -> None:
    """slim accepts only Python ints for ``num_outputs``.

    Args:
      num_outputs: the argument.
      allow_none: whether None is accepted (``separable_conv2d``).

    Raises:
      ValueError: for a non-int or non-positive ``num_outputs``.
    """
    if allow_none and num_outputs is None:
        return
    if not isinstance(num_outputs, int) or isinstance(num_outputs, bool):
        raise ValueError(
            f"num_outputs type should be one of {(int,)}, got {type(num_outputs)}. "
            f"(num_outputs={num_outputs!r})"
        )
    if num_outputs is not None and num_outputs <= 0:
        raise ValueError(f"num_outputs must be a positive int, got num_outputs={num_outputs!r}")


def input_channels(inputs: Tensor, data_format: str | None, argname: str = "inputs") -> int:
    """The static channel count of ``inputs``.

    Args:
      inputs: a tensor or KerasTensor.
      data_format: slim's spelling; channels-first formats read axis 1.
      argname: the argument named in errors.

    Returns:
      The channel count.

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


def check_rank(inputs: Tensor, rank: int, fn: str) -> tuple:
    """The static shape of ``inputs``, which must have rank ``rank``.

    Args:
      inputs: a tensor or KerasTensor.
      rank: the rank ``fn`` takes.
      fn: the slim function named in errors.

    Returns:
      The shape as a tuple.

    Raises:
      ValueError: for an undefined or another rank.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", len(shape)) is None:
        raise ValueError(f"Inputs {inputs!r} has undefined rank.")
    if len(shape) != rank:
        raise ValueError(f"{fn}: inputs must have rank {rank}, got shape {tuple(shape)}")
    return tuple(shape)


def check_padding(padding: str) -> str:
    """``padding`` upper-cased.

    Args:
      padding: ``'SAME'`` or ``'VALID'`` in any case.

    Returns:
      ``'SAME'`` or ``'VALID'``.

    Raises:
      ValueError: for another value.
    """
    if str(padding).upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return str(padding).upper()


class WeightedLayer(SlimLayer):
    """Base of slim's layers with ``weights`` (+ ``biases``): the shared tail, written once.

    A subclass implements only its op:

    - ``op_config()``: its own ``get_config`` entries;
    - ``variable_shapes(input_shape)``: the shapes of ``weights`` and ``biases``
      (or ``build`` itself, for other variables: ``separable_conv2d``'s);
    - ``op(x)``: the op, on channels-last inputs, before the bias and activation;
    - ``layout_rank()``: the spatial rank when a channels-first ``data_format``
      makes ``call`` transpose around op, bias and activation (default: never).

    Args:
      scope: the variable scope path.
      activation: activation (name or callable) applied inside, or None.
      use_bias: whether ``biases`` exist.
      weights_initializer, biases_initializer: initializers.
      weights_regularizer, biases_regularizer: regularizers or None.
      **kwargs: Keras ``Layer`` arguments.
    """

    def __init__(
        self,
        scope: str,
        activation: str | Activation | dict[str, Any] | None = None,
        use_bias: bool = True,
        weights_initializer: Initializer | str | dict[str, Any] | None = "glorot_uniform",
        biases_initializer: Initializer | str | dict[str, Any] | None = "zeros",
        weights_regularizer: Regularizer | dict[str, Any] | None = None,
        biases_regularizer: Regularizer | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.activation = cfg.de_act(activation)
        self.use_bias = bool(use_bias)
        self.weights_initializer = cfg.de_init(weights_initializer)
        self.biases_initializer = cfg.de_init(biases_initializer)
        self.weights_regularizer = cfg.de_reg(weights_regularizer)
        self.biases_regularizer = cfg.de_reg(biases_regularizer)
        self.weights_var = self.biases_var = None

    def op_config(self) -> dict:
        """The subclass's own config entries (its op's arguments)."""
        raise NotImplementedError(f"{type(self).__name__} must implement op_config()")

    def variable_shapes(self, input_shape: tuple) -> tuple[tuple, tuple]:
        """``(weights shape, biases shape)`` for inputs of ``input_shape``."""
        raise NotImplementedError(f"{type(self).__name__} must implement variable_shapes()")

    def op(self, x: Tensor) -> tf.Tensor:
        """The layer's op on channels-last ``x``, before the bias and activation."""
        raise NotImplementedError(f"{type(self).__name__} must implement op()")

    def layout_rank(self) -> int | None:
        """The spatial rank to transpose around the op, or None (channels last)."""
        return None

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``weights`` and ``biases`` of ``variable_shapes(input_shape)``."""
        self.add_weights_and_biases(*self.variable_shapes(tuple(input_shape)))

    def add_weights_and_biases(self, weights_shape: ShapeLike, biases_shape: ShapeLike) -> None:
        """Creates ``weights`` and, when ``self.use_bias``, ``biases``.

        Args:
          weights_shape: the shape of ``weights`` (``weights_var``).
          biases_shape: the shape of ``biases`` (``biases_var``).
        """
        self.weights_var = self.slim_weight(
            "weights",
            weights_shape,
            self.weights_initializer,
            wrap_regularizer(self.weights_regularizer),
            self.trainable,
        )
        self.add_biases(biases_shape)

    def add_biases(self, biases_shape: ShapeLike) -> None:
        """Creates ``biases`` (``biases_var``) when ``self.use_bias``.

        Args:
          biases_shape: their shape.
        """
        self.biases_var = None
        if self.use_bias:
            self.biases_var = self.slim_weight(
                "biases",
                biases_shape,
                self.biases_initializer,
                wrap_regularizer(self.biases_regularizer),
                self.trainable,
            )

    def call(self, inputs: Tensor) -> tf.Tensor:
        """``op`` on ``inputs`` (channels-last), plus ``biases``, then the activation."""
        rank = self.layout_rank()
        x = inputs if rank is None else to_channels_last(inputs, rank)
        y = self.op(x)
        if self.biases_var is not None:
            y = tf.nn.bias_add(y, self.biases_var)
        if self.activation is not None:
            y = self.activation(y)
        return y if rank is None else to_channels_first(y, rank)

    def get_config(self) -> dict:
        """The constructor arguments (``op_config`` and the shared ones), for Keras."""
        config = super().get_config()
        config.update(self.op_config())
        config.update(
            activation=cfg.ser_act(self.activation),
            use_bias=self.use_bias,
            weights_initializer=cfg.ser_init(self.weights_initializer),
            biases_initializer=cfg.ser_init(self.biases_initializer),
            weights_regularizer=cfg.ser_reg(self.weights_regularizer),
            biases_regularizer=cfg.ser_reg(self.biases_regularizer),
        )
        return config


def shared_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SHARED_ARGUMENTS`` of a slim weighted-layer function, from its ``locals()``.

    Args:
      arguments: the calling function's ``locals()`` (its parameters by name).

    Returns:
      The keyword arguments of ``apply_weighted_layer`` they name.
    """
    return {name: arguments[name] for name in SHARED_ARGUMENTS}


def apply_weighted_layer(
    inputs: Tensor,
    default_scope: str,
    make_layer: Callable[..., WeightedLayer],
    *,
    activation_fn: Activation | None,
    normalizer_fn: Activation | None,
    normalizer_params: dict[str, Any] | None,
    weights_initializer: Initializer | None,
    weights_regularizer: Regularizer | None,
    biases_initializer: Initializer | None,
    biases_regularizer: Regularizer | None,
    reuse: Reuse | None,
    variables_collections: Collections | None,
    outputs_collections: Collections | None,
    trainable: bool,
    scope: Scope | None,
    first_variable: str = "weights",
) -> keras.KerasTensor | tf.Tensor:
    """The body of a slim weighted-layer function, after its own argument checks.

    Opens ``variable_scope(scope, default_scope)``, creates the layer (or re-uses
    the scope's), calls it on ``inputs``, then applies slim's tail: the
    normalizer inside the layer's scope (``<scope>/BatchNorm``) and the
    activation after it, and the outputs collections. With a ``normalizer_fn``
    the layer has no biases and applies no activation itself;
    ``biases_initializer=None`` also drops the biases.

    Args:
      inputs: the layer's input tensor or KerasTensor.
      default_scope: slim's default scope name (``'Conv'``).
      make_layer: ``(scope path, **shared layer keywords) -> WeightedLayer``.
      activation_fn: the slim function's argument of that name.
      normalizer_fn: the slim function's argument of that name.
      normalizer_params: the slim function's argument of that name.
      weights_initializer: the slim function's argument of that name.
      weights_regularizer: the slim function's argument of that name.
      biases_initializer: the slim function's argument of that name.
      biases_regularizer: the slim function's argument of that name.
      reuse: the slim function's argument of that name.
      variables_collections: the slim function's argument of that name.
      outputs_collections: the slim function's argument of that name.
      trainable: the slim function's argument of that name.
      scope: the slim function's argument of that name.
      first_variable: the layer's first variable, named in reuse errors.

    Returns:
      The output tensor (a KerasTensor when ``inputs`` is one).
    """
    layer_kwargs = {
        "activation": None if normalizer_fn is not None else activation_name(activation_fn),
        "use_bias": normalizer_fn is None and biases_initializer is not None,
        "weights_initializer": to_keras_initializer(weights_initializer),
        "biases_initializer": to_keras_initializer(biases_initializer),
        "weights_regularizer": weights_regularizer,
        "biases_regularizer": biases_regularizer,
        "trainable": trainable,
    }
    with variable_scope(scope, default_scope, reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc, lambda: make_layer(sc.name, **layer_kwargs), first_variable
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
            if activation_fn is not None:
                outputs = apply_activation(activation_fn, outputs, sc.original_name_scope)
        return collect_named_outputs(outputs_collections, sc.name, outputs)
