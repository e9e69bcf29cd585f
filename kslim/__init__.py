"""kslim: TF-Slim on TensorFlow 2 and Keras 3.

``import kslim as slim`` gives tf_slim's top-level namespace. This file is the
public surface: an explicit list of re-exports, nothing defined here.
"""

from kslim import _backend

_backend.check_backend()

# ruff: noqa: E402, I001
from kslim.ops import tensor_surface as _tensor_surface, tf_op_layer as _tf_op_layer

# TF ops on Keras symbolic tensors become layers; KerasTensors answer the TF1 tensor API.
_tf_op_layer.install()
_tensor_surface.install()

from kslim import data, initializers, learning, losses, regularizers, summaries, utils
from kslim.learning import callbacks
from kslim import checkpoints
from kslim import layers
from kslim import metrics
from kslim import evaluation
from kslim.data import (
    data_decoder,
    data_provider,
    dataset,
    dataset_data_provider,
    parallel_reader,
    prefetch_queue,
    tfexample_decoder,
)
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
from kslim.layers.separable_convolution import separable_conv2d, separable_convolution2d
from kslim.layers.adaptive_clipping import adaptive_clipping_fn
from kslim.layers.bucketization import bucketize
from kslim.layers import optimizers
from kslim.layers.gdn import GDN, gdn
from kslim.layers.poincare import poincare_normalize
from kslim.layers.recompute_grad import recompute_grad
from kslim.layers.sparse import dense_to_sparse
from kslim.layers.summaries import (
    summarize_activation,
    summarize_activations,
    summarize_biases,
    summarize_collection,
    summarize_tensor,
    summarize_tensors,
    summarize_variables,
    summarize_weights,
)
from kslim.layers.batch_normalization import batch_norm
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
from kslim.layers.initializers import (
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)
from kslim.layers.layer_normalization import layer_norm
from kslim.layers.normalization import group_norm, instance_norm
from kslim.layers.pooling import avg_pool2d, avg_pool3d, max_pool2d, max_pool3d, pool
from kslim.layers.regularizers import (
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
)
from kslim.layers.spatial import images_to_sequence, sequence_to_images, spatial_softmax
from kslim.layers.transforms import maxout, one_hot_encoding, scale_gradient, softmax, unit_norm
from kslim.ops.arg_scope import (
    add_arg_scope,
    arg_scope,
    arg_scope_func_key,
    arg_scoped_arguments,
    current_arg_scope,
    has_arg_scope,
)
from kslim.ops.graph import (
    Graph,
    GraphKeys,
    add_to_collection,
    add_to_collections,
    get_collection,
    get_default_graph,
    reset_default_graph,
)
from kslim.ops.template import Template, make_template
from kslim.ops.variable_scope import (
    AUTO_REUSE,
    VariableScope,
    get_variable_scope,
    name_scope,
    variable_scope,
)
from kslim import export
from kslim import model_analyzer, normalization, queues, train_eval, training
from tensorflow.compat.v1 import train
from kslim.layers.optimize_loss import OPTIMIZER_CLS_NAMES, OPTIMIZER_SUMMARIES, optimize_loss
from kslim.variables import (
    VariableDeviceChooser,
    add_model_variable,
    assert_global_step,
    assert_or_get_global_step,
    assign_from_checkpoint,
    assign_from_checkpoint_fn,
    assign_from_values,
    assign_from_values_fn,
    create_global_step,
    filter_variables,
    get_global_step,
    get_local_variables,
    get_model_variables,
    get_or_create_global_step,
    get_trainable_variables,
    get_unique_variable,
    get_variable_full_name,
    get_variables,
    get_variables_by_name,
    get_variables_by_suffix,
    get_variables_to_restore,
    global_variable,
    local_variable,
    model_variable,
    variable,
)

# Last: the zoo net files do ``import kslim as slim`` and read ``slim.*`` at definition
# time (``prediction_fn=slim.softmax``), so the namespace above must be complete.
from kslim import nets

__version__ = "0.1.0"

__all__ = [
    "GDN",
    "OPTIMIZER_CLS_NAMES",
    "OPTIMIZER_SUMMARIES",
    "Template",
    "make_template",
    "AUTO_REUSE",
    "Graph",
    "GraphKeys",
    "VariableScope",
    "adaptive_clipping_fn",
    "add_arg_scope",
    "add_to_collection",
    "add_to_collections",
    "apply_regularization",
    "arg_scope",
    "arg_scope_func_key",
    "arg_scoped_arguments",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bias_add",
    "bucketize",
    "callbacks",
    "checkpoints",
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
    "current_arg_scope",
    "data",
    "data_decoder",
    "data_provider",
    "dataset",
    "dataset_data_provider",
    "dense_to_sparse",
    "dropout",
    "elu",
    "evaluation",
    "flatten",
    "fully_connected",
    "gdn",
    "get_collection",
    "get_default_graph",
    "get_variable_scope",
    "group_norm",
    "has_arg_scope",
    "images_to_sequence",
    "initializers",
    "instance_norm",
    "l1_l2_regularizer",
    "l1_regularizer",
    "l2_regularizer",
    "layer_norm",
    "layers",
    "learning",
    "linear",
    "losses",
    "max_pool2d",
    "max_pool3d",
    "model_analyzer",
    "normalization",
    "metrics",
    "maxout",
    "nets",
    "name_scope",
    "one_hot_encoding",
    "optimize_loss",
    "optimizers",
    "parallel_reader",
    "poincare_normalize",
    "pool",
    "prefetch_queue",
    "recompute_grad",
    "queues",
    "regularizers",
    "relu",
    "relu6",
    "repeat",
    "reset_default_graph",
    "scale_gradient",
    "separable_conv2d",
    "separable_convolution2d",
    "sequence_to_images",
    "softmax",
    "spatial_softmax",
    "stack",
    "sum_regularizer",
    "tfexample_decoder",
    "train",
    "train_eval",
    "training",
    "unit_norm",
    "summaries",
    "summarize_activation",
    "summarize_activations",
    "summarize_biases",
    "summarize_collection",
    "summarize_tensor",
    "summarize_tensors",
    "summarize_variables",
    "summarize_weights",
    "utils",
    "variable_scope",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
    "VariableDeviceChooser",
    "add_model_variable",
    "assert_global_step",
    "assert_or_get_global_step",
    "assign_from_checkpoint",
    "assign_from_checkpoint_fn",
    "assign_from_values",
    "assign_from_values_fn",
    "create_global_step",
    "export",
    "filter_variables",
    "get_global_step",
    "get_local_variables",
    "get_model_variables",
    "get_or_create_global_step",
    "get_trainable_variables",
    "get_unique_variable",
    "get_variable_full_name",
    "get_variables",
    "get_variables_by_name",
    "get_variables_by_suffix",
    "get_variables_to_restore",
    "global_variable",
    "local_variable",
    "model_variable",
    "variable",
]

from kslim.ops import tf1_compat as _tf1_compat

# tf.compat.v1 scopes, get_variable, collections and summaries act on kslim in TF2 behaviour.
_tf1_compat.install()
