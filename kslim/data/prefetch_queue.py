"""slim.data.prefetch_queue on tf.data: prefetching batches is ``Dataset.prefetch``.

Slim's ``prefetch_queue(tensors)`` put pre-assembled batches into a FIFO queue filled
by queue-runner threads, and the model read ``queue.dequeue()``. With tf.data the
same overlap of input and compute is ``dataset.prefetch(capacity)``: pass the batched
dataset (e.g. from ``kslim.data.batch``), get the prefetching dataset back, and give
it to ``kslim.data.inputs``. ``kslim.data.batch`` already prefetches by default.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

__all__ = ["prefetch_queue"]


def prefetch_queue(
    tensors: Any,
    capacity: int = 8,
    num_threads: int = 1,
    dynamic_pad: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> tf.data.Dataset:
    """Returns ``tensors.prefetch(capacity)`` for a batched ``tf.data.Dataset``.

    Args:
      tensors: a (batched) ``tf.data.Dataset``; slim's list/dict of tensors has no
        TF2 counterpart (there is no queue to feed).
      capacity: the number of batches prefetched, default 8 (``tf.data.AUTOTUNE``
        is accepted).
      num_threads: accepted for compatibility (tf.data schedules the work).
      dynamic_pad: accepted for compatibility (pad when batching instead:
        ``kslim.data.batch(..., dynamic_pad=True)``).
      shared_name: accepted for compatibility.
      name: accepted for compatibility.

    Returns:
      The prefetching ``tf.data.Dataset``.

    Raises:
      TypeError: if ``tensors`` is not a ``tf.data.Dataset``.
      ValueError: if ``capacity`` is not a positive integer or AUTOTUNE.
    """
    del num_threads, dynamic_pad, shared_name, name
    if not isinstance(tensors, tf.data.Dataset):
        raise TypeError(
            "tensors must be a batched tf.data.Dataset (kslim has no input queues: "
            "build the batches with kslim.data.batch, which also prefetches), got "
            f"{type(tensors).__name__}"
        )
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or (capacity <= 0 and capacity != tf.data.AUTOTUNE)
    ):
        raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
    return tensors.prefetch(capacity)
