"""Loading any of equilin's models from a file, whichever package defines its class.

:func:`equilin.io.load` builds the class a file names from the classes that registered themselves on
import. :func:`load` here imports the model packages first: the closed-form estimators always, the torch
modules (:mod:`equilin.models.nn`) when the file holds a module, with an install hint when torch is
missing.
"""

from __future__ import annotations

import os
from typing import Any

from equilin.groups import Permutation, PermutationGroup
from equilin.io import load as load_verified
from equilin.io import read_metadata
from equilin.models import closed_form  # noqa: F401  (registers the estimators)

__all__ = ["load"]


def load(path: str | os.PathLike[str], expected: type | tuple[type, ...] | None = None, *,
         group: Permutation | PermutationGroup | None = None, map_location: Any = None) -> Any:
    """Read an estimator or module written by :func:`equilin.save` (an ``.npz`` file, or a module's
    ``.safetensors`` file, told apart by their content), after verifying the whole file.

    The arguments and errors are those of :func:`equilin.io.load`; in addition an ``ImportError`` says
    how to install torch when the file holds a torch module and torch is missing.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from equilin import DenseAutoencoder, save
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save(DenseAutoencoder(rank=2).fit(np.eye(4)), Path(tmp) / "m.npz")
    ...     type(load(path)).__name__
    'DenseAutoencoder'
    """
    if read_metadata(path)["kind"] == "module":
        try:
            import equilin.models.nn  # noqa: F401  (registers the torch modules)
        except ImportError as exc:
            raise ImportError(f"{path} holds a torch module: install torch (pip install 'equilin[torch]') to "
                              "load it") from exc
    return load_verified(path, expected, group=group, map_location=map_location)
