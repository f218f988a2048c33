"""Determinantal varieties ``M_{r, m x n}`` (matrices of rank at most ``r``) and their products.

``docs/math.md`` section 2. The rank budget ``r`` is the argument ``rank``
(``DeterminantalVariety(m, n, rank, field)``); with the effective bound ``rho = min(rank, m, n)``:

* ``dim = rho (m + n - rho)``;
* ``degree = prod_{i=0}^{n-rho-1} (m+i)! i! / ((rho+i)! (m-rho+i)!)`` (1 when ``rho = min(m, n)``);
* ``ed_degree = binom(min(m, n), rho)`` for the Frobenius norm (Eckart-Young);
* singular locus ``M_{rho-1}`` when ``0 < rho < min(m, n)``, empty otherwise.

The complex variety ``M_{s, m x n}(C)`` is realized over the reals entrywise by
``R(z) = [[Re z, -Im z], [Im z, Re z]]`` (:func:`realize`): real dimension ``2 s (m + n - s)``,
degree ``deg(M_{s, m x n})^2`` (its complexification is ``M_s x M_s``), ED degree ``binom(min(m, n), s)``
(the critical points are the complex truncated SVDs), singular locus: complex rank ``< s``. Its points
are passed to and returned from the methods as complex ``m x n`` arrays; distances are those of the
realized real matrices, i.e. ``sqrt(2)`` times the complex Frobenius norm, which changes no critical
point.

The quaternionic variety ``M_{s, m x n}(H)`` (``field="H"``) has its points passed as complex adjoints
``chi(Z) = [[P, -Q], [conj Q, conj P]]`` (``2m x 2n`` complex, :func:`equilin.geometry.quaternion_to_complex`),
on which quaternionic rank ``s`` is complex rank ``2 s``: real dimension ``4 s (m + n - s)``; degree
``deg M_{2s, 2m x 2n}`` (its complexification is that complex determinantal variety, as
``H (x) C = M_2(C)``); ED degree ``binom(min(m, n), s)`` (``docs/equivariance.md``: ``M_{m x n}(H)`` under
``Sp(m) x Sp(n)`` is a polar representation with the real diagonal matrices as Cartan subspace; checked
by msolve in ``tests/test_algebraic.py``); singular locus: quaternionic rank ``< s``. Distances are those
of the realized real matrices, ``||chi(Z)||_F^2 = 2 ||Z||_F^2``.

All counts are exact Python ints.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.geometry.degrees import determinantal_degree
from equilin.geometry.fields import FIELDS, complex_to_quaternion, quaternion_to_complex
from equilin.validation import as_generator, check_finite, check_int

__all__ = [
    "Variety",
    "DeterminantalVariety",
    "ProductVariety",
    "VarietyUnion",
    "realize",
    "derealize",
]


def realize(Z: ArrayLike) -> NDArray[np.float64]:
    """Realize a complex ``m x n`` matrix as the real ``2m x 2n`` matrix ``R(Z)``, entrywise
    ``z -> [[Re z, -Im z], [Im z, Re z]]``. Complex rank ``s`` becomes real rank ``2 s``.

    Examples
    --------
    >>> realize([[1 + 2j]]).tolist()
    [[1.0, -2.0], [2.0, 1.0]]
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"realize expects a 2-D complex matrix, got shape {Z.shape}")
    m, n = Z.shape
    out = np.empty((2 * m, 2 * n))
    out[0::2, 0::2] = Z.real
    out[0::2, 1::2] = -Z.imag
    out[1::2, 0::2] = Z.imag
    out[1::2, 1::2] = Z.real
    return out


def derealize(M: ArrayLike, tol: float = 1e-12) -> NDArray[np.complex128]:
    """Inverse of :func:`realize`; refuses a real matrix that is not of the form ``R(Z)``."""
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] % 2 or M.shape[1] % 2:
        raise ValueError(f"derealize expects a real 2m x 2n matrix, got shape {M.shape}")
    re, im = M[0::2, 0::2], M[1::2, 0::2]
    scale = max(1.0, float(np.abs(M).max(initial=0.0)))
    if (np.abs(M[1::2, 1::2] - re).max(initial=0) > tol * scale
            or np.abs(M[0::2, 1::2] + im).max(initial=0) > tol * scale):
        raise ValueError("matrix is not the realization R(Z) of a complex matrix: its 2x2 blocks "
                         "are not of the form [[a, -b], [b, a]]")
    return re + 1j * im


