"""slim's initializers, and conversion of TF1/Keras initializers for kslim layers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from kslim.tensor_types import DTypeLike, ShapeLike

__all__ = [
    "xavier_initializer",
    "xavier_initializer_conv2d",
    "variance_scaling_initializer",
    "VarianceScaling",
    "to_keras_initializer",
]


@keras.saving.register_keras_serializable(package="kslim")
class VarianceScaling(keras.initializers.Initializer):
    """slim's ``variance_scaling_initializer``.

    ``n`` is fan_in, fan_out or their mean; uniform draws U(±sqrt(3·factor/n)),
    otherwise a truncated normal with stddev sqrt(1.3·factor/n) (slim's formula,
    not Keras' ``VarianceScaling``).

    Args:
      factor: multiplicative factor, default 2.0.
      mode: ``'FAN_IN'`` (default), ``'FAN_OUT'`` or ``'FAN_AVG'``.
      uniform: uniform instead of truncated normal, default False.
      seed: optional integer seed.
    """

    def __init__(
        self,
        factor: float = 2.0,
        mode: str = "FAN_IN",
        uniform: bool = False,
        seed: int | None = None,
    ) -> None:
        if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
            raise TypeError("Unknown mode %s [FAN_IN, FAN_OUT, FAN_AVG]" % mode)
        self.factor = float(factor)
        self.mode = mode
        self.uniform = bool(uniform)
        self.seed = seed

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None) -> tf.Tensor:
        """An initial value of ``shape`` and ``dtype``, scaled by slim's fan rule."""
        dtype = tf.as_dtype(dtype or "float32")
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = [int(d) for d in shape]
        if shape:
            fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
            fan_out = float(shape[-1])
        else:
            fan_in = fan_out = 1.0
        for dim in shape[:-2]:
            fan_in *= dim
            fan_out *= dim
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / n)
            if self.seed is not None:
                return tf.random.stateless_uniform(shape, [self.seed, 0], -limit, limit, dtype)
            return tf.random.uniform(shape, -limit, limit, dtype)
        stddev = math.sqrt(1.3 * self.factor / n)
        if self.seed is not None:
            return tf.random.stateless_truncated_normal(shape, [self.seed, 0], 0.0, stddev, dtype)
        return tf.random.truncated_normal(shape, 0.0, stddev, dtype)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        return {
            "factor": self.factor,
            "mode": self.mode,
            "uniform": self.uniform,
            "seed": self.seed,
        }


def variance_scaling_initializer(
    factor: float = 2.0,
    mode: str = "FAN_IN",
    uniform: bool = False,
    seed: int | None = None,
    dtype: DTypeLike = tf.float32,
) -> VarianceScaling:
    """slim's variance-scaling initializer (see ``VarianceScaling``).

    Raises:
      TypeError: for a non-floating ``dtype`` or an unknown ``mode``.
    """
    if not tf.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    return VarianceScaling(factor, mode, uniform, seed)


def xavier_initializer(
    uniform: bool = True, seed: int | None = None, dtype: DTypeLike = tf.float32
) -> keras.initializers.Initializer:
    """Glorot/Xavier initializer: ``variance_scaling(1.0, 'FAN_AVG', uniform)``.

    With ``uniform=True`` (default) this is exactly Keras' ``GlorotUniform``.
    """
    if not tf.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if uniform:
        return keras.initializers.GlorotUniform(seed=seed)
    return VarianceScaling(1.0, "FAN_AVG", False, seed)


xavier_initializer_conv2d = xavier_initializer


def _tf1_config(init: Any) -> dict:
    try:
        return init.get_config()
    except Exception:  # noqa: BLE001 - any object without a usable config
        return {}


def to_keras_initializer(init: Any) -> keras.initializers.Initializer | Callable | None:
    """Converts a slim/TF1/TF2/Keras initializer into a serializable Keras one.

    TF1 (``tf.compat.v1.*_initializer``) and ``tf.keras``/TF2 initializer
    objects of the common kinds map to their Keras equivalents (same
    distribution); Keras initializers, strings and other callables
    ``(shape, dtype)`` are returned as they are.

    Args:
      init: the initializer, or None.

    Returns:
      A Keras initializer, a callable, or None.
    """
    if init is None or isinstance(init, (keras.initializers.Initializer, str)):
        return init
    name = type(init).__name__
    cfg = _tf1_config(init)
    seed = cfg.get("seed")
    if name in ("Zeros", "ZerosInitializer", "zeros_initializer"):
        return keras.initializers.Zeros()
    if name in ("Ones", "OnesInitializer"):
        return keras.initializers.Ones()
    if name in ("Constant", "ConstantInitializer") and "value" in cfg:
        value = cfg["value"]
        if hasattr(value, "tolist"):
            value = value.tolist()
        return keras.initializers.Constant(value)
    if name in ("TruncatedNormal", "TruncatedNormalInitializer"):
        return keras.initializers.TruncatedNormal(
            cfg.get("mean", 0.0), cfg.get("stddev", 1.0), seed
        )
    if name in ("RandomNormal", "RandomNormalInitializer"):
        return keras.initializers.RandomNormal(cfg.get("mean", 0.0), cfg.get("stddev", 1.0), seed)
    if name in ("RandomUniform", "RandomUniformInitializer"):
        return keras.initializers.RandomUniform(
            cfg.get("minval", -0.05), cfg.get("maxval", 0.05), seed
        )
    if name in ("GlorotUniform", "glorot_uniform_initializer"):
        return keras.initializers.GlorotUniform(seed)
    if name in ("GlorotNormal", "glorot_normal_initializer"):
        return keras.initializers.GlorotNormal(seed)
    if name in ("VarianceScaling",) and "scale" in cfg:
        distribution = cfg.get("distribution", "truncated_normal")
        if distribution == "normal":
            distribution = "truncated_normal"
        return keras.initializers.VarianceScaling(
            cfg["scale"], cfg.get("mode", "fan_in"), distribution, seed
        )
    if name in ("Orthogonal", "OrthogonalInitializer"):
        return keras.initializers.Orthogonal(cfg.get("gain", 1.0), seed)
    if callable(init):
        return init
    raise TypeError(f"initializer must be callable, got {init!r} of type {name}")
