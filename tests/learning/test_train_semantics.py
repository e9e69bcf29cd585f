"""slim's ``learning.train`` semantics (reference §5.3), one test per behaviour, on a tiny MLP."""

from __future__ import annotations

import glob
import json
import os
import time
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from _train_utils import (
    KslimLogs,
    arrays,
    build_mlp,
    checkpoint_steps,
    dataset,
    log_lines,
    read_events,
    reference_sgd_losses,
)

import kslim as slim


def _train(logdir, number_of_steps, optimizer=None, build_kwargs=None, **train_kwargs):
    with slim.Graph().as_default():
        train_op, _ = build_mlp(optimizer, **(build_kwargs or {}))
        loss = slim.learning.train(
            train_op, logdir, number_of_steps=number_of_steps, **train_kwargs
        )
    return train_op, loss


def _lateness_bound(caplog) -> float:
    """How late a time-based event may come: 1.5 s, or three of the slowest host calls of
    this run (its step log lines' spacing) on a loaded machine."""
    stamps = [r.created for r in caplog.records if r.getMessage().startswith("global step")]
    slowest = float(np.max(np.diff(stamps))) if len(stamps) > 1 else 0.0
    return max(1.5, 3.0 * slowest)


class _Sleep(keras.callbacks.Callback):
    """Makes each host call slow, so time-based events fall inside the run."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


class _Record(keras.callbacks.Callback):
    """Records the step losses of every chunk and the model state at train begin."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []
        self.batches = 0
        self.at_begin: dict = {}

    def on_train_begin(self, logs=None):
        self.at_begin = {"step": int(self.model.optimizer.iterations.numpy())}
        self.at_begin.update({v.path: v.numpy().copy() for v in self.model.weights})
        named = getattr(self.model.optimizer, "slot_variables_by_tf1_name", None)
        if named is not None:
            slots = named(self.model.trainable_weights)
            self.at_begin.update({k: np.asarray(v.numpy()).copy() for k, v in slots.items()})

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        self.losses.extend(np.asarray(logs["step_losses"]).reshape(-1).tolist())


# ----------------------------------------------------------------- number_of_steps


def test_number_of_steps_is_exact_in_log_and_checkpoint(tmp_path, caplog):
    with KslimLogs(caplog):
        train_op, _ = _train(str(tmp_path), 7)
    assert int(train_op.optimizer.iterations.numpy()) == 7
    assert [s for s, _, _ in log_lines(caplog)] == list(range(1, 8))
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-7")
    reader = tf.train.load_checkpoint(str(tmp_path / "model.ckpt-7"))
    assert int(reader.get_tensor("global_step")) == 7


def test_resume_continues_from_checkpoint_global_step(tmp_path, caplog):
    _train(str(tmp_path), 4)
    caplog.clear()
    with KslimLogs(caplog):
        train_op, _ = _train(str(tmp_path), 9)
    assert [s for s, _, _ in log_lines(caplog)] == [5, 6, 7, 8, 9]
    assert int(train_op.optimizer.iterations.numpy()) == 9
    assert checkpoint_steps(str(tmp_path))[-1] == 9


def test_at_least_one_step_runs_when_already_at_number_of_steps(tmp_path, caplog):
    _train(str(tmp_path), 5)
    caplog.clear()
    with KslimLogs(caplog):
        train_op, loss = _train(str(tmp_path), 5)
    assert [s for s, _, _ in log_lines(caplog)] == [6]
    assert int(train_op.optimizer.iterations.numpy()) == 6
    assert loss is not None
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-6")


# ----------------------------------------------------------------- checkpoints


def test_checkpoints_at_start_and_end_with_state_file(tmp_path):
    _train(str(tmp_path), 6)
    files = set(os.listdir(tmp_path))
    for step in (0, 6):
        assert f"model.ckpt-{step}.index" in files
        assert f"model.ckpt-{step}.data-00000-of-00001" in files
    state = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "model.ckpt-6"' in state
    assert 'all_model_checkpoint_paths: "model.ckpt-0"' in state
    assert checkpoint_steps(str(tmp_path)) == [0, 6]
    # model.ckpt-0 holds the initial weights: global step 0.
    assert (
        int(tf.train.load_checkpoint(str(tmp_path / "model.ckpt-0")).get_tensor("global_step")) == 0
    )


