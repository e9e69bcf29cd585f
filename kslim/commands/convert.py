"""Writes a dataset as slim-format TFRecord shards (like slim's download_and_convert_data.py).

Example:
  kslim convert digits --dataset-dir /tmp/digits

The digits are scikit-learn's handwritten digits (1797 grey 8x8 images, shipped with
scikit-learn: nothing is downloaded), written as PNG-encoded tf.train.Examples
(image/encoded, image/format, image/class/label, image/height, image/width) in
train/validation shards, plus labels.txt. Files that already exist are kept.
cifar10, mnist and flowers convert a local archive the user supplies (never downloaded):
  kslim convert cifar10 --archive cifar-10-python.tar.gz --dataset-dir /tmp/cifar10
Other datasets join with kslim.data.datasets.register_dataset(name, module,
converter=...).
"""

from __future__ import annotations

import argparse
import os

NAME = "convert"
HELP = "write a dataset (digits, cifar10, mnist, flowers) as slim-format TFRecords + labels.txt"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds DATASET_NAME, --dataset-dir, --archive, --validation-fraction, --num-shards."""
    parser.add_argument(
        "dataset_name",
        metavar="DATASET_NAME",
        help="the dataset to convert (digits, cifar10, mnist, flowers)",
    )
    parser.add_argument(
        "--dataset-dir", required=True, help="directory to write the TFRecords to (created)"
    )
    parser.add_argument(
        "--archive",
        default=None,
        help="the local archive to convert (cifar10: cifar-10-python.tar.gz; mnist: a "
        "directory or tar of the four *-idx?-ubyte.gz files; flowers: flower_photos.tgz)",
    )
    parser.add_argument(
        "--validation-fraction",
        type=float,
        default=None,
        help="fraction of the examples in the validation split (digits default: 0.2)",
    )
    parser.add_argument(
        "--num-shards",
        type=int,
        default=None,
        help="TFRecord files per split (digits default: 2)",
    )


def is_empty_dir(path: str) -> bool:
    """Whether ``path`` is missing or a directory without entries."""
    return not os.path.exists(path) or (os.path.isdir(path) and not os.listdir(path))


def ensure_dataset(dataset_name: str, dataset_dir: str, may_create: bool) -> bool:
    """Converts ``dataset_name`` into ``dataset_dir`` when that holds nothing yet.

    Args:
      dataset_name: a registered dataset name.
      dataset_dir: the dataset directory.
      may_create: whether a missing ``dataset_dir`` may be created (True when it
        is the default ``<train-dir>/data``); an explicitly given directory must
        exist (a typo should not silently write a new dataset).

    Returns:
      True if the dataset was converted now.

    Raises:
      ValueError: unknown dataset name; missing ``dataset_dir`` (with
        ``may_create=False``); an empty ``dataset_dir`` of a dataset without a
        converter; a ``dataset_dir`` that is a file.
    """
    from kslim.data.datasets import dataset_factory

    if dataset_name not in dataset_factory.list_datasets():
        raise ValueError(
            f"Name of dataset unknown {dataset_name!r}; known datasets: "
            f"{', '.join(dataset_factory.list_datasets())}"
        )
    if os.path.exists(dataset_dir) and not os.path.isdir(dataset_dir):
        raise ValueError(f"--dataset-dir {dataset_dir!r} is a file, not a directory")
    if not os.path.exists(dataset_dir) and not may_create:
        archive = "--archive FILE " if dataset_name in ("cifar10", "flowers", "mnist") else ""
        raise ValueError(
            f"--dataset-dir {dataset_dir!r} does not exist; write it with "
            f"'kslim convert {dataset_name} {archive}--dataset-dir {dataset_dir}'"
        )
    if not is_empty_dir(dataset_dir):
        return False
    try:
        dataset_factory.convert_dataset(dataset_name, dataset_dir)
    except ValueError as e:
        raise ValueError(
            f"--dataset-dir {dataset_dir!r} is empty and dataset {dataset_name!r} cannot be "
            f"converted automatically ({e})"
        ) from None
    return True


def _check_converter_flags(dataset_name: str, kwargs: dict) -> None:
    """Raises a ValueError naming the flags the dataset's converter does not take."""
    import inspect

    from kslim.data.datasets import dataset_factory

    converter = dataset_factory.get_converter(dataset_name)
    if converter is None:
        return
    parameters = inspect.signature(converter).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(k for k in kwargs if k not in parameters)
    if unknown:
        flags = ", ".join("--" + k.replace("_", "-") for k in unknown)
        raise ValueError(f"kslim convert {dataset_name} does not take {flags}")


def run(args: argparse.Namespace) -> int:
    """Converts and prints the number of examples per split."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from kslim.data.datasets import dataset_factory

    if args.dataset_name not in dataset_factory.list_datasets():
        raise ValueError(
            f"Name of dataset unknown {args.dataset_name!r}; known datasets: "
            f"{', '.join(dataset_factory.list_datasets())}"
        )
    kwargs = {}
    if args.validation_fraction is not None:
        kwargs["validation_fraction"] = args.validation_fraction
    if args.num_shards is not None:
        kwargs["num_shards"] = args.num_shards
    if getattr(args, "archive", None) is not None:
        kwargs["archive"] = args.archive
    _check_converter_flags(args.dataset_name, kwargs)
    sizes = dataset_factory.convert_dataset(args.dataset_name, args.dataset_dir, **kwargs)
    splits = ", ".join(f"{name} {size}" for name, size in dict(sizes).items())
    print(f"{args.dataset_name} in {args.dataset_dir}: {splits} examples")
    return 0
