"""PNASNet-5 classification networks: Mobile and Large.

As described in https://arxiv.org/abs/1712.00559 (Liu, Zoph, Neumann, Shlens, Hua, Li,
Fei-Fei, Yuille, Huang, Murphy: Progressive Neural Architecture Search).

The slim model zoo's ``nets/nasnet/pnasnet.py`` (tensorflow/models ``research/slim``):
the same scopes, variable names (``cell_4/comb_iter_2/left/separable_3x3_1/
depthwise_weights``, ``aux_7/aux_logits/FC/weights``), end_points, hparams and
arg_scopes, so the published checkpoints load by name. PNASNet has one cell type;
the cells at the reduction positions stride it by 2. The file is plain slim code with
TF ops; with its ``import kslim as slim`` line changed to ``import tf_slim as slim`` it
runs unchanged under tf_slim. ``config`` and drop path work as in ``nasnet``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

import kslim as slim

from . import nasnet, nasnet_utils

__all__ = [
    "PNasNetNormalCell",
    "build_pnasnet_large",
    "build_pnasnet_mobile",
    "large_imagenet_config",
    "mobile_imagenet_config",
    "pnasnet_large_arg_scope",
    "pnasnet_mobile_arg_scope",
]


def large_imagenet_config() -> nasnet.HParams:
    """PNASNet-5 Large (331 x 331)."""
    return nasnet.HParams(
        stem_multiplier=3.0,
        dense_dropout_keep_prob=0.5,
        num_cells=12,
        filter_scaling_rate=2.0,
        num_conv_filters=216,
        drop_path_keep_prob=0.6,
        use_aux_head=1,
        num_reduction_layers=2,
        data_format="NHWC",
        skip_reduction_layer_input=1,
        total_training_steps=250000,
        use_bounded_activation=False,
    )


def mobile_imagenet_config() -> nasnet.HParams:
    """PNASNet-5 Mobile (224 x 224)."""
    return nasnet.HParams(
        stem_multiplier=1.0,
        dense_dropout_keep_prob=0.5,
        num_cells=9,
        filter_scaling_rate=2.0,
        num_conv_filters=54,
        drop_path_keep_prob=1.0,
        use_aux_head=1,
        num_reduction_layers=2,
        data_format="NHWC",
        skip_reduction_layer_input=1,
        total_training_steps=250000,
        use_bounded_activation=False,
    )


def pnasnet_large_arg_scope(
    weight_decay: float = 4e-5,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 0.001,
):
    """The arg_scope of PNASNet Large: NASNet Large's with these defaults."""
    return nasnet.nasnet_large_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def pnasnet_mobile_arg_scope(
    weight_decay: float = 4e-5,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 0.001,
):
    """The arg_scope of PNASNet Mobile: NASNet Mobile's with these defaults."""
    return nasnet.nasnet_mobile_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def _build_pnasnet_base(
    images, normal_cell, num_classes, hparams, is_training, final_endpoint=None, current_step=None
):
    """The PNASNet body: the ImageNet stem, the cells (strided at reductions), final layer."""
    end_points: dict[str, Any] = {}

    def add_and_check_endpoint(endpoint_name, net):
        end_points[endpoint_name] = net
        return bool(final_endpoint) and endpoint_name == final_endpoint

    reduction_indices = nasnet_utils.calc_reduction_layers(
        hparams.num_cells, hparams.num_reduction_layers
    )
    net, cell_outputs = nasnet._imagenet_stem(images, hparams, normal_cell, current_step)
    if add_and_check_endpoint("Stem", net):
        return net, end_points

    aux_head_cell_idxes = [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []
    activation_fn = tf.nn.relu6 if hparams.use_bounded_activation else tf.nn.relu

    filter_scaling = 1.0
    true_cell_num = 2  # the two stem cells come first
    prev_layer = None
    for cell_num in range(hparams.num_cells):
        is_reduction = cell_num in reduction_indices
        if is_reduction:
            filter_scaling *= hparams.filter_scaling_rate
        if hparams.skip_reduction_layer_input or not is_reduction:
            prev_layer = cell_outputs[-2]
        net = normal_cell(
            net,
            scope=f"cell_{cell_num}",
            filter_scaling=filter_scaling,
            stride=2 if is_reduction else 1,
            prev_layer=prev_layer,
            cell_num=true_cell_num,
            current_step=current_step,
        )
        if add_and_check_endpoint(f"Cell_{cell_num}", net):
            return net, end_points
        true_cell_num += 1
        cell_outputs.append(net)
        if hparams.use_aux_head and cell_num in aux_head_cell_idxes and num_classes and is_training:
            nasnet._build_aux_head(
                activation_fn(net), end_points, num_classes, hparams, scope=f"aux_{cell_num}"
            )

    return nasnet._final_layer(net, num_classes, hparams, add_and_check_endpoint), end_points


def _build_pnasnet(
    images, num_classes, is_training, final_endpoint, config, current_step, default_config
):
    hparams = nasnet._resolve_hparams(config, default_config, is_training)
    if hparams.data_format == "NCHW":
        images = tf.transpose(a=images, perm=[0, 3, 1, 2])
    # No separate reduction cells: the cells plus the two stem cells.
    total_num_cells = hparams.num_cells + 2
    normal_cell = PNasNetNormalCell(
        hparams.num_conv_filters,
        hparams.drop_path_keep_prob,
        total_num_cells,
        hparams.total_training_steps,
        hparams.use_bounded_activation,
    )
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
            return _build_pnasnet_base(
                images,
                normal_cell=normal_cell,
                num_classes=num_classes,
                hparams=hparams,
                is_training=is_training,
                final_endpoint=final_endpoint,
                current_step=current_step,
            )


def build_pnasnet_large(
    images, num_classes, is_training=True, final_endpoint=None, config=None, current_step=None
):
    """PNASNet-5 Large for ImageNet (331 x 331 images).

    Args:
      images: ``[N, 331, 331, 3]`` images.
      num_classes: the number of classes; 0 or None returns the pooled features.
      is_training: training mode (batch norm, dropout, drop path, the aux head).
      final_endpoint: an end_point name to stop at (``'Cell_7'``), or None.
      config: an ``HParams`` (default ``large_imagenet_config()``) or a dict of overrides.
      current_step: the global step for drop path; None reads the graph's.

    Returns:
      ``(logits, end_points)``; with ``final_endpoint``, ``(that end_point, end_points)``.
    """
    return _build_pnasnet(
        images,
        num_classes,
        is_training,
        final_endpoint,
        config,
        current_step,
        large_imagenet_config,
    )


build_pnasnet_large.default_image_size = 331


def build_pnasnet_mobile(
    images, num_classes, is_training=True, final_endpoint=None, config=None, current_step=None
):
    """PNASNet-5 Mobile for ImageNet (224 x 224 images).

    Args: as ``build_pnasnet_large``; ``config`` defaults to ``mobile_imagenet_config()``.

    Returns:
      ``(logits, end_points)``; with ``final_endpoint``, ``(that end_point, end_points)``.
    """
    return _build_pnasnet(
        images,
        num_classes,
        is_training,
        final_endpoint,
        config,
        current_step,
        mobile_imagenet_config,
    )


build_pnasnet_mobile.default_image_size = 224


class PNasNetNormalCell(nasnet_utils.NasNetABaseCell):
    """The PNASNet-5 cell."""

    def __init__(
        self,
        num_conv_filters: int,
        drop_path_keep_prob: float,
        total_num_cells: int,
        total_training_steps: int,
        use_bounded_activation: bool = False,
    ) -> None:
        operations = [
            "separable_5x5_2",
            "max_pool_3x3",
            "separable_7x7_2",
            "max_pool_3x3",
            "separable_5x5_2",
            "separable_3x3_2",
            "separable_3x3_2",
            "max_pool_3x3",
            "separable_3x3_2",
            "none",
        ]
        used_hiddenstates = [1, 1, 0, 0, 0, 0, 0]
        hiddenstate_indices = [1, 1, 0, 0, 0, 0, 4, 0, 1, 0]
        super().__init__(
            num_conv_filters,
            operations,
            used_hiddenstates,
            hiddenstate_indices,
            drop_path_keep_prob,
            total_num_cells,
            total_training_steps,
            use_bounded_activation,
        )
