"""Convolution blocks of the MobileNet family: the inverted residual ``expanded_conv``.

The slim model zoo's blocks (tensorflow/models ``research/slim/nets/mobilenet/
conv_blocks.py``), with the same scopes (``expanded_conv_3/expand``, ``.../depthwise``,
``.../project``) and so the same variable names as the published checkpoints. Plain slim
code with TF ops: with its ``import kslim as slim`` line read as ``import tf_slim as slim``
the file runs unchanged under tf_slim.

One addition: ``named_outputs``. The zoo's ``mobilenet_base`` finds a block's tensors named
``*output`` (``expansion_output``, ``depthwise_output``, ``output``) by scanning the TF
graph's operations; a Keras graph has no such list, so the blocks hand those tensors to the
caller in this dict instead, in the order they are made.
"""

from __future__ import annotations

import functools

import tensorflow as tf

import kslim as slim

__all__ = [
    "expand_input_by_factor",
    "expanded_conv",
    "split_conv",
]


def _fixed_padding(inputs, kernel_size, rate=1):
    """Pads ``inputs`` so that a 'VALID' convolution gives the 'SAME' output size.

    The padding depends only on the kernel size and rate, not on the input size.

    Args:
      inputs: a tensor of shape [batch, height, width, channels].
      kernel_size: the kernel of the convolution or pooling that follows.
      rate: the atrous rate of that convolution, default 1.

    Returns:
      ``inputs`` padded along its spatial dimensions (unchanged for a 1x1 kernel).
    """
    effective = [k + (k - 1) * (rate - 1) for k in (kernel_size[0], kernel_size[0])]
    pad_total = [k - 1 for k in effective]
    pad_beg = [p // 2 for p in pad_total]
    pad_end = [total - beg for total, beg in zip(pad_total, pad_beg, strict=True)]
    return tf.pad(inputs, [[0, 0], [pad_beg[0], pad_end[0]], [pad_beg[1], pad_end[1]], [0, 0]])


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor``, at least ``min_value``.

    Never more than 10% below ``v`` (then one ``divisor`` more).
    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return int(new_v)


def _split_divisible(num, num_ways, divisible_by=8):
    """Splits ``num`` into ``num_ways`` parts that are multiples of ``divisible_by``."""
    if num % divisible_by or num / num_ways < divisible_by:
        raise ValueError(
            f"cannot split {num} channels {num_ways} ways into multiples of {divisible_by}"
        )
    base = num // num_ways // divisible_by * divisible_by
    parts = []
    total = 0
    for i in range(num_ways):
        part = base
        # Round the running total up to the ideal cumulative split.
        while total + part < num * (i + 1) / num_ways:
            part += divisible_by
        parts.append(part)
        total += part
    return parts


def expand_input_by_factor(n, divisible_by=8):
    """An ``expansion_size`` callable: ``n`` times the block's input depth, made divisible.

    Args:
      n: the expansion factor.
      divisible_by: the expansion depth is a multiple of this, default 8.

    Returns:
      ``f(num_inputs, **unused)`` giving the expansion depth.
    """
    return lambda num_inputs, **_: _make_divisible(num_inputs * n, divisible_by)


def split_conv(
    input_tensor,
    num_outputs,
    num_ways,
    scope,
    divisible_by=8,
    named_outputs=None,
    **kwargs,
):
    """A 1x1 convolution split ``num_ways`` ways (group convolution).

    The input and output channels are split into ``num_ways`` groups of about the same
    size; group i of the output sees only group i of the input. Without splitting
    (``num_ways=1``, or groups smaller than ``divisible_by``) it is ``slim.conv2d``.

    Args:
      input_tensor: a tensor of shape [batch, height, width, channels].
      num_outputs: the number of output channels.
      num_ways: the number of groups.
      scope: the scope of the convolution (parts are ``<scope>_part_<i>``).
      divisible_by: every group's size is a multiple of this, default 8.
      named_outputs: optional dict receiving the parts' ``<scope>_part_<i>_output``.
      **kwargs: passed to ``slim.conv2d``.

    Returns:
      The output tensor, ``num_outputs`` channels.
    """
    depth = input_tensor.get_shape().as_list()[3]
    if num_ways == 1 or min(depth // num_ways, num_outputs // num_ways) < divisible_by:
        return slim.conv2d(input_tensor, num_outputs, [1, 1], scope=scope, **kwargs)
    input_splits = _split_divisible(depth, num_ways, divisible_by=divisible_by)
    output_splits = _split_divisible(num_outputs, num_ways, divisible_by=divisible_by)
    parts = tf.split(input_tensor, input_splits, axis=3, name="split_" + scope)
    outputs = []
    for i, (part, part_outputs) in enumerate(zip(parts, output_splits, strict=True)):
        part_scope = "%s_part_%d" % (scope, i)
        net = slim.conv2d(part, part_outputs, [1, 1], scope=part_scope, **kwargs)
        outputs.append(_named_output(net, part_scope + "_output", named_outputs))
    return tf.concat(outputs, 3, name=part_scope + "_concat")


def _named_output(net, name, named_outputs):
    net = tf.identity(net, name=name)
    if named_outputs is not None:
        named_outputs[name] = net
    return net


@slim.add_arg_scope
def expanded_conv(
    input_tensor,
    num_outputs,
    expansion_size=expand_input_by_factor(6),
    stride=1,
    rate=1,
    kernel_size=(3, 3),
    residual=True,
    normalizer_fn=None,
    split_projection=1,
    split_expansion=1,
    split_divisible_by=8,
    expansion_transform=None,
    depthwise_location="expansion",
    depthwise_channel_multiplier=1,
    endpoints=None,
    use_explicit_padding=False,
    padding="SAME",
    inner_activation_fn=None,
    depthwise_activation_fn=None,
    project_activation_fn=tf.identity,
    depthwise_fn=slim.separable_conv2d,
    expansion_fn=split_conv,
    projection_fn=split_conv,
    scope=None,
    named_outputs=None,
):
    """Inverted residual block: expansion (1x1) -> depthwise -> projection (1x1).

    Args:
      input_tensor: a tensor of shape [batch, height, width, channels].
      num_outputs: the depth of the projection (the block's output).
      expansion_size: the depth of the expansion: a number, or a callable given the
        input depth as ``num_inputs=`` (default: 6 times the input depth). No expansion
        convolution when it is not larger than the input depth.
      stride: the depthwise convolution's stride, default 1.
      rate: the depthwise convolution's atrous rate, default 1.
      kernel_size: the depthwise kernel, default (3, 3).
      residual: add the input to the output when the shapes allow (stride 1, same
        depth), default True; a callable ``residual(input_tensor=, output_tensor=)``
        makes a custom connection.
      normalizer_fn: the normalizer of the three convolutions, default None.
      split_projection: groups of the projection convolution, default 1.
      split_expansion: groups of the expansion convolution, default 1.
      split_divisible_by: every group's depth is a multiple of this, default 8.
      expansion_transform: optional ``f(expansion_tensor=, input_tensor=)`` applied after
        the depthwise convolution, default None.
      depthwise_location: where the depthwise convolution goes: ``'expansion'``
        (default), ``'input'``, ``'output'`` or None (none).
      depthwise_channel_multiplier: the depthwise convolution's depth multiplier,
        default 1.
      endpoints: optional dict receiving ``expansion_output``, ``depthwise_output`` and
        ``projection_output`` where the block makes them.
      use_explicit_padding: pad explicitly and convolve 'VALID' (the 'SAME' output
        size), default False.
      padding: the depthwise padding without explicit padding, default 'SAME'.
      inner_activation_fn: activation of the expansion and depthwise convolutions;
        default None (the arg_scope's).
      depthwise_activation_fn: activation of the depthwise convolution (wins over
        ``inner_activation_fn``); default None.
      project_activation_fn: activation of the projection, default ``tf.identity``.
      depthwise_fn: the depthwise convolution, default ``slim.separable_conv2d``.
      expansion_fn: the expansion convolution, default ``split_conv``.
      projection_fn: the projection convolution, default ``split_conv``.
      scope: optional variable scope, default ``expanded_conv`` made unique.
      named_outputs: optional dict receiving the block's tensors named ``*output``
        (``expansion_output``, ``depthwise_output``, ``output``), in order.

    Returns:
      The block's output, ``num_outputs`` channels.

    Raises:
      TypeError: on an unknown ``depthwise_location``, or explicit padding with a
        padding other than 'SAME'.
    """
    conv_defaults = {}
    dw_defaults = {}
    if inner_activation_fn is not None:
        conv_defaults["activation_fn"] = inner_activation_fn
        dw_defaults["activation_fn"] = inner_activation_fn
    if depthwise_activation_fn is not None:
        dw_defaults["activation_fn"] = depthwise_activation_fn
    with (
        tf.compat.v1.variable_scope(scope, default_name="expanded_conv") as s,
        tf.compat.v1.name_scope(s.original_name_scope),
        slim.arg_scope((slim.conv2d,), **conv_defaults),
        slim.arg_scope((slim.separable_conv2d,), **dw_defaults),
    ):
        prev_depth = input_tensor.get_shape().as_list()[3]
        if depthwise_location not in (None, "input", "output", "expansion"):
            raise TypeError("%r is unknown value for depthwise_location" % depthwise_location)
        if use_explicit_padding:
            if padding != "SAME":
                raise TypeError('`use_explicit_padding` should only be used with "SAME" padding.')
            padding = "VALID"
        depthwise_func = functools.partial(
            depthwise_fn,
            num_outputs=None,
            kernel_size=kernel_size,
            depth_multiplier=depthwise_channel_multiplier,
            stride=stride,
            rate=rate,
            normalizer_fn=normalizer_fn,
            padding=padding,
            scope="depthwise",
        )

        def depthwise(net, **kwargs):
            if use_explicit_padding:
                net = _fixed_padding(net, kernel_size, rate)
            net = _named_output(depthwise_func(net, **kwargs), "depthwise_output", named_outputs)
            if endpoints is not None:
                endpoints["depthwise_output"] = net
            return net

        input_tensor = tf.identity(input_tensor, "input")
        net = input_tensor
        if depthwise_location == "input":
            net = depthwise(net, activation_fn=None)

        if callable(expansion_size):
            inner_size = expansion_size(num_inputs=prev_depth)
        else:
            inner_size = expansion_size
        if inner_size > net.get_shape().as_list()[3]:
            expand = expansion_fn
            if expansion_fn is split_conv:
                expand = functools.partial(
                    split_conv,
                    num_ways=split_expansion,
                    divisible_by=split_divisible_by,
                    stride=1,
                    named_outputs=named_outputs,
                )
            net = expand(net, inner_size, scope="expand", normalizer_fn=normalizer_fn)
            net = _named_output(net, "expansion_output", named_outputs)
            if endpoints is not None:
                endpoints["expansion_output"] = net

        if depthwise_location == "expansion":
            net = depthwise(net)

        if expansion_transform:
            net = expansion_transform(expansion_tensor=net, input_tensor=input_tensor)
        # The projection always runs: it gives the block its output depth.
        project = projection_fn
        if projection_fn is split_conv:
            project = functools.partial(
                split_conv,
                num_ways=split_projection,
                divisible_by=split_divisible_by,
                stride=1,
                named_outputs=named_outputs,
            )
        net = project(
            net,
            num_outputs,
            scope="project",
            normalizer_fn=normalizer_fn,
            activation_fn=project_activation_fn,
        )
        if endpoints is not None:
            endpoints["projection_output"] = net
        if depthwise_location == "output":
            net = depthwise(net, activation_fn=None)

        if callable(residual):
            net = residual(input_tensor=input_tensor, output_tensor=net)
        elif (
            residual
            # No residual across a stride (nor where the spatial size is unknown).
            and stride == 1
            and net.get_shape().as_list()[3] == input_tensor.get_shape().as_list()[3]
        ):
            net += input_tensor
        return _named_output(net, "output", named_outputs)
