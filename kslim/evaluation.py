"""slim.evaluation: evaluate checkpoints once or as they appear, beside training.

``evaluate_once`` and ``evaluation_loop`` keep slim's signatures. For each
checkpoint they restore the variables by slim name, reset every streaming
metric of the graph (slim's ``local_variables_initializer``), run ``num_evals``
batches of ``eval_op`` (usually the update ops of ``aggregate_metric_map``),
write the graph's summaries to ``logdir`` at the checkpoint's global step and
return the value of ``final_op`` with its structure.

The eval ops, and the final/summary tensors that need a batch, are the outputs
of one ``keras.Model`` over the graph's inputs; a compiled ``tf.function``
runs many batches per host call (``tf.while_loop`` over the dataset
iterator), like Keras' ``steps_per_execution``. A streaming metric's value
node (``(value, update_op)``'s ``value``) is read from the metric's state after
the loop, so ``final_op=names_to_values`` never re-applies an update. Other
final/summary tensors take their value on the last batch evaluated.

The data is the dataset bound to the graph's inputs by
``kslim.data.inputs`` (or ``dataset=``); a fresh iterator is made for every
checkpoint, as slim restarted its input queues with every session, and a
finite dataset that runs out before ``num_evals`` ends the evaluation cleanly.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim import checkpoints
from kslim.data.inputs import as_dataset, check_dataset_matches
from kslim.layers.base import is_symbolic
from kslim.learning.train_op import _find_inputs
from kslim.metrics.state import METRICS, StreamingMetric, reset_variables
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.variables import _group, get_variable_full_name

__all__ = [
    "checkpoints_iterator",
    "evaluate_once",
    "evaluation_loop",
    "get_or_create_eval_step",
    "wait_for_new_checkpoint",
]

_log = logging.getLogger("kslim")
_USE_DEFAULT = 0
#: Upper bound of batches run by one compiled call when nothing else bounds it.
_MAX_BATCHES_PER_CALL = 1000


# ------------------------------------------------------------- eval step
def get_or_create_eval_step(graph=None):
    """Returns the graph's ``eval_step`` counter, created if missing.

    An int64 scalar ``keras.Variable`` named ``eval_step`` in the
    LOCAL_VARIABLES and EVAL_STEP collections, reset to 0 and incremented once
    per batch by every evaluation.

    Args:
      graph: a ``kslim.Graph`` (default: the default graph).

    Returns:
      The variable.

    Raises:
      ValueError: ``'Multiple tensors added to tf.GraphKeys.EVAL_STEP'``.
    """
    graph = graph or get_default_graph()
    steps = graph.get_collection(GraphKeys.EVAL_STEP)
    if len(steps) == 1:
        return steps[0]
    if len(steps) > 1:
        raise ValueError("Multiple tensors added to tf.GraphKeys.EVAL_STEP")
    with keras.name_scope("", override_parent=""):
        step = keras.Variable(0, shape=(), dtype="int64", trainable=False, name="eval_step")
    graph.add_to_collections([GraphKeys.LOCAL_VARIABLES, GraphKeys.EVAL_STEP], step)
    return step


# ------------------------------------------------------ finding checkpoints
def wait_for_new_checkpoint(
    checkpoint_dir: str,
    last_checkpoint: str | None = None,
    seconds_to_sleep: float = 1,
    timeout: float | None = None,
) -> str | None:
    """Waits until ``checkpoint_dir``'s latest checkpoint differs from ``last_checkpoint``.

    Args:
      checkpoint_dir: the directory polled (its ``checkpoint`` state file).
      last_checkpoint: the last checkpoint path used, or None (default).
      seconds_to_sleep: seconds between polls, default 1.
      timeout: maximum seconds to wait; None (default) waits forever. As slim,
        gives up as soon as another sleep would pass the deadline.

    Returns:
      The new (complete) checkpoint path, or None on timeout.
    """
    _log.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        path = checkpoints.latest_checkpoint(checkpoint_dir)
        if path is None or path == last_checkpoint:
            if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
                return None
            time.sleep(seconds_to_sleep)
        else:
            _log.info("Found new checkpoint at %s", path)
            return path


def checkpoints_iterator(
    checkpoint_dir: str,
    min_interval_secs: float = 0,
    timeout: float | None = None,
    timeout_fn: Callable[[], bool] | None = None,
) -> Iterator[str]:
    """Yields the newest checkpoint of ``checkpoint_dir`` each time a new one appears.

    The latest checkpoint present is yielded at once. After each yield the
    generator sleeps until ``min_interval_secs`` after the yield started, then
    waits for a checkpoint different from the last one (intermediate ones are
    skipped). On a ``timeout`` wait without a new checkpoint: with no
    ``timeout_fn`` it logs ``'Timed-out waiting for a checkpoint.'`` and stops;
    otherwise it stops if ``timeout_fn()`` is true and keeps waiting if not.

    Args:
      checkpoint_dir: the directory watched.
      min_interval_secs: minimum seconds between yields (start to start), default 0.
      timeout: maximum seconds of each wait for a new checkpoint; None waits forever.
      timeout_fn: called with no arguments after a timeout.

    Yields:
      Checkpoint paths (prefixes such as ``logdir/model.ckpt-100``).
    """
    checkpoint_path = None
    while True:
        new_path = wait_for_new_checkpoint(checkpoint_dir, checkpoint_path, timeout=timeout)
        if new_path is None:
            if not timeout_fn:
                _log.info("Timed-out waiting for a checkpoint.")
                return
            if timeout_fn():
                return
            continue
        start = time.time()
        checkpoint_path = new_path
        yield checkpoint_path
        time_to_next_eval = start + min_interval_secs - time.time()
        if time_to_next_eval > 0:
            time.sleep(time_to_next_eval)


# ------------------------------------------------------------ structures
def _leaves(structure: Any) -> list:
    """Flattens a tensor, list/tuple/dict views or dict (sorted keys) of tensors."""
    if structure is None:
        return []
    if isinstance(structure, Mapping):
        return [leaf for key in sorted(structure, key=str) for leaf in _leaves(structure[key])]
    if isinstance(structure, (list, tuple)) or _is_view(structure):
        return [leaf for item in structure for leaf in _leaves(item)]
    return [structure]


def _is_view(value: Any) -> bool:
    return isinstance(value, (type({}.values()), type({}.keys())))


def _pack(structure: Any, values: Iterator) -> Any:
    """Rebuilds ``structure`` with the next ``values`` (list for views, as slim's fetch)."""
    if isinstance(structure, Mapping):
        packed = {key: _pack(structure[key], values) for key in sorted(structure, key=str)}
        return {key: packed[key] for key in structure}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_pack(item, values) for item in structure])
    if isinstance(structure, tuple):
        return tuple(_pack(item, values) for item in structure)
    if isinstance(structure, list) or _is_view(structure):
        return [_pack(item, values) for item in structure]
    return next(values)