class Variety(ABC):
    """Common interface of the varieties in this library (real points of complex varieties)."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Dimension (real dimension of the real points = complex dimension of the variety)."""

    @property
    @abstractmethod
    def degree(self) -> int:
        """Degree of the (complexified) variety."""

    @property
    @abstractmethod
    def ed_degree(self) -> int:
        """Euclidean distance degree for the Frobenius norm of the ambient real coordinates."""

    @property
    @abstractmethod
    def singular_locus(self) -> Variety | VarietyUnion | None:
        """The singular locus, or ``None`` when the variety is smooth."""

    @abstractmethod
    def contains(self, point: Any, tol: float = 1e-9) -> bool:
        """Whether ``point`` lies on the variety (up to a relative tolerance)."""

    @abstractmethod
    def nearest(self, point: Any) -> Any:
        """A nearest point of the variety in the ambient Euclidean norm."""

    @abstractmethod
    def sample(self, rng: np.random.Generator | int | None = None) -> Any:
        """A random (generic) point of the variety."""

    def __mul__(self, other: Variety) -> ProductVariety:
        if not isinstance(other, Variety):
            return NotImplemented
        left = self.factors if isinstance(self, ProductVariety) else (self,)
        right = other.factors if isinstance(other, ProductVariety) else (other,)
        return ProductVariety(left + right)


