"""Serialization helpers shared by kslim's layers with variables."""

from __future__ import annotations

from typing import Any

import keras

from kslim.layers.activations import get_activation, serialize_activation
from kslim.layers.initializers import to_keras_initializer


def ser_init(init: Any):
    """Config entry for an initializer."""
    init = to_keras_initializer(init)
    if init is None or isinstance(init, str):
        return init
    return keras.initializers.serialize(init)


def de_init(spec: Any):
    """Initializer from a config entry (or the object itself)."""
    if isinstance(spec, dict):
        return keras.initializers.deserialize(spec)
    return to_keras_initializer(spec)


def ser_reg(reg: Any):
    """Config entry for a regularizer."""
    if reg is None:
        return None
    return keras.regularizers.serialize(reg)


def de_reg(spec: Any):
    """Regularizer from a config entry (or the object itself)."""
    if isinstance(spec, dict):
        return keras.regularizers.deserialize(spec)
    return spec


def ser_act(act: Any):
    """Config entry for an activation."""
    return serialize_activation(act)


def de_act(spec: Any):
    """Activation callable from a config entry."""
    if isinstance(spec, dict):
        return keras.saving.deserialize_keras_object(spec)
    return get_activation(spec)
