"""InitFnOnFreshStart: call ``init_fn(model)`` once when the logdir has no checkpoint."""

from __future__ import annotations

from collections.abc import Callable

import keras

from kslim.checkpoints import CheckpointManager, latest_intact_checkpoint
from kslim.learning.callbacks.chunk_events import Phase
from kslim.tensor_types import Logs


class InitFnOnFreshStart(keras.callbacks.Callback):
    """Calls ``init_fn(model)`` at the start of training unless resuming.

    Slim calls ``init_fn(session)`` after initialization only when the logdir
    has no checkpoint (kslim: no intact checkpoint); kslim passes the model
    (e.g. the callback returned by ``slim.assign_from_checkpoint_fn``). Its
    ``phase`` puts it before ``CheckpointSaver`` (which saves the initialized
    weights) in ``learning.train``; in a plain ``fit`` list it first.

    Args:
      init_fn: a callable taking the model.
      logdir: the training directory, or None (always fresh).
      is_chief: only the chief heals the logdir; other workers only look for
        its newest intact checkpoint (they never move files).

    Raises:
      TypeError: if ``init_fn`` is not callable.
    """

    phase = Phase.INIT

    def __init__(self, init_fn: Callable, logdir: str | None, is_chief: bool = True) -> None:
        super().__init__()
        if not callable(init_fn):
            raise TypeError(f"init_fn must be callable, got {init_fn!r}")
        self.init_fn = init_fn
        self.logdir = logdir
        self.is_chief = is_chief
        self.called = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # The logdir is healed first (CheckpointManager.recover, as CheckpointSaver
        # does): a damaged newest checkpoint or state file is no fresh start
        # while an intact older checkpoint remains.
        """Calls ``init_fn(model)`` when the logdir has no intact checkpoint to resume from."""
        if self.logdir is None:
            resume = None
        elif self.is_chief:
            resume = CheckpointManager(self.logdir, None).recover()
        else:
            resume = latest_intact_checkpoint(self.logdir)
        if resume is None:
            self.init_fn(self.model)
            self.called = True
