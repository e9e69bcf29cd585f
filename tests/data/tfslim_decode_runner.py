"""Decodes the shared cases with tf_slim 1.1.0 in TF1 graph mode (run as a subprocess).

``python tfslim_decode_runner.py EXAMPLES.pkl RESULT.pkl`` (``peer.harness.run_script``;
pickles, not the harness's JSON/npz exchange: the values are sparse tuples and bytes):
EXAMPLES.pkl holds ``{case: serialized}``; RESULT.pkl gets ``{(decoder, case): [value,
...]}`` (numpy, see ``data_decoder_cases.to_numpy``) or ``{(decoder, case): ('error',
repr)}``.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the peer harness
sys.path.insert(0, str(HERE))
import data_decoder_cases as cases  # noqa: E402
from peer import harness  # noqa: E402


def main(examples_path: str, result_path: str) -> None:
    """Decodes every case of ``examples_path`` with tf_slim; pickles the results."""
    tf, _ = harness.start_tf1()
    from tf_slim.data import tfexample_decoder

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
