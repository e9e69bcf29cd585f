"""slim.train_eval: tf_slim.training.evaluation's API over ``kslim.evaluation``.

TF's ``evaluate_once`` / ``evaluate_repeatedly`` take their number of batches
and summaries from hooks: ``StopAfterNEvalsHook(num_evals)`` gives
``num_evals`` (without it, batches run until the data ends) and
``SummaryAtEndHook(log_dir)`` writes the graph's summaries (or its
``summary_op``) at the checkpoint's global step. Both are plain descriptions
here, read by the wrappers; the evaluation itself is ``kslim.evaluation``'s.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import tensorflow as tf

from kslim import evaluation as _evaluation
from kslim.evaluation import checkpoints_iterator, get_or_create_eval_step, wait_for_new_checkpoint
from kslim.tensor_types import Tensor

if TYPE_CHECKING:
    from kslim.learning.train_args import DataLike
    from kslim.ops.graph import Graph

__all__ = [
    "StopAfterNEvalsHook",
    "SummaryAtEndHook",
    "checkpoints_iterator",
    "evaluate_once",
    "evaluate_repeatedly",
    "get_or_create_eval_step",
    "wait_for_new_checkpoint",
]

# Ops run or read by an evaluation: a tensor, or a list or dict of them.
_Ops = Tensor | Sequence[Tensor] | dict[str, Tensor]
# A summary op: a ``(tag, tensor, kind)`` entry, a list of them, or a dict tag -> tensor.
_SummaryOp = tuple[str, Tensor, str] | Sequence[tuple[str, Tensor, str]] | dict[str, Tensor]


class StopAfterNEvalsHook:
    """Runs ``num_evals`` evaluation batches (TF's hook, read by the wrappers).

    Args:
      num_evals: number of batches; None runs until the data ends.
      log_progress: accepted; kslim always logs ``'Evaluation [%d/%d]'``.
    """

    def __init__(self, num_evals: int | None, log_progress: bool = True) -> None:
        self.num_evals = num_evals
        self.log_progress = log_progress


class SummaryAtEndHook:
    """Writes summaries at the end of each evaluation (TF's hook, read by the wrappers).

    Args:
      log_dir: the summary directory.
      summary_writer: a ``tf.summary`` writer; kslim writes to ``log_dir``, so
        its ``logdir`` is required when ``log_dir`` is None.
      summary_op: None (the graph's summaries) or as ``evaluation.evaluate_once``.
      feed_dict: TF1 only; warns when set.

    Raises:
      ValueError: ``'One of log_dir or summary_writer should be used.'``.
    """

    def __init__(
        self,
        log_dir: str | None = None,
        summary_writer: tf.summary.SummaryWriter | None = None,
        summary_op: _SummaryOp | None = None,
        feed_dict: dict[Any, Any] | None = None,
    ) -> None:
        if log_dir is None and summary_writer is None:
            raise ValueError("One of log_dir or summary_writer should be used.")
        if log_dir is None:
            raise ValueError(
                "SummaryAtEndHook: kslim writes summaries to a directory; pass log_dir "
                f"(summary_writer={summary_writer!r} alone is not supported)"
            )
        if feed_dict is not None:
            warnings.warn("SummaryAtEndHook: feed_dict has no effect in kslim", stacklevel=2)
        self.log_dir = log_dir
        self.summary_op = summary_op


def _split_hooks(
    hooks: Iterable[StopAfterNEvalsHook | SummaryAtEndHook | tf.compat.v1.train.SessionRunHook]
    | None,
    fn: str,
) -> tuple[Any, str | None, Any, list]:
    """``(num_evals, logdir, summary_op, other_hooks)`` from TF-style hooks."""
    num_evals, logdir, summary_op, others = None, None, None, []
    for hook in hooks or []:
        if isinstance(hook, StopAfterNEvalsHook):
            num_evals = hook.num_evals
        elif isinstance(hook, SummaryAtEndHook):
            logdir = hook.log_dir
            summary_op = _evaluation.USE_DEFAULT if hook.summary_op is None else hook.summary_op
        else:
            others.append(hook)
    if logdir is None:
        summary_op = None
    return num_evals, logdir, summary_op, others


def _warn_scaffold(scaffold: tf.compat.v1.train.Scaffold | None, fn: str) -> None:
    if scaffold is not None:
        warnings.warn(
            f"train_eval.{fn}: scaffold={scaffold!r} has no effect in kslim (every evaluation "
            "restores the checkpoint by slim name; pass variables_to_restore to "
            "kslim.evaluation instead)",
            stacklevel=3,
        )


def evaluate_once(
    checkpoint_path: str,
    master: str = "",
    scaffold: tf.compat.v1.train.Scaffold | None = None,
    eval_ops: _Ops | None = None,
    feed_dict: dict[Any, Any] | None = None,
    final_ops: _Ops | None = None,
    final_ops_feed_dict: dict[Any, Any] | None = None,
    hooks: Iterable[StopAfterNEvalsHook | SummaryAtEndHook | tf.compat.v1.train.SessionRunHook]
    | None = None,
    config: tf.compat.v1.ConfigProto | None = None,
    *,
    dataset: DataLike | None = None,
    batch_size: int = 32,
    graph: Graph | None = None,
) -> Any:
    """Evaluates one checkpoint (TF's ``_evaluate_once``) with ``kslim.evaluation``.

    Args:
      checkpoint_path: the checkpoint prefix.
      master: TF1 only; warn.
      scaffold: TF1 only; warn.
      feed_dict: TF1 only; warn.
      final_ops_feed_dict: TF1 only; warn.
      config: TF1 only; warn.
      eval_ops: KerasTensor(s) run every batch (metric update ops).
      final_ops: tensor, list or dict read at the end.
      hooks: ``StopAfterNEvalsHook`` (batches), ``SummaryAtEndHook``
        (summaries); others warn and are ignored.
      dataset: as ``kslim.evaluation.evaluate_once``.
      batch_size: as ``kslim.evaluation.evaluate_once``.
      graph: as ``kslim.evaluation.evaluate_once``.

    Returns:
      ``final_ops``' value with its structure, or None.
    """
    _warn_scaffold(scaffold, "evaluate_once")
    num_evals, logdir, summary_op, others = _split_hooks(hooks, "evaluate_once")
    return _evaluation.evaluate_once(
        master,
        checkpoint_path,
        logdir,
        num_evals=num_evals,
        eval_op=eval_ops,
        eval_op_feed_dict=feed_dict,
        final_op=final_ops,
        final_op_feed_dict=final_ops_feed_dict,
        summary_op=summary_op,
        session_config=config,
        hooks=others or None,
        dataset=dataset,
        batch_size=batch_size,
        graph=graph,
    )


def evaluate_repeatedly(
    checkpoint_dir: str,
    master: str = "",
    scaffold: tf.compat.v1.train.Scaffold | None = None,
    eval_ops: _Ops | None = None,
    feed_dict: dict[Any, Any] | None = None,
    final_ops: _Ops | None = None,
    final_ops_feed_dict: dict[Any, Any] | None = None,
    eval_interval_secs: float = 60,
    hooks: Iterable[StopAfterNEvalsHook | SummaryAtEndHook | tf.compat.v1.train.SessionRunHook]
    | None = None,
    config: tf.compat.v1.ConfigProto | None = None,
    max_number_of_evaluations: int | None = None,
    timeout: float | None = None,
    timeout_fn: Callable[[], bool] | None = None,
    *,
    dataset: DataLike | None = None,
    batch_size: int = 32,
    graph: Graph | None = None,
) -> Any:
    """Evaluates each new checkpoint of ``checkpoint_dir`` (TF's ``evaluate_repeatedly``).

    Args:
      checkpoint_dir: the directory watched.
      master: TF1 only; warn.
      scaffold: TF1 only; warn.
      feed_dict: TF1 only; warn.
      final_ops_feed_dict: TF1 only; warn.
      config: TF1 only; warn.
      eval_ops: as ``evaluate_once``.
      final_ops: as ``evaluate_once``.
      hooks: as ``evaluate_once``.
      eval_interval_secs: minimum seconds between evaluation starts.
      max_number_of_evaluations: stop after this many (None: until timeout).
      timeout: as ``checkpoints_iterator``.
      timeout_fn: as ``checkpoints_iterator``.
      dataset: as ``kslim.evaluation.evaluation_loop``.
      batch_size: as ``kslim.evaluation.evaluation_loop``.
      graph: as ``kslim.evaluation.evaluation_loop``.

    Returns:
      ``final_ops``' value of the last evaluation, or None.
    """
    _warn_scaffold(scaffold, "evaluate_repeatedly")
    num_evals, logdir, summary_op, others = _split_hooks(hooks, "evaluate_repeatedly")
    return _evaluation.evaluation_loop(
        master,
        checkpoint_dir,
        logdir,
        num_evals=num_evals,
        eval_op=eval_ops,
        eval_op_feed_dict=feed_dict,
        final_op=final_ops,
        final_op_feed_dict=final_ops_feed_dict,
        summary_op=summary_op,
        eval_interval_secs=eval_interval_secs,
        max_number_of_evaluations=max_number_of_evaluations,
        session_config=config,
        timeout=timeout,
        timeout_fn=timeout_fn,
        hooks=others or None,
        dataset=dataset,
        batch_size=batch_size,
        graph=graph,
    )
