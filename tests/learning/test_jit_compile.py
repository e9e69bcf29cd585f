"""learning.train(jit_compile=True): XLA-compiled steps give the default's losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


class _StepLosses(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.extend(np.asarray(logs["step_losses"]).reshape(-1).tolist())


def _train_mlp(jit_compile: bool, steps: int = 30) -> tuple[list[float], list[np.ndarray]]:
    rng = np.random.RandomState(0)
    x = rng.standard_normal((256, 16)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.randint(0, 4, 256)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(32, drop_remainder=True)
    keras.utils.set_random_seed(1)
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(data)
        net = slim.fully_connected(images, 32, scope="fc1")
        logits = slim.fully_connected(net, 4, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), tf.compat.v1.train.AdamOptimizer(0.01)
        )
        record = _StepLosses()
        slim.learning.train(
            train_op,
            None,
            number_of_steps=steps,
            log_every_n_steps=0,
            callbacks=[record],
            progress_bar=False,
            jit_compile=jit_compile,
        )
        weights = [np.asarray(v) for v in train_op.trainable_weights]
    return record.losses, weights


def test_jit_compile_trains_with_the_same_losses_and_weights_as_the_default():
    plain_losses, plain_weights = _train_mlp(False)
    xla_losses, xla_weights = _train_mlp(True)
    assert len(plain_losses) == len(xla_losses) == 30
    np.testing.assert_allclose(xla_losses, plain_losses, rtol=1e-5, atol=1e-5)
    for xla, plain in zip(xla_weights, plain_weights, strict=True):
        np.testing.assert_allclose(xla, plain, rtol=1e-5, atol=1e-5)


def test_jit_compile_must_be_a_bool():
    with pytest.raises(TypeError, match="jit_compile must be True or False, got jit_compile='yes'"):
        _train_mlp("yes", steps=1)
