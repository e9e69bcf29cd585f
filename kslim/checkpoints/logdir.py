"""A logdir's checkpoints: the state file, the files on disk, the latest intact one."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid

import tensorflow as tf

from kslim.checkpoints.files import (
    READ_ERRORS,
    CheckpointError,
    checkpoint_problem,
    data_files,
    first_line,
)

_log = logging.getLogger("kslim")


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    """The latest complete checkpoint in ``checkpoint_dir`` (or None).

    The one the ``checkpoint`` state file names if its index exists; when the
    state file is missing, unreadable or names a missing checkpoint, the
    complete ``model.ckpt-<step>`` with the highest step on disk.
    """
    if not tf.io.gfile.isdir(checkpoint_dir):
        return None
    paths, _ = read_state(checkpoint_dir)
    if paths and tf.io.gfile.exists(paths[0] + ".index"):
        return paths[0]
    on_disk = complete_on_disk(checkpoint_dir, "model.ckpt")
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
        for step, p in complete_on_disk(checkpoint_dir, "model.ckpt")
        if limit is None or step <= limit
    ]
    if latest not in candidates:
        candidates.append(latest)
    for prefix in reversed(candidates):
        problem = verified_problem(prefix)
        if problem is None:
            return prefix
        _log.warning("Skipping damaged checkpoint %s: %s", prefix, problem)
    return None


def read_state(logdir: str) -> tuple[list[str], str | None]:
    """``([latest, *all listed], problem)`` of the ``checkpoint`` state file.

    Args:
      logdir: the directory holding the state file.

    Returns:
      The absolute paths the state file names (latest first, then all listed)
      and ``problem``: None for a readable state file (or none at all), else
      why it cannot be used.
    """
    path = os.path.join(logdir, "checkpoint")
    if not os.path.exists(path):
        return [], None
    try:
        state = tf.train.get_checkpoint_state(logdir)
    except READ_ERRORS as e:
        return [], f"{path} cannot be parsed: {first_line(e)}"
    if state is None or not state.model_checkpoint_path:
        return [], f"{path} names no checkpoint"

    def full(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(logdir, p)

    listed = [full(p) for p in state.all_model_checkpoint_paths]
    return [full(state.model_checkpoint_path), *listed], None


def files_on_disk(logdir: str, basename: str) -> dict[int, dict[str, list[str]]]:
    """The ``<basename>-<step>.*`` checkpoint files in ``logdir``, by step.

    Args:
      logdir: the directory (a missing one has none).
      basename: the checkpoint file prefix (``model.ckpt``).

    Returns:
      ``{step: {"index": [...], "data": [...]}}``.
    """
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


def complete_on_disk(logdir: str, basename: str) -> list[tuple[int, str]]:
    """``(step, prefix)`` of the checkpoints with an index and data, by step.

    Args:
      logdir: the directory.
      basename: the checkpoint file prefix (``model.ckpt``).

    Returns:
      The list, oldest step first.
    """
    return [
        (step, os.path.join(logdir, f"{basename}-{step}"))
        for step, files in sorted(files_on_disk(logdir, basename).items())
        if files["index"] and files["data"]
    ]


def resolve_checkpoint(path: str) -> str:
    """``path`` itself, or for a directory its latest checkpoint.

    Args:
      path: a checkpoint prefix or a directory.

    Returns:
      The checkpoint prefix.

    Raises:
      CheckpointError: a directory without checkpoints (names it).
    """
    if tf.io.gfile.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"no checkpoint found in directory {path!r}")
        return latest
    return path


def file_signature(prefix: str) -> tuple:
    """``(file, size, mtime_ns)`` of each file of ``prefix`` (empty if one is missing)."""
    files = [prefix + ".index", *data_files(prefix)]
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


def verified_problem(prefix: str) -> str | None:
    """``checkpoint_problem(prefix)``, skipped while the files are unchanged since intact.

    Args:
      prefix: the checkpoint prefix.

    Returns:
      Why the checkpoint cannot be restored, or None if it is intact.
    """
    signature = file_signature(prefix)
    if signature and _VERIFIED.get(prefix) == signature:
        return None
    problem = checkpoint_problem(prefix)
    if problem is None:
        _VERIFIED[prefix] = signature
    return problem


def mark_verified(prefix: str) -> None:
    """Records checkpoint ``prefix`` (just written) as intact in this process."""
    _VERIFIED[prefix] = file_signature(prefix)


def forget_verified(prefix: str) -> None:
    """Drops checkpoint ``prefix`` (removed or moved) from the intact records."""
    _VERIFIED.pop(prefix, None)


def quarantine(prefix: str, reason: str) -> str:
    """Moves checkpoint ``prefix``'s files into ``<prefix>.corrupt-<UTC time>/``.

    Nothing is deleted: the folder keeps the files and a ``REASON`` text.

    Args:
      prefix: the checkpoint prefix.
      reason: why it is set aside (written to ``REASON``).

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


def checkpoint_step(path: str) -> int | None:
    """The global step in a ``model.ckpt-<step>`` path (None if absent)."""
    match = _STEP_RE.search(path)
    return int(match.group(1)) if match else None
