"""TF functions on kslim/Keras symbolic tensors become layers of the functional graph."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.ops.tf_op_layer import TFOpLayer, resolve_tf_symbol, tf_symbol_name

X = np.random.default_rng(0).standard_normal((2, 6, 6, 4)).astype(np.float32)


def _model(fn, shape=(6, 6, 4), dtype="float32"):
    with slim.Graph().as_default():
        x = keras.Input(shape, dtype=dtype, name="x")
        return keras.Model(x, fn(x))


def _tf_op_layers(model):
    return [layer for layer in model.layers if isinstance(layer, TFOpLayer)]


def _same(model, fn, x=X):
    got = model(x)
    want = fn(tf.constant(x))
    for g, w in zip(tf.nest.flatten(got), tf.nest.flatten(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tf.concat([x, x], 3),
        lambda x: tf.concat(axis=3, values=[x, tf.nn.relu(x)]),
        lambda x: tf.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]]),
        lambda x: tf.squeeze(tf.reduce_mean(x, [1, 2], keepdims=True), [1, 2]),
        lambda x: tf.compat.v1.squeeze(
            tf.compat.v1.reduce_mean(x, [1, 2], keep_dims=True), squeeze_dims=[1]
        ),
        lambda x: tf.identity(tf.clip_by_value(tf.nn.relu6(x * 4.0), 0.5, 5.0)),
        lambda x: tf.transpose(tf.nn.softmax(x), [0, 3, 1, 2]),
        lambda x: tf.expand_dims(tf.cast(x > 0, tf.int32), 1),
        lambda x: tf.nn.lrn(x, depth_radius=2, bias=1.0, alpha=0.1, beta=0.75),
        lambda x: tf.image.resize(x, [9, 9], method="nearest"),
        lambda x: tf.compat.v1.image.resize_bilinear(x, [3, 3], align_corners=True),
    ],
    ids=[
        "concat",
        "concat_v1_keywords",
        "pad",
        "squeeze_reduce_mean",
        "v1_keep_dims_squeeze_dims",
        "identity_clip_relu6",
        "transpose_softmax",
        "expand_dims_cast",
        "lrn",
        "image_resize",
        "v1_resize_bilinear",
    ],
)
def test_tf_functions_on_symbolic_tensors_compute_what_tf_computes(fn):
    model = _model(fn)
    assert _tf_op_layers(model), "the TF calls are layers of the model"
    _same(model, fn)


def test_tensors_nested_in_lists_are_layer_inputs():
    fn = lambda x: tf.add_n([x, 2.0 * x, tf.reshape(x, [tf.shape(x)[0], 6, 6, 4])])  # noqa: E731
    model = _model(fn)
    _same(model, fn)


def test_dynamic_shapes_follow_the_batch_at_run_time():
    model = _model(lambda x: tf.reshape(x, [tf.shape(x)[0], -1]))
    assert model.output.shape == (None, None)
    for batch in (1, 3):
        assert model(np.zeros((batch, 6, 6, 4), np.float32)).shape == (batch, 144)


def test_multiple_outputs_split_unstack_moments():
    def fn(x):
        a, b = tf.split(x, 2, axis=3)
        rows = tf.unstack(x, axis=1)
        mean, variance = tf.nn.moments(x, [1, 2])
        return [a, b, rows[0], rows[-1], mean, variance]

    model = _model(fn)
    assert [tuple(t.shape) for t in model.outputs] == [
        (None, 6, 6, 2),
        (None, 6, 6, 2),
        (None, 6, 4),
        (None, 6, 4),
        (None, 4),
        (None, 4),
    ]
    _same(model, fn)


def test_output_shapes_and_dtypes_come_from_tf_shape_inference():
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 4))
        assert tf.pad(x, [[0, 0], [1, 2], [0, 0], [0, 0]]).shape == (None, 9, 6, 4)
        assert tf.cast(x, tf.int32).dtype == "int32"
        assert tf.cast(x, tf.float64).dtype.base_dtype == tf.float64
        assert tf.shape(x).shape == (4,) and tf.shape(x).dtype == "int32"
        assert tf.concat(axis=1, values=[x, x]).shape == (None, 12, 6, 4)


def test_layer_config_names_the_tf_symbol():
    model = _model(
        lambda x: tf.compat.v1.squeeze(tf.concat([tf.nn.relu(x), x], 3)[:, :1], squeeze_dims=[1])
    )
    symbols = [layer.get_config()["symbol"] for layer in _tf_op_layers(model)]
    assert symbols == ["nn.relu", "concat", "compat.v1.squeeze"]
    assert resolve_tf_symbol("nn.relu") is tf.nn.relu


def test_v1_functions_are_saved_under_the_name_whose_argument_order_was_used():
    # tf.compat.v1.pad(tensor, paddings, mode, name, constant_values): v2 pad swaps the last two.
    fn = lambda x: tf.compat.v1.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], "CONSTANT", "p", 3.0)  # noqa: E731
    model = _model(fn)
    clone = keras.models.clone_model(model)
    _same(clone, fn)
    assert tf_symbol_name(tf.compat.v1.pad) == "compat.v1.pad"


def test_model_with_tf_ops_saves_to_keras_and_loads_back(tmp_path):
    def fn(x):
        net = slim.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 3, padding="VALID")
        a, b = tf.split(net, [1, 2], axis=3)
        net = tf.concat(axis=3, values=[b, a, tf.cast(tf.zeros_like(a), tf.float32)])
        return tf.compat.v1.reduce_mean(net, [1, 2], keep_dims=False, name="pool")

    model = _model(fn)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(X), model(X), rtol=1e-6)


def test_saved_model_loads_in_a_process_that_only_imports_kslim(tmp_path):
    model = _model(lambda x: tf.nn.relu6(tf.compat.v1.squeeze(x[:, :1], squeeze_dims=[1])))
    path = str(tmp_path / "m.keras")
    model.save(path)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", np.asarray(model(X)))
    code = (
        "import numpy as np, keras, kslim\n"
        f"m = keras.models.load_model({path!r})\n"
        f"np.testing.assert_allclose(m(np.load({str(tmp_path / 'x.npy')!r})), "
        f"np.load({str(tmp_path / 'y.npy')!r}), rtol=1e-6)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]


def test_config_arguments_round_trip_through_json():
    def fn(x):
        net = tf.pad(x, np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32), mode="REFLECT")
        return tf.cast(net, dtype=tf.float16)[:, 1:-1, ::2]

    model = _model(fn)
    config = json.loads(json.dumps(model.get_config()))
    rebuilt = keras.Model.from_config(config)
    _same(rebuilt, fn)
    assert rebuilt.output.dtype == "float16"


def test_fit_trains_weights_behind_tf_ops():
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 4))
        net = slim.conv2d(x, 3, 3, scope="conv1")
        net = tf.reduce_mean(tf.nn.relu(tf.concat([net, -net], 3)), [1, 2])
        model = keras.Model(x, slim.fully_connected(net, 2, activation_fn=None, scope="fc"))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.numpy() for w in model.trainable_weights]
    model.fit(X, np.ones((2, 2), np.float32), epochs=2, verbose=0)
    assert all(
        not np.allclose(b, w.numpy()) for b, w in zip(before, model.trainable_weights, strict=True)
    )


def test_variables_given_to_tf_ops_are_trained_with_the_model():
    with slim.Graph().as_default():
        x = keras.Input((4,))
        w = keras.Variable(np.ones((4, 2), np.float32), name="w")
        model = keras.Model(x, tf.matmul(x, w))
    assert any(v is w for v in model.trainable_weights)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(np.ones((3, 4), np.float32), np.zeros((3, 2), np.float32), verbose=0)
    assert not np.allclose(w.numpy(), 1.0)


def test_tf_op_layers_are_named_by_the_name_scope():
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 4))
        with slim.variable_scope("Mixed_5b"):
            a = tf.concat(axis=3, values=[x, x])
            b = tf.concat(axis=3, values=[x, x])
        c = tf.squeeze(x[:, :1], [1], name="squeezed")
    assert (a.op.name, b.op.name, c.op.name) == ("Mixed_5b/concat", "Mixed_5b/concat_1", "squeezed")


def test_tf_ops_on_concrete_tensors_compute_directly():
    y = tf.concat([tf.constant(X), slim.conv2d(tf.constant(X), 2, 1)], 3)
    assert isinstance(y, tf.Tensor) and y.shape == (2, 6, 6, 6)


def test_a_tf_call_that_cannot_be_recorded_names_the_call():
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 4))
        with pytest.raises(ValueError, match=r"tf\.concat cannot be recorded .* eagerly"):
            tf.concat([x, x[:, :3]], 3)


def test_saving_a_tf_op_layer_holding_a_variable_says_what_to_do():
    with slim.Graph().as_default():
        x = keras.Input((4,))
        w = keras.Variable(np.ones((4, 2), np.float32), name="w")
        layer = [
            lay for lay in keras.Model(x, tf.matmul(x, w)).layers if isinstance(lay, TFOpLayer)
        ]
    with pytest.raises(NotImplementedError, match="save the weights"):
        layer[0].get_config()


def test_unknown_symbol_in_a_config_is_named():
    with pytest.raises(ValueError, match="symbol='nn.no_such_op'"):
        TFOpLayer("nn.no_such_op")


def test_export_saved_model_serves_a_model_with_tf_ops(tmp_path):
    def serving_fn(images):
        net = slim.conv2d(tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 3, padding="VALID")
        logits = tf.squeeze(tf.reduce_mean(net, [1, 2], keepdims=True), [1, 2], name="logits")
        return {"logits": logits, "probabilities": tf.nn.softmax(logits)}

    path = slim.export.export_saved_model(
        str(tmp_path / "serving"),
        model_fn=serving_fn,
        input_signature=[tf.TensorSpec([None, 6, 6, 4], tf.float32, name="images")],
    )
    served = tf.saved_model.load(path).signatures["serving_default"]
    out = served(images=tf.constant(X))
    assert out["logits"].shape == (2, 3)
    np.testing.assert_allclose(tf.reduce_sum(out["probabilities"], 1), [1.0, 1.0], rtol=1e-5)
    np.testing.assert_allclose(out["probabilities"], tf.nn.softmax(out["logits"]), rtol=1e-5)


def test_any_tf_activation_after_a_normalizer_is_recorded():
    def fn(x):
        return slim.conv2d(
            x,
            3,
            1,
            normalizer_fn=slim.batch_norm,
            normalizer_params={"is_training": False},
            activation_fn=lambda t: tf.nn.leaky_relu(t, alpha=0.2),
            scope="conv",
        )

    model = _model(fn)
    assert [layer.symbol for layer in _tf_op_layers(model)] == ["nn.leaky_relu"]
    assert model.output.op.name.startswith("conv/")
    got = np.asarray(model(X))
    linear = np.asarray(keras.Model(model.input, model.layers[-2].output)(X))
    np.testing.assert_allclose(got, np.where(linear > 0, linear, 0.2 * linear), rtol=1e-6)
