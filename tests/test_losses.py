"""kslim.losses: slim's formulas, reduction, argument order and LOSSES collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

RNG = np.random.RandomState(0)
PRED = RNG.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
LABELS = (RNG.uniform(size=(4, 3)) > 0.5).astype(np.float32)
LOGITS = RNG.randn(4, 3).astype(np.float32)
SPARSE = np.array([0, 2, 1, 2])
ONEHOT = np.eye(3, dtype=np.float32)[SPARSE]
W = np.array([1.0, 0.0, 2.0, 0.0], np.float32)


# ---------------------------------------------------------------- numpy slim
def np_weighted(losses, weights=1.0):
    """slim's compute_weighted_loss: Σ(w·l) / #non-zero-weighted elements."""
    losses = np.asarray(losses, np.float64)
    weights = np.asarray(weights, np.float64)
    if weights.ndim > 1 and weights.shape[-1] == 1:
        weights = weights[..., 0]
    reduced = losses.sum(axis=tuple(range(weights.ndim, losses.ndim)))
    total = (reduced * weights).sum()
    if weights.ndim == 0:
        present = 0.0 if weights == 0 else losses.size
    else:
        present = np.count_nonzero(weights) * np.prod(losses.shape[weights.ndim :])
    return 0.0 if present == 0 else total / present


def np_softmax_ce(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(labels * log_softmax).sum(axis=1)


def np_sigmoid_ce(logits, labels):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def np_pairwise(pred, labels, weights=1.0):
    diffs = (pred - labels).reshape(pred.shape[0], -1).astype(np.float64)
    weights = np.asarray(weights, np.float64)
    n = diffs.shape[1]
    if weights.ndim == 0:
        present = np.full(len(diffs), 0.0 if weights == 0 else n)
    else:
        present = (weights != 0) * n
    with np.errstate(divide="ignore", invalid="ignore"):
        term1 = np.where(present > 0, 2 * (diffs**2).sum(1) / present, 0.0)
        term2 = np.where(present > 0, 2 * diffs.sum(1) ** 2 / present**2, 0.0)
    return ((term1 - term2) * weights).sum()


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ------------------------------------------------------------ formula checks
def test_compute_weighted_loss_divides_by_number_of_nonzero_weights():
    losses = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    with slim.Graph().as_default():
        loss = slim.losses.compute_weighted_loss(losses, W)
    assert float(loss) == pytest.approx((1 * 1 + 2 * 3) / 2)


def test_compute_weighted_loss_broadcasts_weights_over_leading_dims():
    losses = np.arange(12, dtype=np.float32).reshape(4, 3)
    with slim.Graph().as_default():
        per_example = slim.losses.compute_weighted_loss(losses, W)
        column = slim.losses.compute_weighted_loss(losses, W[:, None])
    assert float(per_example) == pytest.approx(np_weighted(losses, W))
    assert float(per_example) == pytest.approx((0 + 1 + 2 + 2 * (6 + 7 + 8)) / 6)
    assert float(column) == pytest.approx(float(per_example))


def test_compute_weighted_loss_rejects_weights_of_higher_rank():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="weights"):
        slim.losses.compute_weighted_loss(np.ones(4, np.float32), np.ones((4, 3), np.float32))


def test_absolute_difference_matches_slim_formula():
    with slim.Graph().as_default():
        loss = slim.losses.absolute_difference(PRED, LABELS, weights=W)
    assert float(loss) == pytest.approx(np_weighted(np.abs(PRED - LABELS), W), rel=1e-6)


def test_mean_squared_error_matches_slim_formula_with_elementwise_weights():
    elementwise = LABELS + 0.5
    with slim.Graph().as_default():
        loss = slim.losses.mean_squared_error(PRED, LABELS, weights=elementwise)
    expected = np_weighted((PRED - LABELS) ** 2, elementwise)
    assert float(loss) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("weights", [1.0, 3.0, W])
def test_mean_pairwise_squared_error_is_summed_over_batch(weights):
    with slim.Graph().as_default():
        loss = slim.losses.mean_pairwise_squared_error(PRED, LABELS, weights=weights)
    assert float(loss) == pytest.approx(np_pairwise(PRED, LABELS, weights), rel=1e-5)


