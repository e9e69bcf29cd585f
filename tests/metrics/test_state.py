"""The StreamingMetric mechanism: names, collections, eager and KerasTensor paths."""

import keras
import numpy as np
import pytest

import kslim as slim
from kslim import metrics


def _local_names():
    return [metrics.variable_name(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)]


def test_default_scopes_are_uniquified_per_graph():
    with slim.Graph().as_default():
        metrics.streaming_accuracy(np.array([1, 0]), np.array([1, 1]))
        metrics.streaming_accuracy(np.array([1, 0]), np.array([1, 1]))
        assert _local_names() == [
            "accuracy/total",
            "accuracy/count",
            "accuracy_1/total",
            "accuracy_1/count",
        ]
    with slim.Graph().as_default():
        metrics.streaming_accuracy(np.array([1]), np.array([1]))
        assert _local_names() == ["accuracy/total", "accuracy/count"]


def test_explicit_name_and_nested_scope_name_the_variables():
    with slim.Graph().as_default():
        with slim.name_scope("eval"):
            metrics.streaming_precision(np.array([1, 0]), np.array([1, 1]), name="prec")
        assert _local_names() == [
            "eval/prec/true_positives/count",
            "eval/prec/false_positives/count",
        ]


def test_variables_join_local_and_metric_collections_and_metric_is_recorded():
    with slim.Graph().as_default():
        metrics.streaming_mean(np.array([1.0, 2.0]))
        local = slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        assert slim.get_collection(slim.GraphKeys.METRIC_VARIABLES) == local
        assert all(not v.trainable for v in local)
        (layer,) = slim.get_collection(metrics.METRICS)
        assert layer.scope == "mean" and metrics.get_metric("mean") is layer


def test_metrics_and_updates_collections_receive_value_and_update():
    with slim.Graph().as_default():
        value, update = metrics.streaming_mean(
            np.array([1.0, 3.0]), metrics_collections=["v"], updates_collections=["u"]
        )
        assert slim.get_collection("v") == [value] and slim.get_collection("u") == [update]


def test_collections_argument_must_be_a_list():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="metrics_collections"):
        metrics.streaming_mean(np.array([1.0]), metrics_collections="v")


def test_eager_update_is_applied_immediately_and_value_is_a_snapshot():
    with slim.Graph().as_default():
        value, update = metrics.streaming_mean(np.array([1.0, 3.0]))
        assert float(value) == float(update) == 2.0
        layer = metrics.get_metric("mean")
        layer([np.array([8.0], "float32")], mode="update")
        assert float(value) == 2.0
        assert float(layer.result()) == pytest.approx(4.0)


def test_reset_state_and_reset_metrics_zero_the_state():
    with slim.Graph().as_default():
        metrics.streaming_mean(np.array([1.0, 3.0]))
        metrics.streaming_accuracy(np.array([1, 1]), np.array([1, 0]))
        metrics.get_metric("mean").reset_state()
        assert float(metrics.get_metric("mean").result()) == 0.0
        assert float(metrics.get_metric("accuracy").result()) == 0.5
        metrics.reset_metrics()
        assert all(
            float(np.sum(v.numpy())) == 0.0
            for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        )


def test_keras_model_accumulates_state_across_batches_and_reads_final_value():
    with slim.Graph().as_default():
        predictions = keras.Input((3,))
        labels = keras.Input((3,))
        value, update = metrics.streaming_mean_absolute_error(predictions, labels)
        model = keras.Model([predictions, labels], {"updates": [update], "values": [value]})
        rng = np.random.default_rng(0)
        batches = [
            (rng.random((2, 3)).astype("float32"), rng.random((2, 3)).astype("float32"))
            for _ in range(3)
        ]
        for p, lab in batches:
            out = model([p, lab])
        expected = np.mean([np.abs(p - lab) for p, lab in batches])
        assert float(out["values"][0]) == pytest.approx(expected, rel=1e-6)
        assert float(metrics.get_metric("mean_absolute_error").result()) == pytest.approx(
            expected, rel=1e-6
        )
        assert [w.path for w in model.weights] == [
            "mean_absolute_error/total",
            "mean_absolute_error/count",
        ]
        metrics.reset_metrics()
        out = model(batches[0])
        assert float(out["values"][0]) == pytest.approx(
            np.mean(np.abs(np.subtract(*batches[0]))), rel=1e-6
        )


def test_keras_model_with_metrics_saves_and_loads(tmp_path):
    with slim.Graph().as_default():
        predictions = keras.Input((4,))
        labels = keras.Input((4,), dtype="int64")
        value, update = metrics.streaming_auc(predictions, labels, num_thresholds=20)
        model = keras.Model([predictions, labels], [update, value])
        model.save(tmp_path / "m.keras")
        loaded = keras.models.load_model(tmp_path / "m.keras")
        p = np.array([[0.1, 0.9, 0.8, 0.2]], "float32")
        lab = np.array([[0, 1, 1, 0]], "int64")
        np.testing.assert_allclose(loaded([p, lab])[1], model([p, lab])[1], rtol=1e-6)


def test_constant_labels_next_to_keras_inputs_are_stored_in_the_config():
    with slim.Graph().as_default():
        predictions = keras.Input((2,), batch_size=1, dtype="int64")
        value, _ = metrics.streaming_accuracy(predictions, np.array([[1, 0]]))
        model = keras.Model(predictions, value)
        assert float(model(np.array([[1, 1]]))) == 0.5
