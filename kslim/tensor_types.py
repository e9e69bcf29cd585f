"""The type aliases kslim's signatures use.

slim's API is dynamic: a layer takes a ``tf.Tensor`` eagerly and a ``keras.KerasTensor``
while a model is being built, a metric takes arrays or tensors, a ``scope`` is a name or a
scope object. These aliases name those unions once, so signatures stay short and read as
slim's docstrings do. They are for readers and type checkers; nothing checks them at run
time.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# A tensor a slim function computes on: eager or symbolic (while a model is built).
Tensor = keras.KerasTensor | tf.Tensor

# Anything ``tf.convert_to_tensor`` accepts: tensors, variables, arrays, numbers, lists.
TensorLike = keras.KerasTensor | tf.Tensor | tf.Variable | np.ndarray | float | int | Sequence[Any]

# Kernel sizes, strides and rates: one int for every spatial dimension, or one per dimension.
Size = int | Sequence[int]

# A static shape: dimensions (None where unknown) or a TensorShape.
ShapeLike = Sequence[int | None] | tf.TensorShape

# A dtype as TF and numpy accept it: ``tf.float32``, ``"float32"``, ``np.float32``.
DTypeLike = tf.dtypes.DType | str | type | np.dtype

# A slim ``*_collections`` argument: one name, several names, or (for
# ``variables_collections``) a dict from variable name to names.
Collections = str | Sequence[str] | Mapping[str, Sequence[str]]

# A variable-scope argument: a scope name or a scope object (kslim's or tf.compat.v1's).
Scope = str | Any

# ``reuse``: True, False, None or ``AUTO_REUSE``.
Reuse = bool | Any

# Initializers, regularizers, activations and normalizers: callables, as in slim.
Initializer = Callable[..., Any]
Regularizer = Callable[[Any], Any]
Activation = Callable[..., Any]

# The ``logs`` dict Keras hands to callbacks.
Logs = dict[str, Any]

__all__ = [
    "Activation",
    "Collections",
    "DTypeLike",
    "Initializer",
    "Logs",
    "Regularizer",
    "Reuse",
    "Scope",
    "ShapeLike",
    "Size",
    "Tensor",
    "TensorLike",
]
