"""Reading and restoring the tensors of a checkpoint by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from kslim.checkpoints.files import (
    READ_ERRORS,
    CheckpointError,
    CorruptCheckpointError,
    open_reader,
)
from kslim.checkpoints.logdir import resolve_checkpoint

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


def list_variables(path: str) -> list[tuple[str, list[int], str]]:
    """Returns ``(name, shape, dtype)`` for each tensor of checkpoint ``path``.

    Raises:
      CheckpointError: if the checkpoint is missing or unreadable (names it).
    """
    path = resolve_checkpoint(path)
    reader = open_reader(path)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    return [(n, list(shapes[n]), dtypes[n].name) for n in sorted(shapes)]


def read_checkpoint(path: str, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Reads tensors of checkpoint ``path`` (a prefix or a directory: its latest).

    Raises:
      CheckpointError: missing/corrupt file or missing names (all listed).
    """
    path = resolve_checkpoint(path)
    reader = open_reader(path)
    available = reader.get_variable_to_shape_map()
    names = sorted(available) if names is None else list(names)
    missing = [n for n in names if n not in available]
    if missing:
        raise CheckpointError(f"checkpoint {path!r} is missing variables {missing}")
    try:
        return {n: reader.get_tensor(n) for n in names}
    except READ_ERRORS as e:
        raise CorruptCheckpointError(
            f"checkpoint {path!r} data cannot be read (corrupt or truncated): {e}"
        ) from None


def restore_variables(
    path: str,
    variables: Mapping[str, Any],
    ignore_missing_vars: bool = False,
    reshape_variables: bool = False,
) -> list[str]:
    """Assigns checkpoint values to ``{checkpoint name: variable}``, all or nothing.

    Every name and shape is checked before any variable is assigned.

    Args:
      path: checkpoint prefix, or a directory (its latest checkpoint).
      variables: checkpoint key -> variable (anything with ``assign``).
      ignore_missing_vars: skip names absent from the checkpoint.
      reshape_variables: allow a different shape with the same size.

    Returns:
      The names restored.

    Raises:
      CheckpointError: missing/corrupt checkpoint (names the file), missing
        variables (all listed), or shape mismatches (each with both shapes).
    """
    path = resolve_checkpoint(path)
    reader = open_reader(path)
    shapes = reader.get_variable_to_shape_map()
    missing = [n for n in variables if n not in shapes]
    if missing and not ignore_missing_vars:
        raise CheckpointError(f"checkpoint {path!r} is missing variables {sorted(missing)}")
    todo = {n: v for n, v in variables.items() if n in shapes}
    errors = []
    for name, var in todo.items():
        want = tuple(int(d) for d in var.shape)
        have = tuple(shapes[name])
        if want != have and not (reshape_variables and np.prod(want) == np.prod(have)):
            errors.append(f"{name}: checkpoint shape {list(have)} vs variable shape {list(want)}")
    if errors:
        raise CheckpointError(
            f"checkpoint {path!r} does not match the variables: " + "; ".join(errors)
        )
    try:
        values = {n: reader.get_tensor(n) for n in todo}
    except READ_ERRORS as e:
        raise CorruptCheckpointError(
            f"checkpoint {path!r} data cannot be read (corrupt or truncated): {e}"
        ) from None
    for name, var in todo.items():
        value = values[name]
        var.assign(np.reshape(value, tuple(var.shape)).astype(np.dtype(_dtype_name(var))))
    return sorted(todo)


def _dtype_name(var: tf.Variable | keras.Variable) -> str:
    dtype = var.dtype
    return getattr(dtype, "name", None) or str(dtype)
