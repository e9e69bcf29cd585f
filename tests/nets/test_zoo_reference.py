"""The slim model zoo nets of kslim.nets against the published code, run by tf_slim.

Per net of ``../shared/reference/zoo/*.json`` (the nets_factory names):

- built by kslim at the reference's size, under its arg_scope, ``is_training=True``: the
  published variables (names, shapes, creation order), model variables, trainable
  parameter count, end_points (keys in order, shapes) and logits shape;
- its net file runs unchanged under tf_slim (one ``import kslim as slim`` line, otherwise
  tensorflow, the standard library and relative imports of other net files);
- the same file run by tf_slim (ONE subprocess for all nets) and by kslim on the same
  weights at a small size: the same variables, logits and end_points (1e-5) in inference
  mode, and after one training-mode batch norm update the same outputs and moving
  averages;
- a TF1 ``Saver`` checkpoint of exactly the net's variables, written by tf_slim, restores
  into the kslim net with ``slim.assign_from_checkpoint_fn``: nothing missing, nothing
  left over, every value equal.

Nets not yet registered in ``kslim.nets.nets_factory`` are skipped. To plug a net in,
register it there; add an entry to ``PARITY`` for a small size or arguments of its own,
and its name to ``SLOW_BUILD`` / ``SLOW_PARITY`` when the full-size build or the parity
run takes more than ~20 s here.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest
from _zoo_peer import (
    NETS_DIR,
    assert_close,
    build_kslim_zoo,
    kslim_build_result,
    net_file_problems,
    reference,
    reference_dir,
    reference_nets,
    run_kslim_zoo,
    run_tfslim_zoo,
    seeded_value,
    zoo_spec,
)

import kslim as slim

# The small parity build of a net: ZooSpec fields (default: DEFAULT_PARITY_SIZE, batch 2,
# the reference's num_classes, dropout off in training mode where the net has
# ``dropout_keep_prob``).
DEFAULT_PARITY_SIZE = 64
PARITY: dict[str, dict] = {
    "cifarnet": {"image_size": 32},
    "mobilenet_v1_025": {"image_size": 96},
    # NASNet / PNASNet: 3 cells of 8 filters (a reduction cell or strided cell before the
    # 2nd and 3rd cell, the aux head on the 2nd). The default drop_path_keep_prob of the
    # CIFAR and Large nets keeps drop path (and its scoped global step, seeded to 0: keep
    # prob 1 at step 0) in the training build; the final dropout is off there.
    **{
        net: {
            "image_size": 32 if net == "nasnet_cifar" else 96,
            "kwargs": {"config": {"num_cells": 3, "num_conv_filters": 8}},
            "train_kwargs": {
                "config": {"num_cells": 3, "num_conv_filters": 8, "dense_dropout_keep_prob": 1.0}
            },
        }
        for net in (
            "nasnet_cifar",
            "nasnet_mobile",
            "nasnet_large",
            "pnasnet_mobile",
            "pnasnet_large",
        )
    },
    # The smallest size with a 5x5 Mixed_6* map for the auxiliary head's 5x5 pool.
    "inception_v4": {"image_size": 107},
    "inception_resnet_v2": {"image_size": 107},
    # MobileNet v2's dropout keep prob is training_scope's: off for the training build.
    **{
        net: {"arg_scope_kwargs": {"dropout_keep_prob": 1.0}}
        for net in ("mobilenet_v2", "mobilenet_v2_140", "mobilenet_v2_035")
    },
}
# Full-size kslim builds taking more than ~20 s here (and MobileNet v1 075/050/025: the code
# of mobilenet_v1, which the default suite builds, ~10 s each).
SLOW_BUILD = {
    "inception_resnet_v2",
    "inception_v4",
    "mobilenet_v1_025",
    "mobilenet_v1_050",
    "mobilenet_v1_075",
    "mobilenet_v2_035",  # the code of mobilenet_v2, which the default suite builds
    "mobilenet_v2_140",
    "nasnet_cifar",
    "nasnet_large",
    "nasnet_mobile",
    "pnasnet_large",
    "pnasnet_mobile",
}
# Nets whose parity run (both implementations, both modes) is slow; not in the default
# suite's tf_slim subprocess. nasnet_cifar and pnasnet_mobile are the default suite's
# NASNet and PNASNet checks, mobilenet_v1_025 its MobileNet v1 one: slow at full size, fast
# in their small PARITY configs.
SLOW_PARITY = (
    SLOW_BUILD
    | {
        "mobilenet_v1",  # the default suite runs mobilenet_v1_025, the same code
        "mobilenet_v2",  # the default suite runs mobilenet_v2_035, the same code
        "mobilenet_v2_140",
        "nasnet_mobile",
    }
) - {"mobilenet_v1_025", "nasnet_cifar", "pnasnet_mobile"}

NETS = reference_nets()
if not NETS:
    pytest.skip(f"no zoo reference files in {reference_dir()}", allow_module_level=True)


def _params(slow: set[str]) -> list:
    return [pytest.param(n, id=n, marks=[pytest.mark.slow] if n in slow else []) for n in NETS]


def _spec_or_skip(net: str, **fields):
    spec = zoo_spec(net, **fields)
    if spec is None:
        pytest.skip(f"{net} is not registered in kslim.nets.nets_factory yet")
    return spec


def _parity_spec(net: str):
    fields = dict(PARITY.get(net, {}))
    fields.setdefault("image_size", DEFAULT_PARITY_SIZE)
    spec = _spec_or_skip(net, **fields)
    module = importlib.import_module(f"kslim.nets.{spec.module}")
    parameters = inspect.signature(getattr(module, spec.fn)).parameters
    if "dropout_keep_prob" in parameters and "dropout_keep_prob" not in spec.train_kwargs:
        spec.train_kwargs["dropout_keep_prob"] = 1.0
    return spec


_PEER_TESTS = (
    "test_zoo_net_matches_tf_slim_in_inference_mode",
    "test_zoo_net_matches_tf_slim_after_one_training_batch_norm_update",
    "test_tf_slim_checkpoint_restores_into_the_zoo_net_with_nothing_missing_or_left_over",
)


@pytest.fixture(scope="module")
def tfslim_zoo(request, tmp_path_factory):
    """tf_slim's results for every net whose peer test this session runs (one process)."""
    selected = []
    for item in request.session.items:
        if getattr(item, "originalname", None) in _PEER_TESTS:
            net = item.callspec.params["net"]
            if net not in selected and zoo_spec(net) is not None:
                selected.append(net)
    specs = [_parity_spec(net) for net in selected]
    return run_tfslim_zoo(specs, tmp_path_factory.mktemp("tfslim_zoo"))


