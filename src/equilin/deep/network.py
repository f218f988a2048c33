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

Hidden layers come in two kinds:

* :class:`LinearLayer` -- a representation given by its multiplicities per block of the input (the
  talk's bottleneck is one: ``m_{1,i}`` = the component's ranks), plus, optionally, the real dimension
  of irreducibles the input does not contain;
* :class:`GSet` -- permuted neurons: ``G`` acts on ``h`` hidden units (``K`` channels of the input
  action, the regular action, the cosets ``G/H`` of a subgroup, or any action given by the images of
  the generators, checked to be a homomorphism). Its multiplicities come from the characters: ``m_i =
  <chi_H, chi_i> / <chi_i, chi_i>``, with ``chi_H(g)`` the number of units ``g`` fixes. An equivariant
  map between two G-sets is constant on the orbits of ``G`` on pairs of units (weight sharing), so a
  permutation layer has one parameter per orbital.

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
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import block_diag

from equilin.equivariance import Block, Ranks
from equilin.equivariance import EquivariantComponent, EquivariantVariety
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import check_int

__all__ = ["GSet", "LinearLayer", "DeepLinearNetwork", "DeepFunctionSpace", "OrbitType", "orbit_types",
           "smallest_gset", "multiplicities", "ELEMENT_LIMIT"]

ELEMENT_LIMIT = 100_000
"""Largest group whose elements are enumerated (homomorphism checks, characters, regular actions)."""


def _as_group(group: Any) -> PermutationGroup:
    if not isinstance(group, (Permutation, PermutationGroup)):
        raise ValueError(f"group must be a Permutation or a PermutationGroup, got {type(group).__name__}")
    return as_group(group)


