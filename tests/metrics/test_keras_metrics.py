"""slim metrics as Keras metrics in compile / fit / evaluate."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import metrics
from kslim.metrics import keras_metrics


def test_streaming_metrics_work_in_compile_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.random((32, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 2).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        "sgd",
        "binary_crossentropy",
        metrics=[
            metrics.StreamingMeanAbsoluteError(),
            metrics.as_keras_metric(metrics.streaming_auc, num_thresholds=50),
        ],
    )
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert "mean_absolute_error" in history.history and "auc" in history.history
    results = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    expected = np.mean(np.abs(model.predict(x, verbose=0) - y))
    assert results["mean_absolute_error"] == pytest.approx(expected, rel=1e-4)


def test_update_state_maps_y_true_y_pred_to_slim_order_and_reset():
    metric = metrics.StreamingPrecision()
    metric.update_state(np.array([1, 0, 0]), np.array([1, 1, 0]))  # y_true, y_pred
    assert float(metric.result()) == pytest.approx(0.5)
    kappa = metrics.as_keras_metric(metrics.cohen_kappa, num_classes=2)
    kappa.update_state(np.array([0, 1]), np.array([0, 1]))
    assert float(kappa.result()) == pytest.approx(1.0)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert [v.path for v in metric.variables] == [
        "precision/true_positives/count",
        "precision/false_positives/count",
    ]


def test_sample_weight_is_slim_weights():
    metric = metrics.StreamingAccuracy()
    metric.update_state(np.array([1, 1]), np.array([1, 0]), sample_weight=np.array([3.0, 1.0]))
    assert float(metric.result()) == pytest.approx(0.75)


def test_keras_metric_round_trips_through_config():
    metric = metrics.StreamingAUC(num_thresholds=10, curve="PR")
    clone = metrics.StreamingAUC.from_config(metric.get_config())
    assert clone.config == metric.config and clone.name == "auc"
    generic = metrics.as_keras_metric(metrics.streaming_sparse_recall_at_k, k=2)
    assert metrics.SlimMetric.from_config(generic.get_config()).config == generic.config


def _data(n=32, outputs=2):
    rng = np.random.default_rng(1)
    x = rng.random((n, 3)).astype("float32")
    y = rng.random((n, outputs)).astype("float32")
    return x, y


def _streaming(fn, batches, **kwargs):
    """Runs kslim streaming function ``fn`` over ``batches`` (dicts of arrays)."""
    with slim.Graph().as_default():
        for n, batch in enumerate(batches):
            if n == 0:
                fn(**batch, **kwargs)
                layer = metrics.get_metrics()[-1]
            else:
                layer(list(batch.values()), mode="update")
        return np.asarray(layer.result())


def test_mean_relative_error_keras_form_matches_streaming_function():
    x, y = _data()
    normalizer = np.array([0.5, 2.0], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(
        "sgd", "mse", metrics=[keras_metrics.StreamingMeanRelativeError(normalizer=normalizer)]
    )
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert "mean_relative_error" in history.history
    result = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    expected = _streaming(
        metrics.streaming_mean_relative_error,
        [
            {"predictions": p[i : i + 8], "labels": y[i : i + 8], "normalizer": normalizer}
            for i in range(0, 32, 8)
        ],
    )
    assert result["mean_relative_error"] == pytest.approx(float(expected), rel=1e-5)
    assert float(expected) == pytest.approx(np.mean(np.abs(p - y) / normalizer), rel=1e-5)


def test_mean_relative_error_scalar_normalizer_and_config_round_trip():
    metric = keras_metrics.StreamingMeanRelativeError(normalizer=2.0)
    metric.update_state(np.array([1.0, 3.0]), np.array([2.0, 2.0]), sample_weight=[1.0, 3.0])
    assert float(metric.result()) == pytest.approx(0.5)
    clone = keras_metrics.StreamingMeanRelativeError.from_config(metric.get_config())
    clone.update_state(np.array([1.0]), np.array([0.0]))
    assert float(clone.result()) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="normalizer"):
        metrics.as_keras_metric(metrics.streaming_mean_relative_error)


def test_mean_tensor_keras_form_matches_streaming_function():
    x, y = _data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=[keras_metrics.StreamingMeanTensor(shape=(2,))])
    result = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    # slim's mean is per position in the batch; over equal batches its mean over
    # the batch axis is the per-example mean the Keras form keeps.
    per_position = _streaming(
        metrics.streaming_mean_tensor, [{"values": p[i : i + 8]} for i in range(0, 32, 8)]
    )
    np.testing.assert_allclose(result["mean"], per_position.mean(0), rtol=1e-5)
    np.testing.assert_allclose(result["mean"], p.mean(0), rtol=1e-5)


def test_mean_tensor_sample_weight_reset_and_bad_shape():
    metric = keras_metrics.StreamingMeanTensor(shape=())
    metric.update_state(None, np.array([1.0, 3.0]), sample_weight=np.array([1.0, 3.0]))
    assert float(metric.result()) == pytest.approx(2.5)
    assert [v.path for v in metric.variables] == ["mean/total_tensor", "mean/count_tensor"]
    metric.reset_state()
    assert float(metric.result()) == 0.0
    with pytest.raises(ValueError, match="shape must be a fully defined"):
        keras_metrics.StreamingMeanTensor(shape=(None, 2))


def test_concat_keras_form_matches_streaming_function_with_max_size():
    x, y = _data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=[keras_metrics.StreamingConcat(shape=(2,), max_size=20)])
    result = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    expected = _streaming(
        metrics.streaming_concat, [{"values": p[i : i + 8]} for i in range(0, 32, 8)], max_size=20
    )
    assert np.asarray(result["streaming_concat"]).shape == (20, 2)
    np.testing.assert_allclose(result["streaming_concat"], expected, rtol=1e-6)
    np.testing.assert_allclose(expected, p[:20], rtol=1e-6)


def test_concat_grows_without_max_size_and_resets():
    metric = keras_metrics.StreamingConcat(shape=())
    metric.update_state(None, tf.constant([1.0, 2.0]))
    metric.update_state(None, tf.constant([3.0]))
    np.testing.assert_allclose(metric.result(), [1.0, 2.0, 3.0])
    metric.reset_state()
    assert metric.result().shape == (0,)
    clone = keras_metrics.StreamingConcat.from_config(metric.get_config())
    assert clone.max_size is None and clone.shape == ()
    with pytest.raises(ValueError, match="max_size must be a positive int"):
        keras_metrics.StreamingConcat(shape=(2,), max_size=0)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_dynamic_auc_keras_form_matches_streaming_function_in_fit_and_evaluate(curve):
    x, _ = _data()
    y = (x.sum(axis=1, keepdims=True) > 1.5).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        "sgd", "binary_crossentropy", metrics=[keras_metrics.StreamingDynamicAUC(curve=curve)]
    )
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert "dynamic_auc" in history.history
    result = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    expected = _streaming(
        metrics.streaming_dynamic_auc,
        [{"labels": y[i : i + 8], "predictions": p[i : i + 8]} for i in range(0, 32, 8)],
        curve=curve,
    )
    assert result["dynamic_auc"] == pytest.approx(float(expected), rel=1e-6)
    if curve == "ROC":
        from sklearn.metrics import roc_auc_score

        assert float(expected) == pytest.approx(roc_auc_score(y.ravel(), p.ravel()), rel=1e-6)


def test_dynamic_auc_keras_form_uses_sample_weight_and_resets():
    metric = keras_metrics.StreamingDynamicAUC()
    metric.update_state([0, 1, 1], [0.9, 0.8, 0.1], sample_weight=[1.0, 1.0, 0.0])
    assert float(metric.result()) == pytest.approx(0.0)
    metric.reset_state()
    metric.update_state([0, 1], [0.2, 0.7])
    assert float(metric.result()) == pytest.approx(1.0)


def test_shape_dependent_metrics_point_to_their_keras_classes():
    with pytest.raises(ValueError, match="StreamingMeanTensor"):
        metrics.as_keras_metric(metrics.streaming_mean_tensor)
    with pytest.raises(ValueError, match="StreamingConcat"):
        metrics.as_keras_metric(metrics.streaming_concat)
