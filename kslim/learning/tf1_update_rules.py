"""TF1's update rules as Keras optimizers: RMSProp, Momentum, Adam, Adagrad.

Dense gradients run TF1's own kernels (``ResourceApplyRMSProp``,
``ResourceApplyCenteredRMSProp``, ``ResourceApplyMomentum``, ``ResourceApplyAdagrad``);
Adam's dense update is TF1's ``ApplyAdam`` CPU kernel written as plain TF ops in the
kernel's order of operations. Sparse gradients follow TF1's sparse rules: only the
indexed rows of the slots are updated (Adam, as in TF1, decays all of ``m`` and ``v``).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.learning.hyperparameters import tf_variable, to_float
from kslim.learning.tf1_optimizer import TF1Optimizer, hyper_tensor
from kslim.tensor_types import DTypeLike

__all__ = ["TF1Adagrad", "TF1Adam", "TF1Momentum", "TF1RMSProp"]


def _rows(variable: tf.Variable, indices: tf.Tensor) -> tf.Tensor:
    return tf.gather(variable, indices)


def _set_rows(variable: tf.Variable, indices: tf.Tensor, rows: tf.Tensor) -> None:
    variable.scatter_update(tf.IndexedSlices(rows, indices))


@keras.saving.register_keras_serializable(package="kslim")
class TF1RMSProp(TF1Optimizer):
    """``tf.compat.v1.train.RMSPropOptimizer``'s rule as a Keras optimizer.

    ``ms = ms + (g^2 - ms) * (1 - decay)`` (``ms`` starts at 1.0);
    ``mom = mom * momentum + lr * g / sqrt(ms + epsilon)``; ``var -= mom``. Centered:
    ``mg = mg + (g - mg) * (1 - decay)`` and the denominator is
    ``sqrt(ms - mg^2 + epsilon)``. Slots: ``<var>/RMSProp`` (ms), ``<var>/RMSProp_1``
    (mg if centered, else momentum), ``<var>/RMSProp_2`` (momentum if centered).

    Args:
      learning_rate: float, schedule or callable (required, as in TF1).
      decay: discount of the mean square (default 0.9).
      momentum: momentum (default 0.0).
      epsilon: added inside the square root (default 1e-10).
      centered: normalize by the estimated variance (default False).
      name: TF1 name, the slot base name (default ``'RMSProp'``).
      **kwargs: Keras ``Optimizer`` arguments.
    """

    def __init__(
        self,
        learning_rate: Any,
        decay: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-10,
        centered: bool = False,
        name: str = "RMSProp",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.decay = to_float(decay, "decay")
        self.momentum = to_float(momentum, "momentum")
        self.epsilon = to_float(epsilon, "epsilon")
        self.centered = bool(centered)

    def _slot_specs(self) -> list[tuple[str, Any]]:
        specs = [("rms", "ones")]
        if self.centered:
            specs.append(("mg", "zeros"))
        specs.append(("momentum", "zeros"))
        return specs

    def _hypers(self, dtype: DTypeLike):
        return tuple(hyper_tensor(h, dtype) for h in (self.decay, self.momentum, self.epsilon))

    def _apply_dense(
        self, grad: tf.Tensor, var: tf.Variable, slots: list[tf.Variable], lr: tf.Tensor
    ) -> None:
        rho, momentum, epsilon = self._hypers(var.dtype)
        if self.centered:
            ms, mg, mom = slots
            tf.raw_ops.ResourceApplyCenteredRMSProp(
                var=var.handle, mg=mg.handle, ms=ms.handle, mom=mom.handle, lr=lr, rho=rho,
                momentum=momentum, epsilon=epsilon, grad=grad,
            )  # fmt: skip
        else:
            ms, mom = slots
            tf.raw_ops.ResourceApplyRMSProp(
                var=var.handle, ms=ms.handle, mom=mom.handle, lr=lr, rho=rho,
                momentum=momentum, epsilon=epsilon, grad=grad,
            )  # fmt: skip

    def _apply_sparse(
        self,
        grad: tf.Tensor,
        indices: tf.Tensor,
        var: tf.Variable,
        slots: list[tf.Variable],
        lr: tf.Tensor,
    ) -> None:
        dtype = var.dtype
        rho, momentum, epsilon = self._hypers(dtype)
        one = tf.ones([], dtype)
        ms, mom = slots[0], slots[-1]
        ms_rows = _rows(ms, indices) * rho + tf.square(grad) * (one - rho)
        denominator = ms_rows + epsilon
        if self.centered:
            mg = slots[1]
            mg_rows = _rows(mg, indices) * rho + grad * (one - rho)
            denominator = denominator - tf.square(mg_rows)
            _set_rows(mg, indices, mg_rows)
        mom_rows = _rows(mom, indices) * momentum + tf.math.rsqrt(denominator) * lr * grad
        _set_rows(ms, indices, ms_rows)
        _set_rows(mom, indices, mom_rows)
        var.scatter_sub(tf.IndexedSlices(mom_rows, indices))

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(
            decay=self.decay, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered
        )
        return config


@keras.saving.register_keras_serializable(package="kslim")
class TF1Momentum(TF1Optimizer):
    """``tf.compat.v1.train.MomentumOptimizer``'s rule as a Keras optimizer.

    ``accum = accum * momentum + g``; ``var -= lr * accum``, or with Nesterov
    ``var -= lr * g + lr * momentum * accum``. Slot: ``<var>/Momentum``.

    Args:
      learning_rate: float, schedule or callable (required, as in TF1).
      momentum: momentum (required, as in TF1).
      use_nesterov: Nesterov momentum (default False).
      name: TF1 name, the slot name (default ``'Momentum'``).
      **kwargs: Keras ``Optimizer`` arguments.
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: float,
        use_nesterov: bool = False,
        name: str = "Momentum",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = to_float(momentum, "momentum")
        self.use_nesterov = bool(use_nesterov)

    def _slot_specs(self) -> list[tuple[str, Any]]:
        return [("momentum", "zeros")]

    def _apply_dense(
        self, grad: tf.Tensor, var: tf.Variable, slots: list[tf.Variable], lr: tf.Tensor
    ) -> None:
        (accum,) = slots
        tf.raw_ops.ResourceApplyMomentum(
            var=var.handle, accum=accum.handle, lr=lr, grad=grad,
            momentum=hyper_tensor(self.momentum, var.dtype), use_nesterov=self.use_nesterov,
        )  # fmt: skip

    def _apply_sparse(
        self,
        grad: tf.Tensor,
        indices: tf.Tensor,
        var: tf.Variable,
        slots: list[tf.Variable],
        lr: tf.Tensor,
    ) -> None:
        (accum,) = slots
        momentum = hyper_tensor(self.momentum, var.dtype)
        accum_rows = _rows(accum, indices) * momentum + grad
        _set_rows(accum, indices, accum_rows)
        if self.use_nesterov:
            step = grad * lr + accum_rows * momentum * lr
        else:
            step = accum_rows * lr
        var.scatter_sub(tf.IndexedSlices(step, indices))

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(momentum=self.momentum, use_nesterov=self.use_nesterov)
        return config


