"""Points of a component of ``E^G_r`` as autoencoders: a decoder ``n x r'`` times an encoder ``r' x n``.

A point of the component with block ranks ``r_b`` has, in block coordinates, block operators
``Z_b = L_b R_b^H`` with ``L_b, R_b`` of ``r_b`` columns over ``D_b`` (``d_b x r_b``; complex adjoints
``2 d_b x 2 r_b`` for a quaternionic block). :func:`_factor_vectors` turns such per-block factors into the
thin decoder and encoder in original coordinates, ``r' = sum_b w_b r_b`` columns and rows, through the
commutant's block coordinates (never an ``n x n`` matrix); the other functions make the factors: Gaussian
ones (:meth:`~equilin.equivariance.EquivariantComponent.sample_factors`), and those of the nearest point
to a thin product ``A B`` (:meth:`~equilin.equivariance.EquivariantComponent.nearest_lowrank`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.block_operator import adjoint_basis
from equilin.equivariance.blocks import Block
from equilin.equivariance.commutant import Commutant
from equilin.geometry import COMPLEX, QUATERNIONIC, REAL, quaternion_to_complex

__all__: list[str] = []

_SQRT2 = math.sqrt(2.0)

_Factors = tuple[NDArray[np.float64], NDArray[np.float64]]


def _factor_vectors(E: Commutant, ranks: Sequence[int], lefts: Sequence[NDArray[Any]],
                    rights: Sequence[NDArray[Any]]) -> _Factors:
    """``(decoder n x r', encoder r' x n)`` in original coordinates from per-block factors
    ``Z_b = L_b R_b^H`` (``d_b x r_b``), through one inverse transform for each side."""
    width = sum(b.weight * k for b, k in zip(E.blocks, ranks))
    if not width:
        return np.zeros((E.n, 0)), np.zeros((0, E.n))
    if E._decomposition is not None:
        D = E._decomposition
        sides = []
        for factors in (lefts, rights):   # C_i realize(Z_i), all blocks in one pass, side by side
            coords, row = {}, 0
            for i, k in enumerate(ranks):
                if k:
                    R = D.realize(i, factors[i]).T                   # k delta x m delta
                    coords[i] = np.zeros((width, R.shape[1]))
                    coords[i][row:row + R.shape[0]] = R
                    row += R.shape[0]
            sides.append(D.coordinates_to_vectors(coords, width))   # width x n
        return sides[0].T, sides[1]
    dec = [np.zeros((width, b.size), dtype=np.complex128 if b.field is COMPLEX else np.float64)
           for b in E.blocks]
    enc = [a.copy() for a in dec]
    row = 0
    for i, (b, k) in enumerate(zip(E.blocks, ranks)):
        if not k:
            continue
        L, R = lefts[i], rights[i]
        if b.field is REAL:
            dec[i][row:row + k] = L.T
            enc[i][row:row + k] = R.T
        else:  # columns of R(L): l and i l; rows of R(R^H): r and i r
            dec[i][row:row + 2 * k:2], dec[i][row + 1:row + 2 * k:2] = L.T, 1j * L.T
            enc[i][row:row + 2 * k:2], enc[i][row + 1:row + 2 * k:2] = R.T, 1j * R.T
        row += b.weight * k
    return E.from_blocks(dec).T, E.from_blocks(enc)


def _gaussian_factors(blocks: Sequence[Block], ranks: Sequence[int], g: np.random.Generator
                      ) -> tuple[list[NDArray[Any]], list[NDArray[Any]]]:
    """Gaussian per-block factors ``(lefts, rights)`` over every block's field (complex adjoints of
    Gaussian quaternion matrices on quaternionic blocks)."""
    lefts: list[NDArray[Any]] = []
    rights: list[NDArray[Any]] = []
    for b, k in zip(blocks, ranks):
        shape = (b.size, k)
        for side in (lefts, rights):
            if b.field is REAL:
                side.append(g.standard_normal(shape))
            elif b.field is COMPLEX:
                side.append(g.standard_normal(shape) + 1j * g.standard_normal(shape))
            else:
                side.append(quaternion_to_complex(g.standard_normal((4,) + shape)))
    return lefts, rights


def _nearest_factors(E: Commutant, ranks: Sequence[int], A: NDArray[np.float64], B: NDArray[np.float64]
                     ) -> _Factors:
    """The autoencoder of the nearest point with block ranks ``ranks`` to ``U = A @ B`` (``A`` ``n x k``,
    ``B`` ``k x n``, checked): block coordinates of the ``2k`` vectors, then thin QR and SVD per block;
    zero padding columns where ``U`` has lower rank."""
    if E._decomposition is not None:  # per block C^T A B C = (A^T C)^T (B C): no n x n product
        D = E._decomposition
        every = range(len(E.blocks))
        AC = D.vectors_to_coordinates(np.ascontiguousarray(A.T), every)
        BC = D.vectors_to_coordinates(B, every)
        return _generic_factors(E, ranks, [D.operator(i, a.T @ b) for i, (a, b) in enumerate(zip(AC, BC))])
    left_blocks = E.to_blocks(A.T)  # (k, d_b): rows w(a_j)
    right_blocks = E.to_blocks(B)
    lefts, rights = [], []
    for b, k, La, Rb in zip(E.blocks, ranks, left_blocks, right_blocks):
        L0, R0 = La.T, Rb.T  # U_b = L0 R0^H (real: L0 R0^T; complex: halves, see cyclic_fourier)
        if b.field is COMPLEX:
            L0, R0 = L0 / _SQRT2, R0 / _SQRT2
        q1, t1 = np.linalg.qr(L0)
        q2, t2 = np.linalg.qr(R0)
        u, s, vh = np.linalg.svd(t1 @ t2.conj().T)
        keep = min(k, s.size)
        root = np.sqrt(s[:keep])
        L = np.zeros((b.size, k), dtype=L0.dtype)
        R = np.zeros((b.size, k), dtype=R0.dtype)
        L[:, :keep] = (q1 @ u[:, :keep]) * root
        R[:, :keep] = (q2 @ vh[:keep].conj().T) * root
        lefts.append(L)
        rights.append(R)
    return _factor_vectors(E, ranks, lefts, rights)


def _generic_factors(E: Commutant, ranks: Sequence[int], operators: Sequence[NDArray[Any]]) -> _Factors:
    """Autoencoder factors of the nearest point to block operators (block operator path): per block an
    orthonormal basis ``L`` of the kept left singular space (for a quaternionic block, one in complex
    adjoint form) and ``R = Z_k^H L``."""
    lefts, rights = [], []
    for Z, k, b in zip(operators, ranks, E.blocks):
        kk = k * b.rank_step
        u, s, vh = np.linalg.svd(Z)
        Zk = (u[:, :kk] * s[:kk]) @ vh[:kk]
        L = adjoint_basis(u[:, :kk]) if b.field is QUATERNIONIC else u[:, :kk]
        lefts.append(L)
        rights.append(Zk.conj().T @ L)
    return _factor_vectors(E, ranks, lefts, rights)
