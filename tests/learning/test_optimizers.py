"""Unit tests of kslim.learning.optimizers (TF1 optimizers as Keras optimizers)."""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from kslim.learning.optimizers import (
    TF1Adagrad,
    TF1Adam,
    TF1Momentum,
    TF1RMSProp,
    optimizer_variables_by_name,
    to_keras_optimizer,
)

train = tf.compat.v1.train


def _variable(path: str, value) -> keras.Variable:
    parent, _, leaf = path.rpartition("/")
    with keras.name_scope(parent):
        return keras.Variable(np.asarray(value, np.float32), name=leaf)


def test_keras_optimizer_is_returned_as_is():
    optimizer = keras.optimizers.Adam(0.01)
    assert to_keras_optimizer(optimizer) is optimizer


def test_gradient_descent_becomes_keras_sgd_with_its_learning_rate_and_name():
    optimizer = to_keras_optimizer(train.GradientDescentOptimizer(0.25, name="GD"))
    assert type(optimizer) is keras.optimizers.SGD
    assert optimizer.momentum == 0.0
    assert optimizer.name == "GD"
    assert float(optimizer.learning_rate) == 0.25


def test_momentum_hyperparameters_are_read():
    optimizer = to_keras_optimizer(train.MomentumOptimizer(0.1, 0.8, use_nesterov=True))
    assert isinstance(optimizer, TF1Momentum)
    assert (optimizer.momentum, optimizer.use_nesterov, optimizer.name) == (0.8, True, "Momentum")
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_rmsprop_hyperparameters_are_read_with_tf1_defaults():
    default = to_keras_optimizer(train.RMSPropOptimizer(0.01))
    assert isinstance(default, TF1RMSProp)
    assert (default.decay, default.momentum, default.epsilon, default.centered) == (
        0.9,
        0.0,
        1e-10,
        False,
    )
    custom = to_keras_optimizer(
        train.RMSPropOptimizer(0.01, decay=0.7, momentum=0.3, epsilon=1e-4, centered=True)
    )
    assert (custom.decay, custom.momentum, custom.epsilon, custom.centered) == (
        0.7,
        0.3,
        1e-4,
        True,
    )


def test_adam_hyperparameters_are_read_from_private_lr():
    optimizer = to_keras_optimizer(train.AdamOptimizer(0.02, beta1=0.5, beta2=0.9, epsilon=0.1))
    assert isinstance(optimizer, TF1Adam)
    assert (optimizer.beta1, optimizer.beta2, optimizer.epsilon) == (0.5, 0.9, 0.1)
    assert float(optimizer.learning_rate) == pytest.approx(0.02)


def test_adagrad_initial_accumulator_value_is_read_and_starts_the_slot():
    optimizer = to_keras_optimizer(train.AdagradOptimizer(0.1, initial_accumulator_value=0.3))
    assert isinstance(optimizer, TF1Adagrad)
    weights = _variable("fc/weights", np.ones((2, 2)))
    optimizer.build([weights])
    np.testing.assert_allclose(optimizer.get_slot(weights, "accumulator").numpy(), 0.3)


def test_adagrad_rejects_non_positive_initial_accumulator_value():
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive: 0.0"):
        TF1Adagrad(0.1, initial_accumulator_value=0.0)


def test_rmsprop_mean_square_starts_at_one_and_momentum_slot_always_exists():
    optimizer = TF1RMSProp(0.1)
    weights = _variable("conv1/weights", np.zeros((3,)))
    optimizer.build([weights])
    np.testing.assert_array_equal(optimizer.get_slot(weights, "rms").numpy(), 1.0)
    np.testing.assert_array_equal(optimizer.get_slot(weights, "momentum").numpy(), 0.0)


def test_unknown_optimizer_raises_type_error_naming_it_and_supported_types():
    with pytest.raises(TypeError) as info:
        to_keras_optimizer(train.FtrlOptimizer(0.1))
    message = str(info.value)
    assert "FtrlOptimizer" in message
    for name in ["GradientDescent", "Momentum", "RMSProp", "Adam", "Adagrad"]:
        assert f"tf.compat.v1.train.{name}Optimizer" in message


def test_subclass_of_a_tf1_optimizer_is_not_converted_silently():
    class MyAdam(train.AdamOptimizer):
        pass

    with pytest.raises(TypeError, match="MyAdam"):
        to_keras_optimizer(MyAdam())


