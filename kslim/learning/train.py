"""learning.train: slim's training driver on ``keras.Model.fit``."""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf

from kslim.learning.callbacks import (
    CheckpointSaver,
    ChiefSync,
    ChunkPlan,
    ChunkPlanner,
    GraphWriter,
    InitFnOnFreshStart,
    LastLoss,
    StepLogger,
    StopAtStep,
    SummarySaver,
    Tracer,
    in_phase_order,
)
from kslim.learning.callbacks.checkpoint_saver import check_writable
from kslim.learning.distribute import (
    WorkerLostError,
    agree_with_chief,
    distribute_dataset,
    in_multi_worker,
    peer_error,
    remove_worker_temp_dir,
    resolve_strategy,
    task_label,
    worker_log_prefix,
    worker_temp_dir,
)
from kslim.learning.distribute import (
    is_chief as cluster_is_chief,
)
from kslim.learning.train_args import (
    USE_DEFAULT,
    DataLike,
    check_train_args,
    train_data,
    warn_no_effect,
)
from kslim.learning.train_op import TrainOp
from kslim.tensor_types import Logs

if TYPE_CHECKING:
    from kslim.checkpoints import CheckpointManager
    from kslim.ops.graph import Graph

__all__ = ["StepContext", "train", "train_step"]

_log = logging.getLogger("kslim")


class StepContext:
    """What a ``train_step_fn`` gets in place of slim's session.

    ``run()`` runs one compiled training step on the next batch and returns
    its logs (``loss`` = that step's total loss, before the update).

    Args:
      model: the ``TrainOp``.
      iterator: the dataset iterator of the running ``fit``.
      plan: the planner's ``ChunkPlan`` for this step (its summaries decision;
        the step count is always 1). Default: a plain step.
    """

    def __init__(
        self,
        model: TrainOp,
        iterator: tf.data.Iterator | tf.distribute.DistributedIterator,
        plan: ChunkPlan | None = None,
    ) -> None:
        self.model = model
        self._iterator = iterator
        self._plan = dataclasses.replace(plan, steps=1) if plan is not None else ChunkPlan()
        self.last_logs: dict[str, Any] = {}

    def run(self) -> dict[str, Any]:
        """Runs one step; returns its logs (also kept as ``last_logs``)."""
        self.last_logs = self.model.run_chunk(self._iterator, self._plan)
        return self.last_logs


def train_step(
    step_context: StepContext,
    train_op: TrainOp,
    global_step: tf.Variable | keras.Variable,
    train_step_kwargs: dict,
) -> tuple[float, bool]:
    """Runs one step and returns ``(total_loss, should_stop)`` (slim's train_step).

    Args:
      step_context: the ``StepContext`` (slim: the session).
      train_op: the ``TrainOp``.
      global_step: the global step variable (``train_op.optimizer.iterations``).
      train_step_kwargs: dict with optional callables of the post-step global
        step ``should_stop(step)``, ``should_log(step)``.

    Returns:
      ``(total_loss, should_stop)``.
    """
    del train_op
    start = time.time()
    logs = step_context.run()
    total_loss = float(logs["loss"])
    step = int(np.asarray(global_step))
    elapsed = time.time() - start
    should_log = train_step_kwargs.get("should_log")
    if should_log is not None and should_log(step):
        _log.info("global step %d: loss = %.4f (%.3f sec/step)", step, total_loss, elapsed)
    should_stop = train_step_kwargs.get("should_stop")
    return total_loss, bool(should_stop(step)) if should_stop is not None else False


def release_training_resources(callbacks: Iterable[keras.callbacks.Callback] = ()) -> None:
    """Frees what a ``fit`` left behind before control returns to the caller.

    Keras' epoch iterator is a generator that refers to itself through its
    frame; when ``fit`` stops early (``stop_training``, as at
    ``number_of_steps``) the suspended generator and the tf.data iterator it
    holds live in a reference cycle. Left to interpreter shutdown, destroying
    that iterator waits for its prefetch threads, and a thread inside a
    ``tf.py_function`` can no longer take the GIL: the process never exits.
    So the callbacks close what they opened (summary writers, a running
    profiler session) and a garbage collection frees the iterator now, while
    its threads can still finish.
    """
    import gc

    for cb in callbacks:
        close = getattr(cb, "close", None)
        if callable(close):
            try:
                close()
            except Exception as e:  # noqa: BLE001 - release the rest regardless
                _log.warning("Could not release %s: %s", type(cb).__name__, e)
    gc.collect()


