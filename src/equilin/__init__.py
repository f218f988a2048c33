"""equilin: linear neural networks invariant or equivariant under permutation groups.

Geometry of their function spaces (determinantal, invariant and equivariant varieties), weight-shared
networks that realize them, and the experiments of Kohn, Sattelberger, Shahverdi (arXiv:2309.13736).
"""

from equilin.determinantal import (
    DeterminantalVariety,
    ProductVariety,
    Variety,
    VarietyUnion,
    derealize,
    realize,
)
from equilin.equivariant import Block, EquivariantComponent, EquivariantVariety, count_components
from equilin.groups import Permutation, PermutationGroup
from equilin.invariant import InvariantVariety
from equilin.persistence import PersistenceError, load, save

__version__ = "0.1.0"

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
    "save",
    "load",
    "PersistenceError",
    "__version__",
]
