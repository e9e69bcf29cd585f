"""evaluate_once and evaluation_loop: slim's evaluation entry points."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from kslim import checkpoints
from kslim.evaluation.evaluator import (
    USE_DEFAULT,
    EvalData,
    Evaluator,
    OpStructure,
    VariablesToRestore,
    cached_evaluator,
    close_writers,
    summary_entries,
)
from kslim.evaluation.polling import checkpoints_iterator
from kslim.ops.graph import Graph, get_default_graph

__all__ = ["evaluate_once", "evaluation_loop"]

_log = logging.getLogger("kslim")


def _warn_unused(fn: str, **args: Any) -> None:
    """One warning naming every TF1-only argument that was set."""
    whys = {
        "master": "tf.distribute strategies replace masters",
        "initial_op": "slim never runs it: every evaluation restores a checkpoint",
        "init_fn": "slim never calls it: every evaluation restores a checkpoint",
        "initial_op_feed_dict": "there are no feeds in TF2",
        "eval_op_feed_dict": "there are no feeds in TF2",
        "final_op_feed_dict": "there are no feeds in TF2",
        "summary_op_feed_dict": "there are no feeds in TF2",
        "session_config": "there is no session; use tf.config",
        "hooks": "TF1 SessionRunHooks need a session",
    }
    set_args = [
        name for name, value in args.items() if value not in (None, "", [], ()) and value != {}
    ]
    if set_args:
        reasons = "; ".join(f"{name}: {whys[name]}" for name in set_args)
        warnings.warn(
            f"evaluation.{fn}: {', '.join(set_args)} have no effect in kslim ({reasons})",
            stacklevel=3,
        )


def _eval_strategy(strategy: tf.distribute.Strategy | None, evaluator: Evaluator, fn: str):
    """The strategy an evaluation runs under (kslim.learning.distribute.resolve_strategy)."""
    from kslim.learning.distribute import resolve_strategy

    variables = list(evaluator.model.weights) if evaluator.model is not None else []
    variables += [v for v in evaluator.restore_map.values() if hasattr(v, "assign")]
    return resolve_strategy(strategy, variables, fn)


def _check_num_evals(num_evals: int | None) -> None:
    if num_evals is not None and (
        isinstance(num_evals, bool) or not isinstance(num_evals, (int, np.integer)) or num_evals < 1
    ):
        raise ValueError(f"num_evals must be a positive int or None, got {num_evals!r}")


def _check_summaries(summaries: list[tuple[str, Any, str]], logdir: str | None) -> None:
    if summaries and logdir is None:
        raise ValueError("One of log_dir or summary_writer should be used.")


def _prepare(
    fn: str,
    graph: Graph | None,
    summary_op: Any,
    logdir: str | None,
    evaluator_args: tuple,
    strategy: tf.distribute.Strategy | None,
):
    """``(evaluator, strategy)``: the cached compiled evaluator of ``graph`` and the strategy.

    Raises:
      ValueError: summaries without a logdir; a strategy the evaluator's variables were
        not created under (both naming ``fn``'s argument).
    """
    graph = graph or get_default_graph()
    summaries = summary_entries(summary_op, graph)
    _check_summaries(summaries, logdir)
    eval_op, final_op, variables_to_restore, dataset, batch_size = evaluator_args
    evaluator = cached_evaluator(
        graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size
    )
    return evaluator, _eval_strategy(strategy, evaluator, fn)


# ------------------------------------------------------------------- API
def evaluate_once(
    master: str | None,
    checkpoint_path: str,
    logdir: str | None,
    num_evals: int | None = 1,
    initial_op: Any = None,
    initial_op_feed_dict: dict | None = None,
    eval_op: OpStructure | None = None,
    eval_op_feed_dict: dict | None = None,
    final_op: OpStructure | None = None,
    final_op_feed_dict: dict | None = None,
    summary_op: Any = USE_DEFAULT,
    summary_op_feed_dict: dict | None = None,
    variables_to_restore: VariablesToRestore | None = None,
    session_config: Any = None,
    hooks: Sequence[Any] | None = None,
    *,
    dataset: EvalData | None = None,
    batch_size: int = 32,
    graph: Graph | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> Any:
    """Evaluates the model at one checkpoint (slim's ``evaluate_once``).

    Restores ``checkpoint_path`` by slim name, resets the graph's streaming
    metrics and ``eval_step``, runs ``num_evals`` batches of ``eval_op``
    (compiled, many batches per call), writes the summaries to ``logdir`` at
    the checkpoint's global step and returns ``final_op``'s value.

    Args:
      master: TF1 master; warns when set.
      checkpoint_path: the checkpoint prefix (``logdir/model.ckpt-100``).
      logdir: where summaries are written (TensorBoard event files).
      num_evals: batches of ``eval_op`` to run, default 1; None runs until the
        data ends. A finite dataset that runs out first ends the evaluation.
      initial_op: never run by slim (the checkpoint is
        always restored); warn when set.
      initial_op_feed_dict: see ``initial_op``.
      eval_op: a KerasTensor, or a list or dict of them, run every batch
        (typically the update ops of ``aggregate_metric_map``); None runs no
        batch (final_op and summaries are still read).
      eval_op_feed_dict: TF1 only; warns when set.
      final_op_feed_dict: TF1 only; warns when set.
      summary_op_feed_dict: TF1 only; warns when set.
      session_config: TF1 only; warns when set.
      hooks: TF1 only; warns when set.
      final_op: a tensor, list or dict of tensors read after the batches (a
        metric's value reads its state; other KerasTensors take their value on
        the last batch).
      summary_op: default writes the graph's ``kslim.summaries``; None writes
        none; or a ``(tag, tensor, kind)`` entry, a list of them, or a dict
        tag -> scalar tensor (replacing the graph's, as slim's summary op).
      variables_to_restore: None (every global variable of the graph and the
        eval model, metrics excluded), a list of variables (by slim name) or a
        dict checkpoint name -> variable.
      dataset: overrides the dataset bound with ``kslim.data.inputs``.
      batch_size: batch size for numpy ``dataset``, default 32.
      graph: the kslim Graph of the eval ops (default: the default graph).
      strategy: a ``tf.distribute.Strategy`` the eval graph was built under
        (``with strategy.scope():``); None (default) takes the strategy the
        eval model was created under, if any. The checkpoint is restored into
        every replica's copy and the batches run in the strategy's
        cross-replica context on this worker (not split across replicas:
        streaming metrics accumulate exactly), so the values equal those of an
        evaluation without a strategy. An eval graph built outside the given
        strategy's scope raises ValueError naming ``strategy``.

    Returns:
      ``final_op``'s value with its structure (tensor -> numpy value, list ->
      list, dict -> dict), or None without ``final_op``.

    Raises:
      kslim.checkpoints.CheckpointError: a missing/corrupt checkpoint or
        variables missing from it (all listed) or of other shapes.
      ValueError: bad ``num_evals``; no data; summaries with ``logdir=None``
        (``'One of log_dir or summary_writer should be used.'``).
      TypeError: an ``eval_op`` that is not made of KerasTensors, or a
        ``strategy`` that is not a ``tf.distribute.Strategy``.
    """
    _check_num_evals(num_evals)
    _warn_unused(
        "evaluate_once",
        master=master,
        initial_op=initial_op,
        initial_op_feed_dict=initial_op_feed_dict,
        eval_op_feed_dict=eval_op_feed_dict,
        final_op_feed_dict=final_op_feed_dict,
        summary_op_feed_dict=summary_op_feed_dict,
        session_config=session_config,
        hooks=hooks,
    )
    evaluator, strategy = _prepare(
        "evaluation.evaluate_once",
        graph,
        summary_op,
        logdir,
        (eval_op, final_op, variables_to_restore, dataset, batch_size),
        strategy,
    )
    _log.info("Starting evaluation at " + time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()))
    start = time.time()
    writers: dict = {}
    try:
        with strategy.scope():
            result = evaluator.run(checkpoint_path, num_evals, logdir, writers)
    finally:
        close_writers(writers)
    _log.info("Inference Time : %.5fs", time.time() - start)
    _log.info("Finished evaluation at " + time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime()))
    return result


def evaluation_loop(
    master: str | None,
    checkpoint_dir: str,
    logdir: str | None,
    num_evals: int | None = 1,
    initial_op: Any = None,
    initial_op_feed_dict: dict | None = None,
    init_fn: Callable[..., Any] | None = None,
    eval_op: OpStructure | None = None,
    eval_op_feed_dict: dict | None = None,
    final_op: OpStructure | None = None,
    final_op_feed_dict: dict | None = None,
    summary_op: Any = USE_DEFAULT,
    summary_op_feed_dict: dict | None = None,
    variables_to_restore: VariablesToRestore | None = None,
    eval_interval_secs: float = 60,
    max_number_of_evaluations: int | None = None,
    session_config: Any = None,
    timeout: float | None = None,
    timeout_fn: Callable[[], bool] | None = None,
    hooks: Sequence[Any] | None = None,
    *,
    dataset: EvalData | None = None,
    batch_size: int = 32,
    graph: Graph | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> Any:
    """Evaluates each new checkpoint of ``checkpoint_dir`` (slim's ``evaluation_loop``).

    Each round evaluates the newest checkpoint (skipping intermediate ones,
    never the same one twice) exactly as ``evaluate_once``; rounds start
    ``eval_interval_secs`` apart (start to start). A checkpoint deleted by the
    trainer between being found and being read is skipped with a warning.

    Args:
      master: TF1 master; warns when set.
      checkpoint_dir: the directory watched (training's ``logdir``).
      logdir: where summaries are written, at each checkpoint's global step.
      num_evals: batches per evaluation, default 1 (None: until the data ends).
      initial_op: never run by slim (every
        evaluation restores a checkpoint); warn when set.
      initial_op_feed_dict: see ``initial_op``.
      init_fn: see ``initial_op``.
      eval_op: as in ``evaluate_once``.
      final_op: as in ``evaluate_once``.
      summary_op: as in ``evaluate_once``.
      variables_to_restore: as in ``evaluate_once``.
      dataset: as in ``evaluate_once``.
      batch_size: as in ``evaluate_once``.
      graph: as in ``evaluate_once``.
      strategy: as in ``evaluate_once``.
      eval_op_feed_dict: TF1 only; warns when set.
      final_op_feed_dict: TF1 only; warns when set.
      summary_op_feed_dict: TF1 only; warns when set.
      session_config: TF1 only; warns when set.
      hooks: TF1 only; warns when set.
      eval_interval_secs: minimum seconds between evaluation starts, default 60.
      max_number_of_evaluations: stop after this many evaluations; None
        (default) runs until the timeout.
      timeout: maximum seconds of each wait for a new checkpoint; None waits
        forever.
      timeout_fn: called after a timeout; True stops the loop, False waits again.

    Returns:
      ``final_op``'s value (same structure) of the last evaluation, or None
      if there was no ``final_op`` or no checkpoint was evaluated.

    Raises:
      As ``evaluate_once``; ValueError for a bad ``max_number_of_evaluations``
      or ``eval_interval_secs``.
    """
    _check_num_evals(num_evals)
    if max_number_of_evaluations is not None and (
        not isinstance(max_number_of_evaluations, (int, np.integer))
        or max_number_of_evaluations < 1
    ):
        raise ValueError(
            "max_number_of_evaluations must be a positive int or None, got "
            f"{max_number_of_evaluations!r}"
        )
    if eval_interval_secs is None or eval_interval_secs < 0:
        raise ValueError(f"eval_interval_secs must be >= 0, got {eval_interval_secs!r}")
    _warn_unused(
        "evaluation_loop",
        master=master,
        initial_op=initial_op,
        initial_op_feed_dict=initial_op_feed_dict,
        init_fn=init_fn,
        eval_op_feed_dict=eval_op_feed_dict,
        final_op_feed_dict=final_op_feed_dict,
        summary_op_feed_dict=summary_op_feed_dict,
        session_config=session_config,
        hooks=hooks,
    )
    evaluator, strategy = _prepare(
        "evaluation.evaluation_loop",
        graph,
        summary_op,
        logdir,
        (eval_op, final_op, variables_to_restore, dataset, batch_size),
        strategy,
    )
    result = None
    evaluations = 0
    writers: dict = {}
    try:
        for path in checkpoints_iterator(checkpoint_dir, eval_interval_secs, timeout, timeout_fn):
            _log.info("Starting evaluation at " + time.strftime("%Y-%m-%d-%H:%M:%S", time.gmtime()))
            try:
                with strategy.scope():
                    result = evaluator.run(path, num_evals, logdir, writers)
            except checkpoints.CheckpointError as e:
                if tf.io.gfile.exists(path + ".index"):
                    _log.warning(
                        "Skipping damaged checkpoint %s (waiting for the next one): %s", path, e
                    )
                else:
                    _log.warning(
                        "Checkpoint %s was deleted before it could be evaluated: %s", path, e
                    )
                continue
            _log.info("Finished evaluation at " + time.strftime("%Y-%m-%d-%H:%M:%S", time.gmtime()))
            evaluations += 1
            if max_number_of_evaluations is not None and evaluations >= max_number_of_evaluations:
                break
    finally:
        close_writers(writers)
    return result
