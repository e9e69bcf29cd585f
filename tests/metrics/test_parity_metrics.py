"""Parity of kslim.metrics with tf_slim 1.1.0 (run in a TF1-graph subprocess).

Every case feeds the same random batches to the tf_slim metric and to the
kslim metric (built on KerasTensors and run as a keras.Model, batch by batch);
the final values agree to 1e-5 and the state variables have slim's names.
"""

from pathlib import Path

import keras
import numpy as np
import pytest
from peer import harness

import kslim as slim
from kslim import metrics

pytestmark = pytest.mark.peer

NB, N, C = 3, 16, 5
PEER = Path(__file__).with_name("_slim_peer.py")


def _data():
    rng = np.random.default_rng(7)
    unit = rng.normal(size=(NB, N, 3)).astype("float32")
    scores = rng.random((NB, N, C)).astype("float32")
    normalizer = rng.random((NB, N)).astype("float32")
    normalizer[:, :3] = 0.0
    weights = rng.random((NB, N)).astype("float32")
    weights[:, :2] = 0.0
    return {
        "p": rng.random((NB, N)).astype("float32"),
        "q": rng.random((NB, N)).astype("float32"),
        "l": (rng.random((NB, N)) > 0.5).astype("int64"),
        "pb": (rng.random((NB, N)) > 0.4).astype("int64"),
        "w": weights,
        "nz": normalizer,
        "u1": unit / np.linalg.norm(unit, axis=-1, keepdims=True),
        "u2": np.roll(unit, 1, axis=1)
        / np.linalg.norm(np.roll(unit, 1, axis=1), axis=-1, keepdims=True),
        "scores": scores,
        "cls": rng.integers(0, C, (NB, N)).astype("int64"),
        "cls_pred": rng.integers(0, C, (NB, N)).astype("int64"),
        "lab1": rng.integers(0, C, (NB, N, 1)).astype("int64"),
        "topk": np.argsort(-scores, axis=-1)[..., :2].astype("int64"),
    }


