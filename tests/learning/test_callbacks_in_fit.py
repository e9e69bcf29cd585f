"""kslim's callbacks in a user's own ``model.fit`` on a plain Keras model."""

from __future__ import annotations

import glob
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from _train_utils import KslimLogs, arrays, checkpoint_steps, log_lines, read_events

import kslim as slim
from kslim.learning import callbacks as learning_callbacks


def _model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="fc1"),
            keras.layers.Dense(3, name="fc2"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    return model


def _fit(model, callbacks, steps: int = 40):
    x, y = arrays()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(8)
    return model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=callbacks)


def test_callbacks_are_public_under_kslim_callbacks():
    for name in (
        "StopAtStep",
        "StepLogger",
        "SummarySaver",
        "CheckpointSaver",
        "Tracer",
        "InitFnOnFreshStart",
    ):
        assert getattr(slim.callbacks, name) is getattr(learning_callbacks, name)


def test_stop_at_step_stops_plain_fit_at_the_global_step():
    model = _model()
    _fit(model, [slim.callbacks.StopAtStep(7)])
    assert int(model.optimizer.iterations.numpy()) == 7


def test_stop_at_step_is_absolute_and_runs_at_least_one_step():
    model = _model()
    _fit(model, [slim.callbacks.StopAtStep(5)])
    _fit(model, [slim.callbacks.StopAtStep(9)])
    assert int(model.optimizer.iterations.numpy()) == 9
    _fit(model, [slim.callbacks.StopAtStep(9)])
    assert int(model.optimizer.iterations.numpy()) == 10


def test_stop_at_step_rejects_non_positive_steps():
    with pytest.raises(ValueError, match="number_of_steps"):
        slim.callbacks.StopAtStep(0)


def test_step_logger_logs_every_n_global_steps_in_plain_fit(caplog):
    model = _model()
    with KslimLogs(caplog):
        _fit(model, [slim.callbacks.StepLogger(3), slim.callbacks.StopAtStep(10)])
    lines = log_lines(caplog)
    assert [s for s, _, _ in lines] == [3, 6, 9]
    assert all(np.isfinite(loss) for _, loss, _ in lines)


def test_summary_saver_writes_slim_scalars_in_plain_fit(tmp_path):
    model = _model()
    _fit(model, [slim.callbacks.SummarySaver(str(tmp_path), 600), slim.callbacks.StopAtStep(3)])
    events = read_events(str(tmp_path))
    tags = {t for _, t, _, _ in events}
    assert {"total_loss", "learning_rate", "global_step/sec"} <= tags
    lr = [float(v) for _, t, _, v in events if t == "learning_rate"]
    assert lr == [pytest.approx(0.1)]


def test_checkpoint_saver_saves_at_start_interval_and_end_with_retention(tmp_path):
    model = _model()
    saver = slim.callbacks.CheckpointSaver(str(tmp_path), save_interval_secs=1e-4, max_to_keep=3)
    _fit(model, [saver, slim.callbacks.StopAtStep(6)])
    assert checkpoint_steps(str(tmp_path)) == [4, 5, 6]
    keys = set(tf.train.load_checkpoint(str(tmp_path / "model.ckpt-6")).get_variable_to_shape_map())
    assert {"fc1/kernel", "fc1/bias", "fc2/kernel", "fc2/bias", "global_step"} <= keys


def test_checkpoint_saver_resumes_weights_and_global_step_in_plain_fit(tmp_path):
    model = _model(seed=0)
    _fit(model, [slim.callbacks.CheckpointSaver(str(tmp_path)), slim.callbacks.StopAtStep(4)])
    # Keras prefixes paths with the auto-numbered model name; checkpoint keys drop it.
    saved = {v.path.split("/", 1)[1]: v.numpy() for v in model.weights}
    restarted = _model(seed=1)
    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["step"] = int(self.model.optimizer.iterations.numpy())
            seen.update({v.path.split("/", 1)[1]: v.numpy().copy() for v in self.model.weights})

    saver = slim.callbacks.CheckpointSaver(str(tmp_path))
    _fit(restarted, [saver, Probe(), slim.callbacks.StopAtStep(6)])
    assert saver.restored_from.endswith("model.ckpt-4")
    assert seen["step"] == 4
    for name, value in saved.items():
        np.testing.assert_array_equal(seen[name], value, err_msg=name)
    assert int(restarted.optimizer.iterations.numpy()) == 6


def test_tracer_writes_chrome_trace_in_plain_fit(tmp_path):
    model = _model()
    _fit(model, [slim.callbacks.Tracer(str(tmp_path), 2), slim.callbacks.StopAtStep(3)])
    names = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "tf_trace-*.json")))
    assert names == ["tf_trace-0.json", "tf_trace-2.json"]
    with open(tmp_path / "tf_trace-2.json") as f:
        assert json.load(f)["traceEvents"]
    assert glob.glob(str(tmp_path / "plugins" / "profile" / "*" / "*.xplane.pb"))


def test_init_fn_runs_on_fresh_start_only_in_plain_fit(tmp_path):
    calls = []
    model = _model()
    _fit(
        model,
        [
            slim.callbacks.InitFnOnFreshStart(calls.append, str(tmp_path)),
            slim.callbacks.CheckpointSaver(str(tmp_path)),
            slim.callbacks.StopAtStep(2),
        ],
    )
    assert calls == [model]
    _fit(
        _model(),
        [
            slim.callbacks.InitFnOnFreshStart(calls.append, str(tmp_path)),
            slim.callbacks.CheckpointSaver(str(tmp_path)),
            slim.callbacks.StopAtStep(4),
        ],
    )
    assert calls == [model]


def test_tracer_last_traced_step_survives_a_restart(tmp_path):
    tracer = slim.callbacks.Tracer(str(tmp_path), 3)
    _fit(
        _model(),
        [
            slim.callbacks.CheckpointSaver(str(tmp_path), stateful_callbacks=[tracer]),
            tracer,
            slim.callbacks.StopAtStep(4),
        ],
    )
    assert tracer.last_traced == 3
    fresh = slim.callbacks.Tracer(str(tmp_path), 3)
    assert fresh.last_traced == -1
    _fit(
        _model(),
        [
            slim.callbacks.CheckpointSaver(str(tmp_path), stateful_callbacks=[fresh]),
            fresh,
            slim.callbacks.StopAtStep(5),
        ],
    )
    assert fresh.last_traced == 3


def test_summary_saver_last_time_survives_a_restart(tmp_path):
    first = slim.callbacks.SummarySaver(str(tmp_path / "run1"), 600)
    _fit(
        _model(),
        [
            slim.callbacks.CheckpointSaver(str(tmp_path), stateful_callbacks=[first]),
            first,
            slim.callbacks.StopAtStep(2),
        ],
    )
    assert first.get_state()
    second = slim.callbacks.SummarySaver(str(tmp_path / "run2"), 600)
    _fit(
        _model(),
        [
            slim.callbacks.CheckpointSaver(str(tmp_path), stateful_callbacks=[second]),
            second,
            slim.callbacks.StopAtStep(4),
        ],
    )
    assert second.get_state() == first.get_state()
    # 600 s have not passed since the first run's summary: the restart writes none.
    assert not [t for _, t, _, _ in read_events(str(tmp_path / "run2")) if t == "total_loss"]


def test_checkpoint_saver_unwritable_logdir_fails_at_construction(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="logdir"):
        slim.callbacks.CheckpointSaver(str(blocker / "sub"))
