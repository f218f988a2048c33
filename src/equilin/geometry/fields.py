"""The three real division algebras R, C and H: the fields of the blocks of a commutant.

By Schur's lemma over the reals the matrices commuting with a real irreducible representation form
``R``, ``C`` or ``H`` (real, complex or quaternionic *type*). A block ``M_m(D)`` of the commutant is
realized as real matrices through the standard units of ``D`` (left multiplication on coordinates
``a``, ``a + b i`` or ``a + b i + c j + d k``); a quaternionic matrix is handled through its complex
adjoint ``chi``, which doubles ranks. :class:`Field` collects what the rest of the library needs to
know about ``D`` -- its units, the rank step, the folding of coordinates into rows, the dimension of
``M_{k, m x m}(D)`` -- so that no module has to compare kind strings.

Examples
--------
>>> [(F.name, F.kind, F.dim, F.rank_step) for F in FIELDS.values()]
[('R', 'real', 1, 1), ('C', 'complex', 2, 1), ('H', 'quaternionic', 4, 2)]
>>> COMPLEX.dim_of(3, 1), QUATERNIONIC.vector_size(3), field_of("quaternionic") is QUATERNIONIC
(10, 6, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Field",
    "REAL",
    "COMPLEX",
    "QUATERNIONIC",
    "FIELDS",
    "field_of",
    "quaternion_units",
    "quaternion_to_complex",
    "complex_to_quaternion",
    "field_units",
]


@dataclass(frozen=True)
class Field:
    """One of ``R``, ``C``, ``H`` as the field of a block (immutable; use :data:`REAL`, :data:`COMPLEX`,
    :data:`QUATERNIONIC`).

    Attributes
    ----------
    name : str
        ``"R"``, ``"C"`` or ``"H"``.
    kind : str
        The type of the irreducible: ``"real"``, ``"complex"`` or ``"quaternionic"``.
    dim : int
        ``dim_R D``: 1, 2 or 4.
    rank_step : int
        Rank of the complex (or real) block operator per unit of rank over ``D``: 2 for ``H`` (its
        complex adjoint), else 1.
    """

    name: str
    kind: str
    dim: int
    rank_step: int

    def units(self) -> NDArray[np.float64]:
        """The standard units as real matrices, shape ``(dim, dim, dim)`` (:func:`field_units`)."""
        return field_units(self.dim)

    def copies(self, delta: int) -> int:
        """Rows per sample of the folded block coordinates of an irreducible of real dimension
        ``delta``: ``delta`` (R), ``delta / 2`` (C and H: complex rows)."""
        return delta if self.dim == 1 else delta // 2

    def vector_size(self, m: int) -> int:
        """Length of a folded row of a block of multiplicity ``m``: ``m``, or ``2 m`` for ``H``."""
        return self.rank_step * m

    def frobenius_weight(self, delta: int) -> int:
        """``f`` with ``||M_block||_F^2 = f ||Z||_F^2`` for the block operator ``Z``: ``delta``, or
        ``delta / 2`` for ``H`` (``||chi(Z)||^2 = 2 ||Z||^2``)."""
        return delta // self.rank_step

    def dim_of(self, m: int, k: int) -> int:
        """Real dimension of ``M_{k, m x m}(D)``: ``dim_R(D) k (2m - k)``."""
        return self.dim * k * (2 * m - k)

    def n_params_of(self, m: int, k: int) -> int:
        """Real weights of an encoder and a decoder of rank ``k`` over ``D`` on ``m`` copies."""
        return 2 * self.dim * m * k

    def parts(self, Z: ArrayLike, tol: float | None = None) -> NDArray[np.float64]:
        """The real components ``(dim, rows, cols)`` of a block operator: ``Z`` itself (R), ``Re Z, Im Z``
        (C), or for ``H`` the quaternion components of a complex adjoint ``2 rows x 2 cols`` (projected
        onto the complex adjoints when ``tol`` is None, else refused beyond relative ``tol``).

        Examples
        --------
        >>> COMPLEX.parts(np.array([[1 + 2j]])).ravel().tolist()
        [1.0, 2.0]
        """
        if self.dim == 1:
            return np.asarray(Z, dtype=np.float64)[None]
        arr = np.asarray(Z)
        if self.dim == 2:
            return np.stack([arr.real, arr.imag]).astype(np.float64)
        if tol is None:
            return complex_to_quaternion(_chi_structure(arr), tol=np.inf)
        return complex_to_quaternion(arr, tol=tol)

    def from_parts(self, parts: NDArray[np.float64]) -> NDArray[Any]:
        """Inverse of :meth:`parts`: the real, complex, or complex-adjoint block operator."""
        if self.dim == 1:
            real: NDArray[np.float64] = parts[0]
            return real
        if self.dim == 2:
            complex_: NDArray[np.complex128] = parts[0] + 1j * parts[1]
            return complex_
        return quaternion_to_complex(parts)

    def dtype(self) -> type:
        """The numpy dtype of block operators and folded rows: float64 (R), complex128 (C and H)."""
        return np.float64 if self.dim == 1 else np.complex128

    def __repr__(self) -> str:
        return {"R": "REAL", "C": "COMPLEX", "H": "QUATERNIONIC"}[self.name]

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickle (and copy) as the name of one of the three constants, so that a field read back in
        another process is that constant again: fields are compared by identity (``b.field is REAL``)."""
        return field_of, (self.kind,)


