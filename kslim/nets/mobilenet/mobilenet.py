"""The MobileNet base class: a net built from a list of layer definitions (``conv_defs``).

The slim model zoo's builder (tensorflow/models ``research/slim/nets/mobilenet/
mobilenet.py``) shared by MobileNet v2 (``mobilenet_v2.py``) and the later MobileNets:
``conv_defs`` is ``{'defaults': {ops: kwargs}, 'overrides': ..., 'spec': [op(...), ...]}``,
each ``op`` one layer (``layer_1`` ...) whose depth is scaled by the depth multiplier.
Same scopes, variable names and end_points as the published checkpoints. Plain slim code
with TF ops: with its ``import kslim as slim`` line read as ``import tf_slim as slim`` the
file runs unchanged under tf_slim.

Usage::

    with slim.arg_scope(mobilenet.training_scope()):
        logits, end_points = mobilenet_v2.mobilenet(images)
"""

from __future__ import annotations

import collections
import contextlib
import copy
import inspect

import tensorflow as tf

import kslim as slim

from . import conv_blocks

__all__ = [
    "apply_activation",
    "depth_multiplier",
    "global_pool",
    "mobilenet",
    "mobilenet_base",
    "op",
    "safe_arg_scope",
    "training_scope",
]

_fixed_padding = conv_blocks._fixed_padding
_make_divisible = conv_blocks._make_divisible


@slim.add_arg_scope
def apply_activation(x, name=None, activation_fn=None):
    """``activation_fn(x, name=name)``, or ``x`` when there is no activation."""
    return activation_fn(x, name=name) if activation_fn else x


@contextlib.contextmanager
def _set_arg_scope_defaults(defaults):
    """Enters one ``slim.arg_scope(ops, **kwargs)`` per item of ``defaults``.

    Args:
      defaults: a dict (or list of pairs) from an op or tuple of ops to its kwargs.

    Yields:
      Inside all of those arg scopes.
    """
    items = list(defaults.items()) if hasattr(defaults, "items") else list(defaults)
    with contextlib.ExitStack() as stack:
        for func, default_arg in items:
            stack.enter_context(slim.arg_scope(func, **default_arg))
        yield


@slim.add_arg_scope
def depth_multiplier(output_params, multiplier, divisible_by=8, min_depth=8, **unused_kwargs):
    """Scales ``output_params['num_outputs']`` in place by ``multiplier``.

    The result is a multiple of ``divisible_by`` and at least ``min_depth`` (both set by
    ``mobilenet_v2.mobilenet``'s ``divisible_by``/``min_depth`` through an arg_scope).
    Layers without ``num_outputs`` are left alone.
    """
    if "num_outputs" not in output_params:
        return
    d = output_params["num_outputs"]
    output_params["num_outputs"] = _make_divisible(d * multiplier, divisible_by, min_depth)


_Op = collections.namedtuple("Op", ["op", "params", "multiplier_func"])


def op(opfunc, multiplier_func=depth_multiplier, **params):
    """One layer of a ``conv_defs['spec']``: ``opfunc(net, **params)``.

    Args:
      opfunc: the layer function (``slim.conv2d``, ``conv_blocks.expanded_conv`` ...).
      multiplier_func: scales the layer's params by the depth multiplier, default
        ``depth_multiplier`` (``multiplier_transform=`` in ``params`` also sets it).
      **params: the layer's keyword arguments.

    Returns:
      An ``Op(op, params, multiplier_func)`` named tuple.
    """
    multiplier = params.pop("multiplier_transform", multiplier_func)
    return _Op(opfunc, params=params, multiplier_func=multiplier)


def safe_arg_scope(funcs, **kwargs):
    """``slim.arg_scope(funcs, **kwargs)`` without the None values (none left: no scope).

    None here means "do not overwrite what an outer scope set".
    """
    filtered = {name: value for name, value in kwargs.items() if value is not None}
    if filtered:
        return slim.arg_scope(funcs, **filtered)
    return contextlib.nullcontext()


def _accepts(func, name):
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


@contextlib.contextmanager
def _scope_all(scope, default_scope=None):
    with (
        tf.compat.v1.variable_scope(scope, default_name=default_scope) as s,
        tf.compat.v1.name_scope(s.original_name_scope),
    ):
        yield s


