"""slim's layers.normalization: group_norm and instance_norm (per example, per channel group).

As tf_slim's ``layers/normalization.py``; ``kslim.normalization`` is this module's alias.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.activations import activation_name
from kslim.layers.affine_normalization import (
    AffineNorm,
    apply_norm,
    check_param_initializers,
    tensor_name,
)
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import Activation, Collections, Initializer, Reuse, Scope, ShapeLike, Tensor

__all__ = ["GroupNorm", "InstanceNorm", "group_norm", "instance_norm"]


@keras.saving.register_keras_serializable(package="kslim")
class GroupNorm(AffineNorm):
    """slim's group normalization.

    The channel axis is split into ``groups``; moments run over each group and
    ``reduction_axes``; ``out = x·g + (β − mean·g)`` with ``g = rsqrt(var+eps)·γ``.

    Args:
      scope: variable scope path.
      groups: number of groups.
      channels_axis: the (non-negative) channel axis.
      reduction_axes: the (non-negative) axes reduced with each group.
      center: as ``AffineNorm``.
      scale: as ``AffineNorm``.
      activation: as ``AffineNorm``.
      param_initializers: as ``AffineNorm``.
      epsilon: variance epsilon.
      mean_close_to_zero: variance from sufficient statistics (slim's option).
    """

    def __init__(
        self,
        scope: str,
        groups: int = 32,
        channels_axis: int = -1,
        reduction_axes: Sequence[int] = (-3, -2),
        center: bool = True,
        scale: bool = True,
        epsilon: float = 1e-6,
        activation: str | Activation | dict[str, Any] | None = None,
        param_initializers: dict[str, Initializer | str | dict[str, Any]] | None = None,
        mean_close_to_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, center, scale, activation, param_initializers, **kwargs)
        self.groups = int(groups)
        self.channels_axis = int(channels_axis)
        self.reduction_axes = tuple(int(a) for a in reduction_axes)
        self.epsilon = float(epsilon)
        self.mean_close_to_zero = bool(mean_close_to_zero)

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``beta``/``gamma`` for the channels of ``input_shape``."""
        self.build_params((int(input_shape[self.channels_axis]),))

    def call(self, inputs: Tensor) -> tf.Tensor:
        """``inputs`` normalized per group of channels, scaled, shifted, activated."""
        x = inputs
        rank = x.shape.rank
        axis = self.channels_axis
        channels = int(x.shape[axis])
        dynamic = tf.shape(x)
        dims = [x.shape[i] if x.shape[i] is not None else dynamic[i] for i in range(rank)]
        before, after = dims[:axis], dims[axis + 1 :]
        split = [self.groups, channels // self.groups]
        broadcast = [1] * len(before) + split + [1] * len(after)
        x = tf.reshape(x, before + split + after)
        moments_axes = [axis + 1] + [a + 1 if a > axis else a for a in self.reduction_axes]
        if self.mean_close_to_zero:
            counts, means_ss, variance_ss, _ = tf.nn.sufficient_statistics(
                x, moments_axes, keepdims=True
            )
            mean, variance = tf.nn.normalize_moments(counts, means_ss, variance_ss, shift=None)
        else:
            mean, variance = tf.nn.moments(x, moments_axes, keepdims=True)
        gain = tf.math.rsqrt(variance + self.epsilon)
        offset = -mean * gain
        if self.gamma is not None:
            gamma = tf.reshape(self.gamma, broadcast)
            gain *= gamma
            offset *= gamma
        if self.beta is not None:
            offset += tf.reshape(self.beta, broadcast)
        y = tf.reshape(x * gain + offset, dims)
        return self.finish(y)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(
            groups=self.groups,
            channels_axis=self.channels_axis,
            reduction_axes=list(self.reduction_axes),
            epsilon=self.epsilon,
            mean_close_to_zero=self.mean_close_to_zero,
        )
        return config


@add_arg_scope
def group_norm(
    inputs: Tensor,
    groups: int = 32,
    channels_axis: int = -1,
    reduction_axes: Sequence[int] = (-3, -2),
    center: bool = True,
    scale: bool = True,
    epsilon: float = 1e-6,
    activation_fn: Activation | None = None,
    param_initializers: dict[str, Initializer] | None = None,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    scope: Scope | None = None,
    mean_close_to_zero: bool = False,
) -> keras.KerasTensor | tf.Tensor:
    """Group normalization (default scope ``GroupNorm``), slim's defaults.

    The channel axis is divided into ``groups``; statistics are computed per
    example over each group and ``reduction_axes`` (default H, W of NHWC).
    ``beta``/``gamma`` have shape [C].

    Args:
      inputs: a tensor or KerasTensor with known channel and reduction dims.
      groups: number of groups, default 32; must divide the channels.
      channels_axis: channel axis, default -1 (use -3 for NCHW).
      reduction_axes: axes reduced with each group, default (-3, -2).
      center: create ``beta``, default True.
      scale: create ``gamma``, default True.
      epsilon: variance epsilon, default 1e-6.
      activation_fn: optional activation, default None.
      param_initializers: optional dict of initializers keyed beta/gamma.
      reuse: as
        usual (default scope ``GroupNorm``).
      variables_collections: see ``reuse``.
      outputs_collections: see ``reuse``.
      trainable: see ``reuse``.
      scope: see ``reuse``.
      mean_close_to_zero: compute the variance from sufficient statistics.

    Returns:
      The normalized tensor.

    Raises:
      ValueError: slim's messages: undefined rank, ``'Axis is out of bounds.'``,
        undefined channel/reduction dimensions, ``'reduction_axis must be
        mutually exclusive with channels_axis'``, ``'Invalid groups %d for %d
        channels.'``, ``'%d channels is not commensurate with %d groups.'``.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", len(shape)) is None:
        raise ValueError(f"Inputs {tensor_name(inputs)} has undefined rank.")
    rank = len(shape)
    if channels_axis > rank - 1 or channels_axis < -rank:
        raise ValueError("Axis is out of bounds.")
    if channels_axis < 0:
        channels_axis = rank + channels_axis
    channels = shape[channels_axis]
    if channels is None:
        raise ValueError(
            f"Inputs {tensor_name(inputs)} has undefined channel dimension: {channels_axis}."
        )
    axes = [a + rank if a < 0 else a for a in reduction_axes]
    for a in axes:
        if a >= rank or a < 0:
            raise ValueError("Axis is out of bounds.")
        if shape[a] is None:
            raise ValueError(f"Inputs {tensor_name(inputs)} has undefined dimensions {a}.")
        if channels_axis == a:
            raise ValueError("reduction_axis must be mutually exclusive with channels_axis")
    if groups > channels:
        raise ValueError(f"Invalid groups {groups} for {channels} channels.")
    if channels % groups != 0:
        raise ValueError(f"{channels} channels is not commensurate with {groups} groups.")
    initializers = check_param_initializers(param_initializers)
    with variable_scope(scope, "GroupNorm", reuse=reuse) as sc:
        return apply_norm(
            sc,
            lambda **kw: GroupNorm(
                sc.name,
                groups,
                channels_axis,
                axes,
                center,
                scale,
                epsilon,
                activation_name(activation_fn),
                initializers,
                mean_close_to_zero,
                trainable=trainable,
                **kw,
            ),
            inputs,
            center,
            scale,
            variables_collections,
            outputs_collections,
        )


@keras.saving.register_keras_serializable(package="kslim")
class InstanceNorm(AffineNorm):
    """slim's instance normalization: moments over every axis but batch and channel.

    Args:
      scope: variable scope path.
      center: as ``AffineNorm``.
      scale: as ``AffineNorm``.
      activation: as ``AffineNorm``.
      param_initializers: as ``AffineNorm``.
      epsilon: variance epsilon.
      data_format: ``'NHWC'`` (channels last) or ``'NCHW'`` (channels at axis 1).
    """

    def __init__(
        self,
        scope: str,
        center: bool = True,
        scale: bool = True,
        epsilon: float = 1e-6,
        activation: str | Activation | dict[str, Any] | None = None,
        param_initializers: dict[str, Initializer | str | dict[str, Any]] | None = None,
        data_format: str = "NHWC",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, center, scale, activation, param_initializers, **kwargs)
        self.epsilon = float(epsilon)
        self.data_format = data_format

    def _channel_axis(self, rank: int) -> int:
        return 1 if self.data_format == "NCHW" else rank - 1

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``beta``/``gamma`` for the channels of ``input_shape``."""
        self.build_params((int(input_shape[self._channel_axis(len(input_shape))]),))

    def call(self, inputs: Tensor) -> tf.Tensor:
        """``inputs`` normalized per example and channel, scaled, shifted, activated."""
        x = inputs
        rank = x.shape.rank
        axis = self._channel_axis(rank)
        moments_axes = [i for i in range(1, rank) if i != axis]
        beta, gamma = self.beta, self.gamma
        if self.data_format == "NCHW":
            broadcast = [1, int(x.shape[1])] + [1] * (rank - 2)
            beta = None if beta is None else tf.reshape(beta, broadcast)
            gamma = None if gamma is None else tf.reshape(gamma, broadcast)
        mean, variance = tf.nn.moments(x, moments_axes, keepdims=True)
        y = tf.nn.batch_normalization(x, mean, variance, beta, gamma, self.epsilon)
        return self.finish(y)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(epsilon=self.epsilon, data_format=self.data_format)
        return config


@add_arg_scope
def instance_norm(
    inputs: Tensor,
    center: bool = True,
    scale: bool = True,
    epsilon: float = 1e-6,
    activation_fn: Activation | None = None,
    param_initializers: dict[str, Initializer] | None = None,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    data_format: str = "NHWC",
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Instance normalization (default scope ``InstanceNorm``), slim's defaults.

    Statistics per example and channel over every other axis; ``beta``/``gamma``
    have shape [C].

    Args:
      inputs: a tensor or KerasTensor of known rank with a known channel dim.
      center: create ``beta``, default True.
      scale: create ``gamma``, default True.
      epsilon: variance epsilon, default 1e-6.
      activation_fn: optional activation, default None.
      param_initializers: optional dict of initializers keyed beta/gamma.
      reuse: as usual.
      variables_collections: as usual.
      outputs_collections: as usual.
      trainable: as usual.
      data_format: ``'NHWC'`` (default, channels last) or ``'NCHW'`` (axis 1).
      scope: variable scope, default ``InstanceNorm`` made unique.

    Returns:
      The normalized tensor.

    Raises:
      ValueError: for an undefined rank, another ``data_format`` or an
        undefined channel dimension (slim's messages).
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", len(shape)) is None:
        raise ValueError(f"Inputs {tensor_name(inputs)} has undefined rank.")
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(
            f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
        )
    initializers = check_param_initializers(param_initializers)
    with variable_scope(scope, "InstanceNorm", reuse=reuse) as sc:
        axis = 1 if data_format == "NCHW" else len(shape) - 1
        if shape[axis] is None:
            raise ValueError(
                f"Inputs {tensor_name(inputs)} has undefined channels dimension "
                f"{tf.TensorShape([None])}."
            )
        return apply_norm(
            sc,
            lambda **kw: InstanceNorm(
                sc.name,
                center,
                scale,
                epsilon,
                activation_name(activation_fn),
                initializers,
                data_format,
                trainable=trainable,
                **kw,
            ),
            inputs,
            center,
            scale,
            variables_collections,
            outputs_collections,
        )
