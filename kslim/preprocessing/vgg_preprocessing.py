"""Provides utilities to preprocess images for the VGG and ResNet networks (slim model zoo).

The preprocessing that the zoo's VGG and ResNet (v1 and v2) checkpoints were trained and
evaluated with:

* training: an aspect-preserving bilinear resize so that the smallest side is a random
  integer in ``[resize_side_min, resize_side_max]``, a random ``output_height x
  output_width`` crop, a random left-right flip and the per-channel subtraction of
  ImageNet's RGB means (values stay in [0, 255] units, not scaled);
* evaluation: the same resize with the smallest side ``resize_side_min``, a central crop
  and the mean subtraction.

Resizes use TF1's pixel convention (``tf.compat.v1.image.resize_bilinear``,
``align_corners=False``) so outputs equal those of the zoo code under TF1. Every function
is a per-image function of TF ops (eager, ``tf.data`` map, ``tf.function``); random
choices draw op-level seeds from the global seed (``tf.random.set_seed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

__all__ = ["preprocess_for_eval", "preprocess_for_train", "preprocess_image"]

_R_MEAN = 123.68
_G_MEAN = 116.78
_B_MEAN = 103.94

_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512

# tf.image.rgb_to_grayscale's weights: the mean of a grayscale image.
_GRAY_MEAN = 0.2989 * _R_MEAN + 0.5870 * _G_MEAN + 0.1140 * _B_MEAN


def _check_rank3(image: Any) -> tf.Tensor:
    image = tf.convert_to_tensor(image)
    if image.shape.rank is not None and image.shape.rank != 3:
        raise ValueError(
            f"image must be [height, width, channels] (rank 3), got shape {image.shape}"
        )
    return image


def _crop(
    image: tf.Tensor, offset_height: Any, offset_width: Any, crop_height: int, crop_width: int
) -> tf.Tensor:
    """Crops ``[crop_height, crop_width]`` at the offsets; fails if the image is smaller."""
    shape = tf.shape(image)
    size_ok = tf.debugging.assert_greater_equal(
        shape[:2],
        tf.constant([crop_height, crop_width]),
        message="Crop size greater than the image size.",
    )
    with tf.control_dependencies([size_ok]):
        offsets = tf.stack([offset_height, offset_width, 0])
        cropped = tf.slice(image, offsets, tf.stack([crop_height, crop_width, shape[2]]))
    return tf.reshape(cropped, tf.stack([crop_height, crop_width, shape[2]]))


def _random_crop(image_list: Sequence[tf.Tensor], crop_height: int, crop_width: int):
    """Crops the same random ``[crop_height, crop_width]`` window of each image.

    Args:
      image_list: a list of image Tensors of the same height and width, each
        ``[height, width, channels]``.
      crop_height: the new height, a Python int.
      crop_width: the new width, a Python int.

    Returns:
      The list of cropped images.

    Raises:
      ValueError: if ``image_list`` is empty.
    """
    if not image_list:
        raise ValueError("Empty image_list.")
    shape = tf.shape(image_list[0])
    max_offset_height = tf.reshape(shape[0] - crop_height + 1, [])
    max_offset_width = tf.reshape(shape[1] - crop_width + 1, [])
    size_ok = tf.debugging.assert_greater_equal(
        tf.stack([max_offset_height, max_offset_width]),
        1,
        message="Crop size greater than the image size.",
    )
    with tf.control_dependencies([size_ok]):
        offset_height = tf.random.uniform([], maxval=max_offset_height, dtype=tf.int32)
    offset_width = tf.random.uniform([], maxval=max_offset_width, dtype=tf.int32)
    return [
        _crop(image, offset_height, offset_width, crop_height, crop_width) for image in image_list
    ]


def _central_crop(image_list: Sequence[tf.Tensor], crop_height: int, crop_width: int):
    """Crops the central ``[crop_height, crop_width]`` window of each image."""
    outputs = []
    for image in image_list:
        shape = tf.shape(image)
        offset_height = (shape[0] - crop_height) // 2
        offset_width = (shape[1] - crop_width) // 2
        outputs.append(_crop(image, offset_height, offset_width, crop_height, crop_width))
    return outputs


def _mean_image_subtraction(image: tf.Tensor, means: Sequence[float]) -> tf.Tensor:
    """Subtracts ``means[i]`` from channel ``i`` of a float image.

    Raises:
      ValueError: if the image's channels are unknown or not ``len(means)``.
    """
    if image.shape.rank != 3:
        raise ValueError("Input must be of size [height, width, C>0]")
    num_channels = image.shape[-1]
    if num_channels != len(means):
        raise ValueError("len(means) must match the number of channels")
    return image - tf.constant(means, dtype=image.dtype)


def _smallest_size_at_least(height: Any, width: Any, smallest_side: Any):
    """Computes a new shape whose smallest side is ``smallest_side``, keeping the aspect.

    Returns:
      ``(new_height, new_width)`` int32 scalars, rounded to the nearest integer.
    """
    height = tf.cast(height, tf.float32)
    width = tf.cast(width, tf.float32)
    smallest_side = tf.cast(smallest_side, tf.float32)
    scale = tf.where(height > width, smallest_side / width, smallest_side / height)
    new_height = tf.cast(tf.math.rint(height * scale), tf.int32)
    new_width = tf.cast(tf.math.rint(width * scale), tf.int32)
    return new_height, new_width


def _aspect_preserving_resize(image: tf.Tensor, smallest_side: Any) -> tf.Tensor:
    """Resizes (bilinear) so that the smallest side is ``smallest_side``; float32 out."""
    shape = tf.shape(image)
    new_height, new_width = _smallest_size_at_least(shape[0], shape[1], smallest_side)
    resized = tf.compat.v1.image.resize_bilinear(
        tf.expand_dims(image, 0), tf.stack([new_height, new_width]), align_corners=False
    )
    resized = tf.squeeze(resized, [0])
    resized.set_shape([None, None, image.shape[-1]])
    return resized


def _finish(image: tf.Tensor, use_grayscale: bool) -> tf.Tensor:
    image = tf.cast(image, tf.float32)
    if use_grayscale:
        image = tf.image.rgb_to_grayscale(image)
        return _mean_image_subtraction(image, [_GRAY_MEAN])
    return _mean_image_subtraction(image, [_R_MEAN, _G_MEAN, _B_MEAN])


def preprocess_for_train(
    image: Any,
    output_height: int,
    output_width: int,
    resize_side_min: int = _RESIZE_SIDE_MIN,
    resize_side_max: int = _RESIZE_SIDE_MAX,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Preprocesses one image for training (slim's VGG training path).

    Args:
      image: a Tensor ``[height, width, 3]`` of pixel values in [0, 255] (any dtype;
        values are not rescaled).
      output_height: the height after preprocessing, a Python int.
      output_width: the width after preprocessing, a Python int.
      resize_side_min: the lower bound of the random smallest side, default 256.
      resize_side_max: the upper bound (inclusive) of the random smallest side,
        default 512.
      use_grayscale: convert to one grayscale channel (the grayscale of the RGB means
        is subtracted), default False.

    Returns:
      A float32 Tensor ``[output_height, output_width, 3]`` (1 with ``use_grayscale``),
      mean-subtracted.
    """
    image = _check_rank3(image)
    resize_side = tf.random.uniform(
        [], minval=resize_side_min, maxval=resize_side_max + 1, dtype=tf.int32
    )
    image = _aspect_preserving_resize(image, resize_side)
    image = _random_crop([image], output_height, output_width)[0]
    image.set_shape([output_height, output_width, 3])
    image = tf.image.random_flip_left_right(tf.cast(image, tf.float32))
    return _finish(image, use_grayscale)


