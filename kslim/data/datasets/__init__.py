"""Datasets in slim's format and a registry.

The digits (converted from scikit-learn), and slim's cifar10, mnist and flowers
(converted from a local archive) and imagenet (read only).
"""

from kslim.data.datasets import cifar10, dataset_utils, digits, flowers, imagenet, mnist
from kslim.data.datasets.convert_cifar10 import convert_cifar10
from kslim.data.datasets.convert_digits import convert_digits
from kslim.data.datasets.convert_flowers import convert_flowers
from kslim.data.datasets.convert_mnist import convert_mnist
from kslim.data.datasets.dataset_factory import (
    convert_dataset,
    get_converter,
    get_dataset,
    list_datasets,
    register_dataset,
)

__all__ = [
    "cifar10",
    "convert_cifar10",
    "convert_dataset",
    "convert_digits",
    "convert_flowers",
    "convert_mnist",
    "dataset_utils",
    "digits",
    "flowers",
    "get_converter",
    "get_dataset",
    "imagenet",
    "list_datasets",
    "mnist",
    "register_dataset",
]
