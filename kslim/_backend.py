"""Makes sure Keras runs on the TensorFlow backend before keras is imported."""

import os

_BACKEND = os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def check_backend() -> None:
    """Raises if Keras was already configured with another backend.

    Raises:
      ImportError: naming the active backend when it is not ``tensorflow``.
    """
    import keras

    active = keras.backend.backend()
    if active != "tensorflow":
        raise ImportError(
            f"kslim needs Keras' TensorFlow backend, but KERAS_BACKEND={active!r} is "
            "active. Set KERAS_BACKEND=tensorflow before importing keras or kslim."
        )
