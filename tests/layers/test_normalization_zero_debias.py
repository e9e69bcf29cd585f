"""batch_norm(zero_debias_moving_mean=True) in Keras models (parity: tests/peer)."""

from __future__ import annotations

import keras
import numpy as np

import kslim as slim


def _batch(seed=0):
    return np.random.default_rng(seed).standard_normal((8, 3, 3, 2)).astype("float32") + 2.0


def test_zero_debias_moving_mean_equals_batch_mean_after_one_step():
    x = _batch()
    with slim.Graph().as_default():
        inputs = keras.Input((3, 3, 2), batch_size=8)
        model = keras.Model(inputs, slim.batch_norm(inputs, zero_debias_moving_mean=True))
        model(x, training=True)
        values = {v.path: v.numpy() for v in slim.get_variables()}
    np.testing.assert_allclose(values["BatchNorm/moving_mean"], x.mean(axis=(0, 1, 2)), rtol=1e-4)
    np.testing.assert_allclose(values["BatchNorm/BatchNorm/moving_mean/local_step"], 1.0)


def test_zero_debias_with_keras_training_flag_updates_only_in_training():
    x = _batch(1)
    with slim.Graph().as_default():
        inputs = keras.Input((3, 3, 2), batch_size=8)
        net = slim.batch_norm(inputs, is_training=None, zero_debias_moving_mean=True)
        model = keras.Model(inputs, net)
        model(x, training=False)
        step = [v for v in model.weights if v.path.endswith("local_step")][0]
        assert float(step.numpy()) == 0.0
        model(x, training=True)
        model(x, training=True)
        assert float(step.numpy()) == 2.0


def test_zero_debias_debias_variables_are_global_not_model_variables():
    with slim.Graph().as_default():
        slim.batch_norm(keras.Input((3, 3, 2)), scope="bn", zero_debias_moving_mean=True)
        globals_ = [v.path for v in slim.get_variables()]
        model_vars = [v.path for v in slim.get_model_variables()]
    assert "bn/bn/moving_mean/biased" in globals_
    assert "bn/bn/moving_mean/local_step" in globals_
    assert not [n for n in model_vars if n.startswith("bn/bn/")]


def test_zero_debias_model_round_trips_through_keras_file(tmp_path):
    x = _batch(2)
    with slim.Graph().as_default():
        inputs = keras.Input((3, 3, 2), batch_size=8)
        model = keras.Model(
            inputs, slim.batch_norm(inputs, decay=0.5, zero_debias_moving_mean=True)
        )
        model(x, training=True)
        model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    got = {v.path: v.numpy() for v in loaded.weights}
    want = {v.path: v.numpy() for v in model.weights}
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value)
    loaded(x, training=True)
    model(x, training=True)
    for a, b in zip(loaded.weights, model.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_zero_debias_model_switches_to_inference_for_export():
    from kslim.export import inference_model

    x = _batch(3)
    with slim.Graph().as_default():
        inputs = keras.Input((3, 3, 2), batch_size=8)
        model = keras.Model(inputs, slim.batch_norm(inputs, zero_debias_moving_mean=True))
        model(x, training=True)
        inference = inference_model(model)
    assert sorted(w.path for w in inference.weights) == [
        "BatchNorm/beta",
        "BatchNorm/moving_mean",
        "BatchNorm/moving_variance",
    ]
    bn = {w.path: w.numpy() for w in model.weights}
    want = (x - bn["BatchNorm/moving_mean"]) / np.sqrt(bn["BatchNorm/moving_variance"] + 0.001)
    np.testing.assert_allclose(inference(x), want, rtol=1e-4, atol=1e-5)
