"""slim.nets: network definitions (one net per file, as in slim) and their factory.

``kslim.nets.lenet.lenet`` ... are slim's model functions on ``import kslim as
slim``; ``kslim.nets.nets_factory.get_network_fn(name, num_classes)`` looks one up
by name (the registry the ``kslim train`` / ``kslim eval`` commands use).
"""

from kslim.nets import (
    alexnet,
    inception,
    inception_utils,
    inception_v1,
    inception_v2,
    inception_v3,
    lenet,
    nets_factory,
    overfeat,
    resnet_utils,
    resnet_v1,
    resnet_v2,
    vgg,
)

# slim's zoo in the factory, under the names of slim's nets_factory.
nets_factory.networks_map.update(
    {
        "alexnet_v2": alexnet.alexnet_v2,
        "overfeat": overfeat.overfeat,
        "vgg_a": vgg.vgg_a,
        "vgg_16": vgg.vgg_16,
        "vgg_19": vgg.vgg_19,
        "inception_v1": inception_v1.inception_v1,
        "inception_v2": inception_v2.inception_v2,
        "inception_v3": inception_v3.inception_v3,
        "resnet_v1_50": resnet_v1.resnet_v1_50,
        "resnet_v1_101": resnet_v1.resnet_v1_101,
        "resnet_v1_152": resnet_v1.resnet_v1_152,
        "resnet_v1_200": resnet_v1.resnet_v1_200,
        "resnet_v2_50": resnet_v2.resnet_v2_50,
        "resnet_v2_101": resnet_v2.resnet_v2_101,
        "resnet_v2_152": resnet_v2.resnet_v2_152,
        "resnet_v2_200": resnet_v2.resnet_v2_200,
    }
)
nets_factory.arg_scopes_map.update(
    {
        "alexnet_v2": alexnet.alexnet_v2_arg_scope,
        "overfeat": overfeat.overfeat_arg_scope,
        "vgg_a": vgg.vgg_arg_scope,
        "vgg_16": vgg.vgg_arg_scope,
        "vgg_19": vgg.vgg_arg_scope,
        "inception_v1": inception_v1.inception_v1_arg_scope,
        "inception_v2": inception_v2.inception_v2_arg_scope,
        "inception_v3": inception_v3.inception_v3_arg_scope,
        **{
            f"resnet_v{v}_{d}": resnet_utils.resnet_arg_scope
            for v in (1, 2)
            for d in (50, 101, 152, 200)
        },
    }
)

__all__ = [
    "alexnet",
    "inception",
    "inception_utils",
    "inception_v1",
    "inception_v2",
    "inception_v3",
    "lenet",
    "nets_factory",
    "overfeat",
    "resnet_utils",
    "resnet_v1",
    "resnet_v2",
    "vgg",
]
