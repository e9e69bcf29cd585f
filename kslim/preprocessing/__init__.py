"""kslim.preprocessing: per-example image preprocessing by network name (slim's factory).

``preprocessing_factory.get_preprocessing('lenet')`` (or a zoo net's name:
``'inception_v3'``, ``'vgg_16'``, ``'cifarnet'``, ...) returns the function that the
``kslim train`` / ``kslim eval`` commands map over each example inside tf.data.
"""

from kslim.preprocessing import (
    cifarnet_preprocessing,
    inception_preprocessing,
    lenet_preprocessing,
    preprocessing_factory,
    vgg_preprocessing,
)

__all__ = [
    "cifarnet_preprocessing",
    "inception_preprocessing",
    "lenet_preprocessing",
    "preprocessing_factory",
    "vgg_preprocessing",
]
