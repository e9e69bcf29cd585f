"""kslim's side of the corpus: each model built in the four modes of issue 9 (Scope 4).

* ``functional``: on a ``keras.Input`` (batch dimension None), wrapped in a ``keras.Model``;
* ``eager``: on the concrete batch (the build compared), then again with ``reuse=True``
  (the values compared);
* ``tf_function``: inside one ``tf.function``, called on the batch, again (no retrace),
  then on its first row (a retrace, which must re-use the variables);
* ``make_template``: through ``kslim.make_template``, called twice on the batch (the first
  call's build and the second call's values compared).

Every mode copies tf_slim's variable values by name before computing and returns a
``Built`` for ``_corpus_peer.assert_same_build``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from _corpus_peer import (
    TEMPLATE_NAME,
    Built,
    ModelSpec,
    Reference,
    call_model,
    load_kslim_module,
    seeded_input,
)

import kslim


def variable_name(variable) -> str:
    """A kslim variable's slim name (``conv1/weights``)."""
    path = getattr(variable, "path", None)
    return path if path is not None else variable.name.split(":")[0]


def _graph_variables(key="GLOBAL_VARIABLES"):
    return list(kslim.get_collection(getattr(kslim.GraphKeys, key)))


def assign_reference(variables, values: dict[str, np.ndarray], prefix: str = "") -> None:
    """Sets every variable to tf_slim's value of the same name (``prefix`` stripped)."""
    missing = []
    for variable in variables:
        name = variable_name(variable)
        key = name[len(prefix) :] if prefix and name.startswith(prefix) else name
        if key in values:
            variable.assign(values[key])
        else:
            missing.append(name)
    assert not missing, f"kslim variables tf_slim does not have: {missing}"


def _built(variables, end_points, trainable=None, model_variables=None) -> Built:
    return Built(
        variables={variable_name(v): list(v.shape) for v in variables},
        trainable=[variable_name(v) for v in (trainable or [])],
        model_variables=[variable_name(v) for v in (model_variables or [])],
        end_points=list(end_points),
        end_point_shapes={k: list(v.shape) for k, v in end_points.items()},
    )


def _collections_built(end_points) -> Built:
    return _built(
        _graph_variables(),
        end_points,
        _graph_variables("TRAINABLE_VARIABLES"),
        _graph_variables("MODEL_VARIABLES"),
    )


def _set_values(built: Built, net, end_points) -> Built:
    built.net = np.asarray(net)
    built.end_point_values = {k: np.asarray(v) for k, v in end_points.items()}
    return built


def build_functional(spec: ModelSpec):
    """The model on a ``keras.Input`` in a fresh kslim Graph; returns ``(model, built)``.

    The model maps the input to ``[net, *end_points.values()]``; its variables hold
    nothing yet (see ``run_functional``).
    """
    module = load_kslim_module(spec.module)
    with kslim.Graph().as_default():
        x = keras.Input(shape=spec.input_shape[1:], name="inputs")
        net, end_points = call_model(spec, module, kslim, x)
        built = _collections_built(end_points)
        model = keras.Model(x, [net, *end_points.values()])
        variables = _graph_variables()
    return model, built, variables


def run_functional(spec: ModelSpec, ref: Reference):
    """Functional mode with tf_slim's weights; returns ``(model, built)``."""
    model, built, variables = build_functional(spec)
    assign_reference(variables, ref.values)
    outputs = model(seeded_input(spec.input_shape), training=False)
    _set_values(built, outputs[0], dict(zip(built.end_points, outputs[1:], strict=True)))
    return model, built


def _values_by_position(built: Built, net, end_points) -> Built:
    """Sets ``built``'s values from a later call whose end_points keys may differ.

    A second build under ``reuse=True`` opens its scope again, so weightless layers get
    a new name scope (``Net_1/pool1``), in TF1 as in kslim; its end_points are matched to
    the first build's keys by position.
    """
    assert len(end_points) == len(built.end_points), "the second call returned other end_points"
    return _set_values(built, net, dict(zip(built.end_points, end_points.values(), strict=True)))


def run_eager(spec: ModelSpec, ref: Reference) -> Built:
    """Eager mode: a first call creates the variables, a ``reuse=True`` call computes.

    Names, shapes and end_points keys are the first call's (the build tf_slim made).
    """
    module = load_kslim_module(spec.module)
    x = tf.constant(seeded_input(spec.input_shape))
    with kslim.Graph().as_default():
        _, end_points = call_model(spec, module, kslim, x)
        built = _collections_built(end_points)
        variables = _graph_variables()
        assign_reference(variables, ref.values)
        net, end_points = call_model(spec, module, kslim, x, reuse=True)
        new = sorted({variable_name(v) for v in _graph_variables()} - set(built.variables))
        assert not new, f"the reuse=True call created variables: {new}"
    return _values_by_position(built, net, end_points)


def run_tf_function(spec: ModelSpec, ref: Reference) -> tuple[Built, Built]:
    """``tf.function`` mode; returns the builds of the full batch and of its first row.

    Raises AssertionError when the retrace (another batch size) creates variables or
    does not happen.
    """
    module = load_kslim_module(spec.module)
    x = seeded_input(spec.input_shape)
    keys = []
    with kslim.Graph().as_default():

        @tf.function
        def model_fn(inputs):
            net, end_points = call_model(spec, module, kslim, inputs)
            keys.append(list(end_points))
            return net, end_points

        model_fn(tf.constant(x))
        variables = _graph_variables()
        assign_reference(variables, ref.values)
        net, end_points = model_fn(tf.constant(x))
        ordered = {k: end_points[k] for k in keys[0]}
        full = _set_values(_collections_built(ordered), net, ordered)
        traces = model_fn.experimental_get_tracing_count()
        net, end_points = model_fn(tf.constant(x[:1]))
        assert model_fn.experimental_get_tracing_count() == traces + 1, "no retrace for batch 1"
        ordered = {k: end_points[k] for k in keys[-1]}
        row = _set_values(_collections_built(ordered), net, ordered)
        assert keys[0] == keys[-1], "the retrace returned other end_points"
        assert row.variables == full.variables, "the retrace changed the variables"
        assert len(_graph_variables()) == len(variables), "the retrace created variables"
    return full, row


def run_make_template(spec: ModelSpec, ref: Reference) -> Built:
    """``kslim.make_template`` mode: the template called twice on the batch.

    The returned build has the template's weights (``corpus_template/...``) and its
    end_points keys; its values are keyed by the plain build's keys (same order) so they
    compare with tf_slim's plain values.
    """
    module = load_kslim_module(spec.module)
    x = tf.constant(seeded_input(spec.input_shape))
    with kslim.Graph().as_default():
        template = kslim.make_template(
            TEMPLATE_NAME, lambda inputs: call_model(spec, module, kslim, inputs)
        )
        _, end_points = template(x)
        built = _built(template.weights, end_points, template.trainable_weights)
        assign_reference(template.weights, ref.values, prefix=TEMPLATE_NAME + "/")
        net, end_points = template(x)
        assert len(template.weights) == len(built.variables), "the second call created variables"
    assert len(built.end_points) == len(ref.built.end_points), "number of end_points differs"
    built.net = np.asarray(net)
    built.end_point_values = {
        plain: np.asarray(value)
        for plain, value in zip(ref.built.end_points, end_points.values(), strict=True)
    }
    return built
