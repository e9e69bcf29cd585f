"""The ``kslim`` command line: ``inspect-checkpoint`` and ``export`` (run in-process)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf

from kslim import cli
from kslim.checkpoints import CheckpointManager
from kslim.commands import export as export_cmd

MODEL_FN_MODULE = """
import kslim as slim


def net(images):
    net = slim.flatten(images, scope="flatten")
    return {"logits": slim.fully_connected(net, 3, activation_fn=None, scope="fc")}
"""


@pytest.fixture
def ckpt_dir(tmp_path):
    CheckpointManager(str(tmp_path)).save(
        {
            "fc/weights": np.arange(12, dtype=np.float32).reshape(4, 3),
            "fc/biases": np.ones(3, np.float32),
            "global_step": np.int64(5),
        },
        5,
    )
    return tmp_path


def test_registered_commands_are_listed_in_help(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "inspect-checkpoint" in out and "export" in out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2


def test_inspect_checkpoint_lists_names_dtypes_shapes_of_latest(ckpt_dir, capsys):
    assert cli.main(["inspect-checkpoint", str(ckpt_dir)]) == 0
    out = capsys.readouterr().out
    assert f"checkpoint: {ckpt_dir / 'model.ckpt-5'}" in out
    lines = [line.split() for line in out.splitlines()[1:]]
    assert lines == [
        ["fc/biases", "float32", "[3]"],
        ["fc/weights", "float32", "[4,", "3]"],
        ["global_step", "int64", "[]"],
    ]


def test_inspect_checkpoint_values_and_single_name(ckpt_dir, capsys):
    prefix = str(ckpt_dir / "model.ckpt-5")
    assert cli.main(["inspect-checkpoint", prefix, "--values"]) == 0
    out = capsys.readouterr().out
    assert "[1. 1. 1.]" in out and "[ 9. 10. 11.]" in out
    assert cli.main(["inspect-checkpoint", prefix, "--name", "global_step"]) == 0
    out = capsys.readouterr().out
    assert "global_step" in out and "fc/weights" not in out and "\n5\n" in out


def test_inspect_checkpoint_errors_name_the_file_or_tensor(ckpt_dir, capsys):
    missing = str(ckpt_dir / "nothere")
    assert cli.main(["inspect-checkpoint", missing]) == 1
    assert "nothere.index" in capsys.readouterr().err
    assert cli.main(["inspect-checkpoint", str(ckpt_dir), "--name", "fc/nope"]) == 1
    assert "no tensor named 'fc/nope'" in capsys.readouterr().err


def test_export_command_writes_saved_model(ckpt_dir, tmp_path, monkeypatch, capsys):
    (tmp_path / "mymodels.py").write_text(MODEL_FN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    out_dir = tmp_path / "serving"
    rc = cli.main(
        [
            "export",
            "--checkpoint",
            str(ckpt_dir),
            "--export-dir",
            str(out_dir),
            "--model-fn",
            "mymodels:net",
            "--input-shape",
            "2,2",
            "--input-name",
            "images",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    path = capsys.readouterr().out.strip()
    assert path == os.path.join(str(out_dir), "5")
    sig = tf.saved_model.load(path).signatures["serving_default"]
    logits = sig(images=tf.ones((1, 2, 2)))["logits"].numpy()
    np.testing.assert_allclose(logits, [[19.0, 23.0, 27.0]])


def test_export_command_reports_bad_arguments(ckpt_dir, tmp_path, capsys):
    base = ["export", "--checkpoint", str(ckpt_dir), "--export-dir", str(tmp_path / "o")]
    assert cli.main(base + ["--model-fn", "nocolon", "--input-shape", "2"]) == 1
    assert "MODULE:FUNCTION" in capsys.readouterr().err
    assert cli.main(base + ["--model-fn", "os:nothere", "--input-shape", "2"]) == 1
    assert "has no 'nothere'" in capsys.readouterr().err
    assert cli.main(base + ["--model-fn", "os:getcwd", "--input-shape", "2,x"]) == 1
    assert "comma-separated ints" in capsys.readouterr().err
    assert (
        cli.main(
            base + ["--model-fn", "os:getcwd", "--input-shape", "2", "--input-dtype", "float99"]
        )
        == 1
    )
    assert "float99" in capsys.readouterr().err
    missing = [
        "export",
        "--checkpoint",
        str(tmp_path / "none"),
        "--export-dir",
        "o",
        "--model-fn",
        "os:getcwd",
        "--input-shape",
        "2",
    ]
    assert cli.main(missing) == 1
    assert "none.index" in capsys.readouterr().err


def test_input_signature_parsing():
    specs = export_cmd.input_signature(["28,28,1", "?,3"], ["float32", "int32"], None)
    assert specs[0].shape.as_list() == [None, 28, 28, 1] and specs[0].dtype == tf.float32
    assert specs[1].shape.as_list() == [None, None, 3] and specs[1].dtype == tf.int32
    with pytest.raises(ValueError, match="one --input-name per --input-shape"):
        export_cmd.input_signature(["2"], None, ["a", "b"])
