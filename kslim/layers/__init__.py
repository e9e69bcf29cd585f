"""slim.layers: the layer functions (module ``kslim.layers``, as ``slim.layers``)."""

from kslim.layers.convolution import (
    conv1d,
    conv2d,
    conv3d,
    convolution,
    convolution1d,
    convolution2d,
    convolution3d,
)
from kslim.layers.core import dropout, elu, flatten, fully_connected, linear, relu, relu6
from kslim.layers.normalization import batch_norm
from kslim.layers.pooling import avg_pool2d, avg_pool3d, max_pool2d, max_pool3d, pool

__all__ = [
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "conv3d",
    "convolution",
    "convolution1d",
    "convolution2d",
    "convolution3d",
    "dropout",
    "elu",
    "flatten",
    "fully_connected",
    "linear",
    "max_pool2d",
    "max_pool3d",
    "pool",
    "relu",
    "relu6",
]
