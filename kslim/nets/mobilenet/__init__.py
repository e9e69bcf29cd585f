"""The MobileNet family of the slim model zoo, laid out as slim's ``nets/mobilenet``.

``mobilenet`` (the builder shared by the versions), ``conv_blocks`` (the inverted residual
block) and ``mobilenet_v2``.
"""

from . import conv_blocks, mobilenet, mobilenet_v2

__all__ = ["conv_blocks", "mobilenet", "mobilenet_v2"]
