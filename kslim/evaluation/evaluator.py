"""The compiled evaluator: one graph's eval ops, final op and summaries.

``Evaluator`` builds one ``keras.Model`` from the graph's inputs to the eval ops
and the final/summary tensors that need a batch, and runs many batches per host
call (``kslim.learning.chunk_loop.run_steps``, as Keras' ``steps_per_execution``).
A streaming metric's value node is read from the metric's state after the loop,
so ``final_op=names_to_values`` never re-applies an update; other final/summary
tensors take their value on the last batch evaluated.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim import checkpoints
from kslim.data.inputs import as_dataset, check_dataset_matches
from kslim.layers.base import is_symbolic
from kslim.learning.chunk_loop import run_steps
from kslim.metrics.state import METRICS, StreamingMetric, reset_variables
from kslim.ops import keras_graph
from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.tensor_types import Tensor
from kslim.variables import get_variable_full_name
from kslim.variables.assign import variables_by_checkpoint_name

__all__ = [
    "USE_DEFAULT",
    "Evaluator",
    "cached_evaluator",
    "close_writers",
    "get_or_create_eval_step",
    "summary_entries",
]

_log = logging.getLogger("kslim")
#: The default ``summary_op``: the graph's ``kslim.summaries``.
USE_DEFAULT = 0
#: Upper bound of batches run by one compiled call when nothing else bounds it.
_MAX_BATCHES_PER_CALL = 1000

# ``eval_op`` / ``final_op``: a tensor, or a list or dict of them.
OpStructure = Tensor | Sequence[Any] | Mapping[str, Any]
# ``variables_to_restore``: a list of variables, or a dict checkpoint name -> variable.
VariablesToRestore = Sequence[Any] | Mapping[str, Any]
# ``dataset``: a ``tf.data.Dataset``, or numpy arrays (a tuple, list or dict of them).
EvalData = tf.data.Dataset | np.ndarray | Sequence[Any] | Mapping[str, Any]


# ------------------------------------------------------------- eval step
def get_or_create_eval_step(graph: Graph | None = None) -> keras.Variable:
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
    layer = keras_graph.producer(tensor)
    if not isinstance(layer, StreamingMetric):
        return None
    return layer if keras_graph.call_kwargs(tensor).get("mode") == "value" else None


def summary_entries(summary_op: Any, graph: Graph) -> list[tuple[str, Any, str]]:
    """``(tag, tensor, kind)`` entries: the graph's, or those given as ``summary_op``."""
    if summary_op is None:
        return []
    if summary_op is USE_DEFAULT:
        return list(graph.get_collection(GraphKeys.SUMMARY_TENSORS))
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
class Evaluator:
    """The compiled evaluation of one graph's eval ops, final op and summaries."""

    def __init__(
        self,
        graph: Graph,
        eval_op: OpStructure | None,
        final_op: OpStructure | None,
        summaries: list[tuple[str, Any, str]],
        variables_to_restore: VariablesToRestore | None,
        dataset: EvalData | None,
        batch_size: int,
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
    def _build_model(self, outputs: list, dataset: EvalData | None, batch_size: int) -> None:
        inputs, bound = keras_graph.bound_inputs(
            keras_graph.find_inputs(outputs), self.graph.bindings, allow_unused=True
        )
        data = dataset if dataset is not None else bound
        if data is None:
            raise ValueError(
                "evaluation has no data: bind a dataset with kslim.data.inputs(dataset) when "
                "building the eval graph, or pass dataset=..."
            )
        self.dataset = as_dataset(data, batch_size)
        check_dataset_matches(self.dataset, inputs, "dataset")
        self.model = keras.Model(inputs, outputs, name="eval_op")

    def _restore_map(self, variables_to_restore: VariablesToRestore | None) -> dict[str, Any]:
        if variables_to_restore is not None:
            if not isinstance(variables_to_restore, (Mapping, list, tuple)):
                raise TypeError(
                    "variables_to_restore must be a list of variables or a dict checkpoint "
                    f"name -> variable, got {type(variables_to_restore).__name__}: "
                    f"{variables_to_restore!r}"
                )
            return variables_by_checkpoint_name(variables_to_restore)
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

        @tf.function(autograph=False)  # an explicit tf.while_loop, as the train chunk
        def chunk(iterator: Iterator[Any], num_steps: tf.Tensor) -> tuple[tf.Tensor, list]:
            def step(data: Any, i: tf.Tensor, state: list) -> list:
                del i
                outputs = model(data, training=False)
                if not isinstance(outputs, (list, tuple)):
                    outputs = [outputs]
                with tf.control_dependencies(tf.nest.flatten(outputs[:n_eval])):
                    count = eval_step.assign_add(1)
                # The batch's values depend on the step's increment, so it always runs.
                with tf.control_dependencies([count]):
                    return [tf.identity(count), [tf.identity(t) for t in outputs[n_eval:]]]

            state = [tf.constant(0, tf.int64), [tf.zeros(s.shape, s.dtype) for s in specs]]
            invariants = [tf.TensorShape([]), [tf.TensorShape(None) for _ in specs]]
            steps, (_, last) = run_steps(iterator, num_steps, step, state, invariants)
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


def _write_summaries(
    summaries: list[tuple[str, Any, str]],
    values: Sequence[Any],
    logdir: str,
    step: int,
    writer_cache: dict,
) -> None:
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


def close_writers(writer_cache: dict) -> None:
    """Closes the summary writers an evaluation opened.

    They hold file handles and a background flush; nothing of an evaluation outlives
    its call.
    """
    for writer in writer_cache.values():
        writer.close()
    writer_cache.clear()


def cached_evaluator(
    graph: Graph,
    eval_op: OpStructure | None,
    final_op: OpStructure | None,
    summaries: list[tuple[str, Any, str]],
    variables_to_restore: VariablesToRestore | None,
    dataset: EvalData | None,
    batch_size: int,
) -> Evaluator:
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
    for cached_key, evaluator in graph.get_collection(GraphKeys.EVALUATORS):
        if cached_key == key:
            evaluator.final_op = final_op
            return evaluator
    evaluator = Evaluator(
        graph, eval_op, final_op, summaries, variables_to_restore, dataset, batch_size
    )
    graph.add_to_collection(GraphKeys.EVALUATORS, (key, evaluator))
    return evaluator


def _restore_key(variables_to_restore: VariablesToRestore | None) -> Any:
    if variables_to_restore is None:
        return None
    if isinstance(variables_to_restore, Mapping):
        return tuple((str(k), id(v)) for k, v in variables_to_restore.items())
    if isinstance(variables_to_restore, (list, tuple)):
        return tuple(id(v) for v in variables_to_restore)
    return id(variables_to_restore)
