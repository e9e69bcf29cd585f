"""The base of kslim's TF1 optimizers: Keras optimizers whose slots TF1 names.

Slot variables are named as TF1 names them: ``<variable>/<optimizer name>``, then
``<variable>/<optimizer name>_1``, ... in TF1's slot creation order. A slot's Keras
``.path`` is that name (``conv1/weights/RMSProp``), and ``slot_variables_by_tf1_name``
returns the mapping, so optimizer state checkpoints under slim's names. Sparse
gradients (``tf.IndexedSlices``) have their duplicate indices summed first, as TF1's.
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.learning.hyperparameters import tf_variable

__all__ = ["TF1Optimizer", "hyper_tensor"]


def hyper_tensor(value: Any, dtype: tf.DType) -> tf.Tensor:
    """A hyperparameter as TF1 feeds it to a kernel: converted to a tensor, then cast.

    Args:
      value: the hyperparameter.
      dtype: the variable's dtype.

    Returns:
      The tensor.

    A Python float becomes float32 first, so float64 variables see the float32 value,
    exactly as in TF1.
    """
    return tf.cast(tf.convert_to_tensor(value), dtype)


def _reference_path(variable: Any) -> str:
    """The slim name of a model variable: Keras ``.path`` or TF ``.name`` minus ``:0``."""
    path = getattr(variable, "path", None)
    if path:
        return path
    name = str(getattr(variable, "name", "variable"))
    return name[:-2] if name.endswith(":0") else name


def _dedup(gradient: tf.IndexedSlices) -> tuple[tf.Tensor, tf.Tensor]:
    """Sums the values of repeated indices, as TF1's optimizers do before sparse apply."""
    unique, positions = tf.unique(gradient.indices)
    summed = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(unique)[0])
    return summed, unique