def test_mean_pairwise_squared_error_equals_mean_over_pairs_for_one_example():
    pred = np.array([[1.0, 2.0, 4.0]], np.float32)
    labels = np.array([[0.0, 0.0, 0.0]], np.float32)
    pairs = [(1 - 2) ** 2, (1 - 4) ** 2, (2 - 4) ** 2]
    # slim's formula counts ordered pairs and the zero self-pairs: Σ_ij (d_i-d_j)² / n².
    expected = 2 * sum(pairs) / 9
    with slim.Graph().as_default():
        loss = slim.losses.mean_pairwise_squared_error(pred, labels)
    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_log_loss_uses_epsilon_1e7_inside_logs():
    pred = np.array([[0.0, 1.0, 0.3]], np.float32)
    labels = np.array([[0.0, 1.0, 1.0]], np.float32)
    eps = 1e-7
    per = -labels * np.log(pred + eps) - (1 - labels) * np.log(1 - pred + eps)
    with slim.Graph().as_default():
        loss = slim.losses.log_loss(pred, labels)
        weighted = slim.losses.log_loss(PRED, LABELS, weights=W, epsilon=1e-3)
    assert float(loss) == pytest.approx(per.mean(), rel=1e-5)
    per_w = -LABELS * np.log(PRED + 1e-3) - (1 - LABELS) * np.log(1 - PRED + 1e-3)
    assert float(weighted) == pytest.approx(np_weighted(per_w, W), rel=1e-5)


def test_hinge_loss_is_unreduced_and_not_collected():
    with slim.Graph().as_default():
        loss = slim.losses.hinge_loss(LOGITS, LABELS)
        assert slim.losses.get_losses() == []
    expected = np.maximum(0.0, 1 - (2 * LABELS - 1) * LOGITS)
    np.testing.assert_allclose(np.asarray(loss), expected, rtol=1e-6)


def test_cosine_distance_reduces_over_axis_then_weights():
    pred, labels = unit(PRED), unit(LABELS + 0.1)
    with slim.Graph().as_default():
        loss = slim.losses.cosine_distance(pred, labels, axis=1, weights=W)
    expected = np_weighted(1 - (pred * labels).sum(axis=1), W)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_cosine_distance_requires_axis():
    with slim.Graph().as_default(), pytest.raises(ValueError) as err:
        slim.losses.cosine_distance(PRED, LABELS)
    assert str(err.value) == "You must specify 'axis'."


def test_cosine_distance_accepts_deprecated_dim():
    pred, labels = unit(PRED), unit(LABELS + 0.1)
    with slim.Graph().as_default():
        with_dim = slim.losses.cosine_distance(pred, labels, dim=1)
        with_axis = slim.losses.cosine_distance(pred, labels, axis=1)
        with pytest.raises(ValueError, match="axis.*dim"):
            slim.losses.cosine_distance(pred, labels, axis=1, dim=1)
    assert float(with_dim) == pytest.approx(float(with_axis))


def test_sigmoid_cross_entropy_label_smoothing_towards_one_half():
    ls = 0.2
    smoothed = LABELS * (1 - ls) + 0.5 * ls
    with slim.Graph().as_default():
        loss = slim.losses.sigmoid_cross_entropy(LOGITS, LABELS, weights=W, label_smoothing=ls)
        plain = slim.losses.sigmoid_cross_entropy(LOGITS, LABELS)
    assert float(loss) == pytest.approx(np_weighted(np_sigmoid_ce(LOGITS, smoothed), W), rel=1e-5)
    assert float(plain) == pytest.approx(np_sigmoid_ce(LOGITS, LABELS).mean(), rel=1e-5)


def test_softmax_cross_entropy_weights_1020_divide_by_two():
    per = np_softmax_ce(LOGITS, ONEHOT)
    with slim.Graph().as_default():
        loss = slim.losses.softmax_cross_entropy(LOGITS, ONEHOT, weights=W)
    assert float(loss) == pytest.approx((1 * per[0] + 2 * per[2]) / 2, rel=1e-5)


def test_softmax_cross_entropy_label_smoothing_towards_uniform():
    ls = 0.1
    smoothed = ONEHOT * (1 - ls) + ls / 3
    with slim.Graph().as_default():
        loss = slim.losses.softmax_cross_entropy(LOGITS, ONEHOT, label_smoothing=ls)
    assert float(loss) == pytest.approx(np_softmax_ce(LOGITS, smoothed).mean(), rel=1e-5)


def test_softmax_cross_entropy_rejects_mismatched_shapes():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="onehot_labels"):
        slim.losses.softmax_cross_entropy(LOGITS, ONEHOT[:, :2])


