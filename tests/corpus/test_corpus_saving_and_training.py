"""The corpus models saved, served and trained by kslim, checked against tf_slim's reference.

Per model: the functional model round-trips through a ``.keras`` file (loaded with only
kslim imported: the model file's code is not importable by name), a SavedModel exported by
``kslim.export.export_saved_model`` from a checkpoint of tf_slim's values serves tf_slim's
output, and three steps of ``slim.learning.train`` checkpoint every variable tf_slim's
training build has. The summary code of train_image_classifier.py records tf_slim's tags
and ``learning.train`` writes them. A representative subset runs by default; the rest is
``slow``.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from _corpus_kslim import run_functional
from _corpus_peer import (
    SPECS,
    SPECS_BY_ID,
    call_model,
    close,
    load_kslim_module,
    seeded_input,
    seeded_target,
)

import kslim
from kslim.checkpoints import save_variables

pytestmark = pytest.mark.peer

# Per test, the models of the default run (chosen for their idioms: drop-path noise on
# ``tf.shape``, TF ops saved by symbol, ``zero_debias_moving_mean`` variables); the others
# run under ``-m slow``.
DEFAULT_IDS = {
    "keras_file": {"nas_mini", "mobile_shuffle", "dcgan_gen"},
    "export": {"inception_mini", "dcgan_gen"},
    "train": {"dcgan_gen"},
}

# (spec id, test) -> the kslim gap that makes it fail (strict xfail).
KNOWN_KSLIM_GAPS: dict[tuple[str, str], str] = {}


def _params(test):
    params = []
    for spec in SPECS:
        marks = [] if spec.id in DEFAULT_IDS[test] else [pytest.mark.slow]
        if (spec.id, test) in KNOWN_KSLIM_GAPS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_KSLIM_GAPS[spec.id, test]))
        params.append(pytest.param(spec, id=spec.id, marks=marks))
    return params


@pytest.mark.parametrize("spec", _params("keras_file"))
def test_functional_model_round_trips_through_a_keras_file(spec, tfslim_corpus, tmp_path):
    ref = tfslim_corpus[spec.id]
    model, _ = run_functional(spec, ref)
    path = tmp_path / f"{spec.id}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert sorted(v.path for v in loaded.weights) == sorted(v.path for v in model.weights)
    outputs = loaded(seeded_input(spec.input_shape), training=False)
    close(outputs[0], ref.built.net, "net output of the loaded model")
    for key, value in zip(ref.built.end_points, outputs[1:], strict=True):
        close(value, ref.built.end_point_values[key], f"end_point {key!r} of the loaded model")


def test_keras_file_loads_in_a_fresh_process_with_only_kslim_imported(tfslim_corpus, tmp_path):
    spec = SPECS_BY_ID["nas_mini"]
    ref = tfslim_corpus[spec.id]
    model, _ = run_functional(spec, ref)
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "inputs.npy", seeded_input(spec.input_shape))
    script = textwrap.dedent(
        """
        import sys
        import keras
        import numpy as np
        import kslim  # noqa: F401 - registers kslim's layers, nothing else is imported

        model = keras.saving.load_model(sys.argv[1] + "/model.keras")
        outputs = model(np.load(sys.argv[1] + "/inputs.npy"), training=False)
        np.save(sys.argv[1] + "/net.npy", np.asarray(outputs[0]))
        """
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    close(np.load(tmp_path / "net.npy"), ref.built.net, "net output in a fresh process")


@pytest.mark.parametrize("spec", _params("export"))
def test_export_saved_model_from_a_checkpoint_serves_tf_slims_output(spec, tfslim_corpus, tmp_path):
    ref = tfslim_corpus[spec.id]
    module = load_kslim_module(spec.module)
    checkpoint = save_variables(str(tmp_path / "train" / "model.ckpt-7"), ref.values)

    def serving_fn(inputs):
        net, _ = call_model(spec, module, kslim, inputs)
        return {"outputs": net}

    signature = [tf.TensorSpec([None, *spec.input_shape[1:]], tf.float32, name="inputs")]
    path = kslim.export.export_saved_model(
        str(tmp_path / "serving"),
        model_fn=serving_fn,
        input_signature=signature,
        checkpoint=checkpoint,
    )
    assert os.path.basename(path) == "7"
    served = tf.saved_model.load(path).signatures["serving_default"]
    outputs = served(inputs=tf.constant(seeded_input(spec.input_shape)))
    close(outputs["outputs"], ref.built.net, "served output")


def _train(spec, ref, logdir, summaries=False):
    """Three ``learning.train`` steps on the seeded batch; returns (final loss, summary tags)."""
    module = load_kslim_module(spec.module)
    x = seeded_input(spec.input_shape)
    y = seeded_target(spec, ref.built.net.shape)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(len(x))
    tags = None
    with kslim.Graph().as_default():
        images, labels = kslim.data.inputs(dataset)
        net, end_points = call_model(
            spec, module, kslim, images, is_training=True, **spec.train_kwargs
        )
        if spec.target == "classes":
            kslim.losses.softmax_cross_entropy(net, labels)
        else:
            kslim.losses.mean_squared_error(net, labels)
        kwargs = {}
        if summaries:
            summary_op = module.add_summaries(end_points)
            tags = {entry.tag for entry in summary_op}
            kwargs = {"summary_op": summary_op, "save_summaries_secs": 1}
        train_op = kslim.learning.create_train_op(
            kslim.losses.get_total_loss(), tf.compat.v1.train.GradientDescentOptimizer(0.01)
        )
        loss = kslim.learning.train(
            train_op, str(logdir), number_of_steps=3, log_every_n_steps=0, **kwargs
        )
    return loss, tags


@pytest.mark.parametrize("spec", _params("train"))
def test_three_learning_train_steps_checkpoint_every_variable_of_tf_slims_training_build(
    spec, tfslim_corpus, tmp_path
):
    ref = tfslim_corpus[spec.id]
    loss, _ = _train(spec, ref, tmp_path)
    assert np.isfinite(loss)
    reader = tf.train.load_checkpoint(str(tmp_path))
    assert reader.get_tensor("global_step") == 3
    shapes = reader.get_variable_to_shape_map()
    missing = sorted(set(ref.train_variables) - set(shapes))
    assert not missing, f"not in the checkpoint: {missing}"
    for name, shape in ref.train_variables.items():
        assert list(shapes[name]) == list(shape), f"checkpoint shape of {name!r}"


def test_train_image_classifier_summaries_have_tf_slims_tags(tfslim_corpus):
    spec = SPECS_BY_ID["stats_summaries"]
    ref = tfslim_corpus[spec.id]
    module = load_kslim_module(spec.module)
    with kslim.Graph().as_default():
        x = keras.Input(shape=spec.input_shape[1:], name="inputs")
        _, end_points = call_model(spec, module, kslim, x)
        summary_op = module.add_summaries(end_points)
        tags = {entry.tag for entry in summary_op}
    assert tags == set(ref.summary_tags)


def test_learning_train_writes_the_train_image_classifier_summaries(tfslim_corpus, tmp_path):
    spec = SPECS_BY_ID["stats_summaries"]
    _, tags = _train(spec, tfslim_corpus[spec.id], tmp_path, summaries=True)
    assert tags == set(tfslim_corpus[spec.id].summary_tags)
    written = set()
    for path in glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            written.update(value.tag for value in event.summary.value)
    assert tags <= written, f"not written: {sorted(tags - written)}"
