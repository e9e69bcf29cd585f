"""Contains the definition of the Inception V4 architecture.

As described in http://arxiv.org/abs/1602.07261 (Szegedy, Ioffe, Vanhoucke, Alemi:
Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning).

The slim model zoo's net (tensorflow/models ``research/slim/nets/inception_v4.py``):
the same scopes, variable names (``InceptionV4/Mixed_6b/Branch_1/Conv2d_0b_1x7/weights``),
end_points and options, so the published checkpoints load by name. The file is plain slim
code with TF ops; with its ``import kslim as slim`` line changed to ``import tf_slim as
slim`` it runs unchanged under tf_slim (that is how its numbers are tested).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

import kslim as slim

__all__ = [
    "block_inception_a",
    "block_inception_b",
    "block_inception_c",
    "block_reduction_a",
    "block_reduction_b",
    "inception_v4",
    "inception_v4_arg_scope",
    "inception_v4_base",
]

_BASE_ENDPOINTS = (
    "Conv2d_1a_3x3",
    "Conv2d_2a_3x3",
    "Conv2d_2b_3x3",
    "Mixed_3a",
    "Mixed_4a",
    "Mixed_5a",
    "Mixed_5b",
    "Mixed_5c",
    "Mixed_5d",
    "Mixed_5e",
    "Mixed_6a",
    "Mixed_6b",
    "Mixed_6c",
    "Mixed_6d",
    "Mixed_6e",
    "Mixed_6f",
    "Mixed_6g",
    "Mixed_6h",
    "Mixed_7a",
    "Mixed_7b",
    "Mixed_7c",
    "Mixed_7d",
)


def block_inception_a(inputs: Any, scope: str | None = None, reuse: bool | None = None) -> Any:
    """Builds the Inception-A block (35 x 35, 384 channels out).

    Args:
      inputs: a 4-D tensor ``[batch, height, width, channels]``.
      scope: the variable scope, default ``'BlockInceptionA'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      The concatenation of the four branches (96 channels each).
    """
    with slim.arg_scope([slim.conv2d, slim.avg_pool2d, slim.max_pool2d], stride=1, padding="SAME"):
        with tf.compat.v1.variable_scope(scope, "BlockInceptionA", [inputs], reuse=reuse):
            with tf.compat.v1.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 96, [1, 1], scope="Conv2d_0a_1x1")
            with tf.compat.v1.variable_scope("Branch_1"):
                branch_1 = slim.conv2d(inputs, 64, [1, 1], scope="Conv2d_0a_1x1")
                branch_1 = slim.conv2d(branch_1, 96, [3, 3], scope="Conv2d_0b_3x3")
            with tf.compat.v1.variable_scope("Branch_2"):
                branch_2 = slim.conv2d(inputs, 64, [1, 1], scope="Conv2d_0a_1x1")
                branch_2 = slim.conv2d(branch_2, 96, [3, 3], scope="Conv2d_0b_3x3")
                branch_2 = slim.conv2d(branch_2, 96, [3, 3], scope="Conv2d_0c_3x3")
            with tf.compat.v1.variable_scope("Branch_3"):
                branch_3 = slim.avg_pool2d(inputs, [3, 3], scope="AvgPool_0a_3x3")
                branch_3 = slim.conv2d(branch_3, 96, [1, 1], scope="Conv2d_0b_1x1")
            return tf.concat(axis=3, values=[branch_0, branch_1, branch_2, branch_3])


def block_reduction_a(inputs: Any, scope: str | None = None, reuse: bool | None = None) -> Any:
    """Builds the Reduction-A block (35 x 35 -> 17 x 17, 1024 channels out).

    Args:
      inputs: a 4-D tensor ``[batch, height, width, channels]``.
      scope: the variable scope, default ``'BlockReductionA'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      The concatenation of two strided conv branches and a max pool.
    """
    with slim.arg_scope([slim.conv2d, slim.avg_pool2d, slim.max_pool2d], stride=1, padding="SAME"):
        with tf.compat.v1.variable_scope(scope, "BlockReductionA", [inputs], reuse=reuse):
            with tf.compat.v1.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(
                    inputs, 384, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                )
            with tf.compat.v1.variable_scope("Branch_1"):
                branch_1 = slim.conv2d(inputs, 192, [1, 1], scope="Conv2d_0a_1x1")
                branch_1 = slim.conv2d(branch_1, 224, [3, 3], scope="Conv2d_0b_3x3")
                branch_1 = slim.conv2d(
                    branch_1, 256, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                )
            with tf.compat.v1.variable_scope("Branch_2"):
                branch_2 = slim.max_pool2d(
                    inputs, [3, 3], stride=2, padding="VALID", scope="MaxPool_1a_3x3"
                )
            return tf.concat(axis=3, values=[branch_0, branch_1, branch_2])


def block_inception_b(inputs: Any, scope: str | None = None, reuse: bool | None = None) -> Any:
    """Builds the Inception-B block (17 x 17, 1024 channels out).

    Args:
      inputs: a 4-D tensor ``[batch, height, width, channels]``.
      scope: the variable scope, default ``'BlockInceptionB'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      The concatenation of the four branches (384, 256, 256 and 128 channels).
    """
    with slim.arg_scope([slim.conv2d, slim.avg_pool2d, slim.max_pool2d], stride=1, padding="SAME"):
        with tf.compat.v1.variable_scope(scope, "BlockInceptionB", [inputs], reuse=reuse):
            with tf.compat.v1.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 384, [1, 1], scope="Conv2d_0a_1x1")
            with tf.compat.v1.variable_scope("Branch_1"):
                branch_1 = slim.conv2d(inputs, 192, [1, 1], scope="Conv2d_0a_1x1")
                branch_1 = slim.conv2d(branch_1, 224, [1, 7], scope="Conv2d_0b_1x7")
                branch_1 = slim.conv2d(branch_1, 256, [7, 1], scope="Conv2d_0c_7x1")
            with tf.compat.v1.variable_scope("Branch_2"):
                branch_2 = slim.conv2d(inputs, 192, [1, 1], scope="Conv2d_0a_1x1")
                branch_2 = slim.conv2d(branch_2, 192, [7, 1], scope="Conv2d_0b_7x1")
                branch_2 = slim.conv2d(branch_2, 224, [1, 7], scope="Conv2d_0c_1x7")
                branch_2 = slim.conv2d(branch_2, 224, [7, 1], scope="Conv2d_0d_7x1")
                branch_2 = slim.conv2d(branch_2, 256, [1, 7], scope="Conv2d_0e_1x7")
            with tf.compat.v1.variable_scope("Branch_3"):
                branch_3 = slim.avg_pool2d(inputs, [3, 3], scope="AvgPool_0a_3x3")
                branch_3 = slim.conv2d(branch_3, 128, [1, 1], scope="Conv2d_0b_1x1")
            return tf.concat(axis=3, values=[branch_0, branch_1, branch_2, branch_3])


def block_reduction_b(inputs: Any, scope: str | None = None, reuse: bool | None = None) -> Any:
    """Builds the Reduction-B block (17 x 17 -> 8 x 8, 1536 channels out).

    Args:
      inputs: a 4-D tensor ``[batch, height, width, channels]``.
      scope: the variable scope, default ``'BlockReductionB'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      The concatenation of two strided conv branches and a max pool.
    """
    with slim.arg_scope([slim.conv2d, slim.avg_pool2d, slim.max_pool2d], stride=1, padding="SAME"):
        with tf.compat.v1.variable_scope(scope, "BlockReductionB", [inputs], reuse=reuse):
            with tf.compat.v1.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 192, [1, 1], scope="Conv2d_0a_1x1")
                branch_0 = slim.conv2d(
                    branch_0, 192, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                )
            with tf.compat.v1.variable_scope("Branch_1"):
                branch_1 = slim.conv2d(inputs, 256, [1, 1], scope="Conv2d_0a_1x1")
                branch_1 = slim.conv2d(branch_1, 256, [1, 7], scope="Conv2d_0b_1x7")
                branch_1 = slim.conv2d(branch_1, 320, [7, 1], scope="Conv2d_0c_7x1")
                branch_1 = slim.conv2d(
                    branch_1, 320, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                )
            with tf.compat.v1.variable_scope("Branch_2"):
                branch_2 = slim.max_pool2d(
                    inputs, [3, 3], stride=2, padding="VALID", scope="MaxPool_1a_3x3"
                )
            return tf.concat(axis=3, values=[branch_0, branch_1, branch_2])


def block_inception_c(inputs: Any, scope: str | None = None, reuse: bool | None = None) -> Any:
    """Builds the Inception-C block (8 x 8, 1536 channels out).

    Args:
      inputs: a 4-D tensor ``[batch, height, width, channels]``.
      scope: the variable scope, default ``'BlockInceptionC'`` (made unique).
      reuse: whether the block's variables are re-used, default None.

    Returns:
      The concatenation of the four branches (256, 512, 512 and 256 channels); branches
      1 and 2 end in a 1x3 / 3x1 pair whose outputs are concatenated.
    """
    with slim.arg_scope([slim.conv2d, slim.avg_pool2d, slim.max_pool2d], stride=1, padding="SAME"):
        with tf.compat.v1.variable_scope(scope, "BlockInceptionC", [inputs], reuse=reuse):
            with tf.compat.v1.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 256, [1, 1], scope="Conv2d_0a_1x1")
            with tf.compat.v1.variable_scope("Branch_1"):
                branch_1 = slim.conv2d(inputs, 384, [1, 1], scope="Conv2d_0a_1x1")
                branch_1 = tf.concat(
                    axis=3,
                    values=[
                        slim.conv2d(branch_1, 256, [1, 3], scope="Conv2d_0b_1x3"),
                        slim.conv2d(branch_1, 256, [3, 1], scope="Conv2d_0c_3x1"),
                    ],
                )
            with tf.compat.v1.variable_scope("Branch_2"):
                branch_2 = slim.conv2d(inputs, 384, [1, 1], scope="Conv2d_0a_1x1")
                branch_2 = slim.conv2d(branch_2, 448, [3, 1], scope="Conv2d_0b_3x1")
                branch_2 = slim.conv2d(branch_2, 512, [1, 3], scope="Conv2d_0c_1x3")
                branch_2 = tf.concat(
                    axis=3,
                    values=[
                        slim.conv2d(branch_2, 256, [1, 3], scope="Conv2d_0d_1x3"),
                        slim.conv2d(branch_2, 256, [3, 1], scope="Conv2d_0e_3x1"),
                    ],
                )
            with tf.compat.v1.variable_scope("Branch_3"):
                branch_3 = slim.avg_pool2d(inputs, [3, 3], scope="AvgPool_0a_3x3")
                branch_3 = slim.conv2d(branch_3, 256, [1, 1], scope="Conv2d_0b_1x1")
            return tf.concat(axis=3, values=[branch_0, branch_1, branch_2, branch_3])


def inception_v4_base(
    inputs: Any, final_endpoint: str = "Mixed_7d", scope: Any = None
) -> tuple[Any, dict]:
    """Creates the Inception V4 network up to the given final endpoint.

    Args:
      inputs: a 4-D tensor ``[batch_size, height, width, 3]``.
      final_endpoint: the endpoint to construct the network up to, default
        ``'Mixed_7d'``; one of ``'Conv2d_1a_3x3'``, ``'Conv2d_2a_3x3'``,
        ``'Conv2d_2b_3x3'``, ``'Mixed_3a'``, ``'Mixed_4a'``, ``'Mixed_5a'`` ...
        ``'Mixed_5e'``, ``'Mixed_6a'`` ... ``'Mixed_6h'``, ``'Mixed_7a'`` ... ``'Mixed_7d'``.
      scope: the variable scope (a name or a scope object), default ``'InceptionV4'``.

    Returns:
      ``(net, end_points)``: the tensor of ``final_endpoint`` and a dict of every
      endpoint built so far.

    Raises:
      ValueError: if ``final_endpoint`` is not one of the endpoints above.
    """
    if final_endpoint not in _BASE_ENDPOINTS:
        raise ValueError("Unknown final endpoint %s" % final_endpoint)
    end_points = {}

    def add_and_check_final(name, net):
        end_points[name] = net
        return name == final_endpoint

    with tf.compat.v1.variable_scope(scope, "InceptionV4", [inputs]):
        with slim.arg_scope(
            [slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"
        ):
            # 299 x 299 x 3
            net = slim.conv2d(inputs, 32, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
            if add_and_check_final("Conv2d_1a_3x3", net):
                return net, end_points
            # 149 x 149 x 32
            net = slim.conv2d(net, 32, [3, 3], padding="VALID", scope="Conv2d_2a_3x3")
            if add_and_check_final("Conv2d_2a_3x3", net):
                return net, end_points
            # 147 x 147 x 32
            net = slim.conv2d(net, 64, [3, 3], scope="Conv2d_2b_3x3")
            if add_and_check_final("Conv2d_2b_3x3", net):
                return net, end_points
            # 147 x 147 x 64
            with tf.compat.v1.variable_scope("Mixed_3a"):
                with tf.compat.v1.variable_scope("Branch_0"):
                    branch_0 = slim.max_pool2d(
                        net, [3, 3], stride=2, padding="VALID", scope="MaxPool_0a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_1"):
                    branch_1 = slim.conv2d(
                        net, 96, [3, 3], stride=2, padding="VALID", scope="Conv2d_0a_3x3"
                    )
                net = tf.concat(axis=3, values=[branch_0, branch_1])
                if add_and_check_final("Mixed_3a", net):
                    return net, end_points
            # 73 x 73 x 160
            with tf.compat.v1.variable_scope("Mixed_4a"):
                with tf.compat.v1.variable_scope("Branch_0"):
                    branch_0 = slim.conv2d(net, 64, [1, 1], scope="Conv2d_0a_1x1")
                    branch_0 = slim.conv2d(
                        branch_0, 96, [3, 3], padding="VALID", scope="Conv2d_1a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_1"):
                    branch_1 = slim.conv2d(net, 64, [1, 1], scope="Conv2d_0a_1x1")
                    branch_1 = slim.conv2d(branch_1, 64, [1, 7], scope="Conv2d_0b_1x7")
                    branch_1 = slim.conv2d(branch_1, 64, [7, 1], scope="Conv2d_0c_7x1")
                    branch_1 = slim.conv2d(
                        branch_1, 96, [3, 3], padding="VALID", scope="Conv2d_1a_3x3"
                    )
                net = tf.concat(axis=3, values=[branch_0, branch_1])
                if add_and_check_final("Mixed_4a", net):
                    return net, end_points
            # 71 x 71 x 192
            with tf.compat.v1.variable_scope("Mixed_5a"):
                with tf.compat.v1.variable_scope("Branch_0"):
                    branch_0 = slim.conv2d(
                        net, 192, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3"
                    )
                with tf.compat.v1.variable_scope("Branch_1"):
                    branch_1 = slim.max_pool2d(
                        net, [3, 3], stride=2, padding="VALID", scope="MaxPool_1a_3x3"
                    )
                net = tf.concat(axis=3, values=[branch_0, branch_1])
                if add_and_check_final("Mixed_5a", net):
                    return net, end_points
            # 35 x 35 x 384: 4 Inception-A blocks
            for idx in range(4):
                block_scope = "Mixed_5" + chr(ord("b") + idx)
                net = block_inception_a(net, block_scope)
                if add_and_check_final(block_scope, net):
                    return net, end_points
            # 35 x 35 x 384 -> 17 x 17 x 1024: Reduction-A
            net = block_reduction_a(net, "Mixed_6a")
            if add_and_check_final("Mixed_6a", net):
                return net, end_points
            # 17 x 17 x 1024: 7 Inception-B blocks
            for idx in range(7):
                block_scope = "Mixed_6" + chr(ord("b") + idx)
                net = block_inception_b(net, block_scope)
                if add_and_check_final(block_scope, net):
                    return net, end_points
            # 17 x 17 x 1024 -> 8 x 8 x 1536: Reduction-B
            net = block_reduction_b(net, "Mixed_7a")
            if add_and_check_final("Mixed_7a", net):
                return net, end_points
            # 8 x 8 x 1536: 3 Inception-C blocks
            for idx in range(3):
                block_scope = "Mixed_7" + chr(ord("b") + idx)
                net = block_inception_c(net, block_scope)
                if add_and_check_final(block_scope, net):
                    return net, end_points
    raise ValueError("Unknown final endpoint %s" % final_endpoint)


def inception_v4(
    inputs: Any,
    num_classes: int | None = 1001,
    is_training: bool = True,
    dropout_keep_prob: float = 0.8,
    reuse: bool | None = None,
    scope: str = "InceptionV4",
    create_aux_logits: bool = True,
) -> tuple[Any, dict]:
    """Creates the Inception V4 model.

    Args:
      inputs: a 4-D tensor ``[batch_size, height, width, 3]``
        (``inception_v4.default_image_size`` is 299).
      num_classes: the number of predicted classes, default 1001. If 0 or None, the
        logits layer (and the auxiliary head) is omitted and the ``[batch, 1, 1, 1536]``
        global pool (before dropout) is returned instead.
      is_training: whether batch_norm and dropout are in training mode, default True.
      dropout_keep_prob: the fraction of activations kept before the logits, default 0.8.
      reuse: whether the network and its variables are re-used, default None (to re-use,
        ``scope`` must be given).
      scope: the variable scope, default ``'InceptionV4'``.
      create_aux_logits: whether to build the auxiliary logits on ``Mixed_6h``,
        default True.

    Returns:
      ``(net, end_points)``: ``net`` is the ``[batch, num_classes]`` logits, or the
      global pool when ``num_classes`` is 0 or None; ``end_points`` holds the base's
      endpoints, then ``AuxLogits``, ``global_pool``, ``PreLogitsFlatten``, ``Logits``
      and ``Predictions``.
    """
    end_points = {}
    with tf.compat.v1.variable_scope(scope, "InceptionV4", [inputs], reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_v4_base(inputs, scope=scope)

            with slim.arg_scope(
                [slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"
            ):
                if create_aux_logits and num_classes:
                    with tf.compat.v1.variable_scope("AuxLogits"):
                        # 17 x 17 x 1024
                        aux_logits = end_points["Mixed_6h"]
                        aux_logits = slim.avg_pool2d(
                            aux_logits, [5, 5], stride=3, padding="VALID", scope="AvgPool_1a_5x5"
                        )
                        aux_logits = slim.conv2d(aux_logits, 128, [1, 1], scope="Conv2d_1b_1x1")
                        aux_logits = slim.conv2d(
                            aux_logits,
                            768,
                            aux_logits.get_shape()[1:3],
                            padding="VALID",
                            scope="Conv2d_2a",
                        )
                        aux_logits = slim.flatten(aux_logits)
                        aux_logits = slim.fully_connected(
                            aux_logits, num_classes, activation_fn=None, scope="Aux_logits"
                        )
                        end_points["AuxLogits"] = aux_logits

                with tf.compat.v1.variable_scope("Logits"):
                    # 8 x 8 x 1536
                    kernel_size = net.get_shape()[1:3]
                    if kernel_size.is_fully_defined():
                        net = slim.avg_pool2d(net, kernel_size, padding="VALID", scope="AvgPool_1a")
                    else:
                        net = tf.reduce_mean(
                            input_tensor=net, axis=[1, 2], keepdims=True, name="global_pool"
                        )
                    end_points["global_pool"] = net
                    if not num_classes:
                        return net, end_points
                    # 1 x 1 x 1536
                    net = slim.dropout(net, dropout_keep_prob, scope="Dropout_1b")
                    net = slim.flatten(net, scope="PreLogitsFlatten")
                    end_points["PreLogitsFlatten"] = net
                    logits = slim.fully_connected(
                        net, num_classes, activation_fn=None, scope="Logits"
                    )
                    end_points["Logits"] = logits
                    end_points["Predictions"] = tf.nn.softmax(logits, name="Predictions")
    return logits, end_points


inception_v4.default_image_size = 299


def inception_v4_arg_scope(
    weight_decay: float = 0.00004,
    use_batch_norm: bool = True,
    batch_norm_decay: float = 0.9997,
    batch_norm_epsilon: float = 0.001,
    activation_fn: Any = tf.nn.relu,
    batch_norm_updates_collections: Any = tf.compat.v1.GraphKeys.UPDATE_OPS,
    batch_norm_scale: bool = False,
) -> dict:
    """The arg scope of the Inception models (slim's ``inception_utils.inception_arg_scope``).

    Args:
      weight_decay: l2 coefficient of the conv2d and fully_connected weights,
        default 0.00004.
      use_batch_norm: whether conv2d is followed by batch_norm, default True.
      batch_norm_decay: decay of the batch_norm moving averages, default 0.9997.
      batch_norm_epsilon: batch_norm epsilon, default 0.001.
      activation_fn: activation of the convolutions, default ``tf.nn.relu``.
      batch_norm_updates_collections: batch_norm's ``updates_collections``, default
        ``UPDATE_OPS``.
      batch_norm_scale: whether batch_norm has a ``gamma`` variable, default False.

    Returns:
      An ``arg_scope`` for ``slim.arg_scope``: conv2d and fully_connected get an l2
      weights regularizer; conv2d gets ``variance_scaling_initializer()``,
      ``activation_fn`` and, when ``use_batch_norm``, batch_norm with these params.
    """
    batch_norm_params = {
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "updates_collections": batch_norm_updates_collections,
        "fused": None,
        "scale": batch_norm_scale,
    }
    if use_batch_norm:
        normalizer_fn = slim.batch_norm
        normalizer_params = batch_norm_params
    else:
        normalizer_fn = None
        normalizer_params = {}
    with slim.arg_scope(
        [slim.conv2d, slim.fully_connected],
        weights_regularizer=slim.l2_regularizer(weight_decay),
    ):
        with slim.arg_scope(
            [slim.conv2d],
            weights_initializer=slim.variance_scaling_initializer(),
            activation_fn=activation_fn,
            normalizer_fn=normalizer_fn,
            normalizer_params=normalizer_params,
        ) as sc:
            return sc
