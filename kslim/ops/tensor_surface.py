"""The TF1 tensor surface on Keras symbolic tensors and variables.

slim model code reads its tensors the TF1 way: ``net.get_shape().as_list()``,
``images.shape.as_list()``, ``net.get_shape()[1:3]``, ``x.shape.ndims``,
``inputs.dtype.base_dtype``, ``net.op.name`` (``'conv1/Relu'``), ``x.set_shape(...)``, and
``variable.op.name`` (train_image_classifier.py's histogram tags). Keras 3's
``KerasTensor`` has a tuple ``shape``, a string ``dtype`` and none of the rest; ``install``
adds them:

* ``shape`` is a ``TF1Shape``: still a tuple (Keras reads it as one), with
  ``tf.TensorShape``'s methods (``as_list``, ``ndims``, ``is_fully_defined``,
  ``assert_has_rank``, ``assert_is_compatible_with``, ``merge_with`` ...);
  ``get_shape()`` returns a real ``tf.TensorShape``.
* ``dtype`` is a ``TF1DType``: still the Keras dtype string, answering ``tf.DType``'s
  attributes (``base_dtype``, ``is_floating``, ``as_numpy_dtype``).
* ``op.name`` / ``name``: the producing layer's slim name (``conv1/Relu``,
  ``Mixed_5b/concat``; ``name`` adds ``:<output index>``); inputs keep their own name.
* ``set_shape(shape)`` refines the static shape (checked for compatibility, as TF does).
* graph-only APIs (``tensor.graph``, ``eval()``, ``consumers()``) and Python control flow
  on a symbolic value (``if tf.shape(x)[0] > 1:``) raise an error saying what to do.

Keras variables get ``op.name`` (their slim path). On eager tensors, which have no op, TF's
error for ``tensor.op`` also says where op names exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from kslim.ops import keras_graph
from kslim.tensor_types import ShapeLike

__all__ = ["TF1DType", "TF1Shape", "install", "slim_op_name"]

_EAGER_HINT = (
    "Build the model eagerly on a concrete batch, inside tf.function, or under "
    "slim.make_template, where TF code sees real tensors."
)


class TF1Shape(tuple):
    """A Keras shape tuple that also answers ``tf.TensorShape``'s API."""

    def _tf(self) -> tf.TensorShape:
        return tf.TensorShape(list(self))

    def __getitem__(self, key: int | slice) -> int | None | TF1Shape:
        value = tuple.__getitem__(self, key)
        return TF1Shape(value) if isinstance(key, slice) else value

    def as_list(self) -> list:
        """The dimensions as a list (None where unknown)."""
        return list(self)

    @property
    def ndims(self) -> int:
        """The rank."""
        return len(self)

    @property
    def rank(self) -> int:
        """The rank."""
        return len(self)

    @property
    def dims(self) -> list | None:
        """The dimensions, as ``tf.TensorShape.dims``."""
        return self._tf().dims

    def __getattr__(self, name: str) -> Any:
        # Everything else of tf.TensorShape: is_fully_defined, assert_has_rank,
        # assert_is_compatible_with, merge_with, with_rank, num_elements, concatenate...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._tf(), name)