def test_checkpoints_every_save_interval_secs(tmp_path, caplog):
    with KslimLogs(caplog):
        _train(
            str(tmp_path),
            24,
            save_interval_secs=0.25,
            max_to_keep=None,
            max_steps_per_chunk=1,
            callbacks=[_Sleep(0.05)],
        )
    steps = checkpoint_steps(str(tmp_path))
    assert steps[0] == 0 and steps[-1] == 24
    # >= 1.2 s of training with a save every 0.25 s: several time-based saves in between.
    assert len(steps) >= 4, steps
    saves = [r.created for r in caplog.records if r.getMessage().startswith("Saving checkpoint")]
    assert len(saves) == len(steps)
    # Each time-based save comes save_interval_secs after the previous one, late by at
    # most about a second plus a host call (the chunk planner's bound); the final save is
    # not time-based. How slow a host call is depends on the machine's load: measured.
    gaps = np.diff(saves[:-1])
    assert np.all(gaps >= 0.24) and np.all(gaps <= 0.25 + _lateness_bound(caplog)), gaps


def test_last_five_checkpoints_kept_by_default(tmp_path):
    _train(str(tmp_path), 10, save_interval_secs=1e-4, max_steps_per_chunk=1)
    assert checkpoint_steps(str(tmp_path)) == [6, 7, 8, 9, 10]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        f"model.ckpt-{s}" for s in (6, 7, 8, 9, 10)
    ]


def test_max_to_keep_sets_retention(tmp_path):
    _train(str(tmp_path), 6, save_interval_secs=1e-4, max_steps_per_chunk=1, max_to_keep=2)
    assert checkpoint_steps(str(tmp_path)) == [5, 6]


def test_checkpoint_keys_are_slim_names_plus_optimizer_state(tmp_path):
    _train(str(tmp_path), 2, optimizer=tf.compat.v1.train.AdamOptimizer(0.01))
    keys = set(tf.train.load_checkpoint(str(tmp_path / "model.ckpt-2")).get_variable_to_shape_map())
    expected = {"global_step", "beta1_power", "beta2_power"}
    for name in ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases"):
        expected |= {name, name + "/Adam", name + "/Adam_1"}
    assert expected <= keys
    assert {k for k in keys if not k.startswith("kslim/")} == expected


def test_resume_restores_weights_optimizer_slots_and_global_step(tmp_path):
    _train(str(tmp_path), 3, optimizer=tf.compat.v1.train.AdamOptimizer(0.01))
    saved = tf.train.load_checkpoint(str(tmp_path / "model.ckpt-3"))
    record = _Record()
    _train(str(tmp_path), 4, optimizer=tf.compat.v1.train.AdamOptimizer(0.01), callbacks=[record])
    assert record.at_begin["step"] == 3
    for key in (
        "fc1/weights",
        "fc2/biases",
        "fc1/weights/Adam",
        "fc2/weights/Adam_1",
        "beta1_power",
        "beta2_power",
    ):
        np.testing.assert_array_equal(record.at_begin[key], saved.get_tensor(key), err_msg=key)
    # The slots are not at their initial zeros: the restore is what filled them.
    assert np.abs(record.at_begin["fc1/weights/Adam"]).sum() > 0


def test_fresh_start_calls_init_fn_once_with_the_model(tmp_path):
    calls = []

    def init_fn(model):
        calls.append(model)
        for v in model.weights:
            if v.path == "fc2/biases":
                v.assign(np.full(v.shape, 0.5, np.float32))

    train_op, _ = _train(str(tmp_path), 3, init_fn=init_fn)
    assert calls == [train_op]
    # init_fn ran before the first step: model.ckpt-0 has its value.
    np.testing.assert_array_equal(
        tf.train.load_checkpoint(str(tmp_path / "model.ckpt-0")).get_tensor("fc2/biases"),
        np.full([3], 0.5, np.float32),
    )


def test_resume_skips_init_fn(tmp_path):
    _train(str(tmp_path), 2)
    calls = []
    _train(str(tmp_path), 4, init_fn=calls.append)
    assert calls == []


# ----------------------------------------------------------------- logging


