"""A factory-pattern class which returns classification image/label pairs.

As slim's ``nets/nets_factory.py``: ``networks_map`` and ``arg_scopes_map`` map a
network name to its function and to its ``*_arg_scope`` function, and
``get_network_fn(name, num_classes)`` returns the network wrapped in its arg scope.

To add a network, register it in both maps (a net module per file in
``kslim/nets/``, as in slim)::

    from kslim.nets import nets_factory
    nets_factory.networks_map['my_net'] = my_net
    nets_factory.arg_scopes_map['my_net'] = my_net_arg_scope
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from kslim.nets import (
    cifarnet,
    inception_resnet_v2,
    inception_v4,
    lenet,
    mobilenet_v1,
    nasnet,
    pnasnet,
)
from kslim.nets.mobilenet import mobilenet_v2
from kslim.ops.arg_scope import arg_scope

__all__ = ["arg_scopes_map", "get_network_fn", "networks_map"]

networks_map: dict[str, Callable[..., Any]] = {
    "cifarnet": cifarnet.cifarnet,
    "lenet": lenet.lenet,
    "mobilenet_v2": mobilenet_v2.mobilenet,
    "mobilenet_v2_140": mobilenet_v2.mobilenet_v2_140,
    "mobilenet_v2_035": mobilenet_v2.mobilenet_v2_035,
    "mobilenet_v1": mobilenet_v1.mobilenet_v1,
    "mobilenet_v1_075": mobilenet_v1.mobilenet_v1_075,
    "mobilenet_v1_050": mobilenet_v1.mobilenet_v1_050,
    "mobilenet_v1_025": mobilenet_v1.mobilenet_v1_025,
    "inception_v4": inception_v4.inception_v4,
    "inception_resnet_v2": inception_resnet_v2.inception_resnet_v2,
    "nasnet_cifar": nasnet.build_nasnet_cifar,
    "nasnet_mobile": nasnet.build_nasnet_mobile,
    "nasnet_large": nasnet.build_nasnet_large,
    "pnasnet_mobile": pnasnet.build_pnasnet_mobile,
    "pnasnet_large": pnasnet.build_pnasnet_large,
}

arg_scopes_map: dict[str, Callable[..., Any]] = {
    "cifarnet": cifarnet.cifarnet_arg_scope,
    "lenet": lenet.lenet_arg_scope,
    "mobilenet_v2": mobilenet_v2.training_scope,
    "mobilenet_v2_140": mobilenet_v2.training_scope,
    "mobilenet_v2_035": mobilenet_v2.training_scope,
    "mobilenet_v1": mobilenet_v1.mobilenet_v1_arg_scope,
    "mobilenet_v1_075": mobilenet_v1.mobilenet_v1_arg_scope,
    "mobilenet_v1_050": mobilenet_v1.mobilenet_v1_arg_scope,
    "mobilenet_v1_025": mobilenet_v1.mobilenet_v1_arg_scope,
    "inception_v4": inception_v4.inception_v4_arg_scope,
    "inception_resnet_v2": inception_resnet_v2.inception_resnet_v2_arg_scope,
    "nasnet_cifar": nasnet.nasnet_cifar_arg_scope,
    "nasnet_mobile": nasnet.nasnet_mobile_arg_scope,
    "nasnet_large": nasnet.nasnet_large_arg_scope,
    "pnasnet_mobile": pnasnet.pnasnet_mobile_arg_scope,
    "pnasnet_large": pnasnet.pnasnet_large_arg_scope,
}


def get_network_fn(
    name: str, num_classes: int | None, weight_decay: float = 0.0, is_training: bool = False
) -> Callable[..., Any]:
    """Returns a network_fn such as ``logits, end_points = network_fn(images)``.

    Args:
      name: the name of the network (a key of ``networks_map``, e.g. ``'lenet'``).
      num_classes: the number of classes to use for classification. If 0 or None,
        the logits layer is omitted and its input features are returned instead.
      weight_decay: the l2 coefficient for the model weights, default 0.0.
      is_training: ``True`` if the model is being used for training, default False.

    Returns:
      network_fn: a function ``network_fn(images, **kwargs)`` that applies the
      model to a batch of images (inside the network's arg scope), returning
      ``(net, end_points)``. It has the network's ``default_image_size`` when the
      network defines one.

    Raises:
      ValueError: if network ``name`` is not recognized (slim's message).
    """
    if name not in networks_map:
        raise ValueError("Name of network unknown %s" % name)
    func = networks_map[name]

    @functools.wraps(func)
    def network_fn(images: Any, **kwargs: Any) -> tuple[Any, dict]:
        with arg_scope(arg_scopes_map[name](weight_decay=weight_decay)):
            return func(images, num_classes=num_classes, is_training=is_training, **kwargs)

    if hasattr(func, "default_image_size"):
        network_fn.default_image_size = func.default_image_size

    return network_fn
