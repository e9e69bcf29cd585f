"""Export a slim model to a versioned SavedModel for TF Serving.

``export_saved_model`` builds the model in inference mode (dropout off,
batch_norm on its moving averages), restores a checkpoint by slim names and
writes ``<export_dir>/<version>/`` with a ``serving_default`` signature:

- inputs: one per ``input_signature`` entry, named by the ``tf.TensorSpec``'s
  ``name``, else ``inputs`` (one input) or ``inputs_0``, ``inputs_1`` ...;
- outputs: the keys of the dict the model returns; a single tensor is named
  ``outputs``, a list/tuple ``outputs_0``, ``outputs_1`` ...

The version directory is written under a temporary name and renamed, so TF
Serving never sees a partial version.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim import checkpoints
from kslim.layers.base import SlimOp
from kslim.layers.batch_normalization import BatchNorm, batch_norm
from kslim.layers.core import dropout
from kslim.ops import keras_graph
from kslim.ops.arg_scope import arg_scope
from kslim.ops.graph import Graph, GraphKeys
from kslim.tensor_types import Tensor
from kslim.variables import get_unowned_variables

__all__ = ["SERVING_DEFAULT", "checkpoint_version", "export_saved_model", "inference_model"]

SERVING_DEFAULT = "serving_default"
_log = logging.getLogger("kslim")


def _resolve_checkpoint(checkpoint: str) -> str:
    if tf.io.gfile.isdir(checkpoint):
        latest = checkpoints.latest_checkpoint(checkpoint)
        if latest is None:
            raise checkpoints.CheckpointError(f"no checkpoint found in directory {checkpoint!r}")
        return latest
    if not tf.io.gfile.exists(checkpoint + ".index"):
        raise checkpoints.CheckpointError(
            f"checkpoint {checkpoint!r} not found: {checkpoint + '.index'!r} does not exist"
        )
    return checkpoint


def checkpoint_version(checkpoint: str) -> int:
    """The global step of a checkpoint.

    Its ``global_step`` tensor, else the ``model.ckpt-N`` suffix, else 1.

    Args:
      checkpoint: a checkpoint prefix or a directory (its latest checkpoint).
    """
    path = _resolve_checkpoint(checkpoint)
    names = {n for n, _, _ in checkpoints.list_variables(path)}
    if GraphKeys.GLOBAL_STEP in names:
        step = int(checkpoints.read_checkpoint(path, [GraphKeys.GLOBAL_STEP])["global_step"])
        if step > 0:
            return step
    step = checkpoints.checkpoint_step(path)
    return step if step else 1


def _input_specs(input_signature: tf.TensorSpec | Sequence[tf.TensorSpec]) -> list[tf.TensorSpec]:
    if isinstance(input_signature, tf.TensorSpec):
        input_signature = [input_signature]
    if (
        not isinstance(input_signature, (list, tuple))
        or not input_signature
        or not all(isinstance(s, tf.TensorSpec) for s in input_signature)
    ):
        raise TypeError(
            f"input_signature must be a non-empty list of tf.TensorSpec, got {input_signature!r}"
        )
    specs = []
    for i, spec in enumerate(input_signature):
        if spec.shape.rank is None or spec.shape.rank < 1:
            raise ValueError(
                f"input_signature[{i}] must have a known rank >= 1 (batch first), got {spec}"
            )
        default = "inputs" if len(input_signature) == 1 else f"inputs_{i}"
        specs.append(tf.TensorSpec(spec.shape, spec.dtype, name=spec.name or default))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"input_signature names must be unique, got {names}")
    return specs


def _as_output_dict(outputs: Tensor | Sequence[Tensor] | Mapping[str, Tensor]) -> dict:
    if isinstance(outputs, Mapping):
        return dict(outputs)
    if isinstance(outputs, (list, tuple)):
        return {f"outputs_{i}": t for i, t in enumerate(outputs)}
    return {"outputs": outputs}


def _training_layer(layer: keras.layers.Layer) -> bool:
    if isinstance(layer, SlimOp):
        return layer.op == "dropout" and bool(layer.op_kwargs.get("training"))
    return isinstance(layer, BatchNorm) and layer.is_training is True


def inference_model(model: keras.Model) -> keras.Model:
    """A model sharing ``model``'s weights with training-mode layers switched off.

    slim's ``dropout``/``batch_norm`` default to ``is_training=True``, fixed
    in the layer. Those layers are re-created with ``is_training=False``
    (batch_norm gets a copy of its variables); every other layer is shared.

    Args:
      model: a functional or Sequential Keras model.

    Returns:
      ``model`` itself if it has no such layer, else the inference copy.

    Raises:
      ValueError: if a subclassed model holds such layers (it cannot be re-built).
    """
    layers = keras_graph.all_layers(model)
    if not any(_training_layer(layer) for layer in layers):
        return model
    if not keras_graph.is_graph_model(model):
        raise ValueError(
            f"model {model.name!r} is subclassed and holds dropout/batch_norm layers with "
            "is_training=True; build it with is_training=False (or None) to export it"
        )
    copies: list[tuple[Any, Any]] = []

    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        if not _training_layer(layer):
            return layer
        config = layer.get_config()
        if isinstance(layer, SlimOp):
            config["op_kwargs"] = dict(config["op_kwargs"], training=False)
        else:
            config["is_training"] = False
        new = layer.__class__.from_config(config)
        copies.append((layer, new))
        return new

    copy = keras.models.clone_model(model, clone_function=clone)
    for old, new in copies:
        # By slim name: an inference batch_norm lacks the training-only variables
        # (zero_debias_moving_mean's moving_mean/biased and local_step).
        values = {w.path: w for w in old.weights}
        for weight in new.weights:
            weight.assign(values[weight.path])
    return copy


class _VariableHolder(keras.layers.Layer):
    """Tracks graph variables that no layer owns, so the SavedModel holds them."""

    def __init__(self, variables: Sequence) -> None:
        super().__init__(name="kslim_graph_variables")
        for variable in variables:
            self._track_variable(variable)
        self.built = True


def _build_from_fn(model_fn: Callable, specs: list[tf.TensorSpec]):
    with Graph().as_default() as graph:
        inputs = [
            keras.Input(
                shape=tuple(s.shape[1:]), batch_size=s.shape[0], dtype=s.dtype.name, name=s.name
            )
            for s in specs
        ]
        with arg_scope([batch_norm, dropout], is_training=False):
            outputs = model_fn(*inputs)
        outputs = _as_output_dict(outputs)
        model = keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs)
        extra = get_unowned_variables(graph)
        saved = {id(v) for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)}
    return model, extra, [v for v in extra if id(v) in saved]


def _specs_of_model(model: keras.Model) -> list[tf.TensorSpec]:
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            f"input_signature is required: model {model.name!r} has no symbolic inputs"
        )
    return [tf.TensorSpec(t.shape, t.dtype, name=getattr(t, "name", None)) for t in inputs]


def export_saved_model(
    export_dir: str,
    model_fn: Callable | None = None,
    model: keras.Model | None = None,
    input_signature: tf.TensorSpec | Sequence[tf.TensorSpec] | None = None,
    checkpoint: str | None = None,
    version: int | None = None,
    extra_signatures: Mapping[str, Any] | None = None,
) -> str:
    """Writes a SavedModel for TF Serving to ``export_dir/<version>/``.

    Args:
      export_dir: the model's base directory (created if needed).
      model_fn: slim model function called on one KerasTensor per
        ``input_signature`` entry in a fresh ``kslim.Graph`` under
        ``arg_scope([batch_norm, dropout], is_training=False)``; returns a
        tensor, a list, or a dict of tensors (the output names).
      model: a Keras model instead of ``model_fn`` (exactly one is given).
      input_signature: list of ``tf.TensorSpec`` (batch dimension first);
        required with ``model_fn``, default ``model.inputs``.
      checkpoint: checkpoint prefix or directory (its latest) restored by slim
        names into the model's weights (every weight must be present); None
        keeps the current weights.
      version: positive int; default the checkpoint's global step, else 1.
      extra_signatures: ``{signature name: spec}``, spec being an output name,
        a list of output names, or a callable ``outputs_dict -> tensor or
        dict`` (e.g. ``lambda o: tf.nn.softmax(o['logits'])``); same inputs
        as ``serving_default``.

    Returns:
      The path of the written version directory.

    Raises:
      ValueError: both or neither of ``model_fn``/``model``, a bad
        ``version``, or an unknown output name in ``extra_signatures``.
      TypeError: a bad ``input_signature``.
      FileExistsError: the version directory already exists.
      kslim.checkpoints.CheckpointError: a missing/corrupt checkpoint, missing
        weights or shape mismatches.
    """
    if (model_fn is None) == (model is None):
        raise ValueError(
            "exactly one of model_fn and model must be given, got "
            f"model_fn={model_fn!r}, model={model!r}"
        )
    if model_fn is not None and not callable(model_fn):
        raise TypeError(f"model_fn must be callable, got {model_fn!r}")
    if checkpoint is not None:
        checkpoint = _resolve_checkpoint(checkpoint)
    if version is None:
        version = checkpoint_version(checkpoint) if checkpoint is not None else 1
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"version must be a positive int, got {version!r}")
    target = os.path.join(export_dir, str(version))
    if tf.io.gfile.exists(target):
        raise FileExistsError(f"export version directory {target!r} already exists")

    extra_variables: list = []
    restored_extra: list = []
    if model_fn is not None:
        if input_signature is None:
            raise ValueError("input_signature is required with model_fn, got None")
        specs = _input_specs(input_signature)
        model, extra_variables, restored_extra = _build_from_fn(model_fn, specs)
    else:
        if not isinstance(model, keras.layers.Layer):
            raise TypeError(f"model must be a Keras model, got {model!r}")
        specs = _input_specs(
            input_signature if input_signature is not None else _specs_of_model(model)
        )
    model = inference_model(model)
    if checkpoint is not None:
        _restore(model, restored_extra, checkpoint)

    def call(*args: tf.Tensor):
        outputs = model(list(args) if len(args) > 1 else args[0], training=False)
        return _as_output_dict(outputs)

    archive = keras.export.ExportArchive()
    archive.track(model)
    if extra_variables:
        archive.track(_VariableHolder(extra_variables))
    archive.add_endpoint(SERVING_DEFAULT, call, input_signature=specs)
    for name, spec in (extra_signatures or {}).items():
        archive.add_endpoint(name, _signature_fn(name, spec, call), input_signature=specs)
    os.makedirs(export_dir, exist_ok=True)
    tmp = os.path.join(export_dir, f".tmp-{version}-{uuid.uuid4().hex}")
    try:
        archive.write_out(tmp, verbose=False)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _log.info("exported SavedModel version %d to %s", version, target)
    return target


def _restore(model: keras.Model, extra_variables: list, checkpoint: str) -> None:
    by_name: dict[str, Any] = {}
    for variable in list(model.weights) + list(extra_variables):
        name = variable.path
        if name in by_name and by_name[name] is not variable:
            raise ValueError(f"two weights of the model are named {name!r}; cannot restore by name")
        by_name[name] = variable
    checkpoints.restore_variables(checkpoint, by_name)


def _signature_fn(name: str, spec: Any, call: Callable) -> Callable:
    if not isinstance(name, str) or not name or name == SERVING_DEFAULT:
        raise ValueError(f"extra_signatures: invalid signature name {name!r}")
    if callable(spec):

        def fn(*args: tf.Tensor):
            result = spec(call(*args))
            return dict(result) if isinstance(result, Mapping) else {name: result}

        return fn
    keys = [spec] if isinstance(spec, str) else spec
    if not isinstance(keys, (list, tuple)) or not keys or not all(isinstance(k, str) for k in keys):
        raise ValueError(
            f"extra_signatures[{name!r}] must be an output name, a list of them or a "
            f"callable, got {spec!r}"
        )

    def select(*args: tf.Tensor):
        outputs = call(*args)
        missing = [k for k in keys if k not in outputs]
        if missing:
            raise ValueError(
                f"extra_signatures[{name!r}] names outputs {missing} that the model does not "
                f"return; outputs are {sorted(outputs)}"
            )
        return {k: outputs[k] for k in keys}

    return select
