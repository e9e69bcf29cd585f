"""TFExampleDecoder / handler behaviour beyond parity: slim's errors and tf.data use."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from kslim.data import tfexample_decoder as td


def _png_example(image, label):
    feature = {
        "image/encoded": tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[tf.io.encode_png(image).numpy()])
        ),
        "image/format": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"png"])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


FEATURES = {
    "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
    "image/format": tf.io.FixedLenFeature((), tf.string, default_value="png"),
    "label": tf.io.FixedLenFeature([], tf.int64, default_value=0),
}


def test_float_image_is_cast_not_rescaled():
    image = np.full((2, 2, 1), 200, np.uint8)
    decoder = td.TFExampleDecoder(FEATURES, {"image": td.Image(channels=1, dtype=tf.float32)})
    [decoded] = decoder.decode(_png_example(image, 1), ["image"])
    assert decoded.dtype == tf.float32
    np.testing.assert_array_equal(decoded.numpy(), np.full((2, 2, 1), 200.0, np.float32))


def test_decode_without_items_decodes_every_item_in_declaration_order():
    decoder = td.TFExampleDecoder(
        FEATURES, {"label": td.Tensor("label"), "image": td.Image(channels=1)}
    )
    assert decoder.list_items() == ["label", "image"]
    label, image = decoder.decode(_png_example(np.zeros((3, 4, 1), np.uint8), 5))
    assert int(label) == 5
    assert image.shape == (3, 4, 1)


def test_image_without_shape_has_static_channels_in_tf_data():
    decoder = td.TFExampleDecoder(FEATURES, {"image": td.Image(channels=1)})
    ds = tf.data.Dataset.from_tensors(_png_example(np.zeros((3, 4, 1), np.uint8), 0))
    ds = ds.map(lambda s: decoder.decode(s, ["image"])[0])
    assert ds.element_spec.shape.as_list() == [None, None, 1]


def test_unknown_item_is_rejected_with_valid_entries():
    decoder = td.TFExampleDecoder(FEATURES, {"label": td.Tensor("label")})
    with pytest.raises(ValueError, match=r"Item \[image\] is invalid"):
        decoder.decode(_png_example(np.zeros((1, 1, 1), np.uint8), 0), ["image"])


def test_handler_reading_an_undeclared_feature_fails_at_construction():
    with pytest.raises(ValueError, match="'missing'"):
        td.TFExampleDecoder(FEATURES, {"x": td.Tensor("missing")})


def test_handler_table_must_hold_item_handlers():
    with pytest.raises(TypeError, match="items_to_handlers\\['x'\\] must be an ItemHandler"):
        td.TFExampleDecoder(FEATURES, {"x": "label"})


def test_slim_constructor_errors_are_kept():
    with pytest.raises(ValueError, match="BoundingBox expects 4 keys but got 3"):
        td.BoundingBox(keys=["a", "b", "c"])
    with pytest.raises(ValueError, match="BoundingBoxSequence expects 4 keys but got 2"):
        td.BoundingBoxSequence(keys=["a", "b"])
    with pytest.raises(ValueError, match="KeypointsSequence expects 2 keys but got 1"):
        td.KeypointsSequence(keys=["a"])
    with pytest.raises(ValueError, match="Cannot specify both shape_keys and shape"):
        td.Tensor("x", shape_keys="s", shape=[2])
    with pytest.raises(ValueError, match="Primary handler is of type"):
        td.BackupHandler("x", td.Tensor("y"))
    with pytest.raises(ValueError, match="keys must not be empty"):
        td.NumBoxesSequence(keys=[])


def test_sequence_decoder_rejects_keys_in_context_and_sequence():
    with pytest.raises(ValueError, match="Context and sequence keys are not unique"):
        td.TFSequenceExampleDecoder(
            {"a": tf.io.FixedLenFeature([], tf.int64)},
            {"a": tf.io.VarLenFeature(tf.float32)},
            {},
        )


def test_num_boxes_sequence_asserts_consistency_eagerly():
    def frames(counts):
        return tf.train.FeatureList(
            feature=[
                tf.train.Feature(float_list=tf.train.FloatList(value=[0.5] * n)) for n in counts
            ]
        )

    serialized = tf.train.SequenceExample(
        feature_lists=tf.train.FeatureLists(feature_list={"a": frames([1, 2]), "b": frames([1, 1])})
    ).SerializeToString()
    decoder = td.TFSequenceExampleDecoder(
        {},
        {"a": tf.io.VarLenFeature(tf.float32), "b": tf.io.VarLenFeature(tf.float32)},
        {"n": td.NumBoxesSequence(keys=["a", "b"])},
    )
    with pytest.raises(tf.errors.InvalidArgumentError):
        decoder.decode(serialized, ["n"])
    unchecked = td.TFSequenceExampleDecoder(
        {},
        {"a": tf.io.VarLenFeature(tf.float32), "b": tf.io.VarLenFeature(tf.float32)},
        {"n": td.NumBoxesSequence(keys=["a", "b"], check_consistency=False)},
    )
    np.testing.assert_array_equal(unchecked.decode(serialized, ["n"])[0].numpy(), [1, 2])


def test_sequence_handlers_accept_no_prefix():
    assert td.BoundingBoxSequence().keys == ["ymin", "xmin", "ymax", "xmax"]
    assert td.KeypointsSequence().keys == ["y", "x"]
