"""arg_scope: every behaviour tf_slim's own arg_scope_test.py names, plus slim's layer keys."""

from __future__ import annotations

import keras
import pytest
import tensorflow as tf

import kslim as slim
from kslim.ops.arg_scope import (
    add_arg_scope,
    arg_scope,
    arg_scope_func_key,
    arg_scoped_arguments,
    current_arg_scope,
    has_arg_scope,
)


@add_arg_scope
def func1(*args, **kwargs):
    return (args, kwargs)


@add_arg_scope
def func2(*args, **kwargs):
    return (args, kwargs)


@add_arg_scope
def func3(args, a=None, b=1, c=2):
    """Some cool doc string."""
    return (args, a, b, c)


def key(op):
    return arg_scope_func_key(op)


FUNC1_KWARGS = {"a": 1, "b": None, "c": [1]}


def test_empty_arg_scope_yields_empty_dict():
    with arg_scope([]) as sc:
        assert sc == {}


def test_reused_empty_dict_clears_the_scope():
    with arg_scope([func1], a=1, b=None, c=[1]) as sc1:
        assert sc1 == {key(func1): FUNC1_KWARGS}
        with arg_scope({}) as sc2:
            assert sc2 == {}
            assert current_arg_scope() == {}
            assert func1(0) == ((0,), {})
        with arg_scope([]) as current:
            assert current == {key(func1): FUNC1_KWARGS}


def test_current_arg_scope_is_empty_outside_any_scope():
    assert current_arg_scope() == {}


def test_current_arg_scope_is_the_yielded_scope():
    with arg_scope([func1], a=1, b=None, c=[1]) as scope:
        assert scope == {key(func1): FUNC1_KWARGS}
        assert current_arg_scope() is scope


def test_current_arg_scope_nested_merges_ops():
    with arg_scope([func1], a=1, b=None, c=[1]):
        with arg_scope([func2], b=2, d=[2]) as scope:
            assert scope == {key(func1): FUNC1_KWARGS, key(func2): {"b": 2, "d": [2]}}


def test_reuse_arg_scope_dict():
    with arg_scope([func1], a=1, b=None, c=[1]) as scope1:
        pass
    with arg_scope(scope1) as scope:
        assert scope == {key(func1): FUNC1_KWARGS}
        assert func1(0) == ((0,), FUNC1_KWARGS)


def test_reuse_arg_scope_nested():
    with arg_scope([func1], a=1, b=None, c=[1]) as scope1:
        with arg_scope([func2], b=2, d=[2]) as scope2:
            pass
    with arg_scope(scope1):
        with arg_scope([]) as current:
            assert current == {key(func1): FUNC1_KWARGS}
    with arg_scope(scope2):
        with arg_scope([]) as current:
            assert current == {key(func1): FUNC1_KWARGS, key(func2): {"b": 2, "d": [2]}}


def test_reused_scope_replaces_rather_than_merges_current_scope():
    with arg_scope([func1], a=1, b=None, c=[1]) as saved:
        pass
    with arg_scope([func1], b=2, d=10), arg_scope([func2], e=5):
        with arg_scope(saved):
            assert func1(0) == ((0,), FUNC1_KWARGS)
            assert func2(0) == ((0,), {})


def test_scope_object_created_within_scope_inherits_outer_kwargs():
    def get_scope_object():
        with arg_scope([func1], a=1, b=None, c=[1]) as sc:
            return sc

    with arg_scope([func1], b=2, d=10):
        with arg_scope(get_scope_object()):
            assert func1(0) == ((0,), {"a": 1, "b": None, "c": [1], "d": 10})


def test_simple_arg_scope():
    with arg_scope([func1], a=1, b=None, c=[1]):
        assert func1(0) == ((0,), FUNC1_KWARGS)


def test_simple_arg_scope_with_tuple():
    with arg_scope((func1,), a=1, b=None, c=[1]):
        assert func1(0) == ((0,), FUNC1_KWARGS)


def test_explicit_kwarg_overwrites_arg_scope():
    with arg_scope([func1], a=1, b=None, c=[1]):
        assert func1(0, b=2) == ((0,), {"a": 1, "b": 2, "c": [1]})


def test_nested_arg_scope_inner_wins():
    with arg_scope([func1], a=1, b=None, c=[1]):
        assert func1(0) == ((0,), FUNC1_KWARGS)
        with arg_scope([func1], b=2):
            assert func1(0) == ((0,), {"a": 1, "b": 2, "c": [1]})
        assert func1(0) == ((0,), FUNC1_KWARGS)


def test_shared_arg_scope_list_and_tuple():
    for ops in ([func1, func2], (func1, func2)):
        with arg_scope(ops, a=1, b=None, c=[1]):
            assert func1(0) == ((0,), FUNC1_KWARGS)
            assert func2(0) == ((0,), FUNC1_KWARGS)


