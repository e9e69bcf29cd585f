"""Helpers shared by kslim's callbacks: global step, step losses, checkpoint keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import numpy as np


def global_step(model: keras.Model) -> int:
    """The model's global step (its optimizer's ``iterations``)."""
    return int(model.optimizer.iterations.numpy())


def step_losses(logs: dict | None) -> np.ndarray | None:
    """Per-step total losses of the last chunk (kslim TrainOp) or the last loss."""
    if not logs:
        return None
    if "step_losses" in logs:
        return np.asarray(logs["step_losses"], dtype=np.float64).reshape(-1)
    if "loss" in logs:
        return np.asarray([float(logs["loss"])])
    return None


def checkpoint_variables(model: keras.Model) -> dict[str, Any]:
    """Checkpoint key -> variable, for every variable a checkpoint of ``model`` holds.

    Slim names for model weights (a plain Keras model's paths without the model
    name), ``global_step`` for the optimizer's iterations, ``optimizer/<path>`` (or
    TF1 slot names) for the optimizer state.
    """
    # Keras paths start with the model's (and the optimizer's) auto-numbered name
    # (``sequential_3/fc1/kernel``, ``adam_3/sequential_3_fc1_kernel_momentum``), which
    # changes with every model built in a process: keys drop it so a restarted model
    # finds its variables.
    variables: dict[str, Any] = {}
    for v in model.weights:
        variables.setdefault(_relative(v.path, model.name + "/"), v)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables["global_step"] = optimizer.iterations
        named = getattr(optimizer, "slot_variables_by_tf1_name", None)
        if callable(named):
            trained = getattr(model, "variables_to_train", None) or model.trainable_weights
            variables.update(named(trained))
        else:
            for v in optimizer.variables:
                if v is optimizer.iterations:
                    continue
                path = _relative(_relative(v.path, optimizer.name + "/"), model.name + "_")
                variables.setdefault("optimizer/" + path, v)
    return variables


def _relative(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def build_optimizer(model: keras.Model) -> None:
    """Creates the optimizer's slots now so a checkpoint can restore them."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        variables = getattr(model, "variables_to_train", None) or model.trainable_weights
        optimizer.build(variables)


class StatefulCallback:
    """Mixin: a callback whose state is saved with the checkpoint.

    The state is declared once, in ``state_defaults`` (attribute name -> value
    on a fresh start, ``None`` for "unset"); each attribute is the checkpoint
    tensor ``kslim/<state_key>/<name>`` (float64). As Keras callbacks do, the
    state is reset at the start of each ``fit`` (``begin_state`` from
    ``on_train_begin``) unless a ``CheckpointSaver`` restored it for this
    ``fit`` (whichever of the two runs first).
    """

    state_key: ClassVar[str] = ""
    state_defaults: ClassVar[Mapping[str, int | float | None]] = {}

    def reset_state(self) -> None:
        """Sets every declared attribute to its default."""
        for name, value in self.state_defaults.items():
            setattr(self, name, value)
        self._state_restored = False

    def begin_state(self) -> None:
        """Called from ``on_train_begin``: resets the state unless it was just restored."""
        if not getattr(self, "_state_restored", False):
            self.reset_state()
        self._state_restored = False

    def get_state(self) -> dict[str, float]:
        """The declared attributes that are set, as floats."""
        values = {name: getattr(self, name) for name in self.state_defaults}
        return {name: float(value) for name, value in values.items() if value is not None}

    def set_state(self, state: Mapping[str, float]) -> None:
        """Restores the declared attributes found in ``state`` (from a checkpoint)."""
        for name, default in self.state_defaults.items():
            if name in state:
                value = state[name]
                setattr(self, name, int(value) if isinstance(default, int) else float(value))
        self._state_restored = True
