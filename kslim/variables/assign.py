"""slim's variable assignment: from values, from checkpoints, and restoring a Keras model.

Checkpoint assignment (``assign_from_checkpoint*``, ``restore_from_slim_checkpoint``)
goes through ``kslim.checkpoints``: every name and shape is checked before any
variable changes, missing names are listed all at once, and a missing or
corrupt checkpoint is named.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kslim import checkpoints
from kslim.variables.queries import get_variable_full_name, get_variables, tf_name, unique_variables

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

__all__ = [
    "assign_from_checkpoint",
    "assign_from_checkpoint_fn",
    "assign_from_values",
    "assign_from_values_fn",
    "restore_from_slim_checkpoint",
]

_log = logging.getLogger("kslim")


def _assigner(pairs: list) -> Callable:
    def assign(*_unused: Any):
        for var, value in pairs:
            var.assign(value)

    return assign


def assign_from_values(var_names_to_values: Mapping[str, Any]) -> tuple[Callable, dict]:
    """Prepares assigning ``{variable name: value}`` to global variables.

    Values are reshaped to the variable's shape. Everything is checked here,
    so the returned callable assigns all or (on a bad argument) nothing.

    Args:
      var_names_to_values: variable name (a prefix regex, as slim) -> value.

    Returns:
      ``(assign_fn, feed_dict)``: ``assign_fn()`` performs the assignment
      (TF2's replacement of slim's assign op); ``feed_dict`` is ``{}``.

    Raises:
      ValueError: ``"Variable %s wasn't found"``, ``"Variable %s doesn't
        uniquely identify a variable"``, or a value of another size.
    """
    pairs = []
    for var_name, value in var_names_to_values.items():
        found = get_variables(var_name)
        if not found:
            raise ValueError(f"Variable {var_name} wasn't found")
        if len(found) > 1:
            exact = [v for v in found if get_variable_full_name(v) == var_name]
            if not exact:
                raise ValueError(f"Variable {var_name} doesn't uniquely identify a variable")
            found = exact
        var = found[0]
        value = np.asarray(value)
        if value.size != int(np.prod(var.shape)):
            raise ValueError(
                f"value for variable {var_name} has shape {list(value.shape)}, which cannot "
                f"be reshaped to the variable's shape {list(var.shape)}"
            )
        pairs.append((var, value.reshape(tuple(var.shape))))
    return _assigner(pairs), {}


def assign_from_values_fn(var_names_to_values: Mapping[str, Any]) -> Callable:
    """Like ``assign_from_values``; returns ``callback(model_or_session)`` that assigns."""
    assign_fn, _ = assign_from_values(var_names_to_values)
    return assign_fn


# -------------------------------------------- assignment from checkpoints
def variables_by_checkpoint_name(
    var_list: Sequence[keras.Variable | tf.Variable] | Mapping[str, Any],
) -> dict[str, Any]:
    """``{checkpoint name: variable}`` from slim's ``var_list``.

    Args:
      var_list: a list/tuple of variables (keyed by full name) or a dict
        ``{checkpoint name: variable or [variable]}``.

    Returns:
      The dict.

    Raises:
      ValueError: a dict value holding more than one variable.
      TypeError: ``var_list`` neither a list/tuple nor a dict.
    """
    if isinstance(var_list, Mapping):
        grouped = {}
        for name, value in var_list.items():
            if isinstance(value, (list, tuple)):
                if len(value) != 1:
                    raise ValueError(
                        f"var_list[{name!r}] holds {len(value)} variables; kslim restores one "
                        "variable per checkpoint name (no partitioned variables)"
                    )
                value = value[0]
            grouped[name] = value
        return grouped
    if isinstance(var_list, (list, tuple)):
        return {get_variable_full_name(v): v for v in var_list}
    raise TypeError(f"var_list must be a list/tuple of variables or a dict, got {var_list!r}")


def _present(model_path: str, grouped: dict, ignore_missing_vars: bool, message: str) -> dict:
    names = {n for n, _, _ in checkpoints.list_variables(model_path)}
    present = {}
    for name, var in grouped.items():
        if name in names:
            present[name] = var
        elif ignore_missing_vars:
            _log.warning(message, name, model_path)
    return present


def assign_from_checkpoint(
    model_path: str,
    var_list: Sequence[keras.Variable | tf.Variable] | Mapping[str, Any],
    ignore_missing_vars: bool = False,
) -> tuple[Callable, dict]:
    """Reads the values of ``var_list`` from a checkpoint, to be assigned later.

    Names and shapes are checked and values read here, as slim did; the
    returned callable assigns them all.

    Args:
      model_path: checkpoint prefix (or a directory: its latest checkpoint).
      var_list: list of variables (keyed by full name) or a dict
        ``{checkpoint name: variable}`` (renames scopes).
      ignore_missing_vars: skip (with a warning) names absent from the checkpoint.

    Returns:
      ``(assign_fn, feed_dict)``: ``assign_fn()`` assigns the values (TF2's
      replacement of slim's assign op); ``feed_dict`` is ``{}``.

    Raises:
      kslim.checkpoints.CheckpointError (a ValueError): a missing/corrupt
        checkpoint (names it), missing variables (all listed), shape
        mismatches (name, both shapes).
    """
    grouped = variables_by_checkpoint_name(var_list)
    if ignore_missing_vars:
        grouped = _present(
            model_path, grouped, True, "Checkpoint is missing variable [%s] (checkpoint %s)"
        )
    values = checkpoints.read_checkpoint(model_path, list(grouped))
    errors = [
        f"{n}: checkpoint shape {list(values[n].shape)} vs variable shape {list(v.shape)}"
        for n, v in grouped.items()
        if tuple(values[n].shape) != tuple(v.shape)
    ]
    if errors:
        raise checkpoints.CheckpointError(
            f"checkpoint {model_path!r} does not match the variables: " + "; ".join(errors)
        )
    return _assigner([(v, values[n]) for n, v in grouped.items()]), {}


def assign_from_checkpoint_fn(
    model_path: str,
    var_list: Sequence[keras.Variable | tf.Variable] | Mapping[str, Any],
    ignore_missing_vars: bool = False,
    reshape_variables: bool = False,
) -> Callable | None:
    """Returns ``callback(model_or_session)`` restoring ``var_list`` from a checkpoint.

    ``kslim.learning.train`` calls ``init_fn(model)``; the argument is ignored
    (the variables are known). The checkpoint is read when the callback runs;
    every name and shape is checked first, so nothing is half-restored.

    Args:
      model_path: checkpoint prefix (or a directory: its latest checkpoint).
      var_list: list of variables or dict ``{checkpoint name: variable}``.
      ignore_missing_vars: drop names absent from the checkpoint now, with a
        warning ``Variable %s missing in checkpoint %s`` each.
      reshape_variables: allow a checkpoint shape with the same number of elements.

    Returns:
      The callback (returning the restored names), or None when
      ``ignore_missing_vars`` leaves nothing to restore.

    Raises:
      ValueError: ``'var_list cannot be empty'``.
      kslim.checkpoints.CheckpointError: when called (or now, with
        ``ignore_missing_vars``) for a missing/corrupt checkpoint, missing
        variables (all listed) or shape mismatches.
    """
    if var_list is None or len(var_list) == 0:
        raise ValueError("var_list cannot be empty")
    grouped = variables_by_checkpoint_name(var_list)
    if ignore_missing_vars:
        grouped = _present(model_path, grouped, True, "Variable %s missing in checkpoint %s")
    if not grouped:
        _log.warning("No Variables to restore")
        return None

    def callback(model_or_session: Any = None) -> list[str]:
        del model_or_session
        return checkpoints.restore_variables(
            model_path, grouped, reshape_variables=reshape_variables
        )

    return callback


def restore_from_slim_checkpoint(
    model: keras.Layer | Sequence[keras.Variable | tf.Variable],
    checkpoint_path: str,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    ignore_missing_vars: bool = False,
    reshape_variables: bool = False,
) -> list[str]:
    """Loads a slim (TF1) checkpoint into a Keras model's weights by name.

    Each weight's ``.path`` (``conv1/weights`` for kslim layers) is its
    checkpoint name. All or nothing: names and shapes are checked first.

    Args:
      model: a Keras model or layer (its ``weights``), or a list of variables.
      checkpoint_path: checkpoint prefix or a directory (its latest checkpoint).
      include: list/tuple of name prefixes (regex ``re.match``) to restore; None: all.
      exclude: list/tuple of name prefixes to leave alone (e.g. ``['fc5']``).
      ignore_missing_vars: skip, with a warning, weights absent from the checkpoint.
      reshape_variables: allow same-size checkpoint tensors of another shape.

    Returns:
      The checkpoint names restored.

    Raises:
      TypeError: ``include``/``exclude`` not a list or tuple.
      kslim.checkpoints.CheckpointError: missing/corrupt checkpoint, missing
        weights (all listed), shape mismatches.
    """
    for arg, value in (("include", include), ("exclude", exclude)):
        if value is not None and not isinstance(value, (list, tuple)):
            raise TypeError(f"{arg} is provided but is not a list or a tuple. Got {value!r}")
    weights = model if isinstance(model, (list, tuple)) else model.weights
    selected = []
    for var in unique_variables(weights):
        name = tf_name(var)
        if include is not None and not any(re.match(p, name) for p in include):
            continue
        if exclude is not None and any(re.match(p, name) for p in exclude):
            continue
        selected.append(var)
    grouped = {get_variable_full_name(v): v for v in selected}
    if ignore_missing_vars:
        grouped = _present(checkpoint_path, grouped, True, "Variable %s missing in checkpoint %s")
    if not grouped:
        _log.warning("No Variables to restore")
        return []
    return checkpoints.restore_variables(
        checkpoint_path, grouped, reshape_variables=reshape_variables
    )
