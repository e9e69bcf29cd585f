"""The small slim net the distributed-training tests train on one and on several replicas.

Imported by the runner scripts after they configured devices / ``TF_CONFIG``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

import kslim as slim


class StepLosses(keras.callbacks.Callback):
    """Collects every step's loss (``learning.train`` reports them per chunk)."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.extend(float(v) for v in np.ravel(logs["step_losses"]))


class FirstStep(keras.callbacks.Callback):
    """Records the global step every worker starts its first step from."""

    def __init__(self):
        super().__init__()
        self.start = None

    def on_train_batch_end(self, batch, logs=None):
        if self.start is None:
            steps = int(np.asarray(logs.get("steps_run", 1)))
            self.start = int(self.model.optimizer.iterations.numpy()) - steps


def _data(repeat: bool = True):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 256)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32, drop_remainder=True)
    return data.repeat() if repeat else data


def _net(data, batch_norm: bool, is_training: bool):
    images, labels = slim.data.inputs(data)
    with slim.arg_scope(
        [slim.fully_connected],
        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.3, seed=1),
        weights_regularizer=slim.l2_regularizer(0.01),
    ):
        net = slim.fully_connected(images, 16, scope="fc1")
        if batch_norm:
            net = slim.batch_norm(net, decay=0.9, scale=True, is_training=is_training)
        logits = slim.fully_connected(net, 4, activation_fn=None, scope="fc2")
    return logits, labels


def train(
    strategy,
    make_optimizer,
    batch_norm: bool,
    logdir: str,
    steps: int,
    pass_strategy: bool = False,
    init_fn=None,
    save_interval_secs: float = 600,
    callbacks=(),
) -> dict:
    """Trains the net under ``strategy`` on global batches of 32 with ``learning.train``.

    ``make_optimizer()`` is called under the strategy's scope (a Keras optimizer belongs to
    the strategy it is created under). ``pass_strategy`` also passes ``strategy=`` to
    ``learning.train`` (else it comes from the scope the graph was built under).

    Returns:
      ``{"losses": per-step losses, "final": train's result, "variables": model variables,
      "start": the global step of the first step, "end": the global step at the end}``.
    """
    step_losses, first = StepLosses(), FirstStep()
    with strategy.scope(), slim.Graph().as_default():
        logits, labels = _net(_data(), batch_norm, True)
        slim.losses.softmax_cross_entropy(logits, labels)
        train_op = slim.learning.create_train_op(slim.losses.get_total_loss(), make_optimizer())
        final = slim.learning.train(
            train_op,
            logdir,
            number_of_steps=steps,
            save_summaries_secs=600,
            save_interval_secs=save_interval_secs,
            init_fn=init_fn,
            callbacks=[step_losses, first, *callbacks],
            strategy=strategy if pass_strategy else None,
        )
        variables = {v.path: np.asarray(v.numpy()).tolist() for v in slim.get_model_variables()}
        end = int(train_op.optimizer.iterations.numpy())
    return {
        "losses": step_losses.losses,
        "final": float(final),
        "variables": variables,
        "start": first.start,
        "end": end,
    }


def evaluate(strategy, batch_norm: bool, checkpoint: str, pass_strategy: bool) -> dict:
    """``evaluate_once`` of the net's accuracy and mean loss at ``checkpoint``, the eval
    graph built under ``strategy``'s scope (``strategy=`` passed if ``pass_strategy``)."""
    with strategy.scope(), slim.Graph().as_default():
        logits, labels = _net(_data(repeat=False), batch_norm, False)
        loss = slim.losses.softmax_cross_entropy(logits, labels)
        predictions = keras.ops.argmax(logits, axis=1)
        values, updates = slim.metrics.aggregate_metric_map(
            {
                "accuracy": slim.metrics.streaming_accuracy(
                    predictions, keras.ops.argmax(labels, axis=1)
                ),
                "loss": slim.metrics.streaming_mean(loss),
            }
        )
        result = slim.evaluation.evaluate_once(
            "",
            checkpoint,
            None,
            num_evals=None,
            eval_op=list(updates.values()),
            final_op=values,
            summary_op=None,
            strategy=strategy if pass_strategy else None,
        )
    return {k: float(v) for k, v in result.items()}
