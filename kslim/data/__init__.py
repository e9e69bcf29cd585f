"""slim.data: binding datasets to model inputs (and slim's data module on tf.data)."""

from kslim.data import (
    data_decoder,
    data_provider,
    dataset,
    dataset_data_provider,
    datasets,
    parallel_reader,
    prefetch_queue,
    tfexample_decoder,
)
from kslim.data.batching import batch
from kslim.data.inputs import as_dataset, check_dataset_matches, inputs

__all__ = [
    "as_dataset",
    "batch",
    "check_dataset_matches",
    "data_decoder",
    "data_provider",
    "dataset",
    "dataset_data_provider",
    "datasets",
    "inputs",
    "parallel_reader",
    "prefetch_queue",
    "tfexample_decoder",
]
