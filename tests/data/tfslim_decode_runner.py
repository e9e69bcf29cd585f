"""Decodes the shared cases with tf_slim 1.1.0 in TF1 graph mode (run as a subprocess).

``python tfslim_decode_runner.py EXAMPLES.pkl RESULT.pkl``: EXAMPLES.pkl holds
``{case: serialized}``; RESULT.pkl gets ``{(decoder, case): [value, ...]}`` (numpy, see
``data_decoder_cases.to_numpy``) or ``{(decoder, case): ('error', repr)}``.
"""

from __future__ import annotations

import os
import pickle
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(examples_path: str, result_path: str) -> None:
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    # Reference §0: the TF internals tf_slim 1.1.0 uses that TF 2.21 removed.
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import array_ops, control_flow_ops

    ops.Tensor = tf.Tensor
    control_flow_ops.cond = tf.compat.v1.cond
    control_flow_ops.case = tf.compat.v1.case
    array_ops.stack = tf.stack
    array_ops.unstack = tf.unstack
    from tf_slim.data import tfexample_decoder

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import data_decoder_cases as cases

    with open(examples_path, "rb") as f:
        examples = pickle.load(f)
    results = {}
    with tf.Graph().as_default():
        decoders = cases.build_decoders(tf, tfexample_decoder)
        fetches = {}
        for name, (decoder, items, case_names) in decoders.items():
            for case in case_names:
                try:
                    fetches[(name, case)] = decoder.decode(tf.constant(examples[case]), items)
                except Exception as e:  # noqa: BLE001 - reported to the test
                    results[(name, case)] = ("error", repr(e))
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.tables_initializer())
            for key, tensors in fetches.items():
                try:
                    values = sess.run(tensors)
                    results[key] = [cases.to_numpy(v) for v in values]
                except Exception as e:  # noqa: BLE001 - reported to the test
                    results[key] = ("error", repr(e))
    with open(result_path, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
