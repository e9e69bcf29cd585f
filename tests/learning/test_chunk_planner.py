"""ChunkPlanner and the ChunkPlan contract, driven directly with a fake clock."""

from __future__ import annotations

import types

import numpy as np
import pytest
import tensorflow as tf
from _train_utils import read_events

from kslim.learning.callbacks import (
    ChunkEvents,
    ChunkPlan,
    ChunkPlanner,
    StepSummarySaver,
    StopAtStep,
    SummarySaver,
    Tracer,
)
from kslim.learning.callbacks import summary_saver as summary_saver_module


class _Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _fake_model(step: int = 0):
    iterations = tf.Variable(step, dtype=tf.int64)
    return types.SimpleNamespace(
        optimizer=types.SimpleNamespace(iterations=iterations, learning_rate=0.1)
    )


def _run_plans(planner: ChunkPlanner, until: int, sec_per_step: float = 0.01, on_plan=None):
    """Plans chunks from step 0 to ``until``; returns the plans (the clock advances)."""
    plans, step = [], 0
    clock = planner.clock
    while step < until:
        plan = planner.plan_chunk(step, clock())
        plans.append(plan)
        clock.now += plan.steps * sec_per_step
        step += plan.steps
        planner.chunk_done(plan.steps, plan.steps * sec_per_step)
        if on_plan is not None:
            on_plan(plan, step, clock.now)
    return plans


def test_kslim_callbacks_that_plan_implement_chunk_events(tmp_path):
    for cb in (
        StopAtStep(5),
        Tracer(str(tmp_path), 3),
        SummarySaver(str(tmp_path), 10),
        StepSummarySaver(str(tmp_path), 4),
    ):
        assert isinstance(cb, ChunkEvents), type(cb).__name__


def test_chunks_end_exactly_at_trace_step_summary_and_stop_steps(tmp_path):
    tracer = Tracer(str(tmp_path), 10)
    summaries = StepSummarySaver(str(tmp_path / "s"), 7)
    planner = ChunkPlanner(
        [tracer, summaries, StopAtStep(45)], max_steps_per_chunk=1000, clock=_Clock()
    )

    def after(plan, end, now):
        if plan.trace:
            tracer.last_traced = plan.start_step
        if plan.summaries:
            summaries._written(plan.start_step)

    plans = _run_plans(planner, 45, on_plan=after)
    starts = [p.start_step for p in plans]
    ends = [p.start_step + p.steps for p in plans]
    assert ends[-1] == 45
    for k in (10, 20, 30, 40):
        traced = [p for p in plans if p.start_step == k]
        assert traced and traced[0].trace and traced[0].steps == 1, k
    assert [p.start_step for p in plans if p.trace] == [0, 10, 20, 30, 40]
    # Step summaries at 0 and then 7 steps after each write.
    assert [p.start_step for p in plans if p.summaries] == [0, 7, 14, 21, 28, 35, 42]
    for k in (7, 14, 21, 28, 35, 42):
        assert k in starts
    assert all(p.steps == 1 for p in plans if p.summaries or p.trace)


def test_a_time_based_event_is_at_most_about_one_second_late(tmp_path):
    saver = SummarySaver(str(tmp_path), save_summaries_secs=5)
    clock = _Clock(1000.0)
    planner = ChunkPlanner([saver], max_steps_per_chunk=100000, clock=clock)
    lateness = []

    def after(plan, end, now):
        if plan.summaries:
            if saver.last_time is not None:
                lateness.append(plan.now - (saver.last_time + 5))
            saver.last_time = now

    plans = _run_plans(planner, 20000, sec_per_step=0.013, on_plan=after)
    assert len(lateness) >= 30
    assert max(lateness) <= 1.0 + 0.013
    # Chunks stay long between events (the host is visited rarely).
    assert max(p.steps for p in plans) > 100


def test_summaries_are_written_exactly_when_the_chunk_computed_them(tmp_path, monkeypatch):
    model = _fake_model()
    saver = SummarySaver(str(tmp_path), save_summaries_secs=10)
    saver.set_model(model)
    saver.on_train_begin()
    saver.last_time = 90.0  # the next write is due at t = 100
    clock = _Clock(99.999)
    planner = ChunkPlanner([saver], clock=clock)
    planner.set_model(model)
    planner.sec_per_step = 0.01
    # The planner reads the clock just before the deadline: a long chunk, no summaries.
    planner.on_train_batch_begin(0)
    assert not planner.plan.summaries and planner.plan.steps > 1
    # The deadline passes while the chunk runs; the saver must not decide again.
    monkeypatch.setattr(summary_saver_module.time, "time", lambda: 105.0)
    saver.on_train_batch_begin(0)
    model.optimizer.iterations.assign(planner.plan.steps)
    saver.on_train_batch_end(0, {"step_losses": np.zeros(planner.plan.steps), "steps_run": 1})
    assert not [t for _, t, _, _ in read_events(str(tmp_path)) if t == "total_loss"]
    # The next plan computes the summaries and the saver writes them at its start step.
    start = int(model.optimizer.iterations.numpy())
    clock.now = 105.0
    planner.on_train_batch_begin(1)
    assert planner.plan.summaries and planner.plan.steps == 1
    saver.on_train_batch_begin(1)
    model.optimizer.iterations.assign_add(1)
    saver.on_train_batch_end(1, {"step_losses": np.asarray([0.5]), "steps_run": 1})
    saver.close()
    written = [(s, float(v)) for s, t, _, v in read_events(str(tmp_path)) if t == "total_loss"]
    assert written == [(start, 0.5)]


def test_chunk_plan_rejects_a_multi_step_summary_or_trace_plan():
    with pytest.raises(ValueError, match="steps=5"):
        ChunkPlan(steps=5, summaries=True)
    with pytest.raises(ValueError, match="steps=0"):
        ChunkPlan(steps=0)


def test_in_phase_order_runs_planner_state_init_checkpoint_then_user_callbacks(tmp_path):
    import keras

    from kslim.learning.callbacks import (
        CheckpointSaver,
        InitFnOnFreshStart,
        LastLoss,
        StepLogger,
        in_phase_order,
    )

    user_a, user_b = keras.callbacks.Callback(), keras.callbacks.Callback()
    summary = SummarySaver(str(tmp_path), 10)
    saver = CheckpointSaver(str(tmp_path))
    init = InitFnOnFreshStart(lambda model: None, str(tmp_path))
    stop, log, last = StopAtStep(3), StepLogger(1), LastLoss()
    planner = ChunkPlanner([summary, saver, stop])
    ordered = in_phase_order([user_a, last, log, stop, saver, init, summary, user_b, planner])
    assert ordered == [planner, summary, init, saver, stop, log, last, user_a, user_b]
