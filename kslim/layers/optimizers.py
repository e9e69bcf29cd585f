"""slim.optimizers (tf_slim.layers.optimizers): optimize_loss and its gradient clipping."""

from kslim.layers.adaptive_clipping import adaptive_clipping_fn
from kslim.layers.optimize_loss import OPTIMIZER_CLS_NAMES, OPTIMIZER_SUMMARIES, optimize_loss

__all__ = ["OPTIMIZER_CLS_NAMES", "OPTIMIZER_SUMMARIES", "adaptive_clipping_fn", "optimize_loss"]
