"""The compiled training backend under its older module name: it lives in
`autograd.training.compiled`.

>>> from autograd.compiled_training import compiled_backend
>>> compiled_backend.__module__
'autograd.training.compiled'
"""

from autograd.training.compiled import compiled_backend, numpy_available

__all__ = ["compiled_backend", "numpy_available"]