def test_slots_are_named_as_tf1_names_them():
    weights = _variable("conv1/weights", np.zeros((2, 2)))
    biases = _variable("conv1/biases", np.zeros((2,)))
    centered = TF1RMSProp(0.1, centered=True)
    centered.build([weights, biases])
    assert centered.get_slot(weights, "rms").path == "conv1/weights/RMSProp"
    assert centered.get_slot(weights, "mg").path == "conv1/weights/RMSProp_1"
    assert centered.get_slot(weights, "momentum").path == "conv1/weights/RMSProp_2"
    adam = to_keras_optimizer(train.AdamOptimizer(0.1, name="MyAdam"))
    assert sorted(adam.slot_variables_by_tf1_name([weights])) == [
        "beta1_power",
        "beta2_power",
        "conv1/weights/MyAdam",
        "conv1/weights/MyAdam_1",
    ]
    assert sorted(adam.slot_variables_by_tf1_name()) == [
        "beta1_power",
        "beta2_power",
        "conv1/weights/MyAdam",
        "conv1/weights/MyAdam_1",
    ]


def test_slot_variables_by_tf1_name_needs_a_built_optimizer_or_variables():
    optimizer = TF1Momentum(0.1, 0.9)
    with pytest.raises(ValueError, match="not built"):
        optimizer.slot_variables_by_tf1_name()
    weights = _variable("fc/weights", np.zeros((2,)))
    optimizer.build([weights])
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.slot_variables_by_tf1_name([_variable("other/weights", np.zeros((2,)))])
    with pytest.raises(ValueError, match="unknown key='rms'"):
        optimizer.get_slot(weights, "rms")


def test_optimizer_variables_by_name_for_plain_keras_optimizer_skips_bookkeeping():
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    weights = _variable("fc/weights", np.zeros((2,)))
    optimizer.build([weights])
    names = optimizer_variables_by_name(optimizer)
    assert len(names) == 1 and all("iteration" not in name for name in names)
    with pytest.raises(TypeError, match="optimizer="):
        optimizer_variables_by_name(train.AdamOptimizer())


def test_adam_beta_powers_follow_tf1_after_each_step():
    optimizer = TF1Adam(0.1, beta1=0.5, beta2=0.25)
    weights = _variable("fc/weights", np.ones((2,)))
    for _ in range(3):
        optimizer.apply([tf.ones((2,))], [weights])
    named = optimizer.slot_variables_by_tf1_name()
    assert float(named["beta1_power"].numpy()) == 0.5**4
    assert float(named["beta2_power"].numpy()) == 0.25**4


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adam_dense_update_matches_tf1_resource_apply_adam_kernel(dtype):
    # kslim's dense Adam is plain ops (faster on CPU); it must give the fused kernel's numbers.
    rng = np.random.default_rng(0)
    initial = rng.normal(size=(64, 128)).astype(dtype)
    grads = rng.normal(scale=0.1, size=(20, 64, 128)).astype(dtype)
    lr, beta1, beta2, epsilon = 0.01, 0.8, 0.99, 1e-6
    optimizer = TF1Adam(lr, beta1=beta1, beta2=beta2, epsilon=epsilon)
    weights = keras.Variable(initial, name="weights", dtype=dtype)
    var, m, v = (tf.Variable(a) for a in (initial, np.zeros_like(initial), np.zeros_like(initial)))
    # TF1 keeps the powers in float32 and multiplies them by beta after every step.
    powers = [tf.Variable(beta, dtype=tf.float32) for beta in (beta1, beta2)]

    @tf.function
    def kslim_step(gradient):
        optimizer.apply([gradient], [weights])

    @tf.function
    def kernel_step(gradient):
        def cast(x):
            return tf.cast(tf.convert_to_tensor(x), dtype)

        tf.raw_ops.ResourceApplyAdam(
            var=var.handle, m=m.handle, v=v.handle, beta1_power=cast(powers[0]),
            beta2_power=cast(powers[1]), lr=cast(lr), beta1=cast(beta1), beta2=cast(beta2),
            epsilon=cast(epsilon), grad=gradient,
        )  # fmt: skip
        for power, beta in zip(powers, (beta1, beta2), strict=True):
            power.assign(power * beta)

    for number, gradient in enumerate(grads, start=1):
        kslim_step(gradient)
        kernel_step(gradient)
        np.testing.assert_allclose(
            weights.numpy(), var.numpy(), rtol=1e-6, atol=1e-9, err_msg=f"step {number}"
        )
    m_slot, v_slot = optimizer.get_slot(weights, "m"), optimizer.get_slot(weights, "v")
    np.testing.assert_allclose(m_slot.numpy(), m.numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(v_slot.numpy(), v.numpy(), rtol=1e-6, atol=1e-9)


def test_learning_rate_schedule_is_driven_by_iterations():
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([1], [1.0, 0.5])
    optimizer = to_keras_optimizer(train.GradientDescentOptimizer(schedule))
    weights = _variable("fc/weights", np.zeros((1,)))
    optimizer.apply([tf.ones((1,))], [weights])  # iteration 0: lr 1.0
    optimizer.apply([tf.ones((1,))], [weights])  # iteration 1: lr 1.0
    optimizer.apply([tf.ones((1,))], [weights])  # iteration 2: lr 0.5
    np.testing.assert_allclose(weights.numpy(), [-2.5])


def test_tf1_exponential_decay_becomes_keras_schedule():
    global_step = tf.Variable(0, dtype=tf.int64)
    decayed = train.exponential_decay(0.1, global_step, 10, 0.5, staircase=True)
    optimizer = to_keras_optimizer(train.MomentumOptimizer(decayed, 0.9))
    schedule = optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.ExponentialDecay)
    assert (schedule.decay_steps, schedule.decay_rate, schedule.staircase) == (10, 0.5, True)
    assert float(schedule(25)) == pytest.approx(0.025)


