"""kslim.variables: slim's variables API on Keras variables and kslim.Graph collections."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import variables as kv
from kslim.checkpoints import CheckpointError, save_variables


@pytest.fixture
def graph():
    with slim.Graph().as_default() as g:
        yield g


def paths(variables):
    return [v.path for v in variables]


def small_net():
    x = keras.Input((4, 4, 1))
    net = slim.conv2d(x, 2, [3, 3], scope="conv1")
    net = slim.conv2d(net, 2, [3, 3], scope="conv10")
    net = slim.flatten(net)
    return keras.Model(x, slim.fully_connected(net, 3, activation_fn=None, scope="logits"))


# ------------------------------------------------------------------ creation
def test_variable_is_named_by_variable_scope_and_recorded(graph):
    with slim.variable_scope("net"):
        v = slim.variable("w", [2, 3], initializer=tf.compat.v1.zeros_initializer())
    assert v.path == "net/w"
    assert v.shape == (2, 3) and v.dtype == "float32"
    assert paths(slim.get_variables()) == ["net/w"]
    assert paths(slim.get_trainable_variables()) == ["net/w"]
    assert slim.get_model_variables() == []
    assert kv.get_unowned_variables() == [v]


def test_model_variable_joins_model_collection_and_keeps_regularizer(graph):
    v = slim.model_variable(
        "w",
        [2],
        initializer=keras.initializers.Ones(),
        regularizer=slim.l2_regularizer(0.5),
        collections=["extra"],
    )
    assert paths(slim.get_model_variables()) == ["w"]
    assert slim.get_collection("extra") == [v]
    assert float(v.regularizer(v)) == pytest.approx(0.5 * 2 / 2)
    penalties = [float(p) for p in slim.losses.get_regularization_losses()]
    assert penalties == [pytest.approx(0.5)]


def test_variable_honours_arg_scope(graph):
    with slim.arg_scope([slim.variable], trainable=False, initializer=tf.ones_initializer()):
        v = slim.variable("w", [2])
    assert not v.trainable
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])
    assert slim.get_trainable_variables() == []


def test_variable_accepts_a_value_and_rejects_shape_with_it(graph):
    v = slim.variable("c", initializer=np.arange(3, dtype=np.float32))
    np.testing.assert_array_equal(v.numpy(), [0, 1, 2])
    with pytest.raises(ValueError, match="do not specify shape"):
        slim.variable("d", [4], initializer=np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="must be fully defined"):
        slim.variable("e")


def test_variable_without_reuse_raises_slims_already_exists(graph):
    with slim.variable_scope("s"):
        slim.variable("w", [1])
    with pytest.raises(ValueError, match="Variable s/w already exists, disallowed"):
        with slim.variable_scope("s"):
            slim.variable("w", [1])


def test_variable_reuse_returns_the_same_variable_and_checks_shape(graph):
    with slim.variable_scope("s"):
        v = slim.variable("w", [2])
    with slim.variable_scope("s", reuse=True):
        assert slim.variable("w", [2]) is v
        with pytest.raises(ValueError, match=r"Trying to share variable s/w.*\[3\].*\[2\]"):
            slim.variable("w", [3])
        with pytest.raises(ValueError, match="Variable s/x does not exist"):
            slim.variable("x", [1])
    with slim.variable_scope("s", reuse=slim.AUTO_REUSE):
        assert slim.variable("w") is v
        assert slim.variable("new", [1]).path == "s/new"


def test_variable_reuse_finds_layer_variables(graph):
    small_net()
    with slim.variable_scope("conv1", reuse=True):
        w = slim.variable("weights")
    assert w is slim.get_unique_variable("conv1/weights")


def test_variable_rejects_partitioner_and_accepts_custom_getter(graph):
    with pytest.raises(ValueError, match="partitioner"):
        slim.variable("w", [2], partitioner=lambda shape, dtype: [1])
    calls = []

    def getter(name, reuse=None, **kwargs):
        calls.append((name, reuse, kwargs["shape"]))
        return kv.creation.get_variable(name, **kwargs)

    v = slim.variable("g", [2], custom_getter=getter)
    assert v.path == "g" and calls == [("g", None, [2])]


def test_variable_device_accepts_a_device_chooser(graph):
    v = slim.variable("w", [1], device=slim.VariableDeviceChooser())
    assert "CPU:0" in v.value.device


def test_local_and_global_variables_are_not_trainable_and_named_by_name_scope(graph):
    with slim.name_scope("accuracy"):
        total = slim.local_variable(0.0, name="total")
        count = slim.local_variable(np.zeros(2, np.float32), name="total")
    g = slim.global_variable(np.int64(3))
    assert total.path == "accuracy/total" and count.path == "accuracy/total_1"
    assert total.dtype == "float32" and not total.trainable
    assert paths(slim.get_local_variables()) == ["accuracy/total", "accuracy/total_1"]
    assert g.path == "Variable" and not g.trainable and int(g.numpy()) == 3
    assert paths(slim.get_variables()) == ["Variable"]


def test_add_model_variable_adds_once(graph):
    v = slim.variable("w", [1])
    slim.add_model_variable(v)
    slim.add_model_variable(v)
    assert slim.get_model_variables() == [v]


def test_unowned_variables_work_in_a_functional_graph_through_keras_ops(graph):
    x = keras.Input((3,))
    w = slim.variable("scale", initializer=np.ones(3, np.float32))
    model = keras.Model(x, keras.ops.multiply(x, w))
    w.assign([2.0, 2.0, 2.0])
    np.testing.assert_array_equal(model(np.ones((1, 3), np.float32)), [[2.0, 2.0, 2.0]])
    assert kv.get_unowned_variables() == [w]


# ------------------------------------------------------------------ queries
def test_get_variables_scope_is_a_prefix_regex(graph):
    small_net()
    assert paths(slim.get_variables("conv1")) == [
        "conv1/weights",
        "conv1/biases",
        "conv10/weights",
        "conv10/biases",
    ]
    assert paths(slim.get_variables("conv1/")) == ["conv1/weights", "conv1/biases"]
    assert paths(slim.get_variables(suffix="biases")) == [
        "conv1/biases",
        "conv10/biases",
        "logits/biases",
    ]
    assert paths(slim.get_variables("conv1", suffix="weights")) == [
        "conv1/weights",
        "conv10/weights",
    ]
    assert paths(slim.get_variables_by_suffix("weights", "logits")) == ["logits/weights"]
    assert paths(slim.get_variables_by_name("biases")) == [
        "conv1/biases",
        "conv10/biases",
        "logits/biases",
    ]


def test_get_variables_accepts_a_variable_scope_object(graph):
    with slim.variable_scope("net") as sc:
        slim.variable("a", [1])
    slim.variable("b", [1])
    assert paths(slim.get_variables(sc)) == ["net/a"]


def test_get_variables_to_restore_include_exclude(graph):
    small_net()
    assert paths(slim.get_variables_to_restore(exclude=["logits"])) == [
        "conv1/weights",
        "conv1/biases",
        "conv10/weights",
        "conv10/biases",
    ]
    assert paths(
        slim.get_variables_to_restore(include=["conv10", "logits"], exclude=["logits/biases"])
    ) == ["conv10/weights", "conv10/biases", "logits/weights"]
    with pytest.raises(TypeError, match="include is provided but is not a list or a tuple."):
        slim.get_variables_to_restore(include="conv1")
    with pytest.raises(TypeError, match="exclude is provided but is not a list or a tuple."):
        slim.get_variables_to_restore(exclude="conv1")


def test_get_unique_variable_errors(graph):
    small_net()
    assert slim.get_unique_variable("conv1/biases").path == "conv1/biases"
    with pytest.raises(ValueError, match="Couldn't find variable nothere"):
        slim.get_unique_variable("nothere")
    with pytest.raises(ValueError, match="Variable conv does not uniquely identify"):
        slim.get_unique_variable("conv")


def test_get_variable_full_name_for_keras_and_tf_variables(graph):
    assert slim.get_variable_full_name(slim.variable("a/b", [1])) == "a/b"
    assert slim.get_variable_full_name(tf.Variable(1.0, name="tfvar")) == "tfvar"


def test_filter_variables_search_and_match(graph):
    small_net()
    variables = slim.get_model_variables()
    got = slim.filter_variables(
        variables, include_patterns=["conv"], exclude_patterns=["biases", "conv10"]
    )
    assert paths(got) == ["conv1/weights"]
    assert paths(slim.filter_variables(variables, ["weights"], reg_search=False)) == []
    assert paths(slim.filter_variables(variables, [r"weights:0$"])) == [
        "conv1/weights",
        "conv10/weights",
        "logits/weights",
    ]


# -------------------------------------------------------------- global step
def test_get_or_create_global_step_creates_int64_scalar_once(graph):
    assert slim.get_global_step() is None
    with slim.name_scope("net"):
        step = slim.get_or_create_global_step()
    assert step.path == "global_step" and step.dtype == "int64" and step.shape == ()
    assert not step.trainable
    assert slim.get_or_create_global_step() is step
    assert slim.get_collection(slim.GraphKeys.GLOBAL_STEP) == [step]
    assert paths(slim.get_variables()) == ["global_step"]
    assert kv.get_unowned_variables() == []
    with pytest.raises(ValueError, match='"global_step" already exists.'):
        slim.create_global_step()


def test_global_step_created_in_a_variable_scope_is_named_in_it_as_tf1(graph):
    # TF1's create_global_step uses get_variable: the variable scope prefixes the name
    # (tf_slim's NASNet build creates cell_stem_0/comb_iter_0/left/global_step).
    with tf.compat.v1.variable_scope("cell_0"):
        with tf.compat.v1.variable_scope("left"):
            step = slim.get_or_create_global_step()
    assert step.path == "cell_0/left/global_step"
    assert slim.get_global_step() is step
    assert slim.get_or_create_global_step() is step
    assert paths(slim.get_variables()) == ["cell_0/left/global_step"]
    assert slim.get_model_variables() == [] and slim.get_trainable_variables() == []


def test_register_global_step_replaces_the_created_one(graph):
    step = slim.create_global_step()
    step.assign(5)
    iterations = keras.Variable(0, dtype="int64", trainable=False, name="iteration")
    kv.register_global_step(iterations)
    assert slim.get_global_step() is iterations and int(iterations.numpy()) == 5
    assert all(v is not step for v in slim.get_variables())


def test_assert_global_step_type_errors(graph):
    slim.assert_global_step(tf.constant(1, tf.int64))
    with pytest.raises(TypeError, match="must be a Variable or Tensor: 3."):
        slim.assert_global_step(3)
    with pytest.raises(TypeError, match="does not have integer type"):
        slim.assert_global_step(tf.constant(1.0))
    with pytest.raises(TypeError, match="is not scalar"):
        slim.assert_global_step(tf.constant([1, 2]))
    step = slim.create_global_step()
    assert slim.assert_or_get_global_step() is step
    t = tf.constant(3, tf.int32)
    assert slim.assert_or_get_global_step(global_step_tensor=t) is t


def test_get_global_step_with_several_in_collection_logs_and_returns_none(graph, caplog):
    slim.add_to_collection(slim.GraphKeys.GLOBAL_STEP, tf.constant(1, tf.int64))
    slim.add_to_collection(slim.GraphKeys.GLOBAL_STEP, tf.constant(2, tf.int64))
    with caplog.at_level(logging.ERROR, logger="kslim"):
        assert slim.get_global_step() is None
    assert "Multiple tensors in global_step collection." in caplog.text


# ------------------------------------------------------------ device chooser
def test_variable_device_chooser_strings_match_slim():
    assert slim.VariableDeviceChooser()(None) == "/device:CPU:0"
    chooser = slim.VariableDeviceChooser(2)
    assert [chooser(None) for _ in range(3)] == [
        "/job:ps/task:0/device:CPU:0",
        "/job:ps/task:1/device:CPU:0",
        "/job:ps/task:0/device:CPU:0",
    ]
    gpu = slim.VariableDeviceChooser(1, job_name="w", device_type="GPU", device_index=1, replica=2)
    assert gpu(None) == "/job:w/replica:2/task:0/device:GPU:1"
    with tf.device(slim.VariableDeviceChooser()(None)):
        assert "CPU" in tf.constant(1.0).device
    with pytest.raises(ValueError, match="num_tasks"):
        slim.VariableDeviceChooser(-1)


# ---------------------------------------------------------------- assignment
def test_assign_from_values_reshapes_and_checks_names(graph):
    small_net()
    assign, feed = slim.assign_from_values({"logits/biases": np.arange(3.0).reshape(1, 3)})
    assert feed == {}
    assign()
    np.testing.assert_array_equal(slim.get_unique_variable("logits/biases").numpy(), [0, 1, 2])
    with pytest.raises(ValueError, match="Variable nothere wasn't found"):
        slim.assign_from_values({"nothere": 1.0})
    with pytest.raises(ValueError, match="doesn't uniquely identify"):
        slim.assign_from_values({"conv": 1.0})
    fn = slim.assign_from_values_fn({"conv1/biases": [7.0, 7.0]})
    fn(None)
    np.testing.assert_array_equal(slim.get_unique_variable("conv1/biases").numpy(), [7, 7])


@pytest.fixture
def net_ckpt(graph, tmp_path):
    """small_net's variables saved with +1, and the untouched model."""
    model = small_net()
    values = {v.path: v.numpy() + 1.0 for v in model.weights}
    prefix = str(tmp_path / "model.ckpt-12")
    save_variables(prefix, values)
    return model, values, prefix


