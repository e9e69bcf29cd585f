"""arg_scope: scoped default keyword arguments for slim layer functions.

A port of tf_slim's ``ops/arg_scope.py``. The state is a module-global stack of
``{op_key: {kwarg: value}}`` dicts (not thread-local, as in slim). Only keyword
arguments are affected; explicit keyword arguments beat the scope; an inner scope
overrides an outer one; re-using a scope dict replaces the current scope.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "arg_scope",
    "add_arg_scope",
    "current_arg_scope",
    "has_arg_scope",
    "arg_scoped_arguments",
    "arg_scope_func_key",
]

_ARGSTACK: list[dict] = [{}]
_DECORATED_OPS: dict[str, tuple[str, ...]] = {}


def _get_arg_stack() -> list[dict]:
    if not _ARGSTACK:
        _ARGSTACK.append({})
    return _ARGSTACK


def current_arg_scope() -> dict:
    """Returns the innermost scope dict (``{}`` outside any ``arg_scope``)."""
    return _get_arg_stack()[-1]


def arg_scope_func_key(op: Callable) -> str:
    """Returns the key under which ``op`` is stored in a scope dict."""
    return getattr(op, "_key_op", str(op))


def _name_op(op: Callable) -> tuple[str, str]:
    return (op.__module__, op.__name__)


def _kwarg_names(func: Callable) -> tuple[str, ...]:
    """Names of the arguments of ``func`` that have a default value."""
    params = inspect.signature(func).parameters.values()
    return tuple(
        p.name
        for p in params
        if p.default is not inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )


def _accepts_any_kwarg(func: Callable) -> bool:
    params = inspect.signature(func).parameters.values()
    return any(p.kind is p.VAR_KEYWORD for p in params)


@contextlib.contextmanager
def arg_scope(
    list_ops_or_scope: Sequence[Callable[..., Any]] | dict, **kwargs: Any
) -> Iterator[dict]:
    """Stores default keyword arguments for the given ops.

    Args:
      list_ops_or_scope: a list or tuple of decorated ops to set defaults for,
        or a scope dict (as yielded by an earlier ``arg_scope``) to re-use; a
        re-used dict replaces the current scope rather than merging into it.
      **kwargs: ``keyword=value`` defaults applied to every op in the list.

    Yields:
      The current scope dict, which can be re-used later.

    Raises:
      ValueError: if a dict is given together with ``kwargs``, or an op in the
        list is not decorated with ``add_arg_scope``.
      TypeError: if ``list_ops_or_scope`` is neither a list/tuple nor a dict.
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError(
                "When attempting to re-use a scope by suppling adictionary, kwargs must be empty."
            )
        current_scope = list_ops_or_scope.copy()
        try:
            _get_arg_stack().append(current_scope)
            yield current_scope
        finally:
            _get_arg_stack().pop()
        return
    if not isinstance(list_ops_or_scope, (list, tuple)):
        raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict)")
    try:
        current_scope = current_arg_scope().copy()
        for op in list_ops_or_scope:
            key = arg_scope_func_key(op)
            if not has_arg_scope(op):
                raise ValueError(
                    "list_ops_or_scope: %s.%s is not decorated with @add_arg_scope" % _name_op(op)
                )
            if key in current_scope:
                current_kwargs = current_scope[key].copy()
                current_kwargs.update(kwargs)
                current_scope[key] = current_kwargs
            else:
                current_scope[key] = kwargs.copy()
        _get_arg_stack().append(current_scope)
        yield current_scope
    finally:
        _get_arg_stack().pop()


def add_arg_scope(func: Callable) -> Callable:
    """Decorates ``func`` so that ``arg_scope`` can set its keyword defaults.

    Args:
      func: the function to decorate.

    Returns:
      The decorated function. Scoped keyword arguments are merged under the
      explicit ones; a keyword in scope that ``func`` does not accept raises a
      ``TypeError`` naming the keyword, its value and the function.
    """
    key = str(func)
    accepts_any = _accepts_any_kwarg(func)
    valid = set(inspect.signature(func).parameters)

    @functools.wraps(func)
    def func_with_args(*args: Any, **kwargs: Any):
        scope = current_arg_scope()
        if key in scope:
            current_args = scope[key].copy()
            if not accepts_any:
                for name, value in current_args.items():
                    if name not in valid:
                        raise TypeError(
                            f"arg_scope sets keyword argument {name}={value!r} for "
                            f"{func.__name__}(), which has no argument {name!r}"
                        )
            current_args.update(kwargs)
        else:
            current_args = kwargs
        return func(*args, **current_args)

    _DECORATED_OPS[key] = _kwarg_names(func)
    func_with_args._key_op = key  # type: ignore[attr-defined]
    return func_with_args


def has_arg_scope(func: Callable) -> bool:
    """Returns True if ``func`` was decorated with ``add_arg_scope``."""
    return arg_scope_func_key(func) in _DECORATED_OPS


def arg_scoped_arguments(func: Callable) -> tuple[str, ...]:
    """Returns the keyword arguments (those with defaults) ``arg_scope`` can set.

    Args:
      func: a decorated function.

    Returns:
      Tuple of argument names.

    Raises:
      AssertionError: if ``func`` is not decorated (as in slim).
    """
    assert has_arg_scope(func)
    return _DECORATED_OPS[arg_scope_func_key(func)]
