"""create_train_op: a Keras model whose train step is slim's train op.

``TrainOp`` is a functional ``keras.Model`` from the graph's inputs to the total
loss (plus each collected loss and each requested summary). ``run_chunk(iterator,
plan)`` runs one ``ChunkPlan`` (made by ``ChunkPlanner``): a compiled loop of
``plan.steps`` steps returning every step's total loss, so per-step log lines stay
exact while the host is visited once per chunk, or one step that also computes
the summaries.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import is_symbolic
from kslim.learning.callbacks.chunk_events import ChunkPlan
from kslim.learning.chunk_loop import run_steps
from kslim.learning.gradients import (
    add_gradients_summaries,
    clip_gradient_norms,
    multiply_gradients,
)
from kslim.ops import keras_graph
from kslim.ops.graph import Graph, GraphKeys, get_default_graph

__all__ = [
    "TrainOp",
    "add_gradients_summaries",
    "clip_gradient_norms",
    "create_train_op",
    "multiply_gradients",
]

_log = logging.getLogger("kslim")
_USE_GLOBAL_STEP = 0
#: Most summary values (in all) that every step computes (``TrainOp.summaries_in_loop``).
SUMMARIES_IN_LOOP_SIZE = 1024


class TrainOp(keras_graph.OptimizerOnlySymbolicBuild, keras.Model):
    """The slim train op as a Keras model (see ``create_train_op``)."""

    def __init__(
        self,
        inputs: keras.KerasTensor | Sequence[keras.KerasTensor] | dict[str, keras.KerasTensor],
        outputs: dict[str, keras.KerasTensor],
        variables_to_train: Sequence[tf.Variable | keras.Variable] | None = None,
        clip_gradient_norm: float | None = 0.0,
        gradient_multipliers: dict[Any, float | tf.Tensor] | None = None,
        summarize_gradients: bool = False,
        check_numerics: bool = True,
        update_ops: Sequence[Callable[[], Any]] | None = None,
        bound_dataset: tf.data.Dataset | None = None,
        transform_grads_fn: Callable[[list], Iterable] | None = None,
        variable_summaries: dict[str, tf.Variable | keras.Variable] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self._loss_names = [k[len("losses/") :] for k in outputs if k.startswith("losses/")]
        # ``{"<kind>:<tag>": variable}``: summaries of variables, read in the summary step.
        self._variable_summaries = dict(variable_summaries or {})
        self._variables_to_train_ref = lambda: variables_to_train
        self.clip_gradient_norm = float(clip_gradient_norm or 0.0)
        self._gradient_multipliers = gradient_multipliers
        self.summarize_gradients = bool(summarize_gradients)
        self.check_numerics = bool(check_numerics)
        self._update_ops = list(update_ops or [])
        self.bound_dataset = bound_dataset
        # Optional ``fn(grads_and_vars) -> grads_and_vars`` applied after multipliers and
        # clipping (tf_slim.training.create_train_op's hook).
        self.transform_grads_fn = transform_grads_fn
        self._compiled_chunk = None
        self._plan_fn = None

    # ----------------------------------------------------------- variables
    @property
    def variables_to_train(self) -> list:
        """The variables the optimizer updates."""
        chosen = self._variables_to_train_ref()
        return list(chosen) if chosen is not None else list(self.trainable_weights)

    @property
    def loss_names(self) -> list[str]:
        """Names of the collected losses (summary tags under ``losses/``)."""
        return list(self._loss_names)

    @property
    def global_step(self) -> keras.Variable:
        """The global step: the optimizer's ``iterations`` (int64)."""
        return self.optimizer.iterations

    # ----------------------------------------------------------- one step
    def _step(self, data: Any, with_summaries: bool):
        if isinstance(data, list):
            data = tuple(data)
        for fn in self._update_ops:
            fn()
        variables = self.variables_to_train
        with tf.GradientTape() as tape:
            outputs = self(data, training=True)
            loss = outputs["total_loss"]
            # Under a tf.distribute strategy each replica sees 1/N of the global batch
            # and the optimizer sums the replicas' gradients: scaling each replica's loss
            # by 1/N gives the gradient of the global-batch loss (regularization included,
            # counted once), as Keras' own train step does.
            replicas = _replicas_in_sync()
            scaled = loss / replicas if replicas > 1 else loss
        grads = tape.gradient(scaled, variables)
        checked = []
        if self.check_numerics:
            loss = tf.debugging.check_numerics(loss, "LossTensor is inf or nan")
            checked = [loss]
        grads_and_vars = list(zip(grads, variables, strict=True))
        if self._gradient_multipliers:
            grads_and_vars = multiply_gradients(grads_and_vars, self._gradient_multipliers)
        if self.clip_gradient_norm > 0:
            grads_and_vars = clip_gradient_norms(grads_and_vars, self.clip_gradient_norm)
        if self.transform_grads_fn is not None:
            grads_and_vars = list(self.transform_grads_fn(grads_and_vars))
        present = [(g, v) for g, v in grads_and_vars if g is not None]
        # The whole update (incl. the global step increment, which does not depend on
        # the gradients) waits for the check, so NaN never reaches the weights and a
        # failing step leaves no trace.
        with tf.control_dependencies(checked):
            self.optimizer.apply([g for g, _ in present], [v for _, v in present])
        logs = {"loss": loss}
        for key, value in outputs.items():
            if key.startswith("losses/"):
                logs[key] = tf.cast(value, tf.float32)
        summaries = {}
        if with_summaries:
            for key, value in outputs.items():
                if key.startswith("summaries/"):
                    summaries[key[len("summaries/") :]] = value
            for key, variable in self._variable_summaries.items():
                summaries[key] = tf.convert_to_tensor(variable)
            if self.summarize_gradients:
                summaries.update(add_gradients_summaries(grads_and_vars))
        return logs, summaries

    def train_step(self, data: Any) -> dict:
        """One training step on ``data`` (Keras' ``fit`` calls it); returns the logs."""
        logs, _ = self._step(data, False)
        return logs

    # -------------------------------------------------- chunked execution
    def _build_chunk_fn(self, in_loop: bool):
        # in_loop (summaries_in_loop()): summaries that cost nothing every step are
        # computed by every step, so the start's summary step is a one-step chunk of the
        # loop: one function is traced and instantiated (and, with XLA, compiled) for the
        # whole run, not two.
        strategy = self.distribute_strategy

        # learning.train(jit_compile=True): each step (forward, gradients, update) is one
        # XLA computation; the loop around it, which reads the dataset, stays a tf.function.
        # XLA cannot create variables: the optimizer's slots are made beforehand.
        step_fn = self._step
        if self.jit_compile:
            with strategy.scope():
                if not self.optimizer.built:
                    self.optimizer.build(self.variables_to_train)
            step_fn = tf.function(self._step, jit_compile=True)

        def one(data: Any, with_summaries: bool):
            logs, summaries = strategy.run(lambda d: step_fn(d, with_summaries), args=(data,))
            reduce = tf.distribute.ReduceOp.MEAN

            def red(v: Any):
                return (
                    strategy.reduce(reduce, v, axis=None)
                    if strategy.num_replicas_in_sync > 1
                    else strategy.experimental_local_results(v)[0]
                )

            return tf.nest.map_structure(red, logs), tf.nest.map_structure(red, summaries)

        def values(data: Any, with_summaries: bool) -> dict[str, tf.Tensor]:
            """One step's logs (float32) and, if asked, summaries, under flat keys."""
            logs, summaries = one(data, with_summaries)
            flat = {k: tf.cast(logs[k], tf.float32) for k in self._log_keys()}
            flat.update({"summaries/" + k: v for k, v in summaries.items()})
            return flat

        # No autograph: the loop is an explicit tf.while_loop and the step has no
        # tensor-dependent Python control flow (as Keras' own train function);
        # converting the model's call graph was most of the first trace's time.
        @tf.function(autograph=False)
        def chunk(
            iterator: tf.data.Iterator | tf.distribute.DistributedIterator, num_steps: tf.Tensor
        ):
            dtypes = dict.fromkeys(self._log_keys(), tf.float32)
            if in_loop:
                dtypes.update(self._summary_dtypes())
            tas = {k: tf.TensorArray(d, size=0, dynamic_size=True) for k, d in dtypes.items()}

            def step(data: Any, i: tf.Tensor, tas: dict[str, tf.TensorArray]):
                flat = values(data, in_loop)
                return {k: tas[k].write(i, flat[k]) for k in tas}

            steps, tas = run_steps(iterator, num_steps, step, tas)
            return steps, {k: ta.stack() for k, ta in tas.items()}

        @tf.function(autograph=False)
        def summary_step(data: Any):
            return {k: tf.expand_dims(v, 0) for k, v in values(data, True).items()}

        # Every chunk one step (ChunkPlan.looped False): the step without the loop, its
        # element read in the graph, as Keras' steps_per_execution=1 train function.
        @tf.function(autograph=False)
        def single_step(
            iterator: tf.data.Iterator | tf.distribute.DistributedIterator,
        ):
            flat = values(iterator.get_next(), in_loop)
            return {k: tf.expand_dims(v, 0) for k, v in flat.items()}

        return chunk, summary_step, single_step

    def summaries_in_loop(self) -> bool:
        """Whether every step computes the summaries (so one function runs them all).

        True when they cost nothing to compute every step: no gradient summaries, and
        output and variable summaries of at most ``SUMMARIES_IN_LOOP_SIZE`` values in
        all, of fully known shapes. Multi-worker strategies keep the summary step apart
        (their workers agree on each call's plan).

        Returns:
          True if a summary plan runs as a one-step chunk of the compiled loop.
        """
        if self.summarize_gradients or _in_multi_worker(self):
            return False
        size = 0
        for tensor in self._summary_tensors().values():
            shape = tf.TensorShape(tensor.shape)
            if not shape.is_fully_defined():
                return False
            size += shape.num_elements()
        return size <= SUMMARIES_IN_LOOP_SIZE

    def _summary_tensors(self) -> dict[str, Any]:
        """``{"summaries/<kind>:<tag>": tensor or variable}`` the summary step returns."""
        tensors = {k: v for k, v in self.output.items() if k.startswith("summaries/")}
        tensors.update({"summaries/" + k: v for k, v in self._variable_summaries.items()})
        return tensors

    def _summary_dtypes(self) -> dict[str, tf.DType]:
        return {k: tf.as_dtype(v.dtype) for k, v in self._summary_tensors().items()}

    def _log_keys(self) -> list[str]:
        return ["loss"] + ["losses/" + n for n in self.loss_names]

    def _agree_on_plan(self, plan: ChunkPlan) -> ChunkPlan:
        """The next call's plan, agreed by every worker of a multi-worker strategy.

        Each step all-reduces across workers, so all of them must run the same function
        for the same number of steps. Their callbacks plan alone (only the chief writes
        summaries and traces; time-based events read each worker's clock), so the plans
        are merged with one small collective per call: summaries if any worker wants
        them, the fewest steps any worker wants. Only called on multi-worker strategies.
        """
        strategy = self.distribute_strategy
        if self._plan_fn is None:

            @tf.function
            def plan_fn(values: tf.Tensor):
                local = strategy.run(tf.identity, args=(values,))
                return strategy.gather(local, axis=0)

            self._plan_fn = plan_fn
        local = [[float(plan.summaries), float(plan.steps)]]
        plans = self._plan_fn(tf.constant(local)).numpy()
        summaries = bool(plans[:, 0].max() > 0)
        steps = 1 if summaries else max(1, int(plans[:, 1].min()))
        if (summaries, steps) == (plan.summaries, plan.steps):
            return plan
        return dataclasses.replace(plan, summaries=summaries, steps=steps)

    def run_chunk(
        self, iterator: tf.data.Iterator | tf.distribute.DistributedIterator, plan: ChunkPlan
    ) -> dict[str, Any]:
        """Runs ``plan`` on ``iterator``: the compiled chunk of a TrainOp.

        Args:
          iterator: the (distributed) dataset iterator of ``fit``.
          plan: the ``ChunkPlan``: ``plan.steps`` steps in the compiled loop, one step
            computing the summaries when ``plan.summaries``, or one step without the
            loop when not ``plan.looped``.

        Returns:
          Keras logs: ``loss`` and ``losses/<name>`` of the last step, ``step_losses``
          (every step's total loss), ``steps_run`` and ``summaries/<kind>:<tag>``.

        Raises:
          StopIteration: the data ran out before the first step.
        """
        if self._compiled_chunk is None:
            in_loop = self.summaries_in_loop()
            self._compiled_chunk = self._build_chunk_fn(in_loop), _in_multi_worker(self), in_loop
        (chunk, summary_step, single_step), multi_worker, in_loop = self._compiled_chunk
        if multi_worker:
            plan = self._agree_on_plan(plan)
        if plan.summaries and not in_loop:
            opt = iterator.get_next_as_optional()
            if not opt.has_value():
                raise StopIteration
            stacked = summary_step(opt.get_value())
            steps = 1
        elif not plan.looped and not multi_worker:
            try:
                stacked = single_step(iterator)
            except tf.errors.OutOfRangeError:
                raise StopIteration from None
            steps = 1
        else:
            steps, stacked = chunk(iterator, tf.constant(plan.steps))
        steps = int(steps)
        if steps == 0:
            raise StopIteration
        # Keras flattens nested dicts in callback logs, so summaries travel as
        # top-level "summaries/<kind>:<tag>" entries (only when the plan asked).
        logs = {
            k: v[steps - 1]
            for k, v in stacked.items()
            if plan.summaries or not k.startswith("summaries/")
        }
        logs["step_losses"] = stacked["loss"]
        logs["steps_run"] = steps
        return logs

    def make_train_function(self, force: bool = False) -> Callable:
        """Keras' train function: one plain step per call (``learning.train`` plans)."""
        if self.train_function is not None and not force:
            return self.train_function
        if force:
            self._compiled_chunk = None

        def function(iterator: tf.data.Iterator | tf.distribute.DistributedIterator):
            return self.run_chunk(iterator, ChunkPlan(steps=1, looped=False))

        self.train_function = function
        return function


