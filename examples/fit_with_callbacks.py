"""slim's training driver inside an ordinary ``model.fit``: kslim callbacks on a Keras model.

Run: ``python examples/fit_with_callbacks.py --logdir /tmp/kslim_fit``. Run it again and
it resumes from the last checkpoint and stops at the same global step.
"""

from __future__ import annotations

import argparse
import logging

import keras
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

import kslim


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logdir", default="/tmp/kslim_fit")
    parser.add_argument("--number-of-steps", type=int, default=300)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(2048).repeat().batch(32)

    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=10,
    )
    callbacks = [
        kslim.callbacks.CheckpointSaver(args.logdir, save_interval_secs=60),  # resumes too
        kslim.callbacks.StopAtStep(args.number_of_steps),
        kslim.callbacks.StepLogger(log_every_n_steps=50),
        kslim.callbacks.SummarySaver(args.logdir, save_summaries_secs=30),
    ]
    # steps_per_epoch x epochs is only an upper bound: StopAtStep ends at the global step.
    model.fit(dataset, epochs=1000, steps_per_epoch=100, callbacks=callbacks, verbose=0)
    print("global step", int(model.optimizer.iterations.numpy()), "checkpoints in", args.logdir)


if __name__ == "__main__":
    main()