class TF1Optimizer(keras.optimizers.Optimizer):
    """Base of kslim's TF1 optimizers: slots named as TF1 names them.

    Subclasses list their slots in TF1's creation order (``_slot_specs``) and implement
    ``_apply_dense`` / ``_apply_sparse`` with TF1's rule.

    Args:
      learning_rate: a float, a ``keras.optimizers.schedules.LearningRateSchedule``
        (driven by ``iterations``) or a callable taking no argument.
      name: the TF1 optimizer name; slots are ``<variable>/<name>``, ``<name>_1``, ...
      **kwargs: Keras ``Optimizer`` arguments (``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate: Any, name: str, **kwargs: Any) -> None:
        if isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            learning_rate = float(learning_rate)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _slot_specs(self) -> list[tuple[str, Any]]:
        """``[(slot key, initializer)]`` in TF1's creation order."""
        raise NotImplementedError

    def build(self, var_list: list) -> None:
        """Creates the slot variables of every variable in ``var_list``.

        Args:
          var_list: the model variables this optimizer trains.
        """
        if self.built:
            return
        super().build(var_list)
        slots: dict[str, list] = {key: [] for key, _ in self._slot_specs()}
        for variable in var_list:
            for position, (key, initializer) in enumerate(self._slot_specs()):
                if self._overwrite_variable_with_gradient(variable):
                    slots[key].append(None)
                    continue
                slot_name = self.name if position == 0 else f"{self.name}_{position}"
                slots[key].append(self._add_slot(variable, slot_name, initializer))
        self._slots = slots

    def _add_slot(self, variable: Any, slot_name: str, initializer: Any) -> keras.Variable:
        """Creates slot ``<variable path>/<slot_name>`` colocated with ``variable``."""
        parent, _, leaf = _reference_path(variable).rpartition("/")
        colocate = tf_variable(variable)
        with self._distribution_strategy.extended.colocate_vars_with(colocate):
            with keras.name_scope(leaf, override_parent=parent):
                slot = keras.Variable(
                    initializer=keras.initializers.get(initializer),
                    shape=tuple(variable.shape),
                    dtype=variable.dtype,
                    trainable=False,
                    name=slot_name,
                )
        self._track_variable(slot)
        return slot

    def _non_slot_variables(self) -> dict[str, keras.Variable]:
        """TF1's non-slot variables by TF1 name (Adam's beta powers)."""
        return {}

    def get_slot(self, variable: Any, key: str) -> keras.Variable:
        """TF1's ``get_slot``: the slot ``key`` (``'rms'``, ``'m'``, ...) of ``variable``.

        Args:
          variable: a variable this optimizer was built with.
          key: a TF1 slot name (see ``get_slot_names``).

        Returns:
          The slot variable.

        Raises:
          ValueError: if the optimizer is not built, ``key`` is unknown, or ``variable``
            is not one of its variables.
        """
        if not self.built:
            raise ValueError(f"get_slot: optimizer {self.name!r} is not built yet.")
        if key not in self._slots:
            raise ValueError(f"get_slot: unknown key={key!r}; known: {self.get_slot_names()}")
        self._check_variables_are_known([variable])
        return self._slots[key][self._get_variable_index(variable)]

    def get_slot_names(self) -> list[str]:
        """TF1's slot keys, in creation order."""
        return [key for key, _ in self._slot_specs()]

    def slot_variables_by_tf1_name(self, model_variables: list | None = None) -> dict:
        """Optimizer state by the names a TF1 checkpoint uses.

        Args:
          model_variables: restrict to the slots of these variables (default: all). If the
            optimizer is not built yet, it is built with them.

        Returns:
          ``{'<variable>/<name>': slot, ..., 'beta1_power': ..., 'beta2_power': ...}``
          (the beta powers for Adam only).

        Raises:
          ValueError: if the optimizer is not built and no variables are given, or a
            variable is not one this optimizer trains.
        """
        if not self.built:
            if model_variables is None:
                raise ValueError(
                    f"slot_variables_by_tf1_name: optimizer {self.name!r} is not built; "
                    "pass model_variables or apply a step first."
                )
            self.build(list(model_variables))
        if model_variables is None:
            model_variables = self._trainable_variables
        self._check_variables_are_known(model_variables)
        named: dict[str, keras.Variable] = {}
        for variable in model_variables:
            index = self._get_variable_index(variable)
            for key in self.get_slot_names():
                slot = self._slots[key][index]
                if slot is not None:
                    named[slot.path] = slot
        named.update(self._non_slot_variables())
        return named

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Applies TF1's rule to ``variable`` (a Keras or tf variable) for ``gradient``."""
        var = tf_variable(variable)
        index = self._get_variable_index(variable)
        slots = [tf_variable(self._slots[key][index]) for key in self.get_slot_names()]
        lr = hyper_tensor(learning_rate, var.dtype)
        if isinstance(gradient, tf.IndexedSlices):
            values, indices = _dedup(tf.cast(gradient, var.dtype))
            self._apply_sparse(values, indices, var, slots, lr)
        else:
            self._apply_dense(tf.cast(gradient, var.dtype), var, slots, lr)

    def _apply_dense(
        self, grad: tf.Tensor, var: tf.Variable, slots: list[tf.Variable], lr: tf.Tensor
    ) -> None:
        raise NotImplementedError

    def _apply_sparse(
        self,
        grad: tf.Tensor,
        indices: tf.Tensor,
        var: tf.Variable,
        slots: list[tf.Variable],
        lr: tf.Tensor,
    ) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The Keras config; a variable or plain-callable learning rate is saved as a float."""
        lr = self._learning_rate
        plain_callable = callable(lr) and not isinstance(
            lr, (keras.optimizers.schedules.LearningRateSchedule, keras.Variable)
        )
        if plain_callable:
            self._learning_rate = float(np.asarray(tf.convert_to_tensor(lr())))
            try:
                return super().get_config()
            finally:
                self._learning_rate = lr
        return super().get_config()
