"""Writing one checkpoint atomically, verifying it, and the checkpoint errors."""

from __future__ import annotations

import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

#: What a failed read of a damaged checkpoint raises: TF errors, a truncated
#: data file's ``IndexError('Read less bytes than requested')``, parse errors.
READ_ERRORS = (tf.errors.OpError, ValueError, IndexError, RuntimeError)


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or does not match the variables."""


class CorruptCheckpointError(CheckpointError):
    """A checkpoint's files are missing, truncated or fail their checksums."""


class CheckpointSaveError(OSError):
    """A checkpoint could not be written (e.g. no space left on the device).

    The state file still names the last complete checkpoint.
    """


def _value(variable: Any):
    value = getattr(variable, "value", variable)
    if callable(value) and not isinstance(value, (tf.Tensor, tf.Variable)):
        value = value()
    return tf.convert_to_tensor(value)


def save_variables(prefix: str, variables: Mapping[str, Any]) -> str:
    """Writes ``{name: variable or tensor}`` to checkpoint ``prefix`` atomically.

    The files are written in a ``.tmp-ckpt-*`` folder beside ``prefix`` and
    renamed into place (data first, index last), so ``prefix.index`` exists
    only once the checkpoint is complete; the folder is removed on failure
    (and by ``CheckpointManager.recover`` after a kill).

    Args:
      prefix: the checkpoint path prefix (``logdir/model.ckpt-10``).
      variables: checkpoint key -> variable/tensor/array.

    Returns:
      ``prefix``.

    Raises:
      OSError: if the directory is not writable.
      CheckpointSaveError: no space left (names the directory, the bytes
        needed and the bytes free).
    """
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    names = sorted(variables)
    tensors = [_value(variables[n]) for n in names]
    needed = sum(int(np.prod(t.shape)) * t.dtype.size for t in tensors)
    tmp_dir = None
    try:
        tmp_dir = tempfile.mkdtemp(prefix=".tmp-ckpt-", dir=directory)
        tmp_prefix = os.path.join(tmp_dir, os.path.basename(prefix))
        with tf.device("/cpu:0"):
            tf.raw_ops.SaveV2(
                prefix=tmp_prefix,
                tensor_names=names,
                shape_and_slices=[""] * len(names),
                tensors=tensors,
            )
        for suffix in (".data-00000-of-00001", ".index"):
            os.replace(tmp_prefix + suffix, prefix + suffix)
    except (tf.errors.OpError, OSError) as e:
        if is_no_space(e):
            raise _save_error(prefix, directory, needed, e) from None
        raise
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return prefix


def is_no_space(error: BaseException) -> bool:
    """Whether ``error`` (an ``OSError`` or a TF error) means the device is full.

    Args:
      error: the exception a write raised.

    Returns:
      True for ``ENOSPC``/``EDQUOT``, a TF ``ResourceExhaustedError`` or a
      "No space left" message.
    """
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error)
    return isinstance(error, tf.errors.ResourceExhaustedError) or "No space left" in text


def _save_error(
    prefix: str, directory: str, needed: int, error: BaseException
) -> CheckpointSaveError:
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        free = -1
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CheckpointSaveError(
        errno.ENOSPC,
        f"cannot save checkpoint {os.path.basename(prefix)!r} in logdir {directory!r}: no space "
        f"left on the device (the checkpoint needs about {needed} bytes, {free} bytes are free; "
        f"the state file still names the last complete checkpoint). Free some space and rerun "
        f"to resume. ({first})",
    )


def open_reader(path: str) -> tf.train.CheckpointReader:
    """A ``tf.train.load_checkpoint`` reader of checkpoint prefix ``path``.

    Args:
      path: the checkpoint prefix.

    Returns:
      The ``CheckpointReader``.

    Raises:
      CorruptCheckpointError: the index is missing or cannot be read (names it).
    """
    if not tf.io.gfile.exists(path + ".index"):
        raise CorruptCheckpointError(
            f"checkpoint {path!r} not found: {path + '.index'!r} does not exist"
        )
    try:
        return tf.train.load_checkpoint(path)
    except READ_ERRORS as e:
        raise CorruptCheckpointError(
            f"checkpoint {path!r} cannot be read (corrupt or truncated): {e}"
        ) from None


def data_files(prefix: str) -> list[str]:
    """The ``<prefix>.data-NNNNN-of-NNNNN`` files on disk, sorted."""
    return sorted(glob.glob(glob.escape(prefix) + ".data-?????-of-?????"))


def checkpoint_problem(prefix: str) -> str | None:
    """Why checkpoint ``prefix`` cannot be restored, or None if it is intact.

    Reads the index and every tensor of the data files (TF checks each
    tensor's size and CRC32C), so truncation, missing files and flipped bytes
    are found before a run trusts the checkpoint. The reason names the file.
    """
    index = prefix + ".index"
    if not os.path.exists(index):
        return f"{index} is missing"
    data = data_files(prefix)
    if not data:
        return f"{prefix}.data-00000-of-00001 is missing"
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except READ_ERRORS as e:
        return f"{index} cannot be read: {first_line(e)}"
    if len(data) == 1:
        expected = data[0].rsplit("-of-", 1)[1]
        if int(expected) != 1:
            return f"{prefix}.data-*-of-{expected}: shards are missing"
    try:
        for name in shapes:
            reader.get_tensor(name)
    except READ_ERRORS as e:
        return f"{', '.join(data)} cannot be read (truncated or corrupt): {first_line(e)}"
    return None


def first_line(error: BaseException) -> str:
    """The first line of ``error``'s message (its type name if it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
