"""Name-based TF checkpoints (slim/TF1 format) for Keras variables.

A checkpoint is the standard TF V2 pair ``<prefix>.index`` /
``<prefix>.data-00000-of-00001`` whose keys are slim variable names
(``conv1/weights``, ``global_step``), readable by ``tf.train.load_checkpoint``
and restorable by TF1's ``Saver`` and tf_slim's ``assign_from_checkpoint_fn``.
Files are written under a temporary name and renamed, and the text
``checkpoint`` state file is replaced only after, so it never points at a
missing or partial checkpoint. ``CheckpointManager.recover`` heals a logdir
before training resumes from it (docs/reliability.md): leftovers of
interrupted saves are removed, the newest checkpoint is verified and a damaged
one moved aside, and a damaged state file is rebuilt from the files present.
"""

from __future__ import annotations

import errno
import glob
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "CheckpointError",
    "CheckpointManager",
    "CheckpointSaveError",
    "CorruptCheckpointError",
    "checkpoint_problem",
    "latest_checkpoint",
    "latest_intact_checkpoint",
    "list_variables",
    "read_checkpoint",
    "restore_variables",
    "save_variables",
]


_log = logging.getLogger("kslim")

#: What a failed read of a damaged checkpoint raises: TF errors, a truncated
#: data file's ``IndexError('Read less bytes than requested')``, parse errors.
_READ_ERRORS = (tf.errors.OpError, ValueError, IndexError, RuntimeError)


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
        if _no_space(e):
            raise _save_error(prefix, directory, needed, e) from None
        raise
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return prefix


def _no_space(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error)
    return isinstance(error, tf.errors.ResourceExhaustedError) or "No space left" in text


def _save_error(prefix: str, directory: str, needed: int, error) -> CheckpointSaveError:
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


def _reader(path: str):
    if not tf.io.gfile.exists(path + ".index"):
        raise CorruptCheckpointError(
            f"checkpoint {path!r} not found: {path + '.index'!r} does not exist"
        )
    try:
        return tf.train.load_checkpoint(path)
    except _READ_ERRORS as e:
        raise CorruptCheckpointError(
            f"checkpoint {path!r} cannot be read (corrupt or truncated): {e}"
        ) from None


