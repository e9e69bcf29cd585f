"""Parity of kslim's layer functions with tf_slim 1.1.0 (run in a subprocess).

Each case is slim model code run by both; kslim's variables get tf_slim's initial values
by name, then outputs (rtol 1e-5), variable names/shapes/collections, and variable
values after the run (batch_norm moving averages) must agree. Cases needing a layer
kslim does not have yet are skipped until it lands.

NCHW: kslim's channels-first layers always run here. tf_slim's run as they are where the
host's CPU kernels support NCHW (oneDNN does on some CPUs, not on others); elsewhere the
runner computes the same model channels-last on transposed inputs and transposes the
outputs back (``tfslim_runner.py``), so every NCHW case is checked on every host.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import Case, check_case, randn, run_tfslim

pytestmark = pytest.mark.peer

X4 = randn(2, 6, 6, 3, seed=1)  # NHWC
X4C = randn(2, 3, 6, 6, seed=2)  # NCHW
X4_8 = randn(2, 5, 5, 8, seed=3)  # 8 channels (group_norm, maxout)
X3 = randn(2, 8, 3, seed=4)  # NWC
X3C = randn(2, 3, 8, seed=5)  # NCW
X5 = randn(2, 4, 4, 4, 2, seed=6)  # NDHWC
X5C = randn(2, 2, 4, 4, 4, seed=7)  # NCDHW
X2 = randn(4, 5, seed=8)
X2_3 = randn(2, 5, 3, seed=9)
LABELS = np.array([0, 3, 1, 4], np.int32)
SEQ = randn(6, 4, 3, seed=10)  # [W, N*H, C] with N=2, H=2


def _case(id, code, outputs=("net",), inputs=None, **kwargs):
    return Case(
        id=id,
        code=code,
        inputs={"x": X4} if inputs is None else inputs,
        outputs=tuple(outputs),
        **kwargs,
    )


CASES = [
    # ------------------------------------------------------------ convolution
    _case("conv2d_default", "net = slim.conv2d(x, 4, 3)"),
    _case(
        "conv2d_valid_stride2_linear",
        "net = slim.conv2d(x, 5, [3, 2], stride=2, padding='VALID', activation_fn=None, scope='c')",
    ),
    _case("conv2d_rate2_relu6", "net = slim.conv2d(x, 4, 3, rate=2, activation_fn=tf.nn.relu6)"),
    _case("conv2d_no_biases", "net = slim.conv2d(x, 4, [1, 1], biases_initializer=None)"),
    _case(
        "conv2d_nchw", "net = slim.conv2d(x, 4, 3, stride=2, data_format='NCHW')", inputs={"x": X4C}
    ),
    _case(
        "conv2d_nchw_valid_rate2",
        "net = slim.conv2d(x, 4, 3, padding='VALID', rate=2, data_format='NCHW')",
        inputs={"x": X4C},
    ),
    _case("conv1d_default", "net = slim.conv1d(x, 4, 3)", inputs={"x": X3}),
    _case(
        "conv1d_stride2_valid",
        "net = slim.conv1d(x, 4, 2, stride=2, padding='VALID')",
        inputs={"x": X3},
    ),
    _case("conv1d_ncw", "net = slim.conv1d(x, 4, 3, data_format='NCW')", inputs={"x": X3C}),
    _case("conv3d_default", "net = slim.conv3d(x, 3, 2)", inputs={"x": X5}),
    _case(
        "conv3d_stride2_ncdhw",
        "net = slim.conv3d(x, 3, [2, 2, 1], stride=2, data_format='NCDHW')",
        inputs={"x": X5C},
    ),
    _case(
        "convolution_rank_dispatch",
        "a = slim.convolution(x3, 4, 3)\nb = slim.convolution(x5, 2, 2)\n"
        "net = slim.convolution(x, 4, 3)",
        outputs=("a", "b", "net"),
        inputs={"x": X4, "x3": X3, "x5": X5},
    ),
    _case(
        "conv_default_scopes_are_uniquified",
        "a = slim.conv2d(x, 4, 3)\nb = slim.conv2d(a, 4, 3)\nc = slim.conv1d(x3, 2, 2)\n"
        "f = slim.fully_connected(x2, 3)\nnet = slim.fully_connected(f, 2)",
        outputs=("b", "c", "net"),
        inputs={"x": X4, "x3": X3, "x2": X2},
    ),
    _case(
        "conv2d_batch_norm_normalizer_train",
        "net = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, scope='convbn')",
        train=True,
    ),
    _case(
        "conv2d_batch_norm_params_scale_decay_train",
        "net = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm,\n"
        "                  normalizer_params={'scale': True, 'decay': 0.9}, scope='convbn')",
        train=True,
    ),
    _case(
        "conv2d_batch_norm_inference",
        "net = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm,\n"
        "                  normalizer_params={'is_training': False}, scope='convbn')",
    ),
    _case("conv2d_trainable_false", "net = slim.conv2d(x, 4, 3, trainable=False)"),
    _case(
        "conv2d_outputs_collections",
        "net = slim.conv2d(x, 4, 3, scope='conv1', outputs_collections='end_points')\n"
        "net = slim.max_pool2d(net, 2, scope='pool1', outputs_collections='end_points')\n"
        "net = slim.flatten(net, outputs_collections='end_points')",
        collections=("end_points",),
    ),
    _case(
        "conv2d_arg_scope",
        "with slim.arg_scope([slim.conv2d], padding='VALID', activation_fn=None, stride=2):\n"
        "    a = slim.conv2d(x, 4, 3, scope='c1')\n"
        "    net = slim.conv2d(a, 4, 1, padding='SAME', scope='c2')",
        outputs=("a", "net"),
    ),
    _case(
        "variable_scope_nesting",
        "with variable_scope('outer'):\n"
        "    with variable_scope('inner'):\n"
        "        a = slim.conv2d(x, 4, 3)\n"
        "    b = slim.conv2d(a, 4, 3)\n"
        "    c = slim.conv2d(b, 4, 3, scope='named')\n"
        "with variable_scope('outer', reuse=True):\n"
        "    net = slim.conv2d(b, 4, 3, scope='named')",
        outputs=("a", "c", "net"),
    ),
    _case(
        "conv2d_reuse_shares_variables",
        "a = slim.conv2d(x, 4, 3, scope='shared')\n"
        "net = slim.conv2d(x, 4, 3, scope='shared', reuse=True)",
        outputs=("a", "net"),
    ),
    _case(
        "conv2d_invalid_data_format",
        "net = slim.conv2d(x, 4, 3, data_format='HWCN')",
        outputs=(),
        expect_error="ValueError",
    ),
    _case(
        "conv2d_reuse_without_scope_existing",
        "a = slim.conv2d(x, 4, 3, scope='c')\nnet = slim.conv2d(x, 4, 3, scope='c')",
        outputs=(),
        expect_error="ValueError",
    ),
    # -------------------------------------------------------- fully connected
    _case("fully_connected_default", "net = slim.fully_connected(x, 6)", inputs={"x": X2}),
    _case(
        "fully_connected_linear_no_bias",
        "net = slim.fully_connected(x, 6, activation_fn=None, biases_initializer=None, scope='fc')",
        inputs={"x": X2},
    ),
    _case(
        "fully_connected_rank3_last_axis", "net = slim.fully_connected(x, 6)", inputs={"x": X2_3}
    ),
    _case(
        "fully_connected_batch_norm_train",
        "net = slim.fully_connected(x, 6, normalizer_fn=slim.batch_norm, scope='fcbn')",
        inputs={"x": X2},
        train=True,
    ),
    _case(
        "fully_connected_partials",
        "a = slim.relu(x, 3)\nb = slim.relu6(x, 3)\nc = slim.elu(x, 3)\n"
        "net = slim.linear(x, 3, scope='lin')",
        outputs=("a", "b", "c", "net"),
        inputs={"x": X2},
    ),
    _case(
        "fully_connected_numpy_int_rejected",
        "net = slim.fully_connected(x, np.int64(3))",
        outputs=(),
        inputs={"x": X2},
        expect_error="ValueError",
    ),
    _case(
        "fully_connected_after_flatten",
        "net = slim.fully_connected(slim.flatten(x, scope='flat'), 7, scope='fc4')",
    ),
    # ---------------------------------------------------- dropout / flatten
    _case("dropout_not_training", "net = slim.dropout(x, 0.3, is_training=False)"),
    _case("dropout_keep_prob_one", "net = slim.dropout(x, keep_prob=1.0)"),
    _case("flatten_rank4", "net = slim.flatten(x)"),
    _case("flatten_rank3_scope", "net = slim.flatten(x, scope='f')", inputs={"x": X2_3}),
    # ------------------------------------------------------------- pooling
    _case("max_pool2d_default", "net = slim.max_pool2d(x, 2)"),
    _case("max_pool2d_same_stride1", "net = slim.max_pool2d(x, [3, 3], stride=1, padding='SAME')"),
    _case("avg_pool2d_default", "net = slim.avg_pool2d(x, [2, 2])"),
    _case("avg_pool2d_same_stride2", "net = slim.avg_pool2d(x, 3, padding='SAME')"),
    _case("max_pool2d_nchw", "net = slim.max_pool2d(x, 2, data_format='NCHW')", inputs={"x": X4C}),
    _case(
        "avg_pool2d_nchw_same",
        "net = slim.avg_pool2d(x, 3, padding='SAME', data_format='NCHW')",
        inputs={"x": X4C},
    ),
    _case("max_pool3d_default", "net = slim.max_pool3d(x, 2)", inputs={"x": X5}),
    _case(
        "avg_pool3d_same",
        "net = slim.avg_pool3d(x, [2, 2, 2], stride=1, padding='SAME')",
        inputs={"x": X5},
    ),
    _case("pool_avg_dilated", "net = slim.pool(x, [2, 2], 'AVG', dilation_rate=2)"),
    _case("pool_max_strided_same", "net = slim.pool(x, [3, 3], 'MAX', padding='SAME', stride=2)"),
    # ---------------------------------------------------------- batch_norm
    _case("batch_norm_default_train", "net = slim.batch_norm(x)", train=True),
    _case(
        "batch_norm_scale_decay_train",
        "net = slim.batch_norm(x, decay=0.9, scale=True, epsilon=0.01)",
        train=True,
    ),
    _case(
        "batch_norm_no_center_train",
        "net = slim.batch_norm(x, center=False, scale=True)",
        train=True,
    ),
    _case(
        "batch_norm_not_fused_train", "net = slim.batch_norm(x, fused=False, decay=0.5)", train=True
    ),
    _case(
        "batch_norm_updates_inline_train",
        "net = slim.batch_norm(x, updates_collections=None, decay=0.5)",
        train=True,
    ),
    _case("batch_norm_inference", "net = slim.batch_norm(x, is_training=False)"),
    _case(
        "batch_norm_scale_creation_order_rank4",
        "net = slim.batch_norm(x, scale=True)",
        train=True,
        ordered_variables=True,
    ),
    _case(
        "batch_norm_rank2_train",
        "net = slim.batch_norm(x, decay=0.5)",
        inputs={"x": X2},
        train=True,
    ),
    _case(
        "batch_norm_rank3_train",
        "net = slim.batch_norm(x, decay=0.5)",
        inputs={"x": X2_3},
        train=True,
    ),
    _case(
        "batch_norm_nchw_train",
        "net = slim.batch_norm(x, data_format='NCHW', decay=0.5)",
        inputs={"x": X4C},
        train=True,
    ),
    _case(
        "batch_norm_activation_relu_train",
        "net = slim.batch_norm(x, activation_fn=tf.nn.relu, scope='bn')",
        train=True,
    ),
    # ---------------------------------------------- added by another helper
    _case(
        "conv2d_transpose_default",
        "net = slim.conv2d_transpose(x, 4, 3)",
        requires=("conv2d_transpose",),
    ),
    _case(
        "conv2d_transpose_stride2_valid",
        "net = slim.conv2d_transpose(x, 4, [3, 2], stride=2, padding='VALID', activation_fn=None)",
        requires=("conv2d_transpose",),
    ),
    _case(
        "conv2d_transpose_stride2_same_nchw",
        "net = slim.conv2d_transpose(x, 4, 3, stride=2, data_format='NCHW')",
        inputs={"x": X4C},
        requires=("conv2d_transpose",),
    ),
    _case(
        "conv2d_transpose_batch_norm_train",
        "net = slim.conv2d_transpose(x, 4, 3, normalizer_fn=slim.batch_norm, scope='up')",
        train=True,
        requires=("conv2d_transpose",),
    ),
    _case(
        "conv3d_transpose_stride2",
        "net = slim.conv3d_transpose(x, 3, 2, stride=2)",
        inputs={"x": X5},
        requires=("conv3d_transpose",),
    ),
    _case(
        "separable_conv2d_default",
        "net = slim.separable_conv2d(x, 5, 3)",
        requires=("separable_conv2d",),
    ),
    _case(
        "separable_conv2d_multiplier2_stride2",
        "net = slim.separable_conv2d(x, 5, [3, 3], depth_multiplier=2, stride=2, padding='VALID')",
        requires=("separable_conv2d",),
    ),
    _case(
        "separable_conv2d_depthwise_only",
        "net = slim.separable_conv2d(x, None, 3, depth_multiplier=2, scope='dw')",
        requires=("separable_conv2d",),
    ),
    _case(
        "separable_conv2d_rate2_batch_norm_train",
        "net = slim.separable_conv2d(x, 4, 3, rate=2, normalizer_fn=slim.batch_norm)",
        train=True,
        requires=("separable_conv2d",),
    ),
    _case(
        "separable_conv2d_nchw",
        "net = slim.separable_conv2d(x, 4, 3, data_format='NCHW')",
        inputs={"x": X4C},
        requires=("separable_conv2d",),
    ),
    _case(
        "conv2d_in_plane_default", "net = slim.conv2d_in_plane(x, 3)", requires=("conv2d_in_plane",)
    ),
    _case(
        "conv2d_in_plane_stride2_valid",
        "net = slim.conv2d_in_plane(x, [2, 3], stride=2, padding='VALID', activation_fn=None)",
        requires=("conv2d_in_plane",),
    ),
    _case("layer_norm_default", "net = slim.layer_norm(x)", requires=("layer_norm",)),
    _case(
        "layer_norm_last_axis_no_params",
        "net = slim.layer_norm(x, center=False, scale=False, begin_norm_axis=-1)",
        requires=("layer_norm",),
    ),
    _case(
        "layer_norm_rank2_relu",
        "net = slim.layer_norm(x, activation_fn=tf.nn.relu)",
        inputs={"x": X2},
        requires=("layer_norm",),
    ),
    _case(
        "layer_norm_params_axis1",
        "net = slim.layer_norm(x, begin_norm_axis=2, begin_params_axis=1)",
        requires=("layer_norm",),
    ),
    _case(
        "group_norm_groups2",
        "net = slim.group_norm(x, groups=2)",
        inputs={"x": X4_8},
        requires=("group_norm",),
    ),
    _case(
        "group_norm_default_groups_32_channels",
        "net = slim.group_norm(x)",
        inputs={"x": randn(2, 3, 3, 32, seed=11)},
        requires=("group_norm",),
    ),
    _case(
        "group_norm_nchw_axes",
        "net = slim.group_norm(x, groups=3, channels_axis=1, reduction_axes=(-2, -1),"
        " center=False, epsilon=1e-3)",
        inputs={"x": X4C},
        requires=("group_norm",),
    ),
    _case(
        "group_norm_bad_groups",
        "net = slim.group_norm(x, groups=3)",
        outputs=(),
        inputs={"x": X4_8},
        expect_error="ValueError",
        requires=("group_norm",),
    ),
    _case("instance_norm_default", "net = slim.instance_norm(x)", requires=("instance_norm",)),
    _case(
        "instance_norm_nchw_no_scale",
        "net = slim.instance_norm(x, scale=False, data_format='NCHW', epsilon=1e-3)",
        inputs={"x": X4C},
        requires=("instance_norm",),
    ),
    _case("bias_add_default", "net = slim.bias_add(x)", requires=("bias_add",)),
    _case(
        "bias_add_nchw_relu",
        "net = slim.bias_add(x, activation_fn=tf.nn.relu, data_format='NCHW', scope='b')",
        inputs={"x": X4C},
        requires=("bias_add",),
    ),
    _case(
        "one_hot_encoding_default",
        "net = slim.one_hot_encoding(labels, 5)",
        inputs={"labels": LABELS},
        requires=("one_hot_encoding",),
    ),
    _case(
        "one_hot_encoding_on_off",
        "net = slim.one_hot_encoding(labels, 6, on_value=0.9, off_value=0.02)",
        inputs={"labels": LABELS},
        requires=("one_hot_encoding",),
    ),
    _case("softmax_rank2", "net = slim.softmax(x)", inputs={"x": X2}, requires=("softmax",)),
    _case(
        "softmax_rank3",
        "net = slim.softmax(x, scope='sm')",
        inputs={"x": X2_3},
        requires=("softmax",),
    ),
    _case(
        "unit_norm_dim1", "net = slim.unit_norm(x, 1)", inputs={"x": X2}, requires=("unit_norm",)
    ),
    _case(
        "unit_norm_rank4_last", "net = slim.unit_norm(x, 3, epsilon=1e-3)", requires=("unit_norm",)
    ),
    _case("maxout_last_axis", "net = slim.maxout(x, 2)", inputs={"x": X4_8}, requires=("maxout",)),
    _case(
        "maxout_axis1",
        "net = slim.maxout(x, 3, axis=1)",
        inputs={"x": randn(2, 6, 4, seed=12)},
        requires=("maxout",),
    ),
    _case(
        "spatial_softmax_default",
        "net = slim.spatial_softmax(x)",
        inputs={"x": randn(2, 5, 6, 3, seed=13)},
        requires=("spatial_softmax",),
    ),
    _case(
        "spatial_softmax_temperature_nchw",
        "net = slim.spatial_softmax(x, temperature=0.5, data_format='NCHW')",
        inputs={"x": X4C},
        requires=("spatial_softmax",),
    ),
    _case(
        "images_to_sequence",
        "net = slim.images_to_sequence(x)",
        inputs={"x": randn(2, 5, 6, 3, seed=14)},
        requires=("images_to_sequence",),
    ),
    _case(
        "sequence_to_images",
        "net = slim.sequence_to_images(x, 2)",
        inputs={"x": SEQ},
        requires=("sequence_to_images",),
    ),
    _case(
        "sequence_to_images_channels_first",
        "net = slim.sequence_to_images(x, 2, output_data_format='channels_first')",
        inputs={"x": SEQ},
        requires=("sequence_to_images",),
    ),
    # ---------------------------------------------------------- repeat / stack
    _case(
        "repeat_conv2d_scoped",
        "net = slim.repeat(x, 3, slim.conv2d, 4, [3, 3], scope='conv3',"
        " outputs_collections='end_points')",
        collections=("end_points",),
        requires=("repeat",),
    ),
    _case(
        "repeat_conv2d_default_scope",
        "net = slim.repeat(x, 2, slim.conv2d, 3, 1)",
        requires=("repeat",),
    ),
    _case(
        "repeat_inside_arg_scope_and_scope",
        "with slim.arg_scope([slim.conv2d], activation_fn=None):\n"
        "    with variable_scope('vgg'):\n"
        "        net = slim.repeat(x, 2, slim.conv2d, 4, [3, 3], scope='conv1')\n"
        "        net = slim.max_pool2d(net, [2, 2], scope='pool1')",
        requires=("repeat",),
    ),
    _case(
        "stack_fully_connected_scoped",
        "net = slim.stack(x, slim.fully_connected, [6, 7, 3], scope='fc')",
        inputs={"x": X2},
        requires=("stack",),
    ),
    _case(
        "stack_conv2d_tuples_default_scope",
        "net = slim.stack(x, slim.conv2d, [(4, [3, 3]), (6, [1, 1], 2)])",
        requires=("stack",),
    ),
    _case(
        "stack_args_not_list",
        "net = slim.stack(x, slim.fully_connected, 6)",
        outputs=(),
        inputs={"x": X2},
        expect_error="ValueError",
        requires=("stack",),
    ),
]

# A few cases in eager mode: concrete tensors, deterministic initializers on both sides.
CASES += [
    Case(
        "eager_conv2d_constant_init",
        "net = slim.conv2d(x, 4, [3, 3], weights_initializer="
        "tf.compat.v1.constant_initializer(A['w']),\n"
        "                  biases_initializer=tf.compat.v1.constant_initializer(0.1))",
        inputs={"x": X4, "w": randn(3, 3, 3, 4, seed=20)},
        outputs=("net",),
        mode="eager",
    ),
    Case(
        "eager_fully_connected_bn_train",
        "net = slim.fully_connected(x, 4, weights_initializer="
        "tf.compat.v1.constant_initializer(A['w']), normalizer_fn=slim.batch_norm,\n"
        "                           normalizer_params={'decay': 0.5})",
        inputs={"x": X2, "w": randn(5, 4, seed=21)},
        outputs=("net",),
        mode="eager",
        train=True,
    ),
    Case(
        "eager_max_pool_flatten",
        "net = slim.flatten(slim.max_pool2d(x, 2, padding='SAME'))",
        inputs={"x": X4},
        outputs=("net",),
        mode="eager",
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_layer_matches_tf_slim(case, peer_results):
    check_case(case, peer_results)


def test_default_initializer_differs_between_layers_of_same_shape():
    """slim's Xavier default draws fresh values per variable (tf_slim: Conv != Conv_1)."""
    import keras

    import kslim as slim

    with slim.Graph().as_default():
        x = keras.Input((6, 6, 4), batch_size=2)
        slim.conv2d(slim.conv2d(x, 4, 3), 4, 3)
        first, _, second, _ = slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)
        assert first.path == "Conv/weights" and second.path == "Conv_1/weights"
        assert not np.allclose(first.numpy(), second.numpy())


CHANNELS_FIRST_CASES = [c for c in CASES if "data_format='NC" in c.code]


def test_channels_first_cases_compare_on_hosts_without_nchw_kernels(tmp_path):
    """The runner's channels-last route (hosts whose CPU has no NCHW kernels) still agrees.

    Forced here on every host, so the route that some CI machines take is always tested.
    """
    assert len(CHANNELS_FIRST_CASES) >= 10
    results = run_tfslim(CHANNELS_FIRST_CASES, tmp_path, env={"KSLIM_PEER_CHANNELS_LAST": "1"})
    for case in CHANNELS_FIRST_CASES:
        assert "channels-last" in results[case.id].meta.get("peer_layout", ""), case.id
        check_case(case, results)
