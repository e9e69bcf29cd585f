"""Decoder parity with tf_slim 1.1.0: the same serialized Examples, the same tensors.

tf_slim runs once, in a subprocess (``peer.harness``: TF1 graph mode, reference §0's
patches), on every case of ``data_decoder_cases``; kslim decodes the same bytes eagerly
and inside a ``tf.data`` map (graph mode), and every item must match exactly.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import data_decoder_cases as cases
import numpy as np
import pytest
import tensorflow as tf
from peer import harness

from kslim.data import tfexample_decoder

pytestmark = pytest.mark.peer

RUNNER = Path(__file__).with_name("tfslim_decode_runner.py")


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    harness.require_tfslim()
    tmp = tmp_path_factory.mktemp("decoder_parity")
    examples = cases.build_examples(tf)
    with open(tmp / "examples.pkl", "wb") as f:
        pickle.dump(examples, f)
    harness.run_script(
        [RUNNER, tmp / "examples.pkl", tmp / "result.pkl"],
        what="tfslim_decode_runner",
        timeout=300,
    )
    with open(tmp / "result.pkl", "rb") as f:
        reference = pickle.load(f)
    return examples, reference, cases.build_decoders(tf, tfexample_decoder)


def _assert_same(got, expected, label):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple), f"{label}: kslim gave a dense value, tf_slim a sparse one"
        for g, e in zip(got[1:], expected[1:], strict=True):
            np.testing.assert_array_equal(g, e, err_msg=label)
        return
    assert not isinstance(got, tuple), f"{label}: kslim gave a sparse value"
    assert got.dtype == expected.dtype, f"{label}: dtype {got.dtype} != {expected.dtype}"
    assert got.shape == expected.shape, f"{label}: shape {got.shape} != {expected.shape}"
    np.testing.assert_array_equal(got, expected, err_msg=label)


def _param_ids():
    decoders = cases.build_decoders(tf, tfexample_decoder)
    return [(name, case) for name, (_, _, names) in decoders.items() for case in names]


@pytest.mark.parametrize(
    "decoder_name,case", _param_ids(), ids=[f"{n}-{c}" for n, c in _param_ids()]
)
def test_decode_matches_tf_slim_eagerly_and_in_tf_data(parity, decoder_name, case):
    examples, reference, decoders = parity
    expected = reference[(decoder_name, case)]
    assert not (isinstance(expected, tuple) and expected[0] == "error"), expected
    decoder, items, _ = decoders[decoder_name]

    eager = [cases.to_numpy(v) for v in decoder.decode(tf.constant(examples[case]), items)]
    in_graph = next(
        iter(
            tf.data.Dataset.from_tensors(examples[case]).map(
                lambda s: tuple(decoder.decode(s, items))
            )
        )
    )
    in_graph = [cases.to_numpy(v) for v in in_graph]
    for item, got_eager, got_graph, exp in zip(items, eager, in_graph, expected, strict=True):
        _assert_same(got_eager, exp, f"{decoder_name}/{case}/{item} (eager)")
        _assert_same(got_graph, exp, f"{decoder_name}/{case}/{item} (tf.data)")
