"""slim.learning: create_train_op, train, train_step and gradient helpers."""

from kslim.learning.train import StepContext, train, train_step
from kslim.learning.train_op import (
    TrainOp,
    add_gradients_summaries,
    clip_gradient_norms,
    create_train_op,
    multiply_gradients,
)

__all__ = [
    "StepContext",
    "TrainOp",
    "add_gradients_summaries",
    "clip_gradient_norms",
    "create_train_op",
    "multiply_gradients",
    "train",
    "train_step",
]
