"""Polynomial networks: the dimension of the neurovariety.

A network ``R^{d_0} -> R^{d_1} -> ... -> R^{d_L}`` whose layer matrices are linear in their parameters,
``W_l = sum_p theta_{l,p} B_{l,p}``, with the monomial activation ``x^k`` after every hidden layer (not
after the last), computes a polynomial map ``x -> f_theta(x)``, homogeneous of degree ``k^{L-1}`` in
every output coordinate. Two families are built from the library's linear networks:

* **permuted layers** (:class:`equilin.deep.DeepLinearNetwork` whose hidden layers are G-sets, weights
  shared over orbitals): ``B_{l,p}`` is the indicator of orbital ``p``; with every layer the regular
  G-set these are the group-convolutional networks;
* **convolutional networks** (:class:`equilin.lcn.LCN`: one channel, 1-D filters of sizes ``k_l``,
  strides ``s_l``, no padding, no bias, as ``torch.nn.Conv1d``): ``B_{l,j}`` is the convolution with
  the unit filter ``e_j`` (:meth:`equilin.lcn.LCN.layer_basis`).

The Zariski closure of the set of these maps (the *neurovariety*) has dimension the generic rank of the
Jacobian of ``theta -> f_theta``. That rank is computed on the values at random points
(``theta -> (f_theta(x_1), ..., f_theta(x_P))``, whose rank is the same for generic points once ``P d_L``
exceeds the number of parameters enough) in two ways, by one forward-mode derivative written once over
the arithmetic:

* in float64 at random real parameters and points, refused without a clear gap in the singular values;
* exactly modulo a prime ``p < 2^31`` at random integer parameters and points, then Gaussian
  elimination. A minor that does not vanish modulo ``p`` does not vanish over the integers, so this rank
  is a lower bound on the dimension (equal to it with high probability); the ``L - 1`` rescalings
  ``W_l -> c W_l, W_{l+1} -> c^{-k} W_{l+1}`` make ``parameters - (L - 1)`` an upper bound.

Examples
--------
>>> from equilin.deep import DeepLinearNetwork, GSet
>>> from equilin.groups import Permutation
>>> from equilin.lcn import LCN
>>> s = Permutation.from_cycles("(1 2 3)", 3)                      # Z_3 acting on itself
>>> net = DeepLinearNetwork(s, [GSet.regular(s)])
>>> neurovariety_dimension(net, 2)                                  # L = 2 layers: 2 (3 - 1) + 1
(5, 5)
>>> neurovariety_dimension(LCN(4, (3, 2)), 2)                       # filters 3 and 2: 3 + 2 - 2 + 1
(4, 4)
"""

from __future__ import annotations

import math
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.deep.gsets import GSet
from equilin.deep.network import DeepLinearNetwork
from equilin.deep.rank import gapped_rank
from equilin.lcn import LCN
from equilin.validation import check_int, check_real

__all__ = ["PRIME", "neurovariety_dimension", "polynomial_values"]

PRIME = 2_147_483_647
"""The prime of the exact rank (``2^31 - 1``: products of two residues fit in an int64)."""

_T = TypeVar("_T", np.float64, np.int64)


# -- networks as layer bases -------------------------------------------------------------------------
def _layer_bases(network: DeepLinearNetwork | LCN) -> list[NDArray[np.int64]]:
    """``B_l`` (``params_l x d_l x d_{l-1}``, integer entries) for ``l = 1..L``: the layer matrices as
    linear functions of their parameters."""
    if isinstance(network, LCN):
        return [network.layer_basis(i) for i in range(1, network.n_layers + 1)]
    if not isinstance(network, DeepLinearNetwork):
        raise ValueError(f"expected a DeepLinearNetwork or an LCN, got {type(network).__name__}")
    for l, layer in enumerate(network.hidden, start=1):
        if not isinstance(layer, GSet):
            raise ValueError(f"hidden layer {l} is a LinearLayer: polynomial networks here permute neurons")
    bases = []
    for l in range(1, len(network.hidden) + 2):
        labels = network.weight_sharing(l)
        orbitals = np.arange(network.layer_params(l))[:, None, None]
        bases.append((labels[None] == orbitals).astype(np.int64))
    return bases


