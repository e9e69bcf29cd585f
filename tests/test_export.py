"""kslim.export: versioned SavedModels for TF Serving, checked in a fresh process.

The module exports one digits model (conv + batch_norm + dropout, so training-mode
behaviour would show) and checks it in ONE fresh shell: ``saved_model_cli show --all``,
``saved_model_cli run`` on a digits batch, and ``tf.saved_model.load`` called twice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import export
from kslim.checkpoints import CheckpointError, CheckpointManager, save_variables

SPEC = [tf.TensorSpec([None, 8, 8, 1], tf.float32, name="images")]


def digits_net(images):
    net = slim.conv2d(images, 6, [3, 3], scope="conv1", normalizer_fn=slim.batch_norm)
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.flatten(net, scope="flatten")
    net = slim.fully_connected(net, 16, scope="fc2")
    net = slim.dropout(net, 0.5, scope="dropout2")
    logits = slim.fully_connected(net, 10, activation_fn=None, scope="logits")
    return {"logits": logits}


def digits_batch(n=6):
    from sklearn.datasets import load_digits

    return (load_digits().images[:n, :, :, None] / 16.0).astype(np.float32)


def trained_checkpoint(logdir, step):
    """A checkpoint of digits_net with non-trivial batch_norm statistics."""
    with slim.Graph().as_default():
        images = keras.Input((8, 8, 1))
        model = keras.Model(images, digits_net(images))
        rng = np.random.default_rng(0)
        for v in model.weights:
            v.assign(
                rng.normal(0.0, 0.3, v.shape).astype(np.float32)
                + (1.0 if v.path.endswith("moving_variance") else 0.0)
            )
        variables = {v.path: v for v in model.weights}
        variables["global_step"] = tf.constant(step, tf.int64)
        CheckpointManager(str(logdir)).save(variables, step)


def reference_logits(checkpoint, x):
    """kslim's inference-mode logits for the checkpoint (built directly)."""
    with slim.Graph().as_default():
        images = keras.Input((8, 8, 1))
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=False):
            model = keras.Model(images, digits_net(images))
        slim.variables.restore_from_slim_checkpoint(model, checkpoint)
        return np.asarray(model(x)["logits"])


