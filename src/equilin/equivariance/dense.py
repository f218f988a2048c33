"""The isotypic decomposition of a *small* permutation representation by dense linear algebra.

``docs/equivariance.md`` section 5. :class:`~equilin.equivariance.IsotypicDecomposition` applies
:class:`_Dense` to the direct sum of one representative orbit per orbit type only (at most
:data:`~equilin.equivariance.REPRESENTATIVE_LIMIT` points); numerically, and checked at every step:

1. the orbitals on pairs of points give a basis of the commutant; random combinations are *generic*
   commuting matrices;
2. a generic *symmetric* commuting matrix has one eigenvalue per copy of an irreducible, of
   multiplicity ``delta_i`` and otherwise distinct: its eigenspaces are the irreducible subspaces;
3. a generic commuting matrix ``B`` compressed between two such subspaces is non-zero exactly when they
   are isomorphic (Schur), which groups them into isotypic classes; it also *is* an isomorphism
   (a multiple of an orthogonal one) used to transport one basis to every copy;
4. the type is the dimension (1, 2 or 4) of the span of the compressions of ``I`` and three generic
   commuting matrices to one copy; for the complex type this yields ``J`` (``J^2 = -1``), for the
   quaternionic type ``I, J, K = IJ``, and the basis of a copy is built from orbits
   ``u, Ju`` / ``u, Iu, Ju, Ku`` so that ``End_G(V_i)`` acts on coordinates by the standard matrices
   (multiplication by ``i``; left multiplication by ``i, j, k`` on ``a + bi + cj + dk``).

Every step is verified (invariance of each subspace under every generator, completeness of the
isomorphism classes, ``K^2 = -1``, identical generator matrices on all copies, commutant dimension
against the orbital count); a failed check retries with new random elements and then raises.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.geometry import Field, field_of, field_units
from equilin.groups import Permutation, PermutationGroup
from equilin.validation import as_generator

__all__: list[str] = []


def _orbitals(generators: Sequence[Permutation], n: int) -> tuple[int, NDArray[np.int64]]:
    """Number of orbits of the group on pairs, and the orbit label of every pair (``n x n``)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs = np.arange(n * n, dtype=np.int64)
    rows, cols = [], []
    for g in generators:
        a = g.array
        rows.append(pairs)
        cols.append((a[:, None] * n + a[None, :]).ravel())
    if not rows:
        return n * n, pairs.reshape(n, n)
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(r.size, dtype=np.int8), (r, c)), shape=(n * n, n * n)).tocsr()
    count, labels = connected_components(graph, directed=True, connection="weak")
    return int(count), labels.astype(np.int64).reshape(n, n)


def _clusters(values: NDArray[np.float64], tol: float) -> list[slice]:
    scale = max(float(np.abs(values).max(initial=0.0)), 1.0)
    breaks = np.flatnonzero(np.diff(values) > tol * scale) + 1
    edges = [0, *breaks.tolist(), values.size]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


class _DecompositionFailed(Exception):
    pass


