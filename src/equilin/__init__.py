"""equilin: linear neural networks invariant or equivariant under permutation groups.

Geometry of their function spaces (determinantal, invariant and equivariant varieties), weight-shared
networks that realize them, and the experiments of Kohn, Sattelberger, Shahverdi (arXiv:2309.13736).

The package is layered, each layer importing only those below it (``CONTRIBUTING.md``)::

    cli -> experiments -> plots -> models (closed form; torch in models.nn) -> io, data -> critical
        -> deep -> lcn -> equivariance -> geometry, testing -> groups -> validation, version

Importing ``equilin`` does not import torch.
"""

from equilin.equivariance import Block, EquivariantComponent, EquivariantVariety, count_components
from equilin.geometry import (
    DeterminantalVariety,
    InvariantVariety,
    ProductVariety,
    Variety,
    VarietyUnion,
    derealize,
    realize,
)
from equilin.groups import Permutation, PermutationGroup
from equilin.io import PersistenceError, save
from equilin.models import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    EquivariantRegressor,
    InvariantAutoencoder,
    InvariantRegressor,
    load,
)
from equilin.version import VERSION as __version__

__all__ = [
    "Permutation",
    "PermutationGroup",
    "Variety",
    "DeterminantalVariety",
    "ProductVariety",
    "VarietyUnion",
    "InvariantVariety",
    "EquivariantVariety",
    "EquivariantComponent",
    "Block",
    "count_components",
    "realize",
    "derealize",
    "DenseAutoencoder",
    "InvariantAutoencoder",
    "EquivariantAutoencoder",
    "DenseRegressor",
    "InvariantRegressor",
    "EquivariantRegressor",
    "save",
    "load",
    "PersistenceError",
    "__version__",
]
