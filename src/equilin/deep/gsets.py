"""The hidden layers of a deep equivariant linear network: G-sets (permuted neurons) and linear layers.

* :class:`GSet` -- permuted neurons: ``G`` acts on ``h`` hidden units (``K`` channels of the input
  action, the regular action, the cosets ``G/H`` of a subgroup, or any action given by the images of
  the generators, checked to be a homomorphism). An equivariant map between two G-sets is constant on
  the orbits of ``G`` on pairs of units (weight sharing, :meth:`GSet.orbitals`), so a permutation layer
  has one parameter per orbital. How often each irreducible of the input occurs in a G-set is
  :func:`equilin.deep.multiplicities`.
* :class:`LinearLayer` -- a representation given by its multiplicities per block of the input (the
  talk's bottleneck is one: ``m_{1,i}`` = the component's ranks).

``Hidden`` is either kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance import Ranks
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import check_int

__all__ = ["ELEMENT_LIMIT", "GSet", "Hidden", "LinearLayer"]

ELEMENT_LIMIT = 100_000
"""Largest group whose elements are enumerated (homomorphism checks, characters, regular actions)."""


def _permutation(value: Any, where: str) -> Permutation:
    if isinstance(value, Permutation):
        return value
    try:
        return Permutation(np.asarray(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} must be a Permutation or an array of images 0..h-1: {exc}") from None


def _elements(group: PermutationGroup, what: str) -> list[Permutation]:
    return group.element_list(what, limit=ELEMENT_LIMIT)


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
    >>> GSet(s, [Permutation.from_cycles("(1 2)", 2)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the images do not define an action of the group: the words 'g1 g1 g1' and '()' (g_j ...
    """

    group: PermutationGroup
    images: tuple[Permutation, ...]
    name: str = ""

    def __init__(self, group: Any, images: Sequence[Any], name: str = "", *, _action: bool = False) -> None:
        G = as_group(group)
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
        G = as_group(group)
        return cls(G, list(G.generators), "input", _action=True)

    @classmethod
    def channels(cls, group: Any, K: int) -> GSet:
        """``K`` copies of the input action (``K`` channels, as in a convolutional network): unit
        ``c n + p`` is point ``p`` of channel ``c``."""
        G = as_group(group)
        K = check_int(K, "K", 1)
        n = G.n
        images = [np.concatenate([c * n + g.array for c in range(K)]) for g in G.generators]
        return cls(G, images, f"{K} channels", _action=True)

    @classmethod
    def regular(cls, group: Any) -> GSet:
        """The regular action: ``G`` on itself by left multiplication (``|G|`` units, small groups)."""
        G = as_group(group)
        elements = _elements(G, "the regular action")
        index = {g: i for i, g in enumerate(elements)}
        images = [np.array([index[s * g] for g in elements]) for s in G.generators]
        return cls(G, images, "regular", _action=True)

    @classmethod
    def cosets(cls, group: Any, subgroup: Sequence[Any]) -> GSet:
        """``G`` on the left cosets ``G/H`` of the subgroup ``H`` generated by ``subgroup`` (permutations,
        or cycle strings, of the same ``n`` points; each must lie in ``G``)."""
        G = as_group(group)
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
        representative: dict[int, Permutation] = {}
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
        cached: list[tuple[Permutation, Permutation]] | None = self.__dict__.get("_pairs_cache")
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


Hidden: TypeAlias = GSet | LinearLayer
"""A hidden layer: permuted neurons or a representation given by its multiplicities."""