@keras.saving.register_keras_serializable(package="kslim")
class TF1Adam(TF1Optimizer):
    """``tf.compat.v1.train.AdamOptimizer``'s rule as a Keras optimizer.

    ``lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)``;
    ``m = m + (g - m) * (1 - beta1)``; ``v = v + (g^2 - v) * (1 - beta2)``;
    ``var -= lr_t * m / (sqrt(v) + epsilon)`` ("epsilon hat"); after every step
    ``beta1_power *= beta1`` and ``beta2_power *= beta2`` (they start at beta1, beta2).
    Slots: ``<var>/Adam`` (m), ``<var>/Adam_1`` (v); non-slot variables ``beta1_power``,
    ``beta2_power`` (Keras paths ``<name>/beta1_power``, TF1 names in
    ``slot_variables_by_tf1_name``).

    Args:
      learning_rate: float, schedule or callable (default 0.001).
      beta1: first-moment decay (default 0.9).
      beta2: second-moment decay (default 0.999).
      epsilon: added to ``sqrt(v)`` (default 1e-8).
      name: TF1 name, the slot base name (default ``'Adam'``).
      **kwargs: Keras ``Optimizer`` arguments.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        name: str = "Adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta1 = to_float(beta1, "beta1")
        self.beta2 = to_float(beta2, "beta2")
        self.epsilon = to_float(epsilon, "epsilon")

    def _slot_specs(self) -> list[tuple[str, Any]]:
        return [("m", "zeros"), ("v", "zeros")]

    def build(self, var_list: list) -> None:
        """Creates ``m``, ``v`` per variable and the ``beta1_power``/``beta2_power``."""
        if self.built:
            return
        super().build(var_list)
        # TF1 keeps the powers in float32 whatever the variables' dtype.
        self._beta1_power = self.add_variable(
            (), keras.initializers.Constant(self.beta1), "float32", name="beta1_power"
        )
        self._beta2_power = self.add_variable(
            (), keras.initializers.Constant(self.beta2), "float32", name="beta2_power"
        )

    def _non_slot_variables(self) -> dict[str, keras.Variable]:
        return {"beta1_power": self._beta1_power, "beta2_power": self._beta2_power}

    def _hypers(self, dtype: DTypeLike):
        return (
            tf.cast(self._beta1_power, dtype),
            tf.cast(self._beta2_power, dtype),
            hyper_tensor(self.beta1, dtype),
            hyper_tensor(self.beta2, dtype),
            hyper_tensor(self.epsilon, dtype),
        )

    def _apply_dense(
        self, grad: tf.Tensor, var: tf.Variable, slots: list[tf.Variable], lr: tf.Tensor
    ) -> None:
        # TF1's ApplyAdam CPU kernel (ApplyAdamNonCuda), term for term, as plain ops: the
        # fused ResourceApplyAdam dispatches through the thread pool (parallelFor) and is
        # about 1.3x slower per MLP step on CPU than these ops inside a compiled loop.
        m, v = slots
        beta1_power, beta2_power, beta1, beta2, epsilon = self._hypers(var.dtype)
        alpha = lr * tf.sqrt(1 - beta2_power) / (1 - beta1_power)
        m_t = m.assign_add((grad - m) * (1 - beta1))
        v_t = v.assign_add((tf.square(grad) - v) * (1 - beta2))
        var.assign_sub((m_t * alpha) / (tf.sqrt(v_t) + epsilon))

    def _apply_sparse(
        self,
        grad: tf.Tensor,
        indices: tf.Tensor,
        var: tf.Variable,
        slots: list[tf.Variable],
        lr: tf.Tensor,
    ) -> None:
        # TF1's AdamOptimizer._apply_sparse_shared, operation for operation.
        m, v = slots
        beta1_power, beta2_power, beta1, beta2, epsilon = self._hypers(var.dtype)
        lr = lr * tf.sqrt(1 - beta2_power) / (1 - beta1_power)
        m.assign(m * beta1)
        m.scatter_add(tf.IndexedSlices(grad * (1 - beta1), indices))
        v.assign(v * beta2)
        v.scatter_add(tf.IndexedSlices((grad * grad) * (1 - beta2), indices))
        var.assign_sub(lr * m / (tf.sqrt(v) + epsilon))

    def _backend_update_step(
        self,
        grads: list[tf.Tensor | tf.IndexedSlices],
        trainable_variables: list[keras.Variable],
        learning_rate: tf.Tensor | keras.Variable,
    ) -> None:
        super()._backend_update_step(grads, trainable_variables, learning_rate)
        tf.__internal__.distribute.interim.maybe_merge_call(
            self._update_beta_powers, self._distribution_strategy
        )

    def _update_beta_powers(self, distribution: tf.distribute.Strategy) -> None:
        for power, beta in ((self._beta1_power, self.beta1), (self._beta2_power, self.beta2)):
            distribution.extended.update(
                tf_variable(power),
                lambda p, b: p.assign(p * tf.convert_to_tensor(b)),
                args=(beta,),
                group=False,
            )

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="kslim")
class TF1Adagrad(TF1Optimizer):
    """``tf.compat.v1.train.AdagradOptimizer``'s rule as a Keras optimizer.

    ``accum += g^2``; ``var -= lr * g / sqrt(accum)`` (no epsilon). Slot:
    ``<var>/Adagrad``, starting at ``initial_accumulator_value``.

    Args:
      learning_rate: float, schedule or callable (required, as in TF1).
      initial_accumulator_value: the accumulators' start value (default 0.1, must be
        positive).
      name: TF1 name, the slot name (default ``'Adagrad'``).
      **kwargs: Keras ``Optimizer`` arguments.

    Raises:
      ValueError: if ``initial_accumulator_value`` is not positive (TF1's message).
    """

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        name: str = "Adagrad",
        **kwargs: Any,
    ) -> None:
        value = to_float(initial_accumulator_value, "initial_accumulator_value")
        if value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = value

    def _slot_specs(self) -> list[tuple[str, Any]]:
        return [("accumulator", keras.initializers.Constant(self.initial_accumulator_value))]

    def _apply_dense(
        self, grad: tf.Tensor, var: tf.Variable, slots: list[tf.Variable], lr: tf.Tensor
    ) -> None:
        (accum,) = slots
        tf.raw_ops.ResourceApplyAdagrad(var=var.handle, accum=accum.handle, lr=lr, grad=grad)

    def _apply_sparse(
        self,
        grad: tf.Tensor,
        indices: tf.Tensor,
        var: tf.Variable,
        slots: list[tf.Variable],
        lr: tf.Tensor,
    ) -> None:
        (accum,) = slots
        accum_rows = _rows(accum, indices) + tf.square(grad)
        _set_rows(accum, indices, accum_rows)
        var.scatter_sub(tf.IndexedSlices(lr * grad * tf.math.rsqrt(accum_rows), indices))

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value)
        return config
