"""Contains a factory for building various models' preprocessing (slim's factory).

``get_preprocessing(name)`` returns ``preprocessing_fn(image, output_height,
output_width, **kwargs)`` for one example. ``preprocessing_fn_map`` maps a name to a
module with ``preprocess_image(image, output_height, output_width, is_training, ...)``;
add an entry to register another preprocessing::

    from kslim.preprocessing import preprocessing_factory
    preprocessing_factory.preprocessing_fn_map['my_net'] = my_net_preprocessing
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from kslim.preprocessing import (
    cifarnet_preprocessing,
    inception_preprocessing,
    lenet_preprocessing,
    vgg_preprocessing,
)

__all__ = ["get_preprocessing", "preprocessing_fn_map"]

# slim's map, plus the nets kslim.nets_factory has that slim's map lacks
# (mobilenet_v1_075/050/025: as mobilenet_v1; nasnet_cifar: as cifarnet).
preprocessing_fn_map: dict[str, Any] = {
    "cifarnet": cifarnet_preprocessing,
    "inception": inception_preprocessing,
    "inception_v1": inception_preprocessing,
    "inception_v2": inception_preprocessing,
    "inception_v3": inception_preprocessing,
    "inception_v4": inception_preprocessing,
    "inception_resnet_v2": inception_preprocessing,
    "lenet": lenet_preprocessing,
    "mobilenet_v1": inception_preprocessing,
    "mobilenet_v1_075": inception_preprocessing,
    "mobilenet_v1_050": inception_preprocessing,
    "mobilenet_v1_025": inception_preprocessing,
    "mobilenet_v2": inception_preprocessing,
    "mobilenet_v2_035": inception_preprocessing,
    "mobilenet_v2_140": inception_preprocessing,
    "mobilenet_v3_small": inception_preprocessing,
    "mobilenet_v3_large": inception_preprocessing,
    "mobilenet_v3_small_minimalistic": inception_preprocessing,
    "mobilenet_v3_large_minimalistic": inception_preprocessing,
    "mobilenet_edgetpu": inception_preprocessing,
    "mobilenet_edgetpu_075": inception_preprocessing,
    "nasnet_cifar": cifarnet_preprocessing,
    "nasnet_mobile": inception_preprocessing,
    "nasnet_large": inception_preprocessing,
    "pnasnet_mobile": inception_preprocessing,
    "pnasnet_large": inception_preprocessing,
    "resnet_v1_50": vgg_preprocessing,
    "resnet_v1_101": vgg_preprocessing,
    "resnet_v1_152": vgg_preprocessing,
    "resnet_v1_200": vgg_preprocessing,
    "resnet_v2_50": vgg_preprocessing,
    "resnet_v2_101": vgg_preprocessing,
    "resnet_v2_152": vgg_preprocessing,
    "resnet_v2_200": vgg_preprocessing,
    "vgg": vgg_preprocessing,
    "vgg_a": vgg_preprocessing,
    "vgg_16": vgg_preprocessing,
    "vgg_19": vgg_preprocessing,
}


def _accepts_use_grayscale(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "use_grayscale" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def get_preprocessing(
    name: str, is_training: bool = False, use_grayscale: bool = False
) -> Callable[..., tf.Tensor]:
    """Returns preprocessing_fn(image, height, width, **kwargs).

    Args:
      name: the name of the preprocessing function (a key of
        ``preprocessing_fn_map``, e.g. ``'lenet'``).
      is_training: ``True`` if the model is being used for training, default False.
      use_grayscale: produce grayscale images (one channel), default False. A
        ``preprocess_image`` with a ``use_grayscale`` argument gets it (as slim);
        for one without, the RGB image is converted before the preprocessing.

    Returns:
      preprocessing_fn: a function that preprocesses a single image (pre-batch):
      ``preprocessing_fn(image, output_height, output_width, **kwargs)``.

    Raises:
      ValueError: if the preprocessing ``name`` is not recognized (slim's message).
    """
    if name not in preprocessing_fn_map:
        raise ValueError("Preprocessing name [%s] was not recognized" % name)
    module = preprocessing_fn_map[name]
    preprocess_image = getattr(module, "preprocess_image", module)

    pass_grayscale = _accepts_use_grayscale(preprocess_image)

    def preprocessing_fn(image: Any, output_height: int, output_width: int, **kwargs: Any):
        if pass_grayscale:
            kwargs.setdefault("use_grayscale", use_grayscale)
        elif use_grayscale:
            image = tf.image.rgb_to_grayscale(image)
        return preprocess_image(
            image, output_height, output_width, is_training=is_training, **kwargs
        )

    return preprocessing_fn
