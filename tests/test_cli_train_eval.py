"""The ``kslim convert`` / ``train`` / ``eval`` commands, run as real processes.

Each test runs the installed console script (``kslim``; ``python -m kslim.cli`` when it
is not on PATH, and for one test on purpose) in a subprocess. The error cases run
in-process through ``kslim.cli.main`` (one also as a process; all of them as processes
in a ``slow`` test) so the file stays fast; the main job with its default
500 steps and the > 90 % accuracy check is ``slow``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kslim import cli
from kslim.data import datasets

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
KSLIM = [shutil.which("kslim")] if shutil.which("kslim") else [sys.executable, "-m", "kslim.cli"]
ACCURACY = re.compile(r"^eval/Accuracy: (\d\.\d{4})$", re.M)


def start(*args: str, module: bool = False) -> subprocess.Popen:
    """Starts ``kslim ARGS...`` (or ``python -m kslim.cli ARGS...``)."""
    command = [sys.executable, "-m", "kslim.cli"] if module else KSLIM
    return subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> subprocess.CompletedProcess:
    stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def kslim(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs ``kslim ARGS...`` to completion."""
    return finish(start(*args), timeout)


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("digits")
    datasets.convert_digits(str(path))
    return str(path)


def _train_only_dir(digits_dir: str, root: Path) -> str:
    path = root / "train_only"
    path.mkdir()
    for name in os.listdir(digits_dir):
        if "validation" not in name:
            shutil.copy(os.path.join(digits_dir, name), path / name)
    return str(path)


def _empty_validation_dir(digits_dir: str, root: Path) -> str:
    path = root / "empty_validation"
    path.mkdir()
    for name in os.listdir(digits_dir):
        if name.endswith(".tfrecord") and "train" in name or name == "labels.txt":
            shutil.copy(os.path.join(digits_dir, name), path / name)
    (path / "digits_validation_0000-of-0001.tfrecord").write_bytes(b"")
    return str(path)


# name -> (argv builder, exit code, pattern of the one error line)
ERROR_CASES = {
    "train_unknown_model": (
        lambda d, t: ["train", "--train-dir", t, "--dataset-dir", d, "--model-name", "resnet_x"],
        1,
        r"kslim train: error: Name of network unknown 'resnet_x'; known networks: .*lenet",
    ),
    "train_unknown_dataset": (
        lambda d, t: ["train", "--train-dir", t, "--dataset-name", "mnist_x"],
        1,
        r"kslim train: error: Name of dataset unknown 'mnist_x'; known datasets: .*digits",
    ),
    "train_missing_dataset_dir": (
        lambda d, t: ["train", "--train-dir", t, "--dataset-dir", os.path.join(t, "nope")],
        1,
        r"kslim train: error: --dataset-dir '.*nope' does not exist; write it with "
        r"'kslim convert digits --dataset-dir .*nope'",
    ),
    "train_unknown_optimizer": (
        lambda d, t: ["train", "--train-dir", t, "--optimizer", "nadam"],
        2,
        r"kslim train: error: argument --optimizer: invalid choice: 'nadam'",
    ),
    "eval_split_without_files": (
        lambda d, t: ["eval", "--checkpoint-path", t, "--dataset-dir", d],
        1,
        r"kslim eval: error: No data files found for split 'validation' in '.*train_only'",
    ),
    "eval_empty_split": (
        lambda d, t: ["eval", "--checkpoint-path", t, "--dataset-dir", d],
        1,
        r"kslim eval: error: split 'validation' of dataset 'digits' in '.*empty_validation' "
        r"is empty",
    ),
    "eval_unknown_split": (
        lambda d, t: ["eval", "--checkpoint-path", t, "--dataset-split-name", "test"],
        1,
        r"kslim eval: error: split name test was not recognized\.",
    ),
    "eval_missing_checkpoint": (
        lambda d, t: ["eval", "--checkpoint-path", os.path.join(t, "model.ckpt-7")],
        1,
        r"kslim eval: error: --checkpoint-path '.*model\.ckpt-7': no such checkpoint",
    ),
    "convert_unknown_dataset": (
        lambda d, t: ["convert", "imagenet_x", "--dataset-dir", t],
        1,
        r"kslim convert: error: Name of dataset unknown 'imagenet_x'",
    ),
}


