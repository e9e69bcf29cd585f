"""MobileNet v2 (https://arxiv.org/abs/1801.04381).

The slim model zoo's net (tensorflow/models ``research/slim/nets/mobilenet/
mobilenet_v2.py``): the same scopes and variable names
(``MobilenetV2/expanded_conv_3/depthwise/depthwise_weights``), end_points and options as
the published checkpoints. The base model: 72.2% top-1 on ImageNet, 300M multiply-adds,
3.4M parameters. Plain slim code with TF ops: with its ``import kslim as slim`` line read
as ``import tf_slim as slim`` the file runs unchanged under tf_slim.

Usage::

    with slim.arg_scope(mobilenet_v2.training_scope()):
        logits, end_points = mobilenet_v2.mobilenet(images)
"""

from __future__ import annotations

import copy
import functools

import tensorflow as tf

import kslim as slim

from . import conv_blocks as ops
from . import mobilenet as lib

__all__ = [
    "V2_DEF",
    "V2_DEF_GROUP_NORM",
    "mobilenet",
    "mobilenet_base",
    "mobilenet_base_group_norm",
    "mobilenet_v2_035",
    "mobilenet_v2_050",
    "mobilenet_v2_140",
    "training_scope",
]

op = lib.op
expand_input = ops.expand_input_by_factor

# The batch norm and activation settings are part of the architecture (they change the
# inference graph), so they live here and not in training_scope.
# fmt: off
V2_DEF = dict(
    defaults={
        (slim.batch_norm,): {"center": True, "scale": True},
        (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
            "normalizer_fn": slim.batch_norm, "activation_fn": tf.nn.relu6,
        },
        (ops.expanded_conv,): {
            "expansion_size": expand_input(6),
            "split_expansion": 1,
            "normalizer_fn": slim.batch_norm,
            "residual": True,
        },
        (slim.conv2d, slim.separable_conv2d): {"padding": "SAME"},
    },
    spec=[
        op(slim.conv2d, stride=2, num_outputs=32, kernel_size=[3, 3]),
        op(ops.expanded_conv, expansion_size=expand_input(1, divisible_by=1), num_outputs=16),
        op(ops.expanded_conv, stride=2, num_outputs=24),
        op(ops.expanded_conv, stride=1, num_outputs=24),
        op(ops.expanded_conv, stride=2, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=2, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=2, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=320),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280),
    ],
)
# fmt: on

# MobileNet v2 with group normalization instead of batch norm.
V2_DEF_GROUP_NORM = copy.deepcopy(V2_DEF)
V2_DEF_GROUP_NORM["defaults"] = {
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        "normalizer_fn": slim.group_norm,
        "activation_fn": tf.nn.relu6,
    },
    (ops.expanded_conv,): {
        "expansion_size": expand_input(6),
        "split_expansion": 1,
        "normalizer_fn": slim.group_norm,
        "residual": True,
    },
    (slim.conv2d, slim.separable_conv2d): {"padding": "SAME"},
}


@slim.add_arg_scope
def mobilenet(
    input_tensor,
    num_classes=1001,
    depth_multiplier=1.0,
    scope="MobilenetV2",
    conv_defs=None,
    finegrain_classification_mode=False,
    min_depth=None,
    divisible_by=None,
    activation_fn=None,
    **kwargs,
):
    """MobileNet v2 (inference mode unless ``is_training=True`` or ``training_scope()``).

    Args:
      input_tensor: a tensor of shape [batch_size, height, width, 3].
      num_classes: number of classes, default 1001; 0 or None: no logits layer (the
        pooled features are returned).
      depth_multiplier: the multiplier of every layer's depth, default 1.0.
      scope: the variable scope, default ``MobilenetV2``.
      conv_defs: the architecture, default ``V2_DEF``.
      finegrain_classification_mode: keep the last layer (1280 channels) at full depth
        when ``depth_multiplier < 1`` (better on ImageNet-like problems), default
        False. Ignored when ``final_endpoint`` stops the base earlier.
      min_depth: if given, every layer has at least this many channels.
      divisible_by: if given, every layer's depth is a multiple of this.
      activation_fn: the activation of the convolutions, default None (``tf.nn.relu6``).
      **kwargs: passed to ``mobilenet.mobilenet``: ``prediction_fn``, ``reuse``,
        ``base_only``, ``spatial_squeeze``, ``final_endpoint``, ``output_stride``,
        ``use_explicit_padding``, ``is_training`` ...

    Returns:
      ``(logits, end_points)``.

    Raises:
      ValueError: when given ``multiplier`` (use ``depth_multiplier``).
    """
    if conv_defs is None:
        conv_defs = V2_DEF
    if "multiplier" in kwargs:
        raise ValueError(
            "mobilenetv2 doesn't support generic "
            'multiplier parameter use "depth_multiplier" instead.'
        )
    if finegrain_classification_mode:
        conv_defs = copy.deepcopy(conv_defs)
        if depth_multiplier < 1:
            conv_defs["spec"][-1].params["num_outputs"] /= depth_multiplier
    if activation_fn:
        conv_defs = copy.deepcopy(conv_defs)
        defaults = conv_defs["defaults"]
        conv_defaults = defaults[(slim.conv2d, slim.fully_connected, slim.separable_conv2d)]
        conv_defaults["activation_fn"] = activation_fn

    # Only what is given: an outer arg_scope may set depth_multiplier's own defaults.
    depth_args = {}
    if min_depth is not None:
        depth_args["min_depth"] = min_depth
    if divisible_by is not None:
        depth_args["divisible_by"] = divisible_by

    with slim.arg_scope((lib.depth_multiplier,), **depth_args):
        return lib.mobilenet(
            input_tensor,
            num_classes=num_classes,
            conv_defs=conv_defs,
            scope=scope,
            multiplier=depth_multiplier,
            **kwargs,
        )


mobilenet.default_image_size = 224


def wrapped_partial(func, *args, **kwargs):
    """``functools.partial`` that keeps ``func``'s name, docstring and attributes."""
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


# The smaller nets keep their last layer at full depth (finegrain_classification_mode).
mobilenet_v2_140 = wrapped_partial(mobilenet, depth_multiplier=1.4)
mobilenet_v2_050 = wrapped_partial(
    mobilenet, depth_multiplier=0.50, finegrain_classification_mode=True
)
mobilenet_v2_035 = wrapped_partial(
    mobilenet, depth_multiplier=0.35, finegrain_classification_mode=True
)


@slim.add_arg_scope
def mobilenet_base(input_tensor, depth_multiplier=1.0, **kwargs):
    """The base of MobileNet v2 (no pooling, no logits): ``(net, end_points)``."""
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True, **kwargs)


@slim.add_arg_scope
def mobilenet_base_group_norm(input_tensor, depth_multiplier=1.0, groups=8, **kwargs):
    """The base of MobileNet v2 with group normalization (``groups`` groups, default 8)."""
    conv_defs = copy.deepcopy(V2_DEF_GROUP_NORM)
    conv_defs["defaults"][(slim.group_norm,)] = {"groups": groups}
    kwargs["conv_defs"] = conv_defs
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True, **kwargs)


def training_scope(**kwargs):
    """The MobileNet v2 training arg_scope: ``mobilenet.training_scope(**kwargs)``.

    Args:
      **kwargs: ``is_training`` (default True), ``weight_decay`` (0.00004), ``stddev``
        (0.09; negative: Xavier), ``dropout_keep_prob`` (0.8), ``bn_decay`` (0.997).

    Returns:
      An arg_scope dict for ``slim.arg_scope``.
    """
    return lib.training_scope(**kwargs)
