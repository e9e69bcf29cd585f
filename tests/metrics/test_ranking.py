"""Top-k metrics."""

import numpy as np
import pytest

import kslim as slim
from kslim import metrics

SCORES = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]], "float32")


def test_recall_at_k_counts_labels_in_top_k():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_recall_at_k(SCORES, np.array([2, 1]), k=2)
        assert float(value) == pytest.approx(0.5)
        assert metrics.get_metrics()[-1].scope == "recall_at_2"


def test_sparse_precision_and_recall_at_k_are_float64_with_slim_names():
    with slim.Graph().as_default():
        recall, _ = metrics.streaming_sparse_recall_at_k(SCORES, np.array([[2], [1]]), k=1)
        precision, _ = metrics.streaming_sparse_precision_at_k(SCORES, np.array([[1], [0]]), k=1)
        assert float(recall) == 0.0 and float(precision) == 1.0
        assert recall.dtype.name == "float64"
        names = [
            metrics.variable_name(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        ]
        assert names == [
            "recall_at_1/true_positive_at_1",
            "recall_at_1/false_negative_at_1",
            "precision_at_1/true_positive_at_1",
            "precision_at_1/false_positive_at_1",
        ]


def test_average_precision_at_k():
    with slim.Graph().as_default():
        # row 0 label 2 ranked 2nd -> 1/2; row 1 label 0 ranked 1st -> 1
        value, _ = metrics.streaming_sparse_average_precision_at_k(
            SCORES, np.array([[2], [0]]), k=2
        )
        assert float(value) == pytest.approx(0.75)
        with pytest.raises(ValueError, match="Invalid k=0"):
            metrics.streaming_sparse_average_precision_at_k(SCORES, np.array([[2], [0]]), k=0)
