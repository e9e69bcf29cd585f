"""Datasets in slim's format: the digits (converted from scikit-learn) and a registry."""

from kslim.data.datasets import dataset_utils, digits
from kslim.data.datasets.convert_digits import convert_digits
from kslim.data.datasets.dataset_factory import (
    convert_dataset,
    get_dataset,
    list_datasets,
    register_dataset,
)

__all__ = [
    "convert_dataset",
    "convert_digits",
    "dataset_utils",
    "digits",
    "get_dataset",
    "list_datasets",
    "register_dataset",
]
