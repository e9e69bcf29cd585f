"""slim.nets: network definitions (one net per file, as in slim) and their factory.

``kslim.nets.lenet.lenet`` ... are slim's model functions on ``import kslim as
slim``; ``kslim.nets.nets_factory.get_network_fn(name, num_classes)`` looks one up
by name (the registry the ``kslim train`` / ``kslim eval`` commands use).
"""

from kslim.nets import lenet, nets_factory

__all__ = ["lenet", "nets_factory"]
