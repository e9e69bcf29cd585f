"""The tutorial's training script, on scikit-learn's digits, with ``import kslim as slim``.

Run: ``python examples/train_lenet.py --logdir /tmp/lenet`` (then
``python examples/eval_lenet.py --checkpoint-dir /tmp/lenet``).
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

import kslim as slim


def lenet(images):
    net = slim.conv2d(images, 20, [5, 5], scope="conv1")
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.conv2d(net, 50, [5, 5], scope="conv2")
    net = slim.max_pool2d(net, [2, 2], scope="pool2")
    net = slim.flatten(net, scope="flatten3")
    net = slim.fully_connected(net, 500, scope="fc4")
    net = slim.fully_connected(net, 10, activation_fn=None, scope="fc5")
    return net


def digits(split: str = "train", validation_fraction: float = 0.2, seed: int = 0):
    """Digits as float32 images [N, 28, 28, 1] in [0, 1] (8x8 upsampled) and int labels."""
    data = load_digits()
    images = data.images.astype(np.float32) / 16.0
    images = np.kron(images, np.ones((1, 3, 3), np.float32))  # 24x24
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[..., None]  # 28x28x1
    labels = data.target.astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(labels))
    cut = int(len(labels) * (1 - validation_fraction))
    idx = order[:cut] if split == "train" else order[cut:]
    return images[idx], labels[idx]


def train_dataset(batch_size: int = 32) -> tf.data.Dataset:
    images, labels = digits("train")
    onehot = np.eye(10, dtype=np.float32)[labels]
    ds = tf.data.Dataset.from_tensor_slices((images, onehot))
    return ds.shuffle(2048, seed=0).repeat().batch(batch_size, drop_remainder=True).prefetch(2)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logdir", default="/tmp/kslim_lenet")
    parser.add_argument("--number-of-steps", type=int, default=1000)
    parser.add_argument("--save-summaries-secs", type=float, default=300)
    parser.add_argument("--save-interval-secs", type=float, default=600)
    parser.add_argument("--log-every-n-steps", type=int, default=100)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    with slim.Graph().as_default():
        images, one_hot_labels = slim.data.inputs(train_dataset())
        with slim.arg_scope(
            [slim.conv2d],
            padding="SAME",
            weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.01),
            weights_regularizer=slim.l2_regularizer(0.0005),
        ):
            predictions = lenet(images)
        slim.losses.softmax_cross_entropy(predictions, one_hot_labels)
        total_loss = slim.losses.get_total_loss()
        optimizer = tf.compat.v1.train.RMSPropOptimizer(0.001, 0.9)
        train_op = slim.learning.create_train_op(total_loss, optimizer)
        final_loss = slim.learning.train(
            train_op,
            args.logdir,
            number_of_steps=args.number_of_steps,
            save_summaries_secs=args.save_summaries_secs,
            save_interval_secs=args.save_interval_secs,
            log_every_n_steps=args.log_every_n_steps,
        )
    print(f"final loss {final_loss:.4f}; checkpoints in {args.logdir}")
    return float(final_loss)


if __name__ == "__main__":
    main()
