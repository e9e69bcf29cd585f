"""slim.data.parallel_reader on tf.data: reading records from many files.

Slim's readers were queue based: ``parallel_read`` returned ``(key, value)`` tensors
that dequeued one record per ``session.run`` once queue runners were started. TF2 has
no queue runners, so here ``parallel_read`` and ``single_pass_read`` return a
``tf.data.Dataset`` of ``(key, value)`` string pairs. The key is
``b'<file>:<record index>'`` (slim's TFRecordReader used the byte offset).

How slim's arguments map:

* ``num_readers`` -> ``interleave(cycle_length=num_readers)`` over the files, with
  ``num_parallel_calls=num_readers`` when it is above 1.
* ``shuffle`` -> the file order is shuffled every epoch and the records go through
  ``shuffle(buffer_size=capacity)`` (slim's ``RandomShuffleQueue`` sampled from up to
  ``capacity`` records); otherwise files and records are read in order.
* ``num_epochs`` -> ``repeat(num_epochs)`` of the file list (None = forever); the
  dataset ends where slim raised ``OutOfRangeError``.
* ``min_after_dequeue``, ``dtypes``, ``scope`` have no tf.data counterpart and are
  accepted for compatibility (``min_after_dequeue`` must not exceed ``capacity``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import tensorflow as tf

__all__ = ["get_data_files", "make_reader", "parallel_read", "single_pass_read"]


def get_data_files(data_sources: Any) -> list:
    """Returns the data files of ``data_sources``, expanding glob patterns.

    Args:
      data_sources: a file name, a pattern (``/path/train-*``, ``?``, ``[...]``) or a
        list/tuple of them.

    Returns:
      A list of file names.

    Raises:
      ValueError: if no data files are found.
    """
    if isinstance(data_sources, (list, tuple)):
        data_files = []
        for source in data_sources:
            data_files += get_data_files(source)
    else:
        source = data_sources.decode() if isinstance(data_sources, bytes) else data_sources
        if not isinstance(source, str):
            raise TypeError(
                f"data_sources must be a file name, a pattern or a list of them, got "
                f"{type(data_sources).__name__}: {data_sources!r}"
            )
        if "*" in source or "?" in source or "[" in source:
            data_files = sorted(tf.io.gfile.glob(source))
        else:
            data_files = [source]
    if not data_files:
        raise ValueError(f"No data files found in {data_sources}")
    return data_files


def make_reader(
    reader_class: Any, reader_kwargs: dict | None = None
) -> Callable[[str], tf.data.Dataset]:
    """Returns ``fn(filename) -> tf.data.Dataset`` of the records of one file.

    Args:
      reader_class: a TF1 reader class (``tf.compat.v1.TFRecordReader`` with
        ``options``, ``TextLineReader`` with ``skip_header_lines``,
        ``FixedLengthRecordReader`` with ``record_bytes``/``header_bytes``/
        ``footer_bytes``/``hop_bytes``, ``WholeFileReader``), a ``tf.data`` dataset
        class, or any callable ``reader_class(filename, **reader_kwargs)`` returning
        a ``tf.data.Dataset`` of scalar strings.
      reader_kwargs: keyword arguments of the reader, default none.

    Returns:
      The per-file reader function.

    Raises:
      TypeError: if ``reader_class`` is not callable.
    """
    kwargs = dict(reader_kwargs or {})
    v1 = tf.compat.v1
    if reader_class is v1.TFRecordReader:
        options = kwargs.get("options")
        compression = ""
        if options is not None:
            compression = v1.io.TFRecordOptions.get_compression_type_string(options) or ""
        return lambda f: tf.data.TFRecordDataset(f, compression_type=compression)
    if reader_class is v1.TextLineReader:
        skip = kwargs.get("skip_header_lines") or 0
        return lambda f: tf.data.TextLineDataset(f).skip(skip)
    if reader_class is v1.FixedLengthRecordReader:
        return functools.partial(_fixed_length_records, **kwargs)
    if reader_class is v1.WholeFileReader:
        return lambda f: tf.data.Dataset.from_tensors(tf.io.read_file(f))
    if not callable(reader_class):
        raise TypeError(
            f"reader must be a reader class or a callable filename -> tf.data.Dataset, "
            f"got {type(reader_class).__name__}: {reader_class!r}"
        )
    return lambda f: reader_class(f, **kwargs)


def _fixed_length_records(
    filename: str | tf.Tensor,
    record_bytes: int,
    header_bytes: int | None = None,
    footer_bytes: int | None = None,
    hop_bytes: int | None = None,
    name: str | None = None,
    encoding: str | None = None,
) -> tf.data.Dataset:
    """FixedLengthRecordReader's records; ``hop_bytes`` gives windows every ``hop`` bytes."""
    del name
    if not hop_bytes:
        return tf.data.FixedLengthRecordDataset(
            filename,
            record_bytes,
            header_bytes=header_bytes or None,
            footer_bytes=footer_bytes or None,
            compression_type=encoding or None,
        )
    data = tf.io.read_file(filename)
    end = tf.strings.length(data) - (footer_bytes or 0)
    offsets = tf.range(header_bytes or 0, end - record_bytes + 1, hop_bytes)
    return tf.data.Dataset.from_tensor_slices(offsets).map(
        lambda o: tf.strings.substr(data, o, record_bytes)
    )


