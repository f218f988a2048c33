"""Polynomial equivariant networks: the dimension of the neurovariety.

With the monomial activation ``x^k`` after every hidden layer, a network of permuted layers
(:class:`equilin.deep.DeepLinearNetwork` whose hidden layers are G-sets, weights shared over orbitals)
computes a polynomial map ``x -> f_theta(x)``, homogeneous of degree ``k^{L-1}`` in every output
coordinate. The Zariski closure of the set of these maps (the *neurovariety*) has dimension the generic
rank of the Jacobian of ``theta -> f_theta``. That rank is computed on the values at random points
(``theta -> (f_theta(x_1), ..., f_theta(x_P))``, whose rank is the same for generic points once ``P n``
exceeds the number of parameters) in two ways:

* in float64 at random real parameters and points, refused without a clear gap in the singular values;
* exactly modulo a large prime at random integer parameters and points (forward-mode derivatives in
  modular arithmetic, then Gaussian elimination): a lower bound on the generic rank that equals it with
  high probability.

Examples
--------
>>> from equilin.deep import DeepLinearNetwork, GSet
>>> from equilin.groups import Permutation
>>> s = Permutation.from_cycles("(1 2 3)", 3)                      # Z_3 acting on itself
>>> net = DeepLinearNetwork(s, [GSet.regular(s)])
>>> neurovariety_dimension(net, 2)                                  # L = 2 layers: 2 (3 - 1) + 1
(5, 5)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from equilin.deep.gsets import GSet
from equilin.deep.network import DeepLinearNetwork
from equilin.deep.rank import gapped_rank
from equilin.validation import check_int

__all__ = ["PRIME", "neurovariety_dimension"]

PRIME = 2_147_483_647
"""The prime of the exact rank (``2^31 - 1``: products of two residues fit in an int64)."""


def _labels(network: DeepLinearNetwork) -> list[NDArray[np.int64]]:
    if not isinstance(network, DeepLinearNetwork):
        raise ValueError(f"expected a DeepLinearNetwork, got {type(network).__name__}")
    for l, layer in enumerate(network.hidden, start=1):
        if not isinstance(layer, GSet):
            raise ValueError(f"hidden layer {l} is a LinearLayer: polynomial networks here permute neurons")
    return [network.weight_sharing(l) for l in range(1, len(network.hidden) + 2)]


def _float_rank(labels: list[NDArray[np.int64]], counts: list[int], k: int, points: int,
                rng: np.random.Generator) -> int:
    X = rng.standard_normal((points, labels[0].shape[1]))
    thetas = [rng.standard_normal(c) for c in counts]
    W = [t[lab] for t, lab in zip(thetas, labels)]
    L = len(W)
    # forward: the pre-activations and activations, per layer
    zs = [X]
    ys = []
    for l, M in enumerate(W):
        y = zs[-1] @ M.T
        ys.append(y)
        zs.append(y ** k if l < L - 1 else y)
    columns = []
    for l in range(L):                    # d output / d theta_l[p]: push the indicator of orbital p forward
        for p in range(counts[l]):
            dW = (labels[l] == p).astype(np.float64)
            dz = zs[l] @ dW.T
            for m in range(l + 1, L):
                dz = (k * ys[m - 1] ** (k - 1) * dz) @ W[m].T
            columns.append(dz.ravel())
    J = np.stack(columns, axis=1)
    return gapped_rank(np.linalg.svd(J, compute_uv=False), rtol=1e-9, gap=1e4, advice="rely on the exact rank")


def _modular_rank(labels: list[NDArray[np.int64]], counts: list[int], k: int, points: int,
                  rng: np.random.Generator, p: int) -> int:
    def mm(A: NDArray[np.int64], B: NDArray[np.int64]) -> NDArray[np.int64]:
        """``A @ B mod p`` without overflow (residues below 2^31: accumulate products one at a time)."""
        out = np.zeros((A.shape[0], B.shape[1]), dtype=np.int64)
        for j in range(A.shape[1]):
            out = (out + np.outer(A[:, j], B[j]) % p) % p
        return out

    def power(a: NDArray[np.int64], e: int) -> NDArray[np.int64]:
        out = np.ones_like(a)
        for _ in range(e):
            out = out * a % p
        return out

    X = rng.integers(0, p, size=(points, labels[0].shape[1]), dtype=np.int64)
    thetas = [rng.integers(0, p, size=c, dtype=np.int64) for c in counts]
    W = [t[lab] for t, lab in zip(thetas, labels)]
    L = len(W)
    zs, ys = [X], []
    for l, M in enumerate(W):
        y = mm(zs[-1], M.T)
        ys.append(y)
        zs.append(power(y, k) if l < L - 1 else y)
    columns = []
    for l in range(L):
        for q in range(counts[l]):
            dW = (labels[l] == q).astype(np.int64)
            dz = mm(zs[l], dW.T)
            for m in range(l + 1, L):
                dz = mm(k * power(ys[m - 1], k - 1) % p * dz % p, W[m].T)
            columns.append(dz.ravel())
    return _rank_mod_p(np.stack(columns, axis=1) % p, p)


def _rank_mod_p(A: NDArray[np.int64], p: int) -> int:
    """Rank over ``Z/p`` by Gaussian elimination (rows reduced with modular inverses)."""
    A = A.copy() % p
    rows, cols = A.shape
    rank = 0
    for c in range(cols):
        pivot = next((r for r in range(rank, rows) if A[r, c]), None)
        if pivot is None:
            continue
        A[[rank, pivot]] = A[[pivot, rank]]
        inverse = pow(int(A[rank, c]), p - 2, p)
        A[rank] = A[rank] * inverse % p
        others = np.flatnonzero(A[:, c])
        others = others[others != rank]
        if others.size:
            A[others] = (A[others] - np.outer(A[others, c], A[rank]) % p) % p
        rank += 1
        if rank == rows:
            break
    return rank


def neurovariety_dimension(network: DeepLinearNetwork, degree: int, *, seed: int = 0,
                           prime: int = PRIME) -> tuple[int, int]:
    """``(float64 rank, exact rank modulo prime)`` of the Jacobian of ``theta -> f_theta`` for the
    network with activation ``x^degree`` after every hidden layer: the dimension of its neurovariety
    (module docstring). ``degree = 1`` gives the linear network's function space dimension."""
    labels = _labels(network)
    k = check_int(degree, "degree", 1)
    counts = [network.layer_params(l) for l in range(1, len(labels) + 1)]
    n = network.group.n
    points = max(2, -(-4 * sum(counts) // n))        # P n >= 4 x parameters
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    return (_float_rank(labels, counts, k, points, rng),
            _modular_rank(labels, counts, k, points, rng, check_int(prime, "prime", 3)))
