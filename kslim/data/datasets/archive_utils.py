"""Reads the members of a user-supplied local dataset archive (never downloads).

``read_members(archive, wanted)`` returns ``{member path: bytes}`` of the members whose
path ``wanted(path)`` accepts, from a ``.tar``/``.tar.gz``/``.tgz`` file, a ``.zip``
file or a directory (walked). Nothing is extracted to disk.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Callable

__all__ = ["read_members", "require_archive"]


def require_archive(dataset_name: str, archive: str | None, expected: str) -> str:
    """Returns ``archive`` if it exists, else raises a ValueError saying what to give.

    Raises:
      ValueError: ``archive`` is None or does not exist.
    """
    if archive is None:
        raise ValueError(
            f"converting {dataset_name} needs the local archive ({expected}): "
            f"kslim convert {dataset_name} --archive FILE --dataset-dir DIR "
            f"(kslim never downloads)"
        )
    if not os.path.exists(archive):
        raise ValueError(f"--archive {archive!r} does not exist")
    return archive


def read_members(archive: str, wanted: Callable[[str], bool]) -> dict:
    """Returns ``{path: bytes}`` of the regular-file members ``wanted`` accepts.

    Args:
      archive: a tar (optionally gzip/bz2/xz-compressed) or zip file, or a directory.
      wanted: ``wanted(path) -> bool`` on the member's ``/``-separated path.

    Raises:
      ValueError: if ``archive`` is neither a directory, a tar nor a zip file.
    """
    members = {}
    if os.path.isdir(archive):
        for root, _, files in os.walk(archive):
            for name in files:
                full = os.path.join(root, name)
                path = os.path.relpath(full, archive).replace(os.sep, "/")
                if wanted(path):
                    with open(full, "rb") as f:
                        members[path] = f.read()
        return members
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            for info in tar:
                if info.isfile() and wanted(info.name):
                    members[info.name] = tar.extractfile(info).read()
        return members
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir() and wanted(info.filename):
                    members[info.filename] = zf.read(info)
        return members
    raise ValueError(f"--archive {archive!r} is not a directory, a tar or a zip file")