def _keyed_records(read_file: Callable[[Any], tf.data.Dataset]) -> Callable:
    """Wraps a per-file reader to yield ``(b'<file>:<index>', record)`` pairs."""

    def keyed(filename: tf.Tensor) -> tf.data.Dataset:
        records = read_file(filename).enumerate()
        return records.map(
            lambda i, record: (tf.strings.join([filename, tf.strings.as_string(i)], ":"), record)
        )

    return keyed


def _check_positive(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def parallel_read(
    data_sources: Any,
    reader_class: Any,
    num_epochs: int | None = None,
    num_readers: int = 4,
    reader_kwargs: dict | None = None,
    shuffle: bool = True,
    dtypes: Any = None,
    capacity: int = 256,
    min_after_dequeue: int = 128,
    seed: int | None = None,
    scope: str | None = None,
) -> tf.data.Dataset:
    """Reads records from ``data_sources`` with ``num_readers`` interleaved readers.

    Args:
      data_sources: files or patterns (see ``get_data_files``).
      reader_class: the reader (see ``make_reader``).
      num_epochs: passes over the files; None (default) repeats forever.
      num_readers: files read in parallel, default 4.
      reader_kwargs: keyword arguments of the reader.
      shuffle: shuffle file order and records, default True.
      dtypes: accepted for compatibility (records are strings).
      capacity: the shuffle buffer size, default 256.
      min_after_dequeue: accepted for compatibility, default 128; must not exceed
        ``capacity``.
      seed: the shuffle seed, default None.
      scope: accepted for compatibility (tf.data has no name scopes).

    Returns:
      A ``tf.data.Dataset`` of ``(key, value)`` scalar string pairs.

    Raises:
      ValueError: if no files are found or a count is not a positive integer.
    """
    del dtypes, scope
    _check_positive("num_epochs", num_epochs, allow_none=True)
    _check_positive("num_readers", num_readers)
    _check_positive("capacity", capacity)
    if shuffle and not 0 <= min_after_dequeue <= capacity:
        raise ValueError(
            f"min_after_dequeue must be in [0, capacity={capacity}], got {min_after_dequeue!r}"
        )
    data_files = get_data_files(data_sources)
    files = tf.data.Dataset.from_tensor_slices(data_files)
    if shuffle:
        files = files.shuffle(len(data_files), seed=seed, reshuffle_each_iteration=True)
    files = files.repeat(num_epochs)
    read_file = _keyed_records(make_reader(reader_class, reader_kwargs))
    if num_readers > 1:
        records = files.interleave(
            read_file,
            cycle_length=num_readers,
            num_parallel_calls=num_readers,
            deterministic=(not shuffle) or seed is not None,
        )
    else:
        records = files.flat_map(read_file)
    if shuffle:
        records = records.shuffle(capacity, seed=seed, reshuffle_each_iteration=True)
    return records


def single_pass_read(
    data_sources: Any,
    reader_class: Any,
    reader_kwargs: dict | None = None,
    scope: str | None = None,
) -> tf.data.Dataset:
    """Reads the data sources once, in order, with one reader.

    Args:
      data_sources: files or patterns (see ``get_data_files``).
      reader_class: the reader (see ``make_reader``).
      reader_kwargs: keyword arguments of the reader.
      scope: accepted for compatibility.

    Returns:
      A ``tf.data.Dataset`` of ``(key, value)`` scalar string pairs, one pass.

    Raises:
      ValueError: if no files are found.
    """
    del scope
    files = tf.data.Dataset.from_tensor_slices(get_data_files(data_sources))
    return files.flat_map(_keyed_records(make_reader(reader_class, reader_kwargs)))