class TF1DType(str):
    """A Keras dtype string that also answers ``tf.DType``'s API (``base_dtype``...)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(tf.as_dtype(str(self)), name)


class _OpView:
    """What TF1 code reads of ``tensor.op``: its name; graph-only parts raise."""

    def __init__(self, name: str, type_name: str) -> None:
        self.name = name
        self.type = type_name

    @property
    def graph(self):
        raise _graph_only("tensor.op.graph")

    @property
    def inputs(self):
        raise _graph_only("tensor.op.inputs")

    @property
    def outputs(self):
        raise _graph_only("tensor.op.outputs")

    def __repr__(self) -> str:
        return f"<op {self.name!r} ({self.type})>"


def _graph_only(api: str) -> Exception:
    return AttributeError(
        f"{api} is a TF1 graph API; a kslim model is a Keras functional graph of layers, not "
        f"a tf.Graph of operations, so it has no equivalent. {_EAGER_HINT}"
    )


_ACTIVATION_OPS = {
    "relu": "Relu",
    "relu6": "Relu6",
    "elu": "Elu",
    "selu": "Selu",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "softplus": "Softplus",
    "leaky_relu": "LeakyRelu",
    "crelu": "CRelu",
}


def slim_op_name(layer: keras.layers.Layer) -> str:
    """The TF1 op name of a layer's output: ``conv1/Relu``, ``fc8/BiasAdd``, ``concat``.

    kslim layers with variables name it by their scope and activation, as slim's graph
    did; weightless layers (TF-op layers included) by their scope-derived layer name.
    """
    scope = getattr(layer, "scope", None)
    if isinstance(scope, str):
        activation = getattr(layer, "activation", None)
        if callable(activation):
            from kslim.layers.activations import activation_name

            named = activation_name(activation)
            activation = named if isinstance(named, str) else activation.__name__
        if isinstance(activation, str) and activation in _ACTIVATION_OPS:
            return f"{scope}/{_ACTIVATION_OPS[activation]}"
        if getattr(layer, "use_bias", False):
            return f"{scope}/BiasAdd"
        return scope
    return layer.name.replace(".", "/")


def _history(tensor: keras.KerasTensor) -> tuple[Any, Any]:
    return keras_graph.producer(tensor), keras_graph.output_index(tensor)


def _is_input(operation: keras.layers.Layer) -> bool:
    return isinstance(operation, keras.layers.InputLayer)


# ----------------------------------------------------------------- KerasTensor
def _shape(self: keras.KerasTensor) -> TF1Shape:
    return TF1Shape(self._shape)


def _dtype(self: keras.KerasTensor) -> TF1DType:
    return TF1DType(self._dtype)


def _get_shape(self: keras.KerasTensor) -> tf.TensorShape:
    """``tensor.get_shape()``: the static shape as a ``tf.TensorShape``."""
    return tf.TensorShape(list(self._shape))


def _set_shape(self: keras.KerasTensor, shape: ShapeLike) -> None:
    """``tensor.set_shape(shape)``: refines unknown dimensions of the static shape.

    Raises:
      ValueError: if ``shape`` is incompatible with the tensor's shape (TF's message).
    """
    merged = tf.TensorShape(list(self._shape)).merge_with(tf.TensorShape(shape))
    self._shape = tuple(merged.as_list())


def _own_name(self: keras.KerasTensor) -> str:
    # Tensors made before ``install`` hold their name as an instance attribute.
    return self.__dict__.get("_kslim_name", self.__dict__.get("name"))


def _op(self: keras.KerasTensor) -> _OpView:
    operation, _ = _history(self)
    if operation is None:
        return _OpView(_own_name(self), "Placeholder")
    if _is_input(operation):
        return _OpView(operation.name, "Placeholder")
    return _OpView(slim_op_name(operation), type(operation).__name__)


def _get_name(self: keras.KerasTensor) -> str:
    operation, index = _history(self)
    if operation is None or _is_input(operation):
        return _own_name(self)
    return f"{slim_op_name(operation)}:{index}"


def _set_name(self: keras.KerasTensor, value: str) -> None:
    self._kslim_name = value


def _graph(self: keras.KerasTensor):
    raise _graph_only("tensor.graph")


def _eval(self: keras.KerasTensor, *args: Any, **kwargs: Any):
    raise _graph_only("tensor.eval()")


def _consumers(self: keras.KerasTensor):
    raise _graph_only("tensor.consumers()")


def _bool(self: keras.KerasTensor):
    raise TypeError(
        "Python control flow on a symbolic value (e.g. `if tf.shape(x)[0] > 1:` or `if "
        "net.op ...`) cannot be recorded in a Keras functional graph: its value is only known "
        "when the model runs. Use tf.cond / tf.where, or a static shape "
        f"(net.get_shape()[0]). {_EAGER_HINT}"
    )


# -------------------------------------------------------------- keras.Variable
def _variable_op(self: keras.Variable) -> _OpView:
    return _OpView(self.path, "VarHandleOp")


# ------------------------------------------------------------- eager tensors
def _eager_op_with_hint(original: property) -> property:
    """``tensor.op`` on an eager tensor: TF's error, saying where op names exist."""

    def op(self: tf.Tensor) -> Any:
        try:
            return original.fget(self)
        except AttributeError as exc:
            raise AttributeError(
                f"{exc} An eager tensor has no op and no op name (slim code such as "
                "`end_points[net.op.name] = net`). Build the model on keras.Input or "
                "slim.data.inputs (kslim tensors there have slim's op names, `conv1/Relu`), "
                "or inside tf.function, or key end_points by explicit names."
            ) from None

    return property(op, doc=original.__doc__)


_INSTALLED: list[bool] = []


def _dense_product(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``KerasTensor.__mul__``/``__rmul__`` whose result is dense when both factors are.

    Keras counts any operand without a ``sparse`` attribute (a Python number, a
    ``tf.Tensor``) as sparse, so ``net * 2.0`` or ``net * tf.cast(scale, net.dtype)``
    (NASNet's drop path) came out marked sparse and the next layer was traced on a
    ``SparseTensor``. Such operands are dense values: the product is sparse only if
    ``net`` is.
    """

    def product(self: keras.KerasTensor, other: Any) -> Any:
        out = method(self, other)
        if (
            isinstance(out, keras.KerasTensor)
            and not isinstance(other, (keras.KerasTensor, tf.SparseTensor))
            and out.sparse != self.sparse
        ):
            out._sparse = self.sparse  # the public attribute is read-only
        return out

    product.__name__ = method.__name__
    product.__doc__ = method.__doc__
    return product


def install() -> None:
    """Adds the TF1 surface to ``keras.KerasTensor`` and ``keras.Variable`` (once)."""
    if _INSTALLED:
        return
    cls = keras.KerasTensor
    cls.__mul__ = _dense_product(cls.__mul__)
    cls.__rmul__ = _dense_product(cls.__rmul__)
    cls.shape = property(_shape, cls.shape.fset)
    cls.dtype = property(_dtype, cls.dtype.fset)
    cls.get_shape = _get_shape
    cls.set_shape = _set_shape
    cls.op = property(_op)
    cls.name = property(_get_name, _set_name)
    cls.graph = property(_graph)
    cls.eval = _eval
    cls.consumers = _consumers
    cls.__bool__ = _bool
    keras.Variable.op = property(_variable_op)
    from tensorflow.python.framework import ops as tf_ops

    eager = tf_ops._EagerTensorBase
    eager.op = _eager_op_with_hint(eager.op)
    _INSTALLED.append(True)
