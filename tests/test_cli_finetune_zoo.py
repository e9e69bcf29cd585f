"""Fine-tuning a zoo net from a tf_slim-written checkpoint with the ``kslim`` commands.

``mobilenet_v1_025`` is built by tf_slim 1.1.0 from kslim's own net file (the zoo runner,
random init) and saved with a TF1 ``Saver``; ``kslim train`` warm-starts from that
checkpoint without the Logits, trains only the Logits on a tiny flowers archive of
128x128 JPEGs, ``kslim eval`` evaluates the result and ``kslim export`` serves it.
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import cli
from kslim.checkpoints import CheckpointManager
from kslim.data import datasets
from kslim.nets import nets_factory

sys.path.insert(0, str(Path(__file__).resolve().parent / "nets"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _zoo_peer import run_tfslim_zoo, zoo_spec  # noqa: E402
from test_cli_train_eval import ACCURACY, assert_ok, kslim  # noqa: E402

NET = "mobilenet_v1_025"
CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
STEPS = 5
# slim's flowers converter keeps 350 photos for validation: 360 leave 10 to train on.
PER_CLASS = 72
VALIDATION = 350


def _flowers_archive(path: Path, per_class: int = PER_CLASS) -> Path:
    rng = np.random.default_rng(10)
    with tarfile.open(path, "w:gz") as tar:
        for name in CLASSES:
            for i in range(per_class):
                image = rng.integers(0, 256, (128, 128, 3)).astype(np.uint8)
                data = tf.io.encode_jpeg(image).numpy()
                info = tarfile.TarInfo(f"flower_photos/{name}/{i}.jpg")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """(flowers dir, tf_slim checkpoint, train dir) after 5 fine-tuning steps."""
    root = tmp_path_factory.mktemp("finetune_zoo")
    archive = _flowers_archive(root / "flower_photos.tgz")
    data = str(root / "flowers")
    assert_ok(
        kslim(
            "convert",
            "flowers",
            "--archive",
            str(archive),
            "--dataset-dir",
            data,
        )
    )
    spec = zoo_spec(NET, image_size=128, batch=2)
    assert spec is not None, f"{NET} is not registered in nets_factory"
    ckpt = run_tfslim_zoo([spec], root / "tfslim").get(spec.id)["infer"].checkpoint
    train_dir = str(root / "train")
    result = kslim(
        "train",
        "--model-name",
        NET,
        "--dataset-name",
        "flowers",
        "--dataset-dir",
        data,
        "--checkpoint-path",
        ckpt,
        "--checkpoint-exclude-scopes",
        "MobilenetV1/Logits",
        "--trainable-scopes",
        "MobilenetV1/Logits",
        "--max-number-of-steps",
        str(STEPS),
        "--train-image-size",
        "128",
        "--batch-size",
        "4",
        "--log-every-n-steps",
        "1",
        "--train-dir",
        train_dir,
        timeout=600,
    )
    assert_ok(result)
    return data, ckpt, train_dir, result


@pytest.mark.slow
@pytest.mark.peer
def test_finetuning_from_a_tfslim_checkpoint_trains_5_steps_keeping_frozen_weights(finetuned):
    _, ckpt, train_dir, result = finetuned
    assert "to global step 5:" in result.stdout
    tfslim = tf.train.load_checkpoint(ckpt)
    trained = tf.train.load_checkpoint(tf.train.latest_checkpoint(train_dir))
    names = set(tfslim.get_variable_to_shape_map())
    trained_names = set(trained.get_variable_to_shape_map())
    frozen = [
        n
        for n in names
        if not n.startswith("MobilenetV1/Logits")
        and not n.endswith(("moving_mean", "moving_variance"))
    ]
    assert "MobilenetV1/Conv2d_0/weights" in frozen
    for name in frozen:
        assert name in trained_names, name
        np.testing.assert_array_equal(trained.get_tensor(name), tfslim.get_tensor(name), name)
    # The Logits were re-initialized (5 classes, not the checkpoint's 1001) and trained.
    assert trained.get_tensor("MobilenetV1/Logits/Conv2d_1c_1x1/weights").shape[-1] == 5


@pytest.mark.slow
@pytest.mark.peer
def test_eval_of_the_finetuned_zoo_net_prints_accuracy(finetuned):
    data, _, train_dir, _ = finetuned
    result = kslim(
        "eval",
        "--checkpoint-path",
        train_dir,
        "--dataset-name",
        "flowers",
        "--dataset-dir",
        data,
        "--model-name",
        NET,
        "--eval-image-size",
        "128",
        "--batch-size",
        "50",
    )
    assert_ok(result)
    match = ACCURACY.search(result.stdout)
    assert match, result.stdout
    assert 0.0 <= float(match.group(1)) <= 1.0
    assert f"{VALIDATION} examples" in result.stdout


@pytest.mark.slow
@pytest.mark.peer
def test_export_of_the_finetuned_zoo_net_serves_a_batch(finetuned, tmp_path):
    _, _, train_dir, _ = finetuned
    export_dir = str(tmp_path / "export")
    result = kslim(
        "export",
        "--checkpoint",
        train_dir,
        "--export-dir",
        export_dir,
        "--model-name",
        NET,
        "--num-classes",
        "5",
        "--image-size",
        "128",
    )
    assert_ok(result)
    version_dir = result.stdout.strip().splitlines()[-1]
    assert re.search(r"[/\\]5$", version_dir), version_dir
    loaded = tf.saved_model.load(version_dir)
    serve = loaded.signatures["serving_default"]
    images = tf.random.uniform([3, 128, 128, 3], -1.0, 1.0)
    outputs = serve(**{next(iter(serve.structured_input_signature[1])): images})
    logits = outputs["logits"] if "logits" in outputs else next(iter(outputs.values()))
    assert logits.shape == (3, 5)


BIASES = np.array([0.5, -1.25, 3.0], np.float32)
LOGITS = "MobilenetV1/Logits/Conv2d_1c_1x1/"


def _fresh_values(net: str, num_classes: int, size: int, channels: int = 3) -> dict:
    """The kslim net's freshly initialized model variables by slim name."""
    with slim.Graph().as_default():
        images = tf.keras.Input((size, size, channels), batch_size=1)
        nets_factory.get_network_fn(net, num_classes=num_classes)(images)
        return {
            slim.get_variable_full_name(v): np.asarray(v.numpy())
            for v in slim.get_model_variables()
        }


