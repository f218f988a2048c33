"""Orbits and orbit types of a permutation group, computed combinatorially (no floating point).

A permutation group ``G`` on ``{0..n-1}`` splits the points into orbits; every orbit is a *transitive
G-set*, and two orbits are *of the same type* when they are isomorphic as G-sets: some bijection between
them commutes with every generator. (Equivalently their point stabilizers are conjugate subgroups.) The
permutation representation ``R^n`` is the direct sum of the ``R^O`` over the orbits ``O``, and isomorphic
orbits give isomorphic summands, so the isotypic decomposition of ``R^n``
(:class:`equilin.equivariance.IsotypicDecomposition`) only needs the decomposition of one representative
orbit per type, replicated over all the orbits of that type through the isomorphisms computed here.

How the types are found. From a base point ``x`` of a transitive G-set, breadth-first search along the
generators (in the given order) numbers the points ``0, 1, 2, ...`` in the order they are reached; the
*table* of ``(O, x)`` is the action of every generator in these numbers (a ``k x |O|`` integer array).
Two pointed transitive G-sets are isomorphic (by an isomorphism taking base point to base point) iff
their tables are equal, and then matching equal numbers *is* the isomorphism. So an orbit ``O`` is of
the type of the representative ``R`` iff the table of ``(O, min O)`` equals the table of ``(R, y)`` for
some ``y in R``: the tables of a representative from all of its points are kept, the table of every
other orbit is computed once. All orbits of one size are searched together (vectorized over orbits).

Representatives and positions are canonical: the types are ordered by their smallest point and each
type's representative is its orbit with the smallest point, whose *positions* are its points in increasing
order. Neither depends on the generators chosen, only on the group.

Examples
--------
>>> from equilin.groups import PermutationGroup
>>> S = OrbitStructure(PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 7))
>>> [(t.size, t.count) for t in S.types]
[(2, 1), (2, 1), (1, 3)]
>>> S.points[2].tolist()    # the three fixed points, one orbit each
[[4], [5], [6]]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from equilin.groups.group import PermutationGroup, as_group
from equilin.groups.permutation import Permutation

__all__ = ["OrbitType", "OrbitStructure", "orbit_labels"]


def orbit_labels(group: PermutationGroup) -> tuple[int, NDArray[np.int64]]:
    """The number of orbits and the orbit of every point, orbits numbered by their smallest point
    (connected components of the graph ``x -> g(x)``; linear in ``n`` times the number of generators).

    Examples
    --------
    >>> orbit_labels(PermutationGroup.from_cycles(["(2 4)"], 4))[1].tolist()
    [0, 1, 2, 1]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = group.n
    points = np.arange(n, dtype=np.int64)
    rows = np.concatenate([points for _ in group.generators])
    cols = np.concatenate([g.array for g in group.generators])
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()
    count, labels = connected_components(graph, directed=True, connection="weak")
    # renumber by smallest point: the first occurrence of each label, in point order
    first = np.full(count, n, dtype=np.int64)
    np.minimum.at(first, labels, points)
    rank = np.empty(count, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(count)
    return int(count), rank[labels]


def _search(local: NDArray[np.int64], bases: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Breadth-first numbering of many transitive G-sets of one size ``s`` at once.

    ``local`` has shape ``(k, c, s)``: ``local[j, r, p]`` is the image of point ``p`` of set ``r`` under
    generator ``j``; ``bases`` has shape ``(c,)``. Returns ``order`` (``(c, s)``: the point numbered ``t``)
    and the table (``(k, c, s)``: generator ``j`` takes the point numbered ``t`` to the one numbered
    ``table[j, r, t]``).
    """
    k, c, s = local.shape
    rows = np.arange(c)
    order = np.full((c, s), -1, dtype=np.int64)
    number = np.full((c, s), -1, dtype=np.int64)
    order[:, 0] = bases
    number[rows, bases] = 0
    found = np.ones(c, dtype=np.int64)
    for t in range(s):
        current = order[:, t]
        if (current < 0).any():
            raise ValueError("internal error: a set handed to the orbit search is not transitive")
        for j in range(k):
            image = local[j, rows, current]
            new = number[rows, image] < 0
            if new.any():
                r = rows[new]
                number[r, image[new]] = found[r]
                order[r, found[r]] = image[new]
                found[r] += 1
    table = np.take_along_axis(number[None], np.take_along_axis(local, order[None], axis=2), axis=2)
    return order, table


@dataclass(frozen=True, eq=False)
class OrbitType:
    """One isomorphism class of orbits (a transitive G-set up to isomorphism).

    Attributes
    ----------
    index : int
        Position in :attr:`OrbitStructure.types` (types ordered by their smallest point).
    size : int
        Number of points of one orbit (the index of a point stabilizer).
    count : int
        Number of orbits of this type.
    actions : ndarray, shape (k, size)
        ``actions[j, p]``: the position to which generator ``j`` moves position ``p`` (positions are the
        representative's points in increasing order).
    """

    index: int
    size: int
    count: int
    actions: NDArray[np.int64]


class OrbitStructure:
    """The orbits of a permutation group sorted into orbit types, each orbit aligned with its type's
    representative.

    Parameters
    ----------
    group : PermutationGroup or Permutation

    Attributes
    ----------
    types : tuple of OrbitType
        Ordered by smallest point.
    points : list of ndarray
        ``points[t]`` has shape ``(count_t, size_t)``: row ``a`` lists the points of the ``a``-th orbit of
        type ``t`` (orbits by smallest point) *aligned* with the representative: the map
        ``points[t][0, p] -> points[t][a, p]`` is an isomorphism of G-sets. Row 0 is the representative,
        in increasing order.

    Examples
    --------
    Rotations of a 3 x 3 image: the centre, the corners, the edge midpoints. Corners and edges are
    orbits of the same size and the same type (both regular orbits of the cyclic group of order 4):

    >>> from equilin.groups import image_rot90
    >>> S = OrbitStructure(image_rot90(3))
    >>> [(t.size, t.count) for t in S.types], S.points[0].tolist()
    ([(4, 2), (1, 1)], [[0, 2, 6, 8], [1, 5, 3, 7]])
    """

    def __init__(self, group: PermutationGroup | Permutation) -> None:
        self.group: PermutationGroup = as_group(group)
        self.n: int = self.group.n
        gens = np.stack([g.array for g in self.group.generators])
        self.orbit_count, labels = orbit_labels(self.group)
        by_orbit = np.argsort(labels, kind="stable")       # points grouped by orbit, increasing inside
        sizes = np.bincount(labels, minlength=self.orbit_count)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        found: list[tuple[int, int, NDArray[np.int64]]] = []  # (smallest point, size, aligned points)
        for s in np.unique(sizes).tolist():
            which = np.flatnonzero(sizes == s)              # orbits of this size, by smallest point
            pts = by_orbit[starts[which][:, None] + np.arange(s)]   # (c, s), increasing in each row
            found.extend(self._types_of_size(gens, pts))
        found.sort(key=lambda item: item[0])
        self.types: tuple[OrbitType, ...] = ()
        self.points: list[NDArray[np.int64]] = []
        types = []
        position = np.empty(self.n, dtype=np.int64)
        for index, (_, size, aligned) in enumerate(found):
            rep = aligned[0]
            position[rep] = np.arange(size)
            types.append(OrbitType(index, size, aligned.shape[0], position[gens[:, rep]]))
            self.points.append(aligned)
        self.types = tuple(types)

    @staticmethod
    def _types_of_size(gens: NDArray[np.int64], pts: NDArray[np.int64]
                       ) -> list[tuple[int, int, NDArray[np.int64]]]:
        c, s = pts.shape
        if c == 1:
            return [(int(pts[0, 0]), s, pts)]
        n = int(gens.shape[1])
        where = np.empty(n, dtype=np.int64)
        where[pts] = np.arange(s)                          # the position of each point inside its orbit
        local = where[gens[:, pts]]                         # (k, c, s)
        order, table = _search(local, np.zeros(c, dtype=np.int64))
        keys = np.ascontiguousarray(table.transpose(1, 0, 2).reshape(c, -1))
        unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        known: dict[bytes, tuple[int, NDArray[np.int64]]] = {}   # table -> (type, positions by number)
        type_of = np.empty(len(unique), dtype=np.int64)
        rep_order = np.empty((len(unique), s), dtype=np.int64)
        reps: list[int] = []
        for u in np.argsort(first).tolist():                # tables in the order of their first orbit
            key = unique[u].tobytes()
            if key not in known:                            # a new type; its first orbit represents it
                r = int(first[u])
                all_orders, all_tables = _search(np.repeat(local[:, r:r + 1], s, axis=1), np.arange(s))
                for y in range(s):
                    known.setdefault(np.ascontiguousarray(all_tables[:, y]).tobytes(),
                                     (len(reps), all_orders[y]))
                reps.append(r)
            type_of[u], rep_order[u] = known[key]
        # the point numbered u in orbit r goes to the representative's position rep_order[u]
        aligned = np.empty((c, s), dtype=np.int64)
        np.put_along_axis(aligned, rep_order[inverse], np.take_along_axis(pts, order, axis=1), axis=1)
        row_type = type_of[inverse]
        return [(int(pts[r, 0]), s, aligned[row_type == t]) for t, r in enumerate(reps)]

    @cached_property
    def representative_size(self) -> int:
        """Total number of points of one representative orbit per type."""
        return sum(t.size for t in self.types)

    def __repr__(self) -> str:
        parts = ", ".join(f"{t.count}x{t.size}" for t in self.types)
        return f"OrbitStructure(n={self.n}, {len(self.types)} orbit types: {parts})"
