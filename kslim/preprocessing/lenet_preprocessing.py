"""Provides utilities for preprocessing images for the LeNet network.

Slim's ``lenet_preprocessing`` took MNIST's 28x28 images, cropped or padded them to
the output size and scaled them to [-1, 1]. kslim's default data are scikit-learn's
8x8 digits, and its tutorial LeNet sees them as the tutorial prepares them: values in
[0, 1], upsampled by the largest whole factor that fits (nearest neighbour, 8x8 ->
24x24) and zero-padded (centred) to the output size (28x28). For 28x28 inputs this is
slim's crop-or-pad with a [0, 1] range instead of [-1, 1].
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

__all__ = ["preprocess_image"]


def preprocess_image(
    image: Any, output_height: int, output_width: int, is_training: bool = False
) -> tf.Tensor:
    """Preprocesses the given image (one example, ``[height, width, channels]``).

    Integer images are divided by their dtype's maximum (255 for uint8); float
    images are taken to be in [0, 1] already. An image smaller than the output is
    upsampled by the largest whole factor ``k`` with ``k * height <= output_height``
    and ``k * width <= output_width`` (nearest neighbour); then it is centrally
    cropped or zero-padded to ``[output_height, output_width]``.

    Args:
      image: a ``Tensor`` ``[height, width, channels]`` of any numeric dtype.
      output_height: the height of the image after preprocessing, a positive int.
      output_width: the width of the image after preprocessing, a positive int.
      is_training: accepted as in slim; LeNet's preprocessing is the same for
        training and evaluation (no augmentation).

    Returns:
      A float32 ``Tensor`` ``[output_height, output_width, channels]`` in [0, 1].

    Raises:
      ValueError: if an output size is not a positive integer, or ``image`` is
        not of rank 3.
    """
    del is_training
    for name, value in (("output_height", output_height), ("output_width", output_width)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    image = tf.convert_to_tensor(image)
    if image.shape.rank is not None and image.shape.rank != 3:
        raise ValueError(
            f"image must be [height, width, channels] (rank 3), got shape {image.shape}"
        )
    if image.dtype.is_integer:
        image = tf.cast(image, tf.float32) / float(image.dtype.max)
    else:
        image = tf.cast(image, tf.float32)
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    factor = tf.maximum(1, tf.minimum(output_height // height, output_width // width))
    image = tf.image.resize(image, tf.stack([height * factor, width * factor]), method="nearest")
    image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    image.set_shape([output_height, output_width, image.shape[-1]])
    return image