@pytest.mark.parametrize("labels", [SPARSE, SPARSE[:, None]], ids=["B", "Bx1"])
def test_sparse_softmax_cross_entropy_accepts_b_and_b1_labels(labels):
    with slim.Graph().as_default():
        loss = slim.losses.sparse_softmax_cross_entropy(LOGITS, labels, weights=W)
    expected = np_weighted(np_softmax_ce(LOGITS, ONEHOT), W)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "make_loss",
    [
        lambda w: slim.losses.absolute_difference(PRED, LABELS, weights=w),
        lambda w: slim.losses.mean_squared_error(PRED, LABELS, weights=w),
        lambda w: slim.losses.log_loss(PRED, LABELS, weights=w),
        lambda w: slim.losses.sigmoid_cross_entropy(LOGITS, LABELS, weights=w),
        lambda w: slim.losses.softmax_cross_entropy(LOGITS, ONEHOT, weights=w),
        lambda w: slim.losses.sparse_softmax_cross_entropy(LOGITS, SPARSE, weights=w),
        lambda w: slim.losses.mean_pairwise_squared_error(PRED, LABELS, weights=w),
    ],
    ids=["abs", "mse", "log", "sigmoid", "softmax", "sparse", "pairwise"],
)
def test_scalar_weight_zero_gives_zero_and_scalar_weight_scales(make_loss):
    with slim.Graph().as_default():
        zero = make_loss(0.0)
        one = make_loss(1.0)
        three = make_loss(3.0)
    assert float(zero) == 0.0
    assert float(three) == pytest.approx(3 * float(one), rel=1e-5)


def test_losses_accept_tensor_weights_eagerly():
    with slim.Graph().as_default():
        loss = slim.losses.softmax_cross_entropy(
            tf.constant(LOGITS), tf.constant(ONEHOT), weights=tf.constant(W)
        )
    assert float(loss) == pytest.approx(np_weighted(np_softmax_ce(LOGITS, ONEHOT), W), rel=1e-5)


def test_losses_work_inside_tf_function():
    @tf.function
    def compute(logits, labels, weights):
        return slim.losses.sparse_softmax_cross_entropy(logits, labels, weights=weights)

    with slim.Graph().as_default():
        loss = compute(tf.constant(LOGITS), tf.constant(SPARSE), tf.constant(W))
    assert float(loss) == pytest.approx(np_weighted(np_softmax_ce(LOGITS, ONEHOT), W), rel=1e-5)


# ------------------------------------------------------------ KerasTensors
def test_losses_on_keras_tensors_are_graph_nodes_of_a_model():
    with slim.Graph().as_default():
        logits = keras.Input((3,), name="logits")
        onehot = keras.Input((3,), name="onehot")
        weights = keras.Input((), name="weights")
        pred = keras.Input((3,), name="pred")
        labels = keras.Input((3,), name="labels")
        outputs = [
            slim.losses.softmax_cross_entropy(logits, onehot, weights=weights),
            slim.losses.sigmoid_cross_entropy(logits, labels, label_smoothing=0.2),
            slim.losses.absolute_difference(pred, labels, weights=W),
            slim.losses.mean_squared_error(pred, labels),
            slim.losses.log_loss(pred, labels),
            slim.losses.mean_pairwise_squared_error(pred, labels, weights=weights),
            slim.losses.cosine_distance(pred, labels, axis=1),
            slim.losses.hinge_loss(logits, labels),
        ]
        assert all(isinstance(o, keras.KerasTensor) for o in outputs)
        assert len(slim.losses.get_losses()) == 7
        model = keras.Model([logits, onehot, weights, pred, labels], outputs)
    values = model([LOGITS, ONEHOT, W, PRED, LABELS])
    smoothed = LABELS * 0.8 + 0.1
    expected = [
        np_weighted(np_softmax_ce(LOGITS, ONEHOT), W),
        np_sigmoid_ce(LOGITS, smoothed).mean(),
        np_weighted(np.abs(PRED - LABELS), W),
        ((PRED - LABELS) ** 2).mean(),
        (-LABELS * np.log(PRED + 1e-7) - (1 - LABELS) * np.log(1 - PRED + 1e-7)).mean(),
        np_pairwise(PRED, LABELS, W),
        (1 - (PRED * LABELS).sum(axis=1)).mean(),
    ]
    for got, want in zip(values[:7], expected, strict=True):
        assert float(got) == pytest.approx(want, rel=1e-5)
    np.testing.assert_allclose(
        np.asarray(values[7]), np.maximum(0, 1 - (2 * LABELS - 1) * LOGITS), rtol=1e-6
    )


