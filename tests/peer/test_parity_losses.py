"""Parity of kslim.losses with tf_slim 1.1.0's losses (run in a subprocess).

Same inputs, same weights (scalar, per example, per element, with zeros, all zero),
label smoothing; the loss values, the LOSSES collection and ``get_total_loss`` must
agree. The tutorial's LeNet inside its ``arg_scope`` must give the same variables and
the same total loss (cross-entropy + two L2 terms) on the same weights and batch.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from .conftest import Case, check_case, randn

pytestmark = pytest.mark.peer

B, K = 4, 5
LOGITS = randn(B, K, seed=30)
CLASSES = np.array([0, 3, 1, 4], np.int32)
ONEHOT = np.eye(K, dtype=np.float32)[CLASSES]
MULTI = (randn(B, K, seed=31) > 0).astype(np.float32)
PRED = randn(B, 3, seed=32)
TARGET = randn(B, 3, seed=33)
PROBS = 1.0 / (1.0 + np.exp(-randn(B, 3, seed=34)))
BINARY = (randn(B, 3, seed=35) > 0).astype(np.float32)
W_EXAMPLE = np.array([1.0, 0.5, 2.0, 3.0], np.float32)
W_ZEROS = np.array([1.0, 0.0, 2.0, 0.0], np.float32)
W_COLUMN = W_ZEROS[:, None]
W_ELEMENT = np.abs(randn(B, 3, seed=36)) * (randn(B, 3, seed=37) > -0.5)
W_ALL_ZERO = np.zeros(B, np.float32)


def _unit(a):
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


UNIT_P = _unit(PRED)
UNIT_L = _unit(TARGET)

CE_INPUTS = {"logits": LOGITS, "onehot": ONEHOT}
REG_INPUTS = {"pred": PRED, "target": TARGET}


def _loss(id, code, inputs, requires=(), **kwargs):
    """A loss case: ``loss`` is compared, and ``n`` = number of LOSSES after the call."""
    code = code + "\nn = len(slim.losses.get_losses())"
    return Case(
        id=id,
        code=code,
        inputs=inputs,
        outputs=("loss", "n"),
        mode="eager",
        requires=("losses." + requires,) if isinstance(requires, str) else requires,
        **kwargs,
    )


def _weighted(fn, call, inputs, extra=None):
    """Cases of one loss fn over the standard weight variants."""
    variants = {
        "default": "",
        "scalar_weight": ", weights=2.5",
        "zero_scalar_weight": ", weights=0.0",
        "per_example_weights": ", weights=w",
        "weights_with_zeros": ", weights=wz",
        "column_weights": ", weights=wc",
        "all_zero_weights": ", weights=w0",
    }
    variants.update(extra or {})
    ws = {"w": W_EXAMPLE, "wz": W_ZEROS, "wc": W_COLUMN, "w0": W_ALL_ZERO}
    cases = []
    for name, arg in variants.items():
        used = {k: v for k, v in ws.items() if re.search(rf"={k}\b", arg)}
        cases.append(
            _loss(
                f"{fn}_{name}",
                f"loss = slim.losses.{fn}({call}{arg})",
                {**inputs, **used},
                requires=fn,
            )
        )
    return cases


CASES = [
    *_weighted(
        "softmax_cross_entropy",
        "logits, onehot",
        CE_INPUTS,
        {
            "label_smoothing": ", label_smoothing=0.1",
            "label_smoothing_weights": ", weights=wz, label_smoothing=0.2",
        },
    ),
    *_weighted(
        "sparse_softmax_cross_entropy",
        "logits, labels",
        {"logits": LOGITS, "labels": CLASSES},
    ),
    _loss(
        "sparse_softmax_cross_entropy_column_labels",
        "loss = slim.losses.sparse_softmax_cross_entropy(logits, tf.reshape(labels, [-1, 1]),"
        " weights=w)",
        {"logits": LOGITS, "labels": CLASSES, "w": W_EXAMPLE},
        requires="sparse_softmax_cross_entropy",
    ),
    *_weighted(
        "sigmoid_cross_entropy",
        "logits, multi",
        {"logits": LOGITS, "multi": MULTI},
        {
            "label_smoothing": ", label_smoothing=0.2",
            "element_weights_label_smoothing": ", weights=we5, label_smoothing=0.1",
        },
    ),
    *_weighted("absolute_difference", "pred, target", REG_INPUTS, {"element": ", weights=we"}),
    *_weighted("mean_squared_error", "pred, target", REG_INPUTS, {"element": ", weights=we"}),
    *_weighted("mean_pairwise_squared_error", "pred, target", REG_INPUTS),
    *_weighted(
        "log_loss",
        "probs, binary",
        {"probs": PROBS, "binary": BINARY},
        {"element": ", weights=we", "epsilon": ", epsilon=1e-3, weights=wz"},
    ),
    *_weighted("cosine_distance", "up, ul, axis=1", {"up": UNIT_P, "ul": UNIT_L}),
    _loss(
        "cosine_distance_deprecated_dim",
        "loss = slim.losses.cosine_distance(up, ul, dim=1, weights=wc)",
        {"up": UNIT_P, "ul": UNIT_L, "wc": W_COLUMN},
        requires="cosine_distance",
    ),
    _loss(
        "cosine_distance_requires_axis",
        "loss = slim.losses.cosine_distance(up, ul)",
        {"up": UNIT_P, "ul": UNIT_L},
        requires="cosine_distance",
        expect_error="ValueError",
    ),
    _loss(
        "hinge_loss_unreduced_not_collected",
        "loss = slim.losses.hinge_loss(pred, binary)",
        {"pred": PRED, "binary": BINARY},
        requires="hinge_loss",
    ),
    *_weighted("compute_weighted_loss", "target", {"target": np.abs(TARGET)}),
    _loss(
        "compute_weighted_loss_element_weights",
        "loss = slim.losses.compute_weighted_loss(target, weights=we)",
        {"target": np.abs(TARGET)},
        requires="compute_weighted_loss",
    ),
    _loss(
        "total_loss_sums_collected_losses",
        "a = slim.losses.softmax_cross_entropy(logits, onehot, weights=wz)\n"
        "b = slim.losses.mean_squared_error(pred, target, weights=3.0)\n"
        "loss = [slim.losses.get_total_loss(), slim.losses.get_total_loss(False), a, b]",
        {**CE_INPUTS, **REG_INPUTS, "wz": W_ZEROS},
        requires=("losses.softmax_cross_entropy", "losses.mean_squared_error"),
    ),
    _loss(
        "total_loss_without_losses_raises",
        "loss = slim.losses.get_total_loss()",
        {},
        requires="get_total_loss",
        expect_error="ValueError",
    ),
]

# Element weights for the loss cases that take them (weights shaped like the losses).
for _c in CASES:
    if "weights=we," in _c.code or "weights=we)" in _c.code:
        _c.inputs["we"] = W_ELEMENT.astype(np.float32)
    if "weights=we5" in _c.code:
        _c.inputs["we5"] = np.abs(randn(B, K, seed=38)) * (randn(B, K, seed=39) > -0.5)

# The same losses on KerasTensors (a functional graph, weights as a model input).
CASES += [
    dataclasses.replace(c, id=c.id.replace("_weights_with_zeros", "_symbolic"), mode="symbolic")
    for c in list(CASES)
    if c.id.endswith("_weights_with_zeros")
]

# The tutorial's LeNet inside its arg_scope: same variables, same total loss.
LENET = """
def lenet(images):
    net = slim.conv2d(images, 20, [5, 5], scope='conv1')
    net = slim.max_pool2d(net, [2, 2], scope='pool1')
    net = slim.conv2d(net, 50, [5, 5], scope='conv2')
    net = slim.max_pool2d(net, [2, 2], scope='pool2')
    net = slim.flatten(net, scope='flatten3')
    net = slim.fully_connected(net, 500, scope='fc4')
    net = slim.fully_connected(net, 10, activation_fn=None, scope='fc5')
    return net

with slim.arg_scope([slim.conv2d], padding='SAME',
                    weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.01),
                    weights_regularizer=slim.l2_regularizer(0.0005)):
    predictions = lenet(images)
slim.losses.softmax_cross_entropy(predictions, one_hot_labels)
total_loss = slim.losses.get_total_loss()
regularization = slim.losses.get_regularization_losses()
"""
_LENET_LABELS = np.eye(10, dtype=np.float32)[[3, 1, 4, 1]]
CASES += [
    Case(
        "tutorial_lenet_arg_scope_total_loss",
        LENET,
        inputs={"images": randn(4, 28, 28, 1, seed=40), "one_hot_labels": _LENET_LABELS},
        outputs=("predictions", "total_loss", "regularization"),
        ordered_variables=True,
        atol=1e-9,
    ),
    Case(
        "tutorial_lenet_larger_weights_total_loss",
        LENET.replace("stddev=0.01", "stddev=0.2").replace("0.0005", "0.05"),
        inputs={"images": randn(4, 28, 28, 1, seed=41), "one_hot_labels": _LENET_LABELS},
        outputs=("total_loss", "regularization"),
        ordered_variables=True,
        atol=1e-7,
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_loss_matches_tf_slim(case, peer_results):
    check_case(case, peer_results)
