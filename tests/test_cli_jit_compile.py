"""``kslim train --jit-compile`` passes ``jit_compile=True`` to ``learning.train``."""

from __future__ import annotations

import numpy as np
import pytest

import kslim
from kslim import cli
from kslim.data import datasets


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("digits")
    datasets.convert_digits(str(path))
    return str(path)


@pytest.mark.parametrize("flag, expected", [([], False), (["--jit-compile"], True)])
def test_jit_compile_flag_reaches_learning_train(digits_dir, tmp_path, monkeypatch, flag, expected):
    seen = {}

    def fake_train(train_op, logdir, **kwargs):
        seen.update(kwargs)
        return np.float32(1.0)

    monkeypatch.setattr(kslim.learning, "train", fake_train)
    argv = ["train", "--train-dir", str(tmp_path / "run"), "--dataset-dir", digits_dir]
    assert cli.main(argv + ["--max-number-of-steps", "1", *flag]) == 0
    assert seen["jit_compile"] is expected
