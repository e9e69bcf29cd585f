"""A registry of datasets by name (as slim's ``datasets/dataset_factory.py``).

``get_dataset('digits', 'train', dataset_dir)`` returns the ``slim.dataset.Dataset``
of a split. Register another dataset with its ``get_split`` (a module having one, or
the function itself) and optionally its converter::

    from kslim.data import datasets
    datasets.register_dataset('flowers', my_flowers_module, converter=convert_flowers)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kslim.data.dataset import Dataset
from kslim.data.datasets import cifar10, digits, flowers, imagenet, mnist
from kslim.data.datasets.convert_cifar10 import convert_cifar10
from kslim.data.datasets.convert_digits import convert_digits
from kslim.data.datasets.convert_flowers import convert_flowers
from kslim.data.datasets.convert_mnist import convert_mnist

__all__ = [
    "convert_dataset",
    "get_converter",
    "get_dataset",
    "list_datasets",
    "register_dataset",
]

_DATASETS: dict[str, Callable[..., Any]] = {}
_CONVERTERS: dict[str, Callable[..., Any]] = {}


def register_dataset(
    name: str, module_or_fn: Any, converter: Callable[..., Any] | None = None
) -> None:
    """Registers a dataset under ``name`` (replacing an earlier registration).

    Args:
      name: the dataset name.
      module_or_fn: a module with ``get_split(split_name, dataset_dir,
        file_pattern=None, reader=None)``, or that function.
      converter: optional ``converter(dataset_dir, **kwargs)`` writing the dataset
        files (used by ``convert_dataset``).

    Raises:
      ValueError: if ``name`` is not a non-empty string.
      TypeError: if ``module_or_fn`` has no callable ``get_split`` and is not
        callable, or ``converter`` is not callable.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    get_split = getattr(module_or_fn, "get_split", module_or_fn)
    if not callable(get_split):
        raise TypeError(
            f"module_or_fn must be a module with get_split or a callable, got "
            f"{type(module_or_fn).__name__}: {module_or_fn!r}"
        )
    if converter is not None and not callable(converter):
        raise TypeError(f"converter must be callable, got {type(converter).__name__}")
    _DATASETS[name] = get_split
    if converter is not None:
        _CONVERTERS[name] = converter
    else:
        _CONVERTERS.pop(name, None)


def list_datasets() -> list:
    """Returns the registered dataset names, sorted."""
    return sorted(_DATASETS)


def get_dataset(
    name: str,
    split_name: str,
    dataset_dir: str,
    file_pattern: str | None = None,
    reader: Any = None,
) -> Dataset:
    """Returns the ``Dataset`` of a registered dataset's split.

    Args:
      name: the dataset name (e.g. ``'digits'``).
      split_name: the split (e.g. ``'train'``).
      dataset_dir: the directory of the dataset files.
      file_pattern: passed to ``get_split``.
      reader: passed to ``get_split``.

    Returns:
      A ``slim.dataset.Dataset``.

    Raises:
      ValueError: if the dataset ``name`` is unknown (slim's message).
    """
    if name not in _DATASETS:
        raise ValueError(f"Name of dataset unknown {name}")
    return _DATASETS[name](split_name, dataset_dir, file_pattern=file_pattern, reader=reader)


def get_converter(name: str) -> Callable[..., Any] | None:
    """Returns the converter registered for ``name``, or None."""
    return _CONVERTERS.get(name)


def convert_dataset(name: str, dataset_dir: str, **kwargs: Any) -> Any:
    """Writes a registered dataset's files with its converter.

    Raises:
      ValueError: if ``name`` is unknown or has no converter.
    """
    if name not in _CONVERTERS:
        known = sorted(_CONVERTERS)
        raise ValueError(f"No converter for dataset {name!r}; datasets with one: {known}")
    return _CONVERTERS[name](dataset_dir, **kwargs)


register_dataset("digits", digits, converter=convert_digits)
# slim's datasets_map; the converters read a local archive (``archive=``).
register_dataset("cifar10", cifar10, converter=convert_cifar10)
register_dataset("flowers", flowers, converter=convert_flowers)
register_dataset("imagenet", imagenet)
register_dataset("mnist", mnist, converter=convert_mnist)
