"""Serialized Examples and slim decoder declarations shared by kslim and tf_slim.

Imported by ``test_parity_decoders.py`` (kslim, eager TF2) and by
``tfslim_decode_runner.py`` (tf_slim 1.1.0, TF1 graph mode). ``build_decoders`` only
uses the ``tf`` and ``tfexample_decoder`` it is given, so the same declarations run
through both libraries.
"""

from __future__ import annotations

import numpy as np


def _feature(tf, value):
    if isinstance(value, bytes):
        value = [value]
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=value))
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return tf.train.Feature(float_list=tf.train.FloatList(value=array.ravel().tolist()))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=array.ravel().tolist()))


def _example(tf, features):
    feature = {key: _feature(tf, value) for key, value in features.items()}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _sequence_example(tf, context, sequences):
    feature_lists = {}
    for key, frames in sequences.items():
        feature_lists[key] = tf.train.FeatureList(feature=[_feature(tf, f) for f in frames])
    return tf.train.SequenceExample(
        context=tf.train.Features(feature={k: _feature(tf, v) for k, v in context.items()}),
        feature_lists=tf.train.FeatureLists(feature_list=feature_lists),
    ).SerializeToString()


def build_examples(tf):
    """Returns ``{case: serialized}`` (needs eager TF2 to encode the images)."""
    rng = np.random.RandomState(0)
    rgb = rng.randint(0, 256, size=(12, 16, 3)).astype(np.uint8)
    grey = rng.randint(0, 256, size=(8, 8, 1)).astype(np.uint8)
    jpeg = tf.io.encode_jpeg(rgb, quality=90).numpy()
    png_rgb = tf.io.encode_png(rgb).numpy()
    png_grey = tf.io.encode_png(grey).numpy()
    raw = rng.randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
    raw_float = rng.uniform(-1, 1, size=(2, 3, 1)).astype(np.float32)
    pngs = [
        tf.io.encode_png(rng.randint(0, 256, size=(6, 7, 1)).astype(np.uint8)).numpy()
        for _ in range(3)
    ]
    boxes = rng.uniform(0, 1, size=(3, 4)).astype(np.float32)
    examples = {
        "jpeg": _example(tf, {"image/encoded": jpeg, "image/format": b"jpeg"}),
        "png_rgb": _example(tf, {"image/encoded": png_rgb, "image/format": b"png"}),
        "png_grey": _example(tf, {"image/encoded": png_grey, "image/format": b"png"}),
        "raw": _example(tf, {"image/encoded": raw.tobytes(), "image/format": b"raw"}),
        "raw_float": _example(tf, {"image/encoded": raw_float.tobytes(), "image/format": b"RAW"}),
        "repeated": _example(tf, {"image/encoded": pngs, "image/format": b"png"}),
        "labels": _example(
            tf,
            {
                "label": [7],
                "matrix": np.arange(6, dtype=np.int64),
                "dims": [2, 3],
                "scores": np.array([0.5, 1.5, -2.0], np.float32),
                "words": [b"cat", b"dog", b"emu"],
                "text": [b"dog"],
            },
        ),
        "labels_missing": _example(
            tf, {"label": [3], "matrix": np.zeros(6, np.int64), "dims": [3, 2]}
        ),
        "boxes": _example(
            tf,
            {
                "image/object/bbox/ymin": boxes[:, 0],
                "image/object/bbox/xmin": boxes[:, 1],
                "image/object/bbox/ymax": boxes[:, 2],
                "image/object/bbox/xmax": boxes[:, 3],
            },
        ),
        "boxes_none": _example(
            tf,
            {
                "image/object/bbox/ymin": np.zeros(0, np.float32),
                "image/object/bbox/xmin": np.zeros(0, np.float32),
                "image/object/bbox/ymax": np.zeros(0, np.float32),
                "image/object/bbox/xmax": np.zeros(0, np.float32),
            },
        ),
        "sparse": _example(
            tf,
            {
                "idx": np.array([1, 4, 8], np.int64),
                "val": np.array([0.25, -1.0, 3.0], np.float32),
                "shape": [10],
            },
        ),
        "backup_primary": _example(tf, {"primary": [5, 6], "backup": [1]}),
        "backup_fallback": _example(tf, {"backup": [1, 2, 3]}),
    }
    frames = [
        np.array([0.1, 0.2], np.float32),
        np.array([0.3], np.float32),
        np.zeros(0, np.float32),
    ]
    sequence = {
        f"bbox/{k}": [f + i for f in frames] for i, k in enumerate(["ymin", "xmin", "ymax", "xmax"])
    }
    sequence.update({f"kp/{k}": [f * (i + 2) for f in frames] for i, k in enumerate("yx")})
    examples["sequence"] = _sequence_example(tf, {"clip/label": [4]}, sequence)
    return examples