def _data_files(prefix: str) -> list[str]:
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
    data = _data_files(prefix)
    if not data:
        return f"{prefix}.data-00000-of-00001 is missing"
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except _READ_ERRORS as e:
        return f"{index} cannot be read: {_first_line(e)}"
    if len(data) == 1:
        expected = data[0].rsplit("-of-", 1)[1]
        if int(expected) != 1:
            return f"{prefix}.data-*-of-{expected}: shards are missing"
    try:
        for name in shapes:
            reader.get_tensor(name)
    except _READ_ERRORS as e:
        return f"{', '.join(data)} cannot be read (truncated or corrupt): {_first_line(e)}"
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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
    except _READ_ERRORS as e:
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
    except _READ_ERRORS as e:
        raise CorruptCheckpointError(
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
    """The latest complete checkpoint in ``checkpoint_dir`` (or None).

    The one the ``checkpoint`` state file names if its index exists; when the
    state file is missing, unreadable or names a missing checkpoint, the
    complete ``model.ckpt-<step>`` with the highest step on disk.
    """
    if not tf.io.gfile.isdir(checkpoint_dir):
        return None
    paths, _ = _read_state(checkpoint_dir)
    if paths and tf.io.gfile.exists(paths[0] + ".index"):
        return paths[0]
    on_disk = _complete_on_disk(checkpoint_dir, "model.ckpt")
    return on_disk[-1][1] if on_disk else None


def latest_intact_checkpoint(checkpoint_dir: str) -> str | None:
    """The newest checkpoint of ``checkpoint_dir`` that passes ``checkpoint_problem``.

    Read-only (an evaluator never moves a trainer's files): each damaged newer
    checkpoint is skipped with a warning naming the file and the reason.
    """
    latest = latest_checkpoint(checkpoint_dir)
    if latest is None:
        return None
    limit = checkpoint_step(latest)
    candidates = [
        p
        for step, p in _complete_on_disk(checkpoint_dir, "model.ckpt")
        if limit is None or step <= limit
    ]
    if latest not in candidates:
        candidates.append(latest)
    for prefix in reversed(candidates):
        problem = _verified_problem(prefix)
        if problem is None:
            return prefix
        _log.warning("Skipping damaged checkpoint %s: %s", prefix, problem)
    return None


def _read_state(logdir: str) -> tuple[list[str], str | None]:
    """``([latest, *all listed], problem)`` of the ``checkpoint`` state file.

    ``problem`` is None for a readable state file (or none at all), else why
    it cannot be used; paths are absolute.
    """
    path = os.path.join(logdir, "checkpoint")
    if not os.path.exists(path):
        return [], None
    try:
        state = tf.train.get_checkpoint_state(logdir)
    except _READ_ERRORS as e:
        return [], f"{path} cannot be parsed: {_first_line(e)}"
    if state is None or not state.model_checkpoint_path:
        return [], f"{path} names no checkpoint"

    def full(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(logdir, p)

    listed = [full(p) for p in state.all_model_checkpoint_paths]
    return [full(state.model_checkpoint_path), *listed], None


def _on_disk(logdir: str, basename: str) -> dict[int, dict[str, list[str]]]:
    """``{step: {"index": [...], "data": [...]}}`` of the ``<basename>-<step>.*`` files."""
    pattern = re.compile(re.escape(basename) + r"-(\d+)\.(index|data-\d{5}-of-\d{5})$")
    found: dict[int, dict[str, list[str]]] = {}
    try:
        names = os.listdir(logdir)
    except OSError:
        return found
    for name in names:
        match = pattern.match(name)
        if match is None or not os.path.isfile(os.path.join(logdir, name)):
            continue
        entry = found.setdefault(int(match.group(1)), {"index": [], "data": []})
        kind = "index" if match.group(2) == "index" else "data"
        entry[kind].append(os.path.join(logdir, name))
    return found


def _complete_on_disk(logdir: str, basename: str) -> list[tuple[int, str]]:
    """``(step, prefix)`` of the checkpoints with an index and data, by step."""
    return [
        (step, os.path.join(logdir, f"{basename}-{step}"))
        for step, files in sorted(_on_disk(logdir, basename).items())
        if files["index"] and files["data"]
    ]


def _resolve(path: str) -> str:
    if tf.io.gfile.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"no checkpoint found in directory {path!r}")
        return latest
    return path


def _signature(prefix: str) -> tuple:
    files = [prefix + ".index", *_data_files(prefix)]
    out = []
    for f in files:
        try:
            st = os.stat(f)
        except OSError:
            return ()
        out.append((f, st.st_size, st.st_mtime_ns))
    return tuple(out)


#: prefix -> file signature of the checkpoints verified intact in this process.
_VERIFIED: dict[str, tuple] = {}


def _verified_problem(prefix: str) -> str | None:
    signature = _signature(prefix)
    if signature and _VERIFIED.get(prefix) == signature:
        return None
    problem = checkpoint_problem(prefix)
    if problem is None:
        _VERIFIED[prefix] = signature
    return problem


def quarantine(prefix: str, reason: str) -> str:
    """Moves checkpoint ``prefix``'s files into ``<prefix>.corrupt-<UTC time>/``.

    Nothing is deleted: the folder keeps the files and a ``REASON`` text.

    Returns:
      The folder.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = f"{prefix}.corrupt-{stamp}"
    if os.path.exists(dest):
        dest = f"{dest}-{uuid.uuid4().hex[:6]}"
    os.makedirs(dest)
    base = os.path.basename(prefix)
    for name in os.listdir(os.path.dirname(prefix) or "."):
        if name == base + ".index" or re.fullmatch(
            re.escape(base) + r"\.data-\d{5}-of-\d{5}", name
        ):
            os.replace(os.path.join(os.path.dirname(prefix), name), os.path.join(dest, name))
    with open(os.path.join(dest, "REASON"), "w") as f:
        f.write(reason + "\n")
    _VERIFIED.pop(prefix, None)
    return dest


_STEP_RE = re.compile(r"-(\d+)$")
#: Keeping a checkpoint every this many hours or more means never (TF1's default).
_NEVER_PRESERVE_HOURS = 10000.0


class CheckpointManager:
    """Writes ``<logdir>/model.ckpt-<step>`` and keeps the state file and retention.

    ``max_to_keep`` holds on disk: before a save that would exceed it, the
    oldest checkpoint is removed (never the latest one), and ``recover``
    applies it to checkpoints the state file does not list.

    Args:
      logdir: the directory.
      max_to_keep: how many recent checkpoints to keep (default 5; None/0
        keeps all).
      keep_checkpoint_every_n_hours: additionally keep one checkpoint per this
        many hours (default 10000, i.e. never, as TF1's Saver): a checkpoint
        leaving the ``max_to_keep`` window stays on disk when its own save
        time is at least this long after the manager was made or after the
        last one kept this way (TF1 Saver's rule).
      basename: file prefix, default ``model.ckpt``.
      clock: the time source, ``time.time`` by default (a fake one in tests).

    Raises:
      ValueError: a bad ``max_to_keep`` or ``keep_checkpoint_every_n_hours``
        (naming it and the value).
    """

    def __init__(
        self,
        logdir: str,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        basename: str = "model.ckpt",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_to_keep is not None and (
            isinstance(max_to_keep, bool) or not isinstance(max_to_keep, int) or max_to_keep < 0
        ):
            raise ValueError(f"max_to_keep must be a non-negative int or None, got {max_to_keep!r}")
        if (
            isinstance(keep_checkpoint_every_n_hours, bool)
            or not isinstance(keep_checkpoint_every_n_hours, (int, float))
            or keep_checkpoint_every_n_hours <= 0
        ):
            raise ValueError(
                "keep_checkpoint_every_n_hours must be a positive number, got "
                f"{keep_checkpoint_every_n_hours!r}"
            )
        self.logdir = logdir
        self.max_to_keep = max_to_keep
        self.keep_every_secs = keep_checkpoint_every_n_hours * 3600.0
        self._preserving = keep_checkpoint_every_n_hours < _NEVER_PRESERVE_HOURS
        self.basename = basename
        self._clock = clock
        # TF1 Saver's ``_next_checkpoint_time``: the save time from which the next
        # checkpoint leaving the window is preserved.
        self._next_preserved = clock() + self.keep_every_secs
        # Each checkpoint's own save time (this manager's saves; older ones: the
        # index file's modification time).
        self._saved_at: dict[str, float] = {}
        self._kept: list[str] = []
        paths, _ = _read_state(logdir) if os.path.isdir(logdir) else ([], None)
        for full in paths[1:]:
            if full not in self._kept and tf.io.gfile.exists(full + ".index"):
                self._kept.append(full)

    @property
    def latest(self) -> str | None:
        """The latest checkpoint prefix or None."""
        return latest_checkpoint(self.logdir)

    def recover(self) -> str | None:
        """Heals ``logdir`` and returns its newest intact checkpoint (None: none).

        - Removes leftovers of interrupted saves (``.tmp-ckpt-*`` folders,
          temporary state files).
        - Verifies checkpoints from the newest down (``checkpoint_problem``);
          a damaged one is moved aside (``quarantine``) with a warning naming
          the file and the reason, and the next older one is tried.
        - Rebuilds a damaged or empty ``checkpoint`` state file from the
          ``<basename>-<step>.index`` files present (with a warning); adopts
          complete checkpoints the state file does not list, and removes the
          oldest beyond ``max_to_keep`` (with ``keep_checkpoint_every_n_hours``
          set, unlisted checkpoints older than the listed ones are preserved
          ones and stay).

        Returns:
          The prefix to resume from, or None for a fresh start.
        """
        if not os.path.isdir(self.logdir):
            return None
        self._remove_leftovers()
        paths, state_problem = _read_state(self.logdir)
        if state_problem is not None:
            _log.warning(
                "Checkpoint state file damaged (%s); rebuilding it from the checkpoints in %s",
                state_problem,
                self.logdir,
            )
        files = _on_disk(self.logdir, self.basename)
        for step in sorted(files):
            prefix = os.path.join(self.logdir, f"{self.basename}-{step}")
            if not files[step]["index"]:
                self._set_aside(prefix, f"{prefix}.index is missing")
            elif not files[step]["data"]:
                self._set_aside(prefix, f"{prefix}.data-00000-of-00001 is missing")
        candidates = _complete_on_disk(self.logdir, self.basename)
        latest = None
        while candidates:
            step, prefix = candidates[-1]
            problem = _verified_problem(prefix)
            if problem is None:
                latest = prefix
                break
            candidates.pop()
            self._set_aside(prefix, problem)
        listed = set(paths[1:])
        kept = [p for _, p in candidates]
        existing = [checkpoint_step(p) or 0 for p in listed if os.path.exists(p + ".index")]
        if self._preserving and existing:
            # Unlisted checkpoints older than every listed one were preserved by
            # keep_checkpoint_every_n_hours: they stay on disk, untracked.
            kept = [p for p in kept if p in listed or (checkpoint_step(p) or 0) > min(existing)]
        removed = []
        if self.max_to_keep and len(kept) > self.max_to_keep:
            removed = kept[: len(kept) - self.max_to_keep]
            kept = kept[len(kept) - self.max_to_keep :]
        self._kept = kept
        unchanged = (
            state_problem is None
            and paths
            and latest is not None
            and paths[0] == latest
            and paths[1:] == kept
        )
        if latest is not None and not unchanged:
            self._write_state(latest)
        elif latest is None and (paths or state_problem is not None):
            self._set_state_aside()
        for old in removed:
            _log.info("Removing checkpoint %s (beyond max_to_keep=%s)", old, self.max_to_keep)
            self._remove(old)
        return latest

    def _set_aside(self, prefix: str, reason: str) -> None:
        dest = quarantine(prefix, reason)
        _log.warning("Checkpoint %s is damaged (%s); moved it to %s", prefix, reason, dest)

    def _set_state_aside(self) -> None:
        path = os.path.join(self.logdir, "checkpoint")
        if os.path.exists(path):
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            os.replace(path, f"{path}.corrupt-{stamp}")

    def _remove_leftovers(self) -> None:
        for name in os.listdir(self.logdir):
            path = os.path.join(self.logdir, name)
            if name.startswith(".tmp-ckpt-") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif name.startswith(".checkpoint.tmp-") and os.path.isfile(path):
                os.remove(path)

    def _remove(self, prefix: str) -> None:
        for path in [prefix + ".index", *_data_files(prefix)]:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        _VERIFIED.pop(prefix, None)
        self._saved_at.pop(prefix, None)

    def _retire(self, count: int) -> list[str]:
        """Pops the ``count`` oldest kept checkpoints; returns those to delete."""
        removed = []
        for _ in range(max(0, count)):
            oldest = self._kept.pop(0)
            if self._save_time(oldest) >= self._next_preserved:
                self._next_preserved += self.keep_every_secs
                continue
            removed.append(oldest)
        return removed

    def _save_time(self, prefix: str) -> float:
        """When ``prefix`` was saved: recorded by ``save``, else its index file's mtime."""
        if prefix in self._saved_at:
            return self._saved_at[prefix]
        try:
            return os.path.getmtime(prefix + ".index")
        except OSError:
            return float("-inf")

    def save(self, variables: Mapping[str, Any], step: int) -> str:
        """Writes checkpoint ``model.ckpt-<step>``, updates the state, prunes old ones.

        Before writing, the oldest checkpoints are removed so that at most
        ``max_to_keep`` are on disk after the save (the latest one always
        stays until the new one is complete).

        Returns:
          The checkpoint prefix.

        Raises:
          CheckpointSaveError: no space left; the state file still names the
            last complete checkpoint.
        """
        prefix = os.path.join(self.logdir, f"{self.basename}-{int(step)}")
        if prefix in self._kept:
            self._kept.remove(prefix)
        if self.max_to_keep:
            # Room for the new one; the newest existing one stays until it is complete.
            excess = min(len(self._kept) + 1 - self.max_to_keep, len(self._kept) - 1)
            early = self._retire(excess)
            if early:
                latest = self.latest
                if latest is not None and latest not in early:
                    self._write_state(latest)
                for old in early:
                    self._remove(old)
        save_variables(prefix, variables)
        self._saved_at[prefix] = self._clock()
        self._kept.append(prefix)
        removed = self._retire(len(self._kept) - self.max_to_keep) if self.max_to_keep else []
        self._write_state(prefix)
        for old in removed:
            self._remove(old)
        _VERIFIED[prefix] = _signature(prefix)
        return prefix

    def _write_state(self, latest: str) -> None:
        kept = [p for p in self._kept if p != latest] + [latest]
        rel = [os.path.relpath(p, self.logdir) for p in kept]
        lines = [f'model_checkpoint_path: "{os.path.relpath(latest, self.logdir)}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in rel]
        tmp = os.path.join(self.logdir, f".checkpoint.tmp-{uuid.uuid4().hex}")
        try:
            with open(tmp, "w") as f:
                f.write("\n".join(lines) + "\n")
            os.replace(tmp, os.path.join(self.logdir, "checkpoint"))
        except OSError as e:
            try:
                os.remove(tmp)
            except OSError:
                pass
            if _no_space(e):
                raise CheckpointSaveError(
                    errno.ENOSPC,
                    f"cannot update the checkpoint state file in logdir {self.logdir!r}: no "
                    f"space left on the device ({_first_line(e)})",
                ) from None
            raise


def checkpoint_step(path: str) -> int | None:
    """The global step in a ``model.ckpt-<step>`` path (None if absent)."""
    match = _STEP_RE.search(path)
    return int(match.group(1)) if match else None