CHECK = textwrap.dedent("""
    import sys, numpy as np, tensorflow as tf
    path, x_path, out_path = sys.argv[1:]
    loaded = tf.saved_model.load(path)
    x = tf.constant(np.load(x_path))
    serve = loaded.signatures["serving_default"]
    first = serve(images=x)
    second = serve(images=x)
    probs = loaded.signatures["probabilities"](images=x)
    np.savez(out_path, first=first["logits"].numpy(), second=second["logits"].numpy(),
             probs=probs["probabilities"].numpy(), sigs=np.array(sorted(loaded.signatures)))
""")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    if shutil.which("saved_model_cli") is None:
        pytest.skip("saved_model_cli (installed with tensorflow) is not on PATH")
    work = tmp_path_factory.mktemp("export")
    trained_checkpoint(work / "logdir", 42)
    path = export.export_saved_model(
        str(work / "serving"),
        model_fn=digits_net,
        input_signature=SPEC,
        checkpoint=str(work / "logdir"),
        extra_signatures={"probabilities": lambda out: tf.nn.softmax(out["logits"])},
    )
    x = digits_batch()
    np.save(work / "x.npy", x)
    (work / "check.py").write_text(CHECK)
    script = (
        f"saved_model_cli show --all --dir {path} > {work}/show.txt && "
        f"saved_model_cli run --dir {path} --tag_set serve --signature_def serving_default "
        f"--inputs images={work}/x.npy --outdir {work}/cli_out > /dev/null && "
        f"{sys.executable} {work}/check.py {path} {work}/x.npy {work}/loaded.npz"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {
        "path": path,
        "work": work,
        "x": x,
        "expected": reference_logits(str(work / "logdir"), x),
        "show": (work / "show.txt").read_text(),
        "cli": np.load(work / "cli_out" / "logits.npy"),
        "loaded": dict(np.load(work / "loaded.npz")),
    }


def test_export_writes_version_named_by_checkpoint_global_step(exported):
    assert exported["path"] == os.path.join(str(exported["work"] / "serving"), "42")
    assert os.listdir(exported["work"] / "serving") == ["42"]


def test_saved_model_cli_show_lists_documented_signature(exported):
    show = exported["show"]
    assert "signature_def['serving_default']" in show
    assert "signature_def['probabilities']" in show
    assert "inputs['images'] tensor_info" in show
    assert "outputs['logits'] tensor_info" in show
    assert "shape: (-1, 8, 8, 1)" in show and "shape: (-1, 10)" in show


def test_saved_model_cli_run_gives_kslim_logits(exported):
    np.testing.assert_allclose(exported["cli"], exported["expected"], rtol=1e-5, atol=1e-5)


def test_loaded_saved_model_matches_kslim_and_is_deterministic(exported):
    loaded = exported["loaded"]
    np.testing.assert_allclose(loaded["first"], exported["expected"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(loaded["first"], loaded["second"])
    np.testing.assert_allclose(loaded["probs"].sum(axis=1), 1.0, rtol=1e-5)
    assert list(loaded["sigs"]) == ["probabilities", "serving_default"]


def test_export_keras_model_switches_training_layers_off(tmp_path):
    with slim.Graph().as_default():
        images = keras.Input((8, 8, 1), name="images")
        model = keras.Model(images, digits_net(images))  # is_training=True layers
    x = digits_batch(4)
    expected = np.asarray(export.inference_model(model)(x)["logits"])
    path = export.export_saved_model(
        str(tmp_path), model=model, version=3, extra_signatures={"logits_only": "logits"}
    )
    loaded = tf.saved_model.load(path)
    a = loaded.signatures["serving_default"](images=tf.constant(x))["logits"].numpy()
    b = loaded.signatures["logits_only"](images=tf.constant(x))["logits"].numpy()
    np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a, b)
    assert path.endswith(os.sep + "3")


def test_single_tensor_output_is_named_outputs_and_default_version_is_1(tmp_path):
    path = export.export_saved_model(
        str(tmp_path),
        model_fn=lambda x: slim.fully_connected(x, 2, scope="fc"),
        input_signature=[tf.TensorSpec([None, 3], tf.float32)],
    )
    loaded = tf.saved_model.load(path)
    sig = loaded.signatures["serving_default"]
    assert list(sig.structured_outputs) == ["outputs"]
    assert list(sig.structured_input_signature[1]) == ["inputs"]
    assert path.endswith(os.sep + "1")


def test_export_tracks_and_restores_unowned_graph_variables(tmp_path):
    def fn(x):
        scale = slim.model_variable("scale", initializer=np.ones(3, np.float32))
        return keras.ops.multiply(x, scale)

    save_variables(str(tmp_path / "ckpt"), {"scale": np.array([1.0, 2.0, 3.0], np.float32)})
    path = export.export_saved_model(
        str(tmp_path / "out"),
        model_fn=fn,
        input_signature=[tf.TensorSpec([None, 3], tf.float32)],
        checkpoint=str(tmp_path / "ckpt"),
    )
    out = (
        tf.saved_model.load(path)
        .signatures["serving_default"](inputs=tf.ones((1, 3)))["outputs"]
        .numpy()
    )
    np.testing.assert_array_equal(out, [[1.0, 2.0, 3.0]])


def test_checkpoint_version_reads_global_step_then_suffix(tmp_path):
    save_variables(str(tmp_path / "model.ckpt-7"), {"w": np.zeros(1, np.float32)})
    assert export.checkpoint_version(str(tmp_path / "model.ckpt-7")) == 7
    save_variables(str(tmp_path / "model.ckpt-8"), {"global_step": np.int64(9)})
    assert export.checkpoint_version(str(tmp_path / "model.ckpt-8")) == 9
    save_variables(str(tmp_path / "plain"), {"w": np.zeros(1, np.float32)})
    assert export.checkpoint_version(str(tmp_path / "plain")) == 1


def test_export_argument_errors(tmp_path):
    fn = digits_net
    with pytest.raises(ValueError, match="exactly one of model_fn and model"):
        export.export_saved_model(str(tmp_path), input_signature=SPEC)
    with pytest.raises(ValueError, match="input_signature is required"):
        export.export_saved_model(str(tmp_path), model_fn=fn)
    with pytest.raises(TypeError, match="input_signature must be a non-empty list"):
        export.export_saved_model(str(tmp_path), model_fn=fn, input_signature=[(8, 8, 1)])
    with pytest.raises(ValueError, match="version must be a positive int, got 0"):
        export.export_saved_model(str(tmp_path), model_fn=fn, input_signature=SPEC, version=0)
    with pytest.raises(CheckpointError, match="nothere.index"):
        export.export_saved_model(
            str(tmp_path), model_fn=fn, input_signature=SPEC, checkpoint=str(tmp_path / "nothere")
        )
    save_variables(str(tmp_path / "partial"), {"conv1/weights": np.zeros((3, 3, 1, 6))})
    with pytest.raises(CheckpointError, match="missing variables"):
        export.export_saved_model(
            str(tmp_path / "x"),
            model_fn=fn,
            input_signature=SPEC,
            checkpoint=str(tmp_path / "partial"),
        )
    assert not (tmp_path / "x").exists() or os.listdir(tmp_path / "x") == []
    os.makedirs(tmp_path / "e" / "5")
    with pytest.raises(FileExistsError, match="already exists"):
        export.export_saved_model(str(tmp_path / "e"), model_fn=fn, input_signature=SPEC, version=5)
    with pytest.raises(ValueError, match="does not return"):
        export.export_saved_model(
            str(tmp_path / "y"),
            model_fn=fn,
            input_signature=SPEC,
            extra_signatures={"p": "probabilities"},
        )
