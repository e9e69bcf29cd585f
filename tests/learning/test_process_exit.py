"""Always exit (issue 14, item 1): a script whose tf.data pipeline calls Python
(``tf.py_function`` in a ``map``) exits promptly after ``learning.train``, ``evaluate_once``
and ``evaluation_loop`` return.

The pipeline is slower than the training step, so its prefetch thread is inside the
``py_function`` when the script ends: an iterator left alive until interpreter shutdown (as
Keras' suspended epoch-iterator generator kept it, in a reference cycle) then waits forever
for a thread that can no longer take the GIL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np, tensorflow as tf
    import kslim as slim

    logdir = sys.argv[1]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]

    def slow_identity(a, b):
        time.sleep(0.01)
        return a, b

    def in_python(a, b):
        a, b = tf.py_function(slow_identity, [a, b], [tf.float32, tf.float32])
        a.set_shape([4])
        b.set_shape([3])
        return a, b

    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(in_python).repeat().batch(8).prefetch(2)
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(ds)
        net = slim.fully_connected(images, 8, scope="fc1")
        logits = slim.fully_connected(net, 3, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), tf.compat.v1.train.GradientDescentOptimizer(0.1))
        slim.learning.train(train_op, logdir, number_of_steps=12, log_every_n_steps=0)
        value, update = slim.metrics.streaming_mean(logits)
        slim.evaluation.evaluate_once("", logdir, logdir + "/eval", num_evals=3,
                                      eval_op=update, final_op=value)
        slim.evaluation.evaluation_loop("", logdir, logdir + "/loop", num_evals=3,
                                        eval_op=update, final_op=value,
                                        max_number_of_evaluations=1, eval_interval_secs=0)
    print("RETURNED", time.time(), flush=True)
    """
)

#: Seconds a process may take to exit after the script's last line.
EXIT_WITHIN = 30


def _run_once(tmp_path, i: int) -> None:
    script = tmp_path / "pyfunc_pipeline.py"
    script.write_text(_SCRIPT)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / f"logdir{i}")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    returned_at = None
    try:
        for line in proc.stdout:
            if line.startswith("RETURNED"):
                returned_at = time.time()
                break
        assert returned_at is not None, f"run {i} failed: {proc.stderr.read()[-3000:]}"
        try:
            proc.wait(timeout=EXIT_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run {i}: the process did not exit within {EXIT_WITHIN} s of returning")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()[-3000:]


@pytest.mark.parametrize("i", range(2))
def test_py_function_pipeline_script_exits_after_train_and_evaluation(tmp_path, i):
    _run_once(tmp_path, i)


@pytest.mark.slow
def test_py_function_pipeline_script_exits_ten_times_in_a_row(tmp_path):
    for i in range(10):
        _run_once(tmp_path, i)
