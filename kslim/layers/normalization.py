"""slim's batch_norm (scope ``BatchNorm``): decay 0.999, no gamma unless scale=True."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.activations import activation_name
from kslim.layers.base import (
    SlimLayer,
    apply_activation,
    call_layer,
    get_or_create_layer,
    layer_name,
    wrap_regularizer,
)
from kslim.layers.initializers import to_keras_initializer
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import variable_scope
from kslim.utils import collect_named_outputs

__all__ = [
    "BatchNorm",
    "GroupNorm",
    "InstanceNorm",
    "LayerNorm",
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
]


def _batch_moments(x, reduce_axes):
    """Mean, variance and element count of ``x`` over ``reduce_axes``, of the global batch.

    Under a tf.distribute strategy with several replicas, each replica holds a slice of
    the batch; the sums are all-reduced so every replica normalizes with the statistics
    of the whole batch, as one replica on the whole batch does (slim's synchronous
    replicas computed batch norm on the global batch).
    """
    count = tf.cast(tf.reduce_prod(tf.gather(tf.shape(x), reduce_axes)), x.dtype)
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        mean, variance = tf.nn.moments(x, reduce_axes)
        return mean, variance, count
    total, squares, count = context.all_reduce(
        tf.distribute.ReduceOp.SUM,
        [tf.reduce_sum(x, reduce_axes), tf.reduce_sum(tf.square(x), reduce_axes), count],
    )
    mean = total / count
    variance = tf.maximum(squares / count - tf.square(mean), 0.0)
    return mean, variance, count


@keras.saving.register_keras_serializable(package="kslim")
class BatchNorm(SlimLayer):
    """Batch normalization with slim's variables and moving-average rule.

    In training mode the batch mean and (biased) variance normalize, and
    ``moving -= (moving - batch) * (1 - decay)`` updates the averages; the
    variance average uses the unbiased (n/(n-1)) batch variance when
    ``bessel`` is set (slim's default fused path).

    Args:
      scope: variable scope path (``.../BatchNorm``).
      decay, center, scale, epsilon: as ``batch_norm``.
      is_training: True/False fixed, or None to follow Keras' ``training``.
      channels_axis: the channel axis (1 for NCHW, -1 otherwise).
      bessel: unbiased variance in the moving average.
      param_initializers, param_regularizers: dicts keyed beta/gamma/
        moving_mean/moving_variance.
      zero_debias: debias the moving mean as ``assign_moving_average(...,
        zero_debias=True)``: ``<scope>/<scope>/moving_mean/biased`` (slim's
        name: the scope appears twice) keeps the zero-started average,
        ``<scope>/<scope>/moving_mean/local_step`` counts the updates and
        ``moving_mean = biased / (1 - decay ** local_step)``. The two variables
        exist only when the layer can train (``is_training`` not False).
    """

    def __init__(
        self,
        scope: str,
        decay: float = 0.999,
        center: bool = True,
        scale: bool = False,
        epsilon: float = 0.001,
        is_training=True,
        channels_axis: int = -1,
        bessel: bool = True,
        param_initializers=None,
        param_regularizers=None,
        zero_debias: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.zero_debias = bool(zero_debias)
        self.decay = float(decay)
        self.center = bool(center)
        self.scale = bool(scale)
        self.epsilon = float(epsilon)
        self.is_training = is_training
        self.channels_axis = int(channels_axis)
        self.bessel = bool(bessel)
        self.param_initializers = {k: cfg.de_init(v) for k, v in (param_initializers or {}).items()}
        self.param_regularizers = {k: cfg.de_reg(v) for k, v in (param_regularizers or {}).items()}

    def build(self, input_shape) -> None:
        channels = input_shape[self.channels_axis]
        if channels is None:
            raise ValueError(
                f"Inputs {tuple(input_shape)} has undefined channels dimension "
                f"{self.channels_axis}."
            )
        shape = (int(channels),)
        init = self.param_initializers
        reg = self.param_regularizers
        self.beta = self.gamma = None

        def make_beta():
            self.beta = self.slim_weight(
                "beta",
                shape,
                init.get("beta", "zeros"),
                wrap_regularizer(reg.get("beta")),
                self.trainable,
            )

        def make_gamma():
            self.gamma = self.slim_weight(
                "gamma",
                shape,
                init.get("gamma", "ones"),
                wrap_regularizer(reg.get("gamma")),
                self.trainable,
            )

        # slim's rank-4 default path (the core layer) creates gamma first, the
        # fused rank-2 path beta first; the order shows in variable lists.
        makers = [(self.center, make_beta), (self.scale, make_gamma)]
        if len(input_shape) == 4:
            makers.reverse()
        for wanted, make in makers:
            if wanted:
                make()
        self.moving_mean = self.slim_weight(
            "moving_mean", shape, init.get("moving_mean", "zeros"), trainable=False
        )
        self.moving_variance = self.slim_weight(
            "moving_variance", shape, init.get("moving_variance", "ones"), trainable=False
        )
        self.biased = self.local_step = None
        if self.zero_debias and self.is_training is not False:
            self.biased = self._debias_weight("biased", shape)
            self.local_step = self._debias_weight("local_step", ())

    @property
    def debias_variables(self) -> list:
        """The ``biased`` and ``local_step`` variables (empty without debiasing).

        slim creates them with ``tf.get_variable`` (GLOBAL_VARIABLES only), not as
        model variables.
        """
        return [v for v in (self.biased, self.local_step) if v is not None]

    def _debias_weight(self, name: str, shape):
        # TF1's _zero_debias opens variable_scope(moving_mean's name) inside the
        # layer's scope, so slim's names repeat the scope: <scope>/<scope>/moving_mean/biased.
        with keras.name_scope("moving_mean", override_parent=f"{self.scope}/{self.scope}"):
            variable = keras.Variable(
                initializer="zeros",
                shape=tuple(shape),
                dtype=self.moving_mean.dtype,
                trainable=False,
                name=name,
            )
        variable.regularizer = None
        variable.constraint = None
        self._track_variable(variable)
        return variable

    def _update_moving_mean(self, mean, one_minus) -> None:
        if self.biased is None:
            self.moving_mean.assign_sub((self.moving_mean - mean) * one_minus)
            return
        # TF1 assign_moving_average(zero_debias=True), in its order and float ops.
        self.biased.assign_sub((self.biased - mean) * one_minus)
        self.local_step.assign(self.local_step + 1.0)
        bias_factor = 1.0 - tf.pow(1.0 - one_minus, tf.convert_to_tensor(self.local_step))
        self.moving_mean.assign(tf.convert_to_tensor(self.biased) / bias_factor)

    def _fused_training(self, x):
        """Training-mode batch norm by ``tf.compat.v1.nn.fused_batch_norm``, slim's kernel.

        tf_slim's default (fused) path runs that kernel; training-mode batch norm
        re-normalizes at every layer, so the rounding of another formula grows through
        a deep net (1e-4 after MobileNet v1's 27 layers) where the same kernel gives
        tf_slim's numbers exactly. Used for float32, channels-last inputs of rank 4 (rank
        2 as ``[N, 1, 1, C]``, as tf_slim does) with ``bessel`` set (the kernel's batch
        variance is the unbiased one), no zero-debiasing and one replica.

        Returns:
          ``(outputs, batch mean, unbiased batch variance)``, or None where it does not
          apply.
        """
        rank = x.shape.rank
        if (
            not self.bessel
            or self.biased is not None
            or x.dtype != tf.float32
            or rank not in (2, 4)
            or self.channels_axis % rank != rank - 1
        ):
            return None
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            return None
        channels = int(x.shape[-1])
        gamma = self.gamma if self.gamma is not None else tf.ones([channels], x.dtype)
        beta = self.beta if self.beta is not None else tf.zeros([channels], x.dtype)
        x4 = x if rank == 4 else tf.reshape(x, [-1, 1, 1, channels])
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x4, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True
        )
        if rank == 2:
            y = tf.reshape(y, tf.shape(x))
        return y, mean, variance

    def _fused_inference(self, x):
        """Inference-mode batch norm by the fused kernel on the moving averages, as tf_slim.

        The kernel rounds differently from ``tf.nn.batch_normalization``'s formula; through
        MobileNet v2's 52 batch norms that grows to 3e-5 of the last layer's outputs, where
        the same kernel gives tf_slim's numbers exactly. Used where ``_fused_training`` is
        (float32, channels-last, rank 2 or 4: slim's fused path).

        Returns:
          The outputs, or None where it does not apply.
        """
        rank = x.shape.rank
        if (
            not self.bessel
            or x.dtype != tf.float32
            or rank not in (2, 4)
            or self.channels_axis % rank != rank - 1
        ):
            return None
        channels = int(x.shape[-1])
        gamma = self.gamma if self.gamma is not None else tf.ones([channels], x.dtype)
        beta = self.beta if self.beta is not None else tf.zeros([channels], x.dtype)
        x4 = x if rank == 4 else tf.reshape(x, [-1, 1, 1, channels])
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x4,
            gamma,
            beta,
            mean=self.moving_mean,
            variance=self.moving_variance,
            epsilon=self.epsilon,
            data_format="NHWC",
            is_training=False,
        )
        if rank == 2:
            y = tf.reshape(y, tf.shape(x))
        return y

    def call(self, inputs, training=None):
        x = tf.convert_to_tensor(inputs)
        rank = x.shape.rank
        axis = self.channels_axis % rank
        reduce_axes = [i for i in range(rank) if i != axis]
        bshape = [1] * rank
        bshape[axis] = -1
        train = self.is_training if self.is_training is not None else bool(training)
        if train:
            fused = self._fused_training(x)
            if fused is not None:
                y, mean, unbiased = fused
                one_minus = tf.constant(1.0 - self.decay, x.dtype)
                self._update_moving_mean(mean, one_minus)
                self.moving_variance.assign_sub((self.moving_variance - unbiased) * one_minus)
                return y
            mean, variance, count = _batch_moments(x, reduce_axes)
            moving_var_target = variance
            if self.bessel:
                moving_var_target = variance * count / tf.maximum(count - 1.0, 1.0)
            one_minus = tf.constant(1.0 - self.decay, x.dtype)
            self._update_moving_mean(mean, one_minus)
            self.moving_variance.assign_sub((self.moving_variance - moving_var_target) * one_minus)
        else:
            fused = self._fused_inference(x)
            if fused is not None:
                return fused
            mean, variance = self.moving_mean, self.moving_variance
        beta = self.beta if self.beta is not None else None
        gamma = self.gamma if self.gamma is not None else None
        y = tf.nn.batch_normalization(
            x,
            tf.reshape(mean, bshape),
            tf.reshape(variance, bshape),
            None if beta is None else tf.reshape(beta, bshape),
            None if gamma is None else tf.reshape(gamma, bshape),
            self.epsilon,
        )
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            decay=self.decay,
            center=self.center,
            scale=self.scale,
            epsilon=self.epsilon,
            is_training=self.is_training,
            channels_axis=self.channels_axis,
            bessel=self.bessel,
            zero_debias=self.zero_debias,
            param_initializers={k: cfg.ser_init(v) for k, v in self.param_initializers.items()},
            param_regularizers={k: cfg.ser_reg(v) for k, v in self.param_regularizers.items()},
        )
        return config


@add_arg_scope
def batch_norm(
    inputs,
    decay=0.999,
    center=True,
    scale=False,
    epsilon=0.001,
    activation_fn=None,
    param_initializers=None,
    param_regularizers=None,
    updates_collections=GraphKeys.UPDATE_OPS,
    is_training=True,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    batch_weights=None,
    fused=None,
    data_format="NHWC",
    zero_debias_moving_mean=False,
    scope=None,
    renorm=False,
    renorm_clipping=None,
    renorm_decay=0.99,
    adjustment=None,
):
    """Batch normalization with slim's defaults and variable names.

    Variables ``<scope>/BatchNorm/{beta, gamma (scale=True only), moving_mean,
    moving_variance}``. In training mode the moving averages are updated in
    the forward pass (Keras style), which is what slim's ``create_train_op``
    achieves by running UPDATE_OPS before the gradients.

    Args:
      inputs: tensor of rank >= 2 with a known channel dimension.
      decay: moving-average decay, default 0.999.
      center: add ``beta``, default True.
      scale: add ``gamma``, default False.
      epsilon: default 0.001.
      activation_fn: optional activation after normalization.
      param_initializers: dict of initializers keyed beta/gamma/moving_mean/
        moving_variance.
      param_regularizers: dict of regularizers keyed beta/gamma.
      updates_collections: accepted; updates are always applied in the call.
      is_training: True (default) uses batch statistics and updates the
        averages; False uses the averages; None follows Keras' ``training``.
      reuse, variables_collections, outputs_collections, trainable, scope: as
        usual (default scope ``BatchNorm``).
      batch_weights: not supported (raises if given).
      fused: None/True: moving variance from the unbiased batch variance (slim's
        fused path, rank 2 and 4); False: biased.
      data_format: ``'NHWC'`` (default) or ``'NCHW'``.
      zero_debias_moving_mean: default False. True debiases the moving mean as
        ``tf.compat.v1.train.assign_moving_average(zero_debias=True)``, with
        slim's extra variables ``S/S/moving_mean/biased`` and
        ``S/S/moving_mean/local_step`` for the scope ``S`` (``BatchNorm``,
        ``conv1/BatchNorm``: TF1 repeats it); GLOBAL_VARIABLES only, not
        created when ``is_training=False``.
      renorm, renorm_clipping, renorm_decay, adjustment: not supported (raise
        if set).

    Returns:
      The normalized tensor.

    Raises:
      ValueError: for undefined rank/channels, an unknown ``data_format`` or
        an unsupported option.
    """
    del updates_collections
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC, got {data_format!r}")
    for name, value, default in (
        ("batch_weights", batch_weights, None),
        ("renorm", renorm, False),
        ("renorm_clipping", renorm_clipping, None),
        ("adjustment", adjustment, None),
    ):
        if value is not default and value != default:
            raise ValueError(f"batch_norm: {name}={value!r} is not supported by kslim")
    del renorm_decay
    if is_training not in (True, False, None):
        raise ValueError(f"is_training must be True, False or None, got {is_training!r}")
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", 0) is None:
        raise ValueError(f"Inputs {inputs} has undefined rank.")
    rank = len(shape)
    axis = 1 if data_format == "NCHW" and rank > 2 else -1
    if shape[axis] is None:
        raise ValueError(f"Inputs {inputs} has undefined channels dimension {axis}.")
    bessel = fused is not False and rank in (2, 4)
    with variable_scope(scope, "BatchNorm", reuse=reuse) as sc:
        layer, created = get_or_create_layer(
            sc,
            lambda: BatchNorm(
                sc.name,
                decay,
                center,
                scale,
                epsilon,
                is_training,
                axis,
                bessel,
                param_initializers,
                param_regularizers,
                zero_debias=bool(zero_debias_moving_mean),
                trainable=trainable,
            ),
            "beta" if center else ("gamma" if scale else "moving_mean"),
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        if created:
            # slim's custom getter (its non-fused path, and the scope of a conv/fc
            # layer whose normalizer this is) makes them model variables too.
            as_model = not bessel or _inside_layer_scope(sc.name)
            _leave_in_default_collections(layer.debias_variables, as_model)
        if activation_fn is not None:
            outputs = apply_activation(activation_fn, outputs, sc.original_name_scope)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


def _inside_layer_scope(scope: str) -> bool:
    """True when the enclosing variable scope is a slim layer's (``conv1`` of ``conv1/BatchNorm``).

    There slim's layers set a custom getter that the normalizer's scope inherits.
    """
    parent = scope.rpartition("/")[0]
    layer = get_default_graph().get_layer(parent) if parent else None
    return layer is not None and not isinstance(layer, (BatchNorm, _AffineNorm))


def _leave_in_default_collections(variables, model_variables: bool) -> None:
    """Keeps ``variables`` in GLOBAL_VARIABLES (and MODEL_VARIABLES) only.

    slim creates the debias variables with ``tf.get_variable`` and no collections.
    """
    if not variables:
        return
    graph = get_default_graph()
    keep = {GraphKeys.GLOBAL_VARIABLES}
    if model_variables:
        keep.add(GraphKeys.MODEL_VARIABLES)
    ids = {id(v) for v in variables}
    for key in graph.get_all_collection_keys():
        if key in keep:
            continue
        ref = graph.get_collection_ref(key)
        ref[:] = [item for item in ref if id(item) not in ids]


def _param_initializers(param_initializers) -> dict:
    if param_initializers is None:
        return {}
    if not isinstance(param_initializers, dict):
        raise TypeError(
            f"param_initializers must be a dict keyed beta/gamma or None, got "
            f"{param_initializers!r}"
        )
    return {k: to_keras_initializer(v) for k, v in param_initializers.items()}


def _tensor_name(inputs) -> str:
    name = getattr(inputs, "name", None)
    return name if isinstance(name, str) else repr(inputs)


class _AffineNorm(SlimLayer):
    """Shared state of layer/group/instance norm: ``beta``/``gamma`` and an activation."""

    def __init__(
        self,
        scope: str,
        center: bool = True,
        scale: bool = True,
        activation=None,
        param_initializers=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.center = bool(center)
        self.scale = bool(scale)
        self.activation = cfg.de_act(activation)
        self.param_initializers = {k: cfg.de_init(v) for k, v in (param_initializers or {}).items()}

    def build_params(self, shape) -> None:
        init = self.param_initializers
        self.beta = self.gamma = None
        if self.center:
            self.beta = self.slim_weight(
                "beta", shape, init.get("beta", "zeros"), trainable=self.trainable
            )
        if self.scale:
            self.gamma = self.slim_weight(
                "gamma", shape, init.get("gamma", "ones"), trainable=self.trainable
            )

    def finish(self, y):
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            center=self.center,
            scale=self.scale,
            activation=cfg.ser_act(self.activation),
            param_initializers={k: cfg.ser_init(v) for k, v in self.param_initializers.items()},
        )
        return config


def _get_or_create_norm(sc, factory, center: bool, scale: bool):
    """Registers the layer of ``sc``, except one with no variables.

    Without ``beta``/``gamma`` slim creates no variables, so the same scope can
    be used again without ``reuse``; such a layer is never shared and is named
    by its (unique) name scope.
    """
    if not center and not scale:
        return factory(name=layer_name(sc.original_name_scope)), True
    return get_or_create_layer(sc, factory, "beta" if center else "gamma")


@keras.saving.register_keras_serializable(package="kslim")
class LayerNorm(_AffineNorm):
    """slim's layer normalization: moments over ``[begin_norm_axis, rank)``.

    ``beta``/``gamma`` have shape ``inputs.shape[begin_params_axis:]``; the
    variance epsilon is 1e-12 (1e-3 for float16), as in slim.

    Args:
      scope: variable scope path (``.../LayerNorm``).
      center, scale: create ``beta`` / ``gamma``.
      activation: applied after normalization, or None.
      begin_norm_axis: first normalized axis (non-negative).
      begin_params_axis: first parameter axis (may be negative).
    """

    def __init__(
        self,
        scope: str,
        center: bool = True,
        scale: bool = True,
        activation=None,
        begin_norm_axis: int = 1,
        begin_params_axis: int = -1,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, center, scale, activation, **kwargs)
        self.begin_norm_axis = int(begin_norm_axis)
        self.begin_params_axis = int(begin_params_axis)

    def build(self, input_shape) -> None:
        self.build_params(tuple(int(d) for d in tuple(input_shape)[self.begin_params_axis :]))

    def call(self, inputs):
        x = inputs
        rank = x.shape.rank
        mean, variance = tf.nn.moments(x, list(range(self.begin_norm_axis, rank)), keepdims=True)
        epsilon = 1e-12 if x.dtype != tf.float16 else 1e-3
        y = tf.nn.batch_normalization(
            x, mean, variance, offset=self.beta, scale=self.gamma, variance_epsilon=epsilon
        )
        y.set_shape(x.shape)
        return self.finish(y)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("param_initializers")
        config.update(
            begin_norm_axis=self.begin_norm_axis, begin_params_axis=self.begin_params_axis
        )
        return config


@add_arg_scope
def layer_norm(
    inputs,
    center=True,
    scale=True,
    activation_fn=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    begin_norm_axis=1,
    begin_params_axis=-1,
    scope=None,
):
    """Layer normalization (default scope ``LayerNorm``), slim's defaults.

    Normalizes over axes ``begin_norm_axis .. rank-1`` (default: every axis but
    the batch) with variance epsilon 1e-12 (1e-3 for float16); ``beta`` (zeros)
    and ``gamma`` (ones) have shape ``inputs.shape[begin_params_axis:]``
    (default: the last axis) and broadcast over the normalized tensor.

    Args:
      inputs: a tensor or KerasTensor of known rank.
      center: create and add ``beta``, default True.
      scale: create and multiply by ``gamma``, default True.
      activation_fn: optional activation, default None.
      reuse: re-use the layer of ``scope``.
      variables_collections: extra collections (or a dict keyed beta/gamma).
      outputs_collections: collections receiving the output.
      trainable: whether beta/gamma are trained, default True.
      begin_norm_axis: first normalized axis, default 1 (may be negative).
      begin_params_axis: first parameter axis, default -1.
      scope: variable scope, default ``LayerNorm`` made unique.

    Returns:
      The normalized tensor, same shape and dtype as ``inputs``.

    Raises:
      ValueError: if the rank is unknown, an axis is not below the rank, or
        ``inputs.shape[begin_params_axis:]`` is not fully defined (slim's
        messages).
    """
    with variable_scope(scope, "LayerNorm", reuse=reuse) as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None:
            raise ValueError(f"Inputs {_tensor_name(inputs)} has undefined rank.")
        rank = len(shape)
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError(
                f"begin_params_axis ({begin_params_axis}) and begin_norm_axis "
                f"({begin_norm_axis}) must be < rank(inputs) ({rank})"
            )
        if begin_norm_axis < 0 or begin_params_axis < -rank:
            raise ValueError(
                f"begin_params_axis ({begin_params_axis}) and begin_norm_axis "
                f"({begin_norm_axis}) must be >= -rank(inputs) ({-rank})"
            )
        params_shape = tuple(shape)[begin_params_axis:]
        if any(d is None for d in params_shape):
            raise ValueError(
                f"Inputs {_tensor_name(inputs)}: shape(inputs)[{begin_params_axis}:] is not "
                f"fully defined: {tuple(shape)}"
            )
        layer, created = _get_or_create_norm(
            sc,
            lambda **kw: LayerNorm(
                sc.name,
                center,
                scale,
                activation_name(activation_fn),
                begin_norm_axis,
                begin_params_axis,
                trainable=trainable,
                **kw,
            ),
            center,
            scale,
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@keras.saving.register_keras_serializable(package="kslim")
class GroupNorm(_AffineNorm):
    """slim's group normalization.

    The channel axis is split into ``groups``; moments run over each group and
    ``reduction_axes``; ``out = x·g + (β − mean·g)`` with ``g = rsqrt(var+eps)·γ``.

    Args:
      scope: variable scope path.
      groups: number of groups.
      channels_axis: the (non-negative) channel axis.
      reduction_axes: the (non-negative) axes reduced with each group.
      center, scale, activation, param_initializers: as ``_AffineNorm``.
      epsilon: variance epsilon.
      mean_close_to_zero: variance from sufficient statistics (slim's option).
    """

    def __init__(
        self,
        scope: str,
        groups: int = 32,
        channels_axis: int = -1,
        reduction_axes: Sequence[int] = (-3, -2),
        center: bool = True,
        scale: bool = True,
        epsilon: float = 1e-6,
        activation=None,
        param_initializers=None,
        mean_close_to_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, center, scale, activation, param_initializers, **kwargs)
        self.groups = int(groups)
        self.channels_axis = int(channels_axis)
        self.reduction_axes = tuple(int(a) for a in reduction_axes)
        self.epsilon = float(epsilon)
        self.mean_close_to_zero = bool(mean_close_to_zero)

    def build(self, input_shape) -> None:
        self.build_params((int(input_shape[self.channels_axis]),))

    def call(self, inputs):
        x = inputs
        rank = x.shape.rank
        axis = self.channels_axis
        channels = int(x.shape[axis])
        dynamic = tf.shape(x)
        dims = [x.shape[i] if x.shape[i] is not None else dynamic[i] for i in range(rank)]
        before, after = dims[:axis], dims[axis + 1 :]
        split = [self.groups, channels // self.groups]
        broadcast = [1] * len(before) + split + [1] * len(after)
        x = tf.reshape(x, before + split + after)
        moments_axes = [axis + 1] + [a + 1 if a > axis else a for a in self.reduction_axes]
        if self.mean_close_to_zero:
            counts, means_ss, variance_ss, _ = tf.nn.sufficient_statistics(
                x, moments_axes, keepdims=True
            )
            mean, variance = tf.nn.normalize_moments(counts, means_ss, variance_ss, shift=None)
        else:
            mean, variance = tf.nn.moments(x, moments_axes, keepdims=True)
        gain = tf.math.rsqrt(variance + self.epsilon)
        offset = -mean * gain
        if self.gamma is not None:
            gamma = tf.reshape(self.gamma, broadcast)
            gain *= gamma
            offset *= gamma
        if self.beta is not None:
            offset += tf.reshape(self.beta, broadcast)
        y = tf.reshape(x * gain + offset, dims)
        return self.finish(y)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            groups=self.groups,
            channels_axis=self.channels_axis,
            reduction_axes=list(self.reduction_axes),
            epsilon=self.epsilon,
            mean_close_to_zero=self.mean_close_to_zero,
        )
        return config


@add_arg_scope
def group_norm(
    inputs,
    groups=32,
    channels_axis=-1,
    reduction_axes=(-3, -2),
    center=True,
    scale=True,
    epsilon=1e-6,
    activation_fn=None,
    param_initializers=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
    mean_close_to_zero=False,
):
    """Group normalization (default scope ``GroupNorm``), slim's defaults.

    The channel axis is divided into ``groups``; statistics are computed per
    example over each group and ``reduction_axes`` (default H, W of NHWC).
    ``beta``/``gamma`` have shape [C].

    Args:
      inputs: a tensor or KerasTensor with known channel and reduction dims.
      groups: number of groups, default 32; must divide the channels.
      channels_axis: channel axis, default -1 (use -3 for NCHW).
      reduction_axes: axes reduced with each group, default (-3, -2).
      center: create ``beta``, default True.
      scale: create ``gamma``, default True.
      epsilon: variance epsilon, default 1e-6.
      activation_fn: optional activation, default None.
      param_initializers: optional dict of initializers keyed beta/gamma.
      reuse, variables_collections, outputs_collections, trainable, scope: as
        usual (default scope ``GroupNorm``).
      mean_close_to_zero: compute the variance from sufficient statistics.

    Returns:
      The normalized tensor.

    Raises:
      ValueError: slim's messages: undefined rank, ``'Axis is out of bounds.'``,
        undefined channel/reduction dimensions, ``'reduction_axis must be
        mutually exclusive with channels_axis'``, ``'Invalid groups %d for %d
        channels.'``, ``'%d channels is not commensurate with %d groups.'``.
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", len(shape)) is None:
        raise ValueError(f"Inputs {_tensor_name(inputs)} has undefined rank.")
    rank = len(shape)
    if channels_axis > rank - 1 or channels_axis < -rank:
        raise ValueError("Axis is out of bounds.")
    if channels_axis < 0:
        channels_axis = rank + channels_axis
    channels = shape[channels_axis]
    if channels is None:
        raise ValueError(
            f"Inputs {_tensor_name(inputs)} has undefined channel dimension: {channels_axis}."
        )
    axes = [a + rank if a < 0 else a for a in reduction_axes]
    for a in axes:
        if a >= rank or a < 0:
            raise ValueError("Axis is out of bounds.")
        if shape[a] is None:
            raise ValueError(f"Inputs {_tensor_name(inputs)} has undefined dimensions {a}.")
        if channels_axis == a:
            raise ValueError("reduction_axis must be mutually exclusive with channels_axis")
    if groups > channels:
        raise ValueError(f"Invalid groups {groups} for {channels} channels.")
    if channels % groups != 0:
        raise ValueError(f"{channels} channels is not commensurate with {groups} groups.")
    initializers = _param_initializers(param_initializers)
    with variable_scope(scope, "GroupNorm", reuse=reuse) as sc:
        layer, created = _get_or_create_norm(
            sc,
            lambda **kw: GroupNorm(
                sc.name,
                groups,
                channels_axis,
                axes,
                center,
                scale,
                epsilon,
                activation_name(activation_fn),
                initializers,
                mean_close_to_zero,
                trainable=trainable,
                **kw,
            ),
            center,
            scale,
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@keras.saving.register_keras_serializable(package="kslim")
class InstanceNorm(_AffineNorm):
    """slim's instance normalization: moments over every axis but batch and channel.

    Args:
      scope: variable scope path.
      center, scale, activation, param_initializers: as ``_AffineNorm``.
      epsilon: variance epsilon.
      data_format: ``'NHWC'`` (channels last) or ``'NCHW'`` (channels at axis 1).
    """

    def __init__(
        self,
        scope: str,
        center: bool = True,
        scale: bool = True,
        epsilon: float = 1e-6,
        activation=None,
        param_initializers=None,
        data_format: str = "NHWC",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, center, scale, activation, param_initializers, **kwargs)
        self.epsilon = float(epsilon)
        self.data_format = data_format

    def _channel_axis(self, rank: int) -> int:
        return 1 if self.data_format == "NCHW" else rank - 1

    def build(self, input_shape) -> None:
        self.build_params((int(input_shape[self._channel_axis(len(input_shape))]),))

    def call(self, inputs):
        x = inputs
        rank = x.shape.rank
        axis = self._channel_axis(rank)
        moments_axes = [i for i in range(1, rank) if i != axis]
        beta, gamma = self.beta, self.gamma
        if self.data_format == "NCHW":
            broadcast = [1, int(x.shape[1])] + [1] * (rank - 2)
            beta = None if beta is None else tf.reshape(beta, broadcast)
            gamma = None if gamma is None else tf.reshape(gamma, broadcast)
        mean, variance = tf.nn.moments(x, moments_axes, keepdims=True)
        y = tf.nn.batch_normalization(x, mean, variance, beta, gamma, self.epsilon)
        return self.finish(y)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(epsilon=self.epsilon, data_format=self.data_format)
        return config


@add_arg_scope
def instance_norm(
    inputs,
    center=True,
    scale=True,
    epsilon=1e-6,
    activation_fn=None,
    param_initializers=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    data_format="NHWC",
    scope=None,
):
    """Instance normalization (default scope ``InstanceNorm``), slim's defaults.

    Statistics per example and channel over every other axis; ``beta``/``gamma``
    have shape [C].

    Args:
      inputs: a tensor or KerasTensor of known rank with a known channel dim.
      center: create ``beta``, default True.
      scale: create ``gamma``, default True.
      epsilon: variance epsilon, default 1e-6.
      activation_fn: optional activation, default None.
      param_initializers: optional dict of initializers keyed beta/gamma.
      reuse, variables_collections, outputs_collections, trainable: as usual.
      data_format: ``'NHWC'`` (default, channels last) or ``'NCHW'`` (axis 1).
      scope: variable scope, default ``InstanceNorm`` made unique.

    Returns:
      The normalized tensor.

    Raises:
      ValueError: for an undefined rank, another ``data_format`` or an
        undefined channel dimension (slim's messages).
    """
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", len(shape)) is None:
        raise ValueError(f"Inputs {_tensor_name(inputs)} has undefined rank.")
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(
            f"data_format has to be either NCHW or NHWC. (data_format={data_format!r})"
        )
    initializers = _param_initializers(param_initializers)
    with variable_scope(scope, "InstanceNorm", reuse=reuse) as sc:
        axis = 1 if data_format == "NCHW" else len(shape) - 1
        if shape[axis] is None:
            raise ValueError(
                f"Inputs {_tensor_name(inputs)} has undefined channels dimension "
                f"{tf.TensorShape([None])}."
            )
        layer, created = _get_or_create_norm(
            sc,
            lambda **kw: InstanceNorm(
                sc.name,
                center,
                scale,
                epsilon,
                activation_name(activation_fn),
                initializers,
                data_format,
                trainable=trainable,
                **kw,
            ),
            center,
            scale,
        )
        outputs = call_layer(layer, inputs, created, variables_collections)
        return collect_named_outputs(outputs_collections, sc.name, outputs)
