"""Translations of a torus combined with a point group: the exact structure of ``T x| P`` on ``T``.

Let some of the given generators generate a group of translations ``T`` (a product of cyclic groups on
grids, :mod:`equilin.groups.abelian`, of equal orders ``N``) acting *regularly* -- one orbit, every point
``t^e p_0`` named by its grid position ``e`` in ``Z_N^k`` -- and let every other generator ``h`` act
*affinely*: ``h(t^e p_0) = t^{M_h e + s_h} p_0`` for an integer matrix ``M_h`` and a shift ``s_h``.
(Rotations by 90 degrees and flips of a torus image with its two translations, ``p4`` and ``p4m``, the
rotations of a cube with the three translations of a volume.) Then ``G = T x| P`` with ``P`` the linear
parts, and ``R^n`` is the space of functions on ``Z_N^k``:

* the Fourier modes ``phi_a(e) = exp(2 pi i <a, e> / N)`` diagonalize ``T``, and ``h`` maps ``phi_a`` to a
  multiple of ``phi_{M_h^{-T} a}``: the point group permutes the frequencies;
* for a ``P``-orbit ``O`` of frequencies the span of ``{phi_b : b in O}`` is an irreducible
  representation of ``G`` over ``C`` (Mackey's criterion: it is induced from ``chi_a`` times the trivial
  representation of the stabilizer), of multiplicity one in ``R^n`` (``T`` is regular);
* over ``R``: when ``-a`` lies in ``O`` the real span of these modes is a real irreducible of *real*
  type and dimension ``|O|``; otherwise ``O`` and ``-O`` together give one of *complex* type and
  dimension ``2 |O|``;
* so the commutant is ``R`` or ``C`` per block, its dimension the number of ``P``-orbits on ``Z_N^k``
  (the orbitals of ``G``), and every equivariant linear map is a Fourier multiplier constant on the
  frequency orbits.

A block is named after the smallest frequency vector of its orbit (``O`` together with ``-O``),
``r_{[(a_1,...,a_k)]}``, and blocks are ordered by it. The orbit-wise decomposition of the same group
identifies its blocks by the frequencies on which the translations act and uses the same names.

Examples
--------
>>> from equilin.groups import image_group
>>> S = TorusStructure.of(image_group("p4m", 4, 4))
>>> S.translations, S.labels[:4], S.kinds[:4], S.dims[:4]
((0, 1), ('r_{[(0,0)]}', 'r_{[(0,1)]}', 'r_{[(0,2)]}', 'r_{[(1,1)]}'), ('real', 'real', 'real', 'real'), (1, 4, 2, 4))
>>> S.commutant_dim, sum(S.dims)
(6, 16)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from equilin.groups.abelian import AbelianStructure
from equilin.groups.group import PermutationGroup, as_group
from equilin.groups.orbits import orbit_labels
from equilin.groups.permutation import Permutation

__all__ = ["TorusStructure"]


def _components(n: int, edges: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    """Connected components of ``{0..n-1}`` under the maps ``x -> edges[i][x]``, numbered by their
    smallest element."""
    return orbit_labels(PermutationGroup([Permutation(e) for e in edges]))[1]


class TorusStructure:
    """``G = T x| P`` acting on a torus ``Z_N^k`` (module docstring); build it with :meth:`of`.

    Attributes
    ----------
    translations : tuple of int
        Positions (0-based) of the given generators that generate ``T``.
    grid : ndarray, shape (N,) * k
        The point at every grid position (``grid[e] = t^e p_0``).
    linear : list of ndarray
        ``M_h`` (``k x k`` integers modulo ``N``) for every other generator, in order.
    frequencies : ndarray, shape (B, k)
        The smallest frequency vector of every block's orbit, in block order.
    kinds, dims, labels
        Per block: ``"real"`` or ``"complex"``, the dimension of the real irreducible, the label.
    commutant_dim : int
        Orbitals of ``G``: the number of ``P``-orbits on ``Z_N^k``, counted on positions independently
        of the frequencies (and checked to equal ``sum_b dim_R(D_b)``).
    members : list of ndarray
        Per block the frequency vectors of its orbit ``O`` (for a complex block: ``O`` without ``-O``,
        the orbit of :attr:`frequencies`), as flat indices into ``Z_N^k``.
    shifts : list of ndarray
        ``s_h`` (grid coordinates modulo ``N``) for every other generator: ``h(t^e p_0) = t^{M_h e + s_h} p_0``.
    characters : tuple of tuple of float
        Per block the trace of every given generator on the block's real irreducible.
    """

    def __init__(self, group: PermutationGroup, translations: tuple[int, ...], abelian: AbelianStructure) -> None:
        self.group = group
        self.translations = translations
        (N,) = set(abelian.orders)
        k = len(abelian.orders)
        n = group.n
        self.N, self.k = N, k
        self.grid: NDArray[np.int64] = abelian.grids[0][0]
        position = np.empty(n, dtype=np.int64)
        position[self.grid.ravel()] = np.arange(n)
        coords = np.array(np.unravel_index(np.arange(n), (N,) * k)).T          # (n, k): e of every position
        self.linear: list[NDArray[np.int64]] = []
        self.shifts: list[NDArray[np.int64]] = []
        dual = []
        for j, h in enumerate(group.generators):
            if j in translations:
                continue
            image = np.array(np.unravel_index(position[h.array[self.grid.ravel()]], (N,) * k)).T
            shift = image[0]                                                     # h(p_0) = t^s p_0
            M = (image[np.ravel_multi_index(tuple(np.eye(k, dtype=np.int64).T), (N,) * k)] - shift).T % N
            if not np.array_equal((coords @ M.T + shift) % N, image):
                raise ValueError(f"generator {j + 1} is not affine on the torus of the translations")
            self.linear.append(M)
            self.shifts.append(shift % N)
            dual.append(np.ravel_multi_index(tuple(((coords @ M) % N).T), (N,) * k))   # a -> M^T a
        negate = np.ravel_multi_index(tuple(((-coords) % N).T), (N,) * k)
        for d in dual:
            if np.unique(d).size != n:
                raise ValueError("a generator's linear part is not invertible modulo the translations' order")
        P_orbit = _components(n, dual) if dual else np.arange(n)
        pair = _components(n, dual + [negate])
        self.commutant_dim: int = int(np.unique(_components(n, [
            np.ravel_multi_index(tuple(((coords @ M.T) % N).T), (N,) * k) for M in self.linear])).size)
        count = int(pair.max()) + 1                  # components numbered by their smallest element
        smallest = np.full(count, n, dtype=np.int64)
        np.minimum.at(smallest, pair, np.arange(n, dtype=np.int64))
        self.frequencies: NDArray[np.int64] = coords[smallest]
        orbits_in_pair = np.bincount(np.unique(np.stack([pair, P_orbit]), axis=1)[0], minlength=count)
        self.kinds: tuple[str, ...] = tuple("real" if c == 1 else "complex" for c in orbits_in_pair.tolist())
        self.dims: tuple[int, ...] = tuple(int(d) for d in np.bincount(pair, minlength=count).tolist())
        self.labels: tuple[str, ...] = tuple("r_{[(" + ",".join(map(str, a)) + ")]}"
                                             for a in self.frequencies.tolist())
        order = np.argsort(P_orbit, kind="stable")
        starts = np.searchsorted(P_orbit[order], P_orbit[smallest])
        ends = np.searchsorted(P_orbit[order], P_orbit[smallest], side="right")
        self.members: list[NDArray[np.int64]] = [order[a:z] for a, z in zip(starts.tolist(), ends.tolist())]
        self._block_of = pair
        self.characters: tuple[tuple[float, ...], ...] = self._characters(coords, dual)

    def _characters(self, coords: NDArray[np.int64], dual: list[NDArray[np.int64]]) -> tuple[tuple[float, ...], ...]:
        """Per block the trace of every given generator on its real irreducible ``V``. A generator acting
        by ``e -> M e + s`` maps the mode ``phi_b`` to ``exp(-2 pi i b.s / N) phi_{M^-T b}``, so its trace on
        the span of ``O`` sums that phase over the frequencies of ``O`` that ``M^T`` fixes; ``V`` is that
        span (real type) or the real form of ``span(O) + span(-O)`` (complex type: twice the real part)."""
        n, N, k = self.group.n, self.N, self.k
        owner = np.full(n, -1, dtype=np.int64)
        for b, members in enumerate(self.members):
            owner[members] = b
        inside = owner >= 0
        count = len(self.members)
        unit = np.eye(k, dtype=np.int64)
        others = iter(zip(self.shifts, dual))
        columns = []
        for j in range(len(self.group.generators)):
            if j in self.translations:
                shift, fixed = unit[self.translations.index(j)], np.ones(n, dtype=bool)
            else:
                shift, image = next(others)
                fixed = image == np.arange(n)
            phase = np.exp(-2j * np.pi * ((coords @ shift) % N) / N) * fixed
            trace = (np.bincount(owner[inside], weights=phase.real[inside], minlength=count)
                     + 1j * np.bincount(owner[inside], weights=phase.imag[inside], minlength=count))
            columns.append(np.where(np.array(self.kinds) == "real", trace.real, 2 * trace.real))
        values = np.round(np.stack(columns, axis=1), 9) + 0.0 if columns else np.zeros((count, 0))
        return tuple(tuple(float(x) for x in row) for row in values)

    @classmethod
    def of(cls, group: PermutationGroup) -> TorusStructure | None:
        """The structure, or ``None`` when ``group`` is not translations of one torus with affine other
        generators (computed once per group: the last few are cached)."""
        return _structure(as_group(group))

    def block_of(self, frequency: tuple[int, ...]) -> int:
        """The block (0-based) whose orbit contains ``frequency``."""
        return int(self._block_of[np.ravel_multi_index(tuple(np.asarray(frequency) % self.N), (self.N,) * self.k)])

    def __repr__(self) -> str:
        return (f"TorusStructure(n={self.group.n}, translations {self.translations}, "
                f"{len(self.linear)} point-group generators, {len(self.labels)} blocks)")


@lru_cache(maxsize=16)
def _structure(group: PermutationGroup) -> TorusStructure | None:
    gens = group.generators
    chosen: list[int] = []
    for j, g in enumerate(gens):      # the given generators that commute with the ones chosen so far
        if all(np.array_equal(g.array[gens[i].array], gens[i].array[g.array]) for i in chosen):
            chosen.append(j)
    if len(chosen) == len(gens):
        return None                    # abelian: equilin.groups.abelian
    abelian = AbelianStructure.of(PermutationGroup([gens[j] for j in chosen]))
    if abelian is None or len(abelian.grids) != 1 or abelian.grids[0].shape[0] != 1 \
            or len(set(abelian.orders)) != 1:
        return None                    # not one torus of equal sides, regular
    translations = tuple(chosen[j] for j in abelian.generators)
    try:
        S = TorusStructure(group, translations, abelian)
    except ValueError:
        return None
    field = sum(1 if kind == "real" else 2 for kind in S.kinds)
    if field != S.commutant_dim:
        raise RuntimeError("internal error: the frequency orbits disagree with the orbitals")
    return S