def test_log_lines_every_n_steps_report_that_steps_loss(tmp_path, caplog):
    with KslimLogs(caplog):
        _train(str(tmp_path), 10, log_every_n_steps=3)
    lines = log_lines(caplog)
    assert [s for s, _, _ in lines] == [3, 6, 9]
    initial = tf.train.load_checkpoint(str(tmp_path / "model.ckpt-0"))
    reference = reference_sgd_losses(
        {
            k: initial.get_tensor(k)
            for k in ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases")
        },
        10,
    )
    for step, loss, sec in lines:
        # global step k: the loss of the k-th step (computed before its update).
        assert loss == pytest.approx(reference[step - 1], abs=1.5e-4), step
        assert sec >= 0
    messages = [r.getMessage() for r in caplog.records if r.name == "kslim"]
    assert any(
        m.startswith("global step 3: loss = ") and m.endswith(" sec/step)") for m in messages
    )


def test_log_every_n_steps_zero_logs_no_step_lines(tmp_path, caplog):
    with KslimLogs(caplog):
        _train(None, 3, log_every_n_steps=0)
    assert log_lines(caplog) == []


def test_train_returns_last_total_loss(tmp_path):
    record = _Record()
    _, loss = _train(str(tmp_path), 5, callbacks=[record])
    assert isinstance(loss, np.float32)
    assert len(record.losses) == 5
    assert float(loss) == pytest.approx(record.losses[-1], rel=1e-6)
    initial = tf.train.load_checkpoint(str(tmp_path / "model.ckpt-0"))
    reference = reference_sgd_losses(
        {
            k: initial.get_tensor(k)
            for k in ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases")
        },
        5,
    )
    assert float(loss) == pytest.approx(reference[-1], rel=1e-5)


def test_progress_bar_off_when_stdout_is_not_a_tty(tmp_path, capsys):
    _train(None, 3)
    assert "step" not in capsys.readouterr().out
    _train(None, 3, progress_bar=True)
    assert "step" in capsys.readouterr().out


# ----------------------------------------------------------------- summaries


def _scalars(events, tag):
    return {step: float(v) for step, t, _, v in events if t == tag}


def test_summaries_at_start_have_slim_scalar_tags(tmp_path):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        loss_names = train_op.loss_names
        slim.learning.train(train_op, str(tmp_path), number_of_steps=4)
    events = read_events(str(tmp_path))
    tags = {t for _, t, _, _ in events}
    assert {"total_loss", "learning_rate", "global_step/sec"} <= tags
    assert loss_names and all("losses/" + n in tags for n in loss_names)
    # save_summaries_secs=600: one summary, at the start step.
    assert set(_scalars(events, "total_loss")) == {0}
    assert _scalars(events, "learning_rate")[0] == pytest.approx(0.1)
    assert _scalars(events, "global_step/sec")[0] == 0.0


def test_summary_total_loss_is_the_loss_at_its_step(tmp_path, caplog):
    with KslimLogs(caplog):
        _train(str(tmp_path), 3)
    first_log = log_lines(caplog)[0]
    assert first_log[0] == 1
    total = _scalars(read_events(str(tmp_path)), "total_loss")
    # The summary at global step 0 is the loss of the weights at step 0, i.e. the loss
    # that the first step (logged as global step 1) computed.
    assert total[0] == pytest.approx(first_log[1], abs=1.5e-4)


def test_summaries_repeat_every_save_summaries_secs(tmp_path, caplog):
    with KslimLogs(caplog):
        _train(
            str(tmp_path),
            24,
            save_summaries_secs=0.25,
            max_steps_per_chunk=1,
            callbacks=[_Sleep(0.05)],
        )
    steps = sorted(_scalars(read_events(str(tmp_path)), "total_loss"))
    assert steps[0] == 0
    assert len(steps) >= 3, steps
    walls = sorted(
        {
            e.wall_time
            for path in glob.glob(str(tmp_path / "events.*"))
            for e in tf.compat.v1.train.summary_iterator(path)
            if any(v.tag == "total_loss" for v in e.summary.value)
        }
    )
    gaps = np.diff(walls)
    assert np.all(gaps >= 0.24) and np.all(gaps <= 0.25 + _lateness_bound(caplog)), gaps
    rates = _scalars(read_events(str(tmp_path)), "global_step/sec")
    assert rates[steps[0]] == 0.0 and all(rates[s] > 0 for s in steps[1:])


def test_gradient_summaries_written_when_summarize_gradients(tmp_path):
    _train(str(tmp_path), 2, build_kwargs={"summarize_gradients": True})
    events = read_events(str(tmp_path))
    by_tag = {t: (s, p, v) for s, t, p, v in events}
    for var in ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases"):
        assert by_tag[var + "_gradient"][1] == "histograms"
        step, plugin, norm = by_tag[var + "_gradient_norm"]
        assert step == 0 and plugin == "scalars" and float(norm) > 0


