"""slim.losses: slim's losses (argument order, reduction, collection) on Keras graphs."""

from kslim.losses.loss_ops import (
    add_loss,
    compute_weighted_loss,
    get_losses,
    get_regularization_losses,
    get_total_loss,
    softmax_cross_entropy,
)

__all__ = [
    "add_loss",
    "compute_weighted_loss",
    "get_losses",
    "get_regularization_losses",
    "get_total_loss",
    "softmax_cross_entropy",
]
