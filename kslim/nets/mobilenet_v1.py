"""MobileNet v1 of the slim model zoo (``nets/mobilenet_v1.py``).

MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications,
Andrew G. Howard, Menglong Zhu, Bo Chen, Dmitry Kalenichenko, Weijun Wang, Tobias
Weyand, Marco Andreetto, Hartwig Adam (https://arxiv.org/abs/1704.04861).

A 3x3 convolution followed by 13 depthwise separable convolutions (a 3x3 depthwise
convolution, then a 1x1 pointwise one, each with batch norm and relu6), average pooling
and a 1x1 convolution as the logits. The variables are under ``MobilenetV1/`` with the
published checkpoints' names (``MobilenetV1/Conv2d_1_depthwise/depthwise_weights``,
``MobilenetV1/Logits/Conv2d_1c_1x1/biases``). Plain slim code: this file also runs
unchanged under tf_slim.

``depth_multiplier`` thins every layer (``mobilenet_v1_075`` / ``_050`` / ``_025``),
``output_stride`` trades strides for atrous rates (dense feature maps for detection and
segmentation), ``use_explicit_padding`` pads explicitly and convolves ``VALID``.
"""

import collections
import functools

import tensorflow as tf

import kslim as slim

# A regular convolution (the first layer) and a depthwise separable convolution
# (depthwise 3x3, then pointwise 1x1): kernel size, stride and output depth.
Conv = collections.namedtuple("Conv", ["kernel", "stride", "depth"])
DepthSepConv = collections.namedtuple("DepthSepConv", ["kernel", "stride", "depth"])

# The MobileNet v1 body: layer i is end_point ``Conv2d_i`` (``_depthwise``/``_pointwise``).
MOBILENETV1_CONV_DEFS = [
    Conv(kernel=[3, 3], stride=2, depth=32),
    DepthSepConv(kernel=[3, 3], stride=1, depth=64),
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),
    DepthSepConv(kernel=[3, 3], stride=1, depth=128),
    DepthSepConv(kernel=[3, 3], stride=2, depth=256),
    DepthSepConv(kernel=[3, 3], stride=1, depth=256),
    DepthSepConv(kernel=[3, 3], stride=2, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=2, depth=1024),
    DepthSepConv(kernel=[3, 3], stride=1, depth=1024),
]
# The older name of the same list.
_CONV_DEFS = MOBILENETV1_CONV_DEFS