def _metric_value_layer(tensor: Any) -> StreamingMetric | None:
    """The metric whose value node is ``tensor`` (``layer(anchor, mode='value')``)."""
    history = getattr(tensor, "_keras_history", None)
    if history is None or not isinstance(history.operation, StreamingMetric):
        return None
    node = history.operation._inbound_nodes[history.node_index]
    if node.arguments.kwargs.get("mode") == "value":
        return history.operation
    return None


def _summary_entries(summary_op: Any, graph) -> list[tuple[str, Any, str]]:
    """``(tag, tensor, kind)`` entries: the graph's, or those given as ``summary_op``."""
    if summary_op is None:
        return []
    if summary_op is _USE_DEFAULT:
        return list(graph.get_collection("_summary_tensors"))
    if isinstance(summary_op, Mapping):
        return [(str(tag), tensor, "scalar") for tag, tensor in summary_op.items()]
    entries = [summary_op] if _is_entry(summary_op) else list(summary_op)
    for entry in entries:
        if not _is_entry(entry):
            raise TypeError(
                "summary_op must be a (tag, tensor, kind) entry returned by kslim.summaries, "
                f"a list of them, or a dict tag -> scalar tensor; got {summary_op!r}"
            )
    return entries


def _is_entry(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], str)
        and value[2] in ("scalar", "histogram", "image")
    )