class DeterminantalVariety(Variety):
    """The variety ``M_{rank, m x n}`` of ``m x n`` matrices of rank at most ``rank``: real, or complex or
    quaternionic realized over the reals.

    Parameters
    ----------
    m, n : int
        Matrix shape (at least 1 each).
    rank : int
        Rank bound (``>= 0``); a bound above ``min(m, n)`` gives the whole space. The effective bound
        is :attr:`rho` ``= min(rank, m, n)``.
    field : {"R", "C", "H"}
        Real matrices, or complex or quaternionic matrices realized over R (see the module docstring;
        quaternionic points are complex adjoints ``2m x 2n``).

    Examples
    --------
    >>> X = DeterminantalVariety(3, 3, 1)
    >>> X.dim, X.degree, X.ed_degree, X.singular_locus
    (5, 6, 3, DeterminantalVariety(m=3, n=3, rank=0, field='R'))
    >>> Y = DeterminantalVariety(2, 2, 1, field="C")
    >>> Y.dim, Y.degree, Y.ed_degree
    (6, 4, 2)
    """

    def __init__(self, m: int, n: int, rank: int, field: str = "R") -> None:
        self.m = check_int(m, "m", 1)
        self.n = check_int(n, "n", 1)
        self.rank = check_int(rank, "rank", 0)
        if field not in {F.name for F in FIELDS.values()}:
            raise ValueError(f"field must be 'R', 'C' or 'H', got {field!r}")
        self.field = field

    @property
    def rho(self) -> int:
        """The effective rank bound ``rho = min(rank, m, n)``."""
        return min(self.rank, self.m, self.n)

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of a point: ``(m, n)``, or ``(2m, 2n)`` for the complex adjoints of ``field="H"``."""
        return (2 * self.m, 2 * self.n) if self.field == "H" else (self.m, self.n)

    @property
    def _step(self) -> int:  # complex singular values per unit of rank
        return 2 if self.field == "H" else 1

    @property
    def is_whole_space(self) -> bool:
        """Whether ``rho = min(m, n)``: every matrix lies on the variety."""
        return self.rho == min(self.m, self.n)

    @property
    def _weight(self) -> int:
        return {"R": 1, "C": 2, "H": 4}[self.field]

    @property
    def dim(self) -> int:
        rho = self.rho
        return self._weight * rho * (self.m + self.n - rho)

    @property
    def degree(self) -> int:
        if self.field == "H":
            return determinantal_degree(2 * self.m, 2 * self.n, 2 * self.rho)
        return int(determinantal_degree(self.m, self.n, self.rho) ** self._weight)

    @property
    def ed_degree(self) -> int:
        return math.comb(min(self.m, self.n), self.rho)

    @property
    def singular_locus(self) -> DeterminantalVariety | None:
        if 0 < self.rho < min(self.m, self.n):
            return DeterminantalVariety(self.m, self.n, self.rho - 1, self.field)
        return None

    # -- points -------------------------------------------------------------------------------
    def _check_point(self, M: Any, name: str = "M") -> NDArray[Any]:
        arr = np.asarray(M)
        if arr.shape != self.shape:
            raise ValueError(f"{name} must have shape {self.shape}, got {arr.shape}")
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
            raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
        if np.iscomplexobj(arr) and self.field == "R":
            raise ValueError(f"{name} is complex but the variety is real (field='R'); "
                             "use field='C' for complex matrices")
        check_finite(arr, name)
        if self.field == "H":
            try:
                complex_to_quaternion(arr, tol=1e-9)  # the structure check, nothing else
            except ValueError:
                raise ValueError(f"{name} is not a complex adjoint [[P, -Q], [conj(Q), conj(P)]] of a "
                                 "quaternionic matrix (see equilin.geometry.quaternion_to_complex)") from None
        return arr.astype(np.float64 if self.field == "R" else np.complex128)

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """True when the ``(rho+1)``-th singular value is at most ``tol`` times the largest one."""
        arr = self._check_point(M)
        if self.is_whole_space:
            return True
        s = np.linalg.svd(arr, compute_uv=False)
        return bool(s[self._step * self.rho] <= tol * max(s[0], np.finfo(float).tiny))

    def nearest(self, U: ArrayLike) -> NDArray[Any]:
        """Eckart-Young: the truncated SVD of ``U`` (one nearest point; unique unless the
        ``rho``-th and ``(rho+1)``-th singular values tie)."""
        arr = self._check_point(U, "U")
        if self.is_whole_space:
            return arr.copy()
        u, s, vh = np.linalg.svd(arr, full_matrices=False)
        k = self._step * self.rho
        nearest: NDArray[Any] = (u[:, :k] * s[:k]) @ vh[:k]
        return nearest

    def critical_points(self, U: ArrayLike, limit: int = 100_000) -> list[tuple[tuple[int, ...], NDArray[Any]]]:
        """All real critical points of the distance from ``U``: one per choice of ``rho`` singular
        triples, ``binom(min(m, n), rho)`` of them for generic ``U``.

        Returns a list of ``(indices, M)`` with ``indices`` the kept singular triples (0 = largest).
        """
        arr = self._check_point(U, "U")
        if self.ed_degree > limit:
            raise ValueError(f"{self.ed_degree} critical points exceed limit={limit}")
        u, s, vh = np.linalg.svd(arr, full_matrices=False)
        out = []
        step = self._step
        for keep in itertools.combinations(range(min(self.m, self.n)), self.rho):
            idx = [step * i + j for i in keep for j in range(step)]  # H: the pair of each value
            out.append((keep, (u[:, idx] * s[idx]) @ vh[idx]))
        return out

    def is_critical_point(self, U: ArrayLike, M: ArrayLike, tol: float = 1e-8) -> bool:
        """Whether ``M`` is a smooth point of the variety (rank exactly ``rho``) at which the
        residual ``U - M`` is orthogonal to the tangent space ``{A V^H + W B^H}``."""
        U_, M_ = self._check_point(U, "U"), self._check_point(M)
        scale = max(1.0, float(np.linalg.norm(U_)))
        residual = U_ - M_
        if self.is_whole_space:
            return bool(np.linalg.norm(residual) <= tol * scale)
        u, s, vh = np.linalg.svd(M_, full_matrices=False)
        k = self._step * self.rho
        if k and s[k - 1] <= tol * scale:
            return False  # rank < rho: a singular point
        if k < s.size and s[k] > tol * scale:
            return False  # not on the variety
        left = u[:, :k].conj().T @ residual
        right = residual @ vh[:k].conj().T
        return bool(max(np.linalg.norm(left), np.linalg.norm(right)) <= tol * scale)

    def sample(self, rng: np.random.Generator | int | None = None) -> NDArray[Any]:
        """A random point of rank exactly ``rho`` (Gaussian factors)."""
        g = as_generator(rng)
        k = self.rho
        if self.field == "H":
            return (quaternion_to_complex(g.standard_normal((4, self.m, k)))
                    @ quaternion_to_complex(g.standard_normal((4, k, self.n))))
        A = g.standard_normal((self.m, k))
        B = g.standard_normal((k, self.n))
        if self.field == "C":
            A = A + 1j * g.standard_normal((self.m, k))
            B = B + 1j * g.standard_normal((k, self.n))
        return A @ B

    # -- values -------------------------------------------------------------------------------
    def _key(self) -> tuple[int, int, int, str]:
        return (self.m, self.n, self.rho, self.field)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeterminantalVariety):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"DeterminantalVariety(m={self.m}, n={self.n}, rank={self.rho}, field={self.field!r})"

    def __str__(self) -> str:
        core = f"M_{{{self.rho}, {self.m}x{self.n}}}"
        return f"{core}(R)" if self.field == "R" else f"R({core}({self.field}))"


class ProductVariety(Variety):
    """A product ``X_1 x ... x X_k``: dims add, degrees and ED degrees multiply,
    ``Sing = union_i X_1 x .. x Sing X_i x .. x X_k``. Points are tuples, one entry per factor.

    Examples
    --------
    >>> X = DeterminantalVariety(3, 3, 1) * DeterminantalVariety(2, 2, 1, "C")
    >>> X.dim, X.degree, X.ed_degree
    (11, 24, 6)
    >>> print(X.singular_locus)
    M_{0, 3x3}(R) x R(M_{1, 2x2}(C))  union  M_{1, 3x3}(R) x R(M_{0, 2x2}(C))
    """

    def __init__(self, factors: Sequence[Variety]) -> None:
        factors = tuple(factors)
        if not factors:
            raise ValueError("a ProductVariety needs at least one factor")
        for f in factors:
            if not isinstance(f, Variety) or isinstance(f, ProductVariety):
                raise ValueError(f"factors must be non-product varieties, got {type(f).__name__}")
        self.factors = factors

    @property
    def dim(self) -> int:
        return sum(f.dim for f in self.factors)

    @property
    def degree(self) -> int:
        return math.prod(f.degree for f in self.factors)

    @property
    def ed_degree(self) -> int:
        return math.prod(f.ed_degree for f in self.factors)

    @property
    def singular_locus(self) -> VarietyUnion | None:
        pieces = []
        for i, f in enumerate(self.factors):
            sing = f.singular_locus
            if sing is None:
                continue
            if not isinstance(sing, Variety) or isinstance(sing, ProductVariety):
                raise NotImplementedError("singular locus of a factor must be a single variety")
            pieces.append(ProductVariety(self.factors[:i] + (sing,) + self.factors[i + 1:]))
        return VarietyUnion(pieces) if pieces else None

    def _check_points(self, points: Sequence[Any]) -> Sequence[Any]:
        if len(points) != len(self.factors):
            raise ValueError(f"expected {len(self.factors)} blocks, one per factor, got {len(points)}")
        return points

    def contains(self, points: Sequence[Any], tol: float = 1e-9) -> bool:
        return all(f.contains(p, tol) for f, p in zip(self.factors, self._check_points(points)))

    def nearest(self, points: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(f.nearest(p) for f, p in zip(self.factors, self._check_points(points)))

    def sample(self, rng: np.random.Generator | int | None = None) -> tuple[Any, ...]:
        g = as_generator(rng)
        return tuple(f.sample(g) for f in self.factors)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProductVariety):
            return NotImplemented
        return self.factors == other.factors

    def __hash__(self) -> int:
        return hash(self.factors)

    def __repr__(self) -> str:
        return f"ProductVariety({list(self.factors)!r})"

    def __str__(self) -> str:
        return " x ".join(str(f) for f in self.factors)


class VarietyUnion:
    """A finite union of varieties (used for singular loci of products)."""

    def __init__(self, pieces: Sequence[Variety]) -> None:
        self.pieces = tuple(pieces)

    @property
    def dim(self) -> int:
        return max(p.dim for p in self.pieces)

    def contains(self, point: Any, tol: float = 1e-9) -> bool:
        return any(p.contains(point, tol) for p in self.pieces)

    def __iter__(self) -> Iterator[Variety]:
        return iter(self.pieces)

    def __len__(self) -> int:
        return len(self.pieces)

    def __repr__(self) -> str:
        return f"VarietyUnion({list(self.pieces)!r})"

    def __str__(self) -> str:
        return "  union  ".join(str(p) for p in self.pieces)
