"""slim.initializers (module alias of ``kslim.layers.initializers``)."""

from kslim.layers.initializers import (
    VarianceScaling,
    to_keras_initializer,
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)

__all__ = [
    "VarianceScaling",
    "to_keras_initializer",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
]