# -------------------------------------------------------------- evaluator
class _Evaluator:
    """The compiled evaluation of one graph's eval ops, final op and summaries."""

    def __init__(
        self, graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size: int
    ) -> None:
        self.graph = graph
        self.has_eval_op = eval_op is not None
        eval_leaves = _leaves(eval_op)
        for leaf in eval_leaves:
            if not is_symbolic(leaf):
                raise TypeError(
                    "eval_op must be a KerasTensor (e.g. a streaming metric's update_op), a "
                    f"list or a dict of them; got {type(leaf).__name__}: {leaf!r}"
                )
        self.final_op = final_op
        self.summaries = summaries
        # Every tensor read at the end: final_op's leaves, then the summaries'.
        self.end_tensors = _leaves(final_op) + [tensor for _, tensor, _ in summaries]
        # How each end tensor is read: ('state', layer) | ('batch', k) | ('now', tensor).
        self.readers: list[tuple[str, Any]] = []
        batch_tensors: list = []
        for tensor in self.end_tensors:
            layer = _metric_value_layer(tensor)
            if layer is not None:
                self.readers.append(("state", layer))
            elif is_symbolic(tensor):
                index = next((k for k, t in enumerate(batch_tensors) if t is tensor), None)
                if index is None:
                    index = len(batch_tensors)
                    batch_tensors.append(tensor)
                self.readers.append(("batch", index))
            else:
                self.readers.append(("now", tensor))
        self.num_eval_outputs = len(eval_leaves)
        self.batch_tensors = batch_tensors
        outputs = eval_leaves + batch_tensors
        self.needs_data = bool(outputs)
        self.eval_step = get_or_create_eval_step(graph)
        self.model = None
        self.dataset = None
        if self.needs_data:
            self._build_model(outputs, dataset, batch_size)
        self.restore_map = self._restore_map(variables_to_restore)
        self._chunk_fn = None

    # ---------------------------------------------------------------- setup
    def _build_model(self, outputs: list, dataset, batch_size: int) -> None:
        inputs = _find_inputs(outputs)
        bound = None
        for structure, data in self.graph.bindings:
            flat = tf.nest.flatten(structure)
            if all(any(t is f for f in flat) for t in inputs):
                inputs, bound = structure, data
                break
        else:
            if len(inputs) == 1:
                inputs = inputs[0]
        data = dataset if dataset is not None else bound
        if data is None:
            raise ValueError(
                "evaluation has no data: bind a dataset with kslim.data.inputs(dataset) when "
                "building the eval graph, or pass dataset=..."
            )
        self.dataset = as_dataset(data, batch_size)
        check_dataset_matches(self.dataset, inputs, "dataset")
        self.model = keras.Model(inputs, outputs, name="eval_op")

    def _restore_map(self, variables_to_restore) -> dict[str, Any]:
        if variables_to_restore is not None:
            if not isinstance(variables_to_restore, (Mapping, list, tuple)):
                raise TypeError(
                    "variables_to_restore must be a list of variables or a dict checkpoint "
                    f"name -> variable, got {type(variables_to_restore).__name__}: "
                    f"{variables_to_restore!r}"
                )
            return _group(variables_to_restore)
        local = {id(v) for v in self.graph.get_collection(GraphKeys.LOCAL_VARIABLES)}
        for layer in self.graph.get_collection(METRICS):
            local |= {id(v) for v in layer.state_variables}
        names: dict[str, Any] = {}
        weights = self.model.weights if self.model is not None else []
        for variable in list(weights) + self.graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if id(variable) not in local:
                names.setdefault(get_variable_full_name(variable), variable)
        return names

    # ------------------------------------------------------------ execution
    def _build_chunk_fn(self):
        model, eval_step = self.model, self.eval_step
        n_eval = self.num_eval_outputs
        specs = [
            tf.TensorSpec([0] * len(t.shape), tf.as_dtype(t.dtype)) for t in self.batch_tensors
        ]

        @tf.function
        def chunk(iterator, num_steps):
            def cond(i, opt, last):
                return tf.logical_and(i < num_steps, opt.has_value())

            def body(i, opt, last):
                data = opt.get_value()
                if isinstance(data, list):
                    data = tuple(data)
                outputs = model(data, training=False)
                if not isinstance(outputs, (list, tuple)):
                    outputs = [outputs]
                with tf.control_dependencies(tf.nest.flatten(outputs[:n_eval])):
                    step = eval_step.assign_add(1)
                with tf.control_dependencies([step]):
                    i = tf.identity(i) + 1
                nxt = tf.cond(i < num_steps, iterator.get_next_as_optional, lambda: opt)
                return i, nxt, list(outputs[n_eval:])

            first = iterator.get_next_as_optional()
            last = [tf.zeros(s.shape, s.dtype) for s in specs]
            invariants = [
                tf.TensorShape([]),
                first._type_spec,
                [tf.TensorShape(None) for _ in specs],
            ]
            steps, _, last = tf.while_loop(
                cond, body, [tf.constant(0), first, last], shape_invariants=invariants
            )
            return steps, last

        return chunk

    def run(
        self, checkpoint_path: str, num_evals: int | None, logdir: str | None, writer_cache: dict
    ) -> Any:
        """Restores ``checkpoint_path``, runs the batches, writes summaries; returns final_op."""
        checkpoints.restore_variables(checkpoint_path, self.restore_map)
        _log.info("Restoring parameters from %s", checkpoint_path)
        step = _checkpoint_global_step(checkpoint_path)
        for layer in self.graph.get_collection(METRICS):
            layer.reset_state()
        reset_variables([self.eval_step])
        last: list = [None] * len(self.batch_tensors)
        if self.needs_data and (self.has_eval_op or self.batch_tensors):
            target = num_evals if self.has_eval_op else 1
            last = self._run_batches(target, log=self.has_eval_op)
        values = []
        for kind, what in self.readers:
            if kind == "state":
                values.append(what.result())
            elif kind == "batch":
                values.append(last[what])
            else:
                values.append(tf.convert_to_tensor(what))
        values = [None if v is None else _numpy(v) for v in values]
        n_final = len(_leaves(self.final_op))
        if self.summaries:
            _write_summaries(self.summaries, values[n_final:], logdir, step, writer_cache)
        if self.final_op is None:
            return None
        return _pack(self.final_op, iter(values[:n_final]))

    def _run_batches(self, num_evals: int | None, log: bool) -> list:
        if self._chunk_fn is None:
            self._chunk_fn = self._build_chunk_fn()
        iterator = iter(self.dataset)
        frequency = 1 if num_evals is None or num_evals < 20 else math.floor(num_evals / 10.0)
        done = 0
        last: list = [None] * len(self.batch_tensors)
        while num_evals is None or done < num_evals:
            if num_evals is None:
                size = _MAX_BATCHES_PER_CALL
            elif num_evals < 20:
                size = num_evals - done
            else:
                size = min(frequency - done % frequency, num_evals - done)
            size = min(size, _MAX_BATCHES_PER_CALL)
            steps, values = self._chunk_fn(iterator, tf.constant(size))
            steps = int(steps)
            if steps:
                last = values
            for k in range(done + 1, done + steps + 1):
                if not log:
                    break
                if num_evals is None:
                    _log.info("Evaluation [%d]", k)
                elif k % frequency == 0 or k == num_evals:
                    _log.info("Evaluation [%d/%d]", k, num_evals)
            done += steps
            if steps < size:
                if num_evals is not None:
                    _log.info(
                        "The data ran out after %d of %d evaluation batches; evaluation ends",
                        done,
                        num_evals,
                    )
                break
        return last