def test_assign_from_checkpoint_fn_restores_list_by_name(net_ckpt):
    model, values, prefix = net_ckpt
    init_fn = slim.assign_from_checkpoint_fn(prefix, slim.get_model_variables())
    assert sorted(init_fn(model)) == sorted(values)
    for v in model.weights:
        np.testing.assert_array_equal(v.numpy(), values[v.path])


def test_assign_from_checkpoint_fn_dict_renames_scopes(net_ckpt):
    model, values, prefix = net_ckpt
    with slim.variable_scope("renamed"):
        w = slim.variable("weights", [3, 3, 1, 2])
    slim.assign_from_checkpoint_fn(prefix, {"conv1/weights": w})(None)
    np.testing.assert_array_equal(w.numpy(), values["conv1/weights"])


def test_assign_from_checkpoint_fn_empty_var_list_raises(net_ckpt):
    _, _, prefix = net_ckpt
    with pytest.raises(ValueError, match="var_list cannot be empty"):
        slim.assign_from_checkpoint_fn(prefix, [])


def test_assign_from_checkpoint_fn_missing_lists_all_and_restores_nothing(net_ckpt):
    model, _, prefix = net_ckpt
    extra1 = slim.variable("extra1", [1])
    extra2 = slim.variable("extra2", [1])
    before = {v.path: v.numpy() for v in model.weights}
    init_fn = slim.assign_from_checkpoint_fn(prefix, slim.get_variables())
    with pytest.raises(CheckpointError, match=r"missing variables \['extra1', 'extra2'\]"):
        init_fn(model)
    for v in model.weights:
        np.testing.assert_array_equal(v.numpy(), before[v.path])
    assert extra1.path and extra2.path