@pytest.fixture(scope="module")
def error_dirs(digits_dir, tmp_path_factory) -> dict:
    """Directories of the error cases: ``data`` per case and the ``train`` dir per case."""
    root = tmp_path_factory.mktemp("errors")
    checkpoint_dir = root / "ckpt"
    checkpoint_dir.mkdir()
    # Evaluation errors about the data come before any checkpoint is read: a fake one.
    (checkpoint_dir / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-1"\n')
    (checkpoint_dir / "model.ckpt-1.index").write_bytes(b"")
    data = {
        "eval_split_without_files": _train_only_dir(digits_dir, root),
        "eval_empty_split": _empty_validation_dir(digits_dir, root),
    }
    return {
        name: (
            data.get(name, digits_dir),
            str(checkpoint_dir) if name.startswith("eval") else str(root / name),
        )
        for name in ERROR_CASES
    }


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.match(r"kslim \w+: error:", line)]


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_cli_error_returns_nonzero_with_one_line_naming_the_value(case, error_dirs, capsys):
    argv, code, pattern = ERROR_CASES[case]
    try:
        returned = cli.main(argv(*error_dirs[case]))
    except SystemExit as exc:  # argparse's usage errors
        returned = exc.code
    assert returned == code
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1
    assert re.match(pattern, errors[0]), errors[0]


def test_console_script_error_exits_nonzero_with_one_line_and_no_traceback(error_dirs):
    argv, code, pattern = ERROR_CASES["train_unknown_model"]
    result = finish(start(*argv(*error_dirs["train_unknown_model"])))
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and re.match(pattern, errors[0]), result.stderr[-3000:]


@pytest.mark.slow
def test_console_script_each_error_exits_nonzero_with_one_line(error_dirs):
    procs = {name: start(*argv(*error_dirs[name])) for name, (argv, _, _) in ERROR_CASES.items()}
    for name, proc in procs.items():
        result = finish(proc)
        _, code, pattern = ERROR_CASES[name]
        assert result.returncode == code, (name, result.stderr[-3000:])
        assert "Traceback" not in result.stderr, name
        errors = _error_lines(result.stderr)
        assert len(errors) == 1 and re.match(pattern, errors[0]), (name, result.stderr[-3000:])


def test_convert_digits_writes_slim_tfrecords_and_labels(tmp_path):
    result = finish(start("convert", "digits", "--dataset-dir", str(tmp_path / "d"), module=True))
    assert_ok(result)
    assert result.stdout.strip().endswith(
        "digits in %s: train 1438, validation 359 examples" % (tmp_path / "d")
    )
    names = sorted(os.listdir(tmp_path / "d"))
    assert names == [
        "digits_train_0000-of-0002.tfrecord",
        "digits_train_0001-of-0002.tfrecord",
        "digits_validation_0000-of-0002.tfrecord",
        "digits_validation_0001-of-0002.tfrecord",
        "labels.txt",
        "splits.txt",
    ]
    assert (tmp_path / "d" / "labels.txt").read_text().splitlines()[:2] == ["0:0", "1:1"]


