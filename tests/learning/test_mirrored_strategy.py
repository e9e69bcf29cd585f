"""learning.train on two replicas (MirroredStrategy, two logical CPUs) trains the numbers
of one replica on the same global batch: per-step losses and final variables (1e-5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

RUNNER = Path(__file__).with_name("_mirrored_runner.py")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("mirrored") / "runs.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text())


CASES = ["tf1_momentum/bn", "keras_adam/bn"]


@pytest.mark.parametrize("case", CASES)
def test_two_replicas_train_the_losses_of_one_replica_on_the_global_batch(runs, case):
    run = runs[case]
    assert run["replicas"] == 2
    one, two = run["one"]["losses"], run["two"]["losses"]
    assert len(one) == len(two) == 4
    np.testing.assert_allclose(two, one, rtol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_two_replicas_end_with_the_variables_of_one_replica(runs, case):
    one, two = runs[case]["one"]["variables"], runs[case]["two"]["variables"]
    assert sorted(one) == sorted(two)
    assert any(name.endswith("moving_mean") for name in one)
    for name in one:
        np.testing.assert_allclose(two[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("case", ["tf1_momentum/bn", "keras_adam/bn"])
def test_two_replicas_checkpoint_the_exact_number_of_steps(runs, case):
    assert runs[case]["two"]["end"] == 4
    assert runs[case]["eval"]["checkpoint"].endswith("model.ckpt-4")


@pytest.mark.parametrize("case", ["tf1_momentum/bn", "keras_adam/bn"])
def test_evaluate_once_under_the_strategy_gives_the_values_without_it(runs, case):
    evals = runs[case]["eval"]
    assert set(evals["without"]) == {"accuracy", "loss"}
    assert 0.0 <= evals["without"]["accuracy"] <= 1.0
    for route in ("scope", "strategy"):
        for name, value in evals["without"].items():
            assert evals[route][name] == pytest.approx(value, rel=1e-6), (route, name)


def test_strategy_argument_with_a_train_op_built_outside_its_scope_names_the_scope(runs):
    error = runs["outside_scope"]
    assert error["type"] == "ValueError", error
    assert "strategy=MirroredStrategy" in error["message"]
    assert "strategy.scope()" in error["message"]
