"""The building blocks of NASNet-A and PNASNet-5: cells, factorized reduction, drop path.

The slim model zoo's ``nets/nasnet/nasnet_utils.py`` (tensorflow/models
``research/slim``): the same scopes and variable names (``cell_3/comb_iter_1/left/
separable_3x3_2/depthwise_weights``, ``cell_stem_1/path1_conv/weights``), so the
published checkpoints load by name. The file is plain slim code with TF ops; with its
``import kslim as slim`` line changed to ``import tf_slim as slim`` it runs unchanged
under tf_slim (that is how its numbers are tested).

A cell is a Python object (``NasNetABaseCell`` and its subclasses) called once per
position in the net with that position's scope, filter scaling, stride and inputs.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

import kslim as slim

__all__ = [
    "DATA_FORMAT_NCHW",
    "DATA_FORMAT_NHWC",
    "NasNetABaseCell",
    "NasNetANormalCell",
    "NasNetAReductionCell",
    "calc_reduction_layers",
    "drop_path",
    "factorized_reduction",
    "get_channel_dim",
    "get_channel_index",
    "global_avg_pool",
]

DATA_FORMAT_NCHW = "NCHW"
DATA_FORMAT_NHWC = "NHWC"
INVALID = "null"
# Bound of tf.clip_by_value on the branch outputs with use_bounded_activation (ReLU6
# nets): the activations then stay in [-6, 6], which quantized inference needs.
CLIP_BY_VALUE_CAP = 6


def calc_reduction_layers(num_cells: int, num_reduction_layers: int) -> list[int]:
    """The cell numbers before which a reduction cell goes: evenly spaced in the net."""
    return [
        int(float(pool_num) / (num_reduction_layers + 1) * num_cells)
        for pool_num in range(1, num_reduction_layers + 1)
    ]


def _check_data_format(data_format: str) -> None:
    if data_format not in (DATA_FORMAT_NHWC, DATA_FORMAT_NCHW):
        raise ValueError(f"Not a valid data_format: {data_format!r} (expected 'NHWC' or 'NCHW')")


@slim.add_arg_scope
def get_channel_index(data_format: str = INVALID) -> int:
    """The channel axis: 3 for ``'NHWC'``, 1 for ``'NCHW'`` (set through arg_scope)."""
    _check_data_format(data_format)
    return 3 if data_format == DATA_FORMAT_NHWC else 1


@slim.add_arg_scope
def get_channel_dim(shape, data_format: str = INVALID) -> int:
    """The number of channels of a 4-D ``shape`` in ``data_format``."""
    _check_data_format(data_format)
    if len(shape) != 4:
        raise ValueError(f"get_channel_dim needs a 4-D shape, got {shape}")
    return int(shape[3] if data_format == DATA_FORMAT_NHWC else shape[1])


@slim.add_arg_scope
def global_avg_pool(x, data_format: str = INVALID):
    """Averages ``x`` over its two spatial axes: ``[N, C]``."""
    _check_data_format(data_format)
    if len(x.get_shape().as_list()) != 4:
        raise ValueError(f"global_avg_pool needs a 4-D input, got shape {x.get_shape()}")
    axes = [1, 2] if data_format == DATA_FORMAT_NHWC else [2, 3]
    return tf.reduce_mean(x, axes)


@slim.add_arg_scope
def factorized_reduction(net, output_filters: int, stride: int, data_format: str = INVALID):
    """Reduces the spatial size of ``net`` by ``stride`` without dropping any pixel.

    With ``stride == 1`` it is a 1x1 conv + batch norm to ``output_filters``. Otherwise
    two strided 1x1 paths, the second shifted by one pixel, each a 1x1 conv to half the
    filters (the second gets the odd one), concatenated and batch-normalized.
    """
    _check_data_format(data_format)
    if stride == 1:
        net = slim.conv2d(net, output_filters, 1, scope="path_conv")
        return slim.batch_norm(net, scope="path_bn")
    nhwc = data_format == DATA_FORMAT_NHWC
    strides = [1, stride, stride, 1] if nhwc else [1, 1, stride, stride]

    path1 = tf.nn.avg_pool2d(net, [1, 1, 1, 1], strides, "VALID", data_format=data_format)
    path1 = slim.conv2d(path1, int(output_filters / 2), 1, scope="path1_conv")

    # The second path sees the pixels the first one skips: pad one zero row and column
    # at the bottom/right and drop the first row and column.
    if nhwc:
        path2 = tf.pad(net, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
    else:
        path2 = tf.pad(net, [[0, 0], [0, 0], [0, 1], [0, 1]])[:, :, 1:, 1:]
    path2 = tf.nn.avg_pool2d(path2, [1, 1, 1, 1], strides, "VALID", data_format=data_format)
    path2_filters = int(output_filters / 2) + int(output_filters % 2)
    path2 = slim.conv2d(path2, path2_filters, 1, scope="path2_conv")

    final_path = tf.concat(values=[path1, path2], axis=3 if nhwc else 1)
    return slim.batch_norm(final_path, scope="final_path_bn")


@slim.add_arg_scope
def drop_path(net, keep_prob, is_training: bool = True):
    """Drops each example's ``net`` as a whole with probability ``1 - keep_prob``.

    The kept examples are scaled by ``1 / keep_prob``. The identity when not training.
    """
    if is_training:
        static_shape = net.get_shape()
        # The noise shape reads the batch size from net, so the draw is part of the model
        # (a fresh mask per run), not a constant drawn once when a Keras graph is built.
        noise_shape = [tf.shape(net)[0], 1, 1, 1]
        random_tensor = keep_prob + tf.compat.v1.random_uniform(noise_shape, dtype=tf.float32)
        binary_tensor = tf.cast(tf.floor(random_tensor), net.dtype)
        keep_prob_inv = tf.cast(1.0 / keep_prob, net.dtype)
        net = net * keep_prob_inv * binary_tensor
        net.set_shape(static_shape)  # the static batch size, where it is known
    return net


# ------------------------------------------------------------ operation strings
def _operation_to_filter_shape(operation: str) -> int:
    """``'separable_5x5_2'`` -> 5."""
    height, width = operation.split("x")[:2]
    if int(height[-1]) != int(width[0]):
        raise ValueError(f"Rectangular filters not supported: {operation!r}")
    return int(height[-1])


def _operation_to_num_layers(operation: str) -> int:
    """``'separable_5x5_2'`` -> 2; ``'separable_3x3'`` -> 1."""
    last = operation.split("_")[-1]
    return 1 if "x" in last else int(last)


def _operation_to_pooling_info(operation: str) -> tuple[str, int]:
    """``'avg_pool_3x3'`` -> ``('avg', 3)``."""
    parts = operation.split("_")
    height, width = parts[-1].split("x")
    if height != width:
        raise ValueError(f"Rectangular pooling not supported: {operation!r}")
    return parts[0], int(height)


def _stacked_separable_conv(net, stride, operation, filter_size, use_bounded_activation):
    """``num_layers`` x (activation, separable conv, batch norm); only the first strides."""
    num_layers = _operation_to_num_layers(operation)
    kernel_size = _operation_to_filter_shape(operation)
    activation_fn = tf.nn.relu6 if use_bounded_activation else tf.nn.relu
    for layer_num in range(1, num_layers + 1):
        net = activation_fn(net)
        net = slim.separable_conv2d(
            net,
            filter_size,
            kernel_size,
            depth_multiplier=1,
            scope=f"separable_{kernel_size}x{kernel_size}_{layer_num}",
            stride=stride,
        )
        net = slim.batch_norm(net, scope=f"bn_sep_{kernel_size}x{kernel_size}_{layer_num}")
        stride = 1
    return net


def _pooling(net, stride, operation, use_bounded_activation):
    """The ``'avg_pool_3x3'`` / ``'max_pool_3x3'`` operation, ``SAME`` padding."""
    pooling_type, pooling_shape = _operation_to_pooling_info(operation)
    if use_bounded_activation:
        net = tf.nn.relu6(net)
    if pooling_type == "avg":
        return slim.avg_pool2d(net, pooling_shape, stride=stride, padding="SAME")
    if pooling_type == "max":
        return slim.max_pool2d(net, pooling_shape, stride=stride, padding="SAME")
    raise NotImplementedError(f"Unimplemented pooling type: {pooling_type!r}")


# ------------------------------------------------------------------------ cells
class NasNetABaseCell:
    """A NASNet cell: five pairwise combinations of hidden states, concatenated.

    The cell starts with two hidden states: its input through relu + 1x1 conv + batch
    norm (index 0), and the previous layer brought to the same shape (index 1). Each of
    the five ``comb_iter_i`` blocks applies ``operations[2i]`` to the hidden state
    ``hiddenstate_indices[2i]`` (``left``) and ``operations[2i+1]`` to
    ``hiddenstate_indices[2i+1]`` (``right``), adds them and appends the sum. The hidden
    states not marked in ``used_hiddenstates`` are concatenated along the channels
    (``cell_output``).

    Args:
      num_conv_filters: the number of filters of each convolution at scaling 1.
      operations: the ten operation names (``'separable_5x5_2'``, ``'avg_pool_3x3'``,
        ``'none'``...), in order.
      used_hiddenstates: seven 0/1 flags; 1 marks a hidden state consumed inside the
        cell, left out of the output.
      hiddenstate_indices: the ten hidden-state indices the operations apply to.
      drop_path_keep_prob: keep probability of drop path at the last cell and the end
        of training (1.0: no drop path).
      total_num_cells: the number of cells of the net (for the per-cell keep prob).
      total_training_steps: the global step at which drop path reaches full strength.
      use_bounded_activation: relu6 and clipping to [-6, 6] instead of relu.
    """

    def __init__(
        self,
        num_conv_filters: int,
        operations: list[str],
        used_hiddenstates: list[int],
        hiddenstate_indices: list[int],
        drop_path_keep_prob: float,
        total_num_cells: int,
        total_training_steps: int,
        use_bounded_activation: bool = False,
    ) -> None:
        self._num_conv_filters = num_conv_filters
        self._operations = operations
        self._used_hiddenstates = used_hiddenstates
        self._hiddenstate_indices = hiddenstate_indices
        self._drop_path_keep_prob = drop_path_keep_prob
        self._total_num_cells = total_num_cells
        self._total_training_steps = total_training_steps
        self._use_bounded_activation = use_bounded_activation
        self._cell_num = -1
        self._filter_scaling = 1.0
        self._filter_size = num_conv_filters

    def _activation(self, net):
        return tf.nn.relu6(net) if self._use_bounded_activation else tf.nn.relu(net)

    def _clip(self, net):
        if self._use_bounded_activation:
            net = tf.clip_by_value(net, -CLIP_BY_VALUE_CAP, CLIP_BY_VALUE_CAP)
        return net

    def _reduce_prev_layer(self, prev_layer, curr_layer):
        """``prev_layer`` brought to ``curr_layer``'s size and this cell's filters."""
        if prev_layer is None:
            return curr_layer
        curr_num_filters = self._filter_size
        prev_num_filters = get_channel_dim(prev_layer.get_shape().as_list())
        curr_width = int(curr_layer.get_shape().as_list()[2])
        prev_width = int(prev_layer.get_shape().as_list()[2])
        if curr_width != prev_width:
            prev_layer = self._activation(prev_layer)
            prev_layer = factorized_reduction(prev_layer, curr_num_filters, stride=2)
        elif curr_num_filters != prev_num_filters:
            prev_layer = self._activation(prev_layer)
            prev_layer = slim.conv2d(prev_layer, curr_num_filters, 1, scope="prev_1x1")
            prev_layer = slim.batch_norm(prev_layer, scope="prev_bn")
        return prev_layer

    def _cell_base(self, net, prev_layer):
        """The cell's two starting hidden states: ``[1x1(net), prev_layer]``."""
        prev_layer = self._reduce_prev_layer(prev_layer, net)
        net = self._activation(net)
        net = slim.conv2d(net, self._filter_size, 1, scope="1x1")
        net = slim.batch_norm(net, scope="beginning_bn")
        return [net, prev_layer]

    def __call__(
        self,
        net,
        scope: str | None = None,
        filter_scaling: float = 1,
        stride: int = 1,
        prev_layer=None,
        cell_num: int = -1,
        current_step=None,
    ):
        """Runs the cell on ``net`` (and ``prev_layer``) in variable scope ``scope``."""
        self._cell_num = cell_num
        self._filter_scaling = filter_scaling
        self._filter_size = int(self._num_conv_filters * filter_scaling)

        with tf.compat.v1.variable_scope(scope):
            states = self._cell_base(net, prev_layer)
            for iteration in range(5):
                with tf.compat.v1.variable_scope(f"comb_iter_{iteration}"):
                    left_index = self._hiddenstate_indices[2 * iteration]
                    right_index = self._hiddenstate_indices[2 * iteration + 1]
                    with tf.compat.v1.variable_scope("left"):
                        h1 = self._apply_conv_operation(
                            states[left_index],
                            self._operations[2 * iteration],
                            stride,
                            left_index < 2,
                            current_step,
                        )
                    with tf.compat.v1.variable_scope("right"):
                        h2 = self._apply_conv_operation(
                            states[right_index],
                            self._operations[2 * iteration + 1],
                            stride,
                            right_index < 2,
                            current_step,
                        )
                    with tf.compat.v1.variable_scope("combine"):
                        h = h1 + h2
                        if self._use_bounded_activation:
                            h = tf.nn.relu6(h)
                    states.append(h)
            with tf.compat.v1.variable_scope("cell_output"):
                return self._combine_unused_states(states)

    def _apply_conv_operation(self, net, operation, stride, is_from_original_input, current_step):
        """One branch of a ``comb_iter``: ``operation`` on ``net``, then drop path."""
        # Only the cell's two starting hidden states are strided.
        if stride > 1 and not is_from_original_input:
            stride = 1
        input_filters = get_channel_dim(net.get_shape().as_list())
        filter_size = self._filter_size
        if "separable" in operation:
            net = _stacked_separable_conv(
                net, stride, operation, filter_size, self._use_bounded_activation
            )
            net = self._clip(net)
        elif operation == "none":
            if self._use_bounded_activation:
                net = tf.nn.relu6(net)
            if stride > 1 or input_filters != filter_size:
                if not self._use_bounded_activation:
                    net = tf.nn.relu(net)
                net = slim.conv2d(net, filter_size, 1, stride=stride, scope="1x1")
                net = slim.batch_norm(net, scope="bn_1")
                net = self._clip(net)
        elif "pool" in operation:
            net = _pooling(net, stride, operation, self._use_bounded_activation)
            if input_filters != filter_size:
                net = slim.conv2d(net, filter_size, 1, stride=1, scope="1x1")
                net = slim.batch_norm(net, scope="bn_1")
            net = self._clip(net)
        else:
            raise ValueError(f"Unimplemented operation: {operation!r}")
        if operation != "none":
            net = self._apply_drop_path(net, current_step=current_step)
        return net

    def _combine_unused_states(self, states):
        """Concatenates the unused hidden states, reduced to the last one's shape."""
        final_shape = states[-1].get_shape().as_list()
        final_width = int(final_shape[2])
        final_num_filters = get_channel_dim(final_shape)
        if len(self._used_hiddenstates) != len(states):
            raise ValueError(
                f"used_hiddenstates has {len(self._used_hiddenstates)} entries for "
                f"{len(states)} hidden states"
            )
        for idx, used in enumerate(self._used_hiddenstates):
            shape = states[idx].get_shape().as_list()
            width_differs = int(shape[2]) != final_width
            if not used and (width_differs or get_channel_dim(shape) != final_num_filters):
                with tf.compat.v1.variable_scope(f"reduction_{idx}"):
                    states[idx] = factorized_reduction(
                        states[idx], final_num_filters, 2 if width_differs else 1
                    )
        unused = [h for h, used in zip(states, self._used_hiddenstates, strict=True) if not used]
        return tf.concat(values=unused, axis=get_channel_index())

    def _apply_drop_path(
        self,
        net,
        current_step=None,
        use_summaries: bool = False,
        drop_connect_version: str = "v3",
    ):
        """Drop path whose drop probability grows with the cell depth and the step.

        Args:
          net: the branch output.
          current_step: the global step (a scalar tensor); None reads
            ``slim.get_or_create_global_step()``.
          use_summaries: also record scalar summaries of the ratios.
          drop_connect_version: ``'v1'`` scales the drop rate by the training
            progress, ``'v2'`` by the cell depth, ``'v3'`` (default) by both.

        Returns:
          ``net`` with drop path applied (unchanged when the keep prob is 1).
        """
        keep_prob: Any = self._drop_path_keep_prob
        if keep_prob >= 1.0:
            return net
        if drop_connect_version not in ("v1", "v2", "v3"):
            raise ValueError(
                f"drop_connect_version must be 'v1', 'v2' or 'v3', got {drop_connect_version!r}"
            )
        if drop_connect_version in ("v2", "v3"):
            if self._cell_num == -1:
                raise ValueError("drop path by cell depth needs the cell's cell_num")
            layer_ratio = (self._cell_num + 1) / float(self._total_num_cells)
            if use_summaries:
                tf.compat.v1.summary.scalar("layer_ratio", layer_ratio)
            keep_prob = 1 - layer_ratio * (1 - keep_prob)
        if drop_connect_version in ("v1", "v3"):
            if current_step is None:
                current_step = slim.get_or_create_global_step()
            current_step = tf.cast(current_step, tf.float32)
            current_ratio = tf.minimum(1.0, current_step / self._total_training_steps)
            if use_summaries:
                tf.compat.v1.summary.scalar("current_ratio", current_ratio)
            keep_prob = 1 - current_ratio * (1 - keep_prob)
        if use_summaries:
            tf.compat.v1.summary.scalar("drop_path_keep_prob", keep_prob)
        return drop_path(net, keep_prob)


