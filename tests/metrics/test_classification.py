"""Classification metrics: accuracy, confusion counts, mean IoU, kappa."""

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import metrics


def test_streaming_accuracy_accumulates_weighted_batches():
    with slim.Graph().as_default():
        _, update = metrics.streaming_accuracy(
            np.array([1, 0]), np.array([1, 1]), weights=np.array([3.0, 1.0])
        )
        assert float(update) == pytest.approx(0.75)
        layer = metrics.get_metric("accuracy")
        layer([np.array([0]), np.array([1]), np.array([4.0], "float32")], mode="update")
        assert float(layer.result()) == pytest.approx(3.0 / 8.0)


def test_precision_is_zero_before_any_positive_prediction():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_precision(np.array([0, 0]), np.array([1, 0]))
        assert float(value) == 0.0


def test_confusion_counts_and_rates():
    p, lab = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])
    with slim.Graph().as_default():
        assert float(metrics.streaming_true_positives(p, lab)[0]) == 2.0
        assert float(metrics.streaming_false_positives(p, lab)[0]) == 1.0
        assert float(metrics.streaming_true_negatives(p, lab)[0]) == 1.0
        assert float(metrics.streaming_false_negatives(p, lab)[0]) == 1.0
        assert float(metrics.streaming_recall(p, lab)[0]) == pytest.approx(2 / 3)
        assert float(metrics.streaming_false_positive_rate(p, lab)[0]) == pytest.approx(0.5)
        assert float(metrics.streaming_false_negative_rate(p, lab)[0]) == pytest.approx(1 / 3)
        names = [
            metrics.variable_name(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        ]
        assert names[:2] == ["true_positives/count", "false_positives/count"]


def test_mean_iou_update_returns_confusion_matrix_and_value_skips_absent_classes():
    with slim.Graph().as_default():
        value, update = metrics.streaming_mean_iou(
            np.array([0, 1, 1]), np.array([0, 1, 0]), num_classes=3
        )
        np.testing.assert_array_equal(update, [[1, 1, 0], [0, 1, 0], [0, 0, 0]])
        assert update.dtype == tf.float64
        # class 0: 1/(2+1-1) = .5, class 1: 1/(1+2-1) = .5, class 2 absent
        assert float(value) == pytest.approx(0.5)


def test_mean_iou_rejects_bad_num_classes():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="num_classes"):
        metrics.streaming_mean_iou(np.array([0]), np.array([0]), num_classes=0)


def test_cohen_kappa_perfect_agreement_is_one_and_needs_two_classes():
    with slim.Graph().as_default():
        value, _ = metrics.cohen_kappa(np.array([0, 1, 2, 1]), np.array([0, 1, 2, 1]), 3)
        assert float(value) == pytest.approx(1.0)
        with pytest.raises(ValueError, match="`num_classes` must be >= 2"):
            metrics.cohen_kappa(np.array([0]), np.array([0]), 1)


def test_non_streaming_accuracy_and_its_dtype_errors():
    labels = tf.constant([1, 2, 3])
    assert float(metrics.accuracy(tf.constant([1, 2, 0]), labels)) == pytest.approx(2 / 3)
    weighted = metrics.accuracy(
        tf.constant([1, 2, 0]), labels, weights=tf.constant([1.0, 1.0, 2.0])
    )
    assert float(weighted) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="Labels should have bool, integer, or string dtype"):
        metrics.accuracy(tf.constant([1.0]), tf.constant([1.0]))
    with pytest.raises(ValueError, match="Dtypes of predictions and labels should match"):
        metrics.accuracy(tf.constant([1.0]), tf.constant([1]))
