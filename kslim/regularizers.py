"""slim.regularizers (module alias of ``kslim.layers.regularizers``)."""

from kslim.layers.regularizers import (
    L1,
    L2,
    SumRegularizer,
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
)

__all__ = [
    "L1",
    "L2",
    "SumRegularizer",
    "apply_regularization",
    "l1_l2_regularizer",
    "l1_regularizer",
    "l2_regularizer",
    "sum_regularizer",
]