@pytest.mark.parametrize("net", _params(SLOW_BUILD))
def test_zoo_net_builds_the_published_variables_and_end_points(net):
    ref = reference(net)
    spec = _spec_or_skip(net, batch=1)
    with slim.Graph().as_default():
        _, logits, end_points = build_kslim_zoo(spec, "train")
        got = kslim_build_result(logits, end_points)
        trainable = slim.get_collection(slim.GraphKeys.TRAINABLE_VARIABLES)
        trainable_parameters = sum(int(np.prod(v.shape)) for v in trainable)
    assert [v[0] for v in ref["variables"]] == got.variables, "variable names / order"
    assert [v[1] for v in ref["variables"]] == got.shapes, "variable shapes"
    assert ref["model_variables"] == got.model_variables, "model variables"
    assert ref["trainable_parameters"] == trainable_parameters, "trainable parameters"
    assert list(ref["end_points"].items()) == [(k, s) for k, s in got.end_points], "end_points"
    assert ref["logits_shape"] == got.logits_shape, "logits shape"


@pytest.mark.parametrize("net", _params(set()))
def test_zoo_net_file_runs_unchanged_under_tf_slim(net):
    spec = _spec_or_skip(net)
    for module in {spec.module, spec.arg_scope_module}:
        path = NETS_DIR.joinpath(*module.split(".")).with_suffix(".py")
        assert net_file_problems(Path(path)) == [], f"{path} cannot run under tf_slim"


@pytest.mark.peer
@pytest.mark.parametrize("net", _params(SLOW_PARITY))
def test_zoo_net_matches_tf_slim_in_inference_mode(net, tfslim_zoo):
    spec = _parity_spec(net)
    ref = tfslim_zoo.get(net)["infer"]
    got = run_kslim_zoo(spec, "infer")
    assert got.variables == ref.variables, "global variable names / order"
    assert got.shapes == ref.shapes, "variable shapes"
    assert got.trainable == ref.trainable, "trainable variables"
    assert got.model_variables == ref.model_variables, "model variables"
    assert got.end_points == ref.end_points, "end_points keys / shapes"
    assert got.logits_shape == ref.logits_shape, "logits shape"
    assert_close(got.logits, ref.logits, "logits")
    for key, value in ref.end_point_values.items():
        assert_close(got.end_point_values[key], value, f"end_point {key!r}")


@pytest.mark.peer
@pytest.mark.parametrize("net", _params(SLOW_PARITY))
def test_zoo_net_matches_tf_slim_after_one_training_batch_norm_update(net, tfslim_zoo):
    spec = _parity_spec(net)
    ref = tfslim_zoo.get(net)["train"]
    got = run_kslim_zoo(spec, "train")
    assert got.variables == ref.variables, "global variable names / order"
    assert got.end_points == ref.end_points, "end_points keys / shapes"
    assert_close(got.logits, ref.logits, "training-mode logits")
    for key, value in ref.end_point_values.items():
        assert_close(got.end_point_values[key], value, f"training-mode end_point {key!r}")
    for name, value in ref.values_after.items():
        assert_close(got.values_after[name], value, f"{name} after the update")


@pytest.mark.peer
@pytest.mark.parametrize("net", _params(SLOW_PARITY))
def test_tf_slim_checkpoint_restores_into_the_zoo_net_with_nothing_missing_or_left_over(
    net, tfslim_zoo
):
    import tensorflow as tf

    spec = _parity_spec(net)
    checkpoint = tfslim_zoo.get(net)["infer"].checkpoint
    keys = {name for name, _ in tf.train.list_variables(checkpoint)}
    assert keys == set(tfslim_zoo.get(net)["infer"].variables), "not tf_slim's variables"
    if not spec.kwargs.get("config"):
        # The parity build has the published architecture (NASNet's small PARITY configs
        # have fewer cells, and no aux head or drop-path step in inference mode).
        assert keys == {v[0] for v in reference(net)["variables"]}, "not the published names"
    with slim.Graph().as_default():
        build_kslim_zoo(spec, "infer")
        variables = slim.get_variables_to_restore()
        assert {v.path for v in variables} == keys, "net variables != checkpoint variables"
        init_fn = slim.assign_from_checkpoint_fn(checkpoint, variables)
        init_fn(None)
        for variable in variables:
            np.testing.assert_array_equal(
                np.asarray(variable), seeded_value(variable.path, variable.shape), variable.path
            )
