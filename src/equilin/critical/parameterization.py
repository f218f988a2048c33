"""The parameterization ``F`` of a linear network and the squared loss ``l`` on its matrix.

The training loss factors as ``L = l o F``: the parameterization ``F`` maps parameters ``theta`` to the
network's matrix ``M = F(theta) = W_L(theta_L) ... W_1(theta_1)`` (``m x n``, every layer matrix linear in
its own parameters), and ``l(M) = ||X M^T - Y||_F^2 / N`` is the squared error on the **row** samples
``X`` (``N x n``) and targets ``Y`` (``N x m``) (the library's convention; ``docs/math.md`` writes samples
as columns, which transposes everything and changes nothing). :class:`Parameterization` builds ``F`` for
every family (dense, invariant, equivariant, deep equivariant, LCN), with its exact Jacobian, the
gradient and Hessian-vector products of ``L``, and its function space ``M_F = F(parameters)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.critical.smoothness import _smooth_and_tangent
from equilin.deep import DeepLinearNetwork
from equilin.equivariance import EquivariantComponent
from equilin.geometry import DeterminantalVariety, InvariantVariety
from equilin.lcn import LCN, conv_matrix
from equilin.validation import as_generator, check_int, check_real

__all__ = ["KINDS", "Parameterization", "squared_loss"]

KINDS = ("dense", "invariant", "equivariant", "lcn", "deep")
"""The families of :class:`Parameterization` (its :attr:`~Parameterization.kind`)."""


def _check_data(X: Any, Y: Any, n: int, m: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Samples ``X`` (``N x n``) and targets ``Y`` (``N x m``), real and finite, as float64."""
    arrays = []
    for name, arr_, cols in (("X", X, n), ("Y", Y, m)):
        arr = np.asarray(arr_)
        if arr.ndim != 2 or arr.shape[1] != cols:
            raise ValueError(f"{name} must be an N x {cols} array of row samples, got shape {arr.shape}")
        arrays.append(check_real(arr, name))
    if arrays[0].shape[0] != arrays[1].shape[0] or arrays[0].shape[0] == 0:
        raise ValueError(f"X and Y must have the same positive number of rows, got {arrays[0].shape[0]} "
                         f"and {arrays[1].shape[0]}")
    return arrays[0], arrays[1]


def squared_loss(M: ArrayLike, X: ArrayLike, Y: ArrayLike) -> tuple[float, NDArray[np.float64]]:
    """``l(M) = ||X M^T - Y||_F^2 / N`` and its gradient ``2 (M X^T X - Y^T X) / N``.

    Examples
    --------
    >>> value, grad = squared_loss(np.eye(2), np.eye(2), np.zeros((2, 2)))
    >>> value, grad.tolist()
    (1.0, [[1.0, 0.0], [0.0, 1.0]])
    """
    M_ = np.asarray(M, dtype=np.float64)
    X_, Y_ = _check_data(X, Y, M_.shape[1], M_.shape[0])
    R = X_ @ M_.T - Y_
    return float((R ** 2).sum() / len(X_)), 2.0 * (R.T @ X_) / len(X_)


