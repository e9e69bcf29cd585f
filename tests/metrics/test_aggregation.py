"""Means, counts, concatenation and the aggregate helpers."""

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import metrics


def test_streaming_mean_weights_broadcast_and_zero_weight_mean_is_zero():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_mean(
            np.array([[1.0, 3.0], [5.0, 7.0]]), weights=np.array([[1.0], [0.0]])
        )
        assert float(value) == pytest.approx(2.0)
        value, _ = metrics.streaming_mean(np.array([1.0]), weights=np.array([0.0]))
        assert float(value) == 0.0


def test_streaming_mean_tensor_is_elementwise():
    with slim.Graph().as_default():
        value, _ = metrics.streaming_mean_tensor(np.array([[1.0, 2.0], [3.0, 6.0]]))
        np.testing.assert_allclose(value, [[1.0, 2.0], [3.0, 6.0]])
        assert [metrics.variable_name(v) for v in metrics.get_metric("mean").state_variables] == [
            "mean/total_tensor",
            "mean/count_tensor",
        ]


def test_streaming_mean_tensor_on_symbolic_batch_is_shaped_by_the_first_update(tmp_path):
    """kslim inputs have batch dimension None: the state takes the first batch's shape."""
    x = np.arange(24, dtype=np.float32).reshape(12, 2)
    data = tf.data.Dataset.from_tensor_slices(x).batch(3, drop_remainder=True)
    with slim.Graph().as_default():
        images = slim.data.inputs(data)
        assert images.shape[0] is None
        value, update = metrics.streaming_mean_tensor(images, weights=images * 0.0 + 1.0)
        prefix = str(tmp_path / "model.ckpt-1")
        slim.checkpoints.save_variables(prefix, {"global_step": tf.Variable(1)})
        for _ in range(2):  # the second evaluation resets the state and shapes it again
            result = slim.evaluation.evaluate_once(
                "", prefix, None, num_evals=4, eval_op=update, final_op=value, summary_op=None
            )
            np.testing.assert_allclose(result, x.reshape(4, 3, 2).mean(0))


def test_count_sums_weights():
    with slim.Graph().as_default():
        assert float(metrics.count(np.zeros((2, 3)))[0]) == 6.0
        assert float(metrics.count(np.zeros(3), weights=np.array([1.0, 2.0, 0.5]))[0]) == 3.5


def test_streaming_concat_grows_across_batches_and_respects_max_size():
    with slim.Graph().as_default():
        value, size = metrics.streaming_concat(np.array([[1, 2]], "int32"), axis=1)
        layer = metrics.get_metric("streaming_concat")
        layer([np.array([[3, 4, 5]], "int32")], mode="update")
        np.testing.assert_array_equal(layer.result(), [[1, 2, 3, 4, 5]])
        assert int(size) == 2
        _, _ = metrics.streaming_concat(np.arange(4.0), max_size=3)
        np.testing.assert_array_equal(
            metrics.get_metric("streaming_concat_1").result(), [0.0, 1.0, 2.0]
        )
        layer.reset_state()
        assert layer.result().shape == (1, 0)
        with pytest.raises(ValueError, match="axis = 2 not in"):
            metrics.streaming_concat(np.zeros((2, 2)), axis=2)


def test_aggregate_metrics_and_metric_map():
    with pytest.raises(ValueError, match="Expected at least one value_tensor/update_op pair"):
        metrics.aggregate_metrics()
    assert metrics.aggregate_metrics((1, 2), (3, 4)) == ([1, 3], [2, 4])
    values, updates = metrics.aggregate_metric_map({"a": (1, 2), "b": (3, 4)})
    assert values == {"a": 1, "b": 3} and updates == {"a": 2, "b": 4}