def test_train_then_eval_with_only_a_directory_writes_checkpoints_and_prints_accuracy(tmp_path):
    train_dir = tmp_path / "run"
    trained = kslim(
        "train",
        "--train-dir",
        str(train_dir),
        "--max-number-of-steps",
        "30",
        "--log-every-n-steps",
        "10",
        "--seed",
        "1",
    )
    assert_ok(trained)
    assert "global step 30: loss = " in trained.stderr
    assert re.search(
        r"trained lenet on digits/train \(.*data\) to global step 30: loss = \d+\.\d{4}",
        trained.stdout,
    ), trained.stdout
    assert sorted(os.listdir(train_dir / "data"))[-2:] == ["labels.txt", "splits.txt"]
    assert (train_dir / "model.ckpt-30.index").exists()
    assert 'model_checkpoint_path: "model.ckpt-30"' in (train_dir / "checkpoint").read_text()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(train_dir))

    evaluated = kslim("eval", "--checkpoint-path", str(train_dir))
    assert_ok(evaluated)
    assert f"evaluated {train_dir / 'model.ckpt-30'} on digits/validation" in evaluated.stdout
    assert "359 examples" in evaluated.stdout
    accuracy = float(ACCURACY.search(evaluated.stdout).group(1))
    assert 0.0 <= accuracy <= 1.0
    assert re.search(r"^eval/Recall_5: \d\.\d{4}$", evaluated.stdout, re.M)
    assert any(n.startswith("events.out.tfevents") for n in os.listdir(train_dir / "eval"))


@pytest.mark.slow
def test_main_job_trains_lenet_on_digits_above_90_percent_validation_accuracy(tmp_path):
    train_dir = str(tmp_path / "lenet")
    assert_ok(kslim("train", "--train-dir", train_dir, timeout=600))
    evaluated = kslim("eval", "--checkpoint-path", train_dir)
    assert_ok(evaluated)
    assert "model.ckpt-500 on digits/validation" in evaluated.stdout
    assert float(ACCURACY.search(evaluated.stdout).group(1)) > 0.9


@pytest.mark.slow
def test_fine_tuning_restores_a_checkpoint_except_excluded_scopes(tmp_path, digits_dir):
    base, tuned = str(tmp_path / "base"), str(tmp_path / "tuned")
    data = ["--dataset-dir", digits_dir]
    assert_ok(kslim("train", "--train-dir", base, *data, "--max-number-of-steps", "20"))
    result = kslim(
        "train", "--train-dir", tuned, *data, "--max-number-of-steps", "20",
        "--checkpoint-path", base, "--checkpoint-exclude-scopes", "LeNet/fc4",
        "--trainable-scopes", "LeNet/fc4", "--optimizer", "momentum",
        "--learning-rate-decay-type", "fixed",
    )  # fmt: skip
    assert_ok(result)
    assert "Fine-tuning from" in result.stderr
    import tensorflow as tf

    base_reader = tf.train.load_checkpoint(base)
    tuned_reader = tf.train.load_checkpoint(tuned)
    for name in ("LeNet/conv1/weights", "LeNet/fc3/weights"):  # restored, not trained
        assert (base_reader.get_tensor(name) == tuned_reader.get_tensor(name)).all()
    fc4 = "LeNet/fc4/weights"
    assert not (base_reader.get_tensor(fc4) == tuned_reader.get_tensor(fc4)).all()


@pytest.mark.slow
def test_eval_interval_secs_runs_the_evaluation_loop_over_new_checkpoints(tmp_path, digits_dir):
    train_dir = str(tmp_path / "run")
    data = ["--dataset-dir", digits_dir]
    assert_ok(kslim("train", "--train-dir", train_dir, *data, "--max-number-of-steps", "200"))
    looped = kslim(
        "eval", "--checkpoint-path", train_dir, *data, "--eval-interval-secs", "0",
        "--max-number-of-evaluations", "1", "--eval-dir", str(tmp_path / "loop"),
    )  # fmt: skip
    assert_ok(looped)
    assert f"evaluated the checkpoints of {train_dir}" in looped.stdout
    assert float(ACCURACY.search(looped.stdout).group(1)) > 0.8
    assert any(n.startswith("events.out.tfevents") for n in os.listdir(tmp_path / "loop"))
