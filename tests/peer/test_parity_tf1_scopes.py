"""Parity with tf_slim 1.1.0 of slim model code using TF1 scopes, variables, collections
and summaries (``tf.compat.v1.variable_scope`` ... written as published slim code is),
in every execution mode of kslim.

tf_slim runs each case once in TF1 graph mode (subprocess). kslim runs the same code:

* ``symbolic``: on ``keras.Input`` s (a functional graph), tf_slim's weights assigned;
* ``eager``: on concrete tensors;
* ``function``: inside a ``tf.function`` traced twice (the second trace must create no
  variable and raise nothing; its outputs are compared);
* ``template``: the model function wrapped in ``tf.compat.v1.make_template`` and called
  twice, by both implementations (``*_template`` cases).

Weights use a deterministic initializer so eager and traced runs compare values too.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from .conftest import Case, SlimResult, _flatten, assert_parity, randn, run_kslim

pytestmark = pytest.mark.peer

X = randn(2, 8, 8, 3, seed=11)
LABELS = np.eye(5, dtype=np.float32)[[1, 3]]

# Deterministic weights (the same in TF1 and TF2, eager and traced).
DET_INIT = """
def det_init(shape, dtype=tf.float32, partition_info=None):
    dims = [int(d) for d in shape]
    values = np.sin(np.arange(int(np.prod(dims)), dtype=np.float64) * 0.7) * 0.3
    return tf.constant(values.reshape(dims), dtype=dtype)
"""

END_POINTS_NET = (
    DET_INIT
    + """
def net_fn(inputs, scope=None):
    with tf.compat.v1.variable_scope(scope, 'Net', [inputs]) as sc:
        end_points_collection = sc.original_name_scope + '_end_points'
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.fully_connected],
                            outputs_collections=end_points_collection):
            with slim.arg_scope([slim.conv2d, slim.fully_connected],
                                weights_initializer=det_init):
                net = slim.conv2d(inputs, 4, [3, 3], scope='conv1')
                net = slim.max_pool2d(net, [2, 2], scope='pool1')
                with tf.compat.v1.variable_scope('block'):
                    net = slim.conv2d(net, 4, [3, 3])
                    net = slim.conv2d(net, 4, [3, 3])
                net = slim.flatten(net)
                net = slim.fully_connected(net, 5, activation_fn=None, scope='logits')
        end_points = slim.utils.convert_collection_to_dict(end_points_collection)
    return net, end_points
"""
)

BLOCK_NET = (
    DET_INIT
    + """
def block(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
    with tf.compat.v1.variable_scope(scope, 'Block', [net], reuse=reuse):
        with tf.compat.v1.variable_scope('Branch_0'):
            tower_0 = slim.conv2d(net, 2, 1, scope='Conv2d_1x1')
        with tf.compat.v1.variable_scope('Branch_1'):
            tower_1 = slim.conv2d(net, 2, 1, scope='Conv2d_0a_1x1')
            tower_1 = slim.conv2d(tower_1, 2, 3, scope='Conv2d_0b_3x3')
        mixed = tf.concat(axis=3, values=[tower_0, tower_1])
        up = slim.conv2d(mixed, 3, 1, activation_fn=None, scope='Conv2d_1x1')
        net += scale * up
        if activation_fn:
            net = activation_fn(net)
    return net


def block_net(inputs, scope=None):
    with tf.compat.v1.variable_scope(scope, 'BlockNet', [inputs]):
        with slim.arg_scope([slim.conv2d], weights_initializer=det_init):
            net = slim.repeat(inputs, 2, block, scale=0.2)
            net = block(net, activation_fn=None, scope='Final')
    return net
"""
)

REUSE_CODE = (
    DET_INIT
    + """
def tower(inputs):
    return slim.conv2d(inputs, 3, [1, 1], scope='c', weights_initializer=det_init)

with tf.compat.v1.variable_scope('t1'):
    a = tower(x)
with tf.compat.v1.variable_scope('t1', reuse=True):
    b = tower(x)
with tf.compat.v1.variable_scope('t2', reuse=tf.compat.v1.AUTO_REUSE):
    c = tower(x)
with tf.compat.v1.variable_scope('t2', reuse=tf.compat.v1.AUTO_REUSE):
    d = tower(tf.multiply(x, 2.0))
with tf.compat.v1.variable_scope('t3') as sc:
    e = tower(x)
    sc.reuse_variables()
    f = tower(tf.multiply(x, 3.0))
with tf.compat.v1.variable_scope('t4'):
    g = tower(x)
    tf.compat.v1.get_variable_scope().reuse_variables()
    h = tower(tf.multiply(x, 0.5))
with tf.compat.v1.variable_scope(sc, reuse=True):
    i = tower(x - 1.0)
net = [a, b, c, d, e, f, g, h, i]
"""
)

GET_VARIABLE_CODE = (
    DET_INIT
    + """
def proj_net(inputs):
    with tf.compat.v1.variable_scope('proj', initializer=det_init,
                                     regularizer=slim.l2_regularizer(0.1)):
        w = tf.compat.v1.get_variable('w', [192, 4])
        b = tf.compat.v1.get_variable('b', [4], initializer=tf.compat.v1.constant_initializer(0.5))
    flat = slim.flatten(inputs)
    net = tf.matmul(flat, w) + b
    with tf.compat.v1.variable_scope('proj', reuse=True):
        w2 = tf.compat.v1.get_variable('w')
    net2 = tf.matmul(flat, w2)
    return net, net2
"""
)

GET_VARIABLE_TAIL = """
custom = tf.reduce_mean(tf.square(net))
tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.LOSSES, custom)
losses = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.LOSSES)
reg = tf.add_n(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES))
total = slim.losses.get_total_loss()
"""

NAME_SCOPE_CODE = (
    DET_INIT
    + """
