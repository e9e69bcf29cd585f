"""NASNet-A classification networks: CIFAR, Mobile and Large.

As described in https://arxiv.org/abs/1707.07012 (Zoph, Vasudevan, Shlens, Le: Learning
Transferable Architectures for Scalable Image Recognition).

The slim model zoo's ``nets/nasnet/nasnet.py`` (tensorflow/models ``research/slim``):
the same scopes, variable names (``cell_11/comb_iter_4/left/bn_sep_3x3_2/gamma``,
``aux_7/aux_logits/FC/weights``, ``final_layer/FC/biases``), end_points, hparams and
arg_scopes, so the published checkpoints load by name. The file is plain slim code with
TF ops; with its ``import kslim as slim`` line changed to ``import tf_slim as slim`` (and
the sibling import pointed at that copy) it runs unchanged under tf_slim, which is how
its numbers are tested.

``config`` is an ``HParams`` (``cifar_config()``, ``mobile_imagenet_config()``,
``large_imagenet_config()``, possibly changed), or a dict of hparams to override in the
net's default config: ``build_nasnet_mobile(images, 1001, config={'num_cells': 6})``.

Drop path (``drop_path_keep_prob < 1``, training only) grows with the global step, read
as ``slim.get_or_create_global_step()`` when the net is built (created in the scope of
the first cell that needs it, as TF1 names it: ``cell_stem_0/comb_iter_0/left/
global_step``). Under kslim a Keras functional graph holds the value read then; pass
``current_step`` (a tensor, e.g. a model input) for a schedule that follows training.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import tensorflow as tf

import kslim as slim

from . import nasnet_utils

__all__ = [
    "HParams",
    "build_nasnet_cifar",
    "build_nasnet_large",
    "build_nasnet_mobile",
    "cifar_config",
    "large_imagenet_config",
    "mobile_imagenet_config",
    "nasnet_cifar_arg_scope",
    "nasnet_large_arg_scope",
    "nasnet_mobile_arg_scope",
]


class HParams:
    """The nets' hyperparameters: attributes, as ``tf.contrib.training.HParams``.

    ``HParams(num_cells=12, ...)``; ``hparams.num_cells``; ``set_hparam(name, value)``
    changes an existing one; ``values()`` returns them as a dict.
    """

    def __init__(self, **hparams: Any) -> None:
        self.__dict__.update(hparams)

    def set_hparam(self, name: str, value: Any) -> None:
        """Sets the existing hparam ``name`` to ``value``."""
        if name not in self.__dict__:
            raise ValueError(f"Unknown hparam {name!r}; known: {sorted(self.__dict__)}")
        setattr(self, name, value)

    def override_from_dict(self, values: Mapping[str, Any]) -> HParams:
        """Sets each hparam of ``values`` (all must exist); returns self."""
        for name, value in values.items():
            self.set_hparam(name, value)
        return self

    def values(self) -> dict[str, Any]:
        """The hparams as a dict."""
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"HParams({self.values()!r})"


# CIFAR training recipe of the zoo: batch 32, learning rate 0.025 with one cosine
# period, auxiliary head loss weight 0.4, gradients clipped to global norm 5.
def cifar_config() -> HParams:
    """NASNet-A 6 @ 768 for CIFAR-10."""
    return HParams(
        stem_multiplier=3.0,
        drop_path_keep_prob=0.6,
        num_cells=18,
        use_aux_head=1,
        num_conv_filters=32,
        dense_dropout_keep_prob=1.0,
        filter_scaling_rate=2.0,
        num_reduction_layers=2,
        data_format="NHWC",
        skip_reduction_layer_input=0,
        # 600 epochs of batch 32: the step at which drop path is at full strength.
        total_training_steps=937500,
        use_bounded_activation=False,
    )


# ImageNet recipe (large): batch 16 per replica on 100 replicas, learning rate
# 0.015 * 100 decayed by 0.97 every 2.4 epochs, aux weight 0.4, label smoothing 0.1,
# gradients clipped to global norm 10.
def large_imagenet_config() -> HParams:
    """NASNet-A 6 @ 4032 for ImageNet (331 x 331)."""
    return HParams(
        stem_multiplier=3.0,
        dense_dropout_keep_prob=0.5,
        num_cells=18,
        filter_scaling_rate=2.0,
        num_conv_filters=168,
        drop_path_keep_prob=0.7,
        use_aux_head=1,
        num_reduction_layers=2,
        data_format="NHWC",
        skip_reduction_layer_input=1,
        total_training_steps=250000,
        use_bounded_activation=False,
    )


# ImageNet recipe (mobile): batch 32 per replica on 50 replicas, learning rate
# 0.04 * 50 decayed by 0.97 every 2.4 epochs, aux weight 0.4, label smoothing 0.1,
# gradients clipped to global norm 10.
def mobile_imagenet_config() -> HParams:
    """NASNet-A 4 @ 1056 for ImageNet (224 x 224)."""
    return HParams(
        stem_multiplier=1.0,
        dense_dropout_keep_prob=0.5,
        num_cells=12,
        filter_scaling_rate=2.0,
        drop_path_keep_prob=1.0,
        num_conv_filters=44,
        use_aux_head=1,
        num_reduction_layers=2,
        data_format="NHWC",
        skip_reduction_layer_input=0,
        total_training_steps=250000,
        use_bounded_activation=False,
    )


def _resolve_hparams(config, default_config, is_training: bool) -> HParams:
    """A copy of ``config`` (an HParams, a dict of overrides, or None: the default)."""
    if config is None:
        hparams = default_config()
    elif isinstance(config, Mapping):
        hparams = default_config().override_from_dict(config)
    else:
        hparams = copy.deepcopy(config)
    if not is_training:
        hparams.set_hparam("drop_path_keep_prob", 1.0)
    return hparams


def _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon):
    batch_norm_params = {
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "scale": True,
        "fused": True,
    }
    weights_regularizer = slim.l2_regularizer(weight_decay)
    weights_initializer = slim.variance_scaling_initializer(mode="FAN_OUT")
    with slim.arg_scope(
        [slim.fully_connected, slim.conv2d, slim.separable_conv2d],
        weights_regularizer=weights_regularizer,
        weights_initializer=weights_initializer,
    ):
        with slim.arg_scope([slim.fully_connected], activation_fn=None, scope="FC"):
            with slim.arg_scope(
                [slim.conv2d, slim.separable_conv2d], activation_fn=None, biases_initializer=None
            ):
                with slim.arg_scope([slim.batch_norm], **batch_norm_params) as sc:
                    return sc


def nasnet_cifar_arg_scope(
    weight_decay: float = 5e-4, batch_norm_decay: float = 0.9, batch_norm_epsilon: float = 1e-5
):
    """The arg_scope of NASNet-A CIFAR.

    Args:
      weight_decay: l2 coefficient of the weights, default 5e-4.
      batch_norm_decay: decay of the batch norm moving averages, default 0.9.
      batch_norm_epsilon: batch norm epsilon, default 1e-5.

    Returns:
      An arg_scope: variance scaling (fan out) initialization and l2 regularization of
      conv / separable conv / fully connected weights, no conv biases or activations,
      batch norm with scale.
    """
    return _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_mobile_arg_scope(
    weight_decay: float = 4e-5,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 1e-3,
):
    """The arg_scope of NASNet-A Mobile (defaults 4e-5, 0.9997, 1e-3); see the CIFAR one."""
    return _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_large_arg_scope(
    weight_decay: float = 5e-5,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 1e-3,
):
    """The arg_scope of NASNet-A Large (defaults 5e-5, 0.9997, 1e-3); see the CIFAR one."""
    return _nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def _build_aux_head(net, end_points, num_classes, hparams, scope):
    """The auxiliary classifier: avg pool, 1x1 conv, full-size conv, fully connected."""
    activation_fn = tf.nn.relu6 if hparams.use_bounded_activation else tf.nn.relu
    with tf.compat.v1.variable_scope(scope):
        aux_logits = tf.identity(net)
        with tf.compat.v1.variable_scope("aux_logits"):
            aux_logits = slim.avg_pool2d(aux_logits, [5, 5], stride=3, padding="VALID")
            aux_logits = slim.conv2d(aux_logits, 128, [1, 1], scope="proj")
            aux_logits = slim.batch_norm(aux_logits, scope="aux_bn0")
            aux_logits = activation_fn(aux_logits)
            shape = aux_logits.get_shape().as_list()
            kernel = shape[1:3] if hparams.data_format == "NHWC" else shape[2:4]
            aux_logits = slim.conv2d(aux_logits, 768, kernel, padding="VALID")
            aux_logits = slim.batch_norm(aux_logits, scope="aux_bn1")
            aux_logits = activation_fn(aux_logits)
            aux_logits = slim.flatten(aux_logits)
            aux_logits = slim.fully_connected(aux_logits, num_classes)
            end_points["AuxLogits"] = aux_logits


def _imagenet_stem(inputs, hparams, stem_cell, current_step=None):
    """The ImageNet stem: a strided 3x3 conv and two strided stem cells."""
    num_stem_cells = 2
    num_stem_filters = int(32 * hparams.stem_multiplier)
    net = slim.conv2d(inputs, num_stem_filters, [3, 3], stride=2, scope="conv0", padding="VALID")
    net = slim.batch_norm(net, scope="conv0_bn")

    cell_outputs = [None, net]
    filter_scaling = 1.0 / (hparams.filter_scaling_rate**num_stem_cells)
    for cell_num in range(num_stem_cells):
        net = stem_cell(
            net,
            scope=f"cell_stem_{cell_num}",
            filter_scaling=filter_scaling,
            stride=2,
            prev_layer=cell_outputs[-2],
            cell_num=cell_num,
            current_step=current_step,
        )
        cell_outputs.append(net)
        filter_scaling *= hparams.filter_scaling_rate
    return net, cell_outputs


def _cifar_stem(inputs, hparams):
    """The CIFAR stem: one 3x3 conv."""
    num_stem_filters = int(hparams.num_conv_filters * hparams.stem_multiplier)
    net = slim.conv2d(inputs, num_stem_filters, 3, scope="l1_stem_3x3")
    net = slim.batch_norm(net, scope="l1_stem_bn")
    return net, [None, net]


def _build_nasnet(
    images,
    num_classes,
    is_training,
    final_endpoint,
    config,
    current_step,
    default_config,
    stem_type,
):
    hparams = _resolve_hparams(config, default_config, is_training)
    if hparams.data_format == "NCHW":
        images = tf.transpose(a=images, perm=[0, 3, 1, 2])

    # The reduction cells count as cells for the drop path depth; so do the two stem
    # cells of the ImageNet nets.
    total_num_cells = hparams.num_cells + 2 + (2 if stem_type == "imagenet" else 0)
    cell_args = (
        hparams.num_conv_filters,
        hparams.drop_path_keep_prob,
        total_num_cells,
        hparams.total_training_steps,
        hparams.use_bounded_activation,
    )
    normal_cell = nasnet_utils.NasNetANormalCell(*cell_args)
    reduction_cell = nasnet_utils.NasNetAReductionCell(*cell_args)
    with slim.arg_scope(
        [slim.dropout, nasnet_utils.drop_path, slim.batch_norm], is_training=is_training
    ):
        with slim.arg_scope(
            [
                slim.avg_pool2d,
                slim.max_pool2d,
                slim.conv2d,
                slim.batch_norm,
                slim.separable_conv2d,
                nasnet_utils.factorized_reduction,
                nasnet_utils.global_avg_pool,
                nasnet_utils.get_channel_index,
                nasnet_utils.get_channel_dim,
            ],
            data_format=hparams.data_format,
        ):
            return _build_nasnet_base(
                images,
                normal_cell=normal_cell,
                reduction_cell=reduction_cell,
                num_classes=num_classes,
                hparams=hparams,
                is_training=is_training,
                stem_type=stem_type,
                final_endpoint=final_endpoint,
                current_step=current_step,
            )


def build_nasnet_cifar(
    images, num_classes, is_training=True, config=None, current_step=None, final_endpoint=None
):
    """NASNet-A for CIFAR-10 (32 x 32 images).

    Args:
      images: ``[N, 32, 32, 3]`` images.
      num_classes: the number of classes; 0 or None returns the pooled features.
      is_training: training mode (batch norm, dropout, drop path, the aux head).
      config: an ``HParams`` (default ``cifar_config()``) or a dict of overrides.
      current_step: the global step for drop path; None reads the graph's.
      final_endpoint: an end_point name to stop at (``'Cell_5'``), or None.

    Returns:
      ``(logits, end_points)``; with ``final_endpoint``, ``(that end_point, end_points)``.
    """
    return _build_nasnet(
        images,
        num_classes,
        is_training,
        final_endpoint,
        config,
        current_step,
        cifar_config,
        "cifar",
    )


build_nasnet_cifar.default_image_size = 32


def build_nasnet_mobile(
    images, num_classes, is_training=True, final_endpoint=None, config=None, current_step=None
):
    """NASNet-A Mobile (4 @ 1056) for ImageNet (224 x 224 images).

    Args: as ``build_nasnet_cifar``; ``config`` defaults to ``mobile_imagenet_config()``.

    Returns:
      ``(logits, end_points)``; with ``final_endpoint``, ``(that end_point, end_points)``.
    """
    return _build_nasnet(
        images,
        num_classes,
        is_training,
        final_endpoint,
        config,
        current_step,
        mobile_imagenet_config,
        "imagenet",
    )


build_nasnet_mobile.default_image_size = 224


def build_nasnet_large(
    images, num_classes, is_training=True, final_endpoint=None, config=None, current_step=None
):
    """NASNet-A Large (6 @ 4032) for ImageNet (331 x 331 images).

    Args: as ``build_nasnet_cifar``; ``config`` defaults to ``large_imagenet_config()``.

    Returns:
      ``(logits, end_points)``; with ``final_endpoint``, ``(that end_point, end_points)``.
    """
    return _build_nasnet(
        images,
        num_classes,
        is_training,
        final_endpoint,
        config,
        current_step,
        large_imagenet_config,
        "imagenet",
    )


build_nasnet_large.default_image_size = 331


def _final_layer(net, num_classes, hparams, add_and_check_endpoint):
    """relu, global average pool, dropout, logits, softmax (in ``final_layer``)."""
    activation_fn = tf.nn.relu6 if hparams.use_bounded_activation else tf.nn.relu
    with tf.compat.v1.variable_scope("final_layer"):
        net = activation_fn(net)
        net = nasnet_utils.global_avg_pool(net)
        if add_and_check_endpoint("global_pool", net) or not num_classes:
            return net
        net = slim.dropout(net, hparams.dense_dropout_keep_prob, scope="dropout")
        logits = slim.fully_connected(net, num_classes)
        if add_and_check_endpoint("Logits", logits):
            return logits
        predictions = tf.nn.softmax(logits, name="predictions")
        if add_and_check_endpoint("Predictions", predictions):
            return predictions
    return logits


def _build_nasnet_base(
    images,
    normal_cell,
    reduction_cell,
    num_classes,
    hparams,
    is_training,
    stem_type,
    final_endpoint=None,
    current_step=None,
):
    """The NASNet body: stem, normal cells with reduction cells between, final layer."""
    end_points: dict[str, Any] = {}

    def add_and_check_endpoint(endpoint_name, net):
        end_points[endpoint_name] = net
        return bool(final_endpoint) and endpoint_name == final_endpoint

    reduction_indices = nasnet_utils.calc_reduction_layers(
        hparams.num_cells, hparams.num_reduction_layers
    )
    if stem_type == "imagenet":
        net, cell_outputs = _imagenet_stem(images, hparams, reduction_cell, current_step)
    elif stem_type == "cifar":
        net, cell_outputs = _cifar_stem(images, hparams)
    else:
        raise ValueError(f"Unknown stem_type: {stem_type!r}")
    if add_and_check_endpoint("Stem", net):
        return net, end_points

    # The auxiliary head sits on the cell before the second reduction.
    aux_head_cell_idxes = [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []
    activation_fn = tf.nn.relu6 if hparams.use_bounded_activation else tf.nn.relu

    filter_scaling = 1.0
    true_cell_num = 2 if stem_type == "imagenet" else 0  # the stem cells come first
    prev_layer = None
    for cell_num in range(hparams.num_cells):
        if hparams.skip_reduction_layer_input:
            prev_layer = cell_outputs[-2]
        if cell_num in reduction_indices:
            filter_scaling *= hparams.filter_scaling_rate
            reduction_num = reduction_indices.index(cell_num)
            net = reduction_cell(
                net,
                scope=f"reduction_cell_{reduction_num}",
                filter_scaling=filter_scaling,
                stride=2,
                prev_layer=cell_outputs[-2],
                cell_num=true_cell_num,
                current_step=current_step,
            )
            if add_and_check_endpoint(f"Reduction_Cell_{reduction_num}", net):
                return net, end_points
            true_cell_num += 1
            cell_outputs.append(net)
        if not hparams.skip_reduction_layer_input:
            prev_layer = cell_outputs[-2]
        net = normal_cell(
            net,
            scope=f"cell_{cell_num}",
            filter_scaling=filter_scaling,
            stride=1,
            prev_layer=prev_layer,
            cell_num=true_cell_num,
            current_step=current_step,
        )
        if add_and_check_endpoint(f"Cell_{cell_num}", net):
            return net, end_points
        true_cell_num += 1
        if hparams.use_aux_head and cell_num in aux_head_cell_idxes and num_classes and is_training:
            _build_aux_head(
                activation_fn(net), end_points, num_classes, hparams, scope=f"aux_{cell_num}"
            )
        cell_outputs.append(net)

    return _final_layer(net, num_classes, hparams, add_and_check_endpoint), end_points
