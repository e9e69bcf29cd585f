"""benchmarks/bench_train.py: target checks (fast) and a --quick run (slow: two processes)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_train.py"


def _load_bench():
    sys.path.insert(0, str(_BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_train", _BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(rate, cpu_rate, rss):
    return {"steps_per_sec": rate, "cpu_steps_per_sec": cpu_rate, "peak_rss_mb": rss}


def test_check_targets_reports_ratios_against_spec_targets():
    bench = _load_bench()
    table = {
        "mlp": {
            "kslim": _row(1000.0, 900.0, 700.0),
            "tf_slim": _row(500.0, 300.0, 800.0),
            "bare": _row(1000.0, 1000.0, 650.0),
            "keras": _row(400.0, 400.0, 600.0),
        },
        "lenet": {"kslim": _row(20.0, 40.0, 700.0), "keras": _row(25.0, 40.0, 690.0)},
    }
    checks = {(c["workload"], c["metric"], c["ratio"]): c for c in bench.check_targets(table)}
    mlp_slim = checks[("mlp", "steps_per_sec", "kslim/tf_slim")]
    assert mlp_slim["value"] == pytest.approx(2.0)
    assert mlp_slim["cpu_time_ratio"] == pytest.approx(3.0)
    assert not mlp_slim["met"]
    assert checks[("mlp", "steps_per_sec", "kslim/bare")]["met"]
    assert not checks[("mlp", "peak_rss_mb", "kslim/keras")]["met"]  # 700/600 > 1.1
    assert not checks[("lenet", "steps_per_sec", "kslim/keras")]["met"]
    assert checks[("lenet", "peak_rss_mb", "kslim/keras")]["met"]
    # lenet has no tf_slim row: that target is skipped, not failed.
    assert ("lenet", "steps_per_sec", "kslim/tf_slim") not in checks
    report = bench.format_report(bench.summarize({}), list(checks.values()))
    assert "MISSED" in report and "MET" in report


@pytest.mark.slow
def test_quick_benchmark_runs_kslim_and_keras_in_separate_processes(tmp_path):
    bench = _load_bench()
    out = tmp_path / "bench.json"
    rc = bench.main(
        ["--quick", "--workloads", "mlp", "--contenders", "kslim", "keras", "--json", str(out)]
    )
    assert rc == 0
    report = json.loads(out.read_text())
    rows = report["summary"]["mlp"]
    for contender in ("kslim", "keras"):
        assert rows[contender]["steps_per_sec"] > 0
        assert rows[contender]["time_to_first_step_s"] > 0
        assert rows[contender]["peak_rss_mb"] > 100
    # slim's log_every_n_steps=1 logged every step exactly once.
    assert rows["kslim"]["log_lines"] == rows["kslim"]["expected_log_lines"]
    assert {r["contender"] for r in report["runs"]} == {"kslim", "keras"}
    assert [c["ratio"] for c in report["targets"]] == ["kslim/keras"]
    assert all(r["steps_done"] == r["warmup_steps"] + r["measured_steps"] for r in report["runs"])


def test_tf_ops_benchmark_compares_the_same_net_written_two_ways():
    """bench_tf_ops.py's two models have the same weights and compute the same logits."""
    import numpy as np

    sys.path.insert(0, str(_BENCH.parent))
    spec = importlib.util.spec_from_file_location(
        "bench_tf_ops", _BENCH.with_name("bench_tf_ops.py")
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import kslim

    tf_model, keras_model = bench.build(bench._TFOps), bench.build(bench._KerasOps)
    tf_layers = [lay for lay in tf_model.layers if isinstance(lay, kslim.ops.tf_op_layer.TFOpLayer)]
    assert len(tf_layers) >= 10
    assert not any(isinstance(lay, kslim.ops.tf_op_layer.TFOpLayer) for lay in keras_model.layers)
    keras_model.set_weights(tf_model.get_weights())
    x = np.random.default_rng(1).standard_normal((2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(tf_model(x), keras_model(x), rtol=1e-5, atol=1e-5)


def _load_distributed_bench():
    sys.path.insert(0, str(_BENCH.parent))
    spec = importlib.util.spec_from_file_location(
        "bench_distributed", _BENCH.with_name("bench_distributed.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dist_run(contender, setup, rate, cpu_rate=None, error=None):
    if error is not None:
        return {"contender": contender, "setup": setup, "error": error, "raised_in": ["x.py:f"]}
    return {
        "contender": contender,
        "setup": setup,
        "steps_per_sec": rate,
        "examples_per_sec": rate * 64,
        "cpu_steps_per_sec": cpu_rate,
        "time_to_first_step_s": 1.0,
    }


def test_distributed_benchmark_reports_median_min_max_and_names_a_failed_contender():
    bench = _load_distributed_bench()
    error = "ValueError: Attempt to convert a value (PerReplica:{...}) with an unsupported type"
    runs = {
        ("mlp", "mirrored-2", "kslim"): [
            _dist_run("kslim", "mirrored-2", r, 2 * r) for r in (300.0, 100.0, 200.0)
        ],
        ("mlp", "mirrored-2", "keras"): [
            _dist_run("keras", "mirrored-2", r, r) for r in (50.0, 100.0, 150.0)
        ],
        ("mlp", "multiworker-2", "kslim"): [_dist_run("kslim", "multiworker-2", 80.0, 90.0)],
        ("mlp", "multiworker-2", "keras"): [_dist_run("keras", "multiworker-2", 0, error=error)],
    }
    rows = {(r["setup"], r["contender"]): r for r in bench.summarize(runs)}
    mirrored = rows[("mirrored-2", "kslim")]
    assert (mirrored["steps_per_sec"], mirrored["steps_per_sec_min"]) == (200.0, 100.0)
    assert mirrored["steps_per_sec_max"] == 300.0
    assert mirrored["examples_per_sec"] == 200.0 * 64 and mirrored["runs"] == 3
    failed = rows[("multiworker-2", "keras")]
    assert failed["runs"] == 0 and failed["error"] == error and "steps_per_sec" not in failed
    checks = {c["setup"]: c for c in bench.ratios(list(rows.values()))}
    assert checks["mirrored-2"]["steps_per_sec"] == pytest.approx(2.0)
    assert checks["mirrored-2"]["cpu_steps_per_sec"] == pytest.approx(4.0)
    assert checks["multiworker-2"]["failed"] == [f"Keras fit: fails under MWMS ({error})"]
    report = bench.format_report(list(rows.values()), list(checks.values()))
    assert f"Keras fit: fails under MWMS ({error})" in report
    assert "200.0 [100.0-300.0]" in report and "not a speed-up" in report


def test_distributed_contender_elides_per_replica_values_from_the_error():
    sys.path.insert(0, str(_BENCH.parent))
    from _distributed_contender import describe_error

    try:
        raise ValueError(
            "Attempt to convert a value (PerReplica:{\n  0: <tf.Tensor: numpy=array([[1.0]])>\n}) "
            "with an unsupported type (<class 'PerReplica'>) to a Tensor."
        )
    except ValueError as e:
        described = describe_error(e)
    assert described["error"] == (
        "ValueError: Attempt to convert a value (PerReplica:{...}) with an unsupported type "
        "(<class 'PerReplica'>) to a Tensor."
    )
    assert described["raised_in"][-1].endswith(
        ":test_distributed_contender_elides_per_replica_values_from_the_error"
    )


@pytest.mark.slow
def test_quick_distributed_benchmark_trains_under_mirrored_and_two_worker_processes(tmp_path):
    bench = _load_distributed_bench()
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    rows = {(r["setup"], r["contender"]): r for r in report["summary"]}
    setups = ("mirrored-2", "multiworker-2")
    assert set(rows) == {(s, c) for s in setups for c in ("kslim", "keras")}
    for setup in ("mirrored-2", "multiworker-2"):
        assert rows[(setup, "kslim")]["runs"] == 1 and rows[(setup, "kslim")]["steps_per_sec"] > 0
    assert rows[("mirrored-2", "keras")]["steps_per_sec"] > 0
    # Keras 3's fit under MultiWorkerMirroredStrategy: a figure, or its error on record.
    keras_mw = rows[("multiworker-2", "keras")]
    assert keras_mw["runs"] == 1 or keras_mw["error"]
    worker_runs = [r for r in report["runs"] if r["setup"] == "multiworker-2" and "error" not in r]
    assert all(len(r["worker_steps_per_sec"]) == 2 for r in worker_runs)
    assert all(
        r["steps_done"] == r["warmup_steps"] + r["measured_steps"]
        for r in report["runs"]
        if "error" not in r
    )


def _load(name: str):
    sys.path.insert(0, str(_BENCH.parent))
    spec = importlib.util.spec_from_file_location(name, _BENCH.with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stats_give_median_min_max_of_the_present_values():
    util = _load("_bench_util")
    assert util.stats([3.0, None, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert util.stats([None]) is None
    assert util.ratio({"median": 3.0}, {"median": 2.0}) == pytest.approx(1.5)
    assert util.fmt(util.stats([1.0, 2.0, 4.0]), 1) == "2.0 [1.0-4.0]"


def test_zoo_targets_compare_kslim_with_tf_slim_keras_and_xla_per_net():
    zoo = _load("bench_zoo")
    util = _load("_bench_util")

    def row(rate, cpu_rate, rss):
        return {
            "steps_per_sec": util.stats([rate]),
            "cpu_steps_per_sec": util.stats([cpu_rate]),
            "peak_rss_mb": util.stats([rss]),
        }

    table = {
        "mobilenet_v1": {
            "kslim": row(2.0, 4.0, 1000.0),
            "kslim_xla": row(1.0, 2.0, 1500.0),
            "tf_slim": row(1.0, 4.0, 1200.0),
            "keras": row(2.2, 4.0, 800.0),
        }
    }
    checks = {(c["metric"], c["ratio"]): c for c in zoo.check_targets(table)}
    assert checks[("steps_per_sec", "kslim/tf_slim")]["value"] == pytest.approx(2.0)
    assert checks[("steps_per_sec", "kslim/tf_slim")]["met"]
    assert checks[("steps_per_sec", "kslim/tf_slim")]["cpu_time_ratio"] == pytest.approx(1.0)
    assert not checks[("steps_per_sec", "kslim/keras")]["met"]  # 0.91 < 0.95
    assert not checks[("peak_rss_mb", "kslim/keras")]["met"]  # 1.25 > 1.1
    assert checks[("steps_per_sec", "kslim_xla/kslim")]["target"] == "reported"
    assert "MISSED" in zoo.format_report(table, list(checks.values()))


@pytest.mark.slow
def test_gpu_script_runs_its_cpu_sizes_and_writes_zoo_and_train_results(tmp_path):
    """benchmarks/gpu.sh --quick: the CPU smoke sizes (several minutes: 6 processes)."""
    import subprocess

    script = _BENCH.with_name("gpu.sh")
    proc = subprocess.run(
        ["bash", str(script), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    zoo = json.loads((tmp_path / "bench_zoo.json").read_text())
    rows = zoo["summary"]["mobilenet_v1"]
    assert set(rows) == {"kslim", "kslim_xla", "tf_slim", "keras"}
    assert all(r["steps_per_sec"]["median"] > 0 for r in rows.values())
    assert rows["kslim"]["log_lines"] == rows["kslim"]["expected_log_lines"]
    assert {c["ratio"] for c in zoo["targets"]} >= {"kslim/tf_slim", "kslim/keras"}
    train = json.loads((tmp_path / "bench_train.json").read_text())
    assert set(train["summary"]["mlp"]) == {"kslim", "keras"}
    assert "steps/s" in proc.stdout


@pytest.mark.slow
def test_input_pipeline_and_scaling_benchmarks_run_quick(tmp_path):
    pipeline = _load("bench_input_pipeline")
    results = pipeline.main(["--quick", "--json", str(tmp_path / "input.json")])
    job = results["main_job"]
    assert job["tfrecords_over_memory"] > 0
    assert {r["contender"] for runs in job["runs"].values() for r in runs} == {
        "memory",
        "tfrecords",
    }
    assert set(results["providers"]["jpeg_64x64"]) == {
        "parallel_1",
        "parallel_2",
        "parallel_4",
        "cached_4",
    }
    scaling = _load("bench_scaling")
    out = tmp_path / "scaling.json"
    assert scaling.main(["--quick", "--batch-sizes", "8", "16", "--json", str(out)]) == 0
    table = json.loads(out.read_text())["ms_per_step"]
    assert set(table["lenet"]["kslim"]) == {"8", "16"}
    assert table["mlp"]["keras"]["16"]["ms_per_step"]["median"] > 0


_FAKE_WINDOWED_CONTENDER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from _contenders import _WindowClock

args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
clock = _WindowClock(2, 3, 2, int(args["--control-fd"]), int(args["--report-fd"]))
steps = []
step = 0
while step < clock.total:
    step = clock.next_boundary(step)  # a kslim chunk runs to the next boundary
    steps.append(step)
    clock.at_step(step)
if args.get("--die") == "yes":
    sys.exit(3)
clock.mark("return")
result = {**clock.timings("fake", 3), "chunk_ends": steps}
open(args["--out"], "w").write(json.dumps(result))
"""


def _fake_windowed(tmp_path, name, die="no"):
    util = _load("_bench_util")
    script = tmp_path / "fake_contender.py"
    script.write_text(_FAKE_WINDOWED_CONTENDER)
    out = tmp_path / f"{name}.json"
    args = [str(script), str(_BENCH.parent), "--out", str(out), "--die", die]
    return util.PausedContender(args, out, tmp_path / f"{name}.log")


def test_paused_contenders_warm_up_once_and_take_turns_window_by_window(tmp_path):
    a, b = _fake_windowed(tmp_path, "a"), _fake_windowed(tmp_path, "b")
    try:
        assert a.next_report()["event"] == "ready"
        assert b.next_report()["event"] == "ready"
        for _ in range(2):
            for proc in (a, b):
                proc.go()
                window = proc.next_report()
                assert window["event"] == "window"
                assert window["steps"] == 3
                assert window["steps_per_sec"] > 0 and window["cpu_steps_per_sec"] > 0
        result = a.finish()
        assert b.finish()["chunk_ends"] == result["chunk_ends"] == [2, 5, 8]
    finally:
        a.kill()
        b.kill()
    assert [w["steps"] for w in result["windows"]] == [3, 3]
    assert result["time_to_first_step_s"] <= result["warmup_s"]
    assert result["teardown_s"] >= 0


def test_paused_contender_that_fails_raises_with_its_log(tmp_path):
    proc = _fake_windowed(tmp_path, "dies", die="yes")
    proc.next_report()
    for _ in range(2):
        proc.go()
        proc.next_report()
    with pytest.raises(RuntimeError, match=r"failed \(exit 3\); log .*dies\.log"):
        proc.finish()


def test_zoo_summary_takes_rates_over_windows_and_the_rest_once_per_process():
    zoo = _load("bench_zoo")
    result = {
        "windows": [
            {"steps": 20, "steps_per_sec": r, "cpu_steps_per_sec": r / 2} for r in (3.0, 1.0, 2.0)
        ],
        "time_to_first_step_s": 4.0,
        "warmup_s": 5.0,
        "peak_rss_mb": 900.0,
        "final_loss": 2.3,
        "warmup_steps": 3,
        "log_lines": 63,
    }
    row = zoo.summarize({("resnet_v1_50", "kslim"): result})["resnet_v1_50"]["kslim"]
    assert row["steps_per_sec"] == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert row["cpu_steps_per_sec"]["median"] == 1.0
    assert row["peak_rss_mb"] == {"median": 900.0, "min": 900.0, "max": 900.0, "n": 1}
    assert row["expected_log_lines"] == row["log_lines"] == 63
