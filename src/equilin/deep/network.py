"""Deep equivariant linear networks: hidden layers that carry representations of the group.

A network ``R^n -> R^{h_1} -> ... -> R^{h_{L-1}} -> R^n`` whose hidden spaces carry representations
``rho_1, ..., rho_{L-1}`` of ``G`` and whose layers are equivariant (``W_l rho_{l-1}(g) = rho_l(g) W_l``)
is, in isotypic coordinates, block diagonal over the irreducibles ``V_i`` (field ``D_i``, ``delta_i =
dim_R V_i``): layer ``l`` has a block ``m_{l,i} x m_{l-1,i}`` over ``D_i``, ``m_{l,i}`` the multiplicity
of ``V_i`` in ``rho_l``. The end-to-end map has block ranks at most ``b_i = min_l m_{l,i}`` (``m_{0,i} =
m_{L,i} = m_i``, the input's), and every such map is reached (factor each block through its
narrowest layer). So the function space is the irreducible variety ``prod_i M_{b_i, m_i x m_i}(D_i)``
of dimension ``sum_i dim_R(D_i) b_i (2 m_i - b_i)``; irreducibles of a hidden layer that the input does
not contain carry parameters and nothing else.

As a linear map the network has rank at most ``r = min_l h_l`` (the narrowest hidden layer), so its
function space lies in ``E^G_r``; it is an irreducible component of ``E^G_r`` exactly when the tuple
``b`` is maximal there (no block below its size could be raised within the budget ``r``). (Against the
budget ``sum_i delta_i b_i`` every tuple is maximal; the meaningful budget is the width.)

The hidden layers are :class:`~equilin.deep.GSet` (permuted neurons, one shared weight per orbital)
or :class:`~equilin.deep.LinearLayer` (multiplicities given per block), both in ``equilin.deep.gsets``;
the multiplicities of a G-set come from the characters (``equilin.deep.multiplicities``).

Examples
--------
>>> from equilin.groups import Permutation
>>> sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)            # the talk's 3 x 3 rotation
>>> net = DeepLinearNetwork(sigma, [GSet.channels(sigma, 2), GSet.cosets(sigma, ["(1 3)(2 4)(5 7)(6 8)"])])
>>> [layer.h for layer in net.hidden], net.multiplicities      # G/<sigma^2>: trivial + sign
([18, 2], ((6, 4, 4), (1, 0, 1)))
>>> S = net.function_space()
>>> S.ranks, S.rank, S.is_component, S.dim, net.n_params, net.fiber_dim, net.jacobian_rank()
(Ranks('r_{1,1}=1 r_{4,3}=0 r_{2,1}=1'), 2, True, 8, 57, 49, 8)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import block_diag

from equilin.deep.gsets import GSet, Hidden, LinearLayer
from equilin.deep.multiplicities import _copies, multiplicities
from equilin.deep.rank import gapped_rank
from equilin.equivariance import Block, BlockStructure, EquivariantComponent, EquivariantVariety, Ranks
from equilin.groups import as_group
from equilin.validation import check_int

__all__ = ["DeepFunctionSpace", "DeepLinearNetwork"]


@dataclass(frozen=True)
class DeepFunctionSpace:
    """The function space ``prod_i M_{b_i, m_i x m_i}(D_i)`` of a deep equivariant linear network.

    Attributes
    ----------
    ranks : Ranks
        ``b_i = min_l m_{l,i}`` per block of the input.
    rank : int
        The rank bound of the architecture, ``min_l h_l`` (and at most ``n``).
    variety : EquivariantVariety
        ``E^G_r``.
    is_component : bool
        Whether the function space is an irreducible component of ``E^G_r``.
    component : EquivariantComponent or None
        That component, when it is one.
    dim, degree, ed_degree : int
        Of the function space (the product of the blocks' determinantal varieties).
    """

    ranks: Ranks
    rank: int
    variety: EquivariantVariety = field(repr=False)
    blocks: tuple[Block, ...] = field(repr=False)

    @property
    def _values(self) -> tuple[int, ...]:
        return tuple(self.ranks.values())

    @property
    def is_component(self) -> bool:
        return self.variety.is_maximal(self._values)

    @property
    def component(self) -> EquivariantComponent | None:
        return self.variety.component(self._values) if self.is_component else None

    @property
    def _structure(self) -> BlockStructure:
        return BlockStructure(self.blocks)

    @property
    def dim(self) -> int:
        return self._structure.dim_of(self._values)

    @property
    def degree(self) -> int:
        return self._structure.degree_of(self._values)

    @property
    def ed_degree(self) -> int:
        return self._structure.ed_degree_of(self._values)

    @property
    def max_rank(self) -> int:
        """The largest rank of a map in the space: ``sum_i delta_i b_i``."""
        return self._structure.max_rank_of(self._values)

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M`` commutes with the group and every block has rank ``<= b_i`` (up to ``tol``)."""
        if not self.variety.is_equivariant(M, tol):
            return False
        found = self.variety.block_ranks(M, tol)
        return all(found[b.label] <= k for b, k in zip(self.blocks, self._values))


class DeepLinearNetwork:
    """An equivariant linear network ``R^n -> hidden_1 -> ... -> hidden_{L-1} -> R^n`` (module docstring).

    Parameters
    ----------
    group : Permutation or PermutationGroup
        ``G`` acting on the input (and output) ``R^n``.
    hidden : sequence of GSet or LinearLayer (or mappings ``{label: multiplicity}``)
        The hidden layers, first to last (at least one).
    method, seed
        The block decomposition (:class:`equilin.equivariance.EquivariantVariety`).

    Attributes
    ----------
    variety : EquivariantVariety
        Of the input, ``r = n``: its blocks index the multiplicities.
    multiplicities : tuple of tuple of int
        ``m_{l,i}`` per hidden layer and input block (exact: characters).
    """

    def __init__(self, group: Any, hidden: Sequence[Hidden | Mapping[Any, int]], *, method: str = "auto",
                 seed: int = 0) -> None:
        self.group = as_group(group)
        if isinstance(hidden, (str, GSet, LinearLayer, Mapping)) or not isinstance(hidden, Sequence) or not hidden:
            raise ValueError("hidden must be a non-empty sequence of hidden layers (GSet, LinearLayer or "
                             "{label: multiplicity})")
        layers: list[Hidden] = []
        for l, layer in enumerate(hidden, start=1):
            if isinstance(layer, Mapping):
                layer = LinearLayer(layer)
            if not isinstance(layer, (GSet, LinearLayer)):
                raise ValueError(f"hidden layer {l} must be a GSet, a LinearLayer or a mapping "
                                 f"{{label: multiplicity}}, got {type(layer).__name__}")
            if isinstance(layer, GSet) and layer.group != self.group:
                raise ValueError(f"hidden layer {l} is a G-set of another group (generators differ)")
            layers.append(layer)
        self.hidden: tuple[Hidden, ...] = tuple(layers)
        self.seed = check_int(seed, "seed", 0)
        self.variety = EquivariantVariety(self.group, self.group.n, method=method, seed=self.seed)
        self.blocks: tuple[Block, ...] = self.variety.blocks
        self.multiplicities: tuple[tuple[int, ...], ...] = tuple(self._multiplicities(layer) for layer in layers)

    # -- multiplicities ------------------------------------------------------------------------------------
    def _multiplicities(self, layer: Hidden) -> tuple[int, ...]:
        if isinstance(layer, LinearLayer):           # any multiplicities, also above the input's
            labels = self.variety.labels
            unknown = [label for label in layer.multiplicities if label not in labels]
            if unknown:
                raise ValueError(f"unknown block {unknown[0]!r} in a LinearLayer; the blocks are {', '.join(labels)}")
            return tuple(layer.multiplicities.get(label, 0) for label in labels)
        return multiplicities(self.variety, layer)

    def width(self, l: int) -> int:
        """``h_l``, the real dimension of hidden layer ``l`` (1-based)."""
        layer = self.hidden[l - 1]
        if isinstance(layer, GSet):
            return layer.h
        return sum(b.weight * m for b, m in zip(self.blocks, self.multiplicities[l - 1]))

    # -- the function space ---------------------------------------------------------------------------------
    @cached_property
    def bottleneck(self) -> tuple[int, ...]:
        """``b_i = min_l m_{l,i}`` (capped by the input's ``m_i``)."""
        return tuple(min([b.size] + [m[i] for m in self.multiplicities]) for i, b in enumerate(self.blocks))

    def function_space(self) -> DeepFunctionSpace:
        """The variety of end-to-end maps (module docstring)."""
        r = min([self.group.n] + [self.width(l) for l in range(1, len(self.hidden) + 1)])
        variety = EquivariantVariety(self.group, r, method=self.variety.method, seed=self.seed)
        return DeepFunctionSpace(Ranks.of(self.blocks, self.bottleneck), r, variety, self.blocks)

    # -- parameters -------------------------------------------------------------------------------------
    def layers(self) -> list[Hidden]:
        """The input (a G-set), the hidden layers, the output (the input again)."""
        ends = GSet.of(self.group)
        return [ends, *self.hidden, ends]

    def layer_params(self, l: int) -> int:
        """Parameters of the equivariant maps from layer ``l - 1`` to layer ``l`` (``l = 1..L``; layer 0
        is the input, ``L`` the output): the orbitals between two G-sets (one shared weight each), else
        ``sum_i dim_R(D_i) m_{l,i} m_{l-1,i}`` (Schur; a linear layer holds only the input's irreducibles,
        so a G-set's others meet nothing there)."""
        layers = self.layers()
        if not 1 <= l < len(layers):
            raise ValueError(f"l must be 1..{len(layers) - 1}, got {l}")
        target, source = layers[l], layers[l - 1]
        if isinstance(target, GSet) and isinstance(source, GSet):
            return target.orbitals(source)[0]
        size = tuple(b.size for b in self.blocks)
        mult = [size, *self.multiplicities, size]
        return sum(b.field_dim * mult[l][i] * mult[l - 1][i] for i, b in enumerate(self.blocks))

    def weight_sharing(self, l: int) -> NDArray[np.int64]:
        """For a layer between two G-sets, the shared weight of every entry of ``W_l`` (``h_l x h_{l-1}``,
        orbital labels ``0..layer_params(l) - 1``)."""
        layers = self.layers()
        if not 1 <= l < len(layers):
            raise ValueError(f"l must be 1..{len(layers) - 1}, got {l}")
        target, source = layers[l], layers[l - 1]
        if not (isinstance(target, GSet) and isinstance(source, GSet)):
            raise ValueError(f"layer {l} joins a LinearLayer: its weights are block matrices, not shared "
                             "entries of a permuted layer")
        return target.orbitals(source)[1]

    @property
    def n_params(self) -> int:
        """Real parameters of all layers (one per orbital for permutation layers)."""
        return sum(self.layer_params(l) for l in range(1, len(self.hidden) + 2))

    @property
    def fiber_dim(self) -> int:
        """Dimension of the generic fiber of the parameterization: ``n_params - dim``."""
        return self.n_params - self.function_space().dim

    # -- the parameterization, numerically -------------------------------------------------------------
    def representation(self, l: int) -> list[NDArray[np.float64]]:
        """The matrices of the generators on layer ``l`` (0 = input, ``L`` = output): permutation matrices
        on a G-set (``P x = x[g^-1]``); ``(+)_i I_{m_{l,i}} (x) rho_i(g)`` on a LinearLayer, ``rho_i``
        read from one copy of ``V_i`` in the input's decomposition."""
        layer = self.layers()[l]
        if isinstance(layer, GSet):
            return [g.matrix() for g in layer.images]
        copies = _copies(self.variety)
        mats = []
        for g in self.group.generators:
            parts = []
            for (orbit, C), m in zip(copies, self.multiplicities[l - 1]):
                rho = C.T @ g.matrix()[np.ix_(orbit, orbit)] @ C
                parts.extend([rho] * m)
            mats.append(block_diag(*parts) if parts else np.zeros((0, 0)))
        return mats

    def equivariant_basis(self, l: int) -> NDArray[np.float64]:
        """A basis of the equivariant maps from layer ``l - 1`` to layer ``l``, ``(P, h_l, h_{l-1})``: the
        orbital indicators between two G-sets, else an orthonormal basis of the solutions of
        ``W rho_{l-1}(g) = rho_l(g) W`` (a null space). Its size is :meth:`layer_params`."""
        layers = self.layers()
        if not 1 <= l < len(layers):
            raise ValueError(f"l must be 1..{len(layers) - 1}, got {l}")
        target, source = layers[l], layers[l - 1]
        if isinstance(target, GSet) and isinstance(source, GSet):
            count, labels = target.orbitals(source)
            indicators: NDArray[np.float64] = (labels[None] == np.arange(count)[:, None, None]).astype(np.float64)
            return indicators
        T, S = self.representation(l), self.representation(l - 1)
        a, b = T[0].shape[0], S[0].shape[0]
        if a * b == 0:                                   # a layer of width 0
            return np.zeros((0, a, b))
        K = np.concatenate([np.kron(np.eye(a), s.T) - np.kron(t, np.eye(b)) for t, s in zip(T, S)])
        _, values, vt = np.linalg.svd(K)
        rank = int((values > 1e-9 * max(1.0, values[0])).sum())
        return vt[rank:].reshape(-1, a, b)

    def jacobian_rank(self, seed: int = 0) -> int:
        """The rank of the Jacobian of ``theta -> W_L ... W_1`` (``n x n``) at random parameters, in
        float64, refused without a clear gap (``s_rank / s_{rank+1} > 1e6``); generically it is the
        dimension of the function space."""
        rng = np.random.default_rng(check_int(seed, "seed", 0))
        bases = [self.equivariant_basis(l) for l in range(1, len(self.hidden) + 2)]
        W = [np.tensordot(rng.standard_normal(B.shape[0]), B, axes=1) for B in bases]
        n = self.group.n
        columns = []
        for l, B in enumerate(bases):
            left = _chain(W[l + 1:], B.shape[1])
            right = _chain(W[:l], n)
            columns.append(np.einsum("ij,pjk,kl->pil", left, B, right).reshape(B.shape[0], n * n))
        J = np.concatenate(columns)
        values = np.linalg.svd(J, compute_uv=False)
        # the scale of a column: ||W_L|| ... ||dW_l|| ... ||W_1|| bounds it (so a Jacobian that vanishes
        # identically, e.g. through a layer that holds none of the signal, has rank 0, not its noise's)
        norms = [float(np.linalg.norm(w)) for w in W]
        scale = max((math.prod(norms[:l] + norms[l + 1:]) * float(np.abs(B).max()) * math.sqrt(B[0].size)
                     for l, B in enumerate(bases) if B.shape[0]), default=0.0)
        if values.size == 0 or values[0] <= 1e-10 * scale:
            return 0
        return gapped_rank(values, rtol=1e-8, gap=1e6, advice="try another seed")

    def factor(self, M: NDArray[np.float64], tol: float = 1e-9) -> list[NDArray[np.float64]]:
        """Layer matrices ``W_1, ..., W_L`` (each equivariant between its layers) with
        ``W_L ... W_1 = M``, for an equivariant ``n x n`` matrix ``M`` whose block ranks are at most the
        bottleneck ``b`` (for example the closed-form optimum of the function space).

        ``M`` factors through ``B = (+)_i V_i^{k_i}`` (``k_i`` its block ranks): an equivariant isometry
        ``K`` onto its row space gives ``M = (M K) K^T``, and every layer ``H_l`` holds ``B`` through an
        equivariant isometry ``J_l`` (``k_i <= m_{l,i}``); then ``W_1 = J_1 K^T``,
        ``W_l = J_l J_{l-1}^T`` and ``W_L = M K J_{L-1}^T``. The isometries are orthonormal bases, over
        each block's field, of the equivariant maps from one copy of ``V_i``.
        """
        M = np.asarray(M, dtype=np.float64)
        n = self.group.n
        if M.shape != (n, n):
            raise ValueError(f"M must be {n} x {n}, got shape {M.shape}")
        if not self.variety.is_equivariant(M, tol * max(1.0, float(np.abs(M).max()))):
            raise ValueError("M does not commute with the group; factor needs an equivariant matrix")
        ranks = self.variety.block_ranks(M)
        over = [b.label for b, k in zip(self.blocks, self.bottleneck) if ranks[b.label] > k]
        if over:
            raise ValueError(f"M has block ranks {ranks} above the bottleneck b = "
                             f"{Ranks.of(self.blocks, self.bottleneck)} in {', '.join(over)}: it is not in the "
                             "network's function space")
        counts = [ranks[b.label] for b in self.blocks]
        copies = _copies(self.variety)
        rhos = [[C.T @ g.matrix()[np.ix_(orbit, orbit)] @ C for g in self.group.generators] for orbit, C in copies]
        u, values, _ = np.linalg.svd(M.T)
        U = u[:, :int((values > tol * max(1.0, values[0] if values.size else 0.0)).sum())]
        K = _isometry([U.T @ g.matrix() @ U for g in self.group.generators], rhos, counts, self.blocks, U)
        J = [_isometry([g.matrix() for g in layer.images] if isinstance(layer, GSet) else self.representation(l),
                       rhos, counts, self.blocks) for l, layer in enumerate(self.hidden, start=1)]
        W = [J[0] @ K.T] + [J[l] @ J[l - 1].T for l in range(1, len(J))] + [M @ K @ J[-1].T]
        product = _chain(W, n)
        if np.abs(product - M).max() > 1e-7 * max(1.0, float(np.abs(M).max())):
            raise RuntimeError("internal error: the layer matrices do not multiply to M")
        return W

    def __repr__(self) -> str:
        return f"DeepLinearNetwork({self.group!r}, hidden={list(self.hidden)!r})"


def _isometry(action: list[NDArray[np.float64]], rhos: list[list[NDArray[np.float64]]], counts: Sequence[int],
              blocks: Sequence[Block], frame: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """An equivariant isometry from ``(+)_i V_i^{counts_i}`` (``V_i`` with the matrices ``rhos[i]``) into
    the space on which the generators act by ``action`` (expressed in the columns of ``frame``, when
    given): per block, Gram-Schmidt over ``D_i`` in the solutions ``T`` of ``A_g T = T rho_i(g)``
    (``T^T T'`` lies in ``D_i``, so a copy is removed with ``T' - T (T^T T')``)."""
    h = action[0].shape[0]
    columns = []
    for b, rho, count in zip(blocks, rhos, counts):
        if not count:
            continue
        delta = b.weight
        K = np.concatenate([np.kron(A, np.eye(delta)) - np.kron(np.eye(h), r.T) for A, r in zip(action, rho)])
        _, values, vt = np.linalg.svd(K)
        null = vt[int((values > 1e-9 * max(1.0, values[0])).sum()):].reshape(-1, h, delta)
        accepted: list[NDArray[np.float64]] = []
        for T in null:
            for A in accepted:
                T = T - A @ (A.T @ T)
            norm = math.sqrt(float(np.sum(T * T)) / delta)
            if norm > 1e-6:
                accepted.append(T / norm)
            if len(accepted) == count:
                break
        if len(accepted) < count:
            raise RuntimeError(f"internal error: {b.label} occurs fewer than {count} times in a layer")
        columns.extend(accepted)
    out = np.concatenate(columns, axis=1) if columns else np.zeros((h, 0))
    return out if frame is None else frame @ out



def _chain(mats: Sequence[NDArray[np.float64]], size: int) -> NDArray[np.float64]:
    """``mats[-1] @ ... @ mats[0]`` (the identity of ``size`` when empty)."""
    out = np.eye(size) if not mats else mats[0]
    for M in mats[1:]:
        out = M @ out
    return out
