"""kslim.evaluation: evaluate_once, evaluation_loop and the checkpoint watchers."""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

import kslim as slim
from kslim import checkpoints, evaluation

RNG = np.random.RandomState(0)
X = RNG.rand(40, 4).astype(np.float32)
Y = (X.sum(axis=1) > 2).astype(np.int64)


def _weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(seed)
    return {
        "fc/weights": rng.randn(4, 2).astype(np.float32),
        "fc/biases": rng.randn(2).astype(np.float32),
    }


def _logits(weights, n=None):
    x = X if n is None else X[:n]
    return x @ weights["fc/weights"] + weights["fc/biases"]


def _save(directory: str, step: int, seed: int | None = None, manager=None) -> str:
    variables = dict(_weights(step if seed is None else seed), global_step=np.int64(step))
    if manager is not None:
        return manager.save(variables, step)
    return checkpoints.save_variables(os.path.join(directory, f"model.ckpt-{step}"), variables)


class _Model:
    """x -> fc (2 logits), with accuracy and mean-of-logits metrics, in a fresh graph."""

    def __init__(self, batch_size=8, scope="fc", dataset=None):
        data = dataset or tf.data.Dataset.from_tensor_slices((X, Y)).batch(batch_size)
        self.images, self.labels = slim.data.inputs(data)
        self.logits = slim.fully_connected(self.images, 2, activation_fn=None, scope=scope)
        predictions = keras.ops.argmax(self.logits, axis=1)
        self.values, self.updates = slim.metrics.aggregate_metric_map(
            {
                "accuracy": slim.metrics.streaming_accuracy(predictions, self.labels),
                "mean": slim.metrics.streaming_mean(self.logits),
                "count": slim.metrics.count(self.labels),
            }
        )


def _events(logdir: str) -> list[tuple[int, str, float]]:
    """(step, tag, scalar value) of every scalar written to ``logdir``."""
    found = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        acc = event_accumulator.EventAccumulator(path, size_guidance={"tensors": 0})
        acc.Reload()
        for tag in acc.Tags()["tensors"]:
            for event in acc.Tensors(tag):
                found.append((event.step, tag, float(tf.make_ndarray(event.tensor_proto))))
    return sorted(found)


# ------------------------------------------------------------ evaluate_once
def test_evaluate_once_restores_variables_by_slim_name(tmp_path):
    path = _save(str(tmp_path), 3)
    with slim.Graph().as_default():
        m = _Model()
        result = evaluation.evaluate_once(
            "", path, None, num_evals=5, eval_op=m.updates, final_op=m.values, summary_op=None
        )
        weights = {v.path: v.numpy() for v in slim.get_variables()}
    expected = _weights(3)
    np.testing.assert_array_equal(weights["fc/weights"], expected["fc/weights"])
    logits = _logits(expected)
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == Y))
    assert result["mean"] == pytest.approx(logits.mean(), rel=1e-5)


def test_evaluate_once_restores_dict_variables_to_restore_by_checkpoint_name(tmp_path):
    path = _save(str(tmp_path), 4)
    with slim.Graph().as_default():
        m = _Model(scope="eval_net/fc")
        variables = {v.path: v for v in slim.get_variables()}
        renamed = {
            "fc/weights": variables["eval_net/fc/weights"],
            "fc/biases": [variables["eval_net/fc/biases"]],
        }
        result = evaluation.evaluate_once(
            "",
            path,
            None,
            num_evals=5,
            eval_op=m.updates,
            final_op=m.values["mean"],
            summary_op=None,
            variables_to_restore=renamed,
        )
    assert result == pytest.approx(_logits(_weights(4)).mean(), rel=1e-5)


def test_evaluate_once_fails_whole_when_a_variable_is_missing(tmp_path):
    path = checkpoints.save_variables(
        os.path.join(str(tmp_path), "model.ckpt-1"), {"fc/weights": _weights(1)["fc/weights"]}
    )
    with slim.Graph().as_default():
        m = _Model()
        before = slim.get_variables()[0].numpy().copy()
        with pytest.raises(checkpoints.CheckpointError, match="fc/biases"):
            evaluation.evaluate_once("", path, None, eval_op=m.updates, summary_op=None)
        np.testing.assert_array_equal(slim.get_variables()[0].numpy(), before)


