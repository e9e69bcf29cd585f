"""slim.queues: ``QueueRunners``, a no-op in TF2.

TF1 input pipelines ran queue runner threads that ``QueueRunners(session)``
started and joined. TF2 has no queue runners (``tf.data`` replaced them, and
kslim's data providers are ``tf.data`` pipelines), so the context manager
starts nothing. It keeps slim's nesting rule: a ``QueueRunners`` context inside
another raises ``NestedQueueRunnerError('QueueRunners cannot be nested')``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["NestedQueueRunnerError", "QueueRunners"]

_queue_runner_lock = threading.Lock()


class NestedQueueRunnerError(Exception):
    """Raised when a ``QueueRunners`` context is entered inside another."""


@contextlib.contextmanager
def QueueRunners(session: Any = None) -> Iterator[None]:  # noqa: N802 (slim's name)
    """A context in which slim's queues would run; a documented no-op in TF2.

    Args:
      session: slim's running session; accepted and unused (TF2 has no
        session and no queue runners: ``tf.data`` pipelines need no threads).

    Yields:
      None.

    Raises:
      NestedQueueRunnerError: if a QueueRunners context is nested within another.
    """
    del session
    if not _queue_runner_lock.acquire(False):
        raise NestedQueueRunnerError("QueueRunners cannot be nested")
    try:
        yield
    finally:
        _queue_runner_lock.release()
