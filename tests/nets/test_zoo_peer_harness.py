"""The zoo harness itself: which net files run under tf_slim, and how they are loaded.

``tests/nets/_zoo_peer.py`` reads a kslim net file with its one ``import kslim as slim``
line as ``import tf_slim as slim`` and loads it (and the net files it imports by relative
name) as ``zoo_tfslim.<module>``. Here on small files of a temporary nets directory, with
a stand-in ``tf_slim`` module (the real one runs only in the runner's subprocess).
"""

from __future__ import annotations

import sys
import types

import _zoo_peer
import pytest
from _zoo_peer import TFSLIM_PACKAGE, TfSlimNetsFinder, net_file_problems, tfslim_source


def _write(path, text):
    path.write_text(text)
    return path


def test_a_net_file_with_one_slim_import_tensorflow_stdlib_and_relative_imports_is_accepted(
    tmp_path,
):
    path = _write(
        tmp_path / "net.py",
        "from __future__ import annotations\n"
        "import collections\nimport functools\n\n"
        "import tensorflow as tf\n\n"
        "import kslim as slim\n"
        "from . import helper\n"
        "from .helper import block\n",
    )
    assert net_file_problems(path) == []
    source = tfslim_source(path)
    assert "import tf_slim as slim\n" in source
    assert "kslim" not in source


@pytest.mark.parametrize(
    "text, problem",
    [
        ("import tensorflow as tf\n", "0 lines 'import kslim as slim'"),
        ("import kslim as slim\nimport kslim as slim\n", "2 lines 'import kslim as slim'"),
        ("import kslim as slim\nfrom kslim.nets import helper\n", "from kslim.nets import"),
        ("import kslim as slim\nimport keras\n", "import keras"),
        ("import kslim as slim\nimport numpy as np\n", "import numpy"),
        ("import kslim as slim\nfrom kslim.layers import conv2d\n", "from kslim.layers"),
    ],
)
def test_a_net_file_that_would_not_run_under_tf_slim_is_named_with_its_problem(
    tmp_path, text, problem
):
    path = _write(tmp_path / "net.py", text)
    problems = net_file_problems(path)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="cannot run under tf_slim"):
        tfslim_source(path)


def test_the_finder_loads_net_files_and_their_relative_imports_with_tf_slim_as_slim(
    tmp_path, monkeypatch
):
    _write(tmp_path / "helper.py", "import kslim as slim\n\nSLIM = slim\n")
    _write(
        tmp_path / "net.py",
        "import kslim as slim\nfrom . import helper\n\nSAME = helper.SLIM is slim\n",
    )
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "__init__.py", "")
    _write(tmp_path / "sub" / "deep.py", "import kslim as slim\nfrom .. import helper\n")
    stand_in = types.ModuleType("tf_slim")
    monkeypatch.setitem(sys.modules, "tf_slim", stand_in)
    monkeypatch.setattr(_zoo_peer, "NETS_DIR", tmp_path)
    finder = TfSlimNetsFinder()
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    for name in [m for m in sys.modules if m.split(".")[0] == TFSLIM_PACKAGE]:
        monkeypatch.delitem(sys.modules, name)
    try:
        net = __import__(f"{TFSLIM_PACKAGE}.net", fromlist=["SAME"])
        assert net.SAME and net.helper.SLIM is stand_in
        assert net.__file__ == str(tmp_path / "net.py")
        deep = __import__(f"{TFSLIM_PACKAGE}.sub.deep", fromlist=["helper"])
        assert deep.helper is net.helper and deep.slim is stand_in
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == TFSLIM_PACKAGE]:
            del sys.modules[name]
