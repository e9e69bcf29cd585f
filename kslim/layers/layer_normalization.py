"""slim's layer_norm (scope ``LayerNorm``): moments over every axis from ``begin_norm_axis``."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.layers.activations import activation_name
from kslim.layers.affine_normalization import AffineNorm, apply_norm, tensor_name
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import Activation, Collections, Reuse, Scope, ShapeLike, Tensor

__all__ = ["LayerNorm", "layer_norm"]


@keras.saving.register_keras_serializable(package="kslim")
class LayerNorm(AffineNorm):
    """slim's layer normalization: moments over ``[begin_norm_axis, rank)``.

    ``beta``/``gamma`` have shape ``inputs.shape[begin_params_axis:]``; the
    variance epsilon is 1e-12 (1e-3 for float16), as in slim.

    Args:
      scope: variable scope path (``.../LayerNorm``).
      center, scale: create ``beta`` / ``gamma``.
      activation: applied after normalization, or None.
      begin_norm_axis: first normalized axis (non-negative).
      begin_params_axis: first parameter axis (may be negative).
    """

    def __init__(
        self,
        scope: str,
        center: bool = True,
        scale: bool = True,
        activation: str | Activation | dict[str, Any] | None = None,
        begin_norm_axis: int = 1,
        begin_params_axis: int = -1,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, center, scale, activation, **kwargs)
        self.begin_norm_axis = int(begin_norm_axis)
        self.begin_params_axis = int(begin_params_axis)

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``beta``/``gamma`` over ``input_shape[begin_params_axis:]``."""
        self.build_params(tuple(int(d) for d in tuple(input_shape)[self.begin_params_axis :]))

    def call(self, inputs: Tensor) -> tf.Tensor:
        """``inputs`` normalized over ``[begin_norm_axis, rank)``, scaled, shifted, activated."""
        x = inputs
        rank = x.shape.rank
        mean, variance = tf.nn.moments(x, list(range(self.begin_norm_axis, rank)), keepdims=True)
        epsilon = 1e-12 if x.dtype != tf.float16 else 1e-3
        y = tf.nn.batch_normalization(
            x, mean, variance, offset=self.beta, scale=self.gamma, variance_epsilon=epsilon
        )
        y.set_shape(x.shape)
        return self.finish(y)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.pop("param_initializers")
        config.update(
            begin_norm_axis=self.begin_norm_axis, begin_params_axis=self.begin_params_axis
        )
        return config


@add_arg_scope
def layer_norm(
    inputs: Tensor,
    center: bool = True,
    scale: bool = True,
    activation_fn: Activation | None = None,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    begin_norm_axis: int = 1,
    begin_params_axis: int = -1,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Layer normalization (default scope ``LayerNorm``), slim's defaults.

    Normalizes over axes ``begin_norm_axis .. rank-1`` (default: every axis but
    the batch) with variance epsilon 1e-12 (1e-3 for float16); ``beta`` (zeros)
    and ``gamma`` (ones) have shape ``inputs.shape[begin_params_axis:]``
    (default: the last axis) and broadcast over the normalized tensor.

    Args:
      inputs: a tensor or KerasTensor of known rank.
      center: create and add ``beta``, default True.
      scale: create and multiply by ``gamma``, default True.
      activation_fn: optional activation, default None.
      reuse: re-use the layer of ``scope``.
      variables_collections: extra collections (or a dict keyed beta/gamma).
      outputs_collections: collections receiving the output.
      trainable: whether beta/gamma are trained, default True.
      begin_norm_axis: first normalized axis, default 1 (may be negative).
      begin_params_axis: first parameter axis, default -1.
      scope: variable scope, default ``LayerNorm`` made unique.

    Returns:
      The normalized tensor, same shape and dtype as ``inputs``.

    Raises:
      ValueError: if the rank is unknown, an axis is not below the rank, or
        ``inputs.shape[begin_params_axis:]`` is not fully defined (slim's
        messages).
    """
    with variable_scope(scope, "LayerNorm", reuse=reuse) as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None:
            raise ValueError(f"Inputs {tensor_name(inputs)} has undefined rank.")
        rank = len(shape)
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError(
                f"begin_params_axis ({begin_params_axis}) and begin_norm_axis "
                f"({begin_norm_axis}) must be < rank(inputs) ({rank})"
            )
        if begin_norm_axis < 0 or begin_params_axis < -rank:
            raise ValueError(
                f"begin_params_axis ({begin_params_axis}) and begin_norm_axis "
                f"({begin_norm_axis}) must be >= -rank(inputs) ({-rank})"
            )
        params_shape = tuple(shape)[begin_params_axis:]
        if any(d is None for d in params_shape):
            raise ValueError(
                f"Inputs {tensor_name(inputs)}: shape(inputs)[{begin_params_axis}:] is not "
                f"fully defined: {tuple(shape)}"
            )
        return apply_norm(
            sc,
            lambda **kw: LayerNorm(
                sc.name,
                center,
                scale,
                activation_name(activation_fn),
                begin_norm_axis,
                begin_params_axis,
                trainable=trainable,
                **kw,
            ),
            inputs,
            center,
            scale,
            variables_collections,
            outputs_collections,
        )
