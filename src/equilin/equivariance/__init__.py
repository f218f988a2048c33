"""equilin.equivariance: linear maps that commute with a permutation group, and the rank-bounded variety.

The layer above :mod:`equilin.geometry` (determinantal varieties over ``R``, ``C``, ``H``) and
:mod:`equilin.groups` (permutations, orbits, grid and torus structures). For a permutation group ``G``
acting on ``R^n`` it finds the blocks of the commutant (Schur's lemma: ``prod_b M_{d_b}(D_b)`` in an
adapted basis), moves vectors and matrices into block coordinates without ``n x n`` matrices, and
describes ``E^G_r``, the equivariant matrices of rank ``<= r``, as a union of products of determinantal
varieties (``docs/math.md`` section 4, ``docs/equivariance.md``).

Modules, from the bottom up:

* :mod:`~equilin.equivariance.blocks` -- :class:`Block` (one ``M_m(D)``), :class:`BlockStructure` (the
  blocks in order, and the dimension, degree and ED degree of ``prod_b M_{k_b}(D_b)`` for a rank
  tuple), :class:`Ranks` (ranks keyed by block label).
* :mod:`~equilin.equivariance.cyclic` -- the talk's cyclic group ``<sigma>``: :func:`spectrum` and
  :func:`blocks_of` (the blocks ``r_{l,m}``).
* :mod:`~equilin.equivariance.cyclic_fourier` -- ``Q_sigma``: :class:`CyclicFourier`, block coordinates by
  FFTs along the cycles; :class:`FourierLayout`.
* :mod:`~equilin.equivariance.block_operator` -- the :class:`BlockOperator` protocol of the other
  backends (folded block coordinates, realizations of block operators), :func:`adjoint_basis`,
  :func:`first_rows`, :func:`with_twins`.
* :mod:`~equilin.equivariance.dense` -- the checked dense isotypic decomposition of a small
  representation; :mod:`~equilin.equivariance.isotypic` -- :class:`IsotypicDecomposition`, orbit-wise,
  for any group.
* :mod:`~equilin.equivariance.grid_fourier` -- :class:`AbelianFourierDecomposition` (products of cyclic
  groups on grids); :mod:`~equilin.equivariance.torus_fourier` -- :class:`TorusFourierDecomposition`
  (translations of a torus with a point group).
* :mod:`~equilin.equivariance.backends` -- :data:`METHODS` and :func:`choose_method`.
* :mod:`~equilin.equivariance.commutant` -- :class:`Commutant`: the blocks of a group and its block
  coordinates of vectors and matrices, whatever the backend.
* :mod:`~equilin.equivariance.components` -- which rank tuples are components (maximal ones), all of
  them, the top-dimensional ones; :mod:`~equilin.equivariance.counting` -- :func:`count_components` and
  the ED degree of ``E^G_r``, exactly; :mod:`~equilin.equivariance.selection` -- :func:`best_ranks`
  (the knapsack of nearest points).
* :mod:`~equilin.equivariance.weight_sharing` -- :class:`WeightSharing`, the templates of a component's
  autoencoder in the basis ``Q``; :mod:`~equilin.equivariance.pixel_sharing` -- :func:`pixel_sharing`
  and :func:`invariant_sharing`, the classes of tied weights in pixel space (:class:`SharingClasses`);
  :mod:`~equilin.equivariance.lowrank` -- a component's points as decoder times encoder.
* :mod:`~equilin.equivariance.variety` -- :class:`EquivariantVariety` (``E^G_r``, a :class:`Commutant`
  with a rank bound) and :class:`EquivariantComponent`.
"""

from equilin.equivariance.backends import METHODS, choose_method
from equilin.equivariance.block_operator import DENSE_LIMIT, BlockOperator, adjoint_basis, first_rows, with_twins
from equilin.equivariance.blocks import Block, BlockStructure, Ranks
from equilin.equivariance.commutant import Commutant
from equilin.equivariance.counting import COUNT_MAX_R, ComponentCount, count_components
from equilin.equivariance.cyclic import blocks_of, spectrum
from equilin.equivariance.cyclic_fourier import DENSE_Q_LIMIT, CycleGroup, CyclicFourier, FourierLayout
from equilin.equivariance.grid_fourier import AbelianFourierDecomposition, FourierBlockOperator, GridReader
from equilin.equivariance.isotypic import REPRESENTATIVE_LIMIT, IsotypicDecomposition
from equilin.equivariance.pixel_sharing import SharingClasses, invariant_sharing, pixel_sharing
from equilin.equivariance.selection import best_ranks
from equilin.equivariance.torus_fourier import TorusFourierDecomposition
from equilin.equivariance.variety import EquivariantComponent, EquivariantVariety
from equilin.equivariance.weight_sharing import WeightSharing

__all__ = [
    "AbelianFourierDecomposition",
    "Block",
    "BlockOperator",
    "BlockStructure",
    "COUNT_MAX_R",
    "Commutant",
    "ComponentCount",
    "CycleGroup",
    "CyclicFourier",
    "DENSE_LIMIT",
    "DENSE_Q_LIMIT",
    "EquivariantComponent",
    "EquivariantVariety",
    "FourierBlockOperator",
    "FourierLayout",
    "GridReader",
    "IsotypicDecomposition",
    "METHODS",
    "REPRESENTATIVE_LIMIT",
    "Ranks",
    "SharingClasses",
    "TorusFourierDecomposition",
    "WeightSharing",
    "adjoint_basis",
    "best_ranks",
    "blocks_of",
    "choose_method",
    "count_components",
    "first_rows",
    "invariant_sharing",
    "pixel_sharing",
    "spectrum",
    "with_twins",
]
