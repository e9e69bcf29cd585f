"""Fixtures of the data tests: the digits converted once per session."""

from __future__ import annotations

import pytest

from kslim.data import datasets


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory):
    """A directory holding the digits as slim-format TFRecords (2 shards per split)."""
    path = tmp_path_factory.mktemp("digits")
    datasets.convert_digits(str(path))
    return str(path)
