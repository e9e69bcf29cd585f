"""Runs tf_slim 1.1.0 metrics in TF1 graph mode (a subprocess of the parity test).

``python _slim_peer.py REQUEST.json RESULT.npz`` (``peer.harness.run_runner``): each case
names a ``tf_slim.metrics`` function, its tensor arguments (keys into the request's
arrays, one array per batch stacked on axis 0) and its literal arguments. All cases are
built in one graph; every case's update runs on each batch, then its value is read. The
result's metas are ``{"id", "value", "vars"}`` per case.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the peer harness
from peer import harness  # noqa: E402


def main(argv: list[str]) -> int:
    """``_slim_peer.py REQUEST.json RESULT.npz``: runs every metric of the request."""
    import numpy as np

    request = harness.read_request(argv[1])
    tf, slim = harness.start_tf1()
    data = request.arrays
    built = []
    for case in request.cases:
        fn = getattr(slim.metrics, case["fn"])
        feeds = {}
        kwargs = dict(case.get("literals", {}))
        for arg, key in case["tensors"].items():
            array = data[key]
            ph = tf.compat.v1.placeholder(tf.as_dtype(array.dtype), array.shape[1:], name=key)
            feeds[ph] = key
            kwargs[arg] = ph
        before = {v.op.name for v in tf.compat.v1.local_variables()}
        value, update = fn(**kwargs)
        new = [v.op.name for v in tf.compat.v1.local_variables() if v.op.name not in before]
        built.append((case["id"], value, update, feeds, new))
    metas = []
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.local_variables_initializer())
        for case_id, value, update, feeds, new in built:
            nb = data[next(iter(feeds.values()))].shape[0]
            for b in range(nb):
                feed = {ph: data[key][b] for ph, key in feeds.items()}
                sess.run(update, feed)
            # Some values carry control dependencies on the inputs (dynamic_auc's
            # label checks): feeding the last batch again does not update state.
            value = np.asarray(sess.run(value, feed)).tolist()
            metas.append({"id": case_id, "value": value, "vars": new})
    harness.write_result(argv[2], metas, {})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