def test_sparse_softmax_cross_entropy_on_keras_tensors_with_int_labels():
    with slim.Graph().as_default():
        logits = keras.Input((3,))
        labels = keras.Input((1,), dtype="int32")
        loss = slim.losses.sparse_softmax_cross_entropy(logits, labels)
        model = keras.Model([logits, labels], loss)
    got = model([LOGITS, SPARSE[:, None].astype(np.int32)])
    assert float(got) == pytest.approx(np_softmax_ce(LOGITS, ONEHOT).mean(), rel=1e-5)


def test_loss_graph_saves_and_loads_as_keras_file(tmp_path):
    with slim.Graph().as_default():
        logits = keras.Input((3,))
        onehot = keras.Input((3,))
        loss = slim.losses.softmax_cross_entropy(logits, onehot, weights=W, label_smoothing=0.1)
        model = keras.Model([logits, onehot], loss)
    path = str(tmp_path / "loss.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert float(restored([LOGITS, ONEHOT])) == pytest.approx(float(model([LOGITS, ONEHOT])))


# ------------------------------------------------------------- collections
def test_every_reduced_loss_is_added_to_losses_collection():
    with slim.Graph().as_default():
        a = slim.losses.absolute_difference(PRED, LABELS)
        b = slim.losses.softmax_cross_entropy(LOGITS, ONEHOT)
        slim.losses.hinge_loss(LOGITS, LABELS)
        collected = slim.losses.get_losses()
        assert collected == slim.get_collection(slim.GraphKeys.LOSSES)
    assert len(collected) == 2
    assert collected[0] is a and collected[1] is b


def test_loss_names_follow_slim_name_scopes():
    with slim.Graph().as_default():
        first = slim.losses.softmax_cross_entropy(LOGITS, ONEHOT)
        second = slim.losses.softmax_cross_entropy(LOGITS, ONEHOT)
        named = slim.losses.mean_squared_error(PRED, LABELS, scope="mse")
    assert first.op_name == "softmax_cross_entropy_loss/value"
    assert second.op_name == "softmax_cross_entropy_loss_1/value"
    assert named.op_name == "mse/value"


def test_get_losses_filters_by_scope_prefix():
    with slim.Graph().as_default():
        x = keras.Input((3,))
        y = keras.Input((3,))
        slim.losses.mean_squared_error(x, y, scope="tower0")
        slim.losses.mean_squared_error(x, y, scope="tower1")
        slim.losses.absolute_difference(PRED, LABELS, scope="tower0_extra")
        assert len(slim.losses.get_losses(scope="tower0")) == 2
        assert len(slim.losses.get_losses(scope="tower1")) == 1
        assert slim.losses.get_losses(scope="tower2") == []


def test_add_loss_respects_loss_collection_and_arg_scope():
    with slim.Graph().as_default():
        custom = tf.constant(2.0)
        slim.losses.add_loss(custom)
        slim.losses.add_loss(custom, loss_collection="mine")
        slim.losses.add_loss(custom, loss_collection=None)
        with slim.arg_scope([slim.losses.add_loss], loss_collection="scoped"):
            slim.losses.add_loss(custom)
        assert slim.losses.get_losses() == [custom]
        assert slim.losses.get_losses(loss_collection="mine") == [custom]
        assert slim.losses.get_losses(loss_collection="scoped") == [custom]


def test_get_total_loss_adds_conv_l2_regularization_on_keras_graph():
    with slim.Graph().as_default():
        images = keras.Input((4, 4, 1))
        onehot = keras.Input((2,))
        net = slim.conv2d(
            images,
            2,
            [3, 3],
            scope="conv1",
            weights_regularizer=slim.l2_regularizer(0.5),
            weights_initializer=tf.compat.v1.constant_initializer(0.1),
        )
        logits = slim.fully_connected(slim.flatten(net), 2, activation_fn=None, scope="fc")
        ce = slim.losses.softmax_cross_entropy(logits, onehot)
        assert len(slim.losses.get_regularization_losses()) == 1
        total = slim.losses.get_total_loss()
        without = slim.losses.get_total_loss(add_regularization_losses=False)
        model = keras.Model([images, onehot], [ce, total, without])
    x = np.random.RandomState(1).rand(2, 4, 4, 1).astype(np.float32)
    y = np.eye(2, dtype=np.float32)
    ce_v, total_v, without_v = (float(v) for v in model([x, y]))
    penalty = 0.5 * (0.1**2) * (3 * 3 * 1 * 2) / 2
    assert total_v == pytest.approx(ce_v + penalty, rel=1e-5)
    assert without_v == pytest.approx(ce_v, rel=1e-6)


def test_get_total_loss_adds_regularization_eagerly():
    with slim.Graph().as_default():
        images = tf.ones((1, 4, 4, 1))
        net = slim.conv2d(
            images,
            2,
            [3, 3],
            scope="conv1",
            weights_regularizer=slim.l2_regularizer(0.5),
            weights_initializer=tf.compat.v1.constant_initializer(0.1),
        )
        mse = slim.losses.mean_squared_error(net, tf.zeros_like(net))
        total = slim.losses.get_total_loss()
    assert float(total) == pytest.approx(float(mse) + 0.5 * 0.01 * 18 / 2, rel=1e-5)


def test_get_total_loss_without_losses_names_the_problem_and_slims_error():
    with slim.Graph().as_default(), pytest.raises(ValueError) as err:
        slim.losses.get_total_loss()
    assert str(err.value).startswith("get_total_loss: the graph has no losses")
    assert (
        "Inputs must be an iterable of at least one Tensor/IndexedSlices with the same dtype "
        "and shape." in str(err.value)
    )


def test_losses_reject_missing_labels_and_weights():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="labels"):
            slim.losses.mean_squared_error(PRED)
        with pytest.raises(ValueError, match="weights"):
            slim.losses.absolute_difference(PRED, LABELS, weights=None)
        with pytest.raises(ValueError, match="labels shape"):
            slim.losses.sparse_softmax_cross_entropy(LOGITS, ONEHOT)