@dataclass(frozen=True)
class _Layer:
    rows: int
    cols: int
    basis: NDArray[np.float64] | None  # (p, rows, cols); None: dense, p = rows * cols row-major

    @property
    def n_params(self) -> int:
        return self.rows * self.cols if self.basis is None else int(self.basis.shape[0])

    def matrix(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.basis is None:
            return theta.reshape(self.rows, self.cols)
        return np.tensordot(theta, self.basis, axes=1)

    def pull(self, grad: NDArray[np.float64]) -> NDArray[np.float64]:
        """Gradient with respect to this layer's parameters from the gradient of its matrix."""
        return grad.ravel() if self.basis is None else np.tensordot(self.basis, grad, axes=([1, 2], [0, 1]))


def _basis_from_ids(ids: NDArray[np.int64], signs: NDArray[np.int64], ids_range: range,
                    outer_left: NDArray[np.float64] | None, outer_right: NDArray[np.float64] | None
                    ) -> NDArray[np.float64]:
    basis = np.zeros((len(ids_range),) + ids.shape)
    for p, pid in enumerate(ids_range):
        basis[p] = np.where(ids == pid, signs, 0)
    if outer_left is not None:
        basis = np.einsum("ab,pbc->pac", outer_left, basis)
    if outer_right is not None:
        basis = basis @ outer_right
    return basis


class Parameterization:
    """A linear network's parameterization ``F(theta) = W_L(theta_L) ... W_1(theta_1)`` with every layer
    matrix linear in its own parameters, and its function space. Build it with :meth:`dense`,
    :meth:`invariant`, :meth:`equivariant` or :meth:`lcn`; ``theta`` is flat, layer 1 first.

    Examples
    --------
    >>> P = Parameterization.dense((4, 2, 3))          # R^4 -> R^2 -> R^3: M_{2, 3x4}
    >>> P.shape, P.n_params, P.dim, str(P.space)
    ((3, 4), 14, 10, 'M_{2, 3x4}(R)')
    >>> P.numerical_dim(), P.function(np.ones(14)).tolist()[0]
    (10, [2.0, 2.0, 2.0, 2.0])
    """

    def __init__(self, kind: str, layers: Sequence[_Layer], space: Any, description: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.kind = kind
        self.layers: tuple[_Layer, ...] = tuple(layers)
        self.space = space
        self.description = description
        for lower, upper in zip(self.layers, self.layers[1:]):
            if upper.cols != lower.rows:
                raise ValueError("layer shapes do not chain")

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def dense(cls, widths: Sequence[int]) -> Parameterization:
        """A fully-connected linear network ``R^{d_0} -> R^{d_1} -> ... -> R^{d_L}`` (``widths`` from
        input to output, at least two entries); function space ``M_{r, d_L x d_0}``, ``r = min widths``."""
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
            raise ValueError(f"widths must list at least the input and output sizes, got {widths!r}")
        w = [check_int(v, f"widths[{i}]", 1) for i, v in enumerate(widths)]
        layers = [_Layer(w[i + 1], w[i], None) for i in range(len(w) - 1)]
        space = DeterminantalVariety(w[-1], w[0], min(w))
        return cls("dense", layers, space, "fully-connected " + " -> ".join(str(v) for v in w))

    @classmethod
    def invariant(cls, variety: InvariantVariety) -> Parameterization:
        """The invariant autoencoder ``M = A (W E_P)``: encoder ``W`` (``r x k``), dense decoder ``A``
        (``m x r``); function space ``I^G_{r, m x n}``."""
        if not isinstance(variety, InvariantVariety):
            raise ValueError(f"expected an InvariantVariety, got {type(variety).__name__}")
        r, k, E = variety.rank, variety.k, variety.E_P
        basis = np.einsum("ac,bn->abcn", np.eye(r), E).reshape(r * k, r, variety.n)
        layers = [_Layer(r, variety.n, basis), _Layer(variety.m, r, None)]
        return cls("invariant", layers, variety, f"invariant autoencoder {variety}")

    @classmethod
    def equivariant(cls, component: EquivariantComponent) -> Parameterization:
        """The autoencoder of one equivariant component with its weight sharing:
        ``M = (Q decoder)(encoder Q^T)`` (``EquivariantComponent.weight_sharing``); needs the dense ``Q``."""
        if not isinstance(component, EquivariantComponent):
            raise ValueError(f"expected an EquivariantComponent, got {type(component).__name__}")
        if component.max_rank == 0:
            raise ValueError("the component has rank 0: its network has no parameters")
        shares = component.weight_sharing()
        Q = component.variety.Q()
        n_enc = int(shares.encoder_ids.max()) + 1
        enc = _basis_from_ids(shares.encoder_ids, shares.encoder_signs, range(n_enc), None, Q.T)
        dec = _basis_from_ids(shares.decoder_ids, shares.decoder_signs, range(n_enc, shares.n_params), Q, None)
        n, width = component.variety.n, component.max_rank
        layers = [_Layer(width, n, enc), _Layer(n, width, dec)]
        return cls("equivariant", layers, component, f"equivariant component {component.label()}")

    @classmethod
    def deep(cls, network: DeepLinearNetwork) -> Parameterization:
        """A deep equivariant linear network (:class:`equilin.deep.DeepLinearNetwork`): each layer spanned
        by its equivariant maps (:meth:`~equilin.deep.DeepLinearNetwork.equivariant_basis`: one weight
        per orbital between permuted layers); function space ``prod_i M_{b_i, m_i x m_i}(D_i)``."""
        if not isinstance(network, DeepLinearNetwork):
            raise ValueError(f"expected a DeepLinearNetwork, got {type(network).__name__}")
        layers = []
        for l in range(1, len(network.hidden) + 2):
            basis = network.equivariant_basis(l)
            layers.append(_Layer(basis.shape[1], basis.shape[2], basis))
        hidden = [network.width(l) for l in range(1, len(network.hidden) + 1)]
        widths = " -> ".join(str(w) for w in [network.group.n, *hidden, network.group.n])
        return cls("deep", layers, network.function_space(), f"deep equivariant {widths}")

    @classmethod
    def lcn(cls, net: LCN) -> Parameterization:
        """A linear convolutional network (:class:`equilin.lcn.LCN`); the matrix is ``d_L x d_0``."""
        if not isinstance(net, LCN):
            raise ValueError(f"expected an LCN, got {type(net).__name__}")
        layers = []
        for k, s, d in zip(net.filter_sizes, net.strides, net.sizes):
            basis = np.stack([conv_matrix(np.eye(k)[j], d, s) for j in range(k)])
            layers.append(_Layer(basis.shape[1], d, basis))
        return cls("lcn", layers, net, f"LCN d0={net.d0} filters={net.filter_sizes} strides={net.strides}")

    # -- structure ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(m, n)``: the shape of ``F(theta)``."""
        return (self.layers[-1].rows, self.layers[0].cols)

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    @property
    def dim(self) -> int:
        """Dimension of the function space (exact: the family's formula)."""
        return int(self.space.dim)

    def numerical_dim(self, rng: np.random.Generator | int | None = 0, tries: int = 3) -> int:
        """The largest Jacobian rank at ``tries`` random parameters (the generic rank of ``dF``)."""
        g = as_generator(rng)
        return max(self.jacobian_rank(self.sample(g)) for _ in range(check_int(tries, "tries", 1)))

    def sample(self, rng: np.random.Generator | int | None = None, scale: float = 1.0) -> NDArray[np.float64]:
        """Gaussian parameters (standard deviation ``scale``)."""
        return scale * as_generator(rng).standard_normal(self.n_params)

    # -- maps ---------------------------------------------------------------------------------
    def _check_theta(self, theta: Any) -> NDArray[np.float64]:
        arr = np.asarray(theta)
        if arr.shape != (self.n_params,):
            raise ValueError(f"theta must be a flat vector of {self.n_params} parameters (layer 1 first), "
                             f"got shape {arr.shape}")
        return check_real(arr, "theta")

    def factors(self, theta: ArrayLike) -> list[NDArray[np.float64]]:
        """The layer matrices ``[W_1, ..., W_L]``."""
        arr = self._check_theta(theta)
        parts = np.split(arr, np.cumsum([layer.n_params for layer in self.layers])[:-1])
        return [layer.matrix(p) for layer, p in zip(self.layers, parts)]

    def function(self, theta: ArrayLike) -> NDArray[np.float64]:
        """``F(theta) = W_L ... W_1`` (``m x n``)."""
        out = None
        for W in self.factors(theta):
            out = W if out is None else W @ out
        assert out is not None
        return out

    def balance(self, theta: ArrayLike) -> NDArray[np.float64]:
        """The point of the fibre of ``F`` through ``theta`` whose layers' parameter vectors all have the
        geometric mean of their norms (``theta_i -> c_i theta_i`` with ``prod c_i = 1``, which leaves
        ``F`` unchanged); ``theta`` unchanged when a layer is zero. Training drifts along these rescalings;
        ranks and gradients are compared at the balanced representative.

        Examples
        --------
        >>> P = Parameterization.dense((1, 1, 1))
        >>> P.balance([4.0, 1.0]).tolist()
        [2.0, 2.0]
        """
        arr = self._check_theta(theta)
        parts = np.split(arr, np.cumsum([layer.n_params for layer in self.layers])[:-1])
        norms = np.array([np.linalg.norm(p) for p in parts])
        if (norms == 0).any():
            return arr
        target = math.exp(float(np.log(norms).mean()))
        return np.concatenate([p * (target / nrm) for p, nrm in zip(parts, norms)])

    def _sides(self, Ws: list[NDArray[np.float64]]) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """``(left, right)`` products around each layer: ``F = left_i W_i right_i``."""
        rights = [np.eye(self.shape[1])]
        for W in Ws[:-1]:
            rights.append(W @ rights[-1])
        lefts = [np.eye(self.shape[0])]
        for W in Ws[:0:-1]:
            lefts.append(lefts[-1] @ W)
        return list(zip(lefts[::-1], rights))

    def jacobian(self, theta: ArrayLike) -> NDArray[np.float64]:
        """``d vec(F) / d theta`` (row-major ``vec``, ``m n x n_params``), exact (``F`` is multilinear)."""
        Ws = self.factors(theta)
        blocks = []
        for layer, (left, right) in zip(self.layers, self._sides(Ws)):
            if layer.basis is None:
                block = np.einsum("pa,bq->pqab", left, right).reshape(left.shape[0] * right.shape[1], -1)
            else:
                block = np.einsum("pa,kab,bq->pqk", left, layer.basis, right).reshape(-1, layer.n_params)
            blocks.append(block)
        return np.concatenate(blocks, axis=1)

    def jacobian_rank(self, theta: ArrayLike, rtol: float = 1e-9) -> int:
        """Numerical rank of :meth:`jacobian` (singular values above ``rtol`` times the largest)."""
        s = np.linalg.svd(self.jacobian(theta), compute_uv=False)
        return int((s > rtol * max(float(s[0]) if s.size else 0.0, np.finfo(float).tiny)).sum())

    def pullback(self, theta: ArrayLike, G: ArrayLike) -> NDArray[np.float64]:
        """``J(theta)^T vec(G)``: the gradient in parameter space of a loss whose gradient at ``F(theta)``
        is ``G`` (chain rule, without forming ``J``)."""
        Ws = self.factors(theta)
        G_ = np.asarray(G, dtype=np.float64)
        return np.concatenate([layer.pull(left.T @ G_ @ right.T)
                               for layer, (left, right) in zip(self.layers, self._sides(Ws))])

    def loss(self, theta: ArrayLike, X: ArrayLike, Y: ArrayLike) -> tuple[float, NDArray[np.float64]]:
        """``L(theta) = l(F(theta))`` (see :func:`squared_loss`) and its gradient in ``theta``.

        Examples
        --------
        >>> P = Parameterization.dense((2, 1, 2))
        >>> value, grad = P.loss(np.ones(4), np.eye(2), np.zeros((2, 2)))
        >>> value, grad.tolist()
        (2.0, [2.0, 2.0, 2.0, 2.0])
        """
        value, G = squared_loss(self.function(theta), X, Y)
        return value, self.pullback(theta, G)

    def is_smooth_point(self, theta: ArrayLike, tol: float = 1e-9, rank_tol: float = 1e-6) -> bool | None:
        """Whether ``F(theta)`` is a smooth point of the function space (for LCNs: a smooth interior point),
        by the rules of ``docs/critical.md``; ``None`` where undecided (a non-regular, non-zero point of an
        LCN with a stride > 1). ``F(theta)`` counts as zero when its norm is at most ``tol``; ranks count
        singular values above ``rank_tol`` times the norm of ``F(theta)``.

        Examples
        --------
        >>> P = Parameterization.dense((3, 2, 3))                  # M_{2, 3x3}: Sing = M_1
        >>> A, B = np.eye(3)[:, :2], np.eye(3)[:2]
        >>> P.is_smooth_point(np.concatenate([B.ravel(), A.ravel()]))
        True
        >>> B[1] = 0.0
        >>> P.is_smooth_point(np.concatenate([B.ravel(), A.ravel()]))
        False
        """
        th = self._check_theta(theta)
        M = self.function(th)
        norm = float(np.linalg.norm(M))
        J = self.jacobian(th)
        s = np.linalg.svd(J, compute_uv=False)
        rank = int((s > rank_tol * max(float(s[0]) if s.size else 0.0, np.finfo(float).tiny)).sum())
        smooth, _ = _smooth_and_tangent(self.kind, self.space, th, M, np.zeros_like(M), J, is_zero=norm <= tol,
                                        is_regular=rank == self.dim, notes=[],
                                        m_scale=max(norm, np.finfo(float).tiny), rtol=rank_tol)
        return smooth

    def hessian_vector(self, theta: ArrayLike, v: ArrayLike, X: ArrayLike, Y: ArrayLike) -> NDArray[np.float64]:
        """``H(theta) v`` for the Hessian of :meth:`loss`, exact: ``J^T vec(dG) + (dJ^T) vec(G)`` with
        ``dG = 2 (J v) X^T X / N`` and ``dJ`` the derivative of the multilinear ``F`` along ``v``.

        Examples
        --------
        >>> P = Parameterization.dense((1, 1, 1))                 # L(a, b) = (a b - 1)^2
        >>> P.hessian_vector([1.0, 2.0], [1.0, 0.0], [[1.0]], [[1.0]]).tolist()
        [8.0, 6.0]
        """
        Ws = self.factors(theta)
        Vs = self.factors(v)
        X_, Y_ = _check_data(X, Y, self.shape[1], self.shape[0])
        M = self.function(theta)
        _, G = squared_loss(M, X_, Y_)
        dM = sum((left @ V @ right for V, (left, right) in zip(Vs, self._sides(Ws))),
                 np.zeros_like(M))
        dG = 2.0 * dM @ (X_.T @ X_) / len(X_)
        out = []
        count = len(Ws)
        for i, layer in enumerate(self.layers):
            left, right = self._sides(Ws)[i]
            grad = left.T @ dG @ right.T
            for j in range(count):  # replace W_j by V_j in left (j > i) or right (j < i)
                if j == i:
                    continue
                swapped = Ws[:j] + [Vs[j]] + Ws[j + 1:]
                d_left, d_right = self._sides(swapped)[i]
                grad = grad + (d_left.T @ G @ right.T if j > i else left.T @ G @ d_right.T)
            out.append(layer.pull(grad))
        return np.concatenate(out)

    def __repr__(self) -> str:
        return f"Parameterization({self.description!r}, n_params={self.n_params}, dim={self.dim})"