def test_metrics_are_reset_for_every_checkpoint(tmp_path):
    first, second = _save(str(tmp_path), 1), _save(str(tmp_path), 2)
    with slim.Graph().as_default():
        m = _Model()
        kwargs = dict(num_evals=5, eval_op=m.updates, final_op=m.values, summary_op=None)
        a = evaluation.evaluate_once("", first, None, **kwargs)
        b = evaluation.evaluate_once("", second, None, **kwargs)
        a_again = evaluation.evaluate_once("", first, None, **kwargs)
    assert a["count"] == b["count"] == 40
    assert b["mean"] == pytest.approx(_logits(_weights(2)).mean(), rel=1e-5)
    assert a_again == a


def test_num_evals_batches_are_run(tmp_path):
    path = _save(str(tmp_path), 1)
    with slim.Graph().as_default():
        m = _Model(batch_size=4)
        result = evaluation.evaluate_once(
            "", path, None, num_evals=3, eval_op=m.updates, final_op=m.values, summary_op=None
        )
        eval_step = evaluation.get_or_create_eval_step()
        assert int(eval_step.numpy()) == 3
    assert result["count"] == 12
    assert result["mean"] == pytest.approx(_logits(_weights(1), 12).mean(), rel=1e-5)


def test_data_running_out_before_num_evals_ends_evaluation_cleanly(tmp_path, caplog):
    path = _save(str(tmp_path), 1)
    with slim.Graph().as_default():
        m = _Model(batch_size=8)  # 5 batches of data
        with caplog.at_level(logging.INFO, logger="kslim"):
            result = evaluation.evaluate_once(
                "",
                path,
                None,
                num_evals=50,
                eval_op=m.updates,
                final_op=m.values,
                summary_op=None,
            )
    assert result["count"] == 40
    assert "The data ran out after 5 of 50 evaluation batches" in caplog.text
    assert "Evaluation [5/50]" in caplog.text and "Evaluation [10/50]" not in caplog.text


