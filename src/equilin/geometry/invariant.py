"""Invariant linear maps of bounded rank: the variety ``I^G_{r, m x n}`` (``docs/math.md`` section 3).

An ``m x n`` matrix ``M`` is invariant under a permutation group ``G`` (``M P_g = M`` for every
generator) iff its columns coincide inside every orbit ``A_1, ..., A_k`` of ``G``. Keeping one column
per orbit is the linear isomorphism ``psi: I^G_{r, m x n} -> M_{rho, m x k}``, where the rank budget
``r`` is the argument ``rank`` and ``rho = min(rank, m, k)`` the effective bound; dim, degree, ED degree
and singular locus are those of ``M_{rho, m x k}``.
``psi`` is not an isometry (``||M||^2 = sum_i |A_i| ||m_{A_i}||^2``), so :meth:`InvariantVariety.nearest`
scales block ``i`` by ``sqrt(|A_i|)`` before the Eckart-Young truncation.

The autoencoder with weight-shared encoder ``B = W E_P`` (``W`` is ``rank x k``) and dense decoder ``A``
(``m x rank``) has exactly this function space; it has ``rank (k + m)`` parameters instead of
``rank (n + m)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from equilin.geometry.determinantal import DeterminantalVariety, Variety
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import as_generator, check_int, check_real, check_real_dtype

__all__ = ["InvariantVariety"]


class InvariantVariety(Variety):
    """Linear maps ``R^n -> R^m`` of rank at most ``rank`` invariant under a permutation group.

    Parameters
    ----------
    group : PermutationGroup or Permutation
        The group ``G`` (a single permutation stands for the cyclic group it generates).
    m : int
        Output dimension.
    rank : int
        Rank bound (``>= 0``), the autoencoder's bottleneck; the effective bound is :attr:`rho`.

    Examples
    --------
    The talk's example, ``sigma = (1 3 4)(2 5)`` in ``S_5``, ``m = 2``, ``rank = 1``:

    >>> X = InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=2, rank=1)
    >>> X.partition_1based, X.k, X.model
    ([[1, 3, 4], [2, 5]], 2, DeterminantalVariety(m=2, n=2, rank=1, field='R'))
    >>> X.dim, X.degree, X.ed_degree, X.singular_locus
    (3, 2, 2, InvariantVariety(PermutationGroup.from_cycles(['(1 3 4)(2 5)'], n=5), m=2, rank=0))
    """

    def __init__(self, group: PermutationGroup | Permutation, m: int, rank: int) -> None:
        self.group = as_group(group)
        self.m = check_int(m, "m", 1)
        self.rank = check_int(rank, "rank", 0)
        if self.group.n == 0:
            raise ValueError("the group acts on an empty set (n=0); invariant maps need n >= 1")
        self.partition: tuple[tuple[int, ...], ...] = self.group.orbits
        self.n = self.group.n
        self.k = len(self.partition)
        self.model = DeterminantalVariety(self.m, self.k, self.rank)
        labels = np.empty(self.n, dtype=np.int64)
        for i, block in enumerate(self.partition):
            labels[list(block)] = i
        self._labels = labels
        self._sizes = np.array([len(b) for b in self.partition], dtype=np.float64)
        self._representatives = np.array([b[0] for b in self.partition], dtype=np.int64)
        self._E = sp.csr_matrix((np.ones(self.n), (labels, np.arange(self.n))), shape=(self.k, self.n))

    # -- structure ----------------------------------------------------------------------------
    @property
    def rho(self) -> int:
        """The effective rank bound ``rho = min(rank, m, k)``."""
        return self.model.rho

    @property
    def partition_1based(self) -> list[list[int]]:
        """The orbit partition written 1-based, as in the paper."""
        return [[i + 1 for i in block] for block in self.partition]

    @property
    def orbit_of(self) -> NDArray[np.int64]:
        """For every point ``j``, the index of its orbit (block) in :attr:`partition`."""
        return self._labels.copy()

    @property
    def block_sizes(self) -> NDArray[np.int64]:
        """The size ``|A_i|`` of every orbit in :attr:`partition`."""
        return self._sizes.astype(np.int64)

    @property
    def E_P(self) -> NDArray[np.float64]:
        """The ``k x n`` matrix with ``e_i`` in column ``j`` for every ``j`` in block ``A_i``."""
        dense: NDArray[np.float64] = self._E.toarray()
        return dense

    # -- geometry -----------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.model.dim

    @property
    def degree(self) -> int:
        return self.model.degree

    @property
    def ed_degree(self) -> int:
        return self.model.ed_degree

    @property
    def singular_locus(self) -> InvariantVariety | None:
        """``I^G_{rho-1}`` when ``0 < rho < min(m, k)``, else ``None`` (the variety is smooth)."""
        if self.model.singular_locus is None:
            return None
        return InvariantVariety(self.group, self.m, self.rho - 1)

    @property
    def n_params_shared(self) -> int:
        """Parameters of the invariant autoencoder: ``rank k`` (shared encoder) ``+ m rank`` (decoder)."""
        return self.rank * self.k + self.m * self.rank

    @property
    def n_params_dense(self) -> int:
        """Parameters of a dense autoencoder with the same bottleneck: ``rank n + m rank``."""
        return self.rank * self.n + self.m * self.rank

    # -- maps ---------------------------------------------------------------------------------
    def _check_matrix(self, M: Any, name: str, cols: int | None = None) -> NDArray[np.float64]:
        """``M`` as a float64 ``m x cols`` matrix (``cols = n`` by default), real and finite."""
        return check_real(M, name, shape=(self.m, self.n if cols is None else cols))

    def orbit_sums(self, X: ArrayLike) -> NDArray[np.float64]:
        """``X E_P^T``: for row vectors ``X`` (``N x n``), the sum of the entries in every orbit
        (``N x k``), computed with the sparse ``E_P``.

        Examples
        --------
        >>> X = InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=1, rank=1)
        >>> X.orbit_sums([[1.0, 2.0, 3.0, 4.0, 5.0]]).tolist()
        [[8.0, 7.0]]
        """
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.n:
            raise ValueError(f"X must be an N x {self.n} array of row vectors, got shape {arr.shape}")
        check_real_dtype(arr.dtype, "X")
        out = np.asarray(self._E @ arr.T).T
        if not np.isfinite(out).all():  # NaN or inf in X always shows in its orbit sums: no full scan
            if not np.isfinite(arr).all():
                raise ValueError("X contains NaN or infinite entries")
            raise ValueError("the orbit sums of X overflow float64; rescale X")
        return out

    def _block_means(self, U: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.orbit_sums(U) / self._sizes

    def project(self, U: ArrayLike) -> NDArray[np.float64]:
        """Orthogonal projection onto the invariant matrices: average the columns inside each orbit."""
        return self._block_means(self._check_matrix(U, "U"))[:, self._labels]

    def is_invariant(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M P_g = M`` for every generator, up to ``tol`` relative to ``||M||``."""
        arr = self._check_matrix(M, "M")
        gap = np.linalg.norm(arr - self._block_means(arr)[:, self._labels])
        return bool(gap <= tol * max(np.linalg.norm(arr), np.finfo(float).tiny))

    def psi(self, M: ArrayLike, tol: float = 1e-9) -> NDArray[np.float64]:
        """Keep one column per orbit: ``I^G -> M_{rho, m x k}``; refuses a non-invariant ``M``."""
        arr = self._check_matrix(M, "M")
        if not self.is_invariant(arr, tol):
            raise ValueError("M is not invariant under the group: its columns differ inside an orbit "
                             "(apply project(M) first)")
        return arr[:, self._representatives]

    def psi_inverse(self, N: ArrayLike) -> NDArray[np.float64]:
        """Repeat column ``i`` of the ``m x k`` matrix ``N`` over orbit ``A_i``: ``N E_P``."""
        return self._check_matrix(N, "N", self.k)[:, self._labels]

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Invariant and of rank at most ``rank`` (both up to ``tol``)."""
        arr = self._check_matrix(M, "M")
        return self.is_invariant(arr, tol) and self.model.contains(arr[:, self._representatives], tol)

    def nearest(self, U: ArrayLike) -> NDArray[np.float64]:
        """Nearest invariant matrix of rank ``<= rank`` (Frobenius norm): average inside orbits, scale
        block ``i`` by ``sqrt(|A_i|)``, truncate the SVD, scale back, expand."""
        C = self._block_means(self._check_matrix(U, "U"))
        root = np.sqrt(self._sizes)
        return (self.model.nearest(C * root) / root)[:, self._labels]

    def critical_points(self, U: ArrayLike, limit: int = 100_000) -> list[tuple[tuple[int, ...], NDArray[np.float64]]]:
        """All real critical points of the distance from ``U`` on the variety, ``ed_degree`` of them
        for generic ``U``, as ``(kept singular triples of the scaled matrix, M)``."""
        C = self._block_means(self._check_matrix(U, "U"))
        root = np.sqrt(self._sizes)
        return [(keep, (X / root)[:, self._labels])
                for keep, X in self.model.critical_points(C * root, limit)]

    def sample(self, rng: np.random.Generator | int | None = None) -> NDArray[np.float64]:
        """A random invariant matrix of rank ``rho``."""
        return self.model.sample(as_generator(rng))[:, self._labels]

    # -- parameterization ---------------------------------------------------------------------
    def encoder_pattern(self) -> NDArray[np.int64]:
        """Weight-sharing pattern of the encoder ``B = W E_P`` (``rank x n``): entry ``(i, j)`` is the
        0-based index ``i k + (orbit of j)`` of the free weight ``W[i, orbit of j]`` it uses."""
        return np.arange(self.rank)[:, None] * self.k + self._labels[None, :]

    def parameterize(self, M: ArrayLike, tol: float = 1e-9) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Factor an invariant ``M`` of rank ``<= rank`` as ``M = A @ (W @ E_P)`` with ``A``
        (``m x rank``) and ``W`` (``rank x k``), from the SVD of ``psi(M)`` (zero columns pad a rank
        below ``rank``).

        Every other factorization with the same inner size is ``(A T^-1, T W)``, see :meth:`fiber`.
        """
        N = self.psi(M, tol)
        if not self.model.contains(N, tol):
            raise ValueError(f"M has rank above {self.rank}; use nearest(M) to project it first")
        u, s, vh = np.linalg.svd(N, full_matrices=False)
        A = np.zeros((self.m, self.rank))
        W = np.zeros((self.rank, self.k))
        keep = min(self.rank, s.size)
        A[:, :keep] = u[:, :keep] * s[:keep]
        W[:keep] = vh[:keep]
        return A, W

    def fiber(self, A: ArrayLike, W: ArrayLike, T: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The point ``(A T^-1, T W)`` of the fiber of ``(A, W) -> A W E_P`` through ``(A, W)``."""
        A = np.asarray(A, dtype=np.float64)
        W = np.asarray(W, dtype=np.float64)
        T = np.asarray(T, dtype=np.float64)
        if T.shape != (self.rank, self.rank):
            raise ValueError(f"T must be an invertible {self.rank} x {self.rank} matrix, got shape {T.shape}")
        if np.linalg.matrix_rank(T) < self.rank:
            raise ValueError("T is singular; the fiber is parameterized by invertible T")
        return np.linalg.solve(T.T, A.T).T, T @ W

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InvariantVariety):
            return NotImplemented
        return (self.partition, self.m, self.rho) == (other.partition, other.m, other.rho)

    def __hash__(self) -> int:
        return hash((self.partition, self.m, self.rho))

    def __repr__(self) -> str:
        return f"InvariantVariety({self.group!r}, m={self.m}, rank={self.rank})"

    def __str__(self) -> str:
        return f"I^G_{{{self.rank}, {self.m}x{self.n}}} ~ {self.model}"
