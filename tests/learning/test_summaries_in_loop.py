"""The start's summary step is a one-step chunk of the compiled loop: one function, traced once.

``learning.train`` with a logdir writes summaries at the start and then runs the compiled
loop. When the summaries are a few values (slim's default: the losses, plus any scalar
summary of model code), every step computes them and the summary step is the loop run
for one step, so the model, its gradients and, with ``jit_compile=True``, the XLA
compilation are traced, optimized and compiled once. Large summaries (histograms of
activations) and gradient summaries keep their own summary step, so the loop never
computes them.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from _train_utils import CLASSES, dataset, read_events

import kslim as slim
from kslim.learning.train_op import TrainOp


@pytest.fixture
def step_traces(monkeypatch):
    """Counts the Python traces of ``TrainOp._step``, keyed by ``with_summaries``."""
    counts = {True: 0, False: 0}
    original = TrainOp._step

    def counting(self, data, with_summaries):
        counts[with_summaries] += 1
        return original(self, data, with_summaries)

    monkeypatch.setattr(TrainOp, "_step", counting)
    return counts


def _train(logdir, summary=None, jit_compile=False, summarize_gradients=False):
    """The MLP of ``_train_utils`` with a ``summary`` (None, "scalar" or "histogram")."""
    keras.utils.set_random_seed(1)
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(dataset())
        hidden = slim.fully_connected(images, 8, scope="fc1")
        if summary == "scalar":
            slim.summaries.add_zero_fraction_summary(hidden, name="fc1")
        elif summary == "histogram":
            slim.summaries.add_histogram_summary(hidden, name="fc1_activations")
        logits = slim.fully_connected(hidden, CLASSES, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(),
            tf.compat.v1.train.GradientDescentOptimizer(0.1),
            summarize_gradients=summarize_gradients,
        )
        slim.learning.train(train_op, logdir, number_of_steps=6, jit_compile=jit_compile)
    return train_op


def _tags(logdir) -> dict[str, list[int]]:
    tags: dict[str, list[int]] = {}
    for step, tag, _, _ in read_events(logdir):
        tags.setdefault(tag, []).append(step)
    return tags


def _traces(train_op) -> dict[str, int]:
    chunk, summary_step, single_step = train_op._compiled_chunk[0]
    return {
        "chunk": chunk.experimental_get_tracing_count(),
        "summary_step": summary_step.experimental_get_tracing_count(),
        "single_step": single_step.experimental_get_tracing_count(),
    }


def test_scalar_summaries_run_in_the_loop_traced_once(tmp_path, step_traces):
    logdir = str(tmp_path / "train")
    train_op = _train(logdir, summary="scalar")
    assert train_op.summaries_in_loop()
    assert _traces(train_op) == {"chunk": 1, "summary_step": 0, "single_step": 0}
    assert step_traces == {True: 1, False: 0}
    tags = _tags(logdir)
    # The start's summaries are still written, at step 0, with the model's scalar.
    assert tags["fc1/Fraction_of_Zero_Values"] == [0]
    assert tags["total_loss"] == [0]


def test_summaries_in_the_loop_with_xla_trace_once(tmp_path, step_traces):
    train_op = _train(str(tmp_path / "train"), summary="scalar", jit_compile=True)
    assert _traces(train_op)["chunk"] == 1
    assert step_traces == {True: 1, False: 0}


def test_histogram_summaries_keep_their_own_summary_step(tmp_path, step_traces):
    logdir = str(tmp_path / "train")
    train_op = _train(logdir, summary="histogram")
    assert not train_op.summaries_in_loop()
    # The summary step computes them; the loop's step does not.
    assert _traces(train_op) == {"chunk": 1, "summary_step": 1, "single_step": 0}
    assert step_traces == {True: 1, False: 1}
    assert _tags(logdir)["fc1_activations"] == [0]


def test_gradient_summaries_keep_their_own_summary_step(tmp_path, step_traces):
    train_op = _train(str(tmp_path / "train"), summarize_gradients=True)
    assert not train_op.summaries_in_loop()
    assert step_traces == {True: 1, False: 1}


def test_summaries_in_the_loop_train_and_summarize_as_a_summary_step(tmp_path, monkeypatch):
    in_loop = _train(str(tmp_path / "a"), summary="scalar")
    monkeypatch.setattr(TrainOp, "summaries_in_loop", lambda self: False)
    apart = _train(str(tmp_path / "b"), summary="scalar")
    for a, b in zip(in_loop.trainable_weights, apart.trainable_weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)
    events_a = {(s, t): v for s, t, _, v in read_events(str(tmp_path / "a")) if "sec" not in t}
    events_b = {(s, t): v for s, t, _, v in read_events(str(tmp_path / "b")) if "sec" not in t}
    assert events_a.keys() == events_b.keys()
    for key, value in events_a.items():
        np.testing.assert_allclose(value, events_b[key], rtol=1e-6, err_msg=str(key))
