"""equilin.models.closed_form."""

from equilin.models.closed_form.estimators import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder, is_dask_array

__all__ = [
    "DenseAutoencoder",
    "EquivariantAutoencoder",
    "InvariantAutoencoder",
    "is_dask_array",
]
