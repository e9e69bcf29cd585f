"""kslim.data.datasets: slim's cifar10, mnist, flowers and imagenet datasets.

Tiny synthetic archives in each original format are converted (``kslim convert NAME
--archive FILE``, in-process), read back through ``dataset_factory.get_dataset`` and
trained on for one step (``kslim train``).
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
import tensorflow as tf

from kslim import cli
from kslim.data.dataset_data_provider import DatasetDataProvider
from kslim.data.datasets import dataset_factory, dataset_utils


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _read_split(name: str, split: str, dataset_dir: str, items=("image", "label")):
    dataset = dataset_factory.get_dataset(name, split, dataset_dir)
    provider = DatasetDataProvider(dataset, shuffle=False, num_epochs=1)
    examples = [{k: example[k].numpy() for k in items} for example in provider.dataset]
    return dataset, examples


def _train_one_step(tmp_path, *args: str) -> None:
    train_dir = str(tmp_path / "train")
    status = cli.main(
        ["train", "--train-dir", train_dir, "--max-number-of-steps", "1", "--batch-size", "2"]
        + ["--save-interval-secs", "0", "--save-summaries-secs", "0", *args]
    )
    assert status == 0
    assert tf.train.latest_checkpoint(train_dir) is not None


@pytest.fixture(scope="module")
def cifar10_archive(tmp_path_factory):
    rng = np.random.default_rng(0)
    batches = {}
    path = tmp_path_factory.mktemp("cifar10_archive") / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, n in (("data_batch_1", 3), ("data_batch_2", 2), ("test_batch", 2)):
            data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
            labels = [int(x) for x in rng.integers(0, 10, n)]
            batches[name] = (data, labels)
            batch = {b"batch_label": name.encode(), b"data": data, b"labels": labels}
            _add(tar, f"cifar-10-batches-py/{name}", pickle.dumps(batch))
        _add(tar, "cifar-10-batches-py/readme.html", b"<html></html>")
    return str(path), batches


def test_cifar10_archive_converts_and_reads_back_pixel_exact(cifar10_archive, tmp_path):
    archive, batches = cifar10_archive
    out = str(tmp_path / "cifar10")
    assert cli.main(["convert", "cifar10", "--archive", archive, "--dataset-dir", out]) == 0
    assert sorted(os.listdir(out)) == [
        "cifar10_test.tfrecord",
        "cifar10_train.tfrecord",
        "labels.txt",
        "splits.txt",
    ]
    dataset, examples = _read_split("cifar10", "train", out)
    data = np.concatenate([batches["data_batch_1"][0], batches["data_batch_2"][0]])
    labels = batches["data_batch_1"][1] + batches["data_batch_2"][1]
    expected = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    assert dataset.num_samples == 5 and dataset.num_classes == 10
    assert dataset.labels_to_names[0] == "airplane" and dataset.labels_to_names[9] == "truck"
    assert dataset.items_to_descriptions == {
        "image": "A [32 x 32 x 3] color image.",
        "label": "A single integer between 0 and 9",
    }
    np.testing.assert_array_equal(np.stack([e["image"] for e in examples]), expected)
    assert [int(e["label"]) for e in examples] == labels
    test_set, test_examples = _read_split("cifar10", "test", out)
    assert test_set.num_samples == 2 and len(test_examples) == 2


def test_cifar10_trains_a_step_with_cifarnet(cifar10_archive, tmp_path):
    out = str(tmp_path / "cifar10")
    dataset_factory.convert_dataset("cifar10", out, archive=cifar10_archive[0])
    _train_one_step(
        tmp_path, "--dataset-name", "cifar10", "--dataset-dir", out, "--model-name", "cifarnet"
    )


def test_cifar10_refuses_a_pickle_that_is_not_arrays(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in ("data_batch_1", "test_batch"):
            _add(tar, f"cifar-10-batches-py/{name}", pickle.dumps({b"data": Evil()}))
    with pytest.raises(pickle.UnpicklingError, match="does not contain"):
        dataset_factory.convert_dataset("cifar10", str(tmp_path / "out"), archive=str(path))


def _idx(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(
        ">" + "I" * array.ndim, *array.shape
    )
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def mnist_archive(tmp_path_factory):
    rng = np.random.default_rng(1)
    root = tmp_path_factory.mktemp("mnist_archive")
    arrays = {}
    for prefix, n in (("train", 4), ("t10k", 2)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        arrays[prefix] = (images, labels)
        (root / f"{prefix}-images-idx3-ubyte.gz").write_bytes(_idx(images))
        (root / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(_idx(labels))
    tar_path = root / "mnist.tar"
    with tarfile.open(tar_path, "w") as tar:
        for name in sorted(os.listdir(root)):
            if name.endswith(".gz"):
                _add(tar, f"mnist/{name}", (root / name).read_bytes())
    return str(root), str(tar_path), arrays


@pytest.mark.parametrize("form", ["directory", "tar"])
def test_mnist_idx_files_convert_and_read_back_pixel_exact(mnist_archive, tmp_path, form):
    directory, tar_path, arrays = mnist_archive
    archive = directory if form == "directory" else tar_path
    out = str(tmp_path / "mnist")
    assert cli.main(["convert", "mnist", "--archive", archive, "--dataset-dir", out]) == 0
    for split, prefix in (("train", "train"), ("test", "t10k")):
        dataset, examples = _read_split("mnist", split, out)
        images, labels = arrays[prefix]
        assert dataset.num_samples == len(images)
        np.testing.assert_array_equal(np.stack([e["image"] for e in examples]), images[..., None])
        assert [int(e["label"]) for e in examples] == labels.tolist()
    assert dataset.items_to_descriptions["image"] == "A [28 x 28 x 1] grayscale image."
    assert dataset.labels_to_names == {i: str(i) for i in range(10)}


@pytest.mark.slow
def test_mnist_trains_a_step_with_lenet(mnist_archive, tmp_path):
    out = str(tmp_path / "mnist")
    dataset_factory.convert_dataset("mnist", out, archive=mnist_archive[0])
    _train_one_step(
        tmp_path, "--dataset-name", "mnist", "--dataset-dir", out, "--model-name", "lenet"
    )


def test_mnist_names_the_missing_idx_files(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(_idx(np.zeros((1, 28, 28))))
    with pytest.raises(ValueError, match=r"lacks the MNIST files \['t10k-images"):
        dataset_factory.convert_dataset("mnist", str(tmp_path / "out"), archive=str(tmp_path))


@pytest.fixture(scope="module")
def flowers_archive(tmp_path_factory):
    rng = np.random.default_rng(2)
    path = tmp_path_factory.mktemp("flowers_archive") / "flower_photos.tgz"
    photos = {}
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "flower_photos/LICENSE.txt", b"CC-BY")
        for name in ("roses", "daisy", "tulips"):
            for i in range(3):
                image = rng.integers(0, 256, (10 + i, 12 + 2 * i, 3)).astype(np.uint8)
                data = tf.io.encode_jpeg(image).numpy()
                member = f"flower_photos/{name}/{i}.jpg"
                photos[member] = (name, data, image.shape)
                _add(tar, member, data)
    return str(path), photos


def test_flowers_photos_convert_to_shards_and_read_back(flowers_archive, tmp_path):
    archive, photos = flowers_archive
    out = str(tmp_path / "flowers")
    sizes = dataset_factory.convert_dataset(
        "flowers", out, archive=archive, num_validation=2, num_shards=2
    )
    assert sizes == {"train": 7, "validation": 2}
    assert "flowers_train_00001-of-00002.tfrecord" in os.listdir(out)
    assert dataset_utils.read_label_file(out) == {0: "daisy", 1: "roses", 2: "tulips"}
    seen = []
    for split in ("train", "validation"):
        dataset, examples = _read_split("flowers", split, out)
        assert dataset.num_samples == sizes[split] == len(examples)
        for e in examples:
            seen.append((e["image"].shape, dataset.labels_to_names[int(e["label"])]))
    expected = sorted((shape, name) for name, _, shape in photos.values())
    assert sorted(seen) == expected
    assert dataset.items_to_descriptions["image"] == "A color image of varying size."


def test_flowers_trains_a_step_with_inception_preprocessing(flowers_archive, tmp_path):
    out = str(tmp_path / "flowers")
    dataset_factory.convert_dataset(
        "flowers", out, archive=flowers_archive[0], num_validation=2, num_shards=1
    )
    _train_one_step(
        tmp_path,
        *("--dataset-name", "flowers", "--dataset-dir", out, "--model-name", "lenet"),
        *("--preprocessing-name", "inception"),
    )


def test_flowers_needs_more_photos_than_the_validation_split(flowers_archive, tmp_path):
    with pytest.raises(ValueError, match="more than num_validation=350 are needed"):
        dataset_factory.convert_dataset("flowers", str(tmp_path), archive=flowers_archive[0])


def test_imagenet_reads_build_imagenet_data_records(tmp_path):
    jpeg = tf.io.encode_jpeg(np.full((6, 5, 3), 200, np.uint8)).numpy()
    feature = {
        "image/encoded": dataset_utils.bytes_feature(jpeg),
        "image/format": dataset_utils.bytes_feature(b"JPEG"),
        "image/class/label": dataset_utils.int64_feature(7),
        "image/class/text": dataset_utils.bytes_feature(b"goldfish"),
        "image/object/bbox/ymin": dataset_utils.float_feature([0.1, 0.2]),
        "image/object/bbox/xmin": dataset_utils.float_feature([0.3, 0.4]),
        "image/object/bbox/ymax": dataset_utils.float_feature([0.5, 0.6]),
        "image/object/bbox/xmax": dataset_utils.float_feature([0.7, 0.8]),
        "image/object/class/label": dataset_utils.int64_feature([7, 7]),
    }
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    with tf.io.TFRecordWriter(str(tmp_path / "validation-00000-of-00001")) as writer:
        writer.write(example.SerializeToString())
    items = ("image", "label", "label_text", "object/bbox", "object/label")
    dataset, examples = _read_split("imagenet", "validation", str(tmp_path), items)
    assert dataset.num_samples == 50000 and dataset.num_classes == 1001
    assert dataset.labels_to_names is None
    (got,) = examples
    assert got["image"].shape == (6, 5, 3) and int(got["label"]) == 7
    assert got["label_text"] == b"goldfish"
    np.testing.assert_allclose(
        got["object/bbox"], [[0.1, 0.3, 0.5, 0.7], [0.2, 0.4, 0.6, 0.8]], rtol=1e-6
    )
    assert got["object/label"].tolist() == [7, 7]


@pytest.mark.parametrize(
    "name,splits",
    [
        ("cifar10", {"train": 50000, "test": 10000}),
        ("mnist", {"train": 60000, "test": 10000}),
        ("flowers", {"train": 3320, "validation": 350}),
        ("imagenet", {"train": 1281167, "validation": 50000}),
    ],
)
def test_datasets_have_slims_split_sizes_and_reject_other_splits(name, splits, tmp_path):
    module = __import__(f"kslim.data.datasets.{name}", fromlist=["SPLITS_TO_SIZES"])
    assert module.SPLITS_TO_SIZES == splits
    with pytest.raises(ValueError, match="^split name bogus was not recognized.$"):
        dataset_factory.get_dataset(name, "bogus", str(tmp_path))
    with pytest.raises(ValueError, match=f"No data files found for split 'train' of {name}"):
        dataset_factory.get_dataset(name, "train", str(tmp_path))


def test_convert_without_an_archive_says_kslim_never_downloads(tmp_path, capsys):
    status = cli.main(["convert", "cifar10", "--dataset-dir", str(tmp_path)])
    assert status != 0
    assert "kslim never downloads" in capsys.readouterr().err


def test_convert_rejects_flags_the_converter_does_not_take(cifar10_archive, tmp_path, capsys):
    args = ["convert", "cifar10", "--archive", cifar10_archive[0], "--num-shards", "3"]
    assert cli.main([*args, "--dataset-dir", str(tmp_path)]) != 0
    assert "kslim convert cifar10 does not take --num-shards" in capsys.readouterr().err


def test_imagenet_has_no_converter(tmp_path, capsys):
    assert cli.main(["convert", "imagenet", "--dataset-dir", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "No converter for dataset 'imagenet'" in err and "'cifar10'" in err