def build_decoders(tf, tfexample_decoder):
    """Returns ``{decoder_name: (decoder, items, [case, ...])}``."""
    td = tfexample_decoder
    image_features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.io.FixedLenFeature((), tf.string, default_value="jpeg"),
    }
    images = td.TFExampleDecoder(
        image_features,
        {
            "image": td.Image(),
            "grey": td.Image(channels=1),
            "float": td.Image(dtype=tf.float32),
            "fixed": td.Image(shape=[12, 16, 3]),
        },
    )
    png_grey = td.TFExampleDecoder(
        image_features,
        {
            "image": td.Image(channels=1),
            "rgb": td.Image(channels=3),
            "fixed": td.Image(shape=[8, 8, 1], channels=1),
        },
    )
    raw = td.TFExampleDecoder(image_features, {"image": td.Image(shape=[4, 5, 3])})
    raw_float = td.TFExampleDecoder(
        image_features,
        {
            "image": td.Image(shape=[2, 3, 1], channels=1, dtype=tf.float32),
        },
    )
    repeated = td.TFExampleDecoder(
        {
            "image/encoded": tf.io.FixedLenFeature([3], tf.string),
            "image/format": tf.io.FixedLenFeature((), tf.string, default_value="png"),
        },
        {"images": td.Image(channels=1, repeated=True)},
    )
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(["cat", "dog", "emu"]), tf.constant([0, 1, 2], tf.int64)
        ),
        -1,
    )
    labels = td.TFExampleDecoder(
        {
            "label": tf.io.FixedLenFeature([], tf.int64, default_value=0),
            "matrix": tf.io.FixedLenFeature([6], tf.int64),
            "dims": tf.io.VarLenFeature(tf.int64),
            "scores": tf.io.VarLenFeature(tf.float32),
            "words": tf.io.VarLenFeature(tf.string),
            "text": tf.io.VarLenFeature(tf.string),
        },
        {
            "label": td.Tensor("label"),
            "matrix_fixed": td.Tensor("matrix", shape=[3, 2]),
            "matrix_keys": td.Tensor("matrix", shape_keys="dims"),
            "scores": td.Tensor("scores", default_value=-9.0),
            "words": td.Tensor("words", default_value=""),
            "word_ids": td.LookupTensor("words", table),
            "text_id": td.LookupTensor("text", table, default_value="cat"),
            "callback": td.ItemHandlerCallback(
                ["label", "matrix"], lambda d: d["label"] * 10 + tf.reduce_sum(d["matrix"])
            ),
        },
    )
    box_keys = ["image/object/bbox/" + k for k in ("ymin", "xmin", "ymax", "xmax")]
    boxes = td.TFExampleDecoder(
        {k: tf.io.VarLenFeature(tf.float32) for k in box_keys},
        {
            "boxes": td.BoundingBox(prefix="image/object/bbox/"),
            "boxes_keys": td.BoundingBox(
                keys=["xmin", "ymin", "xmax", "ymax"], prefix="image/object/bbox/"
            ),
        },
    )
    sparse = td.TFExampleDecoder(
        {
            "idx": tf.io.VarLenFeature(tf.int64),
            "val": tf.io.VarLenFeature(tf.float32),
            "shape": tf.io.VarLenFeature(tf.int64),
        },
        {
            "sparse": td.SparseTensor(indices_key="idx", values_key="val", shape=[10]),
            "sparse_shape_key": td.SparseTensor("idx", "val", shape_key="shape"),
            "sparse_default_shape": td.SparseTensor("idx", "val"),
            "dense": td.SparseTensor("idx", "val", shape=[10], densify=True, default_value=-1.0),
        },
    )
    backup = td.TFExampleDecoder(
        {
            "primary": tf.io.VarLenFeature(tf.int64),
            "backup": tf.io.VarLenFeature(tf.int64),
        },
        {"value": td.BackupHandler(td.Tensor("primary"), td.Tensor("backup"))},
    )
    seq_keys = {
        f"bbox/{k}": tf.io.VarLenFeature(tf.float32) for k in ("ymin", "xmin", "ymax", "xmax")
    }
    seq_keys.update({f"kp/{k}": tf.io.VarLenFeature(tf.float32) for k in "yx"})
    sequence = td.TFSequenceExampleDecoder(
        {"clip/label": tf.io.FixedLenFeature([], tf.int64)},
        seq_keys,
        {
            "label": td.Tensor("clip/label"),
            "boxes": td.BoundingBoxSequence(prefix="bbox/"),
            "boxes_sparse": td.BoundingBoxSequence(prefix="bbox/", return_dense=False),
            "num_boxes": td.NumBoxesSequence(keys=["bbox/ymin", "bbox/xmax"]),
            "keypoints": td.KeypointsSequence(prefix="kp/", default_value=0.0),
        },
    )
    return {
        "images": (images, ["image", "grey", "float", "fixed"], ["jpeg", "png_rgb"]),
        "png_grey": (png_grey, ["image", "rgb", "fixed"], ["png_grey"]),
        "raw": (raw, ["image"], ["raw"]),
        "raw_float": (raw_float, ["image"], ["raw_float"]),
        "repeated": (repeated, ["images"], ["repeated"]),
        "labels": (
            labels,
            [
                "label",
                "matrix_fixed",
                "matrix_keys",
                "scores",
                "words",
                "word_ids",
                "text_id",
                "callback",
            ],
            ["labels"],
        ),
        "labels_missing": (
            labels,
            ["label", "matrix_keys", "scores", "words", "text_id"],
            ["labels_missing"],
        ),
        "boxes": (boxes, ["boxes", "boxes_keys"], ["boxes", "boxes_none"]),
        "sparse": (
            sparse,
            ["sparse", "sparse_shape_key", "sparse_default_shape", "dense"],
            ["sparse"],
        ),
        "backup": (backup, ["value"], ["backup_primary", "backup_fallback"]),
        "sequence": (
            sequence,
            ["label", "boxes", "boxes_sparse", "num_boxes", "keypoints"],
            ["sequence"],
        ),
    }


def to_numpy(value):
    """A decoded value as numpy: arrays, or ``('sparse', indices, values, shape)``."""
    if hasattr(value, "indices") and hasattr(value, "dense_shape"):
        return (
            "sparse",
            np.asarray(value.indices),
            np.asarray(value.values),
            np.asarray(value.dense_shape),
        )
    return np.asarray(value)
