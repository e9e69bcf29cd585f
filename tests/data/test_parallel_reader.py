"""parallel_reader on tf.data: file globbing, (key, value) records, epochs, shuffling."""

from __future__ import annotations

import os

import pytest
import tensorflow as tf

from kslim.data import parallel_reader


@pytest.fixture
def record_files(tmp_path):
    paths = []
    for f in range(3):
        path = str(tmp_path / f"part-{f}.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for i in range(4):
                writer.write(f"{f}-{i}".encode())
        paths.append(path)
    return paths


def _values(dataset):
    return [v.numpy().decode() for _, v in dataset]


def test_get_data_files_expands_globs_and_lists(record_files, tmp_path):
    pattern = os.path.join(str(tmp_path), "part-*.tfrecord")
    assert parallel_reader.get_data_files(pattern) == record_files
    assert parallel_reader.get_data_files([record_files[0], pattern]) == (
        [record_files[0]] + record_files
    )
    assert parallel_reader.get_data_files("no/glob/file") == ["no/glob/file"]


def test_get_data_files_raises_when_nothing_matches(tmp_path):
    with pytest.raises(ValueError, match="No data files found in"):
        parallel_reader.get_data_files(str(tmp_path / "missing-*"))


def test_single_pass_read_reads_every_record_once_in_order_with_keys(record_files):
    ds = parallel_reader.single_pass_read(record_files, tf.compat.v1.TFRecordReader)
    pairs = [(k.numpy().decode(), v.numpy().decode()) for k, v in ds]
    assert [v for _, v in pairs] == [f"{f}-{i}" for f in range(3) for i in range(4)]
    assert pairs[5][0] == f"{record_files[1]}:1"


def test_parallel_read_num_epochs_repeats_then_ends(record_files):
    ds = parallel_reader.parallel_read(
        record_files, tf.data.TFRecordDataset, num_epochs=2, num_readers=1, shuffle=False
    )
    assert _values(ds) == [f"{f}-{i}" for f in range(3) for i in range(4)] * 2


def test_parallel_read_num_readers_interleaves_files(record_files):
    ds = parallel_reader.parallel_read(
        record_files, tf.compat.v1.TFRecordReader, num_epochs=1, num_readers=3, shuffle=False
    )
    assert _values(ds)[:3] == ["0-0", "1-0", "2-0"]


def test_parallel_read_shuffle_is_a_seeded_permutation(record_files):
    def read():
        return _values(
            parallel_reader.parallel_read(
                record_files,
                tf.compat.v1.TFRecordReader,
                num_epochs=1,
                seed=3,
                capacity=8,
                min_after_dequeue=4,
            )
        )

    first = read()
    assert sorted(first) == sorted(f"{f}-{i}" for f in range(3) for i in range(4))
    assert first != sorted(first)
    assert read() == first


def test_parallel_read_rejects_bad_counts(record_files):
    with pytest.raises(ValueError, match="num_epochs must be a positive integer, got 0"):
        parallel_reader.parallel_read(record_files, tf.data.TFRecordDataset, num_epochs=0)
    with pytest.raises(ValueError, match="min_after_dequeue"):
        parallel_reader.parallel_read(
            record_files, tf.data.TFRecordDataset, capacity=4, min_after_dequeue=8
        )


def test_text_line_reader_skips_header_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("header\n1,2\n3,4\n")
    ds = parallel_reader.single_pass_read(
        str(path), tf.compat.v1.TextLineReader, reader_kwargs={"skip_header_lines": 1}
    )
    assert _values(ds) == ["1,2", "3,4"]


def test_fixed_length_record_reader_splits_records(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"HHabcdefF")
    ds = parallel_reader.single_pass_read(
        str(path),
        tf.compat.v1.FixedLengthRecordReader,
        reader_kwargs={"record_bytes": 3, "header_bytes": 2, "footer_bytes": 1},
    )
    assert _values(ds) == ["abc", "def"]


def test_tfrecord_reader_options_select_compression(tmp_path):
    path = str(tmp_path / "a.tfrecord.gz")
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        writer.write(b"x")
        writer.write(b"y")
    options = tf.compat.v1.io.TFRecordOptions(tf.compat.v1.io.TFRecordCompressionType.GZIP)
    ds = parallel_reader.single_pass_read(
        path, tf.compat.v1.TFRecordReader, reader_kwargs={"options": options}
    )
    assert _values(ds) == ["x", "y"]
