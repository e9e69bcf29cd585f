"""slim.data.dataset_data_provider on tf.data: a ``DataProvider`` reading a ``Dataset``.

In slim, ``provider.get(['image', 'label'])`` returned tensors fed by input queues:
each ``session.run`` dequeued another example, and ``tf.compat.v1.train.batch`` built
batches from them in background threads. TF2 has no queue runners, so the provider
is a ``tf.data`` pipeline:

* ``provider.dataset`` is a ``tf.data.Dataset`` of per-example dicts ``{item: value}``
  of every item (including ``record_key``); ``provider.items_dataset(items)`` decodes
  only the requested items, as a tuple per example.
* ``provider.get(items)`` returns the requested items of the *next* example (eagerly,
  or inside ``tf.function``), so one call gives the fields of one sample, as one
  ``session.run`` did. Request every item you need in one call.
* Batching is ``kslim.data.batch(provider, items, batch_size, preprocess_fn)``: this is
  the one place where slim code changes (see ``kslim.data.batching``).

``num_readers`` -> parallel interleave over the files, ``shuffle`` and
``common_queue_capacity`` -> file shuffling and a shuffle buffer, ``num_epochs`` ->
repeat count (None = forever; afterwards ``get`` raises ``tf.errors.OutOfRangeError``
as slim did). ``record_key`` is the item holding ``b'<file>:<record index>'``.

Speed (kslim): when the decoded split fits in memory (``cache_decoded``; by default
when every requested item has a static shape and the split is at most
``CACHE_BUDGET_BYTES`` decoded), ``items_dataset`` reads and decodes the files once,
keeps the decoded examples in memory and shuffles, repeats and preprocesses those:
later epochs cost only ``preprocess_fn``. Records are then shuffled through the
``common_queue_capacity`` buffer in a fixed file order (slim also shuffled the file
order each epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from kslim.data.data_provider import DataProvider
from kslim.data.parallel_reader import parallel_read

__all__ = ["CACHE_BUDGET_BYTES", "DatasetDataProvider"]

#: Largest decoded split (bytes) that ``cache_decoded=None`` keeps in memory.
CACHE_BUDGET_BYTES = 256 * 1024 * 1024


class DatasetDataProvider(DataProvider):
    """Provides the items of a ``slim.dataset.Dataset`` through ``tf.data``."""

    def __init__(
        self,
        dataset: Any,
        num_readers: int = 1,
        reader_kwargs: dict | None = None,
        shuffle: bool = True,
        num_epochs: int | None = None,
        common_queue_capacity: int = 256,
        common_queue_min: int = 128,
        record_key: str = "record_key",
        seed: int | None = None,
        scope: str | None = None,
        cache_decoded: bool | None = None,
    ) -> None:
        """Creates a DatasetDataProvider.

        Args:
          dataset: a ``kslim.data.dataset.Dataset`` (``data_sources``, ``reader``,
            ``decoder``, ``num_samples``).
          num_readers: files read in parallel, default 1.
          reader_kwargs: keyword arguments of the reader, default None.
          shuffle: shuffle the files and the records, default True.
          num_epochs: passes over the data; None (default) cycles forever.
          common_queue_capacity: the shuffle buffer size, default 256.
          common_queue_min: slim's ``min_after_dequeue``, default 128 (must not
            exceed ``common_queue_capacity``).
          record_key: the item name of the record keys, default ``'record_key'``.
          seed: the shuffle seed, default None.
          scope: accepted for compatibility (tf.data has no name scopes).
          cache_decoded: (kslim) keep the decoded examples of ``items_dataset`` in
            memory after the first epoch: True always, False never, None (default)
            when the items have static shapes, ``num_epochs`` is not 1 and the
            split is at most ``CACHE_BUDGET_BYTES`` decoded.

        Raises:
          ValueError: if ``record_key`` is also a dataset item, no data files are
            found, or a count is not a positive integer.
          TypeError: if ``dataset`` lacks a decoder or data sources.
        """
        for attr in ("data_sources", "reader", "decoder", "num_samples"):
            if not hasattr(dataset, attr):
                raise TypeError(
                    f"dataset must be a slim Dataset with {attr!r}, got {type(dataset).__name__}"
                )
        self._decoder = dataset.decoder
        self._decoder_items = list(self._decoder.list_items())
        if record_key in self._decoder_items:
            raise ValueError(
                "The item name used for `record_key` cannot also be used for a dataset "
                f"item: {record_key}"
            )
        self._record_key = record_key
        if cache_decoded not in (None, True, False):
            raise ValueError(f"cache_decoded must be True, False or None, got {cache_decoded!r}")
        self._cache_decoded = cache_decoded
        self._read_args = {
            "data_sources": dataset.data_sources,
            "reader_class": dataset.reader,
            "num_readers": num_readers,
            "reader_kwargs": reader_kwargs,
        }
        self._shuffle, self._num_epochs, self._seed = shuffle, num_epochs, seed
        self._capacity = common_queue_capacity
        self._records = parallel_read(
            dataset.data_sources,
            reader_class=dataset.reader,
            num_epochs=num_epochs,
            num_readers=num_readers,
            reader_kwargs=reader_kwargs,
            shuffle=shuffle,
            capacity=common_queue_capacity,
            min_after_dequeue=common_queue_min,
            seed=seed,
            scope=scope,
        )
        all_items = self._decoder_items + [record_key]
        self._dataset = self._records.map(
            self._decode_fn(all_items, as_dict=True), num_parallel_calls=tf.data.AUTOTUNE
        )
        self._iterator = None
        # The item "tensors" of the base class are the per-example type specs.
        super().__init__(
            items_to_tensors=dict(self._dataset.element_spec), num_samples=dataset.num_samples
        )

    @property
    def dataset(self) -> tf.data.Dataset:
        """A ``tf.data.Dataset`` of per-example dicts ``{item: value}`` of every item."""
        return self._dataset

    @property
    def record_key(self) -> str:
        """The item name of the record keys."""
        return self._record_key

    def items_dataset(
        self,
        items: Any,
        preprocess_fn: Callable[..., Any] | None = None,
        num_parallel_calls: int | None = tf.data.AUTOTUNE,
    ) -> tf.data.Dataset:
        """Returns a per-example ``tf.data.Dataset`` of the requested items.

        Only the requested items are decoded. Decoding and ``preprocess_fn`` run in
        one parallel ``map``.

        Args:
          items: a list or tuple of item names.
          preprocess_fn: optional ``fn(*values)`` (one argument per item, in order)
            returning the per-example element (a tensor or a tuple/dict of tensors).
          num_parallel_calls: parallelism of the map, default ``tf.data.AUTOTUNE``.

        Returns:
          A ``tf.data.Dataset`` whose elements are the tuple of item values (or what
          ``preprocess_fn`` returns).

        Raises:
          ValueError: if ``items`` is not a list or tuple, or names an unknown item.
        """
        self._validate_items(items)
        if preprocess_fn is not None and not callable(preprocess_fn):
            raise TypeError(f"preprocess_fn must be callable, got {type(preprocess_fn).__name__}")
        decode = self._decode_fn(list(items), as_dict=False)
        cached = self._cached_examples(decode)
        if cached is not None:
            if preprocess_fn is None:
                return cached
            return cached.map(
                lambda *values: _as_element(preprocess_fn(*values)),
                num_parallel_calls=num_parallel_calls,
            )
        if preprocess_fn is None:
            map_fn = decode
        else:

            def map_fn(key: tf.Tensor, value: tf.Tensor) -> Any:
                return _as_element(preprocess_fn(*decode(key, value)))

        return self._records.map(map_fn, num_parallel_calls=num_parallel_calls)

    def will_cache(self, items: Any) -> bool:
        """Whether ``items_dataset(items)`` keeps the decoded examples in memory.

        Args:
          items: a list or tuple of item names.

        Returns:
          True when the decoded items are cached after the first pass.
        """
        self._validate_items(items)
        decode = self._decode_fn(list(items), as_dict=False)
        return self._should_cache(self._records.map(decode).element_spec)

    def _should_cache(self, spec: Any) -> bool:
        if self._cache_decoded is not None:
            return self._cache_decoded
        if self._num_epochs == 1 or not self.num_samples():
            return False
        size = 0
        for leaf in tf.nest.flatten(spec):
            if not isinstance(leaf, tf.TensorSpec) or not leaf.shape.is_fully_defined():
                return False
            itemsize = 64 if leaf.dtype == tf.string else leaf.dtype.size
            size += max(1, leaf.shape.num_elements()) * itemsize
        return size * self.num_samples() <= CACHE_BUDGET_BYTES

    def _cached_examples(self, decode: Callable[..., Any]) -> tf.data.Dataset | None:
        """One ordered pass decoded and cached, then shuffled and repeated; or None."""
        one_pass = parallel_read(
            **self._read_args, num_epochs=1, shuffle=False, seed=self._seed
        ).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        if not self._should_cache(one_pass.element_spec):
            return None
        examples = one_pass.cache()
        if self._shuffle:
            examples = examples.shuffle(
                self._capacity, seed=self._seed, reshuffle_each_iteration=True
            )
        return examples.repeat(self._num_epochs)

    def get(self, items: Any) -> list:
        """Returns the requested items of the next example.

        Each call reads one more example (as each ``session.run`` of slim's tensors
        dequeued one), so request all the items of a sample in one call. Works
        eagerly and inside ``tf.function``. For training, batch with
        ``kslim.data.batch`` instead.

        Args:
          items: a list or tuple of item names.

        Returns:
          A list of tensors, one per item.

        Raises:
          ValueError: if ``items`` is not a list or tuple, or names an unknown item.
          tf.errors.OutOfRangeError: after ``num_epochs`` passes over the data.
        """
        self._validate_items(items)
        if self._iterator is None:
            with tf.init_scope():
                self._iterator = iter(self._dataset)
        example = self._iterator.get_next()
        return [example[item] for item in items]

    def _decode_fn(self, items: list, as_dict: bool):
        decoder_items = [item for item in items if item != self._record_key]
        decoder = self._decoder
        record_key = self._record_key

        def decode(key: tf.Tensor, value: tf.Tensor) -> Any:
            # An empty item list means "every item" to a slim decoder.
            values = decoder.decode(value, decoder_items) if decoder_items else []
            by_name = dict(zip(decoder_items, values, strict=True))
            by_name[record_key] = key
            if as_dict:
                return {item: by_name[item] for item in items}
            return tuple(by_name[item] for item in items)

        return decode


def _as_element(out: Any) -> Any:
    """A preprocess result as a tf.data element (a list becomes a tuple)."""
    return tuple(out) if isinstance(out, list) else out
