"""Name-based TF checkpoints (slim/TF1 format) for Keras variables.

A checkpoint is the standard TF V2 pair ``<prefix>.index`` /
``<prefix>.data-00000-of-00001`` whose keys are slim variable names
(``conv1/weights``, ``global_step``), readable by ``tf.train.load_checkpoint``
and restorable by TF1's ``Saver`` and tf_slim's ``assign_from_checkpoint_fn``.
Files are written under a temporary name and renamed, and the text
``checkpoint`` state file is replaced only after, so it never points at a
missing or partial checkpoint.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "CheckpointError",
    "CheckpointManager",
    "latest_checkpoint",
    "list_variables",
    "read_checkpoint",
    "restore_variables",
    "save_variables",
]


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or does not match the variables."""


def _value(variable: Any):
    value = getattr(variable, "value", variable)
    if callable(value) and not isinstance(value, (tf.Tensor, tf.Variable)):
        value = value()
    return tf.convert_to_tensor(value)


def save_variables(prefix: str, variables: Mapping[str, Any]) -> str:
    """Writes ``{name: variable or tensor}`` to checkpoint ``prefix`` atomically.

    Args:
      prefix: the checkpoint path prefix (``logdir/model.ckpt-10``).
      variables: checkpoint key -> variable/tensor/array.

    Returns:
      ``prefix``.

    Raises:
      OSError: if the directory is not writable.
    """
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    names = sorted(variables)
    tmp_dir = tempfile.mkdtemp(prefix=".tmp-ckpt-", dir=directory)
    try:
        tmp_prefix = os.path.join(tmp_dir, os.path.basename(prefix))
        tensors = [_value(variables[n]) for n in names]
        with tf.device("/cpu:0"):
            tf.raw_ops.SaveV2(
                prefix=tmp_prefix,
                tensor_names=names,
                shape_and_slices=[""] * len(names),
                tensors=tensors,
            )
        for suffix in (".data-00000-of-00001", ".index"):
            os.replace(tmp_prefix + suffix, prefix + suffix)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return prefix


def _reader(path: str):
    if not tf.io.gfile.exists(path + ".index"):
        raise CheckpointError(f"checkpoint {path!r} not found: {path + '.index'!r} does not exist")
    try:
        return tf.train.load_checkpoint(path)
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointError(
            f"checkpoint {path!r} cannot be read (corrupt or truncated): {e}"
        ) from None


def list_variables(path: str) -> list[tuple[str, list[int], str]]:
    """Returns ``(name, shape, dtype)`` for each tensor of checkpoint ``path``.

    Raises:
      CheckpointError: if the checkpoint is missing or unreadable (names it).
    """
    path = _resolve(path)
    reader = _reader(path)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    return [(n, list(shapes[n]), dtypes[n].name) for n in sorted(shapes)]


def read_checkpoint(path: str, names=None) -> dict[str, np.ndarray]:
    """Reads tensors of checkpoint ``path`` (a prefix or a directory: its latest).

    Raises:
      CheckpointError: missing/corrupt file or missing names (all listed).
    """
    path = _resolve(path)
    reader = _reader(path)
    available = reader.get_variable_to_shape_map()
    names = sorted(available) if names is None else list(names)
    missing = [n for n in names if n not in available]
    if missing:
        raise CheckpointError(f"checkpoint {path!r} is missing variables {missing}")
    try:
        return {n: reader.get_tensor(n) for n in names}
    except tf.errors.OpError as e:
        raise CheckpointError(
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
    path = _resolve(path)
    reader = _reader(path)
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
    except tf.errors.OpError as e:
        raise CheckpointError(
            f"checkpoint {path!r} data cannot be read (corrupt or truncated): {e}"
        ) from None
    for name, var in todo.items():
        value = values[name]
        var.assign(np.reshape(value, tuple(var.shape)).astype(np.dtype(_dtype_name(var))))
    return sorted(todo)


def _dtype_name(var) -> str:
    dtype = var.dtype
    return getattr(dtype, "name", None) or str(dtype)


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    """The latest complete checkpoint in ``checkpoint_dir`` (or None)."""
    if not tf.io.gfile.isdir(checkpoint_dir):
        return None
    path = tf.train.latest_checkpoint(checkpoint_dir)
    if path and tf.io.gfile.exists(path + ".index"):
        return path
    return None


def _resolve(path: str) -> str:
    if tf.io.gfile.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"no checkpoint found in directory {path!r}")
        return latest
    return path


_STEP_RE = re.compile(r"-(\d+)$")


class CheckpointManager:
    """Writes ``<logdir>/model.ckpt-<step>`` and keeps the state file and retention.

    Args:
      logdir: the directory.
      max_to_keep: how many recent checkpoints to keep (default 5; None/0
        keeps all).
      keep_checkpoint_every_n_hours: additionally keep one checkpoint per this
        many hours (default 10000, i.e. never, as TF1's Saver).
      basename: file prefix, default ``model.ckpt``.
    """

    def __init__(
        self,
        logdir: str,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        basename: str = "model.ckpt",
    ) -> None:
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 0):
            raise ValueError(f"max_to_keep must be a non-negative int or None, got {max_to_keep!r}")
        if keep_checkpoint_every_n_hours is None or keep_checkpoint_every_n_hours <= 0:
            raise ValueError(
                "keep_checkpoint_every_n_hours must be positive, got "
                f"{keep_checkpoint_every_n_hours!r}"
            )
        self.logdir = logdir
        self.max_to_keep = max_to_keep
        self.keep_every_secs = keep_checkpoint_every_n_hours * 3600.0
        self.basename = basename
        self._last_preserved = time.time()
        state = tf.train.get_checkpoint_state(logdir) if tf.io.gfile.isdir(logdir) else None
        self._kept: list[str] = []
        if state is not None:
            for p in state.all_model_checkpoint_paths:
                full = p if os.path.isabs(p) else os.path.join(logdir, p)
                if tf.io.gfile.exists(full + ".index"):
                    self._kept.append(full)

    @property
    def latest(self) -> str | None:
        """The latest checkpoint prefix or None."""
        return latest_checkpoint(self.logdir)

    def save(self, variables: Mapping[str, Any], step: int) -> str:
        """Writes checkpoint ``model.ckpt-<step>``, updates the state, prunes old ones.

        Returns:
          The checkpoint prefix.
        """
        prefix = os.path.join(self.logdir, f"{self.basename}-{int(step)}")
        save_variables(prefix, variables)
        if prefix in self._kept:
            self._kept.remove(prefix)
        self._kept.append(prefix)
        removed = []
        if self.max_to_keep:
            while len(self._kept) > self.max_to_keep:
                oldest = self._kept.pop(0)
                now = time.time()
                if now - self._last_preserved >= self.keep_every_secs:
                    self._last_preserved = now
                    continue
                removed.append(oldest)
        self._write_state(prefix)
        for old in removed:
            for suffix in (".index", ".data-00000-of-00001"):
                try:
                    os.remove(old + suffix)
                except FileNotFoundError:
                    pass
        return prefix

    def _write_state(self, latest: str) -> None:
        rel = [os.path.relpath(p, self.logdir) for p in self._kept]
        lines = [f'model_checkpoint_path: "{os.path.relpath(latest, self.logdir)}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in rel]
        tmp = os.path.join(self.logdir, f".checkpoint.tmp-{uuid.uuid4().hex}")
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, os.path.join(self.logdir, "checkpoint"))


def checkpoint_step(path: str) -> int | None:
    """The global step in a ``model.ckpt-<step>`` path (None if absent)."""
    match = _STEP_RE.search(path)
    return int(match.group(1)) if match else None
