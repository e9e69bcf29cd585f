"""Training parity with tf_slim 1.1.0 (TF1 graph mode, in a subprocess).

(a) The tutorial's LeNet (arg_scope, l2 regularizer on the convolutions,
softmax_cross_entropy, get_total_loss, create_train_op, learning.train) trained by
tf_slim and by kslim from the same initial weights on the same fixed list of batches
gives the same per-step total losses (1e-4 relative) for 20 steps, with RMSProp
(0.001, 0.9) as in the tutorial, Adam, Momentum and GradientDescent. tf_slim's losses
come from a custom ``train_step_fn``; kslim's from a callback reading each chunk's
per-step losses (log_every_n_steps=1).
(b) tf_slim's ``assign_from_checkpoint_fn`` restores the model variables from a kslim
*training* checkpoint (which also holds optimizer slots and kslim's callback state) and
tf_slim's LeNet then computes the same logits as the trained kslim model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

# LeNet x 4 optimizers x 2 implementations: slow on a small CPU machine.
pytestmark = pytest.mark.peer

PEER_DIR = Path(__file__).resolve().parents[1] / "peer"
STEPS, BATCH = 20, 8
OPTIMIZERS = {
    "rmsprop": "train.RMSPropOptimizer(0.001, 0.9)",
    "adam": "train.AdamOptimizer(0.001)",
    "momentum": "train.MomentumOptimizer(0.01, 0.9)",
    "gradient_descent": "train.GradientDescentOptimizer(0.05)",
}
SHAPES = {
    "conv1/weights": (5, 5, 1, 20),
    "conv1/biases": (20,),
    "conv2/weights": (5, 5, 20, 50),
    "conv2/biases": (50,),
    "fc4/weights": (7 * 7 * 50, 500),
    "fc4/biases": (500,),
    "fc5/weights": (500, 10),
    "fc5/biases": (10,),
}

LENET = textwrap.dedent(
    """
    def lenet(images):
        net = slim.conv2d(images, 20, [5, 5], scope="conv1")
        net = slim.max_pool2d(net, [2, 2], scope="pool1")
        net = slim.conv2d(net, 50, [5, 5], scope="conv2")
        net = slim.max_pool2d(net, [2, 2], scope="pool2")
        net = slim.flatten(net, scope="flatten3")
        net = slim.fully_connected(net, 500, scope="fc4")
        net = slim.fully_connected(net, 10, activation_fn=None, scope="fc5")
        return net

    def model(images):
        with slim.arg_scope([slim.conv2d], padding="SAME",
                            weights_initializer=tf.compat.v1.truncated_normal_initializer(
                                stddev=0.01),
                            weights_regularizer=slim.l2_regularizer(0.0005)):
            return lenet(images)
    """
)

_PEER = LENET + textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    sys.path.insert(0, sys.argv[1])
    from harness import patch_tensorflow
    patch_tensorflow(tf)
    import tf_slim as slim
    train = tf.compat.v1.train

    request = json.loads(sys.argv[2])
    data = np.load(request["arrays"])
    images, labels = data["images"], data["labels"]  # [steps, batch, ...]
    result = {}
    for name, expression in request["optimizers"].items():
        graph = tf.Graph()
        with graph.as_default():
            batches = tf.compat.v1.data.make_one_shot_iterator(
                tf.data.Dataset.from_tensor_slices((images, labels))).get_next()
            logits = model(batches[0])
            slim.losses.softmax_cross_entropy(logits, batches[1])
            total_loss = slim.losses.get_total_loss()
            optimizer = eval(expression)
            train_op = slim.learning.create_train_op(total_loss, optimizer)
            assigns = [v.assign(data["init/" + v.op.name]) for v in slim.get_model_variables()]
            losses = []

            def train_step_fn(sess, train_op, global_step, kwargs):
                loss, should_stop = slim.learning.train_step(sess, train_op, global_step,
                                                             kwargs)
                losses.append(float(loss))
                return loss, should_stop

            slim.learning.train(train_op, None, train_step_fn=train_step_fn,
                                number_of_steps=len(images), log_every_n_steps=0,
                                init_fn=lambda sess: sess.run(assigns))
        result[name] = losses
    graph = tf.Graph()
    with graph.as_default():
        logits = model(tf.constant(data["eval_images"]))
        init_fn = slim.assign_from_checkpoint_fn(request["checkpoint"],
                                                 slim.get_model_variables())
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            init_fn(sess)
            result["logits"] = sess.run(logits).tolist()
    print("RESULT" + json.dumps(result))
    """
)


