"""``kslim.data.batch``: the tf.data replacement of ``provider.get`` + ``tf.train.batch``.

This is the one place where a slim user's input code changes. Slim wrote::

    image, label = provider.get(['image', 'label'])
    image = preprocess(image)
    images, labels = tf.compat.v1.train.batch([image, label], batch_size=32)
    logits = net(images)

``provider.get`` returned symbolic tensors of a queue that background threads kept
filling; the preprocessing ops and ``train.batch`` were wired onto them. TF2 runs
eagerly and has no queue runners, so per-example code must be a *function* that
tf.data maps over the examples. kslim writes::

    dataset = slim.data.batch(provider, ['image', 'label'], batch_size=32,
                              preprocess_fn=lambda image, label: (preprocess(image), label))
    images, labels = slim.data.inputs(dataset)
    logits = net(images)

Decoding and ``preprocess_fn`` run in one parallel ``map`` (``num_parallel_calls``),
then ``batch`` (or ``padded_batch`` for ``dynamic_pad``) and ``prefetch``. The pipeline
runs on a private thread pool of half the CPUs (``private_threads``), so that on a small
machine it leaves the training step's threads their cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import tensorflow as tf

__all__ = ["batch"]


def batch(
    provider: Any,
    items: Any,
    batch_size: int,
    preprocess_fn: Callable[..., Any] | None = None,
    num_parallel_calls: int | None = tf.data.AUTOTUNE,
    allow_smaller_final_batch: bool = False,
    dynamic_pad: bool = False,
    prefetch: int | None = tf.data.AUTOTUNE,
    private_threads: int | None = None,
) -> tf.data.Dataset:
    """Returns a batched ``tf.data.Dataset`` of a provider's items.

    Args:
      provider: a ``DatasetDataProvider``.
      items: a list or tuple of item names, e.g. ``['image', 'label']``.
      batch_size: examples per batch, a positive integer.
      preprocess_fn: optional per-example ``fn(*values)`` (one argument per item,
        in order) returning the element to batch (a tensor or a tuple/dict of
        tensors), e.g. resize/crop/flip of the image. Default: the items as is.
      num_parallel_calls: parallelism of the decode + preprocess map, default
        ``tf.data.AUTOTUNE``.
      allow_smaller_final_batch: keep a final partial batch (only reachable with
        ``num_epochs``), default False as ``tf.train.batch``.
      dynamic_pad: pad variable-size dimensions per batch (``padded_batch``),
        default False.
      prefetch: batches prefetched, default ``tf.data.AUTOTUNE``; 0 or None: none.
      private_threads: (kslim) threads of the pipeline's private pool
        (``tf.data.Options().threading``); None (default): half the CPUs, at least
        1; 0: TF's shared inter-op pool.

    Returns:
      A batched ``tf.data.Dataset`` (a tuple of batched items, or the batched
      structure of ``preprocess_fn``'s result), ready for ``kslim.data.inputs``.

    Raises:
      TypeError: if ``provider`` is not a ``DatasetDataProvider``.
      ValueError: for a bad ``batch_size``, bad items, or (without
        ``dynamic_pad``) an element whose per-example shape is not fully known.
    """
    if not hasattr(provider, "items_dataset"):
        raise TypeError(f"provider must be a DatasetDataProvider, got {type(provider).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if private_threads is not None and (
        isinstance(private_threads, bool)
        or not isinstance(private_threads, int)
        or private_threads < 0
    ):
        raise ValueError(
            f"private_threads must be None or an integer >= 0, got {private_threads!r}"
        )
    examples = provider.items_dataset(
        items, preprocess_fn=preprocess_fn, num_parallel_calls=num_parallel_calls
    )
    drop_remainder = not allow_smaller_final_batch
    if dynamic_pad:
        batched = examples.padded_batch(batch_size, drop_remainder=drop_remainder)
    else:
        _check_static_shapes(examples.element_spec, items, preprocess_fn is None)
        batched = examples.batch(batch_size, drop_remainder=drop_remainder)
    if prefetch:
        batched = batched.prefetch(prefetch)
    threads = max(1, (os.cpu_count() or 2) // 2) if private_threads is None else private_threads
    if threads:
        options = tf.data.Options()
        options.threading.private_threadpool_size = threads
        batched = batched.with_options(options)
    return batched


def _check_static_shapes(spec: Any, items: Any, named_by_items: bool) -> None:
    leaves = tf.nest.flatten(spec)
    for index, leaf in enumerate(leaves):
        if isinstance(leaf, tf.TensorSpec) and not leaf.shape.is_fully_defined():
            where = (
                f"item {items[index]!r}"
                if named_by_items and len(leaves) == len(items)
                else f"element {index} of preprocess_fn's result"
            )
            raise ValueError(
                f"{where} has per-example shape {leaf.shape}, which is not fully known; "
                f"batching needs a fixed shape: give the handler a shape (e.g. "
                f"Image(shape=[h, w, c])), resize in preprocess_fn, or pass "
                f"dynamic_pad=True"
            )
