"""Name-based TF checkpoints (slim/TF1 format) for Keras variables.

A checkpoint is the standard TF V2 pair ``<prefix>.index`` /
``<prefix>.data-00000-of-00001`` whose keys are slim variable names
(``conv1/weights``, ``global_step``), readable by ``tf.train.load_checkpoint``
and restorable by TF1's ``Saver`` and tf_slim's ``assign_from_checkpoint_fn``.
Files are written under a temporary name and renamed, and the text
``checkpoint`` state file is replaced only after, so it never points at a
missing or partial checkpoint. ``CheckpointManager.recover`` heals a logdir
before training resumes from it (docs/reliability.md): leftovers of
interrupted saves are removed, the newest checkpoint is verified and a damaged
one moved aside, and a damaged state file is rebuilt from the files present.

The modules: ``files`` (one checkpoint: atomic save, verification, the
errors), ``logdir`` (a directory's state file and checkpoints on disk),
``reading`` (tensors by name) and ``manager`` (``CheckpointManager``).
"""

from kslim.checkpoints.files import (
    CheckpointError,
    CheckpointSaveError,
    CorruptCheckpointError,
    checkpoint_problem,
    save_variables,
)
from kslim.checkpoints.logdir import (
    checkpoint_step,  # noqa: F401 (public, outside __all__ as before)
    latest_checkpoint,
    latest_intact_checkpoint,
    quarantine,  # noqa: F401
)
from kslim.checkpoints.manager import CheckpointManager
from kslim.checkpoints.reading import list_variables, read_checkpoint, restore_variables

__all__ = [
    "CheckpointError",
    "CheckpointManager",
    "CheckpointSaveError",
    "CorruptCheckpointError",
    "checkpoint_problem",
    "latest_checkpoint",
    "latest_intact_checkpoint",
    "list_variables",
    "read_checkpoint",
    "restore_variables",
    "save_variables",
]
