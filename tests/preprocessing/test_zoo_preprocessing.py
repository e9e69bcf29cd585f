"""kslim.preprocessing: the slim model zoo's Inception, VGG and CifarNet preprocessing.

Eval paths are compared with hand-computed expectations (TF1's bilinear pixel
convention) and with the same functions, and an independent TF1 spelling of the zoo
algorithms, run in TF1 graph mode in a subprocess (tf1_preprocessing_runner.py).
Training paths: shapes, value ranges, per-seed determinism, tf.data maps.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from kslim.preprocessing import (
    cifarnet_preprocessing,
    inception_preprocessing,
    preprocessing_factory,
    vgg_preprocessing,
)

_RUNNER = os.path.join(os.path.dirname(__file__), "tf1_preprocessing_runner.py")
_MEANS = np.array([123.68, 116.78, 103.94], np.float32)


def _images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "rgb": rng.integers(0, 256, (21, 27, 3)).astype(np.uint8),
        "tall": rng.integers(0, 256, (30, 19, 3)).astype(np.uint8),
        "float": rng.uniform(size=(18, 18, 3)).astype(np.float32),
    }


def _tf1_bilinear(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TF1 resize_bilinear (align_corners=False, no half-pixel centres) in numpy."""

    def axis(n_in, n_out):
        src = np.arange(n_out) * (n_in / n_out)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (src - lo).astype(np.float32)

    image = image.astype(np.float32)
    ylo, yhi, fy = axis(image.shape[0], out_h)
    xlo, xhi, fx = axis(image.shape[1], out_w)
    rows = image[ylo] * (1 - fy)[:, None, None] + image[yhi] * fy[:, None, None]
    return rows[:, xlo] * (1 - fx)[None, :, None] + rows[:, xhi] * fx[None, :, None]


def _runner():
    spec = importlib.util.spec_from_file_location("tf1_preprocessing_runner", _RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def graph_results():
    """The runner's results from graphs built in this process (tf.compat.v1)."""
    modules = (cifarnet_preprocessing, inception_preprocessing, vgg_preprocessing)
    return _runner().compute(tf.compat.v1, modules[1], modules[2], modules[0], _images())


@pytest.fixture(scope="module")
def tf1_results(tmp_path_factory):
    """The runner's results from a process in TF1 mode (disable_v2_behavior)."""
    tmp = tmp_path_factory.mktemp("tf1_preprocessing")
    np.savez(tmp / "in.npz", **_images())
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, _RUNNER, str(tmp / "in.npz"), str(tmp / "out.npz")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(tmp / "out.npz"))


_EVAL = {
    "inception": lambda x, h, w: inception_preprocessing.preprocess_image(x, 13, 11),
    "vgg": lambda x, h, w: vgg_preprocessing.preprocess_image(x, 12, 10, resize_side_min=17),
    "cifarnet": lambda x, h, w: cifarnet_preprocessing.preprocess_image(x, h - 3, w + 3),
}


def _check_eval_paths(results, case):
    for name, image in _images().items():
        eager = _EVAL[case](tf.constant(image), *image.shape[:2]).numpy()
        np.testing.assert_allclose(eager, results[f"kslim/{case}/{name}"], atol=1e-5)
        np.testing.assert_allclose(eager, results[f"ref/{case}/{name}"], atol=1e-5)


def _check_train_paths_repeat_per_graph_seed(results, case):
    first = results[f"train/{case}/1/0"]
    assert first.shape == (16, 16, 3)
    np.testing.assert_array_equal(first, results[f"train/{case}/1/1"])
    assert not np.array_equal(first, results[f"train/{case}/2/0"])


@pytest.mark.parametrize("case", sorted(_EVAL))
def test_eval_paths_equal_graph_mode_and_the_zoo_algorithm_in_tf1_ops(graph_results, case):
    _check_eval_paths(graph_results, case)


@pytest.mark.parametrize("case", sorted(_EVAL))
def test_training_paths_repeat_per_graph_seed_in_graph_mode(graph_results, case):
    _check_train_paths_repeat_per_graph_seed(graph_results, case)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(_EVAL))