with tf.compat.v1.name_scope('ns'):
    p = slim.max_pool2d(x, [2, 2], outputs_collections='ep')
with tf.compat.v1.name_scope(None, 'Default', [x]):
    q = slim.avg_pool2d(x, [2, 2], outputs_collections='ep')
with tf.compat.v1.variable_scope('vs') as vs:
    r = slim.conv2d(x, 2, [1, 1], scope='c', weights_initializer=det_init,
                    outputs_collections='ep')
with tf.compat.v1.variable_scope(vs, auxiliary_name_scope=False):
    s = slim.max_pool2d(x, [2, 2], scope='pool', outputs_collections='ep')
with tf.compat.v1.variable_scope(vs):
    t = slim.max_pool2d(x, [2, 2], scope='pool', outputs_collections='ep')
    u = slim.conv2d(x, 2, [1, 1], scope='c2', weights_initializer=det_init,
                    outputs_collections='ep')
net = [p, q, r, s, t, u]
"""
)

SUMMARY_CODE = (
    END_POINTS_NET
    + """
logits, end_points = net_fn(x)
loss = slim.losses.softmax_cross_entropy(logits, y)
summaries = set(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SUMMARIES))
for end_point in end_points:
    act = end_points[end_point]
    summaries.add(tf.compat.v1.summary.histogram('activations/' + end_point, act))
    summaries.add(tf.compat.v1.summary.scalar('sparsity/' + end_point, tf.nn.zero_fraction(act)))
for one_loss in tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.LOSSES):
    summaries.add(tf.compat.v1.summary.scalar('losses/%s' % one_loss.op.name, one_loss))
for variable in slim.get_model_variables():
    summaries.add(tf.compat.v1.summary.histogram(variable.op.name, variable))
with tf.compat.v1.name_scope('extra'):
    summaries.add(tf.compat.v1.summary.image('images', x, max_outputs=1))
    summaries.add(tf.compat.v1.summary.scalar('total', loss, family='train'))
summary_op = tf.compat.v1.summary.merge(list(summaries), name='summary_op')
n_summaries = len(summaries)
"""
)


def _template(code: str, call: str, outputs: tuple[str, ...]) -> str:
    """``code`` defining a model function, called twice through make_template."""
    names = ", ".join(outputs)
    return (
        code
        + "\n_tmpl = tf.compat.v1.make_template('tmpl', lambda inputs: "
        + call
        + ")\n_first = _tmpl(x)\n"
        + f"{names} = _tmpl(x)\n"
    )


SCOPE_REGULARIZER_CODE = (
    DET_INIT
    + """
with tf.compat.v1.variable_scope('s', regularizer=slim.l2_regularizer(0.1)):
    net = slim.conv2d(x, 2, [1, 1], weights_initializer=det_init, scope='c')
    net = slim.fully_connected(slim.flatten(net), 3, weights_initializer=det_init,
                               biases_initializer=tf.compat.v1.constant_initializer(0.5),
                               scope='fc')
    if with_batch_norm:
        net = slim.batch_norm(net, is_training=False, scope='bn')