# --------------------------------------------------------------- parity
_PEER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    import tf_slim as slim
    d = {k: np.asarray(v, np.float32) for k, v in json.loads(sys.stdin.read()).items()}
    C = tf.constant
    losses = slim.losses
    out = [
        losses.absolute_difference(C(d["p"]), C(d["l"]), weights=d["w"]),
        losses.mean_squared_error(C(d["p"]), C(d["l"]), weights=d["l"] + 0.5),
        losses.mean_pairwise_squared_error(C(d["p"]), C(d["l"]), weights=d["w"]),
        losses.log_loss(C(d["p"]), C(d["l"]), weights=d["w"]),
        losses.cosine_distance(C(d["p"]), C(d["l"]), axis=1, weights=d["w"]),
        losses.sigmoid_cross_entropy(C(d["z"]), C(d["l"]), weights=d["w"], label_smoothing=0.2),
        losses.softmax_cross_entropy(C(d["z"]), C(d["o"]), weights=d["w"], label_smoothing=0.1),
        losses.sparse_softmax_cross_entropy(C(d["z"]), C(d["s"].astype(np.int64)), weights=2.0),
        losses.absolute_difference(C(d["p"]), C(d["l"]), weights=np.float32([2.0])),
    ]
    with tf.compat.v1.Session() as sess:
        print(json.dumps([float(v) for v in sess.run(out)]))
    """
)


@pytest.mark.peer
def test_losses_match_tf_slim_run_in_subprocess():
    pytest.importorskip("tf_slim")
    data = {"p": PRED, "l": LABELS, "w": W, "z": LOGITS, "o": ONEHOT, "s": SPARSE[:, None]}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, "-c", _PEER_SCRIPT],
        input=json.dumps({k: v.tolist() for k, v in data.items()}),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    expected = json.loads(proc.stdout.strip().splitlines()[-1])
    with slim.Graph().as_default():
        losses = slim.losses
        got = [
            losses.absolute_difference(PRED, LABELS, weights=W),
            losses.mean_squared_error(PRED, LABELS, weights=LABELS + 0.5),
            losses.mean_pairwise_squared_error(PRED, LABELS, weights=W),
            losses.log_loss(PRED, LABELS, weights=W),
            losses.cosine_distance(PRED, LABELS, axis=1, weights=W),
            losses.sigmoid_cross_entropy(LOGITS, LABELS, weights=W, label_smoothing=0.2),
            losses.softmax_cross_entropy(LOGITS, ONEHOT, weights=W, label_smoothing=0.1),
            losses.sparse_softmax_cross_entropy(LOGITS, SPARSE[:, None], weights=2.0),
            losses.absolute_difference(PRED, LABELS, weights=np.float32([2.0])),
        ]
    np.testing.assert_allclose([float(v) for v in got], expected, rtol=1e-5)
