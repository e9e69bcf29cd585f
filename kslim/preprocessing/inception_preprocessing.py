"""Provides utilities to preprocess images for the Inception networks (slim model zoo).

The preprocessing that the zoo's Inception, Inception-ResNet, MobileNet, NASNet and
PNASNet checkpoints were trained and evaluated with:

* training: a random crop sampled with ``tf.image.sample_distorted_bounding_box``
  (at least 10% of the bounding box covered, aspect ratio 3/4..4/3, 5%..100% of the
  image), a resize to the output size (bilinear; one of four methods at random unless
  ``fast_mode``), a random left-right flip, a random colour distortion (brightness and
  saturation; also hue and contrast unless ``fast_mode``, in one of four orders), and
  a scaling from [0, 1] to [-1, 1];
* evaluation: a central crop keeping 87.5% of each side, a bilinear resize to the output
  size and the same [-1, 1] scaling.

Resizes use TF1's pixel convention (``align_corners=False`` without half-pixel centres,
as ``tf.compat.v1.image.resize_bilinear``) so outputs equal those of the zoo code under
TF1. Every function here is a per-image function of TF ops: it runs eagerly and inside a
``tf.data`` map or a ``tf.function``. Random choices draw op-level seeds from the global
seed (``tf.random.set_seed``), so a seeded pipeline repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf

from kslim.tensor_types import TensorLike

__all__ = [
    "apply_with_random_selector",
    "distort_color",
    "distorted_bounding_box_crop",
    "preprocess_for_eval",
    "preprocess_for_train",
    "preprocess_image",
]

_RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area")


def _resize(image: tf.Tensor, height: int, width: int, method: str = "bilinear") -> tf.Tensor:
    """Resizes one ``[h, w, c]`` float image as TF1's ``tf.image.resize_images``."""
    return tf.compat.v1.image.resize(image, [height, width], method=method, align_corners=False)


def _image_summary(name: str, image: tf.Tensor, bbox: tf.Tensor | None = None) -> None:
    """Writes an image summary (with ``bbox`` drawn, if given) of one ``[h, w, c]`` image.

    Written only when run eagerly with a default writer and a step: inside a
    ``tf.data`` map or a ``tf.function`` there is no per-example writer (slim wrote
    these from its queue threads), so nothing is written or computed there.
    """
    if not tf.executing_eagerly() or tf.summary.experimental.get_step() is None:
        return
    images = tf.expand_dims(image, 0)
    if bbox is not None:
        images = tf.compat.v1.image.draw_bounding_boxes(images, bbox)
    tf.summary.image(name, images)


def apply_with_random_selector(
    x: tf.Tensor, func: Callable[[tf.Tensor, int], tf.Tensor], num_cases: int
) -> tf.Tensor:
    """Computes ``func(x, sel)``, with ``sel`` sampled uniformly from ``[0, num_cases)``.

    Only the selected case runs (slim used graph switch/merge; this is
    ``tf.switch_case``, which also runs eagerly).

    Args:
      x: input Tensor.
      func: Python function ``func(x, case)`` with a Python int ``case``.
      num_cases: Python int, the number of cases to sample ``sel`` from.

    Returns:
      The result of ``func(x, sel)``, where ``sel`` is a random int32 in
      ``[0, num_cases)``.
    """
    if num_cases == 1:
        return func(x, 0)
    sel = tf.random.uniform([], maxval=num_cases, dtype=tf.int32)
    return tf.switch_case(sel, [lambda case=case: func(x, case) for case in range(num_cases)])


def distort_color(
    image: tf.Tensor, color_ordering: int = 0, fast_mode: bool = True, scope: str | None = None
) -> tf.Tensor:
    """Distorts the colour of an image in [0, 1] (slim's orderings).

    Each colour distortion is non-commutative, so the ordering matters; slim selects one
    of four orderings at random per image.

    Args:
      image: a float Tensor ``[height, width, 3]`` in [0, 1].
      color_ordering: Python int in ``[0, 4)`` (``[0, 2)`` in fast mode), the ordering
        of the colour ops. Default 0.
      fast_mode: skip the slow hue and contrast ops, default True.
      scope: optional name scope, default ``'distort_color'``.

    Returns:
      The colour-distorted image, clipped to [0, 1].

    Raises:
      ValueError: if ``color_ordering`` is not in the allowed range.
    """
    with tf.name_scope(scope or "distort_color"):

        def brightness(x: TensorLike):
            return tf.image.random_brightness(x, max_delta=32.0 / 255.0)

        def saturation(x: TensorLike):
            return tf.image.random_saturation(x, lower=0.5, upper=1.5)

        def hue(x: TensorLike):
            return tf.image.random_hue(x, max_delta=0.2)

        def contrast(x: TensorLike):
            return tf.image.random_contrast(x, lower=0.5, upper=1.5)

        if fast_mode:
            orderings = [(brightness, saturation), (saturation, brightness)]
        else:
            orderings = [
                (brightness, saturation, hue, contrast),
                (saturation, brightness, contrast, hue),
                (contrast, hue, brightness, saturation),
                (hue, saturation, contrast, brightness),
            ]
        if not 0 <= color_ordering < len(orderings):
            raise ValueError(
                f"color_ordering must be in [0, {len(orderings)}) "
                f"(fast_mode={fast_mode}), got {color_ordering!r}"
            )
        for op in orderings[color_ordering]:
            image = op(image)
        # The random ops above can move values outside [0, 1].
        return tf.clip_by_value(image, 0.0, 1.0)


