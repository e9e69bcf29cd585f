"""TF functions called on Keras symbolic tensors become layers of the functional graph.

Published slim code mixes slim layers with TF ops: ``tf.concat(axis=3, values=[...])``,
``tf.pad``, ``tf.squeeze``, ``tf.nn.relu``, ``tf.reshape(x, [tf.shape(x)[0], -1])``. On a
Keras 3 ``KerasTensor`` each of those raises (a KerasTensor is not a ``tf.Tensor``). TF
tries every op that raises TypeError/ValueError on its arguments once more through its
global op dispatchers; kslim registers one (``install``) that records the call as a
``TFOpLayer``: a Keras layer calling that same TF function when the model runs. This is
the job ``TFOpLambda`` did in tf.keras.

The layer's config names the TF symbol (``'concat'``, ``'compat.v1.squeeze'``,
``'nn.relu'``) and holds the call's other arguments, so a model saves to ``.keras`` and
loads back with only ``import kslim``. Output shapes and dtypes come from TF's own shape
inference (the function is traced on placeholders), so dynamic shapes (``tf.shape``) and
multiple outputs (``tf.split``, ``tf.unstack``, ``tf.nn.moments``) work. On concrete
tensors (eager, inside ``tf.function``) nothing is dispatched: TF computes as usual.
"""

from __future__ import annotations

import importlib
import inspect
import types
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.ops.graph import get_default_graph
from kslim.ops.variable_scope import current_name_scope
from kslim.tensor_types import TensorLike

__all__ = ["TFOpLayer", "install", "tf_symbol_name", "resolve_tf_symbol"]

_TENSOR = "__kslim_tensor__"
_DTYPE = "__kslim_dtype__"
_ARRAY = "__kslim_array__"
_SHAPE = "__kslim_shape__"
_TUPLE = "__kslim_tuple__"
_SLICE = "__kslim_slice__"


# ----------------------------------------------------------------- symbol names
def _api_names(function: Callable[..., Any]) -> list[str]:
    """TF's public names of ``function``: v2 names first, then v1 (``compat.v1.``)."""
    names = list(getattr(function, "_tf_api_names", ()) or ())
    names += ["compat.v1." + n for n in getattr(function, "_tf_api_names_v1", ()) or ()]
    return names


def resolve_tf_symbol(symbol: str) -> Any:
    """The TF object named ``symbol`` (``'nn.relu'``, ``'compat.v1.pad'``).

    A name that is not under ``tf`` is a module path (``'tensorflow.python.ops...'``).

    Raises:
      ValueError: if nothing of that name exists.
    """
    obj: Any = tf
    try:
        if symbol.startswith("tensorflow.") and ":" in symbol:
            module, _, attr = symbol.partition(":")
            obj = importlib.import_module(module)
            parts = attr.split(".")
        else:
            parts = symbol.split(".")
        for part in parts:
            obj = getattr(obj, part)
    except (AttributeError, ImportError) as exc:
        raise ValueError(
            f"TFOpLayer: symbol={symbol!r} names no TensorFlow function in this TF version "
            f"({tf.__version__})"
        ) from exc
    return obj


# The public TF namespaces searched for a function's name, v2 first (a v1 function of
# the same name can take its arguments in another order).
_NAMESPACES = (
    "",
    "nn",
    "math",
    "image",
    "linalg",
    "signal",
    "random",
    "dtypes",
    "debugging",
    "bitwise",
    "strings",
    "sparse",
    "compat.v1",
    "compat.v1.nn",
    "compat.v1.math",
    "compat.v1.image",
    "compat.v1.linalg",
    "compat.v1.random",
    "compat.v1.debugging",
    "compat.v1.sparse",
)
_INDEX: dict = {}


def _public_index() -> dict:
    """Maps each public TF function (under its decorators) to its name, built once."""
    if not _INDEX:
        for namespace in _NAMESPACES:
            module = resolve_tf_symbol(namespace) if namespace else tf
            prefix = namespace + "." if namespace else ""
            for attr in dir(module):
                if attr.startswith("_"):
                    continue
                obj = getattr(module, attr, None)
                if callable(obj) and not isinstance(obj, (type, types.ModuleType)):
                    try:
                        _INDEX.setdefault(inspect.unwrap(obj), prefix + attr)
                    except (TypeError, ValueError):
                        continue
    return _INDEX


