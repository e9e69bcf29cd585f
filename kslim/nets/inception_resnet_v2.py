"""Contains the definition of the Inception Resnet V2 architecture.

As described in http://arxiv.org/abs/1602.07261 (Szegedy, Ioffe, Vanhoucke, Alemi:
Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning).

The slim model zoo's net (tensorflow/models ``research/slim/nets/inception_resnet_v2.py``):
the same scopes, variable names (``InceptionResnetV2/Repeat_1/block17_3/Branch_1/...``),
end_points and options, so the published checkpoints load by name. The file is plain slim
code with TF ops (residual ``net += scaled_up``, ``slim.repeat`` over the blocks); with its
``import kslim as slim`` line changed to ``import tf_slim as slim`` it runs unchanged under
tf_slim (that is how its numbers are tested).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

import kslim as slim

__all__ = [
    "block17",
    "block35",
    "block8",
    "inception_resnet_v2",
    "inception_resnet_v2_arg_scope",
    "inception_resnet_v2_base",
]


def _residual(net: Any, up: Any, scale: float, activation_fn: Any) -> Any:
    """``activation_fn(net + scale * up)``; under relu6 the scaled residual is clipped."""
    scaled_up = up * scale
    if activation_fn == tf.nn.relu6:
        # A band-pass activation: keep the residual inside relu6's range too.
        scaled_up = tf.clip_by_value(scaled_up, -6.0, 6.0)
    net += scaled_up
    if activation_fn:
        net = activation_fn(net)
    return net


def block35(
    net: Any,
    scale: float = 1.0,
    activation_fn: Any = tf.nn.relu,
    scope: str | None = None,
    reuse: bool | None = None,
) -> Any:
    """Builds the 35x35 resnet block (Inception-ResNet-A).

    Args:
      net: a 4-D tensor ``[batch, height, width, channels]``.
      scale: the factor of the residual branch, default 1.0.
      activation_fn: applied after the residual sum, default ``tf.nn.relu``; None for
        none.
      scope: the variable scope, default ``'Block35'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      A tensor of the shape of ``net``.
    """
    with tf.compat.v1.variable_scope(scope, "Block35", [net], reuse=reuse):
        with tf.compat.v1.variable_scope("Branch_0"):
            tower_conv = slim.conv2d(net, 32, 1, scope="Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            tower_conv1_0 = slim.conv2d(net, 32, 1, scope="Conv2d_0a_1x1")
            tower_conv1_1 = slim.conv2d(tower_conv1_0, 32, 3, scope="Conv2d_0b_3x3")
        with tf.compat.v1.variable_scope("Branch_2"):
            tower_conv2_0 = slim.conv2d(net, 32, 1, scope="Conv2d_0a_1x1")
            tower_conv2_1 = slim.conv2d(tower_conv2_0, 48, 3, scope="Conv2d_0b_3x3")
            tower_conv2_2 = slim.conv2d(tower_conv2_1, 64, 3, scope="Conv2d_0c_3x3")
        mixed = tf.concat(axis=3, values=[tower_conv, tower_conv1_1, tower_conv2_2])
        up = slim.conv2d(
            mixed,
            net.get_shape()[3],
            1,
            normalizer_fn=None,
            activation_fn=None,
            scope="Conv2d_1x1",
        )
        net = _residual(net, up, scale, activation_fn)
    return net


def block17(
    net: Any,
    scale: float = 1.0,
    activation_fn: Any = tf.nn.relu,
    scope: str | None = None,
    reuse: bool | None = None,
) -> Any:
    """Builds the 17x17 resnet block (Inception-ResNet-B).

    Args:
      net: a 4-D tensor ``[batch, height, width, channels]``.
      scale: the factor of the residual branch, default 1.0.
      activation_fn: applied after the residual sum, default ``tf.nn.relu``; None for
        none.
      scope: the variable scope, default ``'Block17'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      A tensor of the shape of ``net``.
    """
    with tf.compat.v1.variable_scope(scope, "Block17", [net], reuse=reuse):
        with tf.compat.v1.variable_scope("Branch_0"):
            tower_conv = slim.conv2d(net, 192, 1, scope="Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            tower_conv1_0 = slim.conv2d(net, 128, 1, scope="Conv2d_0a_1x1")
            tower_conv1_1 = slim.conv2d(tower_conv1_0, 160, [1, 7], scope="Conv2d_0b_1x7")
            tower_conv1_2 = slim.conv2d(tower_conv1_1, 192, [7, 1], scope="Conv2d_0c_7x1")
        mixed = tf.concat(axis=3, values=[tower_conv, tower_conv1_2])
        up = slim.conv2d(
            mixed,
            net.get_shape()[3],
            1,
            normalizer_fn=None,
            activation_fn=None,
            scope="Conv2d_1x1",
        )
        net = _residual(net, up, scale, activation_fn)
    return net


def block8(
    net: Any,
    scale: float = 1.0,
    activation_fn: Any = tf.nn.relu,
    scope: str | None = None,
    reuse: bool | None = None,
) -> Any:
    """Builds the 8x8 resnet block (Inception-ResNet-C).

    Args:
      net: a 4-D tensor ``[batch, height, width, channels]``.
      scale: the factor of the residual branch, default 1.0.
      activation_fn: applied after the residual sum, default ``tf.nn.relu``; None for
        none.
      scope: the variable scope, default ``'Block8'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      A tensor of the shape of ``net``.
    """
    with tf.compat.v1.variable_scope(scope, "Block8", [net], reuse=reuse):
        with tf.compat.v1.variable_scope("Branch_0"):
            tower_conv = slim.conv2d(net, 192, 1, scope="Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            tower_conv1_0 = slim.conv2d(net, 192, 1, scope="Conv2d_0a_1x1")
            tower_conv1_1 = slim.conv2d(tower_conv1_0, 224, [1, 3], scope="Conv2d_0b_1x3")
            tower_conv1_2 = slim.conv2d(tower_conv1_1, 256, [3, 1], scope="Conv2d_0c_3x1")
        mixed = tf.concat(axis=3, values=[tower_conv, tower_conv1_2])
        up = slim.conv2d(
            mixed,
            net.get_shape()[3],
            1,
            normalizer_fn=None,
            activation_fn=None,
            scope="Conv2d_1x1",
        )
        net = _residual(net, up, scale, activation_fn)
    return net


_BASE_ENDPOINTS = (
    "Conv2d_1a_3x3",
    "Conv2d_2a_3x3",
    "Conv2d_2b_3x3",
    "MaxPool_3a_3x3",
    "Conv2d_3b_1x1",
    "Conv2d_4a_3x3",
    "MaxPool_5a_3x3",
    "Mixed_5b",
    "Mixed_6a",
    "PreAuxLogits",
    "Mixed_7a",
    "Conv2d_7b_1x1",
)
_OUTPUT_STRIDE_8_ERROR = (
    "output_stride==8 is only supported up to the PreAuxlogits end_point for now."
)


def inception_resnet_v2_base(
    inputs: Any,
    final_endpoint: str = "Conv2d_7b_1x1",
    output_stride: int = 16,
    align_feature_maps: bool = False,
    scope: Any = None,
    activation_fn: Any = tf.nn.relu,
) -> tuple[Any, dict]:
    """Creates the Inception Resnet V2 network up to the given final endpoint.

    Args:
      inputs: a 4-D tensor ``[batch_size, height, width, channels]``.
      final_endpoint: the endpoint to construct the network up to, default
        ``'Conv2d_7b_1x1'``; one of ``'Conv2d_1a_3x3'``, ``'Conv2d_2a_3x3'``,
        ``'Conv2d_2b_3x3'``, ``'MaxPool_3a_3x3'``, ``'Conv2d_3b_1x1'``,
        ``'Conv2d_4a_3x3'``, ``'MaxPool_5a_3x3'``, ``'Mixed_5b'``, ``'Mixed_6a'``,
        ``'PreAuxLogits'``, ``'Mixed_7a'``, ``'Conv2d_7b_1x1'``.
      output_stride: the ratio of input to output spatial resolution, 8 or 16, default
        16. With 8, ``Mixed_6a`` keeps its resolution and the 17x17 blocks use atrous
        rate 2; the network can then be built only up to ``'PreAuxLogits'``.
      align_feature_maps: whether every VALID padding becomes SAME, so feature maps
        are aligned with the input, default False.
      scope: the variable scope (a name or a scope object), default
        ``'InceptionResnetV2'``.
      activation_fn: the activation after each residual block, default ``tf.nn.relu``.

    Returns:
      ``(net, end_points)``: the tensor of ``final_endpoint`` and a dict of every
      endpoint built so far.

    Raises:
      ValueError: if ``final_endpoint`` is not one of the endpoints above, if
        ``output_stride`` is not 8 or 16, or if it is 8 and ``final_endpoint`` lies
        after ``'PreAuxLogits'``.
    """
    if output_stride != 8 and output_stride != 16:
        raise ValueError("output_stride must be 8 or 16.")
    if final_endpoint not in _BASE_ENDPOINTS:
        raise ValueError("final_endpoint (%s) not recognized" % final_endpoint)
    if output_stride == 8 and _BASE_ENDPOINTS.index(final_endpoint) > _BASE_ENDPOINTS.index(
        "PreAuxLogits"
    ):
        # slim raises this after building up to PreAuxLogits; say it before building.
        raise ValueError(_OUTPUT_STRIDE_8_ERROR)

    padding = "SAME" if align_feature_maps else "VALID"

    end_points = {}

    def add_and_check_final(name, net):
        end_points[name] = net
        return name == final_endpoint

    with tf.compat.v1.variable_scope(scope, "InceptionResnetV2", [inputs]):
        with slim.arg_scope(
            [slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"
        ):
            # 149 x 149 x 32
            net = slim.conv2d(inputs, 32, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3")
            if add_and_check_final("Conv2d_1a_3x3", net):
                return net, end_points
            # 147 x 147 x 32
            net = slim.conv2d(net, 32, 3, padding=padding, scope="Conv2d_2a_3x3")
            if add_and_check_final("Conv2d_2a_3x3", net):
                return net, end_points
            # 147 x 147 x 64
            net = slim.conv2d(net, 64, 3, scope="Conv2d_2b_3x3")
            if add_and_check_final("Conv2d_2b_3x3", net):
                return net, end_points
            # 73 x 73 x 64
            net = slim.max_pool2d(net, 3, stride=2, padding=padding, scope="MaxPool_3a_3x3")
            if add_and_check_final("MaxPool_3a_3x3", net):
                return net, end_points
            # 73 x 73 x 80
            net = slim.conv2d(net, 80, 1, padding=padding, scope="Conv2d_3b_1x1")
            if add_and_check_final("Conv2d_3b_1x1", net):
                return net, end_points
            # 71 x 71 x 192
            net = slim.conv2d(net, 192, 3, padding=padding, scope="Conv2d_4a_3x3")
            if add_and_check_final("Conv2d_4a_3x3", net):
                return net, end_points
            # 35 x 35 x 192
            net = slim.max_pool2d(net, 3, stride=2, padding=padding, scope="MaxPool_5a_3x3")
            if add_and_check_final("MaxPool_5a_3x3", net):
                return net, end_points

            # 35 x 35 x 320
            with tf.compat.v1.variable_scope("Mixed_5b"):
                with tf.compat.v1.variable_scope("Branch_0"):
                    tower_conv = slim.conv2d(net, 96, 1, scope="Conv2d_1x1")
                with tf.compat.v1.variable_scope("Branch_1"):
                    tower_conv1_0 = slim.conv2d(net, 48, 1, scope="Conv2d_0a_1x1")
                    tower_conv1_1 = slim.conv2d(tower_conv1_0, 64, 5, scope="Conv2d_0b_5x5")
                with tf.compat.v1.variable_scope("Branch_2"):
                    tower_conv2_0 = slim.conv2d(net, 64, 1, scope="Conv2d_0a_1x1")
                    tower_conv2_1 = slim.conv2d(tower_conv2_0, 96, 3, scope="Conv2d_0b_3x3")
                    tower_conv2_2 = slim.conv2d(tower_conv2_1, 96, 3, scope="Conv2d_0c_3x3")
                with tf.compat.v1.variable_scope("Branch_3"):
                    tower_pool = slim.avg_pool2d(
                        net, 3, stride=1, padding="SAME", scope="AvgPool_0a_3x3"
                    )
                    tower_pool_1 = slim.conv2d(tower_pool, 64, 1, scope="Conv2d_0b_1x1")
                net = tf.concat([tower_conv, tower_conv1_1, tower_conv2_2, tower_pool_1], 3)
            if add_and_check_final("Mixed_5b", net):
                return net, end_points

            net = slim.repeat(net, 10, block35, scale=0.17, activation_fn=activation_fn)

            # 17 x 17 x 1088 (33 x 33 x 1088 with output_stride 8)
            use_atrous = output_stride == 8
            reduction_stride = 1 if use_atrous else 2

            with tf.compat.v1.variable_scope("Mixed_6a"):
                with tf.compat.v1.variable_scope("Branch_0"):
                    tower_conv = slim.conv2d(
                        net,
                        384,
                        3,
                        stride=reduction_stride,
                        padding=padding,
                        scope="Conv2d_1a_3x3",
                    )
                with tf.compat.v1.variable_scope("Branch_1"):
                    tower_conv1_0 = slim.conv2d(net, 256, 1, scope="Conv2d_0a_1x1")
                    tower_conv1_1 = slim.conv2d(tower_conv1_0, 256, 3, scope="Conv2d_0b_3x3")
                    tower_conv1_2 = slim.conv2d(
                        tower_conv1_1,
                        384,
                        3,
                        stride=reduction_stride,
                        padding=padding,
                        scope="Conv2d_1a_3x3",
                    )
                with tf.compat.v1.variable_scope("Branch_2"):
                    tower_pool = slim.max_pool2d(
                        net, 3, stride=reduction_stride, padding=padding, scope="MaxPool_1a_3x3"
                    )
                net = tf.concat([tower_conv, tower_conv1_2, tower_pool], 3)
            if add_and_check_final("Mixed_6a", net):
                return net, end_points

            with slim.arg_scope([slim.conv2d], rate=2 if use_atrous else 1):
                net = slim.repeat(net, 20, block17, scale=0.10, activation_fn=activation_fn)
            if add_and_check_final("PreAuxLogits", net):
                return net, end_points

            # 8 x 8 x 2080
            with tf.compat.v1.variable_scope("Mixed_7a"):
                with tf.compat.v1.variable_scope("Branch_0"):
                    tower_conv = slim.conv2d(net, 256, 1, scope="Conv2d_0a_1x1")
                    tower_conv_1 = slim.conv2d(
                        tower_conv, 384, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_1"):
                    tower_conv1 = slim.conv2d(net, 256, 1, scope="Conv2d_0a_1x1")
                    tower_conv1_1 = slim.conv2d(
                        tower_conv1, 288, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_2"):
                    tower_conv2 = slim.conv2d(net, 256, 1, scope="Conv2d_0a_1x1")
                    tower_conv2_1 = slim.conv2d(tower_conv2, 288, 3, scope="Conv2d_0b_3x3")
                    tower_conv2_2 = slim.conv2d(
                        tower_conv2_1, 320, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_3"):
                    tower_pool = slim.max_pool2d(
                        net, 3, stride=2, padding=padding, scope="MaxPool_1a_3x3"
                    )
                net = tf.concat([tower_conv_1, tower_conv1_1, tower_conv2_2, tower_pool], 3)
            if add_and_check_final("Mixed_7a", net):
                return net, end_points

            net = slim.repeat(net, 9, block8, scale=0.20, activation_fn=activation_fn)
            net = block8(net, activation_fn=None)

            # 8 x 8 x 1536
            net = slim.conv2d(net, 1536, 1, scope="Conv2d_7b_1x1")
            if add_and_check_final("Conv2d_7b_1x1", net):
                return net, end_points

    raise ValueError("final_endpoint (%s) not recognized" % final_endpoint)


def inception_resnet_v2(
    inputs: Any,
    num_classes: int | None = 1001,
    is_training: bool = True,
    dropout_keep_prob: float = 0.8,
    reuse: bool | None = None,
    scope: str = "InceptionResnetV2",
    create_aux_logits: bool = True,
    activation_fn: Any = tf.nn.relu,
) -> tuple[Any, dict]:
    """Creates the Inception Resnet V2 model.

    Args:
      inputs: a 4-D tensor ``[batch_size, height, width, 3]``
        (``inception_resnet_v2.default_image_size`` is 299). The batch size may be
        unknown; without the auxiliary logits, height and width may be too.
      num_classes: the number of predicted classes, default 1001. If 0 or None, the
        logits layer (and the auxiliary head) is omitted and the ``[batch, 1, 1, 1536]``
        global pool (before dropout) is returned instead.
      is_training: whether batch_norm and dropout are in training mode, default True.
      dropout_keep_prob: the fraction of activations kept before the logits, default 0.8.
      reuse: whether the network and its variables are re-used, default None (to re-use,
        ``scope`` must be given).
      scope: the variable scope, default ``'InceptionResnetV2'``.
      create_aux_logits: whether to build the auxiliary logits on ``PreAuxLogits``,
        default True.
      activation_fn: the activation after each residual block, default ``tf.nn.relu``.

    Returns:
      ``(net, end_points)``: ``net`` is the ``[batch, num_classes]`` logits, or the
      global pool when ``num_classes`` is 0 or None; ``end_points`` holds the base's
      endpoints, then ``AuxLogits``, ``global_pool``, ``PreLogitsFlatten``, ``Logits``
      and ``Predictions``.
    """
    end_points = {}

    with tf.compat.v1.variable_scope(scope, "InceptionResnetV2", [inputs], reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_resnet_v2_base(
                inputs, scope=scope, activation_fn=activation_fn
            )

            if create_aux_logits and num_classes:
                with tf.compat.v1.variable_scope("AuxLogits"):
                    aux = end_points["PreAuxLogits"]
                    aux = slim.avg_pool2d(aux, 5, stride=3, padding="VALID", scope="Conv2d_1a_3x3")
                    aux = slim.conv2d(aux, 128, 1, scope="Conv2d_1b_1x1")
                    aux = slim.conv2d(
                        aux, 768, aux.get_shape()[1:3], padding="VALID", scope="Conv2d_2a_5x5"
                    )
                    aux = slim.flatten(aux)
                    aux = slim.fully_connected(aux, num_classes, activation_fn=None, scope="Logits")
                    end_points["AuxLogits"] = aux

            with tf.compat.v1.variable_scope("Logits"):
                kernel_size = net.get_shape()[1:3]
                if kernel_size.is_fully_defined():
                    net = slim.avg_pool2d(net, kernel_size, padding="VALID", scope="AvgPool_1a_8x8")
                else:
                    net = tf.reduce_mean(
                        input_tensor=net, axis=[1, 2], keepdims=True, name="global_pool"
                    )
                end_points["global_pool"] = net
                if not num_classes:
                    return net, end_points
                net = slim.flatten(net)
                net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="Dropout")
                end_points["PreLogitsFlatten"] = net
                logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="Logits")
                end_points["Logits"] = logits
                end_points["Predictions"] = tf.nn.softmax(logits, name="Predictions")

    return logits, end_points


inception_resnet_v2.default_image_size = 299


def inception_resnet_v2_arg_scope(
    weight_decay: float = 0.00004,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 0.001,
    activation_fn: Any = tf.nn.relu,
    batch_norm_updates_collections: Any = tf.compat.v1.GraphKeys.UPDATE_OPS,
    batch_norm_scale: bool = False,
) -> dict:
    """Returns the arg scope with the default parameters of inception_resnet_v2.

    Args:
      weight_decay: l2 coefficient of the conv2d and fully_connected weights and
        biases, default 0.00004.
      batch_norm_decay: decay of the batch_norm moving averages, default 0.9997.
      batch_norm_epsilon: batch_norm epsilon, default 0.001.
      activation_fn: activation of the convolutions, default ``tf.nn.relu``.
      batch_norm_updates_collections: batch_norm's ``updates_collections``, default
        ``UPDATE_OPS``.
      batch_norm_scale: whether batch_norm has a ``gamma`` variable, default False.

    Returns:
      An ``arg_scope`` for ``slim.arg_scope``: conv2d and fully_connected get l2
      weights and biases regularizers; conv2d gets ``activation_fn`` and batch_norm
      with these params.
    """
    with slim.arg_scope(
        [slim.conv2d, slim.fully_connected],
        weights_regularizer=slim.l2_regularizer(weight_decay),
        biases_regularizer=slim.l2_regularizer(weight_decay),
    ):
        batch_norm_params = {
            "decay": batch_norm_decay,
            "epsilon": batch_norm_epsilon,
            "updates_collections": batch_norm_updates_collections,
            "fused": None,
            "scale": batch_norm_scale,
        }
        with slim.arg_scope(
            [slim.conv2d],
            activation_fn=activation_fn,
            normalizer_fn=slim.batch_norm,
            normalizer_params=batch_norm_params,
        ) as scope:
            return scope
