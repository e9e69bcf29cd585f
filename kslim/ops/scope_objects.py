"""The VariableScope object of kslim's variable scopes (TF1's ``VariableScope``).

``kslim.ops.variable_scope`` opens scopes; each ``kslim.Graph`` keeps the stack
of the ``VariableScope`` objects open in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kslim.tensor_types import DTypeLike, Initializer, Regularizer, Reuse

__all__ = ["VariableScope", "is_auto_reuse"]


def is_auto_reuse(reuse: Reuse) -> bool:
    """True for an ``AUTO_REUSE`` reuse mode (kslim's or TF1's).

    Args:
      reuse: a variable scope's ``reuse`` value.

    Returns:
      Whether it is AUTO_REUSE.
    """
    return type(reuse).__name__ == "_ReuseMode" and "AUTO" in str(reuse).upper()


class VariableScope:
    """A variable scope, as TF1's ``tf.compat.v1.VariableScope``.

    The object on kslim's scope stack is the one ``variable_scope`` yields and
    ``get_variable_scope()`` returns, so ``sc.reuse_variables()`` switches the
    open scope to re-use.

    Attributes:
      name: the full scope path (``'vgg_16/conv1'``).
      reuse: ``None``/``False`` (create), ``True`` (re-use) or ``AUTO_REUSE``.
      original_name_scope: the name scope opened with it, ending in ``'/'``.
      initializer, regularizer, dtype, constraint, custom_getter: defaults of
        ``tf.compat.v1.get_variable`` in this scope (inherited by sub-scopes).
      caching_device, partitioner, use_resource: kept for TF1 compatibility.
    """

    def __init__(
        self,
        name: str,
        reuse: Reuse | None = None,
        original_name_scope: str = "",
        initializer: Initializer | None = None,
        regularizer: Regularizer | None = None,
        dtype: DTypeLike | None = None,
        constraint: Callable[[Any], Any] | None = None,
        custom_getter: Callable[..., Any] | None = None,
        caching_device: str | None = None,
        partitioner: Callable[..., Any] | None = None,
        use_resource: bool | None = None,
    ) -> None:
        self.name = name
        self._reuse = reuse
        self.original_name_scope = original_name_scope
        self.initializer = initializer
        self.regularizer = regularizer
        self.dtype = dtype
        self.constraint = constraint
        self.custom_getter = custom_getter
        self.caching_device = caching_device
        self.partitioner = partitioner
        self.use_resource = use_resource

    @property
    def reuse(self) -> Any:
        """The scope's reuse flag (True, ``tf.compat.v1.AUTO_REUSE`` or False)."""
        return self._reuse

    @reuse.setter
    def reuse(self, value: Reuse | None) -> None:
        self._reuse = value

    @property
    def reuses(self) -> bool:
        """True when existing layers are re-used (``reuse`` True or AUTO_REUSE)."""
        return self._reuse is True or is_auto_reuse(self._reuse)

    def reuse_variables(self) -> None:
        """Re-uses the layers and variables of this scope from now on."""
        self._reuse = True

    def set_initializer(self, initializer: Initializer | None) -> None:
        """Sets the scope's default initializer."""
        self.initializer = initializer

    def set_regularizer(self, regularizer: Regularizer | None) -> None:
        """Sets the scope's default regularizer."""
        self.regularizer = regularizer

    def set_dtype(self, dtype: DTypeLike) -> None:
        """Sets the scope's default dtype."""
        self.dtype = dtype

    def set_custom_getter(self, custom_getter: Callable[..., Any] | None) -> None:
        """Sets the scope's custom getter."""
        self.custom_getter = custom_getter

    def set_caching_device(self, caching_device: str | None) -> None:
        """Sets the scope's caching device (kept for TF1 code; unused in TF2)."""
        self.caching_device = caching_device

    def set_partitioner(self, partitioner: Callable[..., Any] | None) -> None:
        """Sets the scope's partitioner (kept for TF1 code)."""
        self.partitioner = partitioner

    def set_use_resource(self, use_resource: bool | None) -> None:
        """Sets the scope's use_resource flag (kept for TF1 code)."""
        self.use_resource = use_resource

    def get_collection(self, name: str) -> list:
        """Items of collection ``name`` under this scope (TF1's method)."""
        from kslim.ops.graph import get_default_graph  # graph.py imports this module

        return get_default_graph().get_collection(name, self.name + "/" if self.name else None)

    def global_variables(self) -> list:
        """The global variables created under this scope."""
        from kslim.ops.graph import GraphKeys

        return self.get_collection(GraphKeys.GLOBAL_VARIABLES)

    def trainable_variables(self) -> list:
        """The trainable variables created under this scope."""
        from kslim.ops.graph import GraphKeys

        return self.get_collection(GraphKeys.TRAINABLE_VARIABLES)

    def local_variables(self) -> list:
        """The local variables created under this scope."""
        from kslim.ops.graph import GraphKeys

        return self.get_collection(GraphKeys.LOCAL_VARIABLES)

    def copy_with(self, **changes: Any) -> VariableScope:
        """A copy of this scope with some attributes changed."""
        new = VariableScope.__new__(VariableScope)
        new.__dict__.update(self.__dict__)
        for key, value in changes.items():
            setattr(new, "_reuse" if key == "reuse" else key, value)
        return new

    def __repr__(self) -> str:
        return f"VariableScope(name={self.name!r}, reuse={self._reuse!r})"