def _permutation(value: Any, where: str) -> Permutation:
    if isinstance(value, Permutation):
        return value
    try:
        return Permutation(np.asarray(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} must be a Permutation or an array of images 0..h-1: {exc}") from None


def _elements(group: PermutationGroup, what: str) -> list[Permutation]:
    try:
        return list(group.elements(limit=ELEMENT_LIMIT))
    except ValueError:
        raise ValueError(f"{what} enumerates the group's elements, and this group has more than "
                         f"{ELEMENT_LIMIT:,}; use a smaller group") from None


# -- hidden layers ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GSet:
    """``G`` acting on ``h`` hidden units: the image of every generator of ``group`` (in order) as a
    permutation of ``0..h-1``, checked to define an action of the same group (a homomorphism
    ``G -> S_h``: every relation among the generators holds among their images).

    Build it with :meth:`channels`, :meth:`regular`, :meth:`cosets`, or from images directly.

    Examples
    --------
    >>> from equilin.groups import Permutation
    >>> s = Permutation.from_cycles("(1 2 3)", 3)
    >>> GSet(s, [Permutation.from_cycles("(1 2 3)(4 5 6)", 6)]).h
    6
    >>> GSet(s, [Permutation.from_cycles("(1 2)", 2)])
    Traceback (most recent call last):
    ...
    ValueError: the images do not define an action of the group: the words 'g1 g1 g1' and '()' (g_j = generator j, applied right to left) give the same element of the group but act on the hidden units as (1 2) and (); give images that satisfy the group's relations
    """

    group: PermutationGroup
    images: tuple[Permutation, ...]
    name: str = ""

    def __init__(self, group: Any, images: Sequence[Any], name: str = "", *, _action: bool = False) -> None:
        G = _as_group(group)
        if isinstance(images, (str, bytes)) or not isinstance(images, Sequence):
            raise ValueError("images must be a sequence with one permutation per generator of the group")
        if len(images) != len(G.generators):
            raise ValueError(f"the group has {len(G.generators)} generators; give one image for each, got "
                             f"{len(images)}")
        perms = tuple(_permutation(p, f"image {j + 1}") for j, p in enumerate(images))
        sizes = {p.n for p in perms}
        if len(sizes) != 1:
            raise ValueError(f"every image must permute the same number of units, got sizes {sorted(sizes)}")
        object.__setattr__(self, "group", G)
        object.__setattr__(self, "images", perms)
        object.__setattr__(self, "name", str(name))
        if not _action:                      # (the constructors below build actions by construction)
            self._pairs()

    # -- constructors ------------------------------------------------------------------------------------
    @classmethod
    def of(cls, group: Any) -> GSet:
        """The input action itself: ``G`` on its ``n`` points."""
        G = _as_group(group)
        return cls(G, list(G.generators), "input", _action=True)

    @classmethod
    def channels(cls, group: Any, K: int) -> GSet:
        """``K`` copies of the input action (``K`` channels, as in a convolutional network): unit
        ``c n + p`` is point ``p`` of channel ``c``."""
        G = _as_group(group)
        K = check_int(K, "K", 1)
        n = G.n
        images = [np.concatenate([c * n + g.array for c in range(K)]) for g in G.generators]
        return cls(G, images, f"{K} channels", _action=True)

    @classmethod
    def regular(cls, group: Any) -> GSet:
        """The regular action: ``G`` on itself by left multiplication (``|G|`` units, small groups)."""
        G = _as_group(group)
        elements = _elements(G, "the regular action")
        index = {g: i for i, g in enumerate(elements)}
        images = [np.array([index[s * g] for g in elements]) for s in G.generators]
        return cls(G, images, "regular", _action=True)

    @classmethod
    def cosets(cls, group: Any, subgroup: Sequence[Any]) -> GSet:
        """``G`` on the left cosets ``G/H`` of the subgroup ``H`` generated by ``subgroup`` (permutations,
        or cycle strings, of the same ``n`` points; each must lie in ``G``)."""
        G = _as_group(group)
        if isinstance(subgroup, (str, Permutation)) or not isinstance(subgroup, Sequence):
            raise ValueError("subgroup must be a sequence of generators (permutations or cycle strings)")
        gens = [Permutation.from_cycles(h, G.n) if isinstance(h, str) else _permutation(h, "a subgroup generator")
                for h in subgroup]
        elements = _elements(G, "the coset action")
        members = set(elements)
        for h in gens:
            if h.n != G.n or h not in members:
                raise ValueError(f"the subgroup generator {h} is not an element of the group")
        H = list(PermutationGroup(gens).elements(limit=ELEMENT_LIMIT)) if gens else [Permutation.identity(G.n)]
        coset_of: dict[Permutation, int] = {}
        for g in elements:                       # cosets gH numbered in order of first appearance
            if g not in coset_of:
                c = len(set(coset_of.values()))
                for h in H:
                    coset_of[g * h] = c
        count = len(set(coset_of.values()))
        representative = {}
        for g in elements:
            representative.setdefault(coset_of[g], g)
        images = [np.array([coset_of[s * representative[c]] for c in range(count)]) for s in G.generators]
        return cls(G, images, f"G/H, |H| = {len(H)}", _action=True)

    @classmethod
    def union(cls, sets: Sequence[GSet]) -> GSet:
        """The disjoint union of G-sets of one group (units of the first, then of the second, ...)."""
        if not sets or not all(isinstance(x, GSet) for x in sets):
            raise ValueError("union needs a non-empty sequence of GSet")
        G = sets[0].group
        if any(x.group != G for x in sets):
            raise ValueError("the G-sets of a union must belong to one group")
        offsets = np.cumsum([0] + [x.h for x in sets])
        images = [np.concatenate([x.images[j].array + offsets[k] for k, x in enumerate(sets)])
                  for j in range(len(G.generators))]
        names: dict[str, int] = {}
        for x in sets:
            key = x.name or f"{x.h} units"
            names[key] = names.get(key, 0) + 1
        return cls(G, images, " + ".join(key if c == 1 else f"{c} x ({key})" for key, c in names.items()),
                   _action=True)

    # -- structure -------------------------------------------------------------------------------------
    @property
    def h(self) -> int:
        """Number of hidden units."""
        return self.images[0].n

    def _pairs(self) -> list[tuple[Permutation, Permutation]]:
        """Every element of ``G`` with its action on the units (computed once). The diagonal action on
        ``n + h`` points has as many elements as ``G`` iff the images satisfy every relation of the
        generators (the projection to ``G`` is then injective): a second action of an element is
        refused, naming the two words that reach it."""
        cached = self.__dict__.get("_pairs_cache")
        if cached is not None:
            return cached
        G, images = self.group, self.images
        seen: dict[Permutation, tuple[Permutation, str]] = {}
        identity = Permutation.identity(G.n)
        frontier = [(identity, Permutation.identity(self.h), "()")]
        seen[identity] = (frontier[0][1], "()")
        while frontier:
            nxt = []
            for g, t, word in frontier:
                for j, (s, u) in enumerate(zip(G.generators, images)):
                    gs, tu, w = s * g, u * t, f"g{j + 1}" if word == "()" else f"g{j + 1} {word}"
                    if gs in seen:
                        if seen[gs][0] != tu:
                            raise ValueError(
                                f"the images do not define an action of the group: the words {_short(w)} and "
                                f"{_short(seen[gs][1])} (g_j = generator j, applied right to left) give the same "
                                f"element of the group but act on the hidden units as {tu} and {seen[gs][0]}; "
                                "give images that satisfy the group's relations")
                        continue
                    if len(seen) >= ELEMENT_LIMIT:
                        raise ValueError(f"checking that the images define an action enumerates the group, "
                                         f"which has more than {ELEMENT_LIMIT:,} elements")
                    seen[gs] = (tu, w)
                    nxt.append((gs, tu, w))
            frontier = nxt
        pairs = [(g, t) for g, (t, _) in seen.items()]
        object.__setattr__(self, "_pairs_cache", pairs)
        return pairs

    def fixed_points(self) -> list[tuple[Permutation, int]]:
        """Every element of ``G`` (on the input points) with the number of hidden units it fixes."""
        return [(g, int((t.array == np.arange(self.h)).sum())) for g, t in self._pairs()]

    def orbitals(self, other: GSet) -> tuple[int, NDArray[np.int64]]:
        """Orbits of ``G`` on pairs (unit of ``self``, unit of ``other``): their number and the label of
        every pair (``h_self x h_other``); an equivariant map ``R^other -> R^self`` is constant on each."""
        if other.group != self.group:
            raise ValueError("the two G-sets belong to different groups")
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        a, b = self.h, other.h
        pairs = np.arange(a * b).reshape(a, b)
        rows, cols = [], []
        for s, t in zip(self.images, other.images):
            rows.append(pairs.ravel())
            cols.append(pairs[np.ix_(s.array, t.array)].ravel())
        r, c = np.concatenate(rows), np.concatenate(cols)
        graph = coo_matrix((np.ones(r.size, dtype=np.int8), (r, c)), shape=(a * b, a * b))
        count, labels = connected_components(graph, directed=True, connection="weak")
        return int(count), labels.reshape(a, b).astype(np.int64)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GSet):
            return NotImplemented
        return self.group == other.group and self.images == other.images

    def __hash__(self) -> int:
        return hash((self.group, self.images))

    def __repr__(self) -> str:
        what = f" ({self.name})" if self.name else ""
        return f"GSet(h={self.h}{what})"