def tf_symbol_name(function: Callable[..., Any]) -> str | None:
    """The name under which ``resolve_tf_symbol`` finds ``function`` again.

    The public name (``'concat'``, ``'nn.relu'``, ``'compat.v1.squeeze'``) of the very
    function that was called (TF's v1 and v2 functions of one name can take their
    arguments in another order), else its module path. Returns None for functions that
    cannot be found again by name (lambdas, local functions).
    """
    for name in _api_names(function):
        try:
            if _same_function(resolve_tf_symbol(name), function):
                return name
        except ValueError:
            continue
    try:
        name = _public_index().get(inspect.unwrap(function))
    except (TypeError, ValueError):
        name = None
    if name is not None:
        return name
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if module and qualname and "<" not in qualname:
        name = f"{module}:{qualname}"
        try:
            if _same_function(resolve_tf_symbol(name), function):
                return name
        except ValueError:
            return None
    return None


def _same_function(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """True when ``a`` and ``b`` are one function under TF's decorators."""
    return a is b or inspect.unwrap(a) is inspect.unwrap(b)


def _display_name(symbol: str | None, function: Callable[..., Any]) -> str:
    if symbol is None:
        return repr(function)
    return symbol.replace(":", ".") if ":" in symbol else "tf." + symbol


def _short_name(symbol: str | None, function: Callable[..., Any]) -> str:
    if symbol:
        return symbol.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return getattr(function, "__name__", "tf_op").strip("<>") or "tf_op"


# --------------------------------------------------- arguments <-> config values
def _split_symbolic(structure: Any) -> tuple[Any, list]:
    """Replaces each KerasTensor in ``structure`` by a placeholder; returns both."""
    tensors: list = []

    def visit(value: Any) -> Any:
        if isinstance(value, keras.KerasTensor):
            tensors.append(value)
            return {_TENSOR: len(tensors) - 1}
        if isinstance(value, dict):
            return {k: visit(v) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(v) for v in value]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(visit(v) for v in value)
        return value

    return visit(structure), tensors


def _fill(structure: Any, tensors: Sequence[Any]) -> Any:
    """Puts ``tensors`` back where ``_split_symbolic`` left placeholders."""
    if isinstance(structure, dict):
        if set(structure) == {_TENSOR}:
            return tensors[structure[_TENSOR]]
        return {k: _fill(v, tensors) for k, v in structure.items()}
    if isinstance(structure, list):
        return [_fill(v, tensors) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_fill(v, tensors) for v in structure)
    return structure


def _to_config(value: Any) -> Any:
    """A JSON-able form of an argument (placeholders, dtypes, arrays, shapes...)."""
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            return value
        return {str(k): _to_config(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TUPLE: [_to_config(v) for v in value]}
    if isinstance(value, list):
        return [_to_config(v) for v in value]
    if isinstance(value, tf.DType):
        return {_DTYPE: value.name}
    if isinstance(value, tf.TensorShape):
        return {_SHAPE: None if value.rank is None else value.as_list()}
    if isinstance(value, slice):
        return {_SLICE: [_to_config(value.start), _to_config(value.stop), _to_config(value.step)]}
    if isinstance(value, (np.ndarray, np.generic)) or (
        isinstance(value, tf.Tensor) and not isinstance(value, (tf.Variable, keras.Variable))
    ):
        array = np.asarray(value)
        return {_ARRAY: array.tolist(), "dtype": array.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"argument {value!r} of type {type(value).__name__} cannot be saved in a layer config"
    )


def _from_config(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            return value
        if set(value) == {_TUPLE}:
            return tuple(_from_config(v) for v in value[_TUPLE])
        if set(value) == {_DTYPE}:
            return tf.as_dtype(value[_DTYPE])
        if set(value) == {_SHAPE}:
            return tf.TensorShape(value[_SHAPE])
        if set(value) == {_SLICE}:
            return slice(*[_from_config(v) for v in value[_SLICE]])
        if set(value) == {_ARRAY, "dtype"}:
            return np.asarray(value[_ARRAY], dtype=value["dtype"])
        return {k: _from_config(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_config(v) for v in value]
    return value


def _captured_variables(structure: Any) -> list:
    return [v for v in tf.nest.flatten(structure) if isinstance(v, (tf.Variable, keras.Variable))]


# ------------------------------------------------------------------------ layer
@keras.saving.register_keras_serializable(package="kslim")
class TFOpLayer(keras.layers.Layer):
    """A TF function call in a Keras functional graph.

    Args:
      symbol: the function's name under ``tf`` (``'concat'``, ``'nn.relu'``,
        ``'compat.v1.squeeze'``) or its module path; see ``tf_symbol_name``.
      call_args: the positional arguments, with ``{"__kslim_tensor__": i}`` where the
        i-th layer input goes (config form).
      call_kwargs: the keyword arguments, in the same form.
      function: the function itself (when it has no symbol: then the layer works but
        cannot be saved to a config).
      **kwargs: Keras ``Layer`` arguments.
    """

    def __init__(
        self,
        symbol: str | None,
        call_args: Sequence[Any] = (),
        call_kwargs: dict | None = None,
        function: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.symbol = symbol
        self.function = function if function is not None else resolve_tf_symbol(symbol)
        self._call_args = _from_config(call_args) if function is None else call_args
        self._call_kwargs = (
            _from_config(call_kwargs or {}) if function is None else dict(call_kwargs or {})
        )
        # Variables passed to the op (``tf.matmul(net, w)``) are trained with the model.
        self._op_variables = _captured_variables([self._call_args, self._call_kwargs])

    def call(self, inputs: TensorLike) -> Any:
        """Calls the TF function with the layer's inputs in their argument positions."""
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        args = _fill(self._call_args, tensors)
        kwargs = _fill(self._call_kwargs, tensors)
        return self.function(*args, **kwargs)

    def compute_output_spec(self, inputs: TensorLike) -> Any:
        """The output spec of the TF function on ``inputs``, traced symbolically."""
        from kslim.ops.keras_graph import compute_output_spec

        # Keras marks ``x * 2.0`` sparse (a Python number counts as sparse in its
        # rule); such values are dense when the model runs, so trace them dense.
        inputs = tf.nest.map_structure(_dense_spec, inputs)
        try:
            return compute_output_spec(self.call, inputs)
        except Exception as exc:
            raise _unrecordable(_display_name(self.symbol, self.function), exc) from exc

    def get_config(self) -> dict:
        """The TF function's name and arguments, for Keras serialization."""
        if self.symbol is None:
            raise NotImplementedError(
                f"TFOpLayer {self.name!r} calls {self.function!r}, which has no TensorFlow "
                "name to save; save the weights (model.save_weights) or export a SavedModel "
                "(kslim.export) instead"
            )
        if self._op_variables:
            raise NotImplementedError(
                f"TFOpLayer {self.name!r} ({self.symbol}) uses variables "
                f"{[v.name for v in self._op_variables]} as arguments, which a config cannot "
                "hold; save the weights (model.save_weights) or export a SavedModel instead"
            )
        config = super().get_config()
        config.update(
            symbol=self.symbol,
            call_args=_to_config(self._call_args),
            call_kwargs=_to_config(self._call_kwargs),
        )
        return config


def _dense_spec(value: TensorLike):
    if isinstance(value, keras.KerasTensor) and value.sparse:
        return keras.KerasTensor(value.shape, value.dtype)
    return value


def _unrecordable(call: str, exc: Exception) -> Exception:
    return (
        type(exc)(
            f"{call} cannot be recorded in a Keras functional graph on symbolic inputs: "
            f"{exc}. Build the model eagerly on a concrete batch, inside tf.function, or under "
            "slim.make_template, where TF ops run on real tensors."
        )
        if type(exc) in (ValueError, TypeError)
        else exc
    )


def _name_argument(
    function: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]
) -> str | None:
    """The ``name=`` the TF call was given (by keyword or position), if any."""
    name = kwargs.get("name")
    if name is None and args:
        try:
            name = inspect.signature(function).bind_partial(*args, **kwargs).arguments.get("name")
        except (TypeError, ValueError):
            return None
    return name if isinstance(name, str) and name else None


def _layer_name_for(symbol: str | None, function: Callable[..., Any], name: str | None) -> str:
    """A unique Keras layer name from the current name scope (``Mixed_5b/concat``)."""
    from kslim.layers.base import layer_name

    graph = get_default_graph()
    short = name or _short_name(symbol, function)
    scope = current_name_scope(graph) + short.strip("/")
    return layer_name(graph.unique_name(scope))


def record_tf_call(
    function: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]
) -> Any:
    """Records ``function(*args, **kwargs)`` (with KerasTensors inside) as a TFOpLayer.

    Returns:
      The layer's output KerasTensor(s).
    """
    (call_args, call_kwargs), tensors = _split_symbolic((list(args), dict(kwargs)))
    symbol = tf_symbol_name(function)
    name = _layer_name_for(symbol, function, _name_argument(function, args, kwargs))
    layer = TFOpLayer(symbol, call_args, call_kwargs, function=function, name=name)
    return layer(tensors)


class _KerasTensorDispatcher(tf.__internal__.dispatch.GlobalOpDispatcher):
    """TF's fallback for ops whose arguments hold KerasTensors: record a TFOpLayer."""

    def handle(self, op: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        if not any(isinstance(x, keras.KerasTensor) for x in tf.nest.flatten([list(args), kwargs])):
            return self.NOT_SUPPORTED
        return record_tf_call(op, args, kwargs)


_INSTALLED: list = []


def install() -> None:
    """Registers kslim's dispatcher with TF (once per process)."""
    if not _INSTALLED:
        dispatcher = _KerasTensorDispatcher()
        dispatcher.register()
        _INSTALLED.append(dispatcher)
