"""Checkpoints both ways between tf_slim 1.1.0 (TF1 Saver) and kslim, on the tutorial lenet.

One tf_slim subprocess (``tfslim_ckpt_runner.py``) per module: it trains lenet 3 steps
and saves a TF1 checkpoint, and restores a checkpoint kslim wrote. kslim loads the
tf_slim checkpoint by name and must compute the same logits (1e-5), and tf_slim must
compute kslim's logits from kslim's checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from peer import harness
from peer.tfslim_ckpt_runner import lenet

pytestmark = pytest.mark.peer

RUNNER = Path(__file__).with_name("tfslim_ckpt_runner.py")


def build_lenet():
    """A fresh kslim lenet: (keras.Model, graph)."""
    import keras

    import kslim as slim

    graph = slim.Graph()
    with graph.as_default():
        images = keras.Input((28, 28, 1))
        model = keras.Model(images, lenet(slim, images))
    return model, graph


@pytest.fixture(scope="module")
def interop(tmp_path_factory):
    """Writes kslim's checkpoint, runs tf_slim once; returns the paths and results."""
    harness.require_tfslim()
    import kslim as slim

    workdir = tmp_path_factory.mktemp("ckpt_interop")
    rng = np.random.default_rng(0)
    data = {
        "train_x": rng.random((8, 28, 28, 1), np.float32),
        "train_y": rng.integers(0, 10, 8).astype(np.int32),
        "eval_x": rng.random((5, 28, 28, 1), np.float32),
    }
    np.savez(workdir / "data.npz", **data)
    model, graph = build_lenet()
    with graph.as_default():
        kslim_vars = {v.path: v for v in slim.get_model_variables()}
    slim.checkpoints.save_variables(str(workdir / "kslim" / "model.ckpt"), kslim_vars)
    kslim_logits = np.asarray(model(data["eval_x"]))
    harness.run_script([RUNNER, workdir], what="tfslim_ckpt_runner", timeout=300)
    out = dict(np.load(workdir / "tfslim_out.npz"))
    return {
        "data": data,
        "tf_ckpt": str(workdir / "tfslim" / "model.ckpt-3"),
        "tf_dir": str(workdir / "tfslim"),
        "kslim_logits": kslim_logits,
        **out,
    }


def test_kslim_loads_tfslim_checkpoint_and_computes_same_logits(interop):
    import kslim as slim

    model, graph = build_lenet()
    with graph.as_default():
        init_fn = slim.assign_from_checkpoint_fn(interop["tf_ckpt"], slim.get_model_variables())
    restored = init_fn(model)
    assert sorted(restored) == sorted(v.path for v in model.weights)
    np.testing.assert_allclose(
        np.asarray(model(interop["data"]["eval_x"])),
        interop["trained_logits"],
        rtol=1e-5,
        atol=1e-5,
    )


def test_tfslim_restores_kslim_checkpoint_and_computes_same_logits(interop):
    np.testing.assert_allclose(
        interop["kslim_ckpt_logits"], interop["kslim_logits"], rtol=1e-5, atol=1e-5
    )


def test_restore_from_slim_checkpoint_directory_uses_latest(interop):
    import kslim as slim

    model, _ = build_lenet()
    restored = slim.variables.restore_from_slim_checkpoint(model, interop["tf_dir"])
    assert len(restored) == 8
    np.testing.assert_allclose(
        np.asarray(model(interop["data"]["eval_x"])),
        interop["trained_logits"],
        rtol=1e-5,
        atol=1e-5,
    )


def test_finetune_excluding_fc5_keeps_fresh_fc5_and_frozen_layers_bit_identical(interop):
    import keras
    import tensorflow as tf

    import kslim as slim

    model, graph = build_lenet()
    fresh = {v.path: np.array(v.numpy()) for v in model.weights}
    with graph.as_default():
        to_restore = slim.get_variables_to_restore(exclude=["fc5"])
        init_fn = slim.assign_from_checkpoint_fn(interop["tf_ckpt"], to_restore)
        fc5 = slim.get_trainable_variables("fc5")
    init_fn(model)
    ckpt = slim.checkpoints.read_checkpoint(interop["tf_ckpt"])
    assert "global_step" in ckpt
    for v in model.weights:
        if v.path.startswith("fc5/"):
            np.testing.assert_array_equal(v.numpy(), fresh[v.path])
        else:
            np.testing.assert_array_equal(v.numpy(), ckpt[v.path])
    # One step training only fc5 (variables_to_train): the frozen layers stay bit-identical.
    x = interop["data"]["train_x"]
    y = tf.one_hot(interop["data"]["train_y"], 10)
    with tf.GradientTape() as tape:
        loss = keras.losses.categorical_crossentropy(y, model(x), from_logits=True)
    grads = tape.gradient(loss, fc5)
    keras.optimizers.SGD(0.1).apply_gradients(zip(grads, fc5, strict=True))
    for v in model.weights:
        if v.path.startswith("fc5/"):
            assert not np.array_equal(v.numpy(), fresh[v.path])
        else:
            np.testing.assert_array_equal(v.numpy(), ckpt[v.path])