def _short(word: str) -> str:
    return repr(word if len(word) <= 60 else word[:57] + "...")


@dataclass(frozen=True)
class LinearLayer:
    """A hidden representation given by its multiplicities ``{label: m}`` over the blocks of the input
    (the others 0): ``sum_i m_i V_i``, of real dimension ``sum_i m_i delta_i``.

    Examples
    --------
    >>> LinearLayer({"r_{1,1}": 2, "r_{4,3}": 1}).multiplicities
    Ranks('r_{1,1}=2 r_{4,3}=1')
    """

    multiplicities: Ranks

    def __init__(self, multiplicities: Mapping[Any, int] | str) -> None:
        object.__setattr__(self, "multiplicities", Ranks(multiplicities))


Hidden = Union[GSet, LinearLayer]


# -- the network ------------------------------------------------------------------------------------
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
    def dim(self) -> int:
        return sum(b.dim_of(k) for b, k in zip(self.blocks, self._values))

    @property
    def degree(self) -> int:
        return math.prod(b.degree_of(k) for b, k in zip(self.blocks, self._values))

    @property
    def ed_degree(self) -> int:
        return math.prod(b.ed_degree_of(k) for b, k in zip(self.blocks, self._values))

    @property
    def max_rank(self) -> int:
        """The largest rank of a map in the space: ``sum_i delta_i b_i``."""
        return sum(b.weight * k for b, k in zip(self.blocks, self._values))

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
        The block decomposition (:class:`equilin.equivariant.EquivariantVariety`).

    Attributes
    ----------
    variety : EquivariantVariety
        Of the input, ``r = n``: its blocks index the multiplicities.
    multiplicities : tuple of tuple of int
        ``m_{l,i}`` per hidden layer and input block (exact: characters).
    """

    def __init__(self, group: Any, hidden: Sequence[Hidden | Mapping[Any, int]], *, method: str = "auto",
                 seed: int = 0) -> None:
        self.group = _as_group(group)
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
        for j, g in enumerate(self.group.generators):
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
            return (labels[None] == np.arange(count)[:, None, None]).astype(np.float64)
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


def gapped_rank(values: NDArray[np.float64], rtol: float, gap: float, advice: str) -> int:
    """The number of singular values (decreasing) above ``rtol`` times the largest, refused unless the
    last kept one exceeds the next by the factor ``gap`` (a numerical rank must be clear)."""
    if values.size == 0 or values[0] == 0:
        return 0
    rank = int((values > rtol * values[0]).sum())
    if rank < values.size and values[rank - 1] < gap * values[rank]:
        raise RuntimeError(f"no clear rank gap: singular values {values[rank - 1]:.3g} and {values[rank]:.3g}; "
                           f"{advice}")
    return rank


def _chain(mats: Sequence[NDArray[np.float64]], size: int) -> NDArray[np.float64]:
    """``mats[-1] @ ... @ mats[0]`` (the identity of ``size`` when empty)."""
    out = np.eye(size) if not mats else mats[0]
    for M in mats[1:]:
        out = M @ out
    return out


def _copies(variety: EquivariantVariety) -> list[tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """Per block one copy of its irreducible: the points of one orbit and the ``delta`` orthonormal columns
    of the copy on them. The Fourier path has no orbit-wise basis: the generic one is used (same blocks)."""
    source = variety
    if variety.method == "fourier":
        source = EquivariantVariety(variety.group, 0, method="generic")
        if source.labels != variety.labels:
            raise RuntimeError("internal error: the generic blocks of a cyclic group differ from the talk's")
    out = []
    bases = source.decomposition.orbit_type_bases()
    for i, b in enumerate(source.blocks):
        for points, basis, splits in bases:
            if splits[i + 1] > splits[i]:
                out.append((points[0], basis[:, splits[i]:splits[i] + b.weight]))
                break
    return out


def multiplicities(variety: EquivariantVariety, gset: GSet) -> tuple[int, ...]:
    """The multiplicity in ``gset`` of every irreducible of ``variety`` (in block order), exactly.

    A cyclic group: ``m_{l,m}`` = the number of cycles of the generator's image whose length ``l``
    divides (the eigenvalue ``exp(2 pi i m / l)`` occurs once on each). Otherwise by characters,
    ``<chi_H, chi_i> / <chi_i, chi_i>``, ``chi_i`` read from one copy of ``V_i`` in the decomposition.

    Examples
    --------
    >>> from equilin.groups import PermutationGroup
    >>> Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
    >>> multiplicities(EquivariantVariety(Q8, 0), GSet.cosets(Q8, ["(1 2)(3 4)(5 6)(7 8)"]))
    (1, 1, 1, 1, 0)
    """
    if gset.group != variety.group:
        raise ValueError("the G-set belongs to another group than the variety")
    blocks = variety.blocks
    if variety.method == "fourier":
        sigma = variety.sigma
        assert sigma is not None
        tau = gset.images[variety.group.generators.index(sigma)]
        lengths = [len(c) for c in tau.cycles] + [1] * (tau.n - sum(len(c) for c in tau.cycles))
        return tuple(sum(1 for L in lengths if L % b.l == 0) for b in blocks)
    chars = _characters(variety)
    fixed = gset.fixed_points()
    order = len(fixed)
    out = []
    for b, chi in zip(blocks, chars):
        inner = sum(f * chi[g] for g, f in fixed) / order
        m = inner / b.field_dim
        if abs(m - round(m)) > 1e-6:
            raise RuntimeError(f"internal error: a multiplicity of {b.label} is not an integer ({m})")
        out.append(int(round(m)))
    return tuple(out)


def _characters(variety: EquivariantVariety) -> list[dict[Permutation, float]]:
    """``chi_i(g)`` for every element ``g`` and block ``i``, from one copy of ``V_i`` inside one orbit."""
    elements = _elements(variety.group, "the characters of the irreducibles")
    out = []
    for orbit, C in _copies(variety):
        out.append({g: float(np.trace(C.T @ g.matrix()[np.ix_(orbit, orbit)] @ C)) for g in elements})
    return out


# -- design in reverse -----------------------------------------------------------------------------
@dataclass(frozen=True)
class OrbitType:
    """A transitive G-set ``G/H`` (up to isomorphism): the subgroup's generators, its index (the number of
    units) and the multiplicity of every block of the input in it."""

    subgroup: tuple[Permutation, ...]
    size: int
    multiplicities: tuple[int, ...]
    gset: GSet = field(repr=False, compare=False)


def orbit_types(variety: EquivariantVariety, max_generators: int = 2) -> list[OrbitType]:
    """The transitive G-sets ``G/H`` for the subgroups ``H`` generated by at most ``max_generators``
    elements, one per conjugacy class, by increasing size. For a cyclic group these are all of them (its
    subgroups are cyclic: one ``G/<sigma^d>``, a ``d``-cycle, per divisor ``d`` of the order); for
    others every subgroup that needs more generators is missing (all subgroups of the dihedral,
    quaternion and symmetric groups on a few points, and of products of two cyclic groups, need at
    most 2).

    Examples
    --------
    >>> from equilin.groups import Permutation
    >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 0)
    >>> [(t.size, t.multiplicities) for t in orbit_types(E)]
    [(1, (1, 0, 0)), (2, (1, 0, 1)), (4, (1, 1, 1))]
    """
    G = variety.group
    elements = _elements(G, "the orbit types")
    if len(elements) > 2000:
        raise ValueError(f"the orbit types enumerate subgroups, and this group has {len(elements):,} elements "
                         "(at most 2,000)")
    sigma = G.cyclic_generator()
    if sigma is not None:
        order = sigma.order
        candidates = [(sigma ** (order // d),) for d in sorted(_divisors(order))]
    else:
        candidates = [(g,) for g in elements]
        if max_generators >= 2:
            candidates += [(g, h) for i, g in enumerate(elements) for h in elements[i + 1:]]
    seen: set[frozenset[Permutation]] = set()
    classes: list[tuple[tuple[Permutation, ...], frozenset[Permutation]]] = []
    for gens in candidates:
        members = frozenset(PermutationGroup(list(gens)).elements(limit=ELEMENT_LIMIT))
        if members in seen:
            continue
        for g in elements:                             # the whole conjugacy class is seen from now on
            seen.add(frozenset(g * h * g.inverse() for h in members))
        classes.append((gens, members))
    out = []
    for gens, members in classes:
        gset = GSet.cosets(G, [h for h in gens if not h.is_identity()])
        out.append(OrbitType(gens, gset.h, multiplicities(variety, gset), gset))
    out.sort(key=lambda t: (t.size, t.multiplicities))
    return out


def _divisors(N: int) -> list[int]:
    return [d for d in range(1, N + 1) if N % d == 0]


def smallest_gset(variety: EquivariantVariety, ranks: Any, max_generators: int = 2) -> tuple[GSet, dict[int, int]]:
    """The smallest G-set (fewest units) whose multiplicities dominate ``ranks`` (a component's block
    ranks): a permuted hidden layer through which that component is realized, by an exact integer
    program over the orbit types (:func:`orbit_types`): minimize ``sum_t c_t |G/H_t|`` subject to
    ``sum_t c_t m_i(G/H_t) >= b_i``, ``c_t >= 0`` integers. Returns the G-set and ``{size: count}`` of
    the orbits it uses.

    Examples
    --------
    >>> from equilin.groups import Permutation
    >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
    >>> H, counts = smallest_gset(E, (1, 1, 0))
    >>> H.h, counts
    (4, {4: 1})
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    full = variety if variety.rank >= variety.n else EquivariantVariety(variety.group, variety.n, method=variety.method)
    b = np.array(full.parse_ranks(ranks), dtype=np.float64)
    types = orbit_types(variety, max_generators)
    M = np.array([t.multiplicities for t in types], dtype=np.float64).T      # blocks x types
    sizes = np.array([t.size for t in types], dtype=np.float64)
    if not b.any():
        raise ValueError("all ranks are 0: no hidden unit is needed")
    result = milp(sizes, constraints=LinearConstraint(M, lb=b, ub=np.inf), integrality=np.ones(len(types)),
                  bounds=Bounds(0, np.inf))
    if result.x is None:
        raise RuntimeError(f"internal error: the integer program failed ({result.message})")
    counts = np.round(result.x).astype(np.int64)
    if (M @ counts < b).any():
        raise RuntimeError("internal error: the integer program's solution does not dominate the ranks")
    parts = [t.gset for t, c in zip(types, counts.tolist()) for _ in range(c)]
    summary: dict[int, int] = {}
    for t, c in zip(types, counts.tolist()):
        if c:
            summary[t.size] = summary.get(t.size, 0) + c
    return GSet.union(parts), summary