def test_progress_log_lines_follow_slims_frequency(tmp_path, caplog):
    path = _save(str(tmp_path), 1)
    data = tf.data.Dataset.from_tensor_slices((X, Y)).repeat().batch(2)
    with slim.Graph().as_default():
        m = _Model(dataset=data)
        with caplog.at_level(logging.INFO, logger="kslim"):
            evaluation.evaluate_once(
                "", path, None, num_evals=25, eval_op=m.updates, summary_op=None
            )
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Evaluation [")]
    assert lines == [
        "Evaluation [2/25]",
        "Evaluation [4/25]",
        "Evaluation [6/25]",
        "Evaluation [8/25]",
        "Evaluation [10/25]",
        "Evaluation [12/25]",
        "Evaluation [14/25]",
        "Evaluation [16/25]",
        "Evaluation [18/25]",
        "Evaluation [20/25]",
        "Evaluation [22/25]",
        "Evaluation [24/25]",
        "Evaluation [25/25]",
    ]
    assert "Inference Time : " in caplog.text and "Starting evaluation at " in caplog.text


def test_summaries_are_written_at_the_checkpoints_global_step(tmp_path):
    path = _save(str(tmp_path), 42)
    logdir = str(tmp_path / "eval")
    with slim.Graph().as_default():
        m = _Model()
        slim.summaries.add_scalar_summary(m.values["accuracy"], "accuracy")
        slim.summaries.add_scalar_summary(m.values["mean"], "mean_logit")
        evaluation.evaluate_once("", path, logdir, num_evals=5, eval_op=m.updates)
    logits = _logits(_weights(42))
    events = _events(logdir)
    assert [(s, t) for s, t, _ in events] == [(42, "accuracy"), (42, "mean_logit")]
    assert events[0][2] == pytest.approx(np.mean(logits.argmax(1) == Y))
    assert events[1][2] == pytest.approx(logits.mean(), rel=1e-5)


def test_summary_op_replaces_the_graphs_summaries(tmp_path):
    path = _save(str(tmp_path), 5)
    logdir = str(tmp_path / "eval")
    with slim.Graph().as_default():
        m = _Model()
        slim.summaries.add_scalar_summary(m.values["accuracy"], "accuracy")
        entry = slim.summaries.add_scalar_summary(m.values["count"], "count")
        evaluation.evaluate_once(
            "", path, logdir, num_evals=2, eval_op=m.updates, summary_op=[entry]
        )
    assert _events(logdir) == [(5, "count", 16.0)]


def test_summaries_without_logdir_raise_slims_error(tmp_path):
    path = _save(str(tmp_path), 1)
    with slim.Graph().as_default():
        m = _Model()
        slim.summaries.add_scalar_summary(m.values["accuracy"], "accuracy")
        with pytest.raises(ValueError, match="One of log_dir or summary_writer should be used."):
            evaluation.evaluate_once("", path, None, eval_op=m.updates)


def test_final_op_value_keeps_its_structure(tmp_path):
    path = _save(str(tmp_path), 1)
    with slim.Graph().as_default():
        m = _Model()
        kwargs = dict(num_evals=5, eval_op=list(m.updates.values()), summary_op=None)
        single = evaluation.evaluate_once("", path, None, final_op=m.values["count"], **kwargs)
        as_list = evaluation.evaluate_once(
            "", path, None, final_op=[m.values["count"], m.logits], **kwargs
        )
        as_dict = evaluation.evaluate_once(
            "",
            path,
            None,
            final_op={"n": m.values["count"], "acc": m.values["accuracy"]},
            **kwargs,
        )
        as_view = evaluation.evaluate_once("", path, None, final_op=m.values.values(), **kwargs)
        nothing = evaluation.evaluate_once("", path, None, **kwargs)
    assert isinstance(single, np.floating) and single == 40
    assert isinstance(as_list, list) and as_list[0] == 40
    np.testing.assert_allclose(as_list[1], _logits(_weights(1))[32:], rtol=1e-5)  # last batch
    assert isinstance(as_dict, dict) and list(as_dict) == ["n", "acc"] and as_dict["n"] == 40
    assert isinstance(as_view, list) and len(as_view) == 3
    assert nothing is None


def test_without_eval_op_no_batch_runs_and_final_op_reads_reset_metrics(tmp_path):
    path = _save(str(tmp_path), 1)
    with slim.Graph().as_default():
        m = _Model()
        result = evaluation.evaluate_once("", path, None, final_op=m.values, summary_op=None)
    assert result == {"accuracy": 0.0, "mean": 0.0, "count": 0.0}


def test_tf1_only_arguments_warn_once_naming_them(tmp_path):
    path = _save(str(tmp_path), 1)
    with slim.Graph().as_default():
        m = _Model()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluation.evaluate_once(
                "grpc://x",
                path,
                None,
                eval_op=m.updates,
                summary_op=None,
                initial_op="init",
                eval_op_feed_dict={"a": 1},
                session_config=object(),
            )
    messages = [str(w.message) for w in caught if "evaluation.evaluate_once" in str(w.message)]
    assert len(messages) == 1
    for name in ("master", "initial_op", "eval_op_feed_dict", "session_config"):
        assert name in messages[0]


def test_bad_num_evals_is_rejected_naming_it(tmp_path):
    with slim.Graph().as_default(), pytest.raises(ValueError, match="num_evals.*0"):
        evaluation.evaluate_once("", str(tmp_path), None, num_evals=0)


def test_get_or_create_eval_step_returns_one_counter():
    with slim.Graph().as_default() as graph:
        step = evaluation.get_or_create_eval_step()
        assert step is evaluation.get_or_create_eval_step()
        assert step.path == "eval_step" and step.dtype == "int64"
        assert any(v is step for v in graph.get_collection(slim.GraphKeys.LOCAL_VARIABLES))
        graph.add_to_collection(slim.GraphKeys.EVAL_STEP, step)
        with pytest.raises(ValueError, match="Multiple tensors added to tf.GraphKeys.EVAL_STEP"):
            evaluation.get_or_create_eval_step()


# ------------------------------------------------------- checkpoint watchers
def test_wait_for_new_checkpoint_times_out_and_finds_new_ones(tmp_path):
    manager = checkpoints.CheckpointManager(str(tmp_path))
    start = time.time()
    assert evaluation.wait_for_new_checkpoint(str(tmp_path), None, 0.1, timeout=0.3) is None
    assert time.time() - start < 1.0
    first = _save(str(tmp_path), 1, manager=manager)
    assert evaluation.wait_for_new_checkpoint(str(tmp_path), None, 0.1, timeout=0.3) == first
    assert evaluation.wait_for_new_checkpoint(str(tmp_path), first, 0.1, timeout=0.3) is None


def test_checkpoints_iterator_yields_newest_then_stops_on_timeout(tmp_path, caplog):
    manager = checkpoints.CheckpointManager(str(tmp_path))
    _save(str(tmp_path), 1, manager=manager)
    second = _save(str(tmp_path), 2, manager=manager)
    with caplog.at_level(logging.INFO, logger="kslim"):
        found = list(evaluation.checkpoints_iterator(str(tmp_path), timeout=0.5))
    assert found == [second]
    assert "Timed-out waiting for a checkpoint." in caplog.text


# ---------------------------------------------------------- evaluation_loop
def test_evaluation_loop_evaluates_the_newest_checkpoint_never_twice(tmp_path):
    ckpt_dir, logdir = str(tmp_path / "train"), str(tmp_path / "eval")
    manager = checkpoints.CheckpointManager(ckpt_dir)
    _save(ckpt_dir, 1, manager=manager)
    _save(ckpt_dir, 2, manager=manager)
    calls = []

    def timeout_fn():
        calls.append(time.time())
        if len(calls) == 1:  # two new checkpoints while waiting: only the newest counts
            _save(ckpt_dir, 3, manager=manager)
            _save(ckpt_dir, 4, manager=manager)
            return False
        return True

    with slim.Graph().as_default():
        m = _Model()
        slim.summaries.add_scalar_summary(m.values["mean"], "mean_logit")
        result = evaluation.evaluation_loop(
            "",
            ckpt_dir,
            logdir,
            num_evals=5,
            eval_op=m.updates,
            final_op=m.values["mean"],
            eval_interval_secs=0,
            timeout=1.0,
            timeout_fn=timeout_fn,
        )
    events = _events(logdir)
    assert [s for s, _, _ in events] == [2, 4]
    assert events[1][2] == pytest.approx(_logits(_weights(4)).mean(), rel=1e-5)
    assert result == pytest.approx(_logits(_weights(4)).mean(), rel=1e-5)
    assert len(calls) == 2


def test_evaluation_loop_stops_after_max_number_of_evaluations(tmp_path):
    ckpt_dir, logdir = str(tmp_path / "train"), str(tmp_path / "eval")
    manager = checkpoints.CheckpointManager(ckpt_dir)
    _save(ckpt_dir, 1, manager=manager)
    steps = iter([2, 3, 4])

    def timeout_fn():
        _save(ckpt_dir, next(steps), manager=manager)
        return False

    with slim.Graph().as_default():
        m = _Model()
        slim.summaries.add_scalar_summary(m.values["count"], "count")
        result = evaluation.evaluation_loop(
            "",
            ckpt_dir,
            logdir,
            num_evals=1,
            eval_op=m.updates,
            final_op=m.values["count"],
            eval_interval_secs=0,
            max_number_of_evaluations=2,
            timeout=0.5,
            timeout_fn=timeout_fn,
        )
    assert [s for s, _, _ in _events(logdir)] == [1, 2]
    assert result == 8


def test_evaluation_loop_rounds_start_eval_interval_secs_apart(tmp_path):
    ckpt_dir = str(tmp_path / "train")
    manager = checkpoints.CheckpointManager(ckpt_dir)
    _save(ckpt_dir, 1, manager=manager)
    starts = []

    def writer():
        time.sleep(0.2)
        _save(ckpt_dir, 2, manager=manager)

    thread = threading.Thread(target=writer)
    with slim.Graph().as_default():
        m = _Model()
        original = evaluation.Evaluator.run

        def timed_run(self, *args, **kwargs):
            starts.append(time.time())
            return original(self, *args, **kwargs)

        evaluation.Evaluator.run = timed_run
        try:
            thread.start()
            evaluation.evaluation_loop(
                "",
                ckpt_dir,
                None,
                eval_op=m.updates,
                summary_op=None,
                eval_interval_secs=1.5,
                max_number_of_evaluations=2,
                timeout=5,
            )
        finally:
            evaluation.Evaluator.run = original
            thread.join()
    assert len(starts) == 2 and starts[1] - starts[0] >= 1.5


def test_evaluation_loop_with_init_fn_warns_and_never_calls_it(tmp_path):
    ckpt_dir = str(tmp_path / "train")
    _save(ckpt_dir, 1, manager=checkpoints.CheckpointManager(ckpt_dir))
    called = []
    with slim.Graph().as_default():
        m = _Model()
        with pytest.warns(UserWarning, match="init_fn"):
            evaluation.evaluation_loop(
                "",
                ckpt_dir,
                None,
                eval_op=m.updates,
                summary_op=None,
                init_fn=called.append,
                max_number_of_evaluations=1,
            )
    assert called == []
