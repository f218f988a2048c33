"""How often each irreducible of the input occurs in a G-set: multiplicities from the characters.

A hidden G-set ``H`` carries the permutation representation ``R^H``; the multiplicity of the input's
irreducible ``V_i`` (field ``D_i``) in it is ``m_i = <chi_H, chi_i> / <chi_i, chi_i>``, with ``chi_H(g)``
the number of units ``g`` fixes and ``chi_i`` read from one copy of ``V_i`` inside one orbit of the input
(``_copies``, also the source of the matrices ``rho_i(g)`` of the network's linear layers).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from equilin.deep.gsets import GSet, _elements
from equilin.equivariance import (
    AbelianFourierDecomposition,
    EquivariantVariety,
    IsotypicDecomposition,
    TorusFourierDecomposition,
)
from equilin.groups import Permutation

__all__ = ["multiplicities"]


def _copies(variety: EquivariantVariety) -> list[tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """Per block one copy of its irreducible: the points of one orbit and the ``delta`` orthonormal columns
    of the copy on them. The Fourier path has no orbit-wise basis: the generic one is used (same blocks)."""
    source = variety
    if variety.method == "fourier":
        source = EquivariantVariety(variety.group, 0, method="generic")
        if source.labels != variety.labels:
            raise RuntimeError("internal error: the generic blocks of a cyclic group differ from the talk's")
    decomposition = source.decomposition
    if not isinstance(decomposition, (IsotypicDecomposition, AbelianFourierDecomposition, TorusFourierDecomposition)):
        raise RuntimeError(f"internal error: {type(decomposition).__name__} has no orbit-wise basis")
    out = []
    bases = decomposition.orbit_type_bases()
    for i, b in enumerate(source.blocks):
        for points, basis, splits in bases:
            if splits[i + 1] > splits[i]:
                out.append((points[0], basis[:, splits[i]:splits[i] + b.weight]))
                break
    return out


def multiplicities(variety: EquivariantVariety, gset: GSet) -> tuple[int, ...]:
    """The multiplicity in ``gset`` of every irreducible of ``variety`` (in block order), exactly.

    A cyclic group: ``m_{l,m}`` = the number of cycles of the generator's image whose length ``l``
    divides (the eigenvalue ``exp(2 pi i m / l)`` occurs once on each). Otherwise by characters,
    ``<chi_H, chi_i> / <chi_i, chi_i>``, ``chi_i`` read from one copy of ``V_i`` in the decomposition.

    Examples
    --------
    >>> from equilin.groups import PermutationGroup
    >>> Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
    >>> multiplicities(EquivariantVariety(Q8, 0), GSet.cosets(Q8, ["(1 2)(3 4)(5 6)(7 8)"]))
    (1, 1, 1, 1, 0)
    """
    if gset.group != variety.group:
        raise ValueError("the G-set belongs to another group than the variety")
    blocks = variety.blocks
    if variety.method == "fourier":
        sigma = variety.sigma
        assert sigma is not None
        tau = gset.images[variety.group.generators.index(sigma)]
        lengths = [len(c) for c in tau.cycles] + [1] * (tau.n - sum(len(c) for c in tau.cycles))
        return tuple(sum(1 for L in lengths if L % b.l == 0) for b in blocks)
    chars = _characters(variety)
    fixed = gset.fixed_points()
    order = len(fixed)
    out = []
    for b, chi in zip(blocks, chars):
        inner = sum(f * chi[g] for g, f in fixed) / order
        m = inner / b.field_dim
        if abs(m - round(m)) > 1e-6:
            raise RuntimeError(f"internal error: a multiplicity of {b.label} is not an integer ({m})")
        out.append(int(round(m)))
    return tuple(out)


def _characters(variety: EquivariantVariety) -> list[dict[Permutation, float]]:
    """``chi_i(g)`` for every element ``g`` and block ``i``, from one copy of ``V_i`` inside one orbit."""
    elements = _elements(variety.group, "the characters of the irreducibles")
    out = []
    for orbit, C in _copies(variety):
        out.append({g: float(np.trace(C.T @ g.matrix()[np.ix_(orbit, orbit)] @ C)) for g in elements})
    return out
