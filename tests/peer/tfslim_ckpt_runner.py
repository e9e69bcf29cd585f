"""tf_slim 1.1.0 side of the checkpoint interop tests (run as a subprocess).

``python tfslim_ckpt_runner.py WORKDIR``: reads ``WORKDIR/data.npz`` (``train_x``,
``train_y``, ``eval_x``) and ``WORKDIR/kslim/model.ckpt`` (written by kslim), then in
TF1 graph mode with tf_slim:

1. builds the tutorial lenet, trains it 3 steps with GradientDescent and saves
   ``WORKDIR/tfslim/model.ckpt-3`` with ``tf.compat.v1.train.Saver``; records its
   logits on ``eval_x``;
2. in a fresh graph, restores kslim's checkpoint with tf_slim's
   ``assign_from_checkpoint_fn`` and records those logits.

Writes ``WORKDIR/tfslim_out.npz`` (``trained_logits``, ``kslim_ckpt_logits``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the peer harness
from peer import harness  # noqa: E402


def lenet(slim, images):
    """The tutorial lenet built with ``slim`` (tf_slim here, kslim in the test)."""
    net = slim.conv2d(images, 20, [5, 5], scope="conv1")
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.conv2d(net, 50, [5, 5], scope="conv2")
    net = slim.max_pool2d(net, [2, 2], scope="pool2")
    net = slim.flatten(net, scope="flatten3")
    net = slim.fully_connected(net, 500, scope="fc4")
    return slim.fully_connected(net, 10, activation_fn=None, scope="fc5")


def main(workdir: str) -> int:
    import numpy as np

    tf, slim = harness.start_tf1()

    data = np.load(os.path.join(workdir, "data.npz"))
    out = {}
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(0)
        images = tf.compat.v1.placeholder(tf.float32, [None, 28, 28, 1])
        labels = tf.compat.v1.placeholder(tf.int32, [None])
        logits = lenet(slim, images)
        slim.losses.softmax_cross_entropy(logits, tf.one_hot(labels, 10))
        total_loss = slim.losses.get_total_loss()
        global_step = tf.compat.v1.train.get_or_create_global_step()
        optimizer = tf.compat.v1.train.GradientDescentOptimizer(0.05)
        train_op = slim.learning.create_train_op(total_loss, optimizer, global_step=global_step)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            feed = {images: data["train_x"], labels: data["train_y"]}
            for _ in range(3):
                sess.run(train_op, feed)
            prefix = os.path.join(workdir, "tfslim", "model.ckpt")
            saver.save(sess, prefix, global_step=global_step)
            out["trained_logits"] = sess.run(logits, {images: data["eval_x"]})
    with tf.Graph().as_default():
        images = tf.compat.v1.placeholder(tf.float32, [None, 28, 28, 1])
        logits = lenet(slim, images)
        init_fn = slim.assign_from_checkpoint_fn(
            os.path.join(workdir, "kslim", "model.ckpt"), slim.get_model_variables()
        )
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            init_fn(sess)
            out["kslim_ckpt_logits"] = sess.run(logits, {images: data["eval_x"]})
    np.savez(os.path.join(workdir, "tfslim_out.npz"), **out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
