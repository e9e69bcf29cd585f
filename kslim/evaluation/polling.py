"""Finding checkpoints: wait for a new one, iterate over them as they appear."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from kslim import checkpoints

__all__ = ["checkpoints_iterator", "wait_for_new_checkpoint"]

_log = logging.getLogger("kslim")


def wait_for_new_checkpoint(
    checkpoint_dir: str,
    last_checkpoint: str | None = None,
    seconds_to_sleep: float = 1,
    timeout: float | None = None,
) -> str | None:
    """Waits until ``checkpoint_dir``'s latest checkpoint differs from ``last_checkpoint``.

    Args:
      checkpoint_dir: the directory polled (its ``checkpoint`` state file).
      last_checkpoint: the last checkpoint path used, or None (default).
      seconds_to_sleep: seconds between polls, default 1.
      timeout: maximum seconds to wait; None (default) waits forever. As slim,
        gives up as soon as another sleep would pass the deadline.

    Returns:
      The new (complete) checkpoint path, or None on timeout.
    """
    _log.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        path = checkpoints.latest_checkpoint(checkpoint_dir)
        if path is None or path == last_checkpoint:
            if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
                return None
            time.sleep(seconds_to_sleep)
        else:
            _log.info("Found new checkpoint at %s", path)
            return path


def checkpoints_iterator(
    checkpoint_dir: str,
    min_interval_secs: float = 0,
    timeout: float | None = None,
    timeout_fn: Callable[[], bool] | None = None,
) -> Iterator[str]:
    """Yields the newest checkpoint of ``checkpoint_dir`` each time a new one appears.

    The latest checkpoint present is yielded at once. After each yield the
    generator sleeps until ``min_interval_secs`` after the yield started, then
    waits for a checkpoint different from the last one (intermediate ones are
    skipped). On a ``timeout`` wait without a new checkpoint: with no
    ``timeout_fn`` it logs ``'Timed-out waiting for a checkpoint.'`` and stops;
    otherwise it stops if ``timeout_fn()`` is true and keeps waiting if not.

    Args:
      checkpoint_dir: the directory watched.
      min_interval_secs: minimum seconds between yields (start to start), default 0.
      timeout: maximum seconds of each wait for a new checkpoint; None waits forever.
      timeout_fn: called with no arguments after a timeout.

    Yields:
      Checkpoint paths (prefixes such as ``logdir/model.ckpt-100``).
    """
    checkpoint_path = None
    while True:
        new_path = wait_for_new_checkpoint(checkpoint_dir, checkpoint_path, timeout=timeout)
        if new_path is None:
            if not timeout_fn:
                _log.info("Timed-out waiting for a checkpoint.")
                return
            if timeout_fn():
                return
            continue
        start = time.time()
        checkpoint_path = new_path
        yield checkpoint_path
        time_to_next_eval = start + min_interval_secs - time.time()
        if time_to_next_eval > 0:
            time.sleep(time_to_next_eval)