@slim.add_arg_scope
def mobilenet_base(
    inputs,
    conv_defs,
    multiplier=1.0,
    final_endpoint=None,
    output_stride=None,
    use_explicit_padding=False,
    scope=None,
    is_training=False,
):
    """MobileNet base network: the layers of ``conv_defs``, up to ``final_endpoint``.

    Built in inference mode unless ``is_training`` (or ``training_scope()``) says so.

    Args:
      inputs: a tensor of shape [batch_size, height, width, channels].
      conv_defs: the architecture: ``{'defaults', 'overrides', 'spec'}`` (see
        ``mobilenet_v2.V2_DEF``).
      multiplier: the depth multiplier of every layer (> 0), default 1.0.
      final_endpoint: the last layer to build (``'layer_N'``), default None (all).
      output_stride: the largest ratio of input to output resolution: once reached,
        later strides become atrous rates. None (default), 1 or an even number.
      use_explicit_padding: pad explicitly and convolve 'VALID' (the 'SAME' output
        sizes), default False.
      scope: optional variable scope (or scope object), default ``Mobilenet``.
      is_training: batch norm's mode, default False; None leaves the arg_scope's.

    Returns:
      ``(net, end_points)``: the last layer's output and a dict of activations:
      ``layer_N`` for every layer, then ``layer_N/<name>`` for the layers' tensors
      named ``*output`` (``layer_3/expansion_output``, ``layer_3/depthwise_output``,
      ``layer_3/output``).

    Raises:
      ValueError: on ``multiplier <= 0`` or an output stride that is not allowed.
    """
    if multiplier <= 0:
        raise ValueError("multiplier is not greater than zero.")

    conv_defs_defaults = conv_defs.get("defaults", {})
    conv_defs_overrides = conv_defs.get("overrides", {})
    if use_explicit_padding:
        conv_defs_overrides = copy.deepcopy(conv_defs_overrides)
        conv_defs_overrides[(slim.conv2d, slim.separable_conv2d)] = {"padding": "VALID"}

    if output_stride is not None:
        if output_stride == 0 or (output_stride > 1 and output_stride % 2):
            raise ValueError("Output stride must be None, 1 or a multiple of 2.")

    with (
        _scope_all(scope, default_scope="Mobilenet"),
        safe_arg_scope([slim.batch_norm], is_training=is_training),
        _set_arg_scope_defaults(conv_defs_defaults),
        _set_arg_scope_defaults(conv_defs_overrides),
    ):
        # The running product of the strides so far; past output_stride, a layer's
        # stride becomes the atrous rate of the layers after it.
        current_stride = 1
        rate = 1

        net = inputs
        end_points = {}
        named = []
        for i, opdef in enumerate(conv_defs["spec"]):
            params = dict(opdef.params)
            opdef.multiplier_func(params, multiplier)
            stride = params.get("stride", 1)
            if output_stride is not None and current_stride == output_stride:
                layer_stride = 1
                layer_rate = rate
                rate *= stride
            else:
                layer_stride = stride
                layer_rate = 1
                current_stride *= stride
            params["stride"] = layer_stride
            # A 1x1 convolution needs no atrous rate.
            if layer_rate > 1 and tuple(params.get("kernel_size", [])) != (1, 1):
                params["rate"] = layer_rate
            if use_explicit_padding:
                if "kernel_size" in params:
                    net = _fixed_padding(net, params["kernel_size"], layer_rate)
                else:
                    params["use_explicit_padding"] = True

            end_point = "layer_%d" % (i + 1)
            layer_outputs = {}
            if _accepts(opdef.op, "named_outputs"):
                params["named_outputs"] = layer_outputs
            net = opdef.op(net, **params)
            end_points[end_point] = net
            named.append((end_point, layer_outputs))
            if final_endpoint is not None and end_point == final_endpoint:
                break

        for end_point, layer_outputs in named:
            for name, tensor in layer_outputs.items():
                end_points[end_point + "/" + name] = tensor
        return net, end_points