def test_no_gradient_summaries_by_default(tmp_path):
    _train(str(tmp_path), 2)
    assert not [t for _, t, _, _ in read_events(str(tmp_path)) if "_gradient" in t]


def test_user_summaries_from_kslim_summaries_written(tmp_path):
    _train(str(tmp_path), 2, build_kwargs={"summaries": True})
    events = read_events(str(tmp_path))
    by_tag = {t: (s, p, v) for s, t, p, v in events}
    assert by_tag["fc1_activations"][:2] == (0, "histograms")
    step, plugin, value = by_tag["fc1/Fraction_of_Zero_Values"]
    assert (step, plugin) == (0, "scalars") and 0.0 <= float(value) <= 1.0


# ----------------------------------------------------------------- traces


def test_trace_every_n_steps_writes_chrome_trace_and_profile_data(tmp_path):
    _train(str(tmp_path), 4, trace_every_n_steps=3)
    traces = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "tf_trace-*.json")))
    assert traces == ["tf_trace-0.json", "tf_trace-3.json"]
    with open(tmp_path / "tf_trace-3.json") as f:
        trace = json.load(f)
    assert isinstance(trace["traceEvents"], list) and trace["traceEvents"]
    assert glob.glob(str(tmp_path / "plugins" / "profile" / "*" / "*.xplane.pb"))


# ----------------------------------------------------------------- logdir=None


def test_logdir_none_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train_op, loss = _train(None, 3)
    assert os.listdir(tmp_path) == []
    assert int(train_op.optimizer.iterations.numpy()) == 3
    assert np.isfinite(loss)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"summary_op": object()}, "Cannot provide summary_op because logdir=None"),
        ({"saver": object()}, "Cannot provide saver because logdir=None"),
        ({"trace_every_n_steps": 2}, "Cannot provide trace_every_n_steps because logdir=None"),
    ],
)
def test_logdir_none_rejects_summary_op_saver_and_trace(kwargs, message):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(ValueError) as info:
            slim.learning.train(train_op, None, number_of_steps=1, **kwargs)
    assert str(info.value) == message
    assert int(train_op.optimizer.iterations.numpy()) == 0


# ----------------------------------------------------------------- validation


def test_train_op_none_is_rejected():
    with pytest.raises(ValueError) as info:
        slim.learning.train(None, None)
    assert str(info.value) == "train_op cannot be None."


@pytest.mark.parametrize("steps", [0, -3])
def test_non_positive_number_of_steps_is_rejected(steps):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(ValueError) as info:
            slim.learning.train(train_op, None, number_of_steps=steps)
    # slim's message, then the value.
    assert str(info.value) == (
        f"`number_of_steps` must be either None or a positive number. Got number_of_steps={steps}"
    )


def test_sync_optimizer_must_be_sync_replicas_optimizer():
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(ValueError) as info:
            slim.learning.train(
                train_op,
                None,
                number_of_steps=1,
                sync_optimizer=tf.compat.v1.train.GradientDescentOptimizer(0.1),
            )
    assert str(info.value) == "`sync_optimizer` must be a tf.train.SyncReplicasOptimizer."


def test_startup_delay_steps_with_sync_optimizer_is_rejected():
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(ValueError) as info:
            slim.learning.train(
                train_op, None, number_of_steps=1, startup_delay_steps=2, sync_optimizer=object()
            )
    assert str(info.value) == "startup_delay_steps must be zero when sync_optimizer is supplied."