def test_eval_and_training_paths_under_tf1_behaviour_in_a_subprocess(tf1_results, case):
    _check_eval_paths(tf1_results, case)
    _check_train_paths_repeat_per_graph_seed(tf1_results, case)


def test_inception_eval_crops_the_central_seven_eighths_and_scales_to_minus_one_one():
    image = np.arange(16 * 16 * 3, dtype=np.float32).reshape(16, 16, 3) % 256
    got = inception_preprocessing.preprocess_for_eval(image.astype(np.uint8), 14, 14).numpy()
    expected = (image[1:15, 1:15] / 255.0 - 0.5) * 2.0
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_inception_eval_resizes_with_tf1_pixel_centres():
    image = np.random.default_rng(1).uniform(size=(16, 16, 3)).astype(np.float32)
    got = inception_preprocessing.preprocess_for_eval(image, 7, 9).numpy()
    expected = (_tf1_bilinear(image[1:15, 1:15], 7, 9) - 0.5) * 2.0
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Halving picks every other pixel (TF2's half-pixel resize would average them).
    halved = inception_preprocessing.preprocess_for_eval(image, 7, 7).numpy()
    np.testing.assert_allclose(halved, (image[1:15:2, 1:15:2] - 0.5) * 2.0, atol=1e-6)


def test_inception_eval_without_crop_or_size_only_scales():
    image = np.full((5, 6, 3), 51, np.uint8)
    got = inception_preprocessing.preprocess_for_eval(image, None, None, central_fraction=None)
    assert got.shape == (5, 6, 3)
    np.testing.assert_allclose(got, np.full((5, 6, 3), (0.2 - 0.5) * 2.0), atol=1e-6)


def test_vgg_eval_resizes_the_smallest_side_keeping_the_aspect_then_crops_the_centre():
    image = np.random.default_rng(2).integers(0, 256, (2, 3, 3)).astype(np.uint8)
    # Smallest side 2 -> 4: a 4x6 TF1 bilinear upsample, central 2x2 crop at (1, 2).
    got = vgg_preprocessing.preprocess_for_eval(image, 2, 2, resize_side=4).numpy()
    expected = _tf1_bilinear(image, 4, 6)[1:3, 2:4] - _MEANS
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_vgg_eval_rounds_the_resized_longer_side():
    image = np.zeros((30, 19, 3), np.uint8)
    resized = vgg_preprocessing._aspect_preserving_resize(tf.constant(image), 17)
    assert tuple(resized.shape) == (27, 17, 3)  # rint(30 * 17 / 19) = rint(26.84)


def test_vgg_rejects_a_crop_larger_than_the_resized_image():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Crop size greater"):
        vgg_preprocessing.preprocess_for_eval(np.zeros((8, 8, 3), np.uint8), 12, 12, 10)


def test_cifarnet_eval_pads_or_crops_then_standardizes():
    image = np.random.default_rng(3).integers(0, 256, (30, 34, 3)).astype(np.float32)
    got = cifarnet_preprocessing.preprocess_for_eval(image, 32, 32).numpy()
    padded = np.pad(image[:, 1:33], [[1, 1], [0, 0], [0, 0]])
    std = max(padded.std(), 1.0 / np.sqrt(padded.size))
    np.testing.assert_allclose(got, (padded - padded.mean()) / std, atol=1e-4)


@pytest.mark.parametrize("fast_mode", [True, False])
def test_inception_train_output_shape_range_and_seed_determinism(fast_mode):
    image = tf.constant(_images()["rgb"])

    def run(seed):
        tf.random.set_seed(seed)
        return [
            inception_preprocessing.preprocess_image(image, 16, 12, True, fast_mode=fast_mode)
            for _ in range(3)
        ]

    first, again, other = run(5), run(5), run(6)
    for a, b in zip(first, again, strict=True):
        assert a.shape == (16, 12, 3) and a.dtype == tf.float32
        assert -1.0 <= float(tf.reduce_min(a)) and float(tf.reduce_max(a)) <= 1.0
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], other[0])