def _zoo_checkpoint(logdir: Path, net: str, num_classes: int, size: int, step: int) -> None:
    """Writes the kslim net's fresh variables as ``model.ckpt-<step>``, logits = BIASES."""
    values = _fresh_values(net, num_classes, size)
    values[LOGITS + "weights"] = np.zeros_like(values[LOGITS + "weights"])
    values[LOGITS + "biases"] = BIASES
    CheckpointManager(str(logdir)).save(values, step)


def test_export_of_a_zoo_net_by_model_name_serves_logits_of_the_checkpoint(tmp_path, capsys):
    _zoo_checkpoint(tmp_path / "ckpt", NET, num_classes=3, size=64, step=7)
    export_dir = tmp_path / "export"
    argv = ["export", "--checkpoint", str(tmp_path / "ckpt"), "--export-dir", str(export_dir)]
    argv += ["--model-name", NET, "--num-classes", "3", "--image-size", "64"]
    assert cli.main(argv) == 0
    version_dir = capsys.readouterr().out.strip().splitlines()[-1]
    assert version_dir == str(export_dir / "7")
    loaded = tf.saved_model.load(version_dir)
    serve = loaded.signatures["serving_default"]
    (input_name,) = serve.structured_input_signature[1]
    logits = serve(**{input_name: tf.zeros([2, 64, 64, 3])})["logits"]
    # Zero logits weights and the checkpoint's biases: the served logits are the biases.
    np.testing.assert_allclose(logits.numpy(), np.tile(BIASES, (2, 1)), rtol=1e-6)


def test_export_by_model_name_rejects_an_unknown_network(tmp_path, capsys):
    argv = ["export", "--checkpoint", str(tmp_path), "--export-dir", str(tmp_path / "e")]
    assert cli.main([*argv, "--model-name", "no_such_net"]) == 1
    assert "Name of network unknown 'no_such_net'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("digits")
    datasets.convert_digits(str(path))
    return str(path)


def _eval_lines(capsys, checkpoint: Path, digits_dir: str, *flags: str) -> list[str]:
    argv = ["eval", "--checkpoint-path", str(checkpoint), "--dataset-dir", digits_dir]
    argv += ["--eval-dir", str(checkpoint / "eval"), *flags]
    assert cli.main(argv) == 0, capsys.readouterr().err[-2000:]
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("eval/")]


def test_eval_moving_average_decay_restores_the_exponential_moving_average_shadows(
    tmp_path, capsys, digits_dir
):
    weights = _fresh_values("lenet", num_classes=10, size=28, channels=1)
    step = {"global_step": np.int64(3)}
    plain, averaged = tmp_path / "plain", tmp_path / "averaged"
    CheckpointManager(str(plain)).save({**weights, **step}, 3)
    # The variables themselves hold zeros; their shadows hold the weights.
    shadows = {f"{name}/ExponentialMovingAverage": value for name, value in weights.items()}
    zeros = {name: np.zeros_like(value) for name, value in weights.items()}
    CheckpointManager(str(averaged)).save({**zeros, **shadows, **step}, 3)
    expected = _eval_lines(capsys, plain, digits_dir)
    assert expected and expected[0].startswith("eval/Accuracy: ")
    got = _eval_lines(capsys, averaged, digits_dir, "--moving-average-decay", "0.9999")
    assert got == expected
    # Without shadows in the checkpoint the restore names the missing one.
    argv = ["eval", "--checkpoint-path", str(plain), "--dataset-dir", digits_dir]
    assert cli.main([*argv, "--moving-average-decay", "0.9999"]) == 1
    assert "ExponentialMovingAverage" in capsys.readouterr().err


def test_train_moving_average_decay_fails_naming_the_flag(tmp_path, capsys):
    argv = ["train", "--train-dir", str(tmp_path / "t"), "--moving-average-decay", "0.9999"]
    assert cli.main(argv) == 1
    assert "--moving-average-decay is not supported by kslim train" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_export_by_model_fn_still_needs_an_input_shape(tmp_path, capsys):
    argv = ["export", "--checkpoint", str(tmp_path), "--export-dir", str(tmp_path / "e")]
    assert cli.main([*argv, "--model-fn", "os:getcwd"]) == 1
    assert "--model-fn needs --input-shape" in capsys.readouterr().err
