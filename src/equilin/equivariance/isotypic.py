"""Equivariance under any finite permutation group: the isotypic decomposition of ``R^n``.

``docs/equivariance.md`` derives everything used here; in short:

* Under a finite group ``G`` acting by permutation matrices, ``R^n = (+)_i V_i^{m_i}`` with ``V_i`` the
  distinct real irreducible representations that occur (real dimension ``delta_i``, multiplicity
  ``m_i``). Schur's lemma over ``R``: ``End_G(V_i)`` is a division algebra ``D_i`` -- ``R``, ``C`` or
  ``H`` (real, complex or quaternionic *type*). The commutant of the permutation representation (the
  equivariant ``n x n`` matrices) is ``prod_i M_{m_i}(D_i)``; its real dimension
  ``sum_i m_i^2 dim_R(D_i)`` equals the number of orbits of ``G`` on pairs ``(i, j)`` (orbitals).
* A commuting matrix whose block ``i`` has rank ``s_i`` over ``D_i`` has real rank ``sum_i s_i delta_i``.

Computation (:class:`IsotypicDecomposition`; ``docs/equivariance.md`` section 5). First, exactly: the
orbits and the orbit types (:mod:`equilin.orbits`; isomorphic orbits give isomorphic summands of
``R^n``). Then numerically, and checked at every step, on the direct sum of one representative orbit per
type only (:class:`_Dense`, at most :data:`REPRESENTATIVE_LIMIT` points):

1. the orbitals on pairs of representative points give a basis of their commutant; random combinations
   are *generic* commuting matrices;
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
against the orbital count); a failed check retries with new random elements and then raises. Each
isotypic component is then split by representative (:func:`_localize`) and its basis replicated over
every orbit of the same type through the G-set isomorphisms, so block coordinates are a gather per orbit
type and one small product, for any ``n``. The commutant dimension of ``R^n`` is counted exactly from
the orbitals between representatives and the number of orbits of each type.

Block coordinates (:meth:`IsotypicDecomposition.to_blocks`). For block ``i`` the coordinates of one
vector form an ``m_i x delta_i`` real matrix (copy ``a``, basis vector ``j``). The commutant acts on it
by ``D_i``-linear maps of the copies, identically on every column, so the columns are *folded into the
sample axis*: ``to_blocks`` returns, per block, an array of ``N * c_i`` row vectors (``c_i`` =
:attr:`equilin.blocks.Block.copies` rows per sample, sample-major) on which a commuting matrix acts as
``W -> W @ Z.T`` with ``Z`` its block operator:

* real type: rows are the ``delta`` columns (length ``m``), ``Z`` real ``m x m``;
* complex type: rows ``w = x_{cos} + i x_{sin}`` over the ``delta/2`` pairs (length ``m``), ``Z`` complex
  ``m x m`` (exactly the cyclic convention of :mod:`equilin.equivariant`);
* quaternionic type: a quaternion column ``q = a + b j`` (``a, b`` complex vectors) gives the two rows
  ``[a, conj(b)] / sqrt(2)`` and ``[-b, conj(a)] / sqrt(2)`` (the columns of the complex adjoint
  ``chi(q)``), ``Z = chi(Z_H) = [[P, -Q], [conj(Q), conj(P)]]`` for ``Z_H = P + Q j``; quaternionic rank
  ``s`` is complex rank ``2 s``.

The map is an isometry: ``||x||^2`` is the sum of ``|row|^2`` over all rows, and
``||M||_F^2 = sum_i f_i ||Z_i||_F^2`` with ``f_i`` = :attr:`equilin.blocks.Block.frobenius_weight`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property, cmp_to_key
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.groups import AbelianStructure, cyclic_eigenvalue
from equilin.equivariance.blocks import Block
from equilin.geometry import (
    COMPLEX,
    QUATERNIONIC,
    REAL,
    Field,
    complex_to_quaternion,
    field_of,
    field_units,
    quaternion_to_complex,
    quaternion_units,
)
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.groups import TorusStructure
from equilin.validation import as_generator, check_int

__all__ = [
    "BlockOperator",
    "IsotypicDecomposition",
    "REPRESENTATIVE_LIMIT",
    "DENSE_LIMIT",
    "quaternion_units",
    "quaternion_to_complex",
    "complex_to_quaternion",
    "adjoint_basis",
    "field_units",
    "first_rows",
    "with_twins",
]

REPRESENTATIVE_LIMIT = 2048
"""Largest number of points of one representative orbit per orbit type (decomposed densely)."""

DENSE_LIMIT = 4096
"""Largest ``n`` for which a dense basis (:attr:`IsotypicDecomposition.Q`, ``columns``) is built."""


def first_rows(rows: NDArray[Any], block: Any) -> NDArray[Any]:
    """The first row of every twin pair of a quaternionic block's folded rows (``N * delta / 4`` rows);
    the rows of any other :class:`equilin.blocks.Block` are returned unchanged. The twins are determined by the first
    rows (:func:`with_twins`)."""
    if block.field is not QUATERNIONIC:
        return rows
    return rows.reshape(-1, 2, rows.shape[-1])[:, 0]


def with_twins(first: NDArray[Any], block: Any) -> NDArray[Any]:
    """Inverse of :func:`first_rows`: insert after each row ``[x, y]`` of a quaternionic block its twin
    ``[-conj(y), conj(x)]`` (the second column of ``chi(q)``); other blocks' rows are unchanged."""
    if block.field is not QUATERNIONIC:
        return first
    m = first.shape[-1] // 2
    twin = np.concatenate([-first[:, m:].conj(), first[:, :m].conj()], axis=1)
    return np.stack([first, twin], axis=1).reshape(-1, first.shape[-1])