class _ClusterInitFn(InitFnOnFreshStart):
    """``init_fn`` on every worker when the chief finds a fresh start (a collective)."""

    def __init__(
        self,
        init_fn: Callable,
        logdir: str | None,
        chief: bool,
        strategy: tf.distribute.Strategy | None,
    ) -> None:
        super().__init__(init_fn, logdir, chief)
        self.strategy = strategy

    def on_train_begin(self, logs: Logs | None = None):
        from kslim.checkpoints import CheckpointManager

        resume = CheckpointManager(self.logdir, None).recover() if self.is_chief else None
        if agree_with_chief(self.strategy, self.logdir is None or resume is None):
            self.init_fn(self.model)
            self.called = True


def train(
    train_op: TrainOp,
    logdir: str | None,
    train_step_fn: Callable = train_step,
    train_step_kwargs: dict[str, Any] | int = USE_DEFAULT,
    log_every_n_steps: int = 1,
    graph: Graph | None = None,
    master: str = "",
    is_chief: bool = True,
    global_step: tf.Variable | keras.Variable | None = None,
    number_of_steps: int | None = None,
    init_op: Any = USE_DEFAULT,
    init_feed_dict: dict[Any, Any] | None = None,
    local_init_op: Any = USE_DEFAULT,
    init_fn: Callable | None = None,
    ready_op: Any = USE_DEFAULT,
    summary_op: Any = USE_DEFAULT,
    save_summaries_secs: float | None = 600,
    summary_writer: tf.summary.SummaryWriter | int | None = USE_DEFAULT,
    startup_delay_steps: int = 0,
    saver: CheckpointManager | tf.compat.v1.train.Saver | None = None,
    save_interval_secs: float | None = 600,
    sync_optimizer: tf.compat.v1.train.SyncReplicasOptimizer
    | Sequence[tf.compat.v1.train.SyncReplicasOptimizer]
    | None = None,
    session_config: tf.compat.v1.ConfigProto | None = None,
    session_wrapper: Callable | None = None,
    trace_every_n_steps: int | None = None,
    ignore_live_threads: bool = False,
    *,
    dataset: DataLike | None = None,
    batch_size: int = 32,
    max_to_keep: int = 5,
    keep_checkpoint_every_n_hours: float = 10000.0,
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    progress_bar: bool | None = None,
    max_steps_per_chunk: int = 1000,
    strategy: tf.distribute.Strategy | None = None,
    jit_compile: bool = False,
) -> np.float32:
    """Runs slim's training loop: ``fit`` on the TrainOp with kslim callbacks.

    Every argument of slim's signature is accepted; those without a TF2
    meaning warn once when set (see docs/migrating.md).

    Args:
      train_op: the ``TrainOp`` from ``create_train_op``.
      logdir: directory for checkpoints, summaries and traces; None writes
        nothing.
      train_step_fn: called once per step as ``fn(step_context, train_op,
        global_step, train_step_kwargs)`` returning ``(total_loss,
        should_stop)``; the default runs compiled multi-step chunks instead.
      train_step_kwargs: dict passed to a custom ``train_step_fn`` (default:
        ``should_stop``/``should_log`` callables and ``logdir``).
      log_every_n_steps: log every n-th global step; 0 never logs (slim logs only
        ``if log_every_n_steps > 0``).
      graph: the kslim Graph the train op was built in (its bound dataset).
      master: a TF1 session option; warns when set.
      session_config: a TF1 session option; warns when set.
      session_wrapper: a TF1 session option; warns when set.
      init_op: a TF1 session option; warns when set.
      init_feed_dict: a TF1 session option; warns when set.
      local_init_op: a TF1 session option; warns when set.
      ready_op: a TF1 session option; warns when set.
      ignore_live_threads: a TF1 session option; warns when set.
      sync_optimizer: a TF1 session option; warns when set.
      startup_delay_steps: a TF1 session option; warns when set.
      is_chief: only the chief writes checkpoints, summaries and traces; on a
        multi-worker strategy the chief comes from the cluster (task 0 of
        ``chief``/``worker``) and False makes no task write.
      global_step: accepted; the optimizer's iterations are the global step.
      number_of_steps: absolute global step to stop at (None: until the data
        ends).
      init_fn: ``init_fn(train_op)`` called once on a fresh start (no
        checkpoint in ``logdir``).
      summary_op: None disables summaries; default writes the collected ones.
      save_summaries_secs: seconds between summaries, default 600.
      summary_writer: None disables summaries; default creates one; or a
        ``tf.summary`` writer.
      saver: None (default ``model.ckpt`` saver) or a
        ``kslim.checkpoints.CheckpointManager``.
      save_interval_secs: seconds between checkpoints, default 600.
      trace_every_n_steps: write ``tf_trace-N.json`` every n steps.
      dataset: overrides the dataset bound with ``kslim.data.inputs`` (a
        tf.data.Dataset or numpy arrays).
      batch_size: batch size for numpy ``dataset``.
      max_to_keep: checkpoint retention.
      keep_checkpoint_every_n_hours: checkpoint retention.
      callbacks: extra Keras callbacks.
      progress_bar: Keras progress bar; default on for a TTY.
      max_steps_per_chunk: upper bound of steps per compiled call.
      jit_compile: compile each training step with XLA (default False: on this
        project's CPU benchmarks XLA was not faster; see the README's Performance
        section). The losses agree with the default to float32 rounding.
      strategy: a ``tf.distribute.Strategy`` to train on (``MirroredStrategy``,
        ``MultiWorkerMirroredStrategy``); None (default) trains on the strategy
        the graph was built under (``with strategy.scope():``), if any. The
        TrainOp's variables (graph, optimizer, ``create_train_op``) must have
        been created under this strategy's scope: a TrainOp built outside it
        raises ValueError naming ``strategy`` (variables cannot be moved onto
        replicas afterwards). Each batch of the dataset is one global batch:
        the replicas split it (``distribute_datasets_from_function``, every
        worker reading its replicas' rows), so N replicas train the losses of
        one replica on batch B. On a multi-worker strategy only the chief
        (``chief`` task, else worker 0) writes checkpoints, summaries, traces
        and ``graph.json`` into ``logdir``; other workers write their
        checkpoints into a temporary folder beside ``logdir`` (removed at the
        end), log with their task id (``worker 1: ...``), take the chief's
        restored variables and global step at the start, and run ``init_fn``
        exactly when the chief finds a fresh start.

    Returns:
      The last step's total loss (numpy float32).

    Raises:
      ValueError: slim's validation messages; a dataset that does not match
        the inputs; no data; a dataset that produced no batch.
      TypeError: a ``number_of_steps`` that is not an int (naming it).
      PermissionError: an unwritable logdir (before any step).
      NotADirectoryError: a logdir that is an existing file.
      kslim.checkpoints.CheckpointSaveError: a save for lack of disk space.
      FloatingPointError: the loss became inf or NaN (names the global step).
      kslim.learning.distribute.WorkerLostError: a worker of a multi-worker
        cluster died or stopped answering (every worker stops; restart them all
        to resume from the chief's last complete checkpoint).
    """
    number_of_steps = check_train_args(
        train_op,
        logdir,
        log_every_n_steps=log_every_n_steps,
        master=master,
        global_step=global_step,
        number_of_steps=number_of_steps,
        init_op=init_op,
        init_feed_dict=init_feed_dict,
        local_init_op=local_init_op,
        ready_op=ready_op,
        summary_op=summary_op,
        save_summaries_secs=save_summaries_secs,
        startup_delay_steps=startup_delay_steps,
        saver=saver,
        save_interval_secs=save_interval_secs,
        sync_optimizer=sync_optimizer,
        session_config=session_config,
        session_wrapper=session_wrapper,
        trace_every_n_steps=trace_every_n_steps,
        ignore_live_threads=ignore_live_threads,
        max_steps_per_chunk=max_steps_per_chunk,
    )
    data = train_data(train_op, dataset, graph, batch_size)

    # ---- tf.distribute (kslim.learning.distribute) ----
    strategy = resolve_strategy(strategy, train_op, "learning.train")
    multi_worker = in_multi_worker(strategy)
    chief_of_cluster = cluster_is_chief(strategy)
    if multi_worker and not chief_of_cluster:
        _log.info(
            "learning.train: task %s is not the chief of the cluster: it trains but writes "
            "no checkpoints, summaries or traces into logdir",
            task_label(strategy),
        )
    is_chief = bool(is_chief) and chief_of_cluster
    writes = logdir is not None and is_chief
    if logdir is not None:
        check_writable(logdir, "logdir")
    # A non-chief worker's saves go to a temporary folder (removed at the end).
    temp_dir = worker_temp_dir(logdir, strategy) if multi_worker and not is_chief else None
    save_dir = temp_dir if temp_dir is not None else logdir
    # ---- end tf.distribute ----

    custom_step = train_step_fn is not train_step or train_step_kwargs is not USE_DEFAULT
    summaries_on = (
        writes
        and summary_writer is not None
        and summary_op is not None
        and save_summaries_secs is not None
    )
    if saver is not None and not hasattr(saver, "save"):
        warn_no_effect("saver", saver, "pass a kslim.checkpoints.CheckpointManager")
    manager = saver if hasattr(saver, "save") and hasattr(saver, "latest") else None
    summary_saver = tracer = None
    if summaries_on:
        summary_saver = SummarySaver(
            logdir=logdir,
            save_summaries_secs=save_summaries_secs,
            summary_writer=None if summary_writer is USE_DEFAULT else summary_writer,
            is_chief=is_chief,
        )
    if writes and trace_every_n_steps:
        tracer = Tracer(logdir=logdir, trace_every_n_steps=trace_every_n_steps, is_chief=is_chief)
    if init_fn is None:
        init_cb = None
    elif multi_worker:
        init_cb = _ClusterInitFn(init_fn, logdir, is_chief, strategy)
    else:
        init_cb = InitFnOnFreshStart(init_fn=init_fn, logdir=logdir, is_chief=is_chief)
    last = LastLoss()
    # The callbacks, each with its Phase; in_phase_order runs them in phase order
    # (planner, state resets, init_fn, restore/save, cluster sync, stop, log, result,
    # then the caller's callbacks in their order).
    kslim_callbacks = [
        summary_saver,
        tracer,
        init_cb,
        CheckpointSaver(
            logdir=save_dir,
            save_interval_secs=save_interval_secs,
            max_to_keep=max_to_keep,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            restore=True,
            stateful_callbacks=[c for c in (summary_saver, tracer) if c is not None],
            is_chief=is_chief or temp_dir is not None,
            manager=manager if temp_dir is None else None,
        )
        if logdir is not None
        else None,
        # After the chief's restore: every worker takes the chief's variables and step.
        ChiefSync(strategy) if multi_worker else None,
        StopAtStep(number_of_steps=number_of_steps)
        if number_of_steps is not None and not custom_step
        else None,
        StepLogger(log_every_n_steps=log_every_n_steps)
        if log_every_n_steps and not custom_step
        else None,
        GraphWriter(logdir=logdir) if writes else None,
        last,
    ]
    cbs = in_phase_order([c for c in kslim_callbacks if c is not None])
    cbs += list(callbacks or [])
    planner = ChunkPlanner(callbacks=cbs, max_steps_per_chunk=max_steps_per_chunk)
    cbs = in_phase_order([planner, *cbs])

    if not isinstance(jit_compile, bool):
        raise TypeError(f"jit_compile must be True or False, got jit_compile={jit_compile!r}")
    # Set explicitly: Keras' compile default ("auto") would turn XLA on with a GPU.
    train_op.jit_compile = jit_compile
    train_op.make_train_function(force=True)
    if custom_step:
        kwargs = train_step_kwargs
        if kwargs is USE_DEFAULT:
            kwargs = {"logdir": logdir}
            if number_of_steps is not None:
                kwargs["should_stop"] = lambda step: step >= number_of_steps
            if log_every_n_steps:
                kwargs["should_log"] = lambda step: step % log_every_n_steps == 0

        def per_step(iterator: tf.data.Iterator | tf.distribute.DistributedIterator):
            context = StepContext(train_op, iterator, planner.plan)
            loss, should_stop = train_step_fn(
                context, train_op, train_op.optimizer.iterations, kwargs
            )
            if should_stop:
                _log.info("Stopping Training.")
                train_op.stop_training = True
            logs = dict(context.last_logs)
            logs["step_losses"] = np.asarray([loss], np.float32)
            return logs

        train_op.train_function = per_step
    else:

        def planned(iterator: tf.data.Iterator | tf.distribute.DistributedIterator):
            return train_op.run_chunk(iterator, planner.plan)

        train_op.train_function = planned
    if progress_bar is None:
        progress_bar = sys.stdout.isatty()
    data = distribute_dataset(strategy, data)
    try:
        with strategy.scope(), worker_log_prefix(strategy):
            train_op.fit(data, epochs=1, verbose=1 if progress_bar else 0, callbacks=cbs)
    except tf.errors.InvalidArgumentError as e:
        if "LossTensor is inf or nan" in str(e):
            raise FloatingPointError(
                "Loss is inf or nan at global step %d; training stopped and the last "
                "checkpoint was kept" % int(train_op.optimizer.iterations.numpy())
            ) from None
        raise
    except tf.errors.OpError as e:
        if multi_worker and peer_error(e):
            raise WorkerLostError(
                f"learning.train ({task_label(strategy)}): a worker of the cluster died or "
                f"stopped answering near global step {int(train_op.optimizer.iterations.numpy())}"
                f" ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); every "
                "worker stops: restart all of them to resume from the chief's last complete "
                f"checkpoint in {logdir!r}"
            ) from e
        raise
    finally:
        remove_worker_temp_dir(temp_dir)
        train_op.train_function = None
        release_training_resources([c for c in cbs if type(c).__module__.startswith("kslim.")])
    if last.value is None:
        raise ValueError(
            "learning.train ran no step: the dataset produced no batch (an empty dataset, or "
            "one smaller than batch_size with drop_remainder)"
        )
    if number_of_steps is not None and int(train_op.optimizer.iterations.numpy()) < number_of_steps:
        _log.info("Caught OutOfRangeError. Stopping Training.")
    return last.value