def test_inception_train_crop_stays_inside_the_given_box():
    image = np.zeros((40, 40, 3), np.float32)
    image[:20, :20] = 1.0  # the top-left quadrant is white, the box is that quadrant
    bbox = tf.constant([[[0.0, 0.0, 0.5, 0.5]]])
    tf.random.set_seed(0)
    for _ in range(5):
        crop, box = inception_preprocessing.distorted_bounding_box_crop(
            tf.constant(image), bbox, min_object_covered=1.0, area_range=(0.05, 1.0)
        )
        ymin, xmin, ymax, xmax = box.numpy().reshape(4)
        assert ymin <= 0.0 + 1e-6 and xmin <= 1e-6 and ymax >= 0.5 - 1e-6 and xmax >= 0.5 - 1e-6
        assert crop.shape[0] >= 20 and crop.shape[1] >= 20


def test_inception_train_without_random_crop_resizes_the_whole_image():
    image = np.full((9, 7, 3), 0.5, np.float32)
    tf.random.set_seed(0)
    got = inception_preprocessing.preprocess_for_train(
        image, 5, 5, random_crop=False, add_image_summaries=False
    )
    assert got.shape == (5, 5, 3)
    # A flat grey image stays flat through resize, flip and colour distortion.
    np.testing.assert_allclose(got, np.full((5, 5, 3), float(got[0, 0, 0])), atol=1e-5)


def test_inception_distort_color_rejects_an_unknown_ordering():
    with pytest.raises(ValueError, match=r"color_ordering must be in \[0, 2\) \(fast_mode=True\)"):
        inception_preprocessing.distort_color(tf.zeros([2, 2, 3]), 3, fast_mode=True)