def _numpy(value: Any):
    if isinstance(value, (tf.Tensor, tf.Variable)) or hasattr(value, "numpy"):
        return value.numpy()
    return np.asarray(value)


def _checkpoint_global_step(path: str) -> int:
    """The checkpoint's ``global_step`` value (else the number in its name, else 0)."""
    reader = tf.train.load_checkpoint(path)
    if reader.has_tensor(GraphKeys.GLOBAL_STEP):
        return int(reader.get_tensor(GraphKeys.GLOBAL_STEP))
    step = checkpoints.checkpoint_step(path)
    return 0 if step is None else step


def _write_summaries(summaries, values, logdir: str, step: int, writer_cache: dict) -> None:
    writer = writer_cache.get(logdir)
    if writer is None:
        writer = writer_cache[logdir] = tf.summary.create_file_writer(logdir)
    with writer.as_default(step=step):
        for (tag, _, kind), value in zip(summaries, values, strict=True):
            if value is None:
                continue
            value = np.asarray(value)
            if kind == "image":
                tf.summary.image(tag, value, max_outputs=3)
            elif kind == "histogram" or value.ndim > 0:
                tf.summary.histogram(tag, value)
            else:
                tf.summary.scalar(tag, float(value))
    writer.flush()


def _close_writers(writer_cache: dict) -> None:
    """Closes the summary writers an evaluation opened (they hold file handles and a
    background flush; nothing of an evaluation outlives its call)."""
    for writer in writer_cache.values():
        writer.close()
    writer_cache.clear()


def _evaluator(
    graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size
) -> _Evaluator:
    """An evaluator for these tensors, cached on the graph (its compiled loop is reused)."""
    key = (
        tuple(id(t) for t in _leaves(eval_op)),
        eval_op is None,
        tuple(id(t) for t in _leaves(final_op)),
        tuple((tag, id(t), kind) for tag, t, kind in summaries),
        _restore_key(variables_to_restore),
        id(dataset),
        batch_size,
    )
    for cached_key, evaluator in graph.get_collection("_kslim_evaluators"):
        if cached_key == key:
            evaluator.final_op = final_op
            return evaluator
    evaluator = _Evaluator(
        graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size
    )
    graph.add_to_collection("_kslim_evaluators", (key, evaluator))
    return evaluator


