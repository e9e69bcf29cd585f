"""tf.compat.v1 scopes, variables, collections and summaries in slim model code
(``kslim.ops.tf1_compat``).

Parity with tf_slim of the same idioms is in tests/peer/test_parity_tf1_scopes.py.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.ops import tf1_compat

v1 = tf.compat.v1


def _paths(key=slim.GraphKeys.GLOBAL_VARIABLES):
    return [v.path for v in slim.get_collection(key)]


# ------------------------------------------------------------ installation
def test_every_tf_compat_v1_namespace_dispatches_to_kslim():
    import tensorflow.compat.v1 as tf_v1

    assert tf1_compat.installed()
    for module in (tf.compat.v1, tf_v1, tf.compat.v2.compat.v1):
        for name in ("variable_scope", "get_variable", "get_collection", "make_template"):
            assert getattr(getattr(module, name), "_kslim_impl", None) is not None, name
        assert module.summary.scalar._kslim_impl is not None


def test_uninstall_restores_tf_functions_and_install_is_idempotent():
    tf1_compat.install()
    dispatcher = tf.compat.v1.variable_scope
    try:
        tf1_compat.uninstall()
        assert not tf1_compat.installed()
        assert tf.compat.v1.variable_scope is dispatcher._kslim_original
    finally:
        tf1_compat.install()
    assert tf1_compat.installed()
    assert tf.compat.v1.variable_scope._kslim_original is dispatcher._kslim_original


def test_tf1_graph_mode_gets_tensorflows_own_scopes_variables_and_collections():
    with slim.Graph().as_default():
        with tf.Graph().as_default() as graph:
            with v1.variable_scope("tf1"):
                w = v1.get_variable("w", [2], initializer=v1.zeros_initializer())
            v1.add_to_collection("mine", w)
            assert isinstance(w, tf.Variable) and w.op.name == "tf1/w"
            assert v1.global_variables() == [w]
            assert v1.get_collection("mine") == [w]
            assert graph.get_collection("mine") == [w]
        assert _paths() == []
        assert slim.get_collection("mine") == []


# ------------------------------------------------------------------ scopes
def test_tf1_variable_scope_inside_a_kslim_scope_names_layers():
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 3), batch_size=1)
        with slim.variable_scope("outer"):
            with v1.variable_scope("inner"):
                slim.conv2d(x, 2, 1)
        assert _paths() == ["outer/inner/Conv/weights", "outer/inner/Conv/biases"]


def test_kslim_variable_scope_takes_a_list_in_the_third_position_as_values():
    with slim.Graph().as_default():
        x = keras.Input((4,), batch_size=1)
        with slim.variable_scope(None, "Conv", [x]) as sc:
            assert sc.name == "Conv" and sc.reuse is None
        with slim.variable_scope("a", "A", [x], reuse=True) as sc:
            assert sc.reuse is True


def test_bad_reuse_names_the_argument_and_value():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="reuse must be None, True, False or AUTO_REUSE"):
            with v1.variable_scope("a", reuse="yes"):
                pass
        with pytest.raises(ValueError, match="partitioner"):
            with v1.variable_scope("a", partitioner=lambda *a: [1]):
                pass
        with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
            with v1.variable_scope(None, "D", reuse=v1.AUTO_REUSE):
                pass


def test_reentered_scope_object_keeps_its_original_name_scope():
    with slim.Graph().as_default():
        with v1.variable_scope("vs") as vs:
            pass
        with v1.variable_scope(vs) as again:
            assert again.name == "vs"
            assert again.original_name_scope == "vs/"
            assert slim.ops.variable_scope.current_name_scope(slim.get_default_graph()) == "vs_1/"


def test_auxiliary_name_scope_false_opens_no_name_scope():
    with slim.Graph().as_default():
        graph = slim.get_default_graph()
        with v1.name_scope("ns"):
            with v1.variable_scope("vs", auxiliary_name_scope=False) as sc:
                assert sc.name == "vs"
                assert sc.original_name_scope == "ns/"
                assert slim.ops.variable_scope.current_name_scope(graph) == "ns/"


def test_name_scope_none_resets_to_the_root_as_tf1():
    with slim.Graph().as_default():
        graph = slim.get_default_graph()
        with v1.name_scope("a"):
            with v1.name_scope(None):
                assert slim.ops.variable_scope.current_name_scope(graph) == ""
            with v1.name_scope(None, "Default", []):
                assert slim.ops.variable_scope.current_name_scope(graph) == "a/Default/"


def test_get_variable_scope_reuse_variables_at_root_reuses_layers():
    with slim.Graph().as_default():
        x = tf.ones((1, 3))
        a = slim.fully_connected(x, 2, scope="fc")
        v1.get_variable_scope().reuse_variables()
        b = slim.fully_connected(x, 2, scope="fc")
        np.testing.assert_allclose(a, b)
        assert _paths() == ["fc/weights", "fc/biases"]


def test_improper_nesting_of_scopes_raises():
    with slim.Graph().as_default():
        outer = v1.variable_scope("a")
        outer.__enter__()
        inner = v1.variable_scope("b")
        inner.__enter__()
        with pytest.raises(RuntimeError, match="Improper nesting"):
            outer.__exit__(None, None, None)


# ------------------------------------------------------------- get_variable
def test_get_variable_uses_scope_defaults_and_is_kslim_tracked():
    with slim.Graph().as_default():
        calls = []

        def getter(next_getter, name, *args, **kwargs):
            calls.append(name)
            return next_getter(name, *args, **kwargs)

        with v1.variable_scope("s", initializer=v1.constant_initializer(0.5), custom_getter=getter):
            w = v1.get_variable("w", [2], constraint=lambda t: t)
            v1.get_variable("n", [1], trainable=False)
        assert isinstance(w, keras.Variable) and w.path == "s/w"
        np.testing.assert_allclose(w.numpy(), [0.5, 0.5])
        assert w.constraint is not None
        assert calls == ["w", "n"]
        assert _paths() == ["s/w", "s/n"]
        assert _paths(slim.GraphKeys.TRAINABLE_VARIABLES) == ["s/w"]
        assert [v.path for v in v1.trainable_variables()] == ["s/w"]
        assert [v.path for v in slim.variables.get_unowned_variables()] == ["s/w", "s/n"]


def test_get_variable_reuse_and_errors_follow_tf1():
    with slim.Graph().as_default():
        with v1.variable_scope("s"):
            w = v1.get_variable("w", [2])
        with v1.variable_scope("s", reuse=True):
            assert v1.get_variable("w") is w
            with pytest.raises(ValueError, match="Variable s/u does not exist"):
                v1.get_variable("u", [1])
        with v1.variable_scope("s", reuse=v1.AUTO_REUSE):
            assert v1.get_variable("w", [2]) is w
        with v1.variable_scope("s"):
            with pytest.raises(ValueError, match="Variable s/w already exists"):
                v1.get_variable("w", [2])


def test_get_variable_regularizer_reaches_regularization_losses():
    with slim.Graph().as_default():
        with v1.variable_scope("s", regularizer=slim.l2_regularizer(1.0)):
            v1.get_variable("w", initializer=np.array([3.0, 4.0], np.float32))
        (penalty,) = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
        assert float(penalty) == pytest.approx(12.5)


# -------------------------------------------------------------- collections
def test_tf1_collections_are_the_kslim_graphs():
    with slim.Graph().as_default():
        x = keras.Input((3,), batch_size=2)
        net = slim.fully_connected(x, 2, scope="fc")
        extra = keras.ops.mean(net)
        v1.add_to_collection(v1.GraphKeys.LOSSES, extra)
        v1.add_to_collections(["a", "b"], net)
        assert slim.get_collection(slim.GraphKeys.LOSSES) == [extra]
        assert v1.get_collection("a") == [net] and v1.get_collection_ref("b") == [net]
        assert [v.path for v in v1.get_collection(v1.GraphKeys.MODEL_VARIABLES)] == [
            "fc/weights",
            "fc/biases",
        ]
        assert [v.path for v in v1.model_variables("fc/w")] == ["fc/weights"]
        assert slim.losses.get_losses() == [extra]


# ---------------------------------------------------------------- tf.function
def _net(x):
    with v1.variable_scope(None, "Net", [x]):
        net = slim.conv2d(x, 2, 3)
        net = slim.conv2d(net, 2, 3)
        net = slim.flatten(net)
        with v1.variable_scope("proj"):
            w = v1.get_variable("w", [int(net.shape[-1]), 3])
        logits = tf.matmul(net, w)
    return logits


def test_retraced_tf_function_reuses_layers_and_variables_with_the_same_names():
    x = tf.random.normal((2, 5, 5, 1))
    with slim.Graph().as_default():

        @tf.function
        def step(images, k):
            logits = _net(images)
            slim.losses.softmax_cross_entropy(logits, tf.one_hot([0, 1], 3))
            return slim.losses.get_total_loss()

        first = step(x, 0)
        names = _paths()
        second = step(x, 1)
        assert step.experimental_get_tracing_count() >= 2
        assert (
            _paths()
            == names
            == [
                "Net/Conv/weights",
                "Net/Conv/biases",
                "Net/Conv_1/weights",
                "Net/Conv_1/biases",
                "Net/proj/w",
            ]
        )
        np.testing.assert_allclose(first, second)
        # Only the latest trace's loss is in the collection.
        assert len(slim.get_collection(slim.GraphKeys.LOSSES)) == 1


def test_building_twice_in_one_trace_still_raises_already_exists():
    with slim.Graph().as_default():

        @tf.function
        def twice(images):
            slim.conv2d(images, 2, 1, scope="c")
            return slim.conv2d(images, 2, 1, scope="c")

        with pytest.raises(ValueError, match="Variable c/weights already exists"):
            twice(tf.ones((1, 3, 3, 1)))


# ---------------------------------------------------------------- templates
def test_make_template_keeps_the_nets_scopes_and_lists_variables_in_the_caller_graph():
    x = tf.ones((1, 5, 5, 1))
    with slim.Graph().as_default():
        template = v1.make_template("lenet", _net)
        assert isinstance(template, slim.Template)
        a, b = template(x), template(x)
        np.testing.assert_allclose(a, b)
        expected = {
            "lenet/Net/Conv/weights",
            "lenet/Net/Conv/biases",
            "lenet/Net/Conv_1/weights",
            "lenet/Net/Conv_1/biases",
            "lenet/Net/proj/w",
        }
        assert {v.path for v in template.weights} == expected
        assert set(_paths()) == expected


# ---------------------------------------------------------------- summaries
def test_tf1_summaries_are_recorded_hashable_and_merged():
    with slim.Graph().as_default():
        x = keras.Input((3,), batch_size=2)
        net = slim.fully_connected(x, 2, scope="fc")
        summaries = set(v1.get_collection(v1.GraphKeys.SUMMARIES))
        summaries.add(v1.summary.histogram("activations/fc", net))
        summaries.add(v1.summary.scalar("sparsity/fc", tf.nn.zero_fraction(net)))
        with v1.name_scope("outer"):
            image = v1.summary.image("img", keras.ops.reshape(x, (2, 3, 1, 1)))
        merged = v1.summary.merge(list(summaries) + [image], name="summary_op")
        assert {entry.tag for entry in merged} == {"activations/fc", "sparsity/fc", "outer/img"}
        assert [e.tag for e in v1.summary.merge_all()] == [
            "activations/fc",
            "sparsity/fc",
            "outer/img",
        ]
        assert v1.summary.scalar("sparsity/fc", keras.ops.mean(net)).tag == "sparsity/fc_1"
        assert list(slim.utils.convert_collection_to_dict(v1.GraphKeys.SUMMARIES))[-1] == (
            "sparsity/fc_1"
        )


def test_tf1_summary_bad_input_names_the_argument():
    with slim.Graph().as_default():
        x = keras.Input((3,), batch_size=2)
        with pytest.raises(ValueError, match="tensor must be a scalar, got shape"):
            v1.summary.scalar("s", x)
        with pytest.raises(ValueError, match="name must be a non-empty string"):
            v1.summary.histogram("", x)
        with pytest.raises(ValueError, match="max_outputs must be a positive int"):
            v1.summary.image("i", x, max_outputs=0)
        with pytest.raises(TypeError, match="inputs must be summaries"):
            v1.summary.merge([x])


def test_learning_train_writes_tf1_summaries_of_model_code(tmp_path):
    from tests.learning._train_utils import dataset, read_events

    with slim.Graph().as_default():
        images, labels = slim.data.inputs(dataset())
        hidden = slim.fully_connected(images, 8, scope="fc1")
        logits = slim.fully_connected(hidden, 3, activation_fn=None, scope="fc2")
        v1.summary.histogram("activations/fc1", hidden)
        v1.summary.scalar("sparsity/fc1", tf.nn.zero_fraction(hidden))
        loss = slim.losses.softmax_cross_entropy(logits, labels)
        v1.summary.scalar("losses/%s" % loss.op.name, loss)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), v1.train.GradientDescentOptimizer(0.1)
        )
        slim.learning.train(train_op, str(tmp_path), number_of_steps=2)
    tags = {tag for _, tag, _, _ in read_events(str(tmp_path))}
    assert {"activations/fc1", "sparsity/fc1", f"losses/{loss.op.name}"} <= tags


def test_retraced_tf_function_reuses_local_variables():
    with slim.Graph().as_default():

        @tf.function
        def count(x, k):
            total = slim.local_variable(0.0, name="total")
            return x + total

        count(tf.constant(1.0), 0)
        count(tf.constant(1.0), 1)
        assert _paths(slim.GraphKeys.LOCAL_VARIABLES) == ["total"]


def test_evaluate_once_writes_tf1_summaries_and_takes_a_merged_summary_op(tmp_path):
    from tests.test_evaluation import _events, _Model, _save

    path = _save(str(tmp_path), 7)
    with slim.Graph().as_default():
        m = _Model()
        v1.summary.scalar("eval/accuracy", m.values["accuracy"])
        count = v1.summary.scalar("eval/count", m.values["count"])
        slim.evaluation.evaluate_once(
            "", path, str(tmp_path / "all"), num_evals=2, eval_op=m.updates
        )
        slim.evaluation.evaluate_once(
            "",
            path,
            str(tmp_path / "merged"),
            num_evals=2,
            eval_op=m.updates,
            summary_op=v1.summary.merge([count]),
        )
    assert [(s, t) for s, t, _ in _events(str(tmp_path / "all"))] == [
        (7, "eval/accuracy"),
        (7, "eval/count"),
    ]
    assert _events(str(tmp_path / "merged")) == [(7, "eval/count", 16.0)]


def test_ops_traced_in_tf_function_have_slims_op_names():
    names = {}
    with slim.Graph().as_default():

        @tf.function
        def net_fn(x, k):
            with v1.variable_scope("StatsNet", "StatsNet", [x]):
                net = slim.conv2d(x, 2, 1, scope="conv1")
                names["conv"] = net.op.name
                net = slim.conv2d(net, 2, 1, normalizer_fn=slim.batch_norm, scope="bn")
                names["bn"] = net.op.name
                names["identity"] = tf.identity(net, name="features").op.name
            with v1.variable_scope("StatsNet", reuse=True):
                names["reentered"] = slim.conv2d(x, 2, 1, scope="conv1").op.name
            return net

        net_fn(tf.ones((1, 4, 4, 1)), 0)
        net_fn(tf.ones((1, 4, 4, 1)), 1)
    assert names == {
        "conv": "StatsNet/conv1/Relu",
        "bn": "StatsNet/bn/Relu",
        "identity": "StatsNet/features",
        "reentered": "StatsNet_1/conv1/Relu",
    }


def test_explicit_custom_getter_replaces_the_scopes_and_sees_the_scopes_reuse():
    seen = []

    def scope_getter(getter, name, *args, **kwargs):
        seen.append(("scope", name))
        return getter(name, *args, **kwargs)

    def own_getter(getter, name, *args, **kwargs):
        seen.append(("own", name, kwargs["reuse"]))
        return getter(name, *args, **kwargs)

    with slim.Graph().as_default():
        with v1.variable_scope("s", custom_getter=scope_getter):
            w = v1.get_variable("w", [1], custom_getter=own_getter)
        with v1.variable_scope("s", reuse=True):
            assert v1.get_variable("w", custom_getter=own_getter) is w
    assert seen == [("own", "w", None), ("own", "w", True)]