def _fixed_padding(inputs, kernel_size, rate=1):
    """Pads ``inputs`` so that a ``VALID`` convolution gives the ``SAME`` output size.

    Args:
      inputs: a tensor ``[batch, height, width, channels]``.
      kernel_size: the ``[height, width]`` kernel of the convolution that follows.
      rate: its atrous rate, default 1.

    Returns:
      ``inputs`` padded by ``(k_eff - 1) // 2`` before and the rest after, per spatial
      dimension, where ``k_eff = k + (k - 1) * (rate - 1)``.
    """
    paddings = [[0, 0]]
    for k in kernel_size[:2]:
        total = k + (k - 1) * (rate - 1) - 1
        paddings.append([total // 2, total - total // 2])
    paddings.append([0, 0])
    return tf.pad(inputs, paddings)


def mobilenet_v1_base(
    inputs,
    final_endpoint="Conv2d_13_pointwise",
    min_depth=8,
    depth_multiplier=1.0,
    conv_defs=None,
    output_stride=None,
    use_explicit_padding=False,
    scope=None,
):
    """MobileNet v1 from ``inputs`` up to ``final_endpoint``.

    Args:
      inputs: a tensor ``[batch_size, height, width, channels]``.
      final_endpoint: the end_point to build up to, default ``'Conv2d_13_pointwise'``:
        ``'Conv2d_0'``, or ``'Conv2d_<i>_depthwise'`` / ``'Conv2d_<i>_pointwise'`` for
        i in 1..13 (for the default ``conv_defs``).
      min_depth: the least number of output channels of any convolution, default 8
        (binding only when ``depth_multiplier`` < 1).
      depth_multiplier: the factor of every convolution's number of output channels,
        default 1.0; must be > 0.
      conv_defs: a list of ``Conv`` / ``DepthSepConv`` layer definitions, default
        ``MOBILENETV1_CONV_DEFS``.
      output_stride: None (default) or 8, 16 or 32: the largest ratio of input to
        output resolution; once reached, later strides become atrous rates.
      use_explicit_padding: pad with ``tf.pad`` and convolve ``VALID`` instead of
        ``SAME`` (same output sizes), default False.
      scope: the variable scope, default ``'MobilenetV1'``.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and a dict of the activations.

    Raises:
      ValueError: ``depth_multiplier`` <= 0, ``output_stride`` not None/8/16/32, an
        unknown layer definition, or ``final_endpoint`` not an end_point.
    """
    end_points = {}
    if depth_multiplier <= 0:
        raise ValueError("depth_multiplier is not greater than zero.")

    def depth(d):
        return max(int(d * depth_multiplier), min_depth)

    if conv_defs is None:
        conv_defs = MOBILENETV1_CONV_DEFS
    if output_stride is not None and output_stride not in [8, 16, 32]:
        raise ValueError("Only allowed output_stride values are 8, 16, 32.")
    padding = "VALID" if use_explicit_padding else "SAME"

    with tf.compat.v1.variable_scope(scope, "MobilenetV1", [inputs]):
        with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding=padding):
            # current_stride: the product of the strides so far; past output_stride the
            # remaining strides multiply the atrous rate instead.
            current_stride = 1
            rate = 1
            net = inputs
            for i, conv_def in enumerate(conv_defs):
                end_point_base = "Conv2d_%d" % i
                if output_stride is not None and current_stride == output_stride:
                    layer_stride = 1
                    layer_rate = rate
                    rate *= conv_def.stride
                else:
                    layer_stride = conv_def.stride
                    layer_rate = 1
                    current_stride *= conv_def.stride

                if isinstance(conv_def, Conv):
                    end_point = end_point_base
                    if use_explicit_padding:
                        net = _fixed_padding(net, conv_def.kernel)
                    net = slim.conv2d(
                        net,
                        depth(conv_def.depth),
                        conv_def.kernel,
                        stride=conv_def.stride,
                        normalizer_fn=slim.batch_norm,
                        scope=end_point,
                    )
                    end_points[end_point] = net
                    if end_point == final_endpoint:
                        return net, end_points
                elif isinstance(conv_def, DepthSepConv):
                    end_point = end_point_base + "_depthwise"
                    if use_explicit_padding:
                        net = _fixed_padding(net, conv_def.kernel, layer_rate)
                    # num_outputs None: only the depthwise convolution (depthwise_weights).
                    net = slim.separable_conv2d(
                        net,
                        None,
                        conv_def.kernel,
                        depth_multiplier=1,
                        stride=layer_stride,
                        rate=layer_rate,
                        normalizer_fn=slim.batch_norm,
                        scope=end_point,
                    )
                    end_points[end_point] = net
                    if end_point == final_endpoint:
                        return net, end_points

                    end_point = end_point_base + "_pointwise"
                    net = slim.conv2d(
                        net,
                        depth(conv_def.depth),
                        [1, 1],
                        stride=1,
                        normalizer_fn=slim.batch_norm,
                        scope=end_point,
                    )
                    end_points[end_point] = net
                    if end_point == final_endpoint:
                        return net, end_points
                else:
                    raise ValueError(
                        "Unknown convolution type %s for layer %d" % (type(conv_def).__name__, i)
                    )
    raise ValueError("Unknown final endpoint %s" % final_endpoint)


def mobilenet_v1(
    inputs,
    num_classes=1000,
    dropout_keep_prob=0.999,
    is_training=True,
    min_depth=8,
    depth_multiplier=1.0,
    conv_defs=None,
    prediction_fn=slim.softmax,
    spatial_squeeze=True,
    reuse=None,
    scope="MobilenetV1",
    global_pool=False,
    output_stride=None,
    use_explicit_padding=False,
):
    """MobileNet v1 for classification.

    Args:
      inputs: a tensor ``[batch_size, height, width, channels]`` (rank 4).
      num_classes: the number of classes, default 1000. If 0 or None, the logits layer
        is omitted and the pooled features (before dropout) are returned instead.
      dropout_keep_prob: the fraction of features kept by dropout, default 0.999.
      is_training: batch norm and dropout in training mode, default True.
      min_depth: see ``mobilenet_v1_base``, default 8.
      depth_multiplier: see ``mobilenet_v1_base``, default 1.0.
      conv_defs: see ``mobilenet_v1_base``, default ``MOBILENETV1_CONV_DEFS``.
      prediction_fn: the function from logits to ``end_points['Predictions']``,
        default ``slim.softmax``; None or False: no predictions.
      spatial_squeeze: logits ``[B, C]`` (default True) rather than ``[B, 1, 1, C]``.
      reuse: reuse the net's variables (``scope`` must be given), default None.
      scope: the variable scope, default ``'MobilenetV1'``.
      global_pool: average over the whole feature map (``tf.reduce_mean``, end_point
        ``'global_pool'``) rather than a fixed 7x7 window (``'AvgPool_1a'``, reduced for
        small inputs; larger inputs give larger outputs), default False.
      output_stride: see ``mobilenet_v1_base``, default None.
      use_explicit_padding: see ``mobilenet_v1_base``, default False.

    Returns:
      ``(net, end_points)``: the logits (or the pooled features when ``num_classes`` is
      0 or None) and a dict of the activations.

    Raises:
      ValueError: ``inputs`` is not of rank 4.
    """
    input_shape = inputs.get_shape().as_list()
    if len(input_shape) != 4:
        raise ValueError("Invalid input tensor rank, expected 4, was: %d" % len(input_shape))

    with tf.compat.v1.variable_scope(scope, "MobilenetV1", [inputs], reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = mobilenet_v1_base(
                inputs,
                scope=scope,
                min_depth=min_depth,
                depth_multiplier=depth_multiplier,
                conv_defs=conv_defs,
                output_stride=output_stride,
                use_explicit_padding=use_explicit_padding,
            )
            with tf.compat.v1.variable_scope("Logits"):
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True, name="global_pool")
                    end_points["global_pool"] = net
                else:
                    kernel_size = _reduced_kernel_size_for_small_input(net, [7, 7])
                    net = slim.avg_pool2d(net, kernel_size, padding="VALID", scope="AvgPool_1a")
                    end_points["AvgPool_1a"] = net
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
                logits = slim.conv2d(
                    net,
                    num_classes,
                    [1, 1],
                    activation_fn=None,
                    normalizer_fn=None,
                    scope="Conv2d_1c_1x1",
                )
                if spatial_squeeze:
                    logits = tf.squeeze(logits, [1, 2], name="SpatialSqueeze")
            end_points["Logits"] = logits
            if prediction_fn:
                end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


mobilenet_v1.default_image_size = 224


def wrapped_partial(func, *args, **kwargs):
    """``functools.partial`` with ``func``'s name, docstring and attributes."""
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


mobilenet_v1_075 = wrapped_partial(mobilenet_v1, depth_multiplier=0.75)
mobilenet_v1_050 = wrapped_partial(mobilenet_v1, depth_multiplier=0.50)
mobilenet_v1_025 = wrapped_partial(mobilenet_v1, depth_multiplier=0.25)


def _reduced_kernel_size_for_small_input(input_tensor, kernel_size):
    """``kernel_size`` cut down to the input's spatial size where that is smaller.

    An input whose height or width is unknown when the net is built is taken to be
    large enough.

    Args:
      input_tensor: a tensor ``[batch_size, height, width, channels]``.
      kernel_size: the desired ``[kernel_height, kernel_width]``.

    Returns:
      The kernel size ``[min(height, kh), min(width, kw)]``.
    """
    shape = input_tensor.get_shape().as_list()
    if shape[1] is None or shape[2] is None:
        return kernel_size
    return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def mobilenet_v1_arg_scope(
    is_training=True,
    weight_decay=0.00004,
    stddev=0.09,
    regularize_depthwise=False,
    batch_norm_decay=0.9997,
    batch_norm_epsilon=0.001,
    batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
):
    """The MobileNet v1 arg scope.

    Args:
      is_training: batch norm's ``is_training``, default True; None leaves it out of the
        scope (the nets set it from their own ``is_training`` anyway).
      weight_decay: the l2 weight decay of the convolution weights, default 0.00004.
      stddev: the stddev of the truncated normal weights initializer, default 0.09.
      regularize_depthwise: also regularize the depthwise weights, default False.
      batch_norm_decay: the moving averages' decay, default 0.9997.
      batch_norm_epsilon: batch norm's epsilon, default 0.001.
      batch_norm_updates_collections: where batch norm puts its update ops, default
        ``UPDATE_OPS``.

    Returns:
      An ``arg_scope`` for the MobileNet v1 nets.
    """
    batch_norm_params = {
        "center": True,
        "scale": True,
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "updates_collections": batch_norm_updates_collections,
    }
    if is_training is not None:
        batch_norm_params["is_training"] = is_training

    weights_init = tf.compat.v1.truncated_normal_initializer(stddev=stddev)
    regularizer = slim.l2_regularizer(weight_decay)
    depthwise_regularizer = regularizer if regularize_depthwise else None
    with slim.arg_scope(
        [slim.conv2d, slim.separable_conv2d],
        weights_initializer=weights_init,
        activation_fn=tf.nn.relu6,
        normalizer_fn=slim.batch_norm,
    ):
        with slim.arg_scope([slim.batch_norm], **batch_norm_params):
            with slim.arg_scope([slim.conv2d], weights_regularizer=regularizer):
                with slim.arg_scope(
                    [slim.separable_conv2d], weights_regularizer=depthwise_regularizer
                ) as sc:
                    return sc
