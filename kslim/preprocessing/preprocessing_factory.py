"""Contains a factory for building various models' preprocessing (slim's factory).

``get_preprocessing(name)`` returns ``preprocessing_fn(image, output_height,
output_width, **kwargs)`` for one example. ``preprocessing_fn_map`` maps a name to a
module with ``preprocess_image(image, output_height, output_width, is_training, ...)``;
add an entry to register another preprocessing::

    from kslim.preprocessing import preprocessing_factory
    preprocessing_factory.preprocessing_fn_map['my_net'] = my_net_preprocessing
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from kslim.preprocessing import lenet_preprocessing

__all__ = ["get_preprocessing", "preprocessing_fn_map"]

preprocessing_fn_map: dict[str, Any] = {
    "lenet": lenet_preprocessing,
}


def get_preprocessing(
    name: str, is_training: bool = False, use_grayscale: bool = False
) -> Callable[..., tf.Tensor]:
    """Returns preprocessing_fn(image, height, width, **kwargs).

    Args:
      name: the name of the preprocessing function (a key of
        ``preprocessing_fn_map``, e.g. ``'lenet'``).
      is_training: ``True`` if the model is being used for training, default False.
      use_grayscale: convert RGB images to grayscale (one channel) before the
        preprocessing, default False.

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

    def preprocessing_fn(image: Any, output_height: int, output_width: int, **kwargs: Any):
        if use_grayscale:
            image = tf.image.rgb_to_grayscale(image)
        return preprocess_image(
            image, output_height, output_width, is_training=is_training, **kwargs
        )

    return preprocessing_fn