def _restore_key(variables_to_restore) -> Any:
    if variables_to_restore is None:
        return None
    if isinstance(variables_to_restore, Mapping):
        return tuple((str(k), id(v)) for k, v in variables_to_restore.items())
    if isinstance(variables_to_restore, (list, tuple)):
        return tuple(id(v) for v in variables_to_restore)
    return id(variables_to_restore)


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


def _eval_strategy(strategy, evaluator: _Evaluator, fn: str):
    """The strategy an evaluation runs under (kslim.learning.distribute.resolve_strategy)."""
    from kslim.learning.distribute import resolve_strategy

    variables = list(evaluator.model.weights) if evaluator.model is not None else []
    variables += [v for v in evaluator.restore_map.values() if hasattr(v, "assign")]
    return resolve_strategy(strategy, variables, fn)


def _check_num_evals(num_evals) -> None:
    if num_evals is not None and (
        isinstance(num_evals, bool) or not isinstance(num_evals, (int, np.integer)) or num_evals < 1
    ):
        raise ValueError(f"num_evals must be a positive int or None, got {num_evals!r}")


def _check_summaries(summaries, logdir) -> None:
    if summaries and logdir is None:
        raise ValueError("One of log_dir or summary_writer should be used.")


# ------------------------------------------------------------------- API
def evaluate_once(
    master,
    checkpoint_path,
    logdir,
    num_evals=1,
    initial_op=None,
    initial_op_feed_dict=None,
    eval_op=None,
    eval_op_feed_dict=None,
    final_op=None,
    final_op_feed_dict=None,
    summary_op=_USE_DEFAULT,
    summary_op_feed_dict=None,
    variables_to_restore=None,
    session_config=None,
    hooks=None,
    *,
    dataset=None,
    batch_size: int = 32,
    graph=None,
    strategy=None,
):
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
      initial_op, initial_op_feed_dict: never run by slim (the checkpoint is
        always restored); warn when set.
      eval_op: a KerasTensor, or a list or dict of them, run every batch
        (typically the update ops of ``aggregate_metric_map``); None runs no
        batch (final_op and summaries are still read).
      eval_op_feed_dict, final_op_feed_dict, summary_op_feed_dict,
        session_config, hooks: TF1 only; warn when set.
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
    graph = graph or get_default_graph()
    summaries = _summary_entries(summary_op, graph)
    _check_summaries(summaries, logdir)
    evaluator = _evaluator(
        graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size
    )
    strategy = _eval_strategy(strategy, evaluator, "evaluation.evaluate_once")
    _log.info("Starting evaluation at " + time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()))
    start = time.time()
    writers: dict = {}
    try:
        with strategy.scope():
            result = evaluator.run(checkpoint_path, num_evals, logdir, writers)
    finally:
        _close_writers(writers)
    _log.info("Inference Time : %.5fs", time.time() - start)
    _log.info("Finished evaluation at " + time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime()))
    return result


def evaluation_loop(
    master,
    checkpoint_dir,
    logdir,
    num_evals=1,
    initial_op=None,
    initial_op_feed_dict=None,
    init_fn=None,
    eval_op=None,
    eval_op_feed_dict=None,
    final_op=None,
    final_op_feed_dict=None,
    summary_op=_USE_DEFAULT,
    summary_op_feed_dict=None,
    variables_to_restore=None,
    eval_interval_secs=60,
    max_number_of_evaluations=None,
    session_config=None,
    timeout=None,
    timeout_fn=None,
    hooks=None,
    *,
    dataset=None,
    batch_size: int = 32,
    graph=None,
    strategy=None,
):
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
      initial_op, initial_op_feed_dict, init_fn: never run by slim (every
        evaluation restores a checkpoint); warn when set.
      eval_op, final_op, summary_op, variables_to_restore, dataset,
        batch_size, graph, strategy: as ``evaluate_once``.
      eval_op_feed_dict, final_op_feed_dict, summary_op_feed_dict,
        session_config, hooks: TF1 only; warn when set.
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
    graph = graph or get_default_graph()
    summaries = _summary_entries(summary_op, graph)
    _check_summaries(summaries, logdir)
    evaluator = _evaluator(
        graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size
    )
    strategy = _eval_strategy(strategy, evaluator, "evaluation.evaluation_loop")
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
        _close_writers(writers)
    return result
