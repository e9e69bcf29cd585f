"""The README's "Real slim code" example runs as printed, symbolically and eagerly."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import kslim as slim

README = Path(__file__).resolve().parents[1] / "README.md"


def _example_block():
    text = README.read_text()
    section = text.split("## Real slim code", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    return namespace["block"]


def test_readme_tf_code_example_builds_the_same_net_symbolically_and_eagerly():
    block = _example_block()
    with slim.Graph().as_default():
        images = keras.Input((8, 8, 3))
        net, end_points = block(images)
        names = [v.path for v in slim.get_model_variables()]
        model = keras.Model(images, net)
    assert net.shape == (None, 64)
    assert list(end_points) == ["Block/Branch_0", "Block/Branch_1"]
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype(np.float32)
    with slim.Graph().as_default():
        eager, eager_points = block(tf.constant(x))
        eager_vars = slim.get_model_variables()
    assert [v.path for v in eager_vars] == names
    assert list(eager_points) == list(end_points)
    model.set_weights([v.numpy() for v in eager_vars])
    np.testing.assert_allclose(model(x), eager, rtol=1e-5, atol=1e-6)
