"""Regression metrics: errors, cosine distance, percentage_less, covariance."""

import numpy as np
import pytest

import kslim as slim
from kslim import metrics

RNG = np.random.default_rng(1)
BATCHES = [(RNG.random(6).astype("float32"), RNG.random(6).astype("float32")) for _ in range(3)]


def _accumulate(fn, **kwargs):
    value, _ = fn(*BATCHES[0], **kwargs)
    layer = metrics.get_metrics()[-1]
    for p, lab in BATCHES[1:]:
        layer([p, lab], mode="update")
    return float(layer.result())


def test_squared_errors_accumulate_over_batches():
    p = np.concatenate([b[0] for b in BATCHES])
    lab = np.concatenate([b[1] for b in BATCHES])
    with slim.Graph().as_default():
        assert _accumulate(metrics.streaming_mean_squared_error) == pytest.approx(
            np.mean((p - lab) ** 2), rel=1e-5
        )
        assert _accumulate(metrics.streaming_root_mean_squared_error) == pytest.approx(
            np.sqrt(np.mean((p - lab) ** 2)), rel=1e-5
        )
        assert _accumulate(metrics.streaming_covariance) == pytest.approx(
            np.cov(p, lab)[0, 1], rel=1e-4
        )
        assert _accumulate(metrics.streaming_pearson_correlation) == pytest.approx(
            np.corrcoef(p, lab)[0, 1], rel=1e-4
        )


def test_covariance_is_nan_until_two_values_are_seen():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_covariance(np.array([1.0]), np.array([2.0]))
        assert np.isnan(float(value))


def test_mean_relative_error_is_zero_where_normalizer_is_zero():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_mean_relative_error(
            np.array([1.0, 2.0]), np.array([2.0, 4.0]), normalizer=np.array([0.0, 2.0])
        )
        assert float(value) == pytest.approx(0.5)


def test_cosine_distance_and_percentage_less():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_mean_cosine_distance(
            np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]), dim=1
        )
        assert float(value) == pytest.approx(0.5)
        value, _ = metrics.streaming_percentage_less(
            np.array([0.1, 0.5, 0.9]), 0.6, weights=np.array([1.0, 1.0, 2.0])
        )
        assert float(value) == pytest.approx(0.5)
        names = [
            metrics.variable_name(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
        ]
        assert names[-2:] == [
            "percentage_below_threshold/total",
            "percentage_below_threshold/count",
        ]