def preprocess_for_eval(
    image: Any,
    output_height: int,
    output_width: int,
    resize_side: int = _RESIZE_SIDE_MIN,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Preprocesses one image for evaluation (slim's VGG eval path).

    Args:
      image: a Tensor ``[height, width, 3]`` of pixel values in [0, 255].
      output_height: the height after preprocessing, a Python int.
      output_width: the width after preprocessing, a Python int.
      resize_side: the smallest side after the aspect-preserving resize, default
        256.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[output_height, output_width, 3]``, mean-subtracted.
    """
    image = _check_rank3(image)
    image = _aspect_preserving_resize(image, resize_side)
    image = _central_crop([image], output_height, output_width)[0]
    image.set_shape([output_height, output_width, 3])
    return _finish(image, use_grayscale)


def preprocess_image(
    image: Any,
    output_height: int,
    output_width: int,
    is_training: bool = False,
    resize_side_min: int = _RESIZE_SIDE_MIN,
    resize_side_max: int = _RESIZE_SIDE_MAX,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Preprocesses one image for training (``is_training``) or evaluation.

    Args:
      image: a Tensor ``[height, width, 3]`` of pixel values in [0, 255].
      output_height: the height after preprocessing, a Python int.
      output_width: the width after preprocessing, a Python int.
      is_training: the training path if True, else the eval path. Default False.
      resize_side_min: training: the lower bound of the random smallest side;
        evaluation: the smallest side. Default 256.
      resize_side_max: training: the upper bound of the random smallest side,
        default 512.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[output_height, output_width, 3]``, mean-subtracted.
    """
    if is_training:
        return preprocess_for_train(
            image, output_height, output_width, resize_side_min, resize_side_max, use_grayscale
        )
    return preprocess_for_eval(image, output_height, output_width, resize_side_min, use_grayscale)
