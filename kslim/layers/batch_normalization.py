"""slim's batch_norm (scope ``BatchNorm``): decay 0.999, no gamma unless scale=True."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.affine_normalization import AffineNorm
from kslim.layers.base import (
    SlimLayer,
    apply_activation,
    call_layer,
    get_or_create_layer,
    wrap_regularizer,
)
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import (
    Activation,
    Collections,
    Initializer,
    Regularizer,
    Reuse,
    Scope,
    ShapeLike,
    Tensor,
)
from kslim.utils import collect_named_outputs

__all__ = ["BatchNorm", "batch_norm"]


def _batch_moments(x: tf.Tensor, reduce_axes: Sequence[int]):
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
      decay: as ``batch_norm``.
      center: as ``batch_norm``.
      scale: as ``batch_norm``.
      epsilon: as ``batch_norm``.
      is_training: True/False fixed, or None to follow Keras' ``training``.
      channels_axis: the channel axis (1 for NCHW, -1 otherwise).
      bessel: unbiased variance in the moving average.
      param_initializers: dicts keyed beta/gamma/
        moving_mean/moving_variance.
      param_regularizers: see ``param_initializers``.
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
        is_training: bool | None = True,
        channels_axis: int = -1,
        bessel: bool = True,
        param_initializers: dict[str, Initializer | str | dict[str, Any]] | None = None,
        param_regularizers: dict[str, Regularizer | dict[str, Any] | None] | None = None,
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

    def build(self, input_shape: ShapeLike) -> None:
        """Creates ``beta``, ``gamma``, ``moving_mean`` and ``moving_variance`` for the channels."""
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

    def _debias_weight(self, name: str, shape: ShapeLike):
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

    def _update_moving_mean(self, mean: tf.Tensor | keras.Variable, one_minus: tf.Tensor) -> None:
        if self.biased is None:
            self.moving_mean.assign_sub((self.moving_mean - mean) * one_minus)
            return
        # TF1 assign_moving_average(zero_debias=True), in its order and float ops.
        self.biased.assign_sub((self.biased - mean) * one_minus)
        self.local_step.assign(self.local_step + 1.0)
        bias_factor = 1.0 - tf.pow(1.0 - one_minus, tf.convert_to_tensor(self.local_step))
        self.moving_mean.assign(tf.convert_to_tensor(self.biased) / bias_factor)

    def _fused_training(self, x: tf.Tensor):
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

    def _fused_inference(self, x: tf.Tensor):
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

    def call(self, inputs: Tensor, training: bool | None = None) -> tf.Tensor:
        """Normalizes by the batch moments (training, updating the averages), else the averages."""
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
        """The constructor arguments, for Keras serialization."""
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
    inputs: Tensor,
    decay: float = 0.999,
    center: bool = True,
    scale: bool = False,
    epsilon: float = 0.001,
    activation_fn: Activation | None = None,
    param_initializers: dict[str, Initializer] | None = None,
    param_regularizers: dict[str, Regularizer | None] | None = None,
    updates_collections: Collections | None = GraphKeys.UPDATE_OPS,
    is_training: bool | None = True,
    reuse: Reuse | None = None,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
    trainable: bool = True,
    batch_weights: Tensor | None = None,
    fused: bool | None = None,
    data_format: str = "NHWC",
    zero_debias_moving_mean: bool = False,
    scope: Scope | None = None,
    renorm: bool = False,
    renorm_clipping: dict[str, float] | None = None,
    renorm_decay: float = 0.99,
    adjustment: Callable[..., Any] | None = None,
) -> keras.KerasTensor | tf.Tensor:
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
      reuse: as
        usual (default scope ``BatchNorm``).
      variables_collections: see ``reuse``.
      outputs_collections: see ``reuse``.
      trainable: see ``reuse``.
      scope: see ``reuse``.
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
      renorm: not supported (raise
        if set).
      renorm_clipping: see ``renorm``.
      renorm_decay: see ``renorm``.
      adjustment: see ``renorm``.

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
    return layer is not None and not isinstance(layer, (BatchNorm, AffineNorm))


def _leave_in_default_collections(
    variables: Sequence[keras.Variable], model_variables: bool
) -> None:
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
