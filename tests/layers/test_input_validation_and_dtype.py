"""Bad input to layer functions raises an error naming the argument and the value."""

import keras
import numpy as np
import pytest

import kslim as slim


@pytest.fixture(autouse=True)
def fresh_graph():
    with slim.Graph().as_default():
        yield


def test_conv2d_rejects_non_int_num_outputs():
    x = keras.Input((8, 8, 3))
    with pytest.raises(ValueError, match=r"num_outputs type should be one of .*num_outputs=2\.0"):
        slim.conv2d(x, 2.0, [3, 3])


def test_fully_connected_rejects_numpy_int_num_outputs():
    x = keras.Input((4,))
    with pytest.raises(ValueError, match="num_outputs type should be one of"):
        slim.fully_connected(x, np.int64(3))


def test_conv2d_rejects_kernel_size_of_wrong_length():
    x = keras.Input((8, 8, 3))
    with pytest.raises(ValueError, match=r"kernel_size must be .*2 positive ints, got \[3, 3, 3\]"):
        slim.conv2d(x, 4, [3, 3, 3])


def test_conv2d_rejects_unknown_data_format():
    x = keras.Input((8, 8, 3))
    with pytest.raises(ValueError, match="Invalid data_format: 'NWHC'"):
        slim.conv2d(x, 4, [3, 3], data_format="NWHC")


def test_max_pool2d_rejects_unknown_data_format():
    x = keras.Input((8, 8, 3))
    with pytest.raises(ValueError, match="data_format='HWC'"):
        slim.max_pool2d(x, [2, 2], data_format="HWC")


def test_conv2d_rejects_undefined_channel_dimension():
    x = keras.Input((8, 8, None))
    with pytest.raises(ValueError, match="undefined channels dimension"):
        slim.conv2d(x, 4, [3, 3])


def test_batch_norm_rejects_undefined_channel_dimension():
    x = keras.Input((8, 8, None))
    with pytest.raises(ValueError, match="undefined channels dimension"):
        slim.batch_norm(x)


def test_dropout_rejects_keep_prob_out_of_range():
    with pytest.raises(ValueError, match="keep_prob must be a float in \\(0, 1\\], got 1.5"):
        slim.dropout(keras.Input((4,)), keep_prob=1.5)


def test_arg_scope_over_undecorated_function_names_it():
    def plain(x, padding="SAME"):
        return x

    with pytest.raises(ValueError, match="is not decorated with @add_arg_scope"):
        with slim.arg_scope([plain], padding="VALID"):
            pass


def test_unknown_keyword_in_arg_scope_names_keyword_value_and_function():
    x = keras.Input((8, 8, 3))
    with slim.arg_scope([slim.conv2d], pading="VALID"):
        with pytest.raises(TypeError, match=r"pading='VALID' for convolution2d\(\)"):
            slim.conv2d(x, 4, [3, 3])


def test_layers_compute_in_their_float64_input_dtype_like_slim():
    x = keras.Input((6, 6, 3), dtype="float64")
    net = slim.conv2d(x, 2, [3, 3])
    net = slim.layer_norm(slim.flatten(net))
    model = keras.Model(x, slim.fully_connected(net, 2, scope="fc"))
    assert model.output.dtype == "float64"
    assert all(v.dtype == "float64" for v in model.weights)
    assert model(np.ones((1, 6, 6, 3))).dtype == "float64"
