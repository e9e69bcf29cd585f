"""kslim.preprocessing: per-example image preprocessing by network name (slim's factory).

``preprocessing_factory.get_preprocessing('lenet')`` returns the function that the
``kslim train`` / ``kslim eval`` commands map over each example inside tf.data.
"""

from kslim.preprocessing import lenet_preprocessing, preprocessing_factory

__all__ = ["lenet_preprocessing", "preprocessing_factory"]