def adjoint_basis(U: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """An orthonormal basis in complex adjoint form ``[u_1..u_k, J conj(u_1)..J conj(u_k)]``
    (``J = [[0, -I], [I, 0]]``, so the basis is ``chi(A)`` of a quaternionic ``m x k`` matrix ``A``)
    of the span of ``U`` (``2m x 2k``), which must be a quaternionic subspace (closed under
    ``u -> J conj(u)``), e.g. a singular space of a complex adjoint.

    Examples
    --------
    >>> Z = quaternion_to_complex(np.random.default_rng(0).standard_normal((4, 3, 1)))
    >>> B = adjoint_basis(np.linalg.qr(Z)[0])
    >>> bool(np.allclose(B.conj().T @ B, np.eye(2))), complex_to_quaternion(B).shape
    (True, (4, 3, 1))
    """
    m = U.shape[0] // 2
    k = U.shape[1] // 2
    if not k:
        return np.zeros((2 * m, 0), dtype=np.complex128)

    def twin(u: NDArray[np.complex128]) -> NDArray[np.complex128]:
        return np.concatenate([-u[m:].conj(), u[:m].conj()])

    firsts: list[NDArray[np.complex128]] = []
    basis = np.zeros((2 * m, 0), dtype=np.complex128)
    for column in U.T:
        u = column - basis @ (basis.conj().T @ column)
        norm = float(np.linalg.norm(u))
        if norm < 0.5:
            continue
        u = u / norm
        firsts.append(u)
        basis = np.concatenate([basis, u[:, None], twin(u)[:, None]], axis=1)
        if len(firsts) == k:
            break
    if len(firsts) != k:
        raise ValueError("the singular subspace is not quaternionic (numerically); cannot factor it")
    return np.stack(firsts + [twin(u) for u in firsts], axis=1)


# -- the decomposition -----------------------------------------------------------------------------
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
    (steps 1-4 of the module docstring). :class:`IsotypicDecomposition` applies it only to one
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


def _realize(b: Block, Z: NDArray[Any]) -> NDArray[np.float64]:
    """The real matrix (``m delta x k delta``) of a block operator ``Z`` (``vector_size x k rank_step``)."""
    parts = b.field.parts(Z)
    d = b.field_dim
    reps = b.weight // d
    small = np.einsum("tab,tuv->aubv", parts, field_units(d))          # (m, d, k, d)
    full = np.einsum("aubv,jl->ajublv", small, np.eye(reps))
    m, k = parts.shape[1], parts.shape[2]
    return full.reshape(m * reps * d, k * reps * d)


def _operator(b: Block, Y: NDArray[np.float64]) -> NDArray[Any]:
    """The block operator of the orthogonal projection of ``Y`` (``m delta x k delta``, on block
    coordinates) onto the commuting maps: the inverse of :func:`_realize` on its image."""
    d = b.field_dim
    reps = b.weight // d
    m, k = Y.shape[0] // b.weight, Y.shape[1] // b.weight
    Y6 = Y.reshape(m, reps, d, k, reps, d)
    diag = np.einsum("ajubjv->aubv", Y6) / reps
    return b.field.from_parts(np.einsum("aubv,tuv->tab", diag, field_units(d)) / d)


def _rows_of(b: Block, coordinates: NDArray[np.float64], N: int) -> NDArray[Any]:
    """Folded rows (``N * copies x vector_size``) of block ``b`` from its real coordinates (``N x m
    delta``, copy-major; module docstring)."""
    C = coordinates.reshape(N, b.size, b.weight)
    if b.field is REAL:
        return C.transpose(0, 2, 1).reshape(N * b.weight, b.size)
    if b.field is COMPLEX:
        w = C[:, :, 0::2] + 1j * C[:, :, 1::2]
        return w.transpose(0, 2, 1).reshape(N * b.copies, b.size)
    a = C[:, :, 0::4] + 1j * C[:, :, 1::4]
    q = C[:, :, 2::4] + 1j * C[:, :, 3::4]
    first = np.concatenate([a, q.conj()], axis=1) / math.sqrt(2.0)   # N, 2m, delta/4
    return with_twins(first.transpose(0, 2, 1).reshape(-1, 2 * b.size), b)


def _compare_fingerprints(a: tuple[Any, ...], b: tuple[Any, ...]) -> int:
    """Order of two block keys ``(not trivial, delta, field_dim, projector row)``: the integers first,
    then the first projector entry that differs by more than ``1e-7`` (larger first)."""
    if a[:3] != b[:3]:
        return -1 if a[:3] < b[:3] else 1
    for x, y in zip(a[3], b[3]):
        if abs(x - y) > 1e-7:
            return -1 if x > y else 1
    return 0


class BlockOperator:
    """The protocol of a block decomposition of ``R^n`` under a permutation group: block coordinates of
    vectors and back, block operators of matrices and back, the realization of a block operator, and a
    dense basis on request for small ``n``.

    Subclasses set :attr:`group`, :attr:`n`, :attr:`blocks` (:class:`IsotypicBlock`, copies folded as
    in the module docstring), :attr:`offsets`, :attr:`commutant_dim` and :attr:`seed`, and implement
    either the real coordinates (``_coordinates``, ``_vectors``: ``X @ columns(i)`` and its adjoint) or
    the folded rows (:meth:`to_blocks`, :meth:`from_blocks`); each pair has a default in terms of the
    other. :class:`IsotypicDecomposition` (orbit-wise) and
    :class:`equilin.abelian_fourier.AbelianFourierDecomposition` (multi-dimensional FFTs) implement it.
    """

    group: PermutationGroup
    n: int
    blocks: tuple[Block, ...]
    offsets: list[int]
    commutant_dim: int
    seed: int

    def _coordinates(self, X: NDArray[np.float64], which: Sequence[int]) -> list[NDArray[np.float64]]:
        """Real coordinates ``X @ columns(i)`` (``N x m delta``, copy-major) of the blocks ``which``."""
        rows = self.to_blocks(X)
        return [self.block_vectors_to_coordinates(i, rows[i], X.shape[0]) for i in which]

    def _vectors(self, coordinates: dict[int, NDArray[np.float64]], N: int) -> NDArray[np.float64]:
        """``sum_i Y_i @ columns(i).T`` (``N x n``) for real block coordinates ``{i: Y_i}``."""
        arrays = []
        for i, b in enumerate(self.blocks):
            Y = coordinates.get(i)
            if Y is None:
                Y = np.zeros((N, b.real_dim))
            arrays.append(_rows_of(b, Y, N))
        return self.from_blocks(arrays, N)

    def _block_coordinates(self, X: NDArray[np.float64], i: int) -> NDArray[np.float64]:
        """Real coordinates ``X @ columns(i)`` (``N x m delta``) by a gather per orbit type."""
        return self._coordinates(X, [i])[0]

    def _block_vectors(self, Y: NDArray[np.float64], i: int) -> NDArray[np.float64]:
        """Row vectors ``Y @ columns(i).T`` (``N x n``) from real block coordinates (adjoint of
        :meth:`_block_coordinates`)."""
        return self._vectors({i: Y}, Y.shape[0])

    def _check_dense(self, what: str) -> None:
        if self.n > DENSE_LIMIT:
            raise ValueError(f"{what} builds a dense matrix with {self.n:,} rows; refused for n > "
                             f"{DENSE_LIMIT:,}. Use to_blocks / from_blocks (orbit-wise, no n x n matrix)")

    @property
    def Q(self) -> NDArray[np.float64]:
        """The orthogonal ``n x n`` adapted basis (columns block by block, copy by copy); a copy's
        columns are ``u, Ju, ...`` (complex) or ``u, Iu, Ju, Ku, ...`` (quaternionic). Dense: only for
        ``n <= DENSE_LIMIT``."""
        self._check_dense("Q")
        return np.concatenate([self.columns(i) for i in range(len(self.blocks))], axis=1)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.blocks)

    def columns(self, i: int) -> NDArray[np.float64]:
        """The ``n x (m delta)`` columns of ``Q`` that belong to block ``i`` (dense: ``n <= DENSE_LIMIT``)."""
        self._check_dense("columns")
        return self._block_vectors(np.eye(self.blocks[i].real_dim), i).T

    def to_blocks(self, X: NDArray[np.float64]) -> list[NDArray[Any]]:
        """Folded block coordinates of row vectors ``X`` (``N x n``): per block ``N * copies`` rows
        (module docstring)."""
        N = X.shape[0]
        return [_rows_of(b, C, N) for b, C in zip(self.blocks, self._coordinates(X, range(len(self.blocks))))]

    def block_vectors_to_coordinates(self, i: int, rows: NDArray[Any], N: int) -> NDArray[np.float64]:
        """The real ``N x (m delta)`` coordinates of block ``i`` from its folded rows (the adjoint of
        :meth:`to_blocks`; for the quaternionic type the two rows of a column are averaged, which
        projects onto consistent pairs)."""
        b = self.blocks[i]
        if b.field is REAL:
            return rows.reshape(N, b.weight, b.size).transpose(0, 2, 1).reshape(N, b.real_dim)
        C = np.empty((N, b.size, b.weight))
        if b.field is COMPLEX:
            w = rows.reshape(N, b.copies, b.size).transpose(0, 2, 1)
            C[:, :, 0::2], C[:, :, 1::2] = w.real, w.imag
        else:
            r = rows.reshape(N, b.weight // 4, 2, 2 * b.size)
            m = b.size
            a = (r[:, :, 0, :m] + r[:, :, 1, m:].conj()) / math.sqrt(2.0)
            q = (r[:, :, 0, m:].conj() - r[:, :, 1, :m]) / math.sqrt(2.0)
            a, q = a.transpose(0, 2, 1), q.transpose(0, 2, 1)
            C[:, :, 0::4], C[:, :, 1::4], C[:, :, 2::4], C[:, :, 3::4] = a.real, a.imag, q.real, q.imag
        return C.reshape(N, b.real_dim)

    def from_blocks(self, arrays: Sequence[NDArray[Any]], N: int) -> NDArray[np.float64]:
        """Row vectors (``N x n``) from folded block coordinates (the inverse of :meth:`to_blocks` on
        its image)."""
        coordinates = {i: self.block_vectors_to_coordinates(i, rows, N) for i, rows in enumerate(arrays)}
        return self._vectors(coordinates, N)

    def realize(self, i: int, Z: NDArray[Any]) -> NDArray[np.float64]:
        """The real matrix (``m delta x k delta``) acting on block ``i``'s coordinates for a block operator
        ``Z`` of shape ``vector_size x (k * rank_step)`` (real, complex, or a complex adjoint)."""
        return _realize(self.blocks[i], Z)

    def operator(self, i: int, Y: NDArray[np.float64]) -> NDArray[Any]:
        """The block operator of the orthogonal projection onto the commuting maps of a real matrix
        ``Y`` given on block ``i``'s coordinates (``m delta x k delta``, the inverse of :meth:`realize`
        on its image)."""
        return _operator(self.blocks[i], Y)

    def matrix_to_blocks(self, M: NDArray[np.float64]) -> list[NDArray[Any]]:
        """Block operators of the orthogonal projection of ``M`` onto the commutant (``C_i^T M C_i``
        per block, orbit-wise: ``O(n^2 s)``)."""
        out = []
        for i in range(len(self.blocks)):
            MC = self._block_coordinates(M.T, i)                     # M^T C_i
            out.append(self.operator(i, self._block_coordinates(np.ascontiguousarray(MC.T), i)))
        return out

    def matrix_from_blocks(self, operators: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
        """The commuting ``n x n`` matrix ``sum_i C_i realize(Z_i) C_i^T`` with the given block operators."""
        CR = {i: np.ascontiguousarray(self._block_vectors(np.ascontiguousarray(self.realize(i, Z).T), i).T)
              for i, Z in enumerate(operators)}                              # C_i R_i, n x m_i delta_i
        return self._vectors(CR, self.n)

    def grams(self, X: NDArray[np.float64]) -> list[NDArray[Any]]:
        """``R_b^H R_b`` for the folded rows ``R_b`` of every block (:meth:`to_blocks`)."""
        return [c.conj().T @ c for c in self.to_blocks(X)]

    def vectors_to_coordinates(self, X: NDArray[np.float64], which: Sequence[int]) -> list[NDArray[np.float64]]:
        """Real coordinates (``N x m_i delta_i``, copy-major) of row vectors ``X`` on every block in
        ``which``, in one pass."""
        return self._coordinates(X, list(which))

    def coordinates_to_vectors(self, coordinates: dict[int, NDArray[np.float64]], N: int) -> NDArray[np.float64]:
        """Row vectors (``N x n``): the sum over the blocks ``i`` of the vectors with real coordinates
        ``coordinates[i]`` on block ``i``, in one pass."""
        return self._vectors(coordinates, N)

    def vectors_to_block_coordinates(self, X: NDArray[np.float64], i: int) -> NDArray[np.float64]:
        """Real coordinates of block ``i`` (``N x m delta``, copy-major) of row vectors ``X``."""
        return self._block_coordinates(X, i)

    def block_coordinates_to_vectors(self, Y: NDArray[np.float64], i: int) -> NDArray[np.float64]:
        """Row vectors (``N x n``) with real coordinates ``Y`` on block ``i`` and 0 elsewhere."""
        return self._block_vectors(Y, i)


class IsotypicDecomposition(BlockOperator):
    """The isotypic decomposition of ``R^n`` under a permutation group, with an adapted orthogonal basis.

    Computed from the orbit types (:class:`equilin.orbits.OrbitStructure`, exact and combinatorial):
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
        product of cyclic groups on grids (:mod:`equilin.abelian`) or translations with a point group on
        a torus (:mod:`equilin.semidirect`) by frequency instead, with their names, as their FFT backends.
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
        from equilin.groups import OrbitStructure

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
        keyed = []
        for F, copies, delta, basis in dense.found:
            rho = [basis[:, :delta].T @ basis[np.argsort(row), :delta] for row in images]
            trivial = delta == 1 and all(abs(float(x[0, 0]) - 1.0) < 1e-6 for x in rho)
            projector = basis @ basis[first_rows_of_types].T          # S x T
            key = (not trivial, delta, F.dim, tuple(projector.T.ravel().tolist()))
            keyed.append((key, F, delta, basis, rho))
        keyed.sort(key=cmp_to_key(lambda x, y: _compare_fingerprints(x[0], y[0])))
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

    def _frequency_names(self, keyed: list[Any], sigma: Permutation | None) -> list[tuple[int, ...]] | None:
        """The canonical frequency vector of every irreducible found, when the group is a product of
        cyclic groups on grids (:mod:`equilin.abelian`), from the angle by which each generator rotates
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
        for _, F, delta, basis, rho in keyed:
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

    def _torus_blocks(self, keyed: list[Any]) -> list[int] | None:
        """For translations with a point group on a torus (:mod:`equilin.semidirect`): the frequency
        orbit (block of :class:`~equilin.semidirect.TorusStructure`) of every irreducible found, from the
        characters on which the translations act on its first copy (a simultaneous eigenbasis of the
        translation generators); checked: one orbit per irreducible, every orbit once, same type."""
        structure = TorusStructure.of(self.group)
        if structure is None:
            return None
        N = structure.N
        rng = np.random.default_rng(0)
        found = []
        for _, F, delta, basis, rho in keyed:
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

    # -- the basis ---------------------------------------------------------------------------------




    # -- vectors ---------------------------------------------------------------------------------------



    # -- operators -------------------------------------------------------------------------------------




    def type_widths(self) -> list[tuple[int, ...]]:
        """Per block, the number of its coordinates on one orbit of every orbit type (``copies in one
        orbit x delta``; 0 where the type does not carry the block)."""
        return [tuple(splits[i + 1] - splits[i] for splits in self._splits) for i in range(len(self.blocks))]

    def orbit_type_bases(self) -> list[tuple[NDArray[np.int64], NDArray[np.float64], list[int]]]:
        """The orbit-wise operator's data, per orbit type ``t``: the aligned points (``count_t x
        size_t``, :attr:`equilin.orbits.OrbitStructure.points`), the orthogonal local basis of one orbit
        (``size_t x size_t``, columns block by block) and the first column of every block in it (one
        more entry at the end). Block ``i``'s real coordinates of ``x`` are, type after type, the
        ``x[points_t] @ basis_t[:, a:b]`` (``a, b`` = ``splits_t[i], splits_t[i + 1]``) of every orbit,
        read as ``count_t (b - a) / delta_i`` copies of ``delta_i`` coordinates."""
        return [(points, basis, list(splits))
                for points, basis, splits in zip(self.orbits.points, self._bases, self._splits)]



    def __repr__(self) -> str:
        blocks = ", ".join(f"{b.label}:{b.size}x{b.field.name}^{b.weight // b.field_dim}" for b in self.blocks)
        return f"IsotypicDecomposition(n={self.n}, blocks [{blocks}])"
