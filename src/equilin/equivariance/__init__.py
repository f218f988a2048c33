"""equilin.equivariance."""

from equilin.equivariance.blocks import Block, BlockStructure, Ranks
from equilin.equivariance.grid_fourier import AbelianFourierDecomposition
from equilin.equivariance.isotypic import DENSE_LIMIT, IsotypicDecomposition, REPRESENTATIVE_LIMIT, adjoint_basis, first_rows, with_twins
from equilin.equivariance.torus_fourier import TorusFourierDecomposition
from equilin.equivariance.variety import ComponentCount, EquivariantComponent, EquivariantVariety, best_ranks, blocks_of, choose_method, count_components, spectrum

__all__ = [
    "AbelianFourierDecomposition",
    "Block",
    "BlockStructure",
    "ComponentCount",
    "DENSE_LIMIT",
    "EquivariantComponent",
    "EquivariantVariety",
    "IsotypicDecomposition",
    "REPRESENTATIVE_LIMIT",
    "Ranks",
    "TorusFourierDecomposition",
    "adjoint_basis",
    "best_ranks",
    "blocks_of",
    "choose_method",
    "count_components",
    "first_rows",
    "spectrum",
    "with_twins",
]