def test_assign_from_checkpoint_fn_ignore_missing_warns_and_returns_none_when_empty(
    net_ckpt, caplog
):
    model, values, prefix = net_ckpt
    extra = slim.variable("extra", [1])
    with caplog.at_level(logging.WARNING, logger="kslim"):
        init_fn = slim.assign_from_checkpoint_fn(
            prefix, slim.get_variables(), ignore_missing_vars=True
        )
        assert f"Variable extra missing in checkpoint {prefix}" in caplog.text
        init_fn(model)
        np.testing.assert_array_equal(model.weights[0].numpy(), values[model.weights[0].path])
        assert slim.assign_from_checkpoint_fn(prefix, [extra], ignore_missing_vars=True) is None
    assert "No Variables to restore" in caplog.text


def test_assign_from_checkpoint_fn_shape_mismatch_names_variable_and_shapes(net_ckpt):
    _, _, prefix = net_ckpt
    with slim.variable_scope("other"):
        wrong = slim.variable("w", [9, 2])
    init_fn = slim.assign_from_checkpoint_fn(prefix, {"conv1/weights": wrong})
    with pytest.raises(CheckpointError, match=r"conv1/weights.*\[3, 3, 1, 2\].*\[9, 2\]"):
        init_fn(None)
    reshaped = slim.variable("flat", [18, 1])
    slim.assign_from_checkpoint_fn(prefix, {"conv1/weights": reshaped}, reshape_variables=True)(
        None
    )
    assert reshaped.shape == (18, 1)


