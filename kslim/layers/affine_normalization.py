"""The affine per-example norms' shared part: ``beta``/``gamma``, an activation, creation.

``layer_norm``, ``group_norm`` and ``instance_norm`` normalize each example
with its own statistics, then scale by ``gamma`` and shift by ``beta``;
``AffineNorm`` owns those variables, the activation and their config, and
``apply_norm`` the shared body of the slim functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from kslim.layers import _config as cfg
from kslim.layers.base import SlimLayer, call_layer, get_or_create_layer, layer_name
from kslim.layers.initializers import to_keras_initializer
from kslim.ops.variable_scope import VariableScope
from kslim.tensor_types import Activation, Collections, Initializer, ShapeLike, Tensor
from kslim.utils import collect_named_outputs

__all__ = ["AffineNorm", "apply_norm", "check_param_initializers", "tensor_name"]


def check_param_initializers(param_initializers: dict[str, Initializer] | None) -> dict:
    """``param_initializers`` as Keras initializers keyed beta/gamma.

    Args:
      param_initializers: a dict of initializers keyed beta/gamma, or None.

    Returns:
      The dict of Keras initializers (empty for None).

    Raises:
      TypeError: if it is neither a dict nor None.
    """
    if param_initializers is None:
        return {}
    if not isinstance(param_initializers, dict):
        raise TypeError(
            f"param_initializers must be a dict keyed beta/gamma or None, got "
            f"{param_initializers!r}"
        )
    return {k: to_keras_initializer(v) for k, v in param_initializers.items()}


def tensor_name(inputs: Tensor) -> str:
    """The tensor's name for slim's error messages (its repr when it has none)."""
    name = getattr(inputs, "name", None)
    return name if isinstance(name, str) else repr(inputs)


class AffineNorm(SlimLayer):
    """Shared state of layer/group/instance norm: ``beta``/``gamma`` and an activation."""

    def __init__(
        self,
        scope: str,
        center: bool = True,
        scale: bool = True,
        activation: str | Activation | dict[str, Any] | None = None,
        param_initializers: dict[str, Initializer | str | dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, **kwargs)
        self.center = bool(center)
        self.scale = bool(scale)
        self.activation = cfg.de_act(activation)
        self.param_initializers = {k: cfg.de_init(v) for k, v in (param_initializers or {}).items()}

    def build_params(self, shape: ShapeLike) -> None:
        """Creates ``beta`` and ``gamma`` (those ``center``/``scale`` ask for) of ``shape``."""
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

    def finish(self, y: tf.Tensor) -> tf.Tensor:
        """The normalized, scaled and shifted ``y`` through the activation (if any)."""
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(
            center=self.center,
            scale=self.scale,
            activation=cfg.ser_act(self.activation),
            param_initializers={k: cfg.ser_init(v) for k, v in self.param_initializers.items()},
        )
        return config


def apply_norm(
    sc: VariableScope,
    factory: Callable[..., AffineNorm],
    inputs: Tensor,
    center: bool,
    scale: bool,
    variables_collections: Collections | None = None,
    outputs_collections: Collections | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """The body of an affine norm's slim function, inside its variable scope ``sc``.

    Creates (or re-uses) the layer, calls it and collects the output. Without
    ``beta``/``gamma`` slim creates no variables, so the same scope can be used
    again without ``reuse``: such a layer is never shared and is named by its
    (unique) name scope.

    Args:
      sc: the entered variable scope.
      factory: ``(**Keras layer keywords) -> AffineNorm`` for the scope.
      inputs: the tensor or KerasTensor to normalize.
      center: whether the layer has ``beta`` / ``gamma``.
      scale: whether the layer has ``beta`` / ``gamma``.
      variables_collections: extra collections for the variables.
      outputs_collections: collections receiving the output.

    Returns:
      The normalized output.
    """
    if not center and not scale:
        layer, created = factory(name=layer_name(sc.original_name_scope)), True
    else:
        layer, created = get_or_create_layer(sc, factory, "beta" if center else "gamma")
    outputs = call_layer(layer, inputs, created, variables_collections)
    return collect_named_outputs(outputs_collections, sc.name, outputs)
