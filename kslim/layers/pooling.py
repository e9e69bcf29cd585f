"""slim's pooling layers: max/avg pool 2-D and 3-D (stride 2, VALID), and ``pool``."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from kslim.layers.base import apply_named_op, register_op
from kslim.layers.layout import channels_first, to_channels_first, to_channels_last
from kslim.ops.arg_scope import add_arg_scope
from kslim.tensor_types import Collections, Scope, Size, Tensor
from kslim.utils import collect_named_outputs, n_positive_integers

__all__ = ["max_pool2d", "avg_pool2d", "max_pool3d", "avg_pool3d", "pool"]


@register_op("pool")
def _pool_op(
    x: Tensor,
    pooling_type: str,
    window: Sequence[int],
    strides: Sequence[int],
    padding: str,
    data_format: str | None,
    dilations: Sequence[int] | None = None,
):
    rank = len(window)
    if channels_first(data_format):
        x = to_channels_last(x, rank)
    if dilations is None or all(d == 1 for d in dilations):
        # tf.nn.pool rejects strides larger than the window; slim's pools accept them.
        pool_fn = tf.nn.max_pool if pooling_type == "MAX" else tf.nn.avg_pool
        y = pool_fn(x, window, strides, padding)
    else:
        y = tf.nn.pool(
            x, window, pooling_type, strides=strides, padding=padding, dilations=dilations
        )
    if channels_first(data_format):
        y = to_channels_first(y, rank)
    return y


def _pool(
    kind: str,
    dims: int,
    valid_formats: tuple[str | None, str | None],
    default_name: str,
    inputs: Tensor,
    kernel_size: Size,
    stride: Size,
    padding: str,
    data_format: str | None,
    outputs_collections: Collections | None,
    scope: Scope | None,
    dilation_rate: Size = 1,
):
    if data_format not in valid_formats:
        raise ValueError(
            "data_format has to be either %s or %s." % valid_formats
            + f" (data_format={data_format!r})"
        )
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) != dims + 2:
        raise ValueError(f"{default_name}: inputs must have rank {dims + 2}, got shape {shape}")
    if str(padding).upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    window = list(n_positive_integers(dims, kernel_size, "kernel_size"))
    strides = list(n_positive_integers(dims, stride, "stride"))
    dilations = list(n_positive_integers(dims, dilation_rate, "dilation_rate"))
    outputs, alias = apply_named_op(
        "pool",
        inputs,
        scope,
        default_name,
        pooling_type=kind,
        window=window,
        strides=strides,
        padding=str(padding).upper(),
        data_format=data_format,
        dilations=dilations,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)


#: The parameters every slim pooling function passes on to ``_pool``.
_POOL_ARGUMENTS = (
    "inputs",
    "kernel_size",
    "stride",
    "padding",
    "data_format",
    "outputs_collections",
    "scope",
)


def _pool_arguments(arguments: dict) -> dict:
    """The ``_POOL_ARGUMENTS`` of a pooling function, from its ``locals()``.

    Picked by name: under autograph ``locals()`` also holds the converter's own names.
    """
    return {name: arguments[name] for name in _POOL_ARGUMENTS}


@add_arg_scope
def max_pool2d(
    inputs: Tensor,
    kernel_size: Size,
    stride: Size = 2,
    padding: str = "VALID",
    data_format: str = "NHWC",
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """2-D max pooling (name scope ``MaxPool2D``).

    Args:
      inputs: a rank-4 tensor.
      kernel_size: int or [kh, kw].
      stride: int or [sh, sw], default 2.
      padding: ``'VALID'`` (default) or ``'SAME'``.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The pooled tensor.

    Raises:
      ValueError: for another ``data_format`` or a bad kernel/stride.
    """
    return _pool("MAX", 2, ("NCHW", "NHWC"), "MaxPool2D", **_pool_arguments(locals()))


@add_arg_scope
def avg_pool2d(
    inputs: Tensor,
    kernel_size: Size,
    stride: Size = 2,
    padding: str = "VALID",
    data_format: str = "NHWC",
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """2-D average pooling (name scope ``AvgPool2D``); arguments as ``max_pool2d``."""
    return _pool("AVG", 2, ("NCHW", "NHWC"), "AvgPool2D", **_pool_arguments(locals()))


@add_arg_scope
def max_pool3d(
    inputs: Tensor,
    kernel_size: Size,
    stride: Size = 2,
    padding: str = "VALID",
    data_format: str = "NDHWC",
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """3-D max pooling (name scope ``MaxPool3D``); ``data_format`` NDHWC or NCDHW."""
    return _pool("MAX", 3, ("NCDHW", "NDHWC"), "MaxPool3D", **_pool_arguments(locals()))


@add_arg_scope
def avg_pool3d(
    inputs: Tensor,
    kernel_size: Size,
    stride: Size = 2,
    padding: str = "VALID",
    data_format: str = "NDHWC",
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """3-D average pooling (name scope ``AvgPool3D``); arguments as ``max_pool3d``."""
    return _pool("AVG", 3, ("NCDHW", "NDHWC"), "AvgPool3D", **_pool_arguments(locals()))


@add_arg_scope
def pool(
    inputs: Tensor,
    kernel_size: Size,
    pooling_type: str,
    padding: str = "VALID",
    data_format: str | None = None,
    dilation_rate: Size = 1,
    stride: Size = 1,
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """N-D pooling (``tf.nn.pool``); name scope ``<type>_pool``.

    Args:
      inputs: a tensor of rank >= 3.
      kernel_size: int or list (one per spatial dimension).
      pooling_type: ``'MAX'`` or ``'AVG'``.
      padding: ``'VALID'`` (default) or ``'SAME'``.
      data_format: None/``'N...C'`` or ``'NC...'``.
      dilation_rate: int or list, default 1.
      stride: int or list, default 1.
      outputs_collections: as usual.
      scope: as usual.

    Raises:
      ValueError: for rank < 3 or an unknown ``pooling_type``.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) < 3:
        raise ValueError(f"pool: inputs must have rank >= 3, got shape {shape}")
    if str(pooling_type).upper() not in ("MAX", "AVG"):
        raise ValueError(f"pooling_type must be 'MAX' or 'AVG', got {pooling_type!r}")
    dims = len(shape) - 2
    fmt = data_format
    formats = (fmt, fmt) if fmt is None or fmt.startswith("N") else ("N", "NC")
    return _pool(
        str(pooling_type).upper(),
        dims,
        formats,
        "%s_pool" % str(pooling_type).lower(),
        inputs,
        kernel_size,
        stride,
        padding,
        data_format,
        outputs_collections,
        scope,
        dilation_rate,
    )
