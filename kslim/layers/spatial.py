"""slim's layers over an image's spatial grid.

spatial_softmax, images_to_sequence and sequence_to_images.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import (
    SlimLayer,
    apply_named_op,
    call_layer,
    get_or_create_layer,
    register_op,
)
from kslim.layers.transforms import single_input
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import Collections, Scope, ShapeLike, Tensor
from kslim.utils import collect_named_outputs

__all__ = [
    "SpatialSoftmax",
    "images_to_sequence",
    "sequence_to_images",
    "spatial_softmax",
]


@keras.saving.register_keras_serializable(package="kslim")
class SpatialSoftmax(SlimLayer):
    """slim's spatial softmax: per-channel expected (x, y) position in [-1, 1].

    Variable ``temperature`` (scalar float32) divides the features before the
    softmax over each channel's H·W positions. Output [N, 2C] as
    ``[x1, y1, ..., xC, yC]`` (x runs along H, y along W, as in slim).

    Args:
      scope: the variable scope path.
      temperature: initial temperature (None: 1.0).
      data_format: ``'NHWC'`` or ``'NCHW'``.
    """

    def __init__(
        self, scope: str, temperature: float | None = None, data_format: str = "NHWC", **kwargs: Any
    ) -> None:
        super().__init__(scope, **kwargs)
        self.temperature = None if temperature is None else float(temperature)
        self.data_format = data_format

    def build(self, input_shape: ShapeLike) -> None:
        """Creates the scalar ``temperature`` variable."""
        init = "ones" if self.temperature is None else keras.initializers.Constant(self.temperature)
        self.temperature_var = self.slim_weight(
            "temperature", (), init, trainable=self.trainable, dtype="float32"
        )

    def call(self, features: tf.Tensor) -> tf.Tensor:
        """The expected (x, y) position of each channel's softmax, ``[N, 2 * C]``."""
        shape = tf.shape(features)
        if self.data_format == "NHWC":
            height, width, num_channels = shape[1], shape[2], features.shape[3]
        else:
            num_channels, height, width = features.shape[1], shape[2], shape[3]
        pos_x, pos_y = tf.meshgrid(
            tf.linspace(-1.0, 1.0, num=height), tf.linspace(-1.0, 1.0, num=width), indexing="ij"
        )
        pos_x = tf.reshape(pos_x, [height * width])
        pos_y = tf.reshape(pos_y, [height * width])
        if self.data_format == "NCHW":
            features = tf.reshape(features, [-1, height * width])
        else:
            features = tf.reshape(tf.transpose(features, [0, 3, 1, 2]), [-1, height * width])
        attention = tf.nn.softmax(features / self.temperature_var)
        expected_x = tf.reduce_sum(pos_x * attention, [1], keepdims=True)
        expected_y = tf.reduce_sum(pos_y * attention, [1], keepdims=True)
        keypoints = tf.reshape(tf.concat([expected_x, expected_y], 1), [-1, int(num_channels) * 2])
        keypoints.set_shape([None, int(num_channels) * 2])
        return keypoints

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(temperature=self.temperature, data_format=self.data_format)
        return config


@add_arg_scope
def spatial_softmax(
    features: Tensor,
    temperature: float | None = None,
    name: str | None = None,
    variables_collections: Collections | None = None,
    trainable: bool = True,
    data_format: str = "NHWC",
) -> keras.KerasTensor | tf.Tensor:
    """Spatial softmax keypoints of a feature map (variable scope ``spatial_softmax``).

    Softmax over the spatial positions of each channel, then the expected
    (x, y) position on a [-1, 1] grid: [N, 2C] as ``[x1, y1, ..., xC, yC]``.
    Creates the scalar variable ``<scope>/temperature`` (initialized to
    ``temperature``, or 1.0 when None).

    Args:
      features: a rank-4 tensor with a known channel dimension.
      temperature: initial temperature, default None (1.0).
      name: variable scope, default ``spatial_softmax`` made unique.
      variables_collections: extra collections for ``temperature`` (or a dict
        keyed ``temperature``); ignored when not trainable, as in slim.
      trainable: whether the temperature is trained, default True.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.

    Returns:
      The keypoints tensor [N, 2C].

    Raises:
      ValueError: for another ``data_format`` or an undefined channel dimension
        (slim's messages).
    """
    with variable_scope(name, "spatial_softmax") as sc:
        shape = getattr(features, "shape", None)
        if data_format not in ("NHWC", "NCHW"):
            raise ValueError(
                f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
            )
        if shape is None or len(shape) != 4:
            raise ValueError(f"spatial_softmax: features must have rank 4, got shape {shape}")
        num_channels = shape[3] if data_format == "NHWC" else shape[1]
        if num_channels is None:
            raise ValueError(
                "The num_channels dimension of the inputs to `spatial_softmax` "
                "should be defined. Found `None`."
            )
        layer, created = get_or_create_layer(
            sc,
            lambda: SpatialSoftmax(sc.name, temperature, data_format, trainable=trainable),
            "temperature",
        )
        return call_layer(layer, features, created, variables_collections if trainable else None)


