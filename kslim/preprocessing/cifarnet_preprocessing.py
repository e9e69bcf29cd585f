"""Provides utilities to preprocess images in CIFAR-10 (slim model zoo's CifarNet).

* training: zero-pad ``padding`` pixels on each side, a random ``output_height x
  output_width`` crop, a random left-right flip, a random brightness (max delta 63, in
  pixel units) and contrast (0.2..1.8) change, then ``tf.image.per_image_standardization``;
* evaluation: a central crop or zero-pad to the output size, then the standardization.

Pixel values are cast to float32 without rescaling. Every function is a per-image
function of TF ops (eager, ``tf.data`` map, ``tf.function``); random choices draw op-level
seeds from the global seed (``tf.random.set_seed``).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

__all__ = ["preprocess_for_eval", "preprocess_for_train", "preprocess_image"]

_PADDING = 4


def _image_summary(name: str, image: tf.Tensor) -> None:
    """Writes an image summary when run eagerly with a default writer and a step."""
    if tf.executing_eagerly() and tf.summary.experimental.get_step() is not None:
        tf.summary.image(name, tf.expand_dims(image, 0))


def _to_float(image: Any, use_grayscale: bool) -> tf.Tensor:
    image = tf.convert_to_tensor(image)
    if image.shape.rank is not None and image.shape.rank != 3:
        raise ValueError(
            f"image must be [height, width, channels] (rank 3), got shape {image.shape}"
        )
    image = tf.cast(image, tf.float32)
    if use_grayscale:
        image = tf.image.rgb_to_grayscale(image)
    return image


def preprocess_for_train(
    image: Any,
    output_height: int,
    output_width: int,
    padding: int = _PADDING,
    add_image_summaries: bool = True,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Preprocesses one image for training (slim's CifarNet training path).

    Args:
      image: a Tensor ``[height, width, channels]`` of pixel values in [0, 255].
      output_height: the height after preprocessing, a Python int.
      output_width: the width after preprocessing, a Python int.
      padding: zero pixels added on each side before the random crop, default 4.
      add_image_summaries: image summaries of the input and the cropped image, when
        run eagerly under a default writer with a step set, default True.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[output_height, output_width, channels]``, standardized
      (zero mean, unit variance).
    """
    image = _to_float(image, use_grayscale)
    if add_image_summaries:
        _image_summary("image", image)
    if padding > 0:
        image = tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])
    channels = image.shape[-1] if image.shape[-1] is not None else tf.shape(image)[-1]
    distorted_image = tf.image.random_crop(image, [output_height, output_width, channels])
    distorted_image = tf.image.random_flip_left_right(distorted_image)
    if add_image_summaries:
        _image_summary("distorted_image", distorted_image)
    # Brightness and contrast are not commutative; slim applies them in this order.
    distorted_image = tf.image.random_brightness(distorted_image, max_delta=63)
    distorted_image = tf.image.random_contrast(distorted_image, lower=0.2, upper=1.8)
    return tf.image.per_image_standardization(distorted_image)


def preprocess_for_eval(
    image: Any,
    output_height: int,
    output_width: int,
    add_image_summaries: bool = True,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Preprocesses one image for evaluation (slim's CifarNet eval path).

    Args:
      image: a Tensor ``[height, width, channels]`` of pixel values in [0, 255].
      output_height: the height after preprocessing, a Python int.
      output_width: the width after preprocessing, a Python int.
      add_image_summaries: image summaries, as ``preprocess_for_train``, default True.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[output_height, output_width, channels]``, standardized.
    """
    image = _to_float(image, use_grayscale)
    if add_image_summaries:
        _image_summary("image", image)
    # slim passed (output_width, output_height) here; the same for square outputs.
    resized_image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    if add_image_summaries:
        _image_summary("resized_image", resized_image)
    return tf.image.per_image_standardization(resized_image)


def preprocess_image(
    image: Any,
    output_height: int,
    output_width: int,
    is_training: bool = False,
    add_image_summaries: bool = True,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Preprocesses one image for training (``is_training``) or evaluation.

    Args:
      image: a Tensor ``[height, width, channels]`` of pixel values in [0, 255].
      output_height: the height after preprocessing, a Python int.
      output_width: the width after preprocessing, a Python int.
      is_training: the training path if True, else the eval path. Default False.
      add_image_summaries: image summaries (see ``preprocess_for_train``), default
        True.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[output_height, output_width, channels]``, standardized.
    """
    if is_training:
        return preprocess_for_train(
            image,
            output_height,
            output_width,
            add_image_summaries=add_image_summaries,
            use_grayscale=use_grayscale,
        )
    return preprocess_for_eval(
        image,
        output_height,
        output_width,
        add_image_summaries=add_image_summaries,
        use_grayscale=use_grayscale,
    )
