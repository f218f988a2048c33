"""Smooth points of a function space and the tangential part of the loss gradient there.

A critical point ``theta`` of ``L = l o F`` is pure when ``F(theta)`` is a smooth point of the function
space ``M_F`` at which ``grad l`` is orthogonal to the tangent space (``docs/critical.md``). The tests,
per family of :class:`~equilin.critical.Parameterization`:

* determinantal, invariant and equivariant (and deep equivariant) function spaces: rank conditions,
  block by block for the products of determinantal varieties, with the tangent space of
  ``M_rho`` at a point of rank ``rho``;
* LCNs: a regular point is smooth (tangent space = the Jacobian's image); ``F(theta) = 0`` is singular
  unless the function space is a linear space; for stride one a non-regular point is smooth exactly when
  its end-to-end filter is interior (:func:`stride_one_interior`, root counting); with a stride above
  one it is undecided.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.geometry import DeterminantalVariety
from equilin.lcn import LCN

__all__ = ["stride_one_interior"]


def _numerical_rank(s: NDArray[np.float64], scale: float, rtol: float) -> int:
    return int((s > rtol * scale).sum())


def _determinantal_test(M: NDArray[Any], G: NDArray[Any], variety: DeterminantalVariety, scale: float,
                        rtol: float) -> tuple[bool, float | None]:
    """Smooth point of ``M_rho``? and the norm of the tangential part of ``G`` there (``None``: singular)."""
    rho = variety.rho
    if variety.is_whole_space:
        return True, float(np.linalg.norm(G))
    u, s, vh = np.linalg.svd(M)
    if _numerical_rank(s, scale, rtol) != rho:
        return False, None
    U, V = u[:, :rho], vh[:rho].conj().T
    normal = G - U @ (U.conj().T @ G)
    normal = normal - (normal @ V) @ V.conj().T
    return True, float(np.linalg.norm(G - normal))


def _tangent_from_jacobian(J: NDArray[np.float64], G: NDArray[np.float64], rtol: float) -> float:
    u, s, _ = np.linalg.svd(J, full_matrices=False)
    basis = u[:, s > rtol * max(float(s[0]) if s.size else 0.0, np.finfo(float).tiny)]
    return float(np.linalg.norm(basis.T @ G.ravel()))


def stride_one_interior(net: LCN, u: ArrayLike, tol: float = 1e-5) -> bool:
    """Whether the end-to-end filter ``u`` of a stride-one LCN is an interior point of its function space.

    A real polynomial of degree ``k - 1`` (roots at infinity where its top coefficients vanish) is the
    product of real filters of degrees ``k_i - 1`` iff it has at least ``e`` real roots counted with
    multiplicity, ``e`` the number of even filter sizes (each odd-degree factor needs one, pairs fill the
    rest). A perturbation keeps a real root of odd multiplicity real and may turn the others complex, so
    ``u != 0`` is interior iff it has at least ``e`` distinct real roots of odd multiplicity; roots closer
    than ``tol`` (relative) count as one. A filling architecture (``e <= 1``) has no boundary.

    Examples
    --------
    >>> net = LCN(6, (2, 2))                                  # the quadratics with real roots
    >>> stride_one_interior(net, [2.0, 3.0, 1.0]), stride_one_interior(net, [1.0, 2.0, 1.0])
    (True, False)
    """
    if not isinstance(net, LCN) or not net.is_stride_one:
        raise ValueError("stride_one_interior needs an LCN with all strides 1")
    arr = np.asarray(u, dtype=np.float64)
    if arr.shape != (net.filter_size,):
        raise ValueError(f"u must be an end-to-end filter of size {net.filter_size}, got shape {arr.shape}")
    if net.is_filling:
        return True
    scale = float(np.abs(arr).max())
    if scale == 0.0:
        return False
    top = int(np.nonzero(np.abs(arr) > 1e-12 * scale)[0].max())
    roots = np.roots(arr[:top + 1][::-1]) if top > 0 else np.zeros(0, dtype=complex)
    at_infinity = arr.size - 1 - top + int((np.abs(roots) > 1.0 / tol).sum())
    roots = roots[np.abs(roots) <= 1.0 / tol]
    parent = list(range(roots.size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(roots.size):
        for j in range(i + 1, roots.size):
            if abs(roots[i] - roots[j]) <= tol * max(1.0, abs(roots[i])):
                parent[find(i)] = find(j)
    clusters: dict[int, list[complex]] = {}
    for i, z in enumerate(roots):
        clusters.setdefault(find(i), []).append(complex(z))
    odd_real = 0
    for members in clusters.values():
        centre = complex(np.mean(members))
        if len(members) % 2 and abs(centre.imag) <= tol * max(1.0, abs(centre)):
            odd_real += 1
    odd_real += at_infinity % 2
    even_filters = sum(1 for k in net.filter_sizes if k % 2 == 0)
    return odd_real >= even_filters


def _smooth_and_tangent(kind: str, space: Any, theta: NDArray[np.float64], M: NDArray[np.float64],
                        G: NDArray[np.float64], J: NDArray[np.float64], *, is_zero: bool, is_regular: bool,
                        notes: list[str], m_scale: float, rtol: float) -> tuple[bool | None, float | None]:
    """Whether ``M = F(theta)`` is a smooth point of the function space ``space`` of a parameterization of
    family ``kind`` (``None``: undecided), and the norm of the tangential part of the loss gradient ``G``
    there (``None`` where not smooth or undecided). ``J`` is the Jacobian of ``F`` at ``theta``; ``is_zero``
    and ``is_regular`` say whether ``M`` counts as zero and ``J`` has full rank; the reasons of a verdict
    are appended to ``notes``."""
    if kind == "dense":
        return _determinantal_test(M, G, space, m_scale, rtol)
    if kind == "invariant":
        N_ = space.psi(M, tol=1e-6)
        return _determinantal_test(N_, G @ space.E_P.T, space.model, m_scale, rtol)
    if kind in ("equivariant", "deep"):      # a product of determinantal varieties, block by block
        E = space.variety
        ranks = space.ranks if kind == "equivariant" else tuple(space.ranks.values())
        total = 0.0
        for Mb, Gb, b, k in zip(E.matrix_to_blocks(M), E.matrix_to_blocks(G), space.blocks, ranks):
            if k == 0:
                continue
            part = DeterminantalVariety(b.size * b.rank_step, b.size * b.rank_step, k * b.rank_step,
                                        "C" if np.iscomplexobj(Mb) else "R")
            smooth, tangent = _determinantal_test(Mb, Gb, part, m_scale, rtol)
            if not smooth or tangent is None:
                notes.append(f"block {b.label} has rank below {k}: a singular point")
                return False, None
            total += tangent ** 2
        return True, math.sqrt(total)
    net: LCN = space
    u = net.end_to_end_filter(theta)
    if is_zero:
        if net.is_filling:
            return True, float(np.linalg.norm(G))  # the function space is a linear space
        notes.append("F(theta) = 0 is the vertex of a cone that is not a linear space: singular")
        return False, None
    if is_regular:
        return True, _tangent_from_jacobian(J, G, rtol)
    if not net.is_stride_one:
        notes.append("a non-regular point of an LCN with a stride > 1: smoothness undecided")
        return None, None
    if not stride_one_interior(net, u):
        notes.append("a boundary point of the function space (too few real roots of odd multiplicity)")
        return False, None
    notes.append("non-regular, but an interior point of the full-dimensional function space")
    basis = np.stack([net.filter_to_matrix(e).ravel() for e in np.eye(net.filter_size)], axis=1)
    return True, float(np.linalg.norm(basis.T @ G.ravel()) / math.sqrt(net.sizes[-1]))
