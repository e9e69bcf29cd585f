"""slim.adaptive_clipping_fn in kslim's train step (numbers: tests/peer parity)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _dataset():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()


def test_adaptive_clipping_in_optimize_loss_trains_and_checkpoints_its_averages(tmp_path):
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(_dataset())
        logits = slim.fully_connected(images, 3, activation_fn=None, scope="fc")
        slim.losses.softmax_cross_entropy(logits, labels)
        loss = slim.losses.get_total_loss()
        step = slim.get_or_create_global_step()
        clip = slim.adaptive_clipping_fn(decay=0.5, global_step=step)
        train_op = slim.optimize_loss(loss, step, 0.1, "SGD", clip_gradients=clip)
        slim.training.train(
            train_op, str(tmp_path), hooks=[slim.training.StopAtStepHook(last_step=3)]
        )
        mean, sq_mean = slim.get_variables("AdaptiveMaxNorm")
    assert int(train_op.optimizer.iterations.numpy()) == 3
    # With the global step as decay bound, the first update (n = 0) takes the value.
    assert float(mean.numpy()) != 0.0 and float(sq_mean.numpy()) > 0.0
    names = [n for n, _ in tf.train.list_variables(tf.train.latest_checkpoint(str(tmp_path)))]
    assert any("AdaptiveMaxNorm/mean" in n for n in names), names


def test_adaptive_clipping_rejects_report_summary_and_bad_decay():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="report_summary=True"):
            slim.adaptive_clipping_fn(report_summary=True)
        with pytest.raises(ValueError, match="decay must be in"):
            slim.adaptive_clipping_fn(decay=1.5)


def test_optimizers_module_is_slims():
    assert slim.optimizers.optimize_loss is slim.optimize_loss
    assert slim.optimizers.adaptive_clipping_fn is slim.adaptive_clipping_fn
    assert sorted(slim.OPTIMIZER_CLS_NAMES) == [
        "Adagrad",
        "Adam",
        "Ftrl",
        "Momentum",
        "RMSProp",
        "SGD",
    ]
    assert "global_gradient_norm" in slim.OPTIMIZER_SUMMARIES