def test_tensor_learning_rate_is_read_and_variable_learning_rate_is_read_every_step():
    from_tensor = to_keras_optimizer(train.AdagradOptimizer(tf.constant(0.5)))
    assert float(from_tensor.learning_rate) == 0.5
    rate = tf.Variable(1.0)
    optimizer = to_keras_optimizer(train.GradientDescentOptimizer(rate))
    weights = _variable("fc/weights", np.zeros((1,)))
    optimizer.apply([tf.ones((1,))], [weights])
    rate.assign(0.25)
    optimizer.apply([tf.ones((1,))], [weights])
    np.testing.assert_allclose(weights.numpy(), [-1.25])
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert float(restored.learning_rate) == 0.25


def test_graph_tensor_hyperparameter_is_rejected_naming_it():
    with tf.Graph().as_default():
        rate = tf.compat.v1.placeholder(tf.float32, ())
        tf1 = train.RMSPropOptimizer(0.1, momentum=rate)
    with pytest.raises(ValueError, match="momentum is a graph tensor"):
        to_keras_optimizer(tf1)


@pytest.mark.parametrize(
    "tf1",
    [
        train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
        train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
        train.AdamOptimizer(0.01, epsilon=0.5),
        train.AdagradOptimizer(0.1, initial_accumulator_value=0.2),
    ],
    ids=["momentum", "rmsprop", "adam", "adagrad"],
)
def test_serialization_round_trip_keeps_class_and_config(tf1):
    optimizer = to_keras_optimizer(tf1)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()


def test_serialization_round_trip_keeps_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 5, 0.5)
    optimizer = TF1RMSProp(schedule, momentum=0.9)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored._learning_rate, keras.optimizers.schedules.ExponentialDecay)
    assert restored._learning_rate.get_config() == schedule.get_config()


def _three_steps(make, jit_compile=False, strategy=None):
    with strategy.scope() if strategy else contextlib.nullcontext():
        optimizer = make()
        weights = _variable("fc/weights", np.linspace(-1, 1, 6).reshape(3, 2))
        optimizer.build([weights])

    @tf.function(jit_compile=jit_compile)
    def step():
        gradient = tf.sin(tf.convert_to_tensor(weights)) + 0.5
        optimizer.apply([gradient], [weights])

    for _ in range(3):
        if strategy:
            strategy.run(step)
        else:
            step()
    return weights.numpy()


@pytest.mark.parametrize(
    "make",
    [
        lambda: TF1RMSProp(0.01, momentum=0.9, centered=True),
        lambda: TF1RMSProp(0.01),
        lambda: TF1Adam(0.05),
        lambda: TF1Momentum(0.1, 0.9, use_nesterov=True),
        lambda: TF1Adagrad(0.1),
    ],
    ids=["rmsprop_centered", "rmsprop", "adam", "momentum", "adagrad"],
)
def test_update_is_the_same_under_xla_and_mirrored_strategy(make):
    expected = _three_steps(make)
    tolerance = {"rtol": 1e-5, "atol": 1e-7}
    np.testing.assert_allclose(_three_steps(make, jit_compile=True), expected, **tolerance)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    np.testing.assert_allclose(_three_steps(make, strategy=strategy), expected, **tolerance)


def test_converted_optimizer_trains_a_keras_model_with_fit_and_saves():
    optimizer = to_keras_optimizer(train.RMSPropOptimizer(0.01, momentum=0.9))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    history = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    assert int(optimizer.iterations.numpy()) == 4
    assert np.isfinite(history.history["loss"]).all()
    names = optimizer_variables_by_name(optimizer)
    assert any(name.endswith("/RMSProp_1") for name in names)
