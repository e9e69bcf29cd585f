"""slim.gdn / slim.GDN: generalized divisive normalization (Ballé et al.).

``y[i] = x[i] / sqrt(beta[i] + sum_j gamma[j, i] * x[j]**2)`` over channels (IGDN
multiplies instead). As in slim, the variables are the square roots
``<scope>/reparam_beta`` and ``<scope>/reparam_gamma``, bounded below with a gradient
that still lets the optimizer push them up, and offset by ``reparam_offset**2``.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import SlimLayer, call_layer, get_or_create_layer, is_symbolic
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import DTypeLike, Regularizer, Reuse, ShapeLike, Tensor

__all__ = ["GDN", "gdn"]

_CHANNEL_AXIS = {"channels_first": 1, "channels_last": -1}


@tf.custom_gradient
def _lower_bound(inputs: tf.Tensor, bound: tf.Tensor):
    """``tf.maximum(inputs, bound)`` whose gradient passes where it would raise ``inputs``."""

    def grad(upstream: tf.Tensor):
        passes = tf.logical_or(inputs >= bound, upstream < 0)
        return tf.cast(passes, upstream.dtype) * upstream, None

    return tf.maximum(inputs, bound), grad


@keras.saving.register_keras_serializable(package="kslim")
class GDN(SlimLayer):
    """Generalized divisive normalization with slim's variables and defaults.

    Args:
      inverse: False (default) computes GDN, True IGDN (multiplies by the norm).
      beta_min: lower bound of beta, default 1e-6.
      gamma_init: gamma starts as ``gamma_init * I``, default 0.1.
      reparam_offset: offset of the square-root parameterization, default 2**-18.
      data_format: ``'channels_last'`` (default) or ``'channels_first'``.
      activity_regularizer: optional ``fn(outputs) -> scalar`` (REGULARIZATION_LOSSES).
      trainable: whether beta and gamma are trained, default True.
      name: the variable scope (``gdn``); also the Keras layer name.
      scope: the full variable-scope path when created by ``gdn`` (defaults to name).

    Raises:
      ValueError: for another ``data_format``, an input rank outside 3..5 or an
        undefined channel dimension.
    """

    def __init__(
        self,
        inverse: bool = False,
        beta_min: float = 1e-6,
        gamma_init: float = 0.1,
        reparam_offset: float = 2**-18,
        data_format: str = "channels_last",
        activity_regularizer: Regularizer | None = None,
        trainable: bool = True,
        name: str | None = None,
        scope: str | None = None,
        **kwargs: Any,
    ) -> None:
        if data_format not in _CHANNEL_AXIS:
            raise ValueError(f"Unsupported `data_format` for GDN layer: {data_format}.")
        scope = scope or name or "gdn"
        kwargs.pop("activity_regularizer", None)
        super().__init__(scope, trainable=trainable, **kwargs)
        self.inverse = bool(inverse)
        self.beta_min = float(beta_min)
        self.gamma_init = float(gamma_init)
        self.reparam_offset = float(reparam_offset)
        self.data_format = data_format
        self.slim_activity_regularizer = activity_regularizer

    def build(self, input_shape: ShapeLike) -> None:
        """Creates the reparameterized ``beta`` and ``gamma`` for the input's channels."""
        rank = len(input_shape)
        if not 3 <= rank <= 5:
            raise ValueError(f"GDN: inputs must be of rank 3 to 5, got shape {tuple(input_shape)}")
        channels = input_shape[_CHANNEL_AXIS[self.data_format]]
        if channels is None:
            raise ValueError("The channel dimension of the inputs to `GDN` must be defined.")
        channels = int(channels)
        pedestal = self.reparam_offset**2
        gamma_init = self.gamma_init

        def beta_initializer(shape: ShapeLike, dtype: DTypeLike | None = None):
            return tf.sqrt(tf.ones(shape, dtype) + tf.constant(pedestal, dtype))

        def gamma_initializer(shape: ShapeLike, dtype: DTypeLike | None = None):
            eye = tf.eye(shape[0], dtype=dtype)
            return tf.sqrt(tf.constant(gamma_init, dtype) * eye + tf.constant(pedestal, dtype))

        self.reparam_beta = self.slim_weight(
            "reparam_beta", (channels,), beta_initializer, trainable=self.trainable
        )
        self.reparam_gamma = self.slim_weight(
            "reparam_gamma", (channels, channels), gamma_initializer, trainable=self.trainable
        )

    def _beta_gamma(self, dtype: DTypeLike):
        pedestal = tf.constant(self.reparam_offset**2, dtype)
        beta_bound = tf.constant((self.beta_min + self.reparam_offset**2) ** 0.5, dtype)
        gamma_bound = tf.constant(self.reparam_offset, dtype)
        beta = tf.square(_lower_bound(tf.convert_to_tensor(self.reparam_beta), beta_bound))
        gamma = tf.square(_lower_bound(tf.convert_to_tensor(self.reparam_gamma), gamma_bound))
        return beta - pedestal, gamma - pedestal

    def call(self, inputs: Tensor) -> tf.Tensor:
        """``inputs`` divided (inverse: multiplied) by the generalized divisive norm."""
        x = tf.convert_to_tensor(inputs)
        rank = x.shape.rank
        beta, gamma = self._beta_gamma(x.dtype)
        # slim runs a 1x1 convolution with kernel gamma: a sum over input channels,
        # written as an einsum so channels_first also runs on CPUs (no NCHW Conv2D).
        if self.data_format == "channels_first":
            norm = tf.einsum("nj...,ji->ni...", tf.square(x), gamma)
            norm = norm + tf.reshape(beta, [1, -1] + [1] * (rank - 2))
        else:
            norm = tf.einsum("...j,ji->...i", tf.square(x), gamma) + beta
        norm = tf.sqrt(norm)
        return x * norm if self.inverse else x / norm

    def compute_output_shape(self, input_shape: ShapeLike) -> tuple:
        """The input's shape: GDN keeps it."""
        return input_shape

    def apply(self, inputs: Tensor, *args: Any, **kwargs: Any) -> keras.KerasTensor | tf.Tensor:
        """TF1 layers' ``layer.apply(inputs)``: the same as calling the layer."""
        return self(inputs, *args, **kwargs)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization (not with an activity regularizer)."""
        if self.slim_activity_regularizer is not None:
            raise NotImplementedError(
                "GDN with an activity_regularizer cannot be serialized; rebuild it from code"
            )
        config = super().get_config()
        config.update(
            inverse=self.inverse,
            beta_min=self.beta_min,
            gamma_init=self.gamma_init,
            reparam_offset=self.reparam_offset,
            data_format=self.data_format,
        )
        return config


@keras.saving.register_keras_serializable(package="kslim")
class _ActivityPenalty(keras.layers.Layer):
    """``regularizer(outputs)`` as a scalar node of the functional graph."""

    def __init__(self, regularizer: Regularizer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.regularizer = regularizer

    def call(self, outputs: Tensor):
        return tf.cast(self.regularizer(outputs), tf.float32)

    def compute_output_spec(self, outputs: keras.KerasTensor):
        return keras.KerasTensor((), "float32")


def gdn(
    inputs: Tensor,
    inverse: bool = False,
    beta_min: float = 1e-6,
    gamma_init: float = 0.1,
    reparam_offset: float = 2**-18,
    data_format: str = "channels_last",
    activity_regularizer: Regularizer | None = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Reuse | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Generalized divisive normalization (variable scope ``name``, default ``gdn``).

    Variables ``<scope>/reparam_beta`` [C] and ``<scope>/reparam_gamma`` [C, C]
    (square roots of beta and gamma, slim's reparameterization), trainable,
    not model variables (slim's GDN is a core layer).

    Args:
      inputs: a float tensor or KerasTensor of rank 3 to 5 with known channels.
      inverse: False (default): GDN; True: IGDN.
      beta_min: lower bound of beta, default 1e-6.
      gamma_init: gamma starts as ``gamma_init * I``, default 0.1.
      reparam_offset: default 2**-18.
      data_format: ``'channels_last'`` (default) or ``'channels_first'``.
      activity_regularizer: optional ``fn(outputs) -> scalar``; its penalty
        joins REGULARIZATION_LOSSES.
      trainable: default True.
      name: the variable scope; None uses ``gdn`` made unique.
      reuse: re-use the layer of scope ``name``.

    Returns:
      The normalized tensor, shaped like ``inputs``.

    Raises:
      ValueError: for another ``data_format``, a rank outside 3..5, an
        undefined channel dimension, or slim's reuse errors.
    """
    if data_format not in _CHANNEL_AXIS:
        raise ValueError(f"Unsupported `data_format` for GDN layer: {data_format}.")
    with variable_scope(name, "gdn", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: GDN(
                inverse,
                beta_min,
                gamma_init,
                reparam_offset,
                data_format,
                activity_regularizer,
                trainable,
                scope=sc.name,
            ),
            "reparam_beta",
        )
        outputs = call_layer(layer, inputs, created)
        if created:
            # slim's GDN is a core layer: its variables are not model variables.
            graph = get_default_graph()
            ref = graph.get_collection_ref(GraphKeys.MODEL_VARIABLES)
            ids = {id(v) for v in layer.weights}
            ref[:] = [v for v in ref if id(v) not in ids]
        if layer.slim_activity_regularizer is not None:
            regularizer = layer.slim_activity_regularizer
            if is_symbolic(outputs):
                penalty = _ActivityPenalty(regularizer, name=f"{layer.name}.ActivityRegularizer")(
                    outputs
                )
            else:
                penalty = regularizer(outputs)
            get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, penalty)
        return outputs