@register_op("images_to_sequence")
def _images_to_sequence_op(x: Tensor, data_format: str = "NHWC"):
    x = tf.convert_to_tensor(x)
    if data_format == "NCHW":
        x = tf.transpose(x, [0, 2, 3, 1])
    _, _, width, depth = x.shape.as_list()
    s = tf.shape(x)
    batch_size, height = s[0], s[1]
    transposed = tf.transpose(x, [2, 0, 1, 3])
    return tf.reshape(transposed, [width, batch_size * height, depth])


@add_arg_scope
def images_to_sequence(
    inputs: Tensor,
    data_format: str = "NHWC",
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """[N, H, W, C] images to a [W, N·H, C] sequence (name scope ``ImagesToSequence``).

    Args:
      inputs: a rank-4 tensor with known width and depth.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The sequence tensor [width, num_images·height, depth].

    Raises:
      ValueError: for another ``data_format``, a rank other than 4 or an
        unknown width/depth.
    """
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(
            f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
        )
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) != 4:
        raise ValueError(f"images_to_sequence: inputs must have rank 4, got shape {shape}")
    dims = tuple(shape)
    width, depth = (dims[3], dims[1]) if data_format == "NCHW" else (dims[2], dims[3])
    if width is None or depth is None:
        raise ValueError(
            f"images_to_sequence: width and depth of inputs must be known, got shape {dims}"
        )
    outputs, alias = apply_named_op(
        "images_to_sequence",
        single_input(inputs),
        scope,
        "ImagesToSequence",
        data_format=data_format,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)


@register_op("sequence_to_images")
def _sequence_to_images_op(x: Tensor, height: int, output_data_format: str = "channels_last"):
    x = tf.convert_to_tensor(x)
    width, num_batches, depth = x.shape.as_list()
    if num_batches is None:
        num_batches = -1
    else:
        num_batches //= height
    reshaped = tf.reshape(x, [width, num_batches, height, depth])
    if output_data_format == "channels_first":
        return tf.transpose(reshaped, [1, 3, 2, 0])
    return tf.transpose(reshaped, [1, 2, 0, 3])


@add_arg_scope
def sequence_to_images(
    inputs: Tensor,
    height: int,
    output_data_format: str = "channels_last",
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """[W, N·H, C] sequence back to images (name scope ``SequenceToImages``).

    Args:
      inputs: a rank-3 tensor [width, num_images·height, depth], width and
        depth known.
      height: the image height (Python int).
      output_data_format: ``'channels_first'`` gives [N, C, H, W]; anything
        else [N, H, W, C] (default ``'channels_last'``).
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The images tensor.

    Raises:
      ValueError: for a rank other than 3, unknown width/depth or a
        non-positive ``height``.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or len(shape) != 3:
        raise ValueError(f"sequence_to_images: inputs must have rank 3, got shape {shape}")
    if tuple(shape)[0] is None or tuple(shape)[2] is None:
        raise ValueError(
            f"sequence_to_images: width and depth of inputs must be known, got shape {tuple(shape)}"
        )
    if not isinstance(height, (int, np.integer)) or height <= 0:
        raise ValueError(f"sequence_to_images: height must be a positive int, got {height!r}")
    outputs, alias = apply_named_op(
        "sequence_to_images",
        single_input(inputs),
        scope,
        "SequenceToImages",
        height=int(height),
        output_data_format=output_data_format,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)