def test_partially_shared_arg_scope():
    with arg_scope([func1, func2], a=1, b=None):
        with arg_scope([func1], c=[1]):
            with arg_scope([func2], d=[2]):
                assert func1(0) == ((0,), {"a": 1, "b": None, "c": [1]})
                assert func2(1) == ((1,), {"a": 1, "b": None, "d": [2]})


def test_scope_is_popped_after_exception():
    with pytest.raises(RuntimeError):
        with arg_scope([func1], a=1):
            raise RuntimeError("boom")
    assert current_arg_scope() == {}


def test_positional_argument_also_in_scope_raises_type_error():
    with arg_scope([func3], a=5):
        assert func3(0) == (0, 5, 1, 2)
        with pytest.raises(TypeError, match="multiple values for argument 'a'"):
            func3(0, 7)


def test_unknown_scoped_keyword_raises_type_error_naming_it():
    with arg_scope([func3], d=1):
        with pytest.raises(TypeError, match="'d'") as err:
            func3(1)
    assert "func3" in str(err.value)


def test_undecorated_op_error_names_the_argument_and_function():
    # slim raises ValueError('%s is not ...', (module, name)), a raw tuple; kslim formats it.
    def my_func(t, a=None):
        return (t, a)

    with pytest.raises(ValueError) as err:
        with arg_scope([my_func], a=1):
            pass
    expected = f"list_ops_or_scope: {__name__}.my_func is not decorated with @add_arg_scope"
    assert str(err.value) == expected
    assert current_arg_scope() == {}


def test_non_list_argument_raises_type_error():
    with pytest.raises(TypeError) as err:
        with arg_scope(func1, a=1):
            pass
    assert str(err.value) == (
        "list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict)"
    )


def test_dict_with_kwargs_raises_value_error_with_slims_typo():
    with pytest.raises(ValueError) as err:
        with arg_scope({}, a=1):
            pass
    assert str(err.value) == (
        "When attempting to re-use a scope by suppling adictionary, kwargs must be empty."
    )


def test_arg_scoped_arguments_lists_defaulted_args():
    assert arg_scoped_arguments(func3) == ("a", "b", "c")


def test_add_arg_scope_redefinition_keeps_its_own_arguments():
    for _ in range(4):

        @add_arg_scope
        def func4(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8):
            return a

        assert arg_scoped_arguments(func4) == ("a", "b", "c", "d", "e", "f", "g", "h")


def test_add_arg_scope_keeps_doc_string_and_name():
    assert func3.__doc__ == "Some cool doc string."
    assert func3.__name__ == "func3"
    assert has_arg_scope(func3)
    assert not has_arg_scope(lambda x: x)


# ------------------------------------------------------------- slim's layers
def test_layer_aliases_share_one_key():
    assert slim.conv2d is slim.convolution2d
    assert key(slim.conv2d) == key(slim.convolution2d)
    assert key(slim.conv2d) != key(slim.convolution)
    with arg_scope([slim.conv2d], padding="VALID") as sc:
        assert list(sc) == [key(slim.convolution2d)]


def test_conv2d_scope_applies_to_conv2d_but_not_convolution():
    with slim.Graph().as_default():
        x = keras.Input((8, 8, 1))
        with arg_scope([slim.conv2d], padding="VALID", activation_fn=None):
            y = slim.conv2d(x, 2, [3, 3])
            z = slim.convolution(x, 2, [3, 3])
            w = slim.conv2d(x, 2, [3, 3], padding="SAME")
    assert tuple(y.shape) == (None, 6, 6, 2)
    assert tuple(z.shape) == (None, 8, 8, 2)
    assert tuple(w.shape) == (None, 8, 8, 2)


def test_scoping_convolution_breaks_conv2d_with_type_error():
    with slim.Graph().as_default():
        x = keras.Input((8, 8, 1))
        with arg_scope([slim.convolution], padding="VALID"):
            assert tuple(slim.convolution(x, 2, [3, 3]).shape) == (None, 6, 6, 2)
            with pytest.raises(TypeError, match="multiple values for argument 'padding'"):
                slim.conv2d(x, 2, [3, 3])


def test_unknown_keyword_in_layer_scope_raises_type_error_naming_it():
    with slim.Graph().as_default():
        x = keras.Input((8, 8, 1))
        with arg_scope([slim.conv2d], paddding="VALID"):
            with pytest.raises(TypeError, match="paddding"):
                slim.conv2d(x, 2, [3, 3])


def test_arg_scope_sets_layer_defaults_eagerly():
    with slim.Graph().as_default():
        x = tf.ones((1, 5, 5, 1))
        with arg_scope(
            [slim.conv2d, slim.fully_connected],
            weights_initializer=tf.compat.v1.constant_initializer(1.0),
            activation_fn=None,
        ):
            y = slim.conv2d(x, 1, [5, 5], padding="VALID")
            z = slim.fully_connected(tf.ones((1, 3)), 1)
    assert float(tf.reshape(y, [])) == pytest.approx(25.0)
    assert float(tf.reshape(z, [])) == pytest.approx(3.0)
