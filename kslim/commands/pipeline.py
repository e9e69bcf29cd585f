"""The pipeline kslim train and kslim eval share: dataset split, network and inputs, logging."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, TextIO

from kslim.data.dataset import Dataset


def positive_int(value: Any, flag: str) -> int:
    """``value`` itself when it is a positive integer; ValueError naming ``flag`` otherwise."""
    if value is None or value <= 0:
        raise ValueError(f"{flag} must be a positive integer, got {value!r}")
    return value


def get_split(args: argparse.Namespace, default_dir: str) -> Dataset:
    """Resolves the dataset dir (converting an empty one) and returns the split's Dataset.

    ``--dataset-dir`` must exist when given; the default ``default_dir`` is
    created and filled with the converted dataset when missing or empty.

    Raises:
      ValueError: unknown dataset, missing dataset dir, an empty split.
    """
    from kslim.commands.convert import ensure_dataset
    from kslim.data.datasets import dataset_factory

    dataset_dir = args.dataset_dir or default_dir
    if ensure_dataset(args.dataset_name, dataset_dir, may_create=args.dataset_dir is None):
        logging.getLogger("kslim").info("Converted %s into %s", args.dataset_name, dataset_dir)
    dataset = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, dataset_dir)
    if not dataset.num_samples:
        raise ValueError(
            f"split {args.dataset_split_name!r} of dataset {args.dataset_name!r} in "
            f"{dataset_dir!r} is empty"
        )
    return dataset, dataset_dir


def build_network_and_inputs(
    args: argparse.Namespace,
    dataset: Any,
    is_training: bool,
    batch_size: int,
    image_size: int | None,
    weight_decay: float = 0.0,
    seed: int | None = None,
) -> tuple[Any, dict, Any, int]:
    """Builds the input pipeline and the network in the default kslim graph.

    Returns:
      ``(logits, end_points, labels, num_classes)``; ``labels`` are one-hot for
      training, class ids for evaluation.

    Raises:
      ValueError: unknown model or preprocessing name.
    """
    import tensorflow as tf

    from kslim.data import batch, inputs
    from kslim.data.dataset_data_provider import DatasetDataProvider
    from kslim.nets import nets_factory
    from kslim.preprocessing import preprocessing_factory

    num_classes = dataset.num_classes - args.labels_offset
    network_fn = nets_factory.get_network_fn(
        args.model_name,
        num_classes=num_classes,
        weight_decay=weight_decay,
        is_training=is_training,
    )
    preprocessing_name = args.preprocessing_name or args.model_name
    preprocessing_fn = preprocessing_factory.get_preprocessing(
        preprocessing_name, is_training=is_training, use_grayscale=args.use_grayscale
    )
    size = image_size or getattr(network_fn, "default_image_size", None)
    if not size:
        raise ValueError(
            f"network {args.model_name!r} has no default_image_size; give the image size flag"
        )
    provider = DatasetDataProvider(
        dataset,
        num_readers=positive_int(args.num_readers, "--num-readers"),
        shuffle=is_training,
        num_epochs=None if is_training else 1,
        common_queue_capacity=20 * batch_size if is_training else 2 * batch_size,
        common_queue_min=10 * batch_size if is_training else batch_size,
        seed=seed,
    )
    offset = args.labels_offset

    def preprocess(image: tf.Tensor, label: tf.Tensor):
        image = preprocessing_fn(image, size, size)
        label = label - offset
        if is_training:
            label = tf.one_hot(label, num_classes)
        return image, label

    data = batch(
        provider,
        ["image", "label"],
        batch_size=batch_size,
        preprocess_fn=preprocess,
        num_parallel_calls=positive_int(
            args.num_preprocessing_threads, "--num-preprocessing-threads"
        ),
        allow_smaller_final_batch=not is_training,
    )
    images, labels = inputs(data)
    logits, end_points = network_fn(images)
    return logits, end_points, labels, num_classes


class StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (which may be replaced after setup)."""

    @property
    def stream(self) -> Any:
        """The current ``sys.stderr`` (looked up at every write)."""
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO):
        del value


def setup_logging() -> None:
    """Shows the ``kslim`` logger's INFO lines (the loss log) on stderr."""
    log = logging.getLogger("kslim")
    if not log.handlers:
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
