"""Tracer: profile every n-th step, write a Chrome trace and TensorBoard profile data."""

from __future__ import annotations

import glob
import json
import logging
import os

import tensorflow as tf

from kslim.learning.callbacks._common import StatefulCallback, global_step
from kslim.learning.callbacks.chunk_events import ChunkEventsCallback, ChunkPlan, Phase
from kslim.tensor_types import Logs

_log = logging.getLogger("kslim")


class Tracer(ChunkEventsCallback, StatefulCallback):
    """Traces the steps whose starting global step is a multiple of n.

    For each traced step N it writes ``logdir/tf_trace-N.json`` (Chrome trace
    event format: an object with ``traceEvents``, loadable in Perfetto or
    chrome://tracing) and keeps the profiler's ``plugins/profile/<run>/*.xplane.pb``
    under ``logdir`` for TensorBoard's profile plugin. Under ``ChunkPlanner`` the
    traced step runs alone (``ChunkPlan.trace``) and the profiler starts when the
    plan is made; in a plain ``fit`` it starts at the due batch.

    Args:
      logdir: the directory.
      trace_every_n_steps: positive int.
      is_chief: only the chief traces.

    Raises:
      ValueError: if ``trace_every_n_steps`` is not a positive int.
    """

    phase = Phase.STATE
    state_key = "tracer"
    state_defaults = {"last_traced": -1}

    def __init__(self, logdir: str, trace_every_n_steps: int, is_chief: bool = True) -> None:
        super().__init__()
        if (
            isinstance(trace_every_n_steps, bool)
            or not isinstance(trace_every_n_steps, int)
            or trace_every_n_steps <= 0
        ):
            raise ValueError(
                f"trace_every_n_steps must be a positive int, got {trace_every_n_steps!r}"
            )
        self.logdir = logdir
        self.n = trace_every_n_steps
        self.is_chief = is_chief
        self.reset_state()
        self._tracing_step = None
        self._trace = None

    def wants_trace(self, step: int) -> bool:
        """Whether the step starting at ``step`` is traced (chief only)."""
        return self.is_chief and step % self.n == 0 and step != self.last_traced

    def steps_until_event(self, step: int) -> int:
        """1 when this step must be traced alone, else the steps up to the next one."""
        if self.wants_trace(step):
            return 1
        return (-step) % self.n or self.n

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Resets the callback's state."""
        self.begin_state()

    def on_chunk_begin(self, plan: ChunkPlan) -> None:
        """Starts the trace of a planned chunk that asks for one."""
        super().on_chunk_begin(plan)
        if plan.trace:
            self._start(plan.start_step)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """In a plain ``fit`` (no planner): starts the trace of a due step."""
        if self.chunk_plan is not None:  # planned: started by on_chunk_begin
            return
        step = global_step(self.model)
        if self.wants_trace(step):
            self._start(step)

    def _start(self, step: int) -> None:
        if self._tracing_step is not None:
            return
        try:
            tf.profiler.experimental.start(self.logdir)
        except Exception as e:  # noqa: BLE001 - a profiler already running elsewhere
            _log.warning("Cannot start the profiler for step %d: %s", step, e)
            return
        self._tracing_step = step
        self._trace = tf.profiler.experimental.Trace("train", step_num=step, _r=1)
        self._trace.__enter__()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Stops a running trace and writes it to the logdir."""
        self.take_chunk_plan()
        if self._tracing_step is None:
            return
        step = self._tracing_step
        self._tracing_step = None
        self._trace.__exit__(None, None, None)
        before = _xplanes(self.logdir)
        tf.profiler.experimental.stop()
        after = _xplanes(self.logdir)
        # The profiler names its run directory by the second, so two traces within one
        # second rewrite the same file: a new or rewritten file is this step's.
        new = sorted((p for p, mtime in after.items() if before.get(p) != mtime), key=after.get)
        self.last_traced = step
        if not new:
            _log.warning("The profiler wrote no data for step %d", step)
            return
        path = os.path.join(self.logdir, "tf_trace-%d.json" % step)
        _log.info("Writing trace to %s", path)
        write_chrome_trace(new[-1], path)

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Stops a trace still running."""
        self.close()

    def close(self) -> None:
        """Stops a profiler session left open by a step that did not finish."""
        if self._tracing_step is None:
            return
        self._tracing_step = None
        try:
            self._trace.__exit__(None, None, None)
        finally:
            self._trace = None
            tf.profiler.experimental.stop()


def _xplanes(logdir: str) -> dict[str, int]:
    pattern = os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb")
    return {p: os.stat(p).st_mtime_ns for p in glob.glob(pattern)}


def write_chrome_trace(xplane_path: str, json_path: str) -> None:
    """Converts a profiler ``.xplane.pb`` into Chrome trace-event JSON.

    Raises:
      RuntimeError: if TensorFlow's converter fails.
    """
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as plugin

    data, ok = plugin.xspace_to_tools_data([xplane_path], "trace_viewer@", {})
    if not ok:
        raise RuntimeError(f"cannot convert profile {xplane_path!r} to a Chrome trace")
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    trace = json.loads(data)
    if "traceEvents" not in trace:
        trace = {
            "traceEvents": trace if isinstance(trace, list) else [],
            **(trace if isinstance(trace, dict) else {}),
        }
    tmp = json_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(trace, f)
    os.replace(tmp, json_path)