regs = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
n_reg = len(regs)
reg = tf.add_n(regs)
total = slim.losses.get_total_loss()
"""
)

CASES = [
    Case(
        "end_points_collection_idiom",
        END_POINTS_NET + "net, end_points = net_fn(x)\n",
        {"x": X},
        ("net", "end_points"),
        collections=("Net/_end_points",),
    ),
    Case(
        "tf1_scopes_inside_repeat",
        BLOCK_NET + "net = block_net(x)\n",
        {"x": X},
        ("net",),
    ),
    Case("reuse_true_auto_reuse_reuse_variables", REUSE_CODE, {"x": X}, ("net",)),
    Case(
        "get_variable_with_scope_initializer_and_regularizer",
        GET_VARIABLE_CODE + "net, net2 = proj_net(x)\n" + GET_VARIABLE_TAIL,
        {"x": X},
        ("net", "net2", "losses", "reg", "total"),
    ),
    Case(
        "name_scopes_and_reentered_variable_scopes",
        NAME_SCOPE_CODE,
        {"x": X},
        ("net",),
        collections=("ep",),
    ),
    Case(
        "summaries_of_train_image_classifier",
        SUMMARY_CODE,
        {"x": X, "y": LABELS},
        ("logits", "n_summaries"),
        collections=("summaries",),
    ),
    Case(
        "scope_regularizer_regularizes_slim_layer_variables",
        "with_batch_norm = False\n" + SCOPE_REGULARIZER_CODE,
        {"x": X},
        ("net", "n_reg", "reg", "total"),
    ),
    Case(
        # TF1 regularizes batch_norm's moving statistics too.
        "scope_regularizer_regularizes_batch_norm_statistics",
        "with_batch_norm = True\n" + SCOPE_REGULARIZER_CODE,
        {"x": X},
        ("net", "n_reg", "reg", "total"),
    ),
    Case(
        "end_points_collection_idiom_template",
        _template(END_POINTS_NET, "net_fn(inputs)", ("net", "end_points")),
        {"x": X},
        ("net", "end_points"),
    ),
    Case(
        "tf1_scopes_inside_repeat_template",
        _template(BLOCK_NET, "block_net(inputs)", ("net",)),
        {"x": X},
        ("net",),
    ),
    Case(
        "get_variable_template",
        _template(GET_VARIABLE_CODE, "proj_net(inputs)", ("net", "net2")),
        {"x": X},
        ("net", "net2"),
    ),
]
BY_ID = {case.id: case for case in CASES}

# Which kslim modes each case runs in. The summary idioms read ``tensor.op.name``, which
# TF2 only has on symbolic tensors (eager tensors have no op).
MODES = {
    "end_points_collection_idiom": ("symbolic", "eager", "function"),
    "tf1_scopes_inside_repeat": ("symbolic", "eager", "function"),
    "reuse_true_auto_reuse_reuse_variables": ("symbolic", "eager", "function"),
    "get_variable_with_scope_initializer_and_regularizer": ("symbolic", "eager", "function"),
    "name_scopes_and_reentered_variable_scopes": ("symbolic", "eager", "function"),
    "summaries_of_train_image_classifier": ("symbolic",),
    "scope_regularizer_regularizes_slim_layer_variables": ("symbolic", "eager", "function"),
    # kslim's eager regularization losses leave out non-trainable variables.
    "scope_regularizer_regularizes_batch_norm_statistics": ("symbolic",),
    "end_points_collection_idiom_template": ("symbolic", "eager"),
    "tf1_scopes_inside_repeat_template": ("symbolic", "eager"),
    "get_variable_template": ("symbolic", "eager"),
}
PARAMS = [
    pytest.param(cid, mode, id=f"{cid}-{mode}") for cid, modes in MODES.items() for mode in modes
]


def run_kslim_in_function(case: Case) -> SlimResult:
    """Runs ``case.code`` inside a ``tf.function`` traced twice; the second trace's result.

    Asserts that the retrace created no variable.
    """
    import tensorflow as tf

    import kslim

    A = {k: np.asarray(v) for k, v in case.inputs.items()}
    collected: dict = {}
    with kslim.Graph().as_default():
        feeds = {name: tf.constant(a) for name, a in A.items()}

        def body(inputs, trace_id):
            namespace = {"slim": kslim, "tf": tf, "np": np, "A": A, **inputs}
            exec(compile(case.code, f"<case {case.id}>", "exec"), namespace)  # noqa: S102
            collected["collections"] = {
                coll: list(kslim.utils.convert_collection_to_dict(coll))
                for coll in case.collections
            }
            return {name: _flatten(namespace[name]) for name in case.outputs}

        fn = tf.function(body)
        fn(feeds, 0)
        n_variables = len(kslim.get_collection(kslim.GraphKeys.GLOBAL_VARIABLES))
        values = fn(feeds, 1)
        assert fn.experimental_get_tracing_count() >= 2, "the function was not retraced"
        variables = kslim.get_collection(kslim.GraphKeys.GLOBAL_VARIABLES)
        assert len(variables) == n_variables, "the retrace created variables"
        trainable = kslim.get_collection(kslim.GraphKeys.TRAINABLE_VARIABLES)
        model_vars = kslim.get_collection(kslim.GraphKeys.MODEL_VARIABLES)
        outputs = {name: [np.asarray(v) for v in values[name]] for name in case.outputs}
        final = {v.path: np.array(v.numpy()) for v in variables}
    return SlimResult(
        None,
        [v.path for v in variables],
        [list(v.shape) for v in variables],
        [v.path for v in trainable],
        [v.path for v in model_vars],
        collected["collections"],
        outputs,
        {},
        final,
        {},
    )


@pytest.mark.parametrize(("case_id", "mode"), PARAMS)
def test_tf1_scoped_model_code_matches_tf_slim(case_id, mode, peer_results):
    case = BY_ID[case_id]
    ref = peer_results[case_id]
    if mode == "function":
        got = run_kslim_in_function(case)
        assert_parity(dataclasses.replace(case, mode="eager"), ref, got)
    else:
        case = dataclasses.replace(case, mode=mode)
        assert_parity(case, ref, run_kslim(case, ref))


def test_template_cases_keep_the_net_scopes_under_the_template_name(peer_results):
    names = peer_results["end_points_collection_idiom_template"].variables
    assert "tmpl/Net/conv1/weights" in names
    assert all(name.startswith("tmpl/Net/") for name in names)