def test_inception_train_writes_image_summaries_when_eager_with_a_writer(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=3):
        inception_preprocessing.preprocess_for_train(_images()["rgb"], 8, 8)
    writer.flush()
    tags = set()
    for event_file in tmp_path.iterdir():
        for record in tf.data.TFRecordDataset(str(event_file)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags.update(value.tag for value in event.summary.value)
    assert {
        "distort_image/image_with_bounding_boxes",
        "distort_image/images_with_distorted_bounding_box",
        "distort_image/final_distorted_image",
    } <= tags


def test_vgg_train_crops_mean_subtracted_values_and_repeats_per_seed():
    image = tf.constant(_images()["rgb"])

    def run(seed):
        tf.random.set_seed(seed)
        return vgg_preprocessing.preprocess_image(image, 16, 16, True, 20, 30).numpy()

    got = run(1)
    assert got.shape == (16, 16, 3)
    assert (got >= -_MEANS - 1e-3).all() and (got <= 255.0 - _MEANS + 1e-3).all()
    np.testing.assert_array_equal(got, run(1))
    assert not np.array_equal(got, run(2))


def test_cifarnet_train_pads_crops_and_standardizes_per_seed():
    image = tf.constant(np.random.default_rng(4).integers(0, 256, (32, 32, 3)).astype(np.uint8))
    tf.random.set_seed(9)
    got = cifarnet_preprocessing.preprocess_image(image, 32, 32, is_training=True).numpy()
    assert got.shape == (32, 32, 3)
    np.testing.assert_allclose(got.mean(), 0.0, atol=1e-4)
    np.testing.assert_allclose(got.std(), 1.0, atol=1e-3)
    tf.random.set_seed(9)
    again = cifarnet_preprocessing.preprocess_image(image, 32, 32, is_training=True)
    np.testing.assert_array_equal(got, again)


def test_training_preprocessing_runs_in_a_seeded_tf_data_map():
    sizes = {"inception_v3": 20, "vgg_16": 16, "cifarnet": 24}
    fns = {name: preprocessing_factory.get_preprocessing(name, True) for name in sizes}
    images = np.stack([_images()["rgb"]] * 2)

    def pipeline():
        tf.random.set_seed(3)
        ds = tf.data.Dataset.from_tensor_slices(images).map(
            lambda x: {name: fn(x, sizes[name], sizes[name]) for name, fn in fns.items()}
        )
        return [{k: v.numpy() for k, v in example.items()} for example in ds]

    got, again = pipeline(), pipeline()
    for name, size in sizes.items():
        assert got[0][name].shape == (size, size, 3) and np.isfinite(got[0][name]).all()
        np.testing.assert_array_equal(got[0][name], again[0][name])
        np.testing.assert_array_equal(got[1][name], again[1][name])
        assert not np.array_equal(got[0][name], got[1][name])


_SLIM_MAP = {
    "cifarnet": cifarnet_preprocessing,
    "inception": inception_preprocessing,
    "inception_v1": inception_preprocessing,
    "inception_v2": inception_preprocessing,
    "inception_v3": inception_preprocessing,
    "inception_v4": inception_preprocessing,
    "inception_resnet_v2": inception_preprocessing,
    "mobilenet_v1": inception_preprocessing,
    "mobilenet_v2": inception_preprocessing,
    "mobilenet_v2_035": inception_preprocessing,
    "mobilenet_v2_140": inception_preprocessing,
    "nasnet_mobile": inception_preprocessing,
    "nasnet_large": inception_preprocessing,
    "pnasnet_mobile": inception_preprocessing,
    "pnasnet_large": inception_preprocessing,
    "resnet_v1_50": vgg_preprocessing,
    "resnet_v1_101": vgg_preprocessing,
    "resnet_v1_152": vgg_preprocessing,
    "resnet_v1_200": vgg_preprocessing,
    "resnet_v2_50": vgg_preprocessing,
    "resnet_v2_101": vgg_preprocessing,
    "resnet_v2_152": vgg_preprocessing,
    "resnet_v2_200": vgg_preprocessing,
    "vgg": vgg_preprocessing,
    "vgg_a": vgg_preprocessing,
    "vgg_16": vgg_preprocessing,
    "vgg_19": vgg_preprocessing,
}


def test_factory_maps_the_zoo_model_names_as_slim():
    for name, module in _SLIM_MAP.items():
        assert preprocessing_factory.preprocessing_fn_map[name] is module, name
    for name in ("mobilenet_v1_075", "mobilenet_v1_050", "mobilenet_v1_025"):
        assert preprocessing_factory.preprocessing_fn_map[name] is inception_preprocessing


def test_every_nets_factory_zoo_net_has_a_preprocessing():
    from kslim.nets import nets_factory

    zoo = [n for n in nets_factory.networks_map if n in _SLIM_MAP or n.startswith("mobilenet")]
    for name in zoo + ["nasnet_cifar"]:
        preprocessing_factory.get_preprocessing(name)  # does not raise


def test_factory_function_equals_the_module_and_passes_options():
    image = _images()["tall"]
    fn = preprocessing_factory.get_preprocessing("resnet_v1_50")
    np.testing.assert_array_equal(
        fn(image, 10, 10, resize_side_min=20),
        vgg_preprocessing.preprocess_image(image, 10, 10, resize_side_min=20),
    )


def test_factory_grayscale_reaches_the_zoo_preprocessing():
    image = _images()["rgb"]
    for name in ("inception_v3", "vgg_16", "cifarnet"):
        for is_training in (False, True):
            fn = preprocessing_factory.get_preprocessing(name, is_training, use_grayscale=True)
            assert fn(image, 12, 12).shape == (12, 12, 1), (name, is_training)
    gray = preprocessing_factory.get_preprocessing("vgg_16", use_grayscale=True)
    flat = np.full((12, 12, 3), 100, np.uint8)
    weights = np.array([0.2989, 0.5870, 0.1140])  # tf.image.rgb_to_grayscale's
    expected = 100 * weights.sum() - weights @ _MEANS  # the grayscale of the RGB means
    np.testing.assert_allclose(gray(flat, 12, 12, resize_side_min=12), expected, atol=1e-3)


@pytest.mark.parametrize(
    "fn",
    [
        inception_preprocessing.preprocess_image,
        vgg_preprocessing.preprocess_image,
        cifarnet_preprocessing.preprocess_image,
    ],
)
def test_zoo_preprocessing_rejects_a_batch(fn):
    with pytest.raises(ValueError, match=r"rank 3\), got shape \(2, 8, 8, 3\)"):
        fn(np.zeros((2, 8, 8, 3), np.uint8), 8, 8)
