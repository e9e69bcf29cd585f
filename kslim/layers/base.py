"""The mechanism behind every slim layer function.

A slim layer function resolves its scope, then either re-uses the Keras layer
registered for that variable scope (``reuse``) or creates one, calls it on the
inputs and returns the output. Layers with variables derive from ``SlimLayer``,
which names its variables by the slim scope (``conv1/weights``). Layers without
variables (pools, flatten, activations, losses ...) are all one class, ``SlimOp``:
a named pure function from ``kslim.layers.ops_registry`` plus JSON-able keyword
arguments, so graphs stay serializable.

On KerasTensors this builds a functional graph; on concrete tensors (eager or
inside ``tf.function``) weightless ops are computed directly and layers with
variables are created on first use of their scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import keras
import tensorflow as tf

from kslim.ops import keras_graph
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import VariableScope, name_scope
from kslim.tensor_types import (
    Activation,
    Collections,
    DTypeLike,
    Initializer,
    Regularizer,
    ShapeLike,
    Tensor,
)

_OPS: dict[str, Callable] = {}


def register_op(name: str) -> Callable[[Callable], Callable]:
    """Registers a pure tensor function under ``name`` for ``SlimOp`` layers."""

    def decorator(fn: Callable) -> Callable:
        _OPS[name] = fn
        return fn

    return decorator


def is_symbolic(*values: Any) -> bool:
    """True if any (nested) value is a KerasTensor."""
    for value in values:
        for item in tf.nest.flatten(value):
            if isinstance(item, keras.KerasTensor):
                return True
    return False


def layer_name(scope: str) -> str:
    """The Keras layer name for a slim scope path (Keras names cannot hold '/')."""
    return scope.rstrip("/").replace("/", ".")


@keras.saving.register_keras_serializable(package="kslim")
class SlimLayer(keras.layers.Layer):
    """Base of kslim layers with variables: variables are named by slim scope.

    Args:
      scope: the full variable-scope path; variables are ``<scope>/<name>``.
      **kwargs: Keras ``Layer`` arguments (``name`` defaults from ``scope``).
    """

    def __init__(self, scope: str, **kwargs: Any) -> None:
        kwargs.setdefault("name", layer_name(scope))
        super().__init__(**kwargs)
        self.scope = scope

    def slim_weight(
        self,
        name: str,
        shape: ShapeLike,
        initializer: Initializer | str | None,
        regularizer: Regularizer | None = None,
        trainable: bool = True,
        dtype: DTypeLike | None = None,
    ) -> keras.Variable:
        """Creates variable ``<scope>/<name>`` (its ``.path`` is the slim name).

        Args:
          name: the variable's last name component (``'weights'``).
          shape: its shape.
          initializer: a Keras initializer or a callable ``(shape, dtype)``.
          regularizer: optional callable ``variable -> scalar`` (slim's); its
            penalty joins ``layer.losses`` and REGULARIZATION_LOSSES.
          trainable: whether the optimizer trains it.
          dtype: defaults to the layer's variable dtype.

        Returns:
          The ``keras.Variable``.
        """
        if isinstance(initializer, keras.initializers.Initializer) and (
            getattr(initializer, "_init_seed", 0) is None
        ):
            # An unseeded Keras initializer fixes its seed when created; slim draws
            # fresh values for every variable, so each variable gets its own copy.
            initializer = initializer.__class__.from_config(initializer.get_config())
        parent, _, leaf = self.scope.rpartition("/")
        with keras.name_scope(leaf, override_parent=parent):
            variable = keras.Variable(
                initializer=initializer,
                shape=tuple(shape),
                dtype=dtype or self.variable_dtype,
                trainable=trainable,
                name=name,
            )
        variable.regularizer = regularizer
        variable.constraint = None
        self._track_variable(variable)
        return variable

    def _open_name_scope(self):
        return _slim_op_name_scope(self, super()._open_name_scope())

    def get_config(self) -> dict:
        """The constructor arguments (with the slim ``scope``), for Keras serialization."""
        config = super().get_config()
        config["scope"] = self.scope
        return config


class _SlimOpNameScope:
    """Keras' layer name scope, then slim's absolute op-name scope inside it."""

    def __init__(self, keras_scope: AbstractContextManager[Any], tf_scope: str) -> None:
        self.keras_scope = keras_scope
        self.tf_scope = tf.name_scope(tf_scope)

    def __enter__(self) -> _SlimOpNameScope:
        self.keras_scope.__enter__()
        self.tf_scope.__enter__()
        return self

    def __exit__(self, *exc: object) -> bool | None:
        self.tf_scope.__exit__(*exc)
        return self.keras_scope.__exit__(*exc)


def _slim_op_name_scope(
    layer: keras.layers.Layer, keras_scope: AbstractContextManager[Any]
) -> AbstractContextManager[Any]:
    """In a tf.function trace a kslim layer's ops get slim's names (``conv1/Relu``).

    Keras would name them by the layer name (``conv1.Relu`` cannot hold '/'); the
    name scope slim opened for the call (``call_layer`` records it) is used instead.
    """
    scope = getattr(layer, "_kslim_call_name_scope", None)
    if not scope or tf.executing_eagerly():
        return keras_scope
    return _SlimOpNameScope(keras_scope, scope)


@keras.saving.register_keras_serializable(package="kslim")
class SlimOp(keras.layers.Layer):
    """A weightless slim op in a functional graph: ``_OPS[op](*inputs, **kwargs)``.

    Args:
      op: the registered op name.
      op_kwargs: JSON-able keyword arguments of the op.
      **kwargs: Keras ``Layer`` arguments.
    """

    def __init__(self, op: str, op_kwargs: dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if op not in _OPS:
            raise ValueError(f"SlimOp: unknown op={op!r}; known: {sorted(_OPS)}")
        self.op = op
        self.op_kwargs = dict(op_kwargs or {})

    def call(self, inputs: Tensor | Sequence[Tensor], training: bool | None = None) -> tf.Tensor:
        """Runs ``_OPS[op]`` on ``inputs`` with the op's keyword arguments."""
        kwargs = dict(self.op_kwargs)
        if kwargs.pop("_training", False):
            kwargs["training"] = bool(training) if training is not None else False
        if isinstance(inputs, (list, tuple)):
            return _OPS[self.op](*inputs, **kwargs)
        return _OPS[self.op](inputs, **kwargs)

    def compute_output_spec(
        self, inputs: Tensor | Sequence[Tensor], training: bool | None = None
    ) -> Any:
        """The output spec of ``call`` on ``inputs``, traced symbolically."""
        return keras_graph.compute_output_spec(self.call, inputs)

    def get_config(self) -> dict:
        """The op name and its keyword arguments, for Keras serialization."""
        config = super().get_config()
        config.update(op=self.op, op_kwargs=self.op_kwargs)
        return config


def apply_op(
    op: str, inputs: Tensor | Sequence[Tensor], scope: str, **op_kwargs: Any
) -> keras.KerasTensor | tf.Tensor:
    """Applies registered op ``op`` to ``inputs`` (a tensor or list of tensors).

    Args:
      op: the registered op name.
      inputs: a tensor or a list of tensors (positional arguments of the op).
      scope: the full name-scope path naming the Keras layer (already unique).
      **op_kwargs: JSON-able keyword arguments of the op.

    Returns:
      The op's output: a KerasTensor when any input is one, else a tensor.
    """
    if is_symbolic(inputs):
        layer = SlimOp(op, op_kwargs, name=layer_name(scope))
        _follow_input_dtype(layer, inputs)
        return layer(inputs)
    op_kwargs.pop("_training", None)
    if isinstance(inputs, (list, tuple)):
        return _OPS[op](*inputs, **op_kwargs)
    return _OPS[op](inputs, **op_kwargs)


def apply_named_op(
    op: str,
    inputs: Tensor | Sequence[Tensor],
    scope: str | None,
    default_name: str,
    **op_kwargs: Any,
) -> tuple[keras.KerasTensor | tf.Tensor, str]:
    """Opens ``name_scope(scope, default_name)`` and applies ``op`` in it.

    Returns:
      ``(output, alias)``: alias is the name-scope path without trailing '/'.
    """
    with name_scope(scope, default_name) as ns:
        alias = ns.rstrip("/")
        return apply_op(op, inputs, alias, **op_kwargs), alias


def get_or_create_layer(
    sc: VariableScope, factory: Callable[[], keras.layers.Layer], first_variable: str
) -> tuple[keras.Layer, bool]:
    """Returns the layer of variable scope ``sc``, creating it if allowed.

    Args:
      sc: the entered variable scope.
      factory: builds the layer when the scope has none yet.
      first_variable: the name of the layer's first variable, for errors.

    Returns:
      ``(layer, created)``.

    Raises:
      ValueError: slim's messages when the scope already has a layer and
        ``reuse`` is not set, or ``reuse=True`` and it has none. Inside a
        ``tf.function``, a layer last used by an earlier trace is re-used.
    """
    graph = get_default_graph()
    layer = graph.get_layer(sc.name)
    if layer is not None:
        # A tf.function retrace re-runs the code that created the layer: re-use it.
        retraced = graph.used_by_earlier_trace(sc.name)
        if not sc.reuses and not retraced:
            raise ValueError(
                f"Variable {sc.name}/{first_variable} already exists, disallowed. Did "
                "you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
            )
        if retraced:
            for variable in layer.weights:
                graph.unique_name(variable.path)
        graph.claim(sc.name)
        return layer, False
    if sc.reuse is True:
        raise ValueError(
            f"Variable {sc.name}/{first_variable} does not exist, or was not created "
            "with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
            "VarScope?"
        )
    layer = factory()
    graph.register_layer(sc.name, layer)
    graph.claim(sc.name)
    graph.layer_created(layer)
    return layer, True


def record_variables(
    layer: keras.layers.Layer,
    variables_collections: Collections | None = None,
    model_variable: bool = True,
) -> None:
    """Adds a freshly built layer's variables to the graph's collections.

    Args:
      layer: a built layer.
      variables_collections: extra collection name(s), or a dict keyed by the
        variable's last name component (slim's ``variables_collections``).
      model_variable: whether they join MODEL_VARIABLES (slim layers' do).
    """
    graph = get_default_graph()
    for variable in layer.weights:
        names = [GraphKeys.GLOBAL_VARIABLES]
        if model_variable:
            names.append(GraphKeys.MODEL_VARIABLES)
        if variable.trainable:
            names.append(GraphKeys.TRAINABLE_VARIABLES)
        extra = variables_collections
        if isinstance(extra, dict):
            extra = extra.get(variable.path.rsplit("/", 1)[-1])
        if extra:
            names.extend([extra] if isinstance(extra, str) else list(extra))
        graph.add_to_collections(names, variable)
        graph.unique_name(variable.path)  # TF1: the variable's op name is in use


def _follow_input_dtype(layer: keras.layers.Layer, inputs: Tensor | Sequence[Tensor]) -> None:
    """slim layers compute in their input's float dtype (Keras would cast to float32).

    Only when the global Keras dtype policy is the default, so a user's mixed
    precision policy keeps precedence.
    """
    if keras.config.dtype_policy().name != "float32":
        return
    for tensor in tf.nest.flatten(inputs):
        dtype = getattr(tensor, "dtype", None)
        name = keras.backend.standardize_dtype(dtype) if dtype is not None else ""
        if name.startswith(("float", "bfloat")):
            if name != "float32" and name != layer.dtype_policy.name:
                layer.dtype_policy = name
            return


def _apply_scope_regularizer(layer: keras.layers.Layer) -> None:
    """Applies the enclosing ``variable_scope(regularizer=...)`` to ``layer``'s variables.

    TF1: such a scope regularizes every variable created in it without a regularizer
    of its own (slim layers' weights, biases, batch_norm's).
    """
    from kslim.ops.variable_scope import get_variable_scope

    regularizer = get_variable_scope().regularizer
    if regularizer is None:
        return
    for variable in layer.weights:
        if getattr(variable, "regularizer", None) is None:
            variable.regularizer = wrap_regularizer(regularizer)


def call_layer(
    layer: keras.layers.Layer,
    inputs: Tensor,
    created: bool,
    variables_collections: Collections | None = None,
    **call_kwargs: Any,
) -> keras.KerasTensor | tf.Tensor:
    """Calls ``layer`` and, on first creation, records its variables."""
    if created:
        _follow_input_dtype(layer, inputs)
    from kslim.ops.variable_scope import current_name_scope

    layer._kslim_call_name_scope = current_name_scope(get_default_graph())
    try:
        outputs = layer(inputs, **call_kwargs)
    finally:
        layer._kslim_call_name_scope = None
    if created:
        _apply_scope_regularizer(layer)
        record_variables(layer, variables_collections)
        if is_symbolic(outputs):
            graph = get_default_graph()
            for variable in layer.weights:
                if getattr(variable, "regularizer", None) is not None:
                    graph.add_to_collection(GraphKeys.REGULARIZED_ANCHORS, (variable, outputs))
    return outputs


__all__ = [
    "SlimLayer",
    "SlimOp",
    "apply_op",
    "apply_named_op",
    "call_layer",
    "get_or_create_layer",
    "is_symbolic",
    "layer_name",
    "record_variables",
    "register_op",
]


def apply_activation(activation_fn: Activation | None, outputs: Tensor, scope_prefix: str):
    """Applies ``activation_fn`` as a named weightless op (or directly, eagerly)."""
    from kslim.layers.activations import activation_name

    spec = activation_name(activation_fn)
    if not is_symbolic(outputs):
        from kslim.layers.activations import get_activation

        return get_activation(spec)(outputs)
    if not isinstance(spec, str):
        # Any other callable (``tf.nn.leaky_relu``, ``lambda x: tf.nn.leaky_relu(x, 0.2)``)
        # is called on the symbolic output: its TF ops become TF-op layers.
        with name_scope(scope_prefix or None, "activation"):
            return activation_fn(outputs)
    with name_scope(scope_prefix + "activation") as ns:
        return apply_op("activation", outputs, ns.rstrip("/"), activation=spec)


@register_op("activation")
def _activation_op(x: Tensor, activation: str):
    from kslim.layers.activations import get_activation

    return get_activation(activation)(x)


def wrap_regularizer(regularizer: Regularizer | None):
    """Makes a slim regularizer safe for Keras (None penalties become 0)."""
    from kslim.layers.regularizers import is_disabled

    if regularizer is None or is_disabled(regularizer):
        return None
    if isinstance(regularizer, keras.regularizers.Regularizer):
        return regularizer
    if not callable(regularizer):
        raise TypeError(f"regularizer must be callable or None, got {regularizer!r}")
    return _CallableRegularizer(regularizer)


class _CallableRegularizer(keras.regularizers.Regularizer):
    def __init__(self, fn: Regularizer) -> None:
        self.fn = fn

    def __call__(self, weights: keras.Variable | Tensor) -> Tensor:
        penalty = self.fn(weights)
        if penalty is None:
            return tf.zeros((), weights.dtype)
        return penalty

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"regularizer {self.fn!r} is a plain callable and cannot be serialized; "
            "use kslim.l2_regularizer / a keras.regularizers object to save models"
        )
