"""GraphWriter: the model's structure as ``logdir/graph.json``, after the first chunk."""

from __future__ import annotations

import logging
import os

import keras

from kslim.learning.callbacks.chunk_events import Phase
from kslim.tensor_types import Logs

__all__ = ["GraphWriter", "write_graph"]

_log = logging.getLogger("kslim")


def write_graph(model: keras.Model, logdir: str) -> None:
    """Writes the model's structure as ``logdir/graph.json`` (TF2 has no ``.meta``).

    It is the model's Keras functional config: every layer with its slim
    arguments and the connections, as slim's ``graph.pbtxt``/``.meta`` recorded
    the graph. A model with unserializable parts (plain Python callables) is
    skipped with a log line; a full disk with a warning.

    Args:
      model: a functional model (a ``TrainOp``).
      logdir: the directory.
    """
    try:
        # A plain functional view of the same graph: its config lists every layer.
        view = keras.Model(model.inputs, model.outputs, name="train_op")
        text = view.to_json(indent=1)
    except Exception as e:  # noqa: BLE001 - any object Keras cannot serialize
        _log.info("Model structure not written to %s/graph.json: %s", logdir, e)
        return
    path = os.path.join(logdir, "graph.json")
    try:
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    except OSError as e:  # a full disk: the checkpoints matter, this file does not
        _log.warning("Model structure not written to %s: %s", path, e)
        try:
            os.remove(path + ".tmp")
        except OSError:
            pass


class GraphWriter(keras.callbacks.Callback):
    """Writes ``logdir/graph.json`` once, after the first chunk of training.

    Serializing the model's config takes a noticeable part of start-up, so it
    waits until the first step is done (or the end, if no step ran).

    Args:
      logdir: the directory.
    """

    phase = Phase.LOG

    def __init__(self, logdir: str) -> None:
        super().__init__()
        self.logdir = logdir
        self.written = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Forgets a graph written by a previous run (each run writes it once)."""
        self.written = False

    def _write(self) -> None:
        if not self.written:
            self.written = True
            write_graph(self.model, self.logdir)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Writes the graph after the first chunk (once per run)."""
        self._write()

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Writes the graph if no chunk ran."""
        self._write()
