"""equilin.io."""

from equilin.io.persistence import FORMAT_VERSION, METADATA_KEY, PersistenceError, PersistentEstimator, PersistentModule, load, read_metadata, save

__all__ = [
    "FORMAT_VERSION",
    "METADATA_KEY",
    "PersistenceError",
    "PersistentEstimator",
    "PersistentModule",
    "load",
    "read_metadata",
    "save",
]