# -- one forward-mode derivative, over float64 or the integers modulo p -------------------------------
class _Arithmetic(Generic[_T]):
    """Products and powers of arrays: float64 (:class:`_Float`) or exact modulo a prime (:class:`_Modular`)."""

    def reduce(self, a: NDArray[_T]) -> NDArray[_T]:
        return a

    def mul(self, a: NDArray[_T], b: NDArray[_T]) -> NDArray[_T]:
        return self.reduce(a * b)

    def matmul(self, a: NDArray[_T], b: NDArray[_T]) -> NDArray[_T]:
        raise NotImplementedError

    def power(self, a: NDArray[_T], e: int) -> NDArray[_T]:
        raise NotImplementedError


class _Float(_Arithmetic[np.float64]):
    def matmul(self, a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        product: NDArray[np.float64] = a @ b
        return product

    def power(self, a: NDArray[np.float64], e: int) -> NDArray[np.float64]:
        return np.power(a, e)


class _Modular(_Arithmetic[np.int64]):
    """Residues modulo the prime ``p < 2^31``, as int64 arrays with entries in ``0..p-1``."""

    def __init__(self, p: int) -> None:
        self.p = p

    def reduce(self, a: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.remainder(a, self.p)

    def matmul(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
        """``a @ b mod p`` (broadcast over leading axes), ``b`` in 16-bit halves so that every sum of
        products stays below ``2^63`` (a residue times a half is below ``2^47``; at most ``2^16`` terms)."""
        if a.shape[-1] >= 2**16:
            raise ValueError(f"layers of width {a.shape[-1]} are too wide for the exact rank (at most 65535)")
        low = self.reduce(np.matmul(a, np.bitwise_and(b, 0xFFFF)))
        high = self.reduce(np.matmul(a, np.right_shift(b, 16)))
        return self.reduce(low + high * 0x10000)

    def power(self, a: NDArray[np.int64], e: int) -> NDArray[np.int64]:
        out = np.ones_like(a)
        for _ in range(e):
            out = self.mul(out, a)
        return out


def _forward(ar: _Arithmetic[_T], bases: list[NDArray[np.int64]], thetas: list[NDArray[_T]], X: NDArray[_T],
             k: int) -> tuple[list[NDArray[_T]], list[NDArray[_T]], list[NDArray[_T]]]:
    """The layer matrices ``W``, the pre-activations ``ys`` (``P x d_l``, ``l = 1..L``; the last is the
    output) and the layer inputs ``zs`` (``P x d_{l-1}``: the points, then the activations)."""
    W = [ar.reduce(np.tensordot(t, B.astype(t.dtype), axes=1)) for t, B in zip(thetas, bases)]
    zs, ys = [X], []
    for l, M in enumerate(W):
        y = ar.matmul(zs[-1], M.T)
        ys.append(y)
        if l < len(W) - 1:
            zs.append(ar.power(y, k))
    return W, ys, zs


def _value_jacobian(ar: _Arithmetic[_T], bases: list[NDArray[np.int64]], thetas: list[NDArray[_T]],
                    X: NDArray[_T], k: int) -> NDArray[_T]:
    """Jacobian of ``theta -> vec(f_theta(X))`` (``P d_L x params``, layer 1 first), forward mode: the
    derivative in the direction ``B_{l,p}`` is pushed through the later layers by the chain rule
    ``dy_m = (k y_{m-1}^{k-1} * dy_{m-1}) W_m^T``."""
    W, ys, zs = _forward(ar, bases, thetas, X, k)
    slopes = [ar.mul(ar.reduce(np.full_like(y, k)), ar.power(y, k - 1)) for y in ys[:-1]]
    blocks = []
    for l, B in enumerate(bases):
        dy = ar.matmul(zs[l], np.transpose(B, (0, 2, 1)).astype(X.dtype))   # params_l x P x d_l
        for m in range(l + 1, len(bases)):
            dy = ar.matmul(ar.mul(slopes[m - 1], dy), W[m].T)
        blocks.append(dy.reshape(B.shape[0], -1))
    return np.concatenate(blocks).T


def _float_rank(bases: list[NDArray[np.int64]], k: int, points: int, rng: np.random.Generator) -> int:
    X = rng.standard_normal((points, bases[0].shape[2]))
    thetas = [rng.standard_normal((B.shape[0],)) for B in bases]
    J = _value_jacobian(_Float(), bases, thetas, X, k)
    values = np.linalg.svd(J, compute_uv=False).astype(np.float64)
    return gapped_rank(values, rtol=1e-9, gap=1e4, advice="rely on the exact rank")


def _modular_rank(bases: list[NDArray[np.int64]], k: int, points: int, rng: np.random.Generator, p: int) -> int:
    X = rng.integers(0, p, size=(points, bases[0].shape[2]), dtype=np.int64)
    thetas = [rng.integers(0, p, size=(B.shape[0],), dtype=np.int64) for B in bases]
    return _rank_mod_p(_value_jacobian(_Modular(p), bases, thetas, X, k), p)


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


def _check_prime(value: int) -> int:
    p = check_int(value, "prime", 3)
    if p > PRIME or any(p % q == 0 for q in range(2, math.isqrt(p) + 1)):
        raise ValueError(f"prime must be a prime at most 2^31 - 1 (products of residues must fit an int64), "
                         f"got {p}")
    return p


# -- public ------------------------------------------------------------------------------------------
def neurovariety_dimension(network: DeepLinearNetwork | LCN, degree: int, *, seed: int = 0,
                           prime: int = PRIME) -> tuple[int, int]:
    """The dimension of the neurovariety of ``network`` with the activation ``x^degree`` after every
    hidden layer: the generic rank of the Jacobian of ``theta -> f_theta`` (module docstring).

    Parameters
    ----------
    network : DeepLinearNetwork or LCN
        Permuted layers (every hidden layer a :class:`GSet`) or a one-channel convolutional network.
    degree : int
        The exponent ``k >= 1`` of the activation; ``1`` gives the linear network's function space.
    seed : int, optional
        Seed of the random parameters and points.
    prime : int, optional
        The prime of the exact rank (at most ``2^31 - 1``).

    Returns
    -------
    (int, int)
        The float64 rank (refused with a ``RuntimeError`` without a clear gap) and the exact rank modulo
        ``prime`` (a lower bound on the dimension).

    Examples
    --------
    >>> from equilin.lcn import LCN
    >>> neurovariety_dimension(LCN(13, (3, 3, 2), (2, 1, 1)), 3)     # 3 + 3 + 2 - 3 + 1
    (6, 6)
    >>> neurovariety_dimension(LCN(13, (3, 3, 2), (2, 1, 1)), 1)     # linear: the LCN's function space
    (6, 6)
    """
    bases = _layer_bases(network)
    k = check_int(degree, "degree", 1)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    p = _check_prime(prime)
    n_params = sum(B.shape[0] for B in bases)
    points = max(2, -(-4 * n_params // bases[-1].shape[1]))      # P d_L >= 4 x parameters
    return _float_rank(bases, k, points, rng), _modular_rank(bases, k, points, rng, p)


def polynomial_values(network: DeepLinearNetwork | LCN, theta: ArrayLike, X: ArrayLike,
                      degree: int) -> NDArray[np.float64]:
    """``f_theta`` at the rows of ``X`` (``N x d_0`` -> ``N x d_L``): the layer matrices of ``theta``
    (flat, layer 1 first: an LCN's filters, or one weight per orbital), ``x^degree`` after every hidden
    layer. The forward pass of :func:`neurovariety_dimension`.

    Examples
    --------
    >>> from equilin.lcn import LCN
    >>> polynomial_values(LCN(3, (2, 2)), [1.0, 2.0, 1.0, -1.0], [[1.0, 0.0, 1.0]], 2).tolist()
    [[-3.0]]
    """
    bases = _layer_bases(network)
    k = check_int(degree, "degree", 1)
    n_params = sum(B.shape[0] for B in bases)
    flat = check_real(theta, "theta")
    if flat.shape != (n_params,):
        raise ValueError(f"theta must be a flat vector of the {n_params} parameters (layer 1 first), "
                         f"got shape {flat.shape}")
    points = check_real(X, "X")
    if points.ndim != 2 or points.shape[1] != bases[0].shape[2]:
        raise ValueError(f"X must have shape (N, {bases[0].shape[2]}), got {points.shape}")
    thetas = np.split(flat, np.cumsum([B.shape[0] for B in bases])[:-1])
    _, ys, _ = _forward(_Float(), bases, thetas, points, k)
    return ys[-1]
