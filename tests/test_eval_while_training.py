"""evaluation_loop in this process while learning.train writes checkpoints in another."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

import kslim as slim
from kslim import evaluation

NUMBER_OF_STEPS = 120

TRAINER = textwrap.dedent(
    """
    import sys, time
    import keras
    import numpy as np
    import tensorflow as tf
    import kslim as slim

    logdir, number_of_steps = sys.argv[1], int(sys.argv[2])
    rng = np.random.RandomState(1)
    x = rng.rand(256, 4).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x.sum(axis=1) > 2).astype(int)]


    class Slow(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.01)


    with slim.Graph().as_default():
        data = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(16)
        images, labels = slim.data.inputs(data)
        logits = slim.fully_connected(images, 2, activation_fn=None, scope="fc")
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), tf.compat.v1.train.GradientDescentOptimizer(0.5))
        slim.learning.train(
            train_op, logdir, number_of_steps=number_of_steps, save_interval_secs=0.25,
            save_summaries_secs=1000, log_every_n_steps=0, max_to_keep=None,
            max_steps_per_chunk=1, callbacks=[Slow()])
    """
)

X_EVAL = np.random.RandomState(2).rand(32, 4).astype(np.float32)


def _start_trainer(tmp_path) -> tuple[subprocess.Popen, str]:
    script = tmp_path / "trainer.py"
    script.write_text(TRAINER)
    logdir = str(tmp_path / "train")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.Popen(
        [sys.executable, str(script), logdir, str(NUMBER_OF_STEPS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, logdir


def _eval_graph():
    """The eval graph: fc on fixed data, the streaming mean of its first logit, a summary.

    (The mean over both logits never changes: softmax gradients sum to zero over classes.)
    """
    data = tf.data.Dataset.from_tensor_slices(X_EVAL).batch(16)
    images = slim.data.inputs(data)
    logits = slim.fully_connected(images, 2, activation_fn=None, scope="fc")
    value, update = slim.metrics.streaming_mean(logits[:, 0])
    slim.summaries.add_scalar_summary(value, "mean_logit")
    return value, update


def _events(logdir: str) -> list[tuple[int, float]]:
    found = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        acc = event_accumulator.EventAccumulator(path, size_guidance={"tensors": 0})
        acc.Reload()
        for event in acc.Tensors("mean_logit") if "mean_logit" in acc.Tags()["tensors"] else []:
            found.append((event.step, float(tf.make_ndarray(event.tensor_proto))))
    return sorted(found)


def _check_every_evaluation_restored_a_complete_checkpoint(train_dir, events):
    """Each summary's step names a checkpoint whose own weights give the summary's value."""
    steps = [step for step, _ in events]
    assert steps == sorted(set(steps)), f"a checkpoint was evaluated twice: {steps}"
    for step, value in events:
        reader = tf.train.load_checkpoint(os.path.join(train_dir, f"model.ckpt-{step}"))
        assert int(reader.get_tensor("global_step")) == step
        logits = X_EVAL @ reader.get_tensor("fc/weights") + reader.get_tensor("fc/biases")
        assert value == pytest.approx(float(logits[:, 0].mean()), rel=1e-5, abs=1e-6), step
    values = [v for _, v in events]
    assert len(set(values)) == len(values), "the weights changed between checkpoints"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def test_evaluation_loop_beside_training_ends_on_max_number_of_evaluations(tmp_path):
    proc, train_dir = _start_trainer(tmp_path)
    eval_dir = str(tmp_path / "eval")
    try:
        with slim.Graph().as_default():
            value, update = _eval_graph()
            result = evaluation.evaluation_loop(
                "",
                train_dir,
                eval_dir,
                num_evals=2,
                eval_op=update,
                final_op=value,
                eval_interval_secs=0.3,
                max_number_of_evaluations=3,
                timeout=120,
            )
        assert proc.poll() is None, "training ended before three evaluations"
    finally:
        _stop(proc)
    events = _events(eval_dir)
    assert len(events) == 3
    _check_every_evaluation_restored_a_complete_checkpoint(train_dir, events)
    assert result == pytest.approx(events[-1][1], rel=1e-6)


@pytest.mark.slow  # runs training to the end (~30 s); the timeout logic is in test_evaluation
def test_evaluation_loop_beside_training_ends_on_timeout_after_training(tmp_path):
    proc, train_dir = _start_trainer(tmp_path)
    eval_dir = str(tmp_path / "eval")
    asked = []

    def training_finished() -> bool:
        asked.append(proc.poll())
        return proc.poll() is not None

    try:
        with slim.Graph().as_default():
            value, update = _eval_graph()
            evaluation.evaluation_loop(
                "",
                train_dir,
                eval_dir,
                num_evals=2,
                eval_op=update,
                final_op=value,
                eval_interval_secs=0.3,
                timeout=1.5,
                timeout_fn=training_finished,
            )
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()[-2000:]
    finally:
        _stop(proc)
    events = _events(eval_dir)
    assert len(events) >= 3
    assert events[-1][0] == NUMBER_OF_STEPS  # the final checkpoint was evaluated
    assert asked and asked[-1] is not None
    _check_every_evaluation_restored_a_complete_checkpoint(train_dir, events)
