"""Every chunk one step (``max_steps_per_chunk=1``): the step runs without the compiled loop.

``ChunkPlan.looped`` is False, ``TrainOp.run_chunk`` calls the loop-free step function
(as Keras' ``steps_per_execution=1``), and only that function is traced. Numbers, log
lines and the end of the data are those of the looped chunk.
"""

from __future__ import annotations

import numpy as np
import pytest
from _train_utils import MLP_VARIABLES, KslimLogs, build_mlp, dataset, log_lines

import kslim as slim
from kslim.learning.callbacks import ChunkPlan, ChunkPlanner


def _train(logdir, max_steps_per_chunk, data=None, number_of_steps=6, **kwargs):
    with slim.Graph().as_default():
        train_op, _ = build_mlp(data=data)
        initial = {v.path: v.numpy() for v in train_op.weights}
        loss = slim.learning.train(
            train_op,
            logdir,
            number_of_steps=number_of_steps,
            max_steps_per_chunk=max_steps_per_chunk,
            **kwargs,
        )
    chunk, summary_step, single_step = train_op._compiled_chunk[0]
    traces = {
        "chunk": chunk.experimental_get_tracing_count(),
        "single_step": single_step.experimental_get_tracing_count(),
    }
    weights = {v.path: v.numpy() for v in train_op.weights if v.path in MLP_VARIABLES}
    return train_op, loss, initial, weights, traces


def test_planner_with_one_step_chunks_plans_loop_free_steps():
    assert ChunkPlanner([], max_steps_per_chunk=1).plan_chunk(0, 0.0).looped is False
    assert ChunkPlanner([]).plan_chunk(0, 0.0).looped is True


def test_loop_free_plan_must_be_one_step():
    with pytest.raises(ValueError, match="looped=False runs one step, got steps=2"):
        ChunkPlan(steps=2, looped=False)


def test_one_step_chunks_trace_only_the_loop_free_step(tmp_path):
    _, _, _, _, traces = _train(str(tmp_path / "a"), max_steps_per_chunk=1)
    assert traces == {"chunk": 0, "single_step": 1}


def test_slim_default_log_every_step_still_runs_multi_step_chunks(tmp_path):
    # log_every_n_steps=1 (slim's default): each chunk returns every step's loss, so
    # chunks stay many steps long and only the loop is traced.
    _, _, _, _, traces = _train(str(tmp_path / "a"), max_steps_per_chunk=1000)
    assert traces == {"chunk": 1, "single_step": 0}


def test_loop_free_steps_train_as_the_loop(tmp_path, caplog):
    with KslimLogs(caplog):
        _, loss_single, initial, single, _ = _train(str(tmp_path / "a"), max_steps_per_chunk=1)
    lines = log_lines(caplog)
    assert [step for step, _, _ in lines] == [1, 2, 3, 4, 5, 6]
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        for v in train_op.weights:
            if v.path in initial:
                v.assign(initial[v.path])
        loss_loop = slim.learning.train(
            train_op, str(tmp_path / "b"), number_of_steps=6, max_steps_per_chunk=1000
        )
        looped = {v.path: v.numpy() for v in train_op.weights if v.path in MLP_VARIABLES}
    assert loss_single == pytest.approx(loss_loop, rel=1e-6)
    for name in MLP_VARIABLES:
        np.testing.assert_allclose(single[name], looped[name], rtol=1e-6, atol=1e-7)


def test_loop_free_steps_end_when_the_data_ends(tmp_path, caplog):
    with KslimLogs(caplog):
        train_op, _, _, _, _ = _train(
            str(tmp_path / "a"),
            max_steps_per_chunk=1,
            data=dataset(repeat=False),
            number_of_steps=100,
        )
    # dataset(repeat=False) holds 8 batches: training stops after the 8th step.
    assert int(train_op.optimizer.iterations.numpy()) == 8
    assert [step for step, _, _ in log_lines(caplog)] == list(range(1, 9))


def test_plain_fit_on_a_train_op_runs_loop_free_steps():
    with slim.Graph().as_default():
        train_op, _ = build_mlp(data=dataset(repeat=False))
        train_op.compile(optimizer=train_op.optimizer)
        history = train_op.fit(dataset(repeat=False), epochs=1, verbose=0)
    _, _, single_step = train_op._compiled_chunk[0]
    assert single_step.experimental_get_tracing_count() == 1
    assert int(train_op.optimizer.iterations.numpy()) == 8
    assert np.isfinite(history.history["loss"][-1])