@slim.add_arg_scope
def mobilenet(
    inputs,
    num_classes=1001,
    prediction_fn=slim.softmax,
    reuse=None,
    scope="Mobilenet",
    base_only=False,
    spatial_squeeze=True,
    use_reduce_mean_for_pooling=False,
    **mobilenet_args,
):
    """MobileNet for classification (v2 and later): the base, global pool, logits.

    Inference mode unless ``is_training=True`` (``training_scope()`` sets it).

    Args:
      inputs: a tensor of shape [batch_size, height, width, channels].
      num_classes: number of predicted classes, default 1001. If 0 or None, the logits
        layer is omitted and the globally pooled features are returned instead.
      prediction_fn: the function of the logits giving ``end_points['Predictions']``,
        default ``slim.softmax``; None: no predictions.
      reuse: whether the net and its variables are re-used (``scope`` must be given).
      scope: optional variable scope, default ``Mobilenet``.
      base_only: only the base (no pooling, no logits), default False.
      spatial_squeeze: squeeze the logits' 1x1 spatial dimensions (shape
        [batch_size, num_classes]), default True; False keeps [batch_size, 1, 1, n].
      use_reduce_mean_for_pooling: global pool with ``tf.reduce_mean`` instead of an
        average pool over the whole feature map (the same values), default False.
      **mobilenet_args: passed to ``mobilenet_base`` (``conv_defs``, ``multiplier``,
        ``final_endpoint``, ``output_stride``, ``use_explicit_padding``, ``is_training``).

    Returns:
      ``(logits, end_points)``.

    Raises:
      ValueError: if ``inputs`` is not of rank 4.
    """
    is_training = mobilenet_args.get("is_training", False)
    input_shape = inputs.get_shape().as_list()
    if len(input_shape) != 4:
        raise ValueError("Expected rank 4 input, was: %d" % len(input_shape))

    with tf.compat.v1.variable_scope(scope, "Mobilenet", reuse=reuse) as scope:
        inputs = tf.identity(inputs, "input")
        net, end_points = mobilenet_base(inputs, scope=scope, **mobilenet_args)
        if base_only:
            return net, end_points

        net = tf.identity(net, name="embedding")

        with tf.compat.v1.variable_scope("Logits"):
            net = global_pool(net, use_reduce_mean_for_pooling=use_reduce_mean_for_pooling)
            end_points["global_pool"] = net
            if not num_classes:
                return net, end_points
            net = slim.dropout(net, scope="Dropout", is_training=is_training)
            # The legacy scope name of the published checkpoints.
            logits = slim.conv2d(
                net,
                num_classes,
                [1, 1],
                activation_fn=None,
                normalizer_fn=None,
                biases_initializer=tf.compat.v1.zeros_initializer(),
                scope="Conv2d_1c_1x1",
            )
            if spatial_squeeze:
                logits = tf.squeeze(logits, [1, 2])
            logits = tf.identity(logits, name="output")
        end_points["Logits"] = logits
        if prediction_fn:
            end_points["Predictions"] = prediction_fn(logits, "Predictions")
    return logits, end_points


def global_pool(input_tensor, pool_op=tf.nn.avg_pool2d, use_reduce_mean_for_pooling=False):
    """Average-pools ``input_tensor`` to 1x1 (any spatial size, also unknown ones).

    Args:
      input_tensor: a tensor of shape [batch_size, height, width, depth].
      pool_op: the pooling op, default ``tf.nn.avg_pool2d`` (over an unknown height or
        width: ``tf.reduce_mean``, the same values).
      use_reduce_mean_for_pooling: use ``tf.reduce_mean`` instead, default False.

    Returns:
      A tensor of shape [batch_size, 1, 1, depth].
    """
    shape = input_tensor.get_shape().as_list()
    unknown_size = shape[1] is None or shape[2] is None
    # An average pool's kernel size is an op attribute, fixed when the graph is built (the
    # zoo's tf.shape kernel fails there): over an unknown size, take the mean instead.
    if use_reduce_mean_for_pooling or (unknown_size and pool_op is tf.nn.avg_pool2d):
        return tf.reduce_mean(input_tensor, [1, 2], keepdims=True, name="ReduceMean")
    if unknown_size:
        kernel_size = tf.convert_to_tensor(
            [1, tf.shape(input_tensor)[1], tf.shape(input_tensor)[2], 1]
        )
    else:
        kernel_size = [1, shape[1], shape[2], 1]
    output = pool_op(input_tensor, ksize=kernel_size, strides=[1, 1, 1, 1], padding="VALID")
    # The static shape an unknown kernel size loses.
    output.set_shape([None, 1, 1, None])
    return output


def training_scope(
    is_training=True, weight_decay=0.00004, stddev=0.09, dropout_keep_prob=0.8, bn_decay=0.997
):
    """The arg_scope to train (or, with ``is_training=False``, evaluate) a MobileNet.

    Args:
      is_training: batch norm's and dropout's mode, default True.
      weight_decay: l2 weight decay of the conv2d (not the depthwise) weights,
        default 0.00004.
      stddev: the weights' truncated normal stddev, default 0.09; negative: Xavier.
      dropout_keep_prob: dropout keep probability, default 0.8.
      bn_decay: batch norm moving average decay, default 0.997.

    Returns:
      An arg_scope dict for ``slim.arg_scope``.
    """
    # Only training options here: what changes the inference graph lives in conv_defs.
    batch_norm_params = {"decay": bn_decay, "is_training": is_training}
    if stddev < 0:
        weight_initializer = slim.initializers.xavier_initializer()
    else:
        weight_initializer = tf.compat.v1.truncated_normal_initializer(stddev=stddev)

    with (
        slim.arg_scope(
            [slim.conv2d, slim.fully_connected, slim.separable_conv2d],
            weights_initializer=weight_initializer,
            normalizer_fn=slim.batch_norm,
        ),
        slim.arg_scope([mobilenet_base, mobilenet], is_training=is_training),
        slim.arg_scope([slim.batch_norm], **batch_norm_params),
        slim.arg_scope([slim.dropout], is_training=is_training, keep_prob=dropout_keep_prob),
        slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay)),
        slim.arg_scope([slim.separable_conv2d], weights_regularizer=None) as s,
    ):
        return s
