"""slim metrics as Keras metrics in compile / fit / evaluate."""

import keras
import numpy as np
import pytest

from kslim import metrics


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


def test_shape_dependent_metrics_have_no_keras_form():
    with pytest.raises(ValueError, match="no Keras metric form"):
        metrics.as_keras_metric(metrics.streaming_mean_tensor)
    with pytest.raises(ValueError, match="no Keras metric form"):
        metrics.as_keras_metric(metrics.streaming_mean_relative_error)
