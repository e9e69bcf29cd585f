"""Threshold metrics: AUC, curves, precision/recall at thresholds, F1, dynamic AUC."""

import numpy as np
import pytest

import kslim as slim
from kslim import metrics

P = np.array([0.1, 0.4, 0.35, 0.8], "float32")
L = np.array([0, 0, 1, 1])


def test_streaming_auc_separable_data_is_one_and_variables_are_named():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_auc(
            np.array([0.1, 0.2, 0.8, 0.9], "float32"), np.array([0, 0, 1, 1])
        )
        assert float(value) == pytest.approx(1.0, abs=1e-3)
        names = [
            metrics.variable_name(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        ]
        assert names == [
            "auc/true_positives",
            "auc/false_negatives",
            "auc/true_negatives",
            "auc/false_positives",
        ]
        assert slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)[0].shape == (200,)


def test_streaming_auc_rejects_unknown_curve():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="curve must be either"):
        metrics.streaming_auc(P, L, curve="XY")


def test_precision_and_recall_at_thresholds_are_vectors():
    with slim.Graph().as_default():
        precision, _ = metrics.streaming_precision_at_thresholds(P, L, [0.3, 0.5])
        recall, _ = metrics.streaming_recall_at_thresholds(P, L, [0.3, 0.5])
        np.testing.assert_allclose(precision, [2 / 3, 1.0], rtol=1e-5)
        np.testing.assert_allclose(recall, [1.0, 0.5], rtol=1e-5)


def test_counts_at_thresholds_use_bare_uniquified_variable_names():
    with slim.Graph().as_default():
        tp, _ = metrics.streaming_true_positives_at_thresholds(P, L, [0.3])
        metrics.streaming_true_positives_at_thresholds(P, L, [0.3])
        np.testing.assert_array_equal(tp, [2.0])
        names = [
            metrics.variable_name(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        ]
        assert names == ["true_positives", "true_positives_1"]


def test_curve_points_shape_and_target_validation():
    with slim.Graph().as_default():
        points, _ = metrics.streaming_curve_points(L, P, num_thresholds=5)
        assert points.shape == (5, 2)
        with pytest.raises(ValueError, match="`sensitivity` must be in the range"):
            metrics.streaming_specificity_at_sensitivity(P, L, 1.5)
        with pytest.raises(ValueError, match="`target_recall` must be in the range"):
            metrics.precision_at_recall(L, P, -0.1)


def test_f1_score_is_best_over_thresholds():
    with slim.Graph().as_default():
        value, _ = metrics.f1_score(L, P)
        # threshold in (0.35, 0.4) gives tp=2, fp=1 -> f1 = .8; (0.4, .8) gives 2/3
        assert float(value) == pytest.approx(0.8, abs=1e-4)


def test_dynamic_auc_is_exact_over_all_batches():
    with slim.Graph().as_default():
        _, update = metrics.streaming_dynamic_auc(L[:2], P[:2])
        assert float(update) == 0.0  # one class only so far
        layer = metrics.get_metric("dynamic_auc")
        layer([L[2:], P[2:]], mode="update")
        # pairs (pos, neg): (.35,.1) ok (.35,.4) wrong (.8, *) ok -> 3/4
        assert float(layer.result()) == pytest.approx(0.75)
        with pytest.raises(ValueError, match="curve must be either ROC or PR"):
            metrics.streaming_dynamic_auc(L, P, curve="AB")
