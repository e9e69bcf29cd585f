"""kslim.Graph: collections, default graph, reset and isolation."""

from __future__ import annotations

import threading

import keras
import pytest

import kslim as slim


class Named:
    def __init__(self, name):
        self.name = name


def test_collections_add_get_and_copy():
    graph = slim.Graph()
    graph.add_to_collection("things", 1)
    graph.add_to_collections(["things", "others"], 2)
    graph.add_to_collections("others", 3)
    got = graph.get_collection("things")
    assert got == [1, 2]
    got.append(99)
    assert graph.get_collection("things") == [1, 2]
    assert graph.get_collection("others") == [2, 3]
    assert graph.get_collection("missing") == []


def test_add_to_collections_deduplicates_names():
    graph = slim.Graph()
    graph.add_to_collections(["c", "c"], "x")
    assert graph.get_collection("c") == ["x"]


def test_get_collection_ref_is_live():
    graph = slim.Graph()
    ref = graph.get_collection_ref("live")
    ref.append("a")
    assert graph.get_collection("live") == ["a"]


def test_get_collection_scope_is_a_regex_prefix_match():
    graph = slim.Graph()
    for name in ["conv1/weights", "conv10/weights", "fc/conv1/weights"]:
        graph.add_to_collection("vars", Named(name))
    assert [v.name for v in graph.get_collection("vars", "conv1")] == [
        "conv1/weights",
        "conv10/weights",
    ]
    assert [v.name for v in graph.get_collection("vars", "conv1/")] == ["conv1/weights"]
    assert [v.name for v in graph.get_collection("vars", ".*conv1/")] == [
        "conv1/weights",
        "fc/conv1/weights",
    ]


def test_clear_collection_and_all_keys():
    graph = slim.Graph()
    graph.add_to_collection("a", 1)
    graph.add_to_collection("b", 2)
    graph.clear_collection("a")
    assert graph.get_all_collection_keys() == ["b"]


def test_module_level_collection_functions_use_default_graph():
    with slim.Graph().as_default() as graph:
        slim.add_to_collection("mine", 1)
        slim.add_to_collections(["mine", "yours"], 2)
        assert slim.get_collection("mine") == [1, 2]
        assert graph.get_collection("yours") == [2]


def test_graph_as_default_isolates_and_restores():
    outer = slim.get_default_graph()
    with slim.Graph().as_default() as g1:
        assert slim.get_default_graph() is g1
        slim.add_to_collection("iso", "g1")
        with slim.Graph().as_default() as g2:
            assert slim.get_default_graph() is g2
            assert slim.get_collection("iso") == []
        assert slim.get_default_graph() is g1
    assert slim.get_default_graph() is outer
    assert "g1" not in outer.get_collection("iso")


def test_fresh_graph_restarts_layer_names_and_losses():
    for _ in range(2):
        with slim.Graph().as_default() as graph:
            x = keras.Input((4, 4, 1))
            slim.conv2d(x, 2, [3, 3])
            assert list(graph.layers) == ["Conv"]
            assert slim.losses.get_losses() == []


def test_slim_layer_records_model_variables_in_collections():
    with slim.Graph().as_default() as graph:
        slim.conv2d(keras.Input((4, 4, 1)), 2, [3, 3], scope="c", variables_collections="extra")
        slim.batch_norm(keras.Input((4,)), scope="bn")
        model_vars = [v.path for v in graph.get_collection(slim.GraphKeys.MODEL_VARIABLES)]
        trainable = [v.path for v in graph.get_collection(slim.GraphKeys.TRAINABLE_VARIABLES)]
        extra = [v.path for v in graph.get_collection("extra")]
    assert model_vars == [
        "c/weights",
        "c/biases",
        "bn/beta",
        "bn/moving_mean",
        "bn/moving_variance",
    ]
    assert trainable == ["c/weights", "c/biases", "bn/beta"]
    assert extra == ["c/weights", "c/biases"]


def test_reset_default_graph_replaces_global_graph():
    before = slim.get_default_graph()
    before.add_to_collection("reset_check", 1)
    slim.reset_default_graph()
    after = slim.get_default_graph()
    assert after is not before
    assert after.get_collection("reset_check") == []


def test_reset_default_graph_inside_nested_graph_raises():
    with slim.Graph().as_default():
        with pytest.raises(AssertionError, match="reset_default_graph"):
            slim.reset_default_graph()


def test_default_graph_stack_is_thread_local():
    seen = {}
    with slim.Graph().as_default() as graph:

        def worker():
            seen["graph"] = slim.get_default_graph()

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen["graph"] is not graph


def test_unique_name_follows_tf1_rules():
    graph = slim.Graph()
    assert graph.unique_name("foo") == "foo"
    assert graph.unique_name("foo") == "foo_1"
    assert graph.unique_name("Foo") == "Foo_2"
    assert graph.unique_name("foo_1") == "foo_1_1"


def test_graph_cache_is_kept_apart_from_the_collections():
    graph = slim.Graph()
    graph.cache("penalties")["w"] = 1
    assert graph.cache("penalties") == {"w": 1}
    assert graph.get_all_collection_keys() == []


def test_recording_new_layers_receives_layers_created_in_its_block():
    graph = slim.Graph()
    outer, inner = [], []
    with graph.recording_new_layers(outer):
        graph.layer_created("a")
        with graph.recording_new_layers(inner):
            graph.layer_created("b")
    graph.layer_created("c")
    assert outer == ["a", "b"] and inner == ["b"]


def test_entered_variable_scope_counts_openings_and_resets_sub_scopes_on_exit():
    graph = slim.Graph()
    with graph.entered_variable_scope(slim.VariableScope("a")):
        with graph.entered_variable_scope(slim.VariableScope("a/b")):
            assert graph.scope_count("a/b") == 1
        assert graph.scope_count("a/b") == 1
    assert graph.scope_count("a") == 1 and graph.scope_count("a/b") == 0
    assert graph.at_root_variable_scope
