"""equilin.io: saving and loading fitted models as one verified ``.npz`` file, or a torch module as a
``.safetensors`` file (``docs/persistence.md``).

Imports numpy, :mod:`equilin.groups`, :mod:`equilin.geometry` and :mod:`equilin.equivariance` only --
never torch nor a layer above it: the model classes of :mod:`equilin.models` register themselves by
subclassing :class:`PersistentEstimator` or :class:`PersistentModule`, and :func:`equilin.load` imports
them before calling :func:`load`.

Modules
-------
persistence
    :func:`save`, :func:`load`, :func:`read_metadata`, :func:`check_save_path`, the registry of
    persistent classes and the mixins :class:`PersistentEstimator` and :class:`PersistentModule` with
    their hooks.
codec
    The metadata encoder and decoder of values and library objects (groups, varieties, components) and
    the block-order checks of older format versions.
archive
    The file: :data:`FORMAT_VERSION`, :data:`METADATA_KEY`, :class:`PersistenceError`, canonical JSON,
    checksum, manifest, which file a path may replace, atomic write and verified read.
tensorfile
    The ``.safetensors`` file of a torch module (``state_dict`` tensors, metadata strings), written with
    ``safetensors.numpy``.
"""

from equilin.io.archive import FORMAT_VERSION, METADATA_KEY, PersistenceError
from equilin.io.persistence import (
    PersistentEstimator,
    PersistentModule,
    check_save_path,
    load,
    read_metadata,
    save,
)

__all__ = [
    "FORMAT_VERSION",
    "METADATA_KEY",
    "PersistenceError",
    "PersistentEstimator",
    "PersistentModule",
    "check_save_path",
    "load",
    "read_metadata",
    "save",
]