class _Dense:
    """The isotypic decomposition of a *small* permutation representation by dense linear algebra
    (steps 1-4 of the module docstring). :class:`~equilin.equivariance.IsotypicDecomposition` applies it only to one
    representative orbit per orbit type.

    After construction ``found`` lists ``(field, copies, delta, basis)`` per irreducible, ``basis`` the
    ``n x (copies * delta)`` columns of its copies (copy by copy), in which every generator acts by the
    same ``delta x delta`` matrix on every copy and ``End_G`` by the standard units.
    """

    def __init__(self, group: PermutationGroup, seed: int, tol: float) -> None:
        self.group = group
        self.n = group.n
        self.tol = tol
        self.commutant_dim, self._orbital_labels = _orbitals(group.generators, self.n)
        rng = as_generator(seed)
        error: Exception | None = None
        for _ in range(4):
            try:
                self._compute(rng)
                return
            except _DecompositionFailed as exc:  # unlucky random elements: try new ones
                error = exc
        raise RuntimeError(f"the isotypic decomposition of the {self.n} representative points failed its "
                           f"checks four times ({error}); please report this group")

    def _random_commuting(self, rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.standard_normal(self.commutant_dim)[self._orbital_labels]

    def _compute(self, rng: np.random.Generator) -> None:
        tol = self.tol
        gens = self.group.generators
        A = self._random_commuting(rng)
        values, V = np.linalg.eigh((A + A.T) / 2)
        clusters = _clusters(values, 1e-9)
        # generator matrices in the eigenbasis: block diagonal along the clusters
        R = [V.T @ V[g.inverse().array] for g in gens]   # (P_g x) = x[g^-1]
        for Rg in R:
            for c in clusters:
                column = Rg[:, c].copy()
                column[c] = 0.0
                if np.linalg.norm(column) > tol * math.sqrt(c.stop - c.start):
                    raise _DecompositionFailed("an eigenspace is not invariant under a generator "
                                               f"(leak {np.linalg.norm(column):.1e})")
        B = self._random_commuting(rng)
        W = V.T @ B @ V
        starts = [c.start for c in clusters]
        norms = np.sqrt(np.add.reduceat(np.add.reduceat(W * W, starts, axis=0), starts, axis=1))
        threshold = 1e-6 * norms.max(initial=1.0)
        sizes = [c.stop - c.start for c in clusters]
        # isomorphism classes (Schur: W[c, d] != 0 iff V_c ~ V_d)
        classes: list[list[int]] = []
        seen = [False] * len(clusters)
        for a in range(len(clusters)):
            if seen[a]:
                continue
            linked = norms[:, a] > threshold
            linked[a] = True
            members = np.flatnonzero(linked).tolist()
            for b in members:
                if seen[b] or sizes[b] != sizes[a]:
                    raise _DecompositionFailed("inconsistent isomorphism classes")
                seen[b] = True
            if (norms[np.ix_(members, members)] <= threshold).any():
                raise _DecompositionFailed("an isomorphism class is not complete")
            classes.append(members)
        extra = [self._random_commuting(rng) for _ in range(2)]
        found = []
        for members in classes:
            rep = clusters[members[0]]
            delta = rep.stop - rep.start
            Vr = V[:, rep]
            compressions = [W[rep, rep]] + [Vr.T @ E @ Vr for E in extra]
            kind, T = self._adapted_basis(delta, compressions)
            columns = []
            for b in members:
                phi = W[clusters[b], rep]                    # a G-isomorphism V_rep -> V_b
                phi = phi / (np.linalg.norm(phi) / math.sqrt(delta))
                if np.linalg.norm(phi.T @ phi - np.eye(delta)) > tol * delta:
                    raise _DecompositionFailed("a Schur isomorphism is not orthogonal")
                columns.append(V[:, clusters[b]] @ (phi @ T))
            basis = np.concatenate(columns, axis=1)
            found.append((field_of(kind), len(members), delta, basis))
        self._finish(found, gens)

    def _adapted_basis(self, delta: int, compressions: list[NDArray[np.float64]]
                       ) -> tuple[str, NDArray[np.float64]]:
        """The type of an irreducible and an orthonormal basis (coordinates, ``delta x delta``) in which
        its commuting algebra acts by the standard matrices."""
        tol = self.tol
        eye = np.eye(delta)
        span = np.stack([eye.ravel()] + [E.ravel() for E in compressions])
        s = np.linalg.svd(span, compute_uv=False)
        dim = int((s > 1e-6 * s[0]).sum())
        if dim not in (1, 2, 4) or delta % dim:
            raise _DecompositionFailed(f"commuting algebra of dimension {dim} on an irreducible of "
                                       f"dimension {delta}")
        if dim == 1:
            return "real", eye
        # imaginary parts: antisymmetric parts of the compressions, orthonormalized (Frobenius)
        units: list[NDArray[np.float64]] = []
        for E in compressions:
            F = (E - E.T) / 2
            for U in units:
                F = F - np.sum(F * U) / np.sum(U * U) * U
            norm = math.sqrt(max(-np.trace(F @ F) / delta, 0.0))
            if norm > 1e-6 * max(1.0, float(np.linalg.norm(E))):
                units.append(F / norm)
            if len(units) == dim - 1 or len(units) == 2:
                break
        if dim == 4 and len(units) == 2:
            units.append(units[0] @ units[1])
        if len(units) != dim - 1:
            raise _DecompositionFailed("could not extract the imaginary units")
        for U in units:
            if np.linalg.norm(U @ U + eye) > tol * delta:
                raise _DecompositionFailed("an imaginary unit does not square to -1")
        if dim == 4 and np.linalg.norm(units[0] @ units[1] + units[1] @ units[0]) > tol * delta:
            raise _DecompositionFailed("the quaternion units do not anticommute")
        ops = [eye] + units
        columns: list[NDArray[np.float64]] = []
        for start in range(delta):
            u = eye[:, start].copy()
            if columns:
                C = np.stack(columns, axis=1)
                u -= C @ (C.T @ u)
            norm = float(np.linalg.norm(u))
            if norm < 0.5:
                continue
            u /= norm
            columns.extend(op @ u for op in ops)
            if len(columns) == delta:
                break
        T = np.stack(columns, axis=1)
        if np.linalg.norm(T.T @ T - eye) > tol * delta:
            raise _DecompositionFailed("the adapted basis is not orthonormal")
        return ("complex" if dim == 2 else "quaternionic"), T

    def _finish(self, found: list[Any], gens: Sequence[Permutation]) -> None:
        tol = self.tol
        for F, copies, delta, basis in found:
            d = F.dim
            for g in gens:
                G = basis.T @ basis[g.inverse().array]
                rho = G[:delta, :delta]
                if np.linalg.norm(G - np.kron(np.eye(copies), rho)) > tol * basis.shape[1]:
                    raise _DecompositionFailed(f"generator {g} does not act identically on the copies")
                for L in field_units(d)[1:]:  # the imaginary units commute with the action
                    op = np.kron(np.eye(delta // d), L)
                    if np.linalg.norm(op @ rho - rho @ op) > tol * delta:
                        raise _DecompositionFailed("the commuting algebra is not standard")
        total = sum(F.dim * copies ** 2 for F, copies, _, _ in found)
        if total != self.commutant_dim:
            raise _DecompositionFailed(f"commutant dimension {total} from the blocks, "
                                       f"{self.commutant_dim} orbitals")
        Q = np.concatenate([basis for *_, basis in found], axis=1)
        if Q.shape != (self.n, self.n) or np.linalg.norm(Q.T @ Q - np.eye(self.n)) > tol * self.n:
            raise _DecompositionFailed("the adapted basis is not orthonormal")
        self.found: list[tuple[Field, int, int, NDArray[np.float64]]] = found