def _in_multi_worker(model: keras.Model) -> bool:
    """Whether the model trains under a multi-worker ``tf.distribute`` strategy."""
    return bool(
        getattr(model.distribute_strategy.extended, "_in_multi_worker_mode", lambda: False)()
    )


def _replicas_in_sync() -> int:
    """Replicas training in sync in the current replica context (1 outside strategies)."""
    context = tf.distribute.get_replica_context()
    return context.num_replicas_in_sync if context is not None else 1


def _warn_ignored(name: str, value: Any, why: str) -> None:
    warnings.warn(f"create_train_op: {name}={value!r} has no effect in kslim: {why}", stacklevel=3)


def _track_unowned_variables(model: TrainOp, graph: Graph) -> None:
    """Makes the model own variables created by ``slim.variable`` & co.

    So they are trained (if trainable) and checkpointed like layer variables.
    """
    from kslim.variables import get_unowned_variables

    unowned = [v for v in get_unowned_variables(graph) if not any(v is w for w in model.weights)]
    if not unowned:
        return
    keras_graph.set_tracked_attributes(model, unowned_variables=unowned)


def create_train_op(
    total_loss: keras.KerasTensor,
    optimizer: keras.optimizers.Optimizer | tf.compat.v1.train.Optimizer,
    global_step: Any = _USE_GLOBAL_STEP,
    update_ops: Sequence[Callable[[], Any]] | None = None,
    variables_to_train: Iterable[tf.Variable | keras.Variable] | None = None,
    clip_gradient_norm: float | None = 0,
    summarize_gradients: bool = False,
    gate_gradients: int = 1,
    aggregation_method: int | None = None,
    colocate_gradients_with_ops: bool = False,
    gradient_multipliers: dict[Any, float | tf.Tensor] | None = None,
    check_numerics: bool = True,
) -> TrainOp:
    """Returns the train op: a ``TrainOp`` Keras model computing ``total_loss``.

    Args:
      total_loss: the scalar KerasTensor of the graph's total loss (e.g.
        ``slim.losses.get_total_loss()``).
      optimizer: a Keras optimizer or a ``tf.compat.v1.train`` optimizer
        (GradientDescent, Momentum, RMSProp, Adam, Adagrad), converted with
        TF1's exact update rule.
      global_step: the default uses the optimizer's ``iterations`` as the
        global step (the only global step in Keras); other values warn.
      update_ops: None (batch_norm updates run in its training-mode forward
        pass), or a list of callables run before each gradient computation.
      variables_to_train: the variables to update (default: all trainable).
      clip_gradient_norm: if > 0, each gradient is clipped to this norm after
        the multipliers.
      summarize_gradients: add ``<var>_gradient`` histograms and
        ``<var>_gradient_norm`` scalars to the summaries.
      gate_gradients: TF1
        graph options; accepted, warn when not default.
      aggregation_method: see ``gate_gradients``.
      colocate_gradients_with_ops: see ``gate_gradients``.
      gradient_multipliers: dict variable-or-name -> factor.
      check_numerics: stop with an error when the loss is inf or NaN, before
        the weights are updated.

    Returns:
      A ``TrainOp`` (``keras.Model``), compiled with ``optimizer``.

    Raises:
      ValueError: if ``total_loss`` is not a scalar KerasTensor, or
        ``variables_to_train`` is empty.
    """
    from kslim.learning.optimizers import to_keras_optimizer

    if not is_symbolic(total_loss):
        raise ValueError(
            "create_train_op: total_loss must be a KerasTensor of a kslim graph (built on "
            "keras.Input or kslim.data.inputs tensors), got "
            f"{type(total_loss).__name__}: {total_loss!r}"
        )
    if tuple(total_loss.shape) != ():
        raise ValueError(
            f"create_train_op: total_loss must be a scalar, got shape {tuple(total_loss.shape)}"
        )
    if optimizer is None:
        raise ValueError(
            "create_train_op: optimizer must be a Keras optimizer or a tf.compat.v1.train "
            "optimizer, got optimizer=None"
        )
    if global_step is not _USE_GLOBAL_STEP:
        _warn_ignored(
            "global_step", global_step, "the optimizer's iterations counter is the global step"
        )
    if gate_gradients != 1:
        _warn_ignored("gate_gradients", gate_gradients, "TF2 has no gradient gating")
    if aggregation_method is not None:
        _warn_ignored("aggregation_method", aggregation_method, "GradientTape aggregates")
    if colocate_gradients_with_ops:
        _warn_ignored(
            "colocate_gradients_with_ops",
            colocate_gradients_with_ops,
            "placement is automatic in TF2",
        )
    if update_ops is not None and any(not callable(u) for u in update_ops):
        raise ValueError(f"update_ops must be callables in kslim, got {update_ops!r}")
    if variables_to_train is not None:
        variables_to_train = list(variables_to_train)
        if not variables_to_train:
            raise ValueError("variables_to_train is empty: nothing to train")
    graph = get_default_graph()
    outputs: dict[str, Any] = {"total_loss": total_loss}
    for i, loss in enumerate(graph.get_collection(GraphKeys.LOSSES)):
        if is_symbolic(loss):
            outputs["losses/" + keras_graph.output_name(loss, f"loss_{i}")] = loss
    variable_summaries = {}
    for tag, tensor, kind in graph.get_collection(GraphKeys.SUMMARY_TENSORS):
        if is_symbolic(tensor):
            outputs[f"summaries/{kind}:{tag}"] = tensor
        elif isinstance(tensor, (tf.Variable, keras.Variable)):
            # ``tf.summary.histogram(variable.op.name, variable)``: read when written.
            variable_summaries[f"{kind}:{tag}"] = tensor
    inputs, bound = keras_graph.bound_inputs(
        keras_graph.find_inputs(list(outputs.values())), graph.bindings, allow_unused=False
    )
    model = TrainOp(
        inputs,
        outputs,
        variables_to_train,
        clip_gradient_norm,
        gradient_multipliers,
        summarize_gradients,
        check_numerics,
        update_ops,
        bound,
        variable_summaries=variable_summaries,
        name="train_op",
    )
    _track_unowned_variables(model, graph)
    model.compile(optimizer=to_keras_optimizer(optimizer))
    graph.add_to_collection(GraphKeys.TRAIN_OP, model)
    graph.clear_collection(GraphKeys.GLOBAL_STEP)
    graph.add_to_collection(GraphKeys.GLOBAL_STEP, model.optimizer.iterations)
    return model
