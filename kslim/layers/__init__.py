"""slim.layers: the layer functions (module ``kslim.layers``, as ``slim.layers``)."""

from kslim.layers.batch_normalization import batch_norm
from kslim.layers.composition import repeat, stack
from kslim.layers.convolution import (
    conv1d,
    conv2d,
    conv3d,
    convolution,
    convolution1d,
    convolution2d,
    convolution3d,
)
from kslim.layers.convolution_in_plane import conv2d_in_plane, convolution2d_in_plane
from kslim.layers.convolution_transpose import (
    conv2d_transpose,
    conv3d_transpose,
    convolution2d_transpose,
    convolution3d_transpose,
)
from kslim.layers.core import (
    bias_add,
    dropout,
    elu,
    flatten,
    fully_connected,
    linear,
    relu,
    relu6,
)
from kslim.layers.gdn import GDN, gdn
from kslim.layers.layer_normalization import layer_norm
from kslim.layers.normalization import group_norm, instance_norm
from kslim.layers.poincare import poincare_normalize
from kslim.layers.pooling import avg_pool2d, avg_pool3d, max_pool2d, max_pool3d, pool
from kslim.layers.separable_convolution import separable_conv2d, separable_convolution2d
from kslim.layers.sparse import dense_to_sparse
from kslim.layers.spatial import images_to_sequence, sequence_to_images, spatial_softmax
from kslim.layers.transforms import maxout, one_hot_encoding, scale_gradient, softmax, unit_norm

__all__ = [
    "GDN",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bias_add",
    "conv1d",
    "conv2d",
    "conv2d_in_plane",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "convolution",
    "convolution1d",
    "convolution2d",
    "convolution2d_in_plane",
    "convolution2d_transpose",
    "convolution3d",
    "convolution3d_transpose",
    "dense_to_sparse",
    "dropout",
    "elu",
    "flatten",
    "fully_connected",
    "gdn",
    "group_norm",
    "images_to_sequence",
    "instance_norm",
    "layer_norm",
    "linear",
    "max_pool2d",
    "max_pool3d",
    "maxout",
    "one_hot_encoding",
    "poincare_normalize",
    "pool",
    "relu",
    "relu6",
    "repeat",
    "scale_gradient",
    "separable_conv2d",
    "separable_convolution2d",
    "sequence_to_images",
    "softmax",
    "spatial_softmax",
    "stack",
    "unit_norm",
]