REAL = Field("R", "real", 1, 1)
COMPLEX = Field("C", "complex", 2, 1)
QUATERNIONIC = Field("H", "quaternionic", 4, 2)
FIELDS: dict[str, Field] = {F.kind: F for F in (REAL, COMPLEX, QUATERNIONIC)}
"""The three fields by the kind of irreducible."""


def field_of(kind: str) -> Field:
    """The field of an irreducible of type ``kind`` (``"real"``, ``"complex"``, ``"quaternionic"``)."""
    try:
        return FIELDS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"kind must be one of {tuple(FIELDS)}, got {kind!r}") from None


# -- quaternions ---------------------------------------------------------------------------------
def _qmul(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    a1, b1, c1, d1 = p
    a2, b2, c2, d2 = q
    return np.array([a1 * a2 - b1 * b2 - c1 * c2 - d1 * d2,
                     a1 * b2 + b1 * a2 + c1 * d2 - d1 * c2,
                     a1 * c2 - b1 * d2 + c1 * a2 + d1 * b2,
                     a1 * d2 + b1 * c2 - c1 * b2 + d1 * a2])


def quaternion_units() -> NDArray[np.float64]:
    """The ``4 x 4`` matrices of left multiplication by ``1, i, j, k`` on the coordinates
    ``(a, b, c, d)`` of ``a + b i + c j + d k`` (shape ``(4, 4, 4)``).

    Examples
    --------
    >>> L = quaternion_units()
    >>> L[1].astype(int).tolist()   # i * (a + bi + cj + dk) = -b + ai - dj + ck
    [[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, -1], [0, 0, 1, 0]]
    >>> bool(np.allclose(L[1] @ L[2], L[3]))   # ij = k
    True
    """
    eye = np.eye(4)
    return np.stack([np.stack([_qmul(eye[t], eye[u]) for u in range(4)], axis=1) for t in range(4)])


_UNITS = quaternion_units()
_COMPLEX_UNITS = np.stack([np.eye(2), np.array([[0.0, -1.0], [1.0, 0.0]])])


def field_units(field_dim: int) -> NDArray[np.float64]:
    """The standard basis of ``R``, ``C`` or ``H`` (``field_dim`` 1, 2 or 4) as the real matrices of left
    multiplication on coordinates, shape ``(d, d, d)``: ``[1]``; ``1, i`` on ``a + b i``; ``1, i, j, k``
    (:func:`quaternion_units`). A ``D``-matrix ``sum_t Z_t e_t`` is realized as ``sum_t Z_t (x) units[t]``.

    Examples
    --------
    >>> field_units(2)[1].astype(int).tolist()   # multiplication by i
    [[0, -1], [1, 0]]
    """
    if field_dim == 1:
        return np.ones((1, 1, 1))
    if field_dim == 2:
        return _COMPLEX_UNITS.copy()
    if field_dim == 4:
        return _UNITS.copy()
    raise ValueError(f"field_dim must be 1 (R), 2 (C) or 4 (H), got {field_dim!r}")


def quaternion_to_complex(Z: ArrayLike) -> NDArray[np.complex128]:
    """The complex adjoint ``chi(Z) = [[P, -Q], [conj Q, conj P]]`` (``2m x 2n``) of a quaternionic
    ``m x n`` matrix ``Z = Z_0 + Z_1 i + Z_2 j + Z_3 k`` given as a real array of shape ``(4, m, n)``
    (``P = Z_0 + i Z_1``, ``Q = Z_2 + i Z_3``, ``Z = P + Q j``). ``chi`` is multiplicative, quaternionic
    rank ``s`` becomes complex rank ``2 s``, and ``||chi(Z)||_F^2 = 2 ||Z||_F^2``.

    Examples
    --------
    >>> quaternion_to_complex(np.array([0.0, 0.0, 1.0, 0.0]).reshape(4, 1, 1)).real.tolist()   # j
    [[0.0, -1.0], [1.0, 0.0]]
    """
    arr = np.asarray(Z, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[0] != 4:
        raise ValueError(f"a quaternionic matrix is a real array of shape (4, m, n), got {arr.shape}")
    P = arr[0] + 1j * arr[1]
    Q = arr[2] + 1j * arr[3]
    return np.block([[P, -Q], [Q.conj(), P.conj()]])


def complex_to_quaternion(C: ArrayLike, tol: float = 1e-9) -> NDArray[np.float64]:
    """Inverse of :func:`quaternion_to_complex`: the ``(4, m, n)`` components of a ``2m x 2n`` complex
    adjoint; refuses a matrix that is not of the form ``[[P, -Q], [conj Q, conj P]]`` (relative ``tol``).

    Examples
    --------
    >>> Z = np.random.default_rng(0).standard_normal((4, 2, 3))
    >>> bool(np.allclose(complex_to_quaternion(quaternion_to_complex(Z)), Z))
    True
    """
    arr = np.asarray(C)
    if arr.ndim != 2 or arr.shape[0] % 2 or arr.shape[1] % 2:
        raise ValueError(f"a complex adjoint has an even number of rows and columns, got shape {arr.shape}")
    m, n = arr.shape[0] // 2, arr.shape[1] // 2
    P, Q = arr[:m, :n], -arr[:m, n:]
    scale = max(1.0, float(np.abs(arr).max(initial=0.0)))
    if (np.abs(arr[m:, :n] - Q.conj()).max(initial=0.0) > tol * scale
            or np.abs(arr[m:, n:] - P.conj()).max(initial=0.0) > tol * scale):
        raise ValueError("matrix is not the complex adjoint of a quaternionic matrix: its blocks are not "
                         "[[P, -Q], [conj(Q), conj(P)]]")
    return np.stack([P.real, P.imag, Q.real, Q.imag]).astype(np.float64)


def _chi_structure(C: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Orthogonal projection of a ``2m x 2n`` complex matrix onto the complex adjoints."""
    m, n = C.shape[0] // 2, C.shape[1] // 2
    P = (C[:m, :n] + C[m:, n:].conj()) / 2
    Q = (-C[:m, n:] + C[m:, :n].conj()) / 2
    return np.block([[P, -Q], [Q.conj(), P.conj()]])