@pytest.mark.parametrize(
    "name, value",
    [
        ("master", "grpc://localhost:2222"),
        ("init_op", object()),
        ("init_feed_dict", {"x": 1}),
        ("local_init_op", object()),
        ("ready_op", object()),
        ("session_config", object()),
        ("session_wrapper", lambda s: s),
        ("ignore_live_threads", True),
        ("startup_delay_steps", 3),
        ("global_step", object()),
    ],
)
def test_tf1_only_argument_warns_once_naming_it(name, value):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            slim.learning.train(train_op, None, number_of_steps=2, **{name: value})
    ours = [w for w in caught if "learning.train" in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert f"{name}=" in str(ours[0].message)
    assert int(train_op.optimizer.iterations.numpy()) == 2


def test_default_arguments_do_not_warn():
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            slim.learning.train(
                train_op, None, number_of_steps=1, global_step=train_op.optimizer.iterations
            )
    assert not [w for w in caught if "learning.train" in str(w.message)]


# ----------------------------------------------------------------- train_step_fn


def test_custom_train_step_fn_called_once_per_step(tmp_path, caplog):
    calls = []

    def train_step_fn(context, train_op, global_step, kwargs):
        calls.append(int(global_step.numpy()))
        return slim.learning.train_step(context, train_op, global_step, kwargs)

    with KslimLogs(caplog):
        train_op, loss = _train(str(tmp_path), 5, train_step_fn=train_step_fn)
    assert calls == [0, 1, 2, 3, 4]
    assert int(train_op.optimizer.iterations.numpy()) == 5
    assert [s for s, _, _ in log_lines(caplog)] == [1, 2, 3, 4, 5]
    assert loss == pytest.approx(log_lines(caplog)[-1][1], abs=1e-4)
    assert checkpoint_steps(str(tmp_path)) == [0, 5]


def test_train_step_fn_with_custom_kwargs_decides_when_to_stop(tmp_path):
    seen = []

    def train_step_fn(context, train_op, global_step, kwargs):
        seen.append(kwargs["tag"])
        loss, _ = slim.learning.train_step(context, train_op, global_step, {})
        return loss, int(global_step.numpy()) >= 3

    train_op, _ = _train(None, 50, train_step_fn=train_step_fn, train_step_kwargs={"tag": "t"})
    # A custom kwargs dict replaces slim's should_stop: number_of_steps is not applied.
    assert seen == ["t", "t", "t"]
    assert int(train_op.optimizer.iterations.numpy()) == 3


# ----------------------------------------------------------------- failures


def test_unwritable_logdir_fails_before_first_step(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    record = _Record()
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(OSError) as info:
            slim.learning.train(
                train_op, str(blocker / "logdir"), number_of_steps=3, callbacks=[record]
            )
    assert "logdir" in str(info.value) and str(blocker / "logdir") in str(info.value)
    assert record.batches == 0
    assert int(train_op.optimizer.iterations.numpy()) == 0


@pytest.mark.parametrize(
    "data, fragment",
    [
        (lambda x, y: tf.data.Dataset.from_tensor_slices(x).batch(8), "structure"),
        (lambda x, y: tf.data.Dataset.from_tensor_slices((x[:, :3], y)).batch(8), "shape"),
        (
            lambda x, y: tf.data.Dataset.from_tensor_slices((x.astype(np.float64), y)).batch(8),
            "dtype",
        ),
    ],
)
def test_dataset_not_matching_inputs_is_value_error_before_training(data, fragment):
    x, y = arrays()
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(ValueError, match=fragment):
            slim.learning.train(train_op, None, number_of_steps=2, dataset=data(x, y))
    assert int(train_op.optimizer.iterations.numpy()) == 0


def test_dataset_argument_overrides_the_bound_dataset(tmp_path):
    x, y = arrays(seed=5)
    record = _Record()
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        slim.learning.train(
            train_op, str(tmp_path), number_of_steps=3, dataset=dataset(x, y), callbacks=[record]
        )
    initial = tf.train.load_checkpoint(str(tmp_path / "model.ckpt-0"))
    reference = reference_sgd_losses(
        {
            k: initial.get_tensor(k)
            for k in ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases")
        },
        3,
        x=x,
        y=y,
    )
    np.testing.assert_allclose(record.losses, reference, rtol=1e-5)


def test_nan_loss_stops_naming_the_step_and_keeps_last_good_checkpoint(tmp_path):
    x, y = arrays()
    y = y.copy()
    y[4 * 8] = np.nan  # the 5th batch: the step from global step 4
    with slim.Graph().as_default():
        train_op, _ = build_mlp(data=dataset(x, y))
        with pytest.raises(FloatingPointError, match=r"global step 4\b"):
            slim.learning.train(
                train_op,
                str(tmp_path),
                number_of_steps=8,
                save_interval_secs=1e-4,
                max_steps_per_chunk=1,
            )
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest.endswith("model.ckpt-4")
    reader = tf.train.load_checkpoint(latest)
    for name in ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases"):
        assert np.all(np.isfinite(reader.get_tensor(name))), name
    assert int(train_op.optimizer.iterations.numpy()) == 4
