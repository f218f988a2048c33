"""The block operator protocol: block coordinates of ``R^n`` under a permutation group, and back.

Every backend but the cyclic one (:class:`~equilin.equivariance.IsotypicDecomposition`, orbit-wise;
:class:`~equilin.equivariance.AbelianFourierDecomposition` and
:class:`~equilin.equivariance.TorusFourierDecomposition`, by FFTs) implements :class:`BlockOperator`: the
adapted orthogonal basis ``Q`` of ``R^n = (+)_i V_i^{m_i}`` (``docs/equivariance.md``), in which the
commutant is ``prod_i M_{m_i}(D_i)``, given block by block without an ``n x n`` matrix.

Block coordinates (:meth:`BlockOperator.to_blocks`). For block ``i`` the coordinates of one
vector form an ``m_i x delta_i`` real matrix (copy ``a``, basis vector ``j``). The commutant acts on it
by ``D_i``-linear maps of the copies, identically on every column, so the columns are *folded into the
sample axis*: ``to_blocks`` returns, per block, an array of ``N * c_i`` row vectors (``c_i`` =
:attr:`equilin.equivariance.Block.copies` rows per sample, sample-major) on which a commuting matrix acts as
``W -> W @ Z.T`` with ``Z`` its block operator:

* real type: rows are the ``delta`` columns (length ``m``), ``Z`` real ``m x m``;
* complex type: rows ``w = x_{cos} + i x_{sin}`` over the ``delta/2`` pairs (length ``m``), ``Z`` complex
  ``m x m`` (exactly the cyclic convention of :mod:`equilin.equivariance.cyclic_fourier`);
* quaternionic type: a quaternion column ``q = a + b j`` (``a, b`` complex vectors) gives the two rows
  ``[a, conj(b)] / sqrt(2)`` and ``[-b, conj(a)] / sqrt(2)`` (the columns of the complex adjoint
  ``chi(q)``), ``Z = chi(Z_H) = [[P, -Q], [conj(Q), conj(P)]]`` for ``Z_H = P + Q j``; quaternionic rank
  ``s`` is complex rank ``2 s``.

The map is an isometry: ``||x||^2`` is the sum of ``|row|^2`` over all rows, and
``||M||_F^2 = sum_i f_i ||Z_i||_F^2`` with ``f_i`` = :attr:`equilin.equivariance.Block.frobenius_weight`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.blocks import Block
from equilin.geometry import COMPLEX, QUATERNIONIC, REAL, field_units
from equilin.groups import PermutationGroup

__all__ = ["BlockOperator", "DENSE_LIMIT", "adjoint_basis", "first_rows", "with_twins"]

DENSE_LIMIT = 4096
"""Largest ``n`` for which a dense basis (:attr:`BlockOperator.Q`, :meth:`BlockOperator.columns`) is built."""


def first_rows(rows: NDArray[Any], block: Any) -> NDArray[Any]:
    """The first row of every twin pair of a quaternionic block's folded rows (``N * delta / 4`` rows);
    the rows of any other :class:`~equilin.equivariance.Block` are returned unchanged. The twins are
    determined by the first rows (:func:`with_twins`)."""
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
    >>> from equilin.geometry import complex_to_quaternion, quaternion_to_complex
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


def _realize(b: Block, Z: NDArray[Any]) -> NDArray[np.float64]:
    """The real matrix (``m delta x k delta``) of a block operator ``Z`` (``vector_size x k rank_step``)."""
    parts = b.field.parts(Z)
    d = b.field_dim
    reps = b.weight // d
    small = np.einsum("tab,tuv->aubv", parts, field_units(d))          # (m, d, k, d)
    full: NDArray[np.float64] = np.einsum("aubv,jl->ajublv", small, np.eye(reps))
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


class BlockOperator:
    """The protocol of a block decomposition of ``R^n`` under a permutation group: block coordinates of
    vectors and back, block operators of matrices and back, the realization of a block operator, and a
    dense basis on request for small ``n``.

    Subclasses set :attr:`group`, :attr:`n`, :attr:`blocks` (:class:`~equilin.equivariance.Block`, copies
    folded as in the module docstring), :attr:`offsets`, :attr:`commutant_dim` and :attr:`seed`, and
    implement either the real coordinates (``_coordinates``, ``_vectors``: ``X @ columns(i)`` and its
    adjoint) or the folded rows (:meth:`to_blocks`, :meth:`from_blocks`); each pair has a default in terms
    of the other. :class:`equilin.equivariance.IsotypicDecomposition` (orbit-wise) and
    :class:`equilin.equivariance.AbelianFourierDecomposition` and
    :class:`equilin.equivariance.TorusFourierDecomposition` (multi-dimensional FFTs) implement it.
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


