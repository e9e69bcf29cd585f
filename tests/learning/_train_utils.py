"""Shared pieces of the training-driver tests: a tiny MLP, fixed batches, an independent
re-computation of its per-step losses, and readers for log lines, checkpoints and events."""

from __future__ import annotations

import glob
import logging
import os
import re

import numpy as np
import tensorflow as tf

import kslim as slim

FEATURES, CLASSES, BATCH, NUM_BATCHES = 4, 3, 8, 8
LOG_RE = re.compile(r"^global step (\d+): loss = (\d+\.\d{4}) \((\d+\.\d{3}) sec/step\)$")


def arrays(seed: int = 0, num_batches: int = NUM_BATCHES):
    """Fixed inputs and one-hot labels, ``num_batches * BATCH`` examples."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_batches * BATCH, FEATURES)).astype(np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, num_batches * BATCH)]
    return x, y


def dataset(x=None, y=None, repeat: bool = True) -> tf.data.Dataset:
    """The batches of ``arrays()`` in order (no shuffling), repeated."""
    if x is None:
        x, y = arrays()
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if repeat:
        ds = ds.repeat()
    return ds.batch(BATCH, drop_remainder=True)


def build_mlp(optimizer=None, data=None, summaries: bool = False, **create_kwargs):
    """A 4 -> 8 (relu) -> 3 MLP on ``kslim.data.inputs(data)`` with softmax cross entropy;
    returns ``(train_op, end_points)`` built in the current default kslim Graph."""
    images, labels = slim.data.inputs(data if data is not None else dataset())
    hidden = slim.fully_connected(images, 8, scope="fc1")
    if summaries:
        slim.summaries.add_histogram_summary(hidden, name="fc1_activations")
        slim.summaries.add_zero_fraction_summary(hidden, name="fc1")
    logits = slim.fully_connected(hidden, CLASSES, activation_fn=None, scope="fc2")
    slim.losses.softmax_cross_entropy(logits, labels)
    total_loss = slim.losses.get_total_loss()
    if optimizer is None:
        optimizer = tf.compat.v1.train.GradientDescentOptimizer(0.1)
    train_op = slim.learning.create_train_op(total_loss, optimizer, **create_kwargs)
    return train_op, {"images": images, "labels": labels, "logits": logits}


MLP_VARIABLES = ("fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases")


def reference_sgd_losses(initial: dict, steps: int, lr: float = 0.1, x=None, y=None):
    """Per-step (pre-update) losses of plain SGD on the MLP from ``initial`` weights,
    computed with raw TF ops (independent of kslim)."""
    if x is None:
        x, y = arrays()
    w = {k: tf.Variable(np.asarray(initial[k], np.float32)) for k in MLP_VARIABLES}
    losses = []
    n = len(x) // BATCH
    for step in range(steps):
        i = step % n
        xb, yb = x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]
        with tf.GradientTape() as tape:
            h = tf.nn.relu(xb @ w["fc1/weights"] + w["fc1/biases"])
            logits = h @ w["fc2/weights"] + w["fc2/biases"]
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits))
        grads = tape.gradient(loss, [w[k] for k in MLP_VARIABLES])
        for k, g in zip(MLP_VARIABLES, grads, strict=True):
            w[k].assign_sub(lr * g)
        losses.append(float(loss))
    return losses


def log_lines(caplog) -> list[tuple[int, float, float]]:
    """``(global step, loss, sec/step)`` of every step log line of logger ``kslim``."""
    out = []
    for record in caplog.records:
        if record.name != "kslim":
            continue
        match = LOG_RE.match(record.getMessage())
        if match:
            out.append((int(match.group(1)), float(match.group(2)), float(match.group(3))))
    return out


def checkpoint_steps(logdir: str) -> list[int]:
    """Steps of the complete ``model.ckpt-<step>`` files in ``logdir``, sorted."""
    steps = []
    for index in glob.glob(os.path.join(logdir, "model.ckpt-*.index")):
        prefix = index[: -len(".index")]
        if os.path.exists(prefix + ".data-00000-of-00001"):
            steps.append(int(prefix.rsplit("-", 1)[1]))
    return sorted(steps)


def read_events(logdir: str) -> list[tuple[int, str, str, np.ndarray]]:
    """``(step, tag, plugin, value)`` of every summary in the event files of ``logdir``."""
    out = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                if value.HasField("tensor"):
                    array = tf.make_ndarray(value.tensor)
                else:
                    array = np.asarray(value.simple_value)
                out.append((event.step, value.tag, plugin, array))
    return out


class KslimLogs:
    """Makes sure the ``kslim`` logger reaches caplog at INFO."""

    def __init__(self, caplog) -> None:
        self.caplog = caplog

    def __enter__(self):
        self.caplog.set_level(logging.INFO, logger="kslim")
        return self

    def __exit__(self, *exc):
        return False