def test_assign_from_checkpoint_fn_missing_file_names_it(graph, tmp_path):
    v = slim.variable("w", [1])
    with pytest.raises(CheckpointError, match="nothere.index"):
        slim.assign_from_checkpoint_fn(str(tmp_path / "nothere"), [v])(None)


def test_assign_from_checkpoint_reads_now_and_assigns_on_call(net_ckpt):
    model, values, prefix = net_ckpt
    assign, feed = slim.assign_from_checkpoint(prefix, slim.get_model_variables())
    assert feed == {}
    assign()
    for v in model.weights:
        np.testing.assert_array_equal(v.numpy(), values[v.path])
    extra = slim.variable("extra", [1])
    with pytest.raises(CheckpointError, match=r"missing variables \['extra'\]"):
        slim.assign_from_checkpoint(prefix, [extra])
    assign, _ = slim.assign_from_checkpoint(prefix, [extra], ignore_missing_vars=True)
    assign()


def test_restore_from_slim_checkpoint_filters_and_keeps_excluded(net_ckpt):
    model, values, prefix = net_ckpt
    before = {v.path: v.numpy() for v in model.weights}
    restored = kv.restore_from_slim_checkpoint(model, prefix, exclude=["logits"])
    assert sorted(restored) == sorted(p for p in values if not p.startswith("logits"))
    for v in model.weights:
        expected = before[v.path] if v.path.startswith("logits") else values[v.path]
        np.testing.assert_array_equal(v.numpy(), expected)
    assert kv.restore_from_slim_checkpoint(model, prefix, include=["conv10/"]) == [
        "conv10/biases",
        "conv10/weights",
    ]
    with pytest.raises(TypeError, match="include is provided but is not a list"):
        kv.restore_from_slim_checkpoint(model, prefix, include="conv1")