class NasNetANormalCell(NasNetABaseCell):
    """The NASNet-A normal cell (stride 1)."""

    def __init__(
        self,
        num_conv_filters: int,
        drop_path_keep_prob: float,
        total_num_cells: int,
        total_training_steps: int,
        use_bounded_activation: bool = False,
    ) -> None:
        operations = [
            "separable_5x5_2",
            "separable_3x3_2",
            "separable_5x5_2",
            "separable_3x3_2",
            "avg_pool_3x3",
            "none",
            "avg_pool_3x3",
            "avg_pool_3x3",
            "separable_3x3_2",
            "none",
        ]
        used_hiddenstates = [1, 0, 0, 0, 0, 0, 0]
        hiddenstate_indices = [0, 1, 1, 1, 0, 1, 1, 1, 0, 0]
        super().__init__(
            num_conv_filters,
            operations,
            used_hiddenstates,
            hiddenstate_indices,
            drop_path_keep_prob,
            total_num_cells,
            total_training_steps,
            use_bounded_activation,
        )


class NasNetAReductionCell(NasNetABaseCell):
    """The NASNet-A reduction cell (stride 2: half the size, the filters scaled up)."""

    def __init__(
        self,
        num_conv_filters: int,
        drop_path_keep_prob: float,
        total_num_cells: int,
        total_training_steps: int,
        use_bounded_activation: bool = False,
    ) -> None:
        operations = [
            "separable_5x5_2",
            "separable_7x7_2",
            "max_pool_3x3",
            "separable_7x7_2",
            "avg_pool_3x3",
            "separable_5x5_2",
            "none",
            "avg_pool_3x3",
            "separable_3x3_2",
            "max_pool_3x3",
        ]
        used_hiddenstates = [1, 1, 1, 0, 0, 0, 0]
        hiddenstate_indices = [0, 1, 0, 1, 0, 1, 3, 2, 2, 0]
        super().__init__(
            num_conv_filters,
            operations,
            used_hiddenstates,
            hiddenstate_indices,
            drop_path_keep_prob,
            total_num_cells,
            total_training_steps,
            use_bounded_activation,
        )