def distorted_bounding_box_crop(
    image: tf.Tensor,
    bbox: Any,
    min_object_covered: float = 0.1,
    aspect_ratio_range: Sequence[float] = (0.75, 1.33),
    area_range: Sequence[float] = (0.05, 1.0),
    max_attempts: int = 100,
    scope: str | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Generates a cropped image using one randomly distorted bounding box.

    Args:
      image: a Tensor ``[height, width, channels]``.
      bbox: a float Tensor ``[1, num_boxes, 4]`` of ``[ymin, xmin, ymax, xmax]``
        relative coordinates; with no boxes the whole image is the box.
      min_object_covered: the cropped area must contain at least this fraction of
        some bounding box, default 0.1.
      aspect_ratio_range: allowed ``width / height`` range of the crop, default
        ``(0.75, 1.33)``.
      area_range: allowed fraction of the image area in the crop, default
        ``(0.05, 1.0)``.
      max_attempts: attempts at a crop meeting the constraints before the whole image
        is returned, default 100.
      scope: optional name scope, default ``'distorted_bounding_box_crop'``.

    Returns:
      ``(cropped_image, distort_bbox)``: the crop and its box ``[1, 1, 4]``.
    """
    with tf.name_scope(scope or "distorted_bounding_box_crop"):
        # tf.image.sample_distorted_bounding_box does not draw its seeds from the
        # global seed (slim's crops did not repeat under tf.set_random_seed); here
        # they are drawn as every other random op's.
        seed, seed2 = tf.compat.v1.get_seed(None)
        bbox_begin, bbox_size, distort_bbox = tf.raw_ops.SampleDistortedBoundingBoxV2(
            image_size=tf.shape(image),
            bounding_boxes=bbox,
            min_object_covered=min_object_covered,
            seed=seed or 0,
            seed2=seed2 or 0,
            aspect_ratio_range=list(aspect_ratio_range),
            area_range=list(area_range),
            max_attempts=max_attempts,
            use_image_if_no_bounding_boxes=True,
        )
        return tf.slice(image, bbox_begin, bbox_size), distort_bbox


def _to_float(image: Any) -> tf.Tensor:
    image = tf.convert_to_tensor(image)
    if image.shape.rank is not None and image.shape.rank != 3:
        raise ValueError(
            f"image must be [height, width, channels] (rank 3), got shape {image.shape}"
        )
    if image.dtype != tf.float32:
        image = tf.image.convert_image_dtype(image, dtype=tf.float32)
    return image


def _scale_to_minus_one_one(image: tf.Tensor) -> tf.Tensor:
    return tf.multiply(tf.subtract(image, 0.5), 2.0)


def preprocess_for_train(
    image: Any,
    height: int,
    width: int,
    bbox: Any = None,
    fast_mode: bool = True,
    scope: str | None = None,
    add_image_summaries: bool = True,
    random_crop: bool = True,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Distorts one image for training a network (slim's Inception training path).

    Args:
      image: a Tensor ``[height, width, 3]``. A float32 image is taken to be in
        [0, 1]; other dtypes are converted with ``tf.image.convert_image_dtype``
        (uint8 divided by 255).
      height: the output height, a Python int.
      width: the output width, a Python int.
      bbox: float Tensor ``[1, num_boxes, 4]`` of ``[ymin, xmin, ymax, xmax]``
        relative boxes, default None (the whole image).
      fast_mode: one resize method (bilinear) and fast colour distortion (brightness
        and saturation only), default True.
      scope: optional name scope, default ``'distort_image'``.
      add_image_summaries: write image summaries of the box and the distorted image
        with ``tf.summary.image`` when run eagerly under a default writer and
        ``tf.summary.experimental.set_step`` (not inside a ``tf.data`` map),
        default True.
      random_crop: crop with a random distorted bounding box, default True; False
        resizes the whole image.
      use_grayscale: convert the distorted image to one grayscale channel, default
        False.

    Returns:
      A float32 Tensor ``[height, width, 3]`` (1 channel with ``use_grayscale``) in
      [-1, 1].
    """
    with tf.name_scope(scope or "distort_image"):
        if bbox is None:
            bbox = tf.constant([0.0, 0.0, 1.0, 1.0], dtype=tf.float32, shape=[1, 1, 4])
        image = _to_float(image)
        if add_image_summaries:
            _image_summary("image_with_bounding_boxes", image, bbox)
        if random_crop:
            distorted_image, distorted_bbox = distorted_bounding_box_crop(image, bbox)
            if add_image_summaries:
                _image_summary("images_with_distorted_bounding_box", image, distorted_bbox)
        else:
            distorted_image = image
        # The random crop has an unknown shape; the channels stay known.
        distorted_image.set_shape([None, None, 3])
        num_resize_cases = 1 if fast_mode else 4
        distorted_image = apply_with_random_selector(
            distorted_image,
            lambda x, method: _resize(x, height, width, _RESIZE_METHODS[method]),
            num_cases=num_resize_cases,
        )
        distorted_image.set_shape([height, width, 3])
        if add_image_summaries:
            _image_summary("cropped_resized_image", distorted_image)
        distorted_image = tf.image.random_flip_left_right(distorted_image)
        num_distort_cases = 1 if fast_mode else 4
        distorted_image = apply_with_random_selector(
            distorted_image,
            lambda x, ordering: distort_color(x, ordering, fast_mode),
            num_cases=num_distort_cases,
        )
        if use_grayscale:
            distorted_image = tf.image.rgb_to_grayscale(distorted_image)
        if add_image_summaries:
            _image_summary("final_distorted_image", distorted_image)
        return _scale_to_minus_one_one(distorted_image)


def preprocess_for_eval(
    image: Any,
    height: int | None,
    width: int | None,
    central_fraction: float | None = 0.875,
    scope: str | None = None,
    central_crop: bool = True,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Prepares one image for evaluation (slim's Inception eval path).

    Crops the central ``central_fraction`` of the image, resizes it (bilinear) to
    ``[height, width]`` and scales it to [-1, 1].

    Args:
      image: a Tensor ``[height, width, channels]``; float32 in [0, 1], or another
        dtype converted with ``tf.image.convert_image_dtype``.
      height: the output height, or None (no resize).
      width: the output width, or None (no resize).
      central_fraction: the fraction of each side kept by the central crop, default
        0.875; None or 0 for no crop.
      scope: optional name scope, default ``'eval_image'``.
      central_crop: crop the centre at all, default True.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[height, width, channels]`` in [-1, 1].
    """
    with tf.name_scope(scope or "eval_image"):
        image = _to_float(image)
        if use_grayscale:
            image = tf.image.rgb_to_grayscale(image)
        if central_crop and central_fraction:
            image = tf.image.central_crop(image, central_fraction=central_fraction)
        if height and width:
            image = tf.compat.v1.image.resize_bilinear(
                tf.expand_dims(image, 0), [height, width], align_corners=False
            )
            image = tf.squeeze(image, [0])
        return _scale_to_minus_one_one(image)


def preprocess_image(
    image: Any,
    height: int,
    width: int,
    is_training: bool = False,
    bbox: Any = None,
    fast_mode: bool = True,
    add_image_summaries: bool = True,
    crop_image: bool = True,
    use_grayscale: bool = False,
) -> tf.Tensor:
    """Pre-processes one image for training or evaluation.

    Args:
      image: a Tensor ``[height, width, 3]`` (see ``preprocess_for_train``).
      height: the output height, a Python int.
      width: the output width, a Python int.
      is_training: the training path (random crop, flip, colour) if True, else the
        eval path (central crop). Default False.
      bbox: training only: relative boxes ``[1, num_boxes, 4]``, default None.
      fast_mode: training only: fast resize and colour distortion, default True.
      add_image_summaries: training only: image summaries, default True.
      crop_image: the random crop (training) or the central crop (eval), default
        True.
      use_grayscale: convert to one grayscale channel, default False.

    Returns:
      A float32 Tensor ``[height, width, channels]`` in [-1, 1].
    """
    if is_training:
        return preprocess_for_train(
            image,
            height,
            width,
            bbox,
            fast_mode,
            add_image_summaries=add_image_summaries,
            random_crop=crop_image,
            use_grayscale=use_grayscale,
        )
    return preprocess_for_eval(
        image, height, width, central_crop=crop_image, use_grayscale=use_grayscale
    )