def _arrays():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(STEPS, BATCH, 28, 28, 1)).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, (STEPS, BATCH))]
    init = {}
    for name, shape in SHAPES.items():
        scale = 0.05 if name.endswith("weights") else 0.01
        init[name] = np.clip(rng.normal(scale=scale, size=shape), -2 * scale, 2 * scale).astype(
            np.float32
        )
    eval_images = rng.uniform(size=(4, 28, 28, 1)).astype(np.float32)
    return images, labels, init, eval_images


def _kslim_train(expression, images, labels, init, logdir=None):
    namespace = {"slim": slim, "tf": tf}
    exec(LENET, namespace)  # noqa: S102 - the shared tutorial model code
    losses = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.extend(np.asarray(logs["step_losses"]).reshape(-1).tolist())

    def init_fn(model):
        for v in model.weights:
            v.assign(init[v.path])

    flat = (images.reshape((-1, 28, 28, 1)), labels.reshape((-1, 10)))
    with slim.Graph().as_default():
        dataset = tf.data.Dataset.from_tensor_slices(flat).batch(BATCH)
        batch_images, batch_labels = slim.data.inputs(dataset)
        logits = namespace["model"](batch_images)
        slim.losses.softmax_cross_entropy(logits, batch_labels)
        total_loss = slim.losses.get_total_loss()
        optimizer = eval(expression, {"train": tf.compat.v1.train})  # noqa: S307
        train_op = slim.learning.create_train_op(total_loss, optimizer)
        slim.learning.train(
            train_op,
            logdir,
            number_of_steps=STEPS,
            log_every_n_steps=1,
            init_fn=init_fn,
            callbacks=[Record()],
        )
        predict = keras.Model(batch_images, logits)
    return losses, predict


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parity_training")
    images, labels, init, eval_images = _arrays()
    kslim_losses, kslim_logits = {}, None
    for name, expression in OPTIMIZERS.items():
        logdir = str(tmp / "kslim_logdir") if name == "rmsprop" else None
        kslim_losses[name], predict = _kslim_train(expression, images, labels, init, logdir)
        if name == "rmsprop":
            kslim_logits = np.asarray(predict(eval_images))
    checkpoint = tf.train.latest_checkpoint(str(tmp / "kslim_logdir"))
    arrays_path = tmp / "arrays.npz"
    np.savez(
        arrays_path,
        images=images,
        labels=labels,
        eval_images=eval_images,
        **{"init/" + k: v for k, v in init.items()},
    )
    request = {"arrays": str(arrays_path), "optimizers": OPTIMIZERS, "checkpoint": checkpoint}
    proc = subprocess.run(
        [sys.executable, "-c", _PEER, str(PEER_DIR), json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    peer = json.loads(line[len("RESULT") :])
    return {
        "kslim": kslim_losses,
        "kslim_logits": kslim_logits,
        "peer": peer,
        "checkpoint": checkpoint,
    }


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_lenet_per_step_losses_match_tf_slim(parity, optimizer):
    ours, theirs = parity["kslim"][optimizer], parity["peer"][optimizer]
    assert len(theirs) == STEPS and len(ours) == STEPS
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert ours[-1] != ours[0]  # training moved the weights


def test_tf_slim_restores_kslim_training_checkpoint_and_computes_same_logits(parity):
    assert parity["checkpoint"].endswith(f"model.ckpt-{STEPS}")
    np.testing.assert_allclose(
        parity["kslim_logits"], np.asarray(parity["peer"]["logits"]), rtol=1e-4, atol=1e-5
    )
