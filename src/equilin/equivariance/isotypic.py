"""Equivariance under any finite permutation group: the isotypic decomposition of ``R^n``, orbit-wise.

``docs/equivariance.md`` derives everything used here; in short:

* Under a finite group ``G`` acting by permutation matrices, ``R^n = (+)_i V_i^{m_i}`` with ``V_i`` the
  distinct real irreducible representations that occur (real dimension ``delta_i``, multiplicity
  ``m_i``). Schur's lemma over ``R``: ``End_G(V_i)`` is a division algebra ``D_i`` -- ``R``, ``C`` or
  ``H`` (real, complex or quaternionic *type*). The commutant of the permutation representation (the
  equivariant ``n x n`` matrices) is ``prod_i M_{m_i}(D_i)``; its real dimension
  ``sum_i m_i^2 dim_R(D_i)`` equals the number of orbits of ``G`` on pairs ``(i, j)`` (orbitals).
* A commuting matrix whose block ``i`` has rank ``s_i`` over ``D_i`` has real rank ``sum_i s_i delta_i``.

Computation (:class:`IsotypicDecomposition`; ``docs/equivariance.md`` section 5). First, exactly: the
orbits and the orbit types (:class:`equilin.groups.OrbitStructure`; isomorphic orbits give isomorphic
summands of ``R^n``). Then numerically, on the direct sum of one representative orbit per type only
(at most :data:`REPRESENTATIVE_LIMIT` points), by the checked dense steps of
:mod:`equilin.equivariance.dense`. Each isotypic component is then split by representative
(:func:`_localize`) and its basis replicated over every orbit of the same type through the G-set
isomorphisms, so block coordinates are a gather per orbit type and one small product, for any ``n``
(the conventions of :mod:`equilin.equivariance.block_operator`). The commutant dimension of ``R^n`` is
counted exactly from the orbitals between representatives and the number of orbits of each type.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property, cmp_to_key
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.block_operator import BlockOperator, _operator, _realize, adjoint_basis
from equilin.equivariance.blocks import Block
from equilin.equivariance.dense import _Dense
from equilin.geometry import COMPLEX, QUATERNIONIC, REAL, Field
from equilin.groups import (
    AbelianStructure,
    OrbitStructure,
    Permutation,
    PermutationGroup,
    TorusStructure,
    as_group,
    cyclic_eigenvalue,
)
from equilin.validation import check_int

__all__ = ["IsotypicDecomposition", "REPRESENTATIVE_LIMIT"]

REPRESENTATIVE_LIMIT = 2048
"""Largest number of points of one representative orbit per orbit type (decomposed densely)."""


def _localize(F: Field, delta: int, basis: NDArray[np.float64], rows: slice, tol: float
              ) -> NDArray[np.float64]:
    """The copies of one irreducible inside the G-invariant coordinates ``rows`` (one orbit type of the
    representative sum): an orthonormal ``len(rows) x (k delta)`` basis in the same standard form.

    ``basis`` holds ``m`` copies in standard form; restricted to ``rows`` its Gram matrix is a commuting
    matrix ``realize(P)`` with ``P`` an orthogonal projection over ``D`` (the restrictions to the orbit
    types are complementary invariant subspaces). The range of ``P`` is the ``D``-span of the copies
    that lie in ``rows``; its orthonormal basis ``U`` (over ``D``) gives them as ``basis @ realize(U)``.
    """
    m = basis.shape[1] // delta
    block = Block(F, m, delta, "r_{V1}")
    part = basis[rows]
    P = _operator(block, part.T @ part)
    values, vectors = np.linalg.eigh(P)
    if np.abs(values * (1 - values)).max(initial=0.0) > tol * m:
        raise RuntimeError("internal error: an orbit type does not split an isotypic component")
    U = vectors[:, values > 0.5]
    if F is QUATERNIONIC:
        U = adjoint_basis(U)
    elif F is REAL:
        U = U.real
    local = part @ _realize(block, U)
    if np.linalg.norm(local.T @ local - np.eye(local.shape[1])) > tol * max(1, local.shape[1]):
        raise RuntimeError("internal error: the copies inside an orbit type are not orthonormal")
    return local





_Keyed = tuple[tuple[Any, ...], Field, int, NDArray[np.float64], list[NDArray[np.float64]]]
"""An irreducible found by the dense decomposition: its sort key (:func:`_compare_fingerprints`), field,
real dimension, basis of its copies on the representatives and its matrices on the generators."""


def _compare_fingerprints(a: tuple[Any, ...], b: tuple[Any, ...]) -> int:
    """Order of two block keys ``(not trivial, delta, field_dim, projector row)``: the integers first,
    then the first projector entry that differs by more than ``1e-7`` (larger first)."""
    if a[:3] != b[:3]:
        return -1 if a[:3] < b[:3] else 1
    for x, y in zip(a[3], b[3]):
        if abs(x - y) > 1e-7:
            return -1 if x > y else 1
    return 0


class IsotypicDecomposition(BlockOperator):
    """The isotypic decomposition of ``R^n`` under a permutation group, with an adapted orthogonal basis.

    Computed from the orbit types (:class:`equilin.groups.OrbitStructure`, exact and combinatorial):
    the direct sum of one representative orbit per type is decomposed numerically (it is small for image
    and volume groups: at most :data:`REPRESENTATIVE_LIMIT` points), each irreducible's copies are split
    by orbit type, and the resulting basis of every type is replicated over all the orbits of that type
    through their G-set isomorphisms. No ``n x n`` matrix is built: block coordinates are a gather per
    orbit type and one small matrix product (cost ``O(N n s)`` for ``N`` vectors, ``s`` the largest
    orbit size). The commutant dimension is checked against the number of orbitals counted exactly.

    Parameters
    ----------
    group : PermutationGroup or Permutation
        Any finite permutation group, by generators.
    seed : int
        Seed of the random commuting matrices on the representatives. The blocks, their order, labels
        and sizes never depend on it (nor on the generators chosen for the group), only the basis inside
        each block.
    tol : float
        Relative tolerance of the numerical checks.

    Attributes
    ----------
    blocks : tuple of Block
        Trivial representation first, then by dimension, type, and the isotypic projector on the
        representative orbits (a fingerprint of the irreducible that depends only on the group). For a
        product of cyclic groups on grids (:mod:`equilin.groups.abelian`) or translations with a point
        group on a torus (:mod:`equilin.groups.torus`) by frequency instead, with their names, as their
        FFT backends.
    offsets : list of int
        First column of every block in :attr:`Q`.
    commutant_dim : int
        Number of orbitals = real dimension of the commutant.
    orbits : OrbitStructure
        The orbit types behind the decomposition.

    Examples
    --------
    The quaternion group acting on itself (8 points) by left multiplication:

    >>> from equilin.groups import PermutationGroup
    >>> Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
    >>> D = IsotypicDecomposition(Q8)
    >>> [(b.label, b.kind, b.size, b.weight) for b in D.blocks]   # doctest: +NORMALIZE_WHITESPACE
    [('r_{V1}', 'real', 1, 1), ('r_{V2}', 'real', 1, 1), ('r_{V3}', 'real', 1, 1),
     ('r_{V4}', 'real', 1, 1), ('r_{V5}', 'quaternionic', 1, 4)]
    >>> D.commutant_dim, bool(np.allclose(D.Q.T @ D.Q, np.eye(8)))
    (8, True)

    Any ``n``: the Klein group ``<(1 2), (3 4)>`` on 100,000 points has three orbit types.

    >>> K = IsotypicDecomposition(PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 100_000))
    >>> [(b.size, b.weight) for b in K.blocks], K.commutant_dim
    ([(99998, 1), (1, 1), (1, 1)], 9999600006)
    """

    def __init__(self, group: PermutationGroup | Permutation, seed: int = 0, tol: float = 1e-8) -> None:
        self.group: PermutationGroup = as_group(group)
        self.n: int = self.group.n
        if self.n == 0:
            raise ValueError("the group acts on an empty set (n = 0); equivariant maps need n >= 1")
        self.seed = check_int(seed, "seed", 0)
        self.tol = float(tol)
        if not 0 < self.tol < 1e-2:
            raise ValueError(f"tol must be in (0, 0.01), got {tol!r}")
        self.orbits = OrbitStructure(self.group)
        S = self.orbits.representative_size
        if S > REPRESENTATIVE_LIMIT:
            largest = max(t.size for t in self.orbits.types)
            raise ValueError(
                f"the orbit types of this group have {S:,} points in all (largest orbit {largest:,}); the "
                f"orbit-wise decomposition handles up to {REPRESENTATIVE_LIMIT:,} (it decomposes one "
                "orbit per type densely). Cyclic groups, products of cyclic groups on grids (translations) and "
                "translations of one torus with a point group (p4, p4m by 1) work for any n (FFTs)")
        types = self.orbits.types
        starts = np.cumsum([0] + [t.size for t in types]).tolist()
        self._type_rows = [slice(a, a + t.size) for a, t in zip(starts, types)]
        images = np.concatenate([t.actions + a for a, t in zip(starts, types)], axis=1)
        dense = _Dense(PermutationGroup([Permutation(row) for row in images]), self.seed, self.tol)
        self.commutant_dim: int = self._orbital_count(dense)
        if dense.commutant_dim != sum(f for f in self._pair_counts(dense).values()):
            raise RuntimeError("internal error: orbital counts of the representatives disagree")
        self._build(dense, images)

    # -- construction --------------------------------------------------------------------------------
    def _pair_counts(self, dense: _Dense) -> dict[tuple[int, int], int]:
        """Number of orbits of G on ``R_t x R_u`` for every pair of representative orbits."""
        labels = dense._orbital_labels
        out = {}
        for t, rt in enumerate(self._type_rows):
            for u, ru in enumerate(self._type_rows):
                out[(t, u)] = int(np.unique(labels[rt, ru]).size)
        return out

    def _orbital_count(self, dense: _Dense) -> int:
        """Orbitals of G on ``[n] x [n]``, exactly: ``sum_{t,u} c_t c_u orbitals(R_t x R_u)``."""
        counts = [t.count for t in self.orbits.types]
        return sum(counts[t] * counts[u] * f for (t, u), f in self._pair_counts(dense).items())

    def _build(self, dense: _Dense, images: NDArray[np.int64]) -> None:
        types = self.orbits.types
        # the isotypic projector's rows at each representative's smallest point: depends only on G
        first_rows_of_types = [r.start for r in self._type_rows]
        keyed: list[_Keyed] = []
        for F, _copies, delta, basis in dense.found:
            rho = [basis[:, :delta].T @ basis[np.argsort(row), :delta] for row in images]
            trivial = delta == 1 and all(abs(float(x[0, 0]) - 1.0) < 1e-6 for x in rho)
            projector = basis @ basis[first_rows_of_types].T          # S x T
            key = (not trivial, delta, F.dim, tuple(projector.T.ravel().tolist()))
            keyed.append((key, F, delta, basis, rho))
        fingerprint = cmp_to_key(_compare_fingerprints)
        keyed.sort(key=lambda item: fingerprint(item[0]))
        labels: list[str] | None = None
        eigenvalues: list[tuple[int, int]] | None = None
        names = self._frequency_names(keyed, self.group.cyclic_generator())
        if names is not None:   # products of cyclic groups on grids: the blocks of the FFT backends
            position = {tuple(a): i for i, a in enumerate(self._abelian.frequencies.tolist())}
            keyed = [keyed[i] for i in sorted(range(len(names)), key=lambda i: position[names[i]])]
            labels = list(self._abelian.labels)
            if len(self._abelian.orders) == 1:      # a cyclic group: the eigenvalues (l, m) of its generator
                eigenvalues = [cyclic_eigenvalue(a, self._abelian.orders[0])
                               for (a,) in self._abelian.frequencies.tolist()]
        elif self.group.cyclic_generator() is not None:    # the trivial group: one block, r_{1,1}
            labels, eigenvalues = ["r_{1,1}"], [(1, 1)]
        torus = self._torus_blocks(keyed) if names is None and labels is None else None
        if torus is not None:   # translations with a point group on a torus: blocks by frequency orbit
            keyed = [keyed[i] for i in np.argsort(torus, kind="stable").tolist()]
            labels = list(self._torus.labels)
        blocks, offsets = [], []
        self._local: list[list[NDArray[np.float64]]] = [[] for _ in types]   # per type, per block
        offset = 0
        for index, (_, F, delta, basis, rho) in enumerate(keyed, start=1):
            size = 0
            for t, rows in enumerate(self._type_rows):
                local = _localize(F, delta, basis, rows, self.tol)
                self._local[t].append(local)
                size += types[t].count * (local.shape[1] // delta)
            traces = tuple(round(float(np.trace(x)), 9) + 0.0 for x in rho)   # + 0.0: no -0.0
            label = "" if labels is None else labels[index - 1]
            blocks.append(Block(F, size, delta, label or f"r_{{V{index}}}", traces,
                                None if eigenvalues is None else eigenvalues[index - 1]))
            offsets.append(offset)
            offset += size * delta
        if names is not None and tuple(b.size for b in blocks) != self._abelian.multiplicities:
            raise RuntimeError("internal error: the multiplicities disagree with the characters")
        if torus is not None and (tuple(b.size for b in blocks) != (1,) * len(blocks)
                                  or tuple(b.weight for b in blocks) != self._torus.dims):
            raise RuntimeError("internal error: the blocks disagree with the frequency orbits")
        if offset != self.n or sum(b.field_dim * b.size ** 2 for b in blocks) != self.commutant_dim:
            raise RuntimeError("internal error: the replicated blocks do not add up to the orbit counts")
        self.blocks: tuple[Block, ...] = tuple(blocks)
        self.offsets: list[int] = offsets
        # per type: all blocks' local columns side by side (an orthogonal size x size matrix)
        self._bases = [np.concatenate(local, axis=1) for local in self._local]
        self._splits = [np.cumsum([0] + [a.shape[1] for a in local]).tolist() for local in self._local]

    def _frequency_names(self, keyed: list[_Keyed], sigma: Permutation | None) -> list[tuple[int, ...]] | None:
        """The canonical frequency vector of every irreducible found, when the group is a product of
        cyclic groups on grids (:mod:`equilin.groups.abelian`), from the angle by which each generator rotates
        its first copy; checked against the exact characters and multiplicities. For a cyclic group
        the structure is that of its generator ``sigma`` alone (frequencies ``(a,)`` of ``sigma``)."""
        if sigma is not None:
            structure = AbelianStructure.of(PermutationGroup([sigma]))
            which = [self.group.generators.index(sigma)]
        else:
            structure = AbelianStructure.of(self.group)
            which = list(structure.generators) if structure is not None else []
        if structure is None:
            return None
        names = []
        for _, F, delta, _basis, rho in keyed:
            rho = [rho[j] for j in which]
            if F is REAL and delta == 1:
                angles = [0.0 if x[0, 0] > 0 else math.pi for x in rho]
            elif F is COMPLEX and delta == 2:
                angles = [math.atan2(x[1, 0], x[0, 0]) for x in rho]
            else:
                raise RuntimeError(f"internal error: a {F.kind} irreducible of dimension {delta} for a "
                                   "product of cyclic groups")
            names.append(structure.frequency_of_angles(angles))
        self._abelian = structure
        found = {name: item[1].kind for name, item in zip(names, keyed)}
        exact = dict(zip(map(tuple, structure.frequencies.tolist()), structure.kinds))
        if len(found) != len(names) or found != exact:
            raise RuntimeError("internal error: the irreducibles found disagree with the characters of "
                               "the product of cyclic groups")
        return names

    def _torus_blocks(self, keyed: list[_Keyed]) -> list[int] | None:
        """For translations with a point group on a torus (:mod:`equilin.groups.torus`): the frequency
        orbit (block of :class:`~equilin.groups.TorusStructure`) of every irreducible found, from the
        characters on which the translations act on its first copy (a simultaneous eigenbasis of the
        translation generators); checked: one orbit per irreducible, every orbit once, same type."""
        structure = TorusStructure.of(self.group)
        if structure is None:
            return None
        N = structure.N
        rng = np.random.default_rng(0)
        found = []
        for _, F, delta, _basis, rho in keyed:
            R = [rho[j] for j in structure.translations]
            A = sum(c * r for c, r in zip(rng.standard_normal(len(R)), R))
            _, V = np.linalg.eig(A)                                  # commuting orthogonal: one eigenbasis
            angles = np.stack([np.angle(np.einsum("ij,ik,kj->j", V.conj(), r, V)) for r in R], axis=1)
            freqs = np.round(angles * N / (2 * np.pi)).astype(np.int64) % N
            owners = {structure.block_of(tuple(f)) for f in freqs.tolist()}
            if len(owners) != 1:
                raise RuntimeError("internal error: an irreducible spans several frequency orbits")
            (owner,) = owners
            if structure.kinds[owner] != F.kind or structure.dims[owner] != delta:
                raise RuntimeError("internal error: an irreducible disagrees with its frequency orbit")
            found.append(owner)
        if sorted(found) != list(range(len(structure.labels))):
            raise RuntimeError("internal error: the irreducibles found are not the frequency orbits")
        self._torus = structure
        return found

    # -- coordinates (the orbit-wise operator) ------------------------------------------------------

    def _coordinates(self, X: NDArray[np.float64], which: Sequence[int]) -> list[NDArray[np.float64]]:
        """Real coordinates ``X @ columns(i)`` (``N x m delta``, copy-major) for the blocks ``which``:
        per orbit type one gather of ``X`` and one matrix product with the local basis."""
        N = X.shape[0]
        parts: list[list[NDArray[np.float64]]] = [[] for _ in which]
        for t, points in enumerate(self.orbits.points):
            spans = [(self._splits[t][i], self._splits[t][i + 1]) for i in which]
            if all(a == b for a, b in spans):
                continue
            count, size = points.shape
            lo, hi = min(a for a, b in spans if b > a), max(b for a, b in spans if b > a)
            gathered = np.take(X, points.ravel(), axis=1).reshape(N * count, size)
            Y = (gathered @ np.ascontiguousarray(self._bases[t][:, lo:hi])).reshape(N, count, hi - lo)
            for k, (a, b) in enumerate(spans):
                if b > a:
                    parts[k].append(Y[:, :, a - lo:b - lo].reshape(N, count * (b - a)))
        return [np.concatenate(p, axis=1) if len(p) > 1 else p[0] for p in parts]

    def _vectors(self, coordinates: dict[int, NDArray[np.float64]], N: int) -> NDArray[np.float64]:
        """``sum_i Y_i @ columns(i).T`` (``N x n``) for real block coordinates ``{i: Y_i}`` (``N x m_i
        delta_i``): per orbit type one matrix product with the local basis, then one permutation of the
        columns from orbit order back to point order."""
        used = dict.fromkeys(coordinates, 0)
        pieces = []
        for t, points in enumerate(self.orbits.points):
            count, size = points.shape
            spans = {i: (self._splits[t][i], self._splits[t][i + 1]) for i in coordinates}
            spans = {i: ab for i, ab in spans.items() if ab[1] > ab[0]}
            if not spans:
                pieces.append(np.zeros((N, count * size)))
                continue
            lo, hi = min(a for a, _ in spans.values()), max(b for _, b in spans.values())
            Z = np.zeros((N, count, hi - lo))
            for i, (a, b) in spans.items():
                width = count * (b - a)
                Z[:, :, a - lo:b - lo] = coordinates[i][:, used[i]:used[i] + width].reshape(N, count, b - a)
                used[i] += width
            local = np.ascontiguousarray(self._bases[t][:, lo:hi].T)       # contiguous: BLAS, not a loop
            pieces.append((Z.reshape(N * count, hi - lo) @ local).reshape(N, count * size))
        assert all(used[i] == self.blocks[i].real_dim for i in coordinates)
        return np.take(np.concatenate(pieces, axis=1), self._to_points, axis=1)

    @cached_property
    def _to_points(self) -> NDArray[np.int64]:
        """Column permutation from orbit order (types, orbits, aligned positions) to point order."""
        return np.argsort(np.concatenate([p.ravel() for p in self.orbits.points]))

    # -- the operator's data, for torch ------------------------------------------------------------------
    def type_widths(self) -> list[tuple[int, ...]]:
        """Per block, the number of its coordinates on one orbit of every orbit type (``copies in one
        orbit x delta``; 0 where the type does not carry the block)."""
        return [tuple(splits[i + 1] - splits[i] for splits in self._splits) for i in range(len(self.blocks))]

    def orbit_type_bases(self) -> list[tuple[NDArray[np.int64], NDArray[np.float64], list[int]]]:
        """The orbit-wise operator's data, per orbit type ``t``: the aligned points (``count_t x
        size_t``, :attr:`equilin.groups.OrbitStructure.points`), the orthogonal local basis of one orbit
        (``size_t x size_t``, columns block by block) and the first column of every block in it (one
        more entry at the end). Block ``i``'s real coordinates of ``x`` are, type after type, the
        ``x[points_t] @ basis_t[:, a:b]`` (``a, b`` = ``splits_t[i], splits_t[i + 1]``) of every orbit,
        read as ``count_t (b - a) / delta_i`` copies of ``delta_i`` coordinates."""
        return [(points, basis, list(splits))
                for points, basis, splits in zip(self.orbits.points, self._bases, self._splits)]

    def __repr__(self) -> str:
        blocks = ", ".join(f"{b.label}:{b.size}x{b.field.name}^{b.weight // b.field_dim}" for b in self.blocks)
        return f"IsotypicDecomposition(n={self.n}, blocks [{blocks}])"