PL = {"predictions": "p", "labels": "l"}
PLW = {"predictions": "p", "labels": "l", "weights": "w"}
BLW = {"predictions": "pb", "labels": "l", "weights": "w"}
TH = {"thresholds": [0.2, 0.5, 0.8]}
CASES = [
    ("accuracy", "streaming_accuracy", BLW, {}),
    ("accuracy_unweighted", "streaming_accuracy", {"predictions": "pb", "labels": "l"}, {}),
    ("mean", "streaming_mean", {"values": "p", "weights": "w"}, {}),
    ("mean_tensor", "streaming_mean_tensor", {"values": "p", "weights": "w"}, {}),
    ("precision", "streaming_precision", BLW, {}),
    ("recall", "streaming_recall", BLW, {}),
    ("tp", "streaming_true_positives", BLW, {}),
    ("tn", "streaming_true_negatives", BLW, {}),
    ("fp", "streaming_false_positives", BLW, {}),
    ("fn", "streaming_false_negatives", BLW, {}),
    ("fpr", "streaming_false_positive_rate", BLW, {}),
    ("fnr", "streaming_false_negative_rate", BLW, {}),
    ("auc_roc", "streaming_auc", PLW, {}),
    ("auc_pr", "streaming_auc", PLW, {"curve": "PR", "num_thresholds": 50}),
    ("curve_points", "streaming_curve_points", PLW, {"num_thresholds": 20}),
    ("dynamic_auc", "streaming_dynamic_auc", PLW, {}),
    ("dynamic_auc_pr", "streaming_dynamic_auc", PL, {"curve": "PR"}),
    ("spec_at_sens", "streaming_specificity_at_sensitivity", PLW, {"sensitivity": 0.6}),
    ("sens_at_spec", "streaming_sensitivity_at_specificity", PLW, {"specificity": 0.4}),
    ("precision_at_th", "streaming_precision_at_thresholds", PLW, TH),
    ("recall_at_th", "streaming_recall_at_thresholds", PLW, TH),
    ("fpr_at_th", "streaming_false_positive_rate_at_thresholds", PLW, TH),
    ("fnr_at_th", "streaming_false_negative_rate_at_thresholds", PLW, TH),
    ("tp_at_th", "streaming_true_positives_at_thresholds", PLW, TH),
    ("fn_at_th", "streaming_false_negatives_at_thresholds", PLW, TH),
    ("fp_at_th", "streaming_false_positives_at_thresholds", PLW, TH),
    ("tn_at_th", "streaming_true_negatives_at_thresholds", PLW, TH),
    ("f1", "f1_score", PLW, {}),
    ("precision_at_recall", "precision_at_recall", PLW, {"target_recall": 0.7}),
    ("recall_at_precision", "recall_at_precision", PLW, {"precision": 0.6}),
    (
        "recall_at_precision_strict",
        "recall_at_precision",
        PLW,
        {"precision": 0.6, "strict_mode": True},
    ),
    ("recall_at_k", "streaming_recall_at_k", {"predictions": "scores", "labels": "cls"}, {"k": 2}),
    (
        "sparse_recall_at_k",
        "streaming_sparse_recall_at_k",
        {"predictions": "scores", "labels": "lab1", "weights": "w"},
        {"k": 2},
    ),
    (
        "sparse_recall_at_k_class",
        "streaming_sparse_recall_at_k",
        {"predictions": "scores", "labels": "lab1"},
        {"k": 3, "class_id": 1},
    ),
    (
        "sparse_precision_at_k",
        "streaming_sparse_precision_at_k",
        {"predictions": "scores", "labels": "lab1", "weights": "w"},
        {"k": 2},
    ),
    (
        "sparse_ap_at_k",
        "streaming_sparse_average_precision_at_k",
        {"predictions": "scores", "labels": "lab1", "weights": "w"},
        {"k": 3},
    ),
    (
        "sparse_precision_at_top_k",
        "streaming_sparse_precision_at_top_k",
        {"top_k_predictions": "topk", "labels": "lab1"},
        {},
    ),
    (
        "sparse_recall_at_top_k",
        "sparse_recall_at_top_k",
        {"top_k_predictions": "topk", "labels": "lab1"},
        {},
    ),
    (
        "sparse_ap_at_top_k",
        "streaming_sparse_average_precision_at_top_k",
        {"top_k_predictions": "topk", "labels": "lab1"},
        {},
    ),
    (
        "mean_iou",
        "streaming_mean_iou",
        {"predictions": "cls_pred", "labels": "cls", "weights": "w"},
        {"num_classes": C},
    ),
    (
        "mae",
        "streaming_mean_absolute_error",
        {"predictions": "p", "labels": "q", "weights": "w"},
        {},
    ),
    (
        "mse",
        "streaming_mean_squared_error",
        {"predictions": "p", "labels": "q", "weights": "w"},
        {},
    ),
    ("rmse", "streaming_root_mean_squared_error", {"predictions": "p", "labels": "q"}, {}),
    (
        "relative",
        "streaming_mean_relative_error",
        {"predictions": "p", "labels": "q", "normalizer": "nz", "weights": "w"},
        {},
    ),
    ("cosine", "streaming_mean_cosine_distance", {"predictions": "u1", "labels": "u2"}, {"dim": 1}),
    (
        "percentage_less",
        "streaming_percentage_less",
        {"values": "p", "weights": "w"},
        {"threshold": 0.4},
    ),
    ("covariance", "streaming_covariance", {"predictions": "p", "labels": "q", "weights": "w"}, {}),
    ("pearson", "streaming_pearson_correlation", {"predictions": "p", "labels": "q"}, {}),
    ("concat", "streaming_concat", {"values": "p"}, {}),
    ("count", "count", {"values": "p", "weights": "w"}, {}),
    (
        "cohen_kappa",
        "cohen_kappa",
        {"labels": "cls", "predictions_idx": "cls_pred"},
        {"num_classes": C},
    ),
    (
        "cohen_kappa_weighted",
        "cohen_kappa",
        {"labels": "cls", "predictions_idx": "cls_pred", "weights": "w"},
        {"num_classes": C},
    ),
]


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slim_metrics")
    data = _data()
    cases = [{"id": i, "fn": fn, "tensors": t, "literals": lit} for i, fn, t, lit in CASES]
    result = harness.run_runner(PEER, cases, tmp, arrays=data, timeout=300)
    return data, {meta["id"]: meta for meta in result.metas}


@pytest.fixture(scope="module")
def ours(peer):
    """Builds every case on KerasTensors in one graph and runs it batch by batch."""
    data, _ = peer
    results = {}
    with slim.Graph().as_default():
        for case_id, fn_name, tensors, literals in CASES:
            inputs = {
                arg: keras.Input(
                    shape=data[key].shape[2:],
                    batch_size=N,
                    dtype=str(data[key].dtype),
                    name=f"{case_id}_{arg}",
                )
                for arg, key in tensors.items()
            }
            before = {id(v) for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)}
            value, update = getattr(metrics, fn_name)(**inputs, **literals)
            names = [
                metrics.variable_name(v)
                for v in slim.get_collection(slim.GraphKeys.LOCAL_VARIABLES)
                if id(v) not in before
            ]
            model = keras.Model(list(inputs.values()), {"update": update, "value": value})
            for b in range(NB):
                out = model([data[key][b] for key in tensors.values()])
            results[case_id] = {"value": np.asarray(out["value"]), "vars": names}
    return results


@pytest.mark.parametrize("case_id", [c[0] for c in CASES])
def test_final_value_matches_tf_slim(peer, ours, case_id):
    expected = np.asarray(peer[1][case_id]["value"], dtype="float64")
    got = np.asarray(ours[case_id]["value"], dtype="float64")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=case_id)


@pytest.mark.parametrize("case_id", [c[0] for c in CASES])
def test_state_variable_names_match_tf_slim(peer, ours, case_id):
    assert ours[case_id]["vars"] == peer[1][case_id]["vars"]
