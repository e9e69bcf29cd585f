"""slim.data: binding datasets to model inputs (and slim's data module on tf.data)."""

from kslim.data.inputs import as_dataset, check_dataset_matches, inputs

__all__ = ["as_dataset", "check_dataset_matches", "inputs"]
