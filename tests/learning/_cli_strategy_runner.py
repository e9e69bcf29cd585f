"""Runs ``kslim`` commands in one process with two logical CPU devices (what
``--strategy mirrored`` replicates over on a machine without GPUs).

``python _cli_strategy_runner.py OUT.json -- ARGS... [-- ARGS...]``: each ``--``-separated
argument list is one ``kslim`` command; OUT.json gets each one's exit code and stdout.
With the environment variable ``KSLIM_RUNNER_DEVICES=1`` the process keeps one CPU device
(a worker of a multi-worker cluster).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

if os.environ.get("KSLIM_RUNNER_DEVICES", "2") == "2":
    _CPUS = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        _CPUS[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )

from kslim import cli  # noqa: E402


def main(out: str, argv: list[str]) -> int:
    commands, current = [], None
    for arg in argv:
        if arg == "--":
            current = []
            commands.append(current)
        else:
            current.append(arg)
    results = []
    for command in commands:
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            code = cli.main(command)
        sys.stderr.flush()
        results.append({"argv": command, "code": code, "stdout": stdout.getvalue()})
    with open(out, "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1], sys.argv[2:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
