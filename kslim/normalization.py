"""slim.normalization: ``group_norm`` and ``instance_norm`` (tf_slim.layers.normalization).

A module alias: the functions are those of ``kslim.layers.normalization``.
"""

from kslim.layers.normalization import group_norm, instance_norm

__all__ = ["group_norm", "instance_norm"]
