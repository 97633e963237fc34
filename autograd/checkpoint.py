"""Model files under their older module name: everything here lives in `autograd.files`.

>>> from autograd import checkpoint, files
>>> checkpoint.load_checkpoint is files.load_checkpoint
True
"""

from autograd.files import (
    FORMAT,
    VERSION,
    Checkpoint,
    CheckpointError,
    atomic_write_text,
    finite_float,
    load_checkpoint,
    save_checkpoint,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "Checkpoint",
    "CheckpointError",
    "atomic_write_text",
    "finite_float",
    "load_checkpoint",
    "save_checkpoint",
]
