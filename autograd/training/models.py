"""How large a network `train` builds or `evaluate` loads, checked before anything is built.

Every weight of the scalar engine is a Python object (about 330 bytes with its share of
the network's bookkeeping, measured on CPython 3.11), so the size a file or an option asks
for is bounded: `MAX_PARAMETERS` (2,000,000, about 0.7 GB) unless the caller raises it
(`--max-parameters` on the command line), and at most `MAX_LAYERS` layers. A model file's
architecture must also agree with the number of parameters the file holds, so a small
file cannot ask for a huge network.

>>> mlp_parameter_count(2, [16, 16, 1])
337
>>> check_size(64, [10 ** 9, 10])
Traceback (most recent call last):
...
autograd.training.models.ModelTooLarge: a 64 -> 1000000000 -> 10 network has 75,000,000,010 \
parameters, more than the limit of 2,000,000 (raise it with max_parameters, or \
--max-parameters on the command line)
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from autograd.files import Checkpoint, CheckpointError
from autograd import nn
from autograd.nn import MLP

__all__ = [
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "ModelTooLarge",
    "check_size",
    "mlp_parameter_count",
    "model_from_checkpoint",
]

MAX_PARAMETERS = nn.MAX_PARAMETERS  # one default limit, the library's
MAX_LAYERS = 1_000


class ModelTooLarge(ValueError):
    """A network larger than the limit; `parameters` and `limit` say by how much.

    >>> ModelTooLarge("a 1 -> 1 network", 2, 1).parameters
    2
    """

    def __init__(self, what: str, parameters: int, limit: int, hint: str | None = None) -> None:
        self.what = what
        self.parameters = parameters
        self.limit = limit
        hint = hint or "raise it with max_parameters, or --max-parameters on the command line"
        super().__init__(f"{what} has {parameters:,} parameters, more than the limit of "
                         f"{limit:,} ({hint})")


def mlp_parameter_count(n_in: int, sizes: Sequence[int]) -> int:
    """The weights and biases of an MLP with `n_in` inputs and layers of `sizes` neurons.

    >>> mlp_parameter_count(64, [32, 10])  # (64 + 1) * 32 + (32 + 1) * 10
    2410
    """
    total, fan_in = 0, n_in
    for size in sizes:
        total += (fan_in + 1) * size
        fan_in = size
    return total


def check_size(n_in: int, sizes: Sequence[int], max_parameters: int | None = MAX_PARAMETERS,
               hint: str | None = None) -> int:
    """The parameter count of the MLP, or `ModelTooLarge` above `max_parameters` (None: any).

    Also refuses more than `MAX_LAYERS` layers (a ValueError).

    >>> check_size(2, [8, 1])
    33
    """
    if len(sizes) > MAX_LAYERS:
        raise ValueError(f"{len(sizes):,} layers are more than the limit of {MAX_LAYERS:,}")
    count = mlp_parameter_count(n_in, sizes)
    if max_parameters is not None and count > max_parameters:
        shape = " -> ".join(str(n) for n in (n_in, *sizes))
        raise ModelTooLarge(f"a {shape} network", count, max_parameters, hint)
    return count


def model_from_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike[str],
                          max_parameters: int | None = MAX_PARAMETERS) -> MLP:
    """The MLP a loaded model file describes, built only after its size is checked.

    The architecture's fields are checked, its parameter count is compared with the number
    of parameters the file holds and with `max_parameters`, and only then is the network
    built and filled in; each problem is a `CheckpointError` naming the file and field.

    >>> import os, tempfile
    >>> from autograd.files import load_checkpoint
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> MLP(2, [3, 1], seed=1).save(path)
    >>> model_from_checkpoint(load_checkpoint(path), path).sizes
    (3, 1)
    """
    architecture = checkpoint.architecture

    def fail(key: str, problem: str) -> CheckpointError:
        return CheckpointError(path, f"architecture.{key}", problem)

    nn.check_architecture(architecture, path, max_parameters=None)  # every field, no size yet
    n_in, sizes = architecture["n_in"], architecture["sizes"]
    try:
        count = check_size(n_in, sizes, max_parameters,
                           hint="give --max-parameters to load it anyway")
    except ValueError as error:
        raise fail("sizes", str(error)) from None
    if count != len(checkpoint.parameters):
        raise fail("sizes", f"describes {count:,} parameters but the file holds "
                            f"{len(checkpoint.parameters):,}")
    model = MLP(n_in, sizes, architecture["activation"], architecture["output_activation"],
                seed=None, max_parameters=None)  # the size was checked above, against the limit
    try:
        model.load_state_dict(checkpoint.parameters, source=os.fspath(path))
    except ValueError as error:
        raise CheckpointError(path, "parameters", str(error).split(": ", 1)[-1]) from None
    return model
