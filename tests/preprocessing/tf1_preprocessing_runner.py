"""Runs image preprocessing in TF1 graph mode and records the results.

``python tf1_preprocessing_runner.py INPUTS.npz RESULT.npz`` runs it in a process with
``tf.compat.v1.disable_v2_behavior()`` (TF1 control flow; the module files are loaded
by path, so neither the kslim package nor Keras is imported). ``compute`` is also
called from the pytest process with ``tf.compat.v1``, building graphs there. For the
input images ``{name: image}`` it records, from fresh ``tf.Graph``s run in a
``tf.compat.v1.Session``:

* ``kslim/<case>/<name>``: kslim's eval functions built as graph tensors;
* ``ref/<case>/<name>``: the documented zoo algorithms, written here independently in
  TF1 ops (``resize_bilinear``, ``tf.cond``, ``tf.split``/``concat``, ``tf.to_float``
  spellings of ``tf.compat.v1``);
* ``train/<case>/<seed>/<run>``: kslim's training paths under
  ``tf.compat.v1.set_random_seed(seed)``: seed 1 in two fresh graphs, seed 2 in one.
"""

from __future__ import annotations

import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_PREPROCESSING = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "kslim", "preprocessing"
)

R_MEAN, G_MEAN, B_MEAN = 123.68, 116.78, 103.94


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"_tf1_{name}", os.path.join(_PREPROCESSING, f"{name}_preprocessing.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ref_inception_eval(tf, image, height, width, central_fraction=0.875):
    image = tf.image.convert_image_dtype(image, dtype=tf.float32)
    image = tf.image.central_crop(image, central_fraction=central_fraction)
    image = tf.expand_dims(image, 0)
    image = tf.image.resize_bilinear(image, [height, width], align_corners=False)
    image = tf.squeeze(image, [0])
    return tf.multiply(tf.subtract(image, 0.5), 2.0)


def _ref_vgg_eval(tf, image, height, width, resize_side):
    shape = tf.shape(image)
    h, w = tf.to_float(shape[0]), tf.to_float(shape[1])
    side = tf.to_float(resize_side)
    scale = tf.cond(tf.greater(h, w), lambda: side / w, lambda: side / h)
    new_h = tf.to_int32(tf.rint(h * scale))
    new_w = tf.to_int32(tf.rint(w * scale))
    image = tf.image.resize_bilinear(tf.expand_dims(image, 0), [new_h, new_w], align_corners=False)
    image = tf.squeeze(image, [0])
    off_h = (new_h - height) // 2
    off_w = (new_w - width) // 2
    image = tf.slice(image, tf.stack([off_h, off_w, 0]), [height, width, 3])
    image = tf.to_float(image)
    channels = tf.split(axis=2, num_or_size_splits=3, value=image)
    for i, mean in enumerate((R_MEAN, G_MEAN, B_MEAN)):
        channels[i] -= mean
    return tf.concat(axis=2, values=channels)


def _ref_cifarnet_eval(tf, image, height, width):
    image = tf.to_float(image)
    image = tf.image.resize_image_with_crop_or_pad(image, height, width)
    return tf.image.per_image_standardization(image)


def _run(tf, build, seed=None):
    """Builds ``{key: tensor}`` in a fresh graph and runs it in one Session."""
    with tf.Graph().as_default():
        if seed is not None:
            tf.set_random_seed(seed)
        outputs = build()
        with tf.Session() as sess:
            return sess.run(outputs)


def compute(tf, inception, vgg, cifarnet, images):
    """The recorded results (see the module docstring) for ``{name: image}``."""

    def eval_graph():
        outputs = {}
        for name, array in images.items():
            x = tf.constant(array)
            h, w = array.shape[:2]
            outputs[f"kslim/inception/{name}"] = inception.preprocess_image(x, 13, 11)
            outputs[f"ref/inception/{name}"] = _ref_inception_eval(tf, x, 13, 11)
            outputs[f"kslim/vgg/{name}"] = vgg.preprocess_image(x, 12, 10, resize_side_min=17)
            outputs[f"ref/vgg/{name}"] = _ref_vgg_eval(tf, x, 12, 10, 17)
            outputs[f"kslim/cifarnet/{name}"] = cifarnet.preprocess_image(x, h - 3, w + 3)
            outputs[f"ref/cifarnet/{name}"] = _ref_cifarnet_eval(tf, x, h - 3, w + 3)
        return outputs

    def train_graph():
        x = tf.constant(images["rgb"])
        return {
            "inception": inception.preprocess_image(x, 16, 16, True, fast_mode=False),
            "vgg": vgg.preprocess_image(x, 16, 16, True, 20, 30),
            "cifarnet": cifarnet.preprocess_image(x, 16, 16, True),
        }

    results = _run(tf, eval_graph)
    for seed, run in ((1, 0), (1, 1), (2, 0)):
        for case, value in _run(tf, train_graph, seed=seed).items():
            results[f"train/{case}/{seed}/{run}"] = value
    return results


def main(argv):
    import numpy as np
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    modules = [_load(n) for n in ("inception", "vgg", "cifarnet")]
    results = compute(tf, *modules, dict(np.load(argv[1])))
    np.savez(argv[2], **results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
