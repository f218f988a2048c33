"""Equivariant linear maps of bounded rank under a cyclic group: the variety ``E^sigma_{r, n x n}``.

``docs/math.md`` section 4. An ``n x n`` matrix ``M`` is equivariant under ``G = <sigma>`` when
``M P_sigma = P_sigma M``. After the real orthogonal change of basis ``Q_sigma`` (a real DFT along every
cycle) ``P_sigma`` is block diagonal and so is every matrix that commutes with it; the variety of such
matrices of rank ``<= r`` is a union of products of determinantal varieties, one per *maximal* rank tuple.

Conventions
-----------
*Spectrum.* ``d_l`` is the number of cycles whose length is divisible by ``l``.

*Blocks* (:class:`Block`), in the talk's order: ``(1, 1)`` (eigenvalue 1, real, size ``d_1``); then the
complex blocks ``(l, m)`` with ``l >= 3``, ``gcd(m, l) = 1``, ``1/2 < m/l < 1``, by decreasing ``m/l``
(for a 28-cycle: ``r_{28,27}, r_{14,13}, r_{28,25}, r_{7,6}, ...``, spatial frequency 1, 2, 3, 4, ...);
then ``(2, 1)`` (eigenvalue -1, real, size ``d_2``) last. A block of size 0 is omitted. A real block has
rank weight 1, a complex block weight 2 (complex rank ``s`` is real rank ``2 s``).

*Copies inside a block.* The ``d_l`` copies of block ``(l, m)`` are the cycles whose length ``L`` is
divisible by ``l``, ordered by ``L`` (increasing), then by their smallest element. A cycle is read from
its smallest element ``c_0``, with ``c_{k+1} = sigma(c_k)``.

*The basis* ``Q = Q_sigma`` (columns, block by block, copy by copy). For a cycle ``c_0..c_{L-1}``:

* block ``(1, 1)``: the constant vector ``1/sqrt(L)`` on the cycle;
* block ``(2, 1)`` (even ``L``): the alternating vector ``(-1)^k / sqrt(L)`` at ``c_k``;
* block ``(l, m)``, complex: with ``theta = 2 pi m / l``, the pair
  ``cos_k = sqrt(2/L) cos(theta k)``, ``sin_k = sqrt(2/L) sin(theta k)`` at ``c_k``, interleaved per copy
  (``cos_1, sin_1, cos_2, sin_2, ...``).

With these signs ``Q^T P_sigma Q`` is ``I_{d_1}``, then ``I_{d_l} (x) rotation(2 pi m / l)`` for every
complex block (``rotation(t) = [[cos t, -sin t], [sin t, cos t]]``; this is MATH's
``rotation (x) I_{d_l}`` up to the interleaved order), then ``-I_{d_2}``. The matrices commuting with
``I_d (x) rotation`` are exactly the realizations ``R(Z)`` of complex ``d x d`` matrices
(:func:`equilin.determinantal.realize`).

*Block coordinates* (:meth:`EquivariantVariety.to_blocks`). A vector ``x`` has real coordinate
``y = <x, q>`` on every real-block column ``q``, and on every complex copy the complex coordinate
``w = <x, cos> + i <x, sin>``; then ``||x||^2 = sum y^2 + sum |w|^2``, and a commuting matrix whose
block is ``R(Z)`` maps ``w`` to ``Z w`` (for a batch of row vectors ``W``: ``W -> W @ Z.T``). In terms
of the DFT along a cycle, ``w = sqrt(2/L) * rfft(x on the cycle)[j]`` with spatial frequency
``j = (l - m) L / l``.

*Components.* A tuple ``(r_b)`` with ``0 <= r_b <= d_b`` and weighted sum ``sum_b w_b r_b <= r`` gives
a component iff it is maximal (no ``r_b`` can be raised by one within the budget). With slack
``s = r - sum``: ``s = 0`` ("rank r", the components the talk counts), ``s = 1`` when every real block is
full ("rank r-1"), larger slack only when every block is full (then ``r >= n`` and the component is the
whole commutant). Every rank tuple printed or returned carries its block labels.

*ED degree of* ``E_r``. The library follows the talk: :attr:`EquivariantVariety.ed_degree` is the sum
of the ED degrees of the real components listed here (the ED degree of the real algebraic set's Zariski
closure); the complex variety cut out by the same equations has more components (docs/math.md section 4).

All counts, degrees and dimensions are exact Python ints.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.groups import AbelianStructure
from equilin.equivariance.grid_fourier import AbelianFourierDecomposition
from equilin.groups import TorusStructure
from equilin.equivariance.torus_fourier import TorusFourierDecomposition
from equilin.geometry import DeterminantalVariety, ProductVariety, Variety, VarietyUnion, realize
from equilin.equivariance.blocks import Block, BlockStructure, Ranks
from equilin.geometry import COMPLEX, QUATERNIONIC, REAL
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.equivariance.isotypic import (
    BlockOperator,
    IsotypicDecomposition,
    adjoint_basis,
    field_units,
    quaternion_to_complex,
)
from equilin.validation import as_generator, check_int

__all__ = [
    "Block",
    "ComponentCount",
    "WeightSharing",
    "spectrum",
    "blocks_of",
    "count_components",
    "best_ranks",
    "FourierLayout",
    "CycleGroup",
    "EquivariantVariety",
    "EquivariantComponent",
    "DENSE_Q_LIMIT",
    "COUNT_MAX_R",
]

DENSE_Q_LIMIT = 4096
_SQRT2 = math.sqrt(2.0)
_CHUNK_ELEMENTS = 1 << 18  # float64 entries gathered per FFT call (2 MiB buffer)


# -- blocks ------------------------------------------------------------------------------------
class CycleGroup(NamedTuple):
    """The cycles of one length ``L``: ``index`` is a ``count x L`` array of 0-based positions."""

    length: int
    index: NDArray[np.int64]


class FourierLayout(NamedTuple):
    """See :meth:`EquivariantVariety.fourier_layout`."""

    cycle_groups: list[CycleGroup]
    block_sources: list[list[tuple[int, int]]]


class ComponentCount(NamedTuple):
    """Numbers of irreducible components: all of them, and those containing a rank-``r`` matrix."""

    total: int
    rank_r: int


def _check_cycle_type(cycle_type: Mapping[int, int]) -> dict[int, int]:
    if not isinstance(cycle_type, Mapping):
        raise ValueError(f"cycle type must be a mapping {{length: count}}, got {type(cycle_type).__name__}")
    out: dict[int, int] = {}
    for length, count in cycle_type.items():
        length = check_int(length, "cycle length", 1)
        count = check_int(count, f"number of cycles of length {length}", 0)
        if count:
            out[length] = out.get(length, 0) + count
    if not out:
        raise ValueError("cycle type is empty (n = 0); equivariant maps need n >= 1")
    return dict(sorted(out.items()))


@lru_cache(maxsize=1024)
def _divisors(length: int) -> tuple[int, ...]:
    small = [d for d in range(1, math.isqrt(length) + 1) if length % d == 0]
    return tuple(sorted(set(small) | {length // d for d in small}))


def spectrum(cycle_type: Mapping[int, int]) -> dict[int, int]:
    """``{l: d_l}`` for every ``l`` with ``d_l > 0``, where ``d_l`` is the number of cycles of length
    divisible by ``l`` (the multiplicity of each primitive ``l``-th root of unity in ``P_sigma``).

    Works from the cycle type alone (counts may be huge); it loops over divisors of the distinct cycle
    lengths, never over ``n``.

    Examples
    --------
    >>> spectrum({1: 1, 4: 2})
    {1: 3, 2: 2, 4: 2}
    >>> spectrum({1: 10**12 - 2, 2: 1})
    {1: 999999999999, 2: 1}
    """
    ct = _check_cycle_type(cycle_type)
    d: dict[int, int] = {}
    for length, count in ct.items():
        for l in _divisors(length):
            d[l] = d.get(l, 0) + count
    return dict(sorted(d.items()))


def _blocks_from_spectrum(spec: Mapping[int, int], exponents: Sequence[int] = (1,)) -> tuple[Block, ...]:
    """The talk's blocks of a spectrum ``{l: d_l}``: ``r_{1,1}``, the complex blocks by decreasing
    ``m / l``, ``r_{2,1}``; characters on the generators ``sigma^e``, ``e`` in ``exponents``."""
    complex_blocks = [Block.cyclic(l, m, d, exponents) for l, d in spec.items() if l >= 3
                      for m in range(l // 2 + 1, l) if math.gcd(m, l) == 1]
    complex_blocks.sort(key=lambda b: Fraction(b.m, b.l), reverse=True)
    first = [Block.cyclic(1, 1, spec[1], exponents)] if spec.get(1) else []
    last = [Block.cyclic(2, 1, spec[2], exponents)] if spec.get(2) else []
    return tuple(first + complex_blocks + last)


def blocks_of(cycle_type: Mapping[int, int]) -> tuple[Block, ...]:
    """The blocks of the commutant of ``P_sigma`` for a cycle type, in the talk's order.

    Examples
    --------
    >>> [b.label for b in blocks_of({28: 28})][:5]
    ['r_{1,1}', 'r_{28,27}', 'r_{14,13}', 'r_{28,25}', 'r_{7,6}']
    >>> blocks_of({1: 1, 4: 2})[1]
    Block(COMPLEX, size=2, weight=2, label='r_{4,3}')
    """
    return _blocks_from_spectrum(spectrum(cycle_type))


# -- exact counting ----------------------------------------------------------------------------
def _bounded_sums(groups: Iterable[tuple[int, int]], bound: int) -> list[int]:
    """``[y^t] prod (1 + y + ... + y^d)^k`` for ``t = 0..bound``, over ``(d, k)`` in ``groups``:
    the number of tuples ``(r_b)``, ``0 <= r_b <= d_b``, with ``sum r_b = t``."""
    f = [1] + [0] * bound
    for d, k in groups:
        if not d or not k or not bound:
            continue
        width = d + 1
        if k <= bound:  # k window sums, O(k * bound)
            for _ in range(k):
                g = list(itertools.accumulate(f))
                f = g[:width] + [a - b for a, b in zip(g[width:], g)]
            continue
        # k > bound: (1 - y^width)^k (sparse) times (1 - y)^-k (binomial series), O(bound^2)
        h = f[:]
        coeff = 1
        for i in range(1, min(k, bound // width) + 1):
            coeff = -coeff * (k - i + 1) // i
            for t in range(i * width, bound + 1):
                h[t] += coeff * f[t - i * width]
        series = [1] * (bound + 1)
        for t in range(1, bound + 1):
            series[t] = series[t - 1] * (t + k - 1) // t
        f = [sum(h[u] * series[t - u] for u in range(t + 1)) for t in range(bound + 1)]
    return f


def _as_blocks(cycle_type_or_blocks: Mapping[int, int] | Sequence[Block]) -> tuple[Block, ...]:
    if isinstance(cycle_type_or_blocks, Mapping):
        return blocks_of(cycle_type_or_blocks)
    blocks = tuple(cycle_type_or_blocks)
    if not blocks or not all(isinstance(b, Block) for b in blocks):
        raise ValueError("expected a cycle type {length: count} or a non-empty sequence of "
                         "equilin.blocks.Block")
    return blocks


def _group_sizes(blocks: Iterable[Block]) -> list[tuple[int, int]]:
    sizes: dict[int, int] = {}
    for b in blocks:
        sizes[b.size] = sizes.get(b.size, 0) + 1
    return sorted(sizes.items())


COUNT_MAX_R = 10_000
"""Largest rank bound ``r`` (below the total weight ``n``) of the exact counts: their dynamic programmes
take ``O(r^2)`` time and ``O(r)`` memory (about 3 s at ``r = 10,000``), so larger ``r`` is refused."""


def _check_count_budget(r: int, total_weight: int) -> None:
    if r > COUNT_MAX_R:
        raise ValueError(f"r = {r:,} is too large for the exact component counts (their dynamic programme takes "
                         f"O(r^2) time): at most {COUNT_MAX_R:,}, or r >= the total weight {total_weight:,} "
                         "(the whole commutant, one component)")


def count_components(cycle_type_or_blocks: Mapping[int, int] | Sequence[Block], rank: int) -> ComponentCount:
    """Exact numbers of irreducible components of ``E^sigma_{r, n x n}`` (dynamic programming over the
    blocks' generating functions; nothing is enumerated).

    Parameters
    ----------
    cycle_type_or_blocks : mapping or sequence of Block
        The cycle type ``{length: count}`` of ``sigma`` (counts may be ``10**12``), or its blocks.
    rank : int
        Rank bound.

    Returns
    -------
    ComponentCount
        ``total`` (all maximal tuples, see the module docstring) and ``rank_r`` (those with weighted
        sum exactly ``r``, the talk's count).

    Examples
    --------
    >>> count_components({28: 28}, 99)
    ComponentCount(total=72426340906146, rank_r=72425986088826)
    >>> count_components({1: 1, 4: 2}, 3)
    ComponentCount(total=5, rank_r=5)
    >>> count_components({1: 10**12 - 2, 2: 1}, 3)
    ComponentCount(total=2, rank_r=2)
    """
    blocks = _as_blocks(cycle_type_or_blocks)
    r = check_int(rank, "rank", 0)
    total_weight = sum(b.weight * b.size for b in blocks)
    if r >= total_weight:
        return ComponentCount(1, int(r == total_weight))
    _check_count_budget(r, total_weight)
    classes = []
    for w in sorted({b.weight for b in blocks}):
        members = [b for b in blocks if b.weight == w]
        classes.append((w, _bounded_sums(_group_sizes(members), r // w), sum(b.size for b in members)))
    total, rank_r = _maximal_sums(classes, r)
    return ComponentCount(total, rank_r)


def _maximal_sums(classes: Sequence[tuple[int, list[int], int]], r: int) -> tuple[int, int]:
    """Sums over the maximal rank tuples, by weight class (``r`` below the total weight).

    ``classes`` holds ``(w, f, full)`` by increasing weight ``w``: ``f[t]`` sums a multiplicative
    quantity over the rank tuples of the class's blocks with ``sum r_b = t`` (``t <= r // w``), and
    ``full = sum d_b``, where the single all-full tuple contributes 1. A tuple is maximal iff its slack
    ``r - sum w_b r_b`` is below the weight of every block that is not full; the first non-full class
    (by weight) decides. Returns ``(sum over maximal tuples, sum over tuples of weighted sum r)``."""
    def spread(w: int, f: list[int]) -> list[int]:  # as a polynomial in the weighted budget
        out = [0] * (r + 1)
        for t, value in enumerate(f[:r // w + 1]):
            out[w * t] = value
        return out

    def times(a: list[int], b: list[int]) -> list[int]:
        out = [0] * (r + 1)
        for i, x in enumerate(a):
            if x:
                for j in range(r + 1 - i):
                    if b[j]:
                        out[i + j] += x * b[j]
        return out

    polys = [spread(w, f) for w, f, _ in classes]
    suffix = [[1] + [0] * r]
    for poly in reversed(polys):
        suffix.append(times(poly, suffix[-1]))
    suffix.reverse()  # suffix[j]: the classes j, j+1, ...
    exact = suffix[0][r]
    total = exact
    used = 0  # weighted sum of the full classes before j
    for j, ((w, _, full), poly) in enumerate(zip(classes, polys)):
        not_full = poly[:]
        if w * full <= r:
            not_full[w * full] -= 1
        rest = suffix[j + 1]
        for slack in range(1, w):
            target = r - slack - used
            if target < 0:
                break
            total += sum(not_full[t] * rest[target - t] for t in range(target + 1))
        used += w * full
        if used > r:
            break
    return total, exact


# -- the variety -------------------------------------------------------------------------------
_RFFT_HAS_OUT = int(np.__version__.split(".")[0]) >= 2


def _rfft_into(chunk: NDArray[np.float64], out: NDArray[np.complex128]) -> None:
    """``out[...] = rfft(chunk, norm="ortho")`` along the last axis, written in place on NumPy >= 2."""
    if _RFFT_HAS_OUT:
        np.fft.rfft(chunk, axis=-1, norm="ortho", out=out)
    else:  # pragma: no cover - NumPy 1.26 has no `out`
        out[...] = np.fft.rfft(chunk, axis=-1, norm="ortho")


def _check_real_array(X: Any, name: str, finite: bool = True) -> NDArray[np.float64]:
    """``X`` as float64; refuses non-real dtypes and (when ``finite``) NaN or infinite entries."""
    arr = np.asarray(X)
    if arr.dtype == bool or arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=np.float64)
    if finite:
        _check_finite(arr, name)
    return arr


def _check_finite(arr: NDArray[Any] | Sequence[NDArray[Any]], name: str,
                  witness: Sequence[NDArray[Any]] | None = None) -> None:
    """Raise if ``arr`` (an array or a list of arrays) has a NaN or infinite entry.

    ``witness`` (default: the sum of ``arr``) are arrays that are all finite whenever ``arr`` is finite
    and not huge; ``arr`` is scanned entry by entry only when a witness is not finite (so finite entries
    whose sum overflows pass)."""
    arrays = [arr] if isinstance(arr, np.ndarray) else list(arr)
    if witness is None:
        witness = [np.add.reduce(a, axis=None) if a.size else np.zeros(()) for a in arrays]
    if all(np.isfinite(w).all() for w in witness):
        return
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"{name} contains NaN or infinite entries")


def _check_block_array(X: Any, name: str, block: Block, shape: tuple[int, ...],
                       finite: bool = True) -> NDArray[Any]:
    arr = np.asarray(X)
    if arr.shape != shape:
        raise ValueError(f"{name} (block {block.label}) must have shape {shape}, got {arr.shape}")
    dtype = block.field.dtype()
    ok = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    if dtype is np.complex128:
        ok = ok or np.issubdtype(arr.dtype, np.complexfloating)
    if arr.dtype == bool or not ok:
        expected = "numeric (real or complex)" if dtype is np.complex128 else "real"
        raise ValueError(f"{name} (block {block.label}, {block.kind}) must be {expected}, "
                         f"got dtype {arr.dtype}")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} (block {block.label}) contains NaN or infinite entries")
    return np.asarray(arr, dtype=dtype)


class _Layout:
    """Cycles grouped by length, and where every block takes its coordinates from."""

    def __init__(self, sigma: Permutation, blocks: tuple[Block, ...]) -> None:
        by_length: dict[int, list[tuple[int, ...]]] = {}
        for cycle in sigma.cycles:
            by_length.setdefault(len(cycle), []).append(cycle)
        self.lengths = sorted(by_length)
        self.index: dict[int, NDArray[np.int64]] = {}
        self.slices: dict[int, slice | None] = {}
        for length in self.lengths:
            idx = np.array(by_length[length], dtype=np.int64).reshape(-1, length)
            self.index[length] = idx
            flat = idx.ravel()
            contiguous = bool((np.diff(flat) == 1).all()) if flat.size > 1 else True
            self.slices[length] = slice(int(flat[0]), int(flat[-1]) + 1) if contiguous else None
        # block b takes frequency j of every cycle group of length L divisible by l
        self.sources: list[list[tuple[int, int]]] = [
            [(length, b.frequency(length)) for length in self.lengths if length % b.l == 0]
            for b in blocks]
        # per length: (block index, frequency, first copy inside the block) of every block it feeds
        self.targets: dict[int, list[tuple[int, int, int]]] = {length: [] for length in self.lengths}
        for i, sources in enumerate(self.sources):
            copy = 0
            for length, j in sources:
                self.targets[length].append((i, j, copy))
                copy += self.index[length].shape[0]
        # all cycles one after the other ("cycle order") and the way back to 0..n-1
        order = np.concatenate([self.index[length].ravel() for length in self.lengths])
        self.identity = bool((order == np.arange(order.size)).all())
        self.inverse = np.argsort(order)
        starts = np.cumsum([0] + [self.index[length].size for length in self.lengths])
        self.group_start = {length: int(a) for length, a in zip(self.lengths, starts)}
        offsets = np.cumsum([0] + [b.real_dim for b in blocks])
        self.offsets = [int(o) for o in offsets]


METHODS = ("auto", "fourier", "abelian", "torus", "generic")
"""The backends of :class:`EquivariantVariety` (``"auto"`` chooses, see :func:`choose_method`)."""


def choose_method(group: PermutationGroup) -> str:
    """The backend ``method="auto"`` takes for ``group``, decided once, here: ``"fourier"`` when one of
    the given generators generates the group (FFTs along its cycles, the talk's blocks ``r_{l,m}``);
    ``"abelian"`` when the generators commute and every orbit is a grid of their cycles (multi-dimensional
    FFTs, blocks ``r_{(a_1,...,a_k)}``: translations of images and volumes, products of cyclic groups);
    ``"torus"`` when translations act regularly on one torus and the other generators affinely (the FFT
    over the translations, blocks ``r_{[(a_1,...,a_k)]}`` = frequency orbits of the point group: ``p4``,
    ``p4m``); ``"generic"`` otherwise (the orbit-wise isotypic decomposition).

    Examples
    --------
    >>> from equilin.groups import image_group
    >>> [choose_method(image_group(a, 4, 4)) for a in ("shift-x", "shift-xy", "p4m", "d4")]
    ['fourier', 'abelian', 'torus', 'generic']
    """
    if group.cyclic_generator() is not None:
        return "fourier"
    if AbelianStructure.of(group) is not None:
        return "abelian"
    if TorusStructure.of(group) is not None:
        return "torus"
    return "generic"


@lru_cache(maxsize=16)
def _decompose(group: PermutationGroup, seed: int, method: str) -> BlockOperator:
    if method == "abelian":
        return AbelianFourierDecomposition(group)
    if method == "torus":
        return TorusFourierDecomposition(group)
    return IsotypicDecomposition(group, seed=seed)


class EquivariantVariety:
    """``E^G_{r, n x n}``: ``n x n`` matrices of rank ``<= r`` commuting with every ``P_g``, ``g in G``.

    Parameters
    ----------
    group : Permutation or PermutationGroup
        ``sigma`` (the cyclic group it generates), or any permutation group given by generators.
    rank : int
        Rank bound (the autoencoder's bottleneck).
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        ``"fourier"``: the cyclic-group path of this module (FFTs along the cycles of ``sigma``, any
        ``n``, blocks ``r_{l,m}``), for a group of which one given generator ``sigma`` generates the others;
        ``"abelian"``: multi-dimensional FFTs (:mod:`equilin.abelian_fourier`, any ``n``, blocks
        ``r_{(a_1,...,a_k)}``) for commuting generators whose orbits are grids of their cycles;
        ``"torus"``: the FFT over the translations of a torus regrouped by the point group's frequency
        orbits (:mod:`equilin.torus_fourier`, any size; blocks ``r_{[(a_1,...,a_k)]}``: ``p4``, ``p4m``);
        ``"generic"``: the orbit-wise isotypic decomposition of :mod:`equilin.isotypic` (any group whose
        orbit types have at most 2,048 points in all, any ``n``; blocks ``r_{Vi}`` of real, complex or
        quaternionic type, or the names of ``"abelian"`` and ``"torus"`` for their groups). ``"auto"`` is
        :func:`choose_method`. Where two backends apply they give the same blocks (labels, order, sizes).
    seed : int
        Seed of the generic decomposition's random commuting matrices (see
        :class:`~equilin.isotypic.IsotypicDecomposition`); ignored by the FFT paths.

    Examples
    --------
    The talk's 3 x 3 rotation, ``sigma = (1 2 3 4)(5 6 7 8)`` in ``S_9``, ``r = 3``:

    >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
    >>> E.spectrum, [b.label for b in E.blocks]
    ({1: 3, 2: 2, 4: 2}, ['r_{1,1}', 'r_{4,3}', 'r_{2,1}'])
    >>> E.count_components()
    ComponentCount(total=5, rank_r=5)
    >>> [c.label() for c in E.components()][:2]
    ['r_{1,1}=3 r_{4,3}=0 r_{2,1}=0', 'r_{1,1}=2 r_{4,3}=0 r_{2,1}=1']
    >>> E.dim, E.degree, E.ed_degree
    (11, 30, 20)

    Rotations and flips of a 3 x 3 image (the dihedral group of order 8, not cyclic):

    >>> from equilin.groups import image_flip, image_rot90
    >>> D4 = PermutationGroup([image_rot90(3), image_flip(3, 3)])
    >>> E = EquivariantVariety(D4, 2)
    >>> [(b.label, b.kind, b.size, b.weight) for b in E.blocks]   # doctest: +NORMALIZE_WHITESPACE
    [('r_{V1}', 'real', 3, 1), ('r_{V2}', 'real', 1, 1), ('r_{V3}', 'real', 1, 1),
     ('r_{V4}', 'real', 2, 2)]
    >>> E.commutant_dim, E.count_components(), E.dim, E.degree, E.ed_degree
    (15, ComponentCount(total=5, rank_r=5), 8, 3, 12)
    """

    def __init__(self, group: Permutation | PermutationGroup, rank: int, *, method: str = "auto",
                 seed: int = 0) -> None:
        if not isinstance(group, (Permutation, PermutationGroup)):
            raise ValueError(f"expected a Permutation or a PermutationGroup, got {type(group).__name__}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
        self.group: PermutationGroup = as_group(group)
        if self.group.n == 0:
            raise ValueError("the group acts on an empty set (n = 0); equivariant maps need n >= 1")
        gens = self.group.generators
        generator = self.group.cyclic_generator()   # one of the generators generates the group
        if method == "fourier" and generator is None:
            raise ValueError(f"method='fourier' needs a cyclic group <sigma>: one of the {len(gens)} "
                             "generators must generate the others; use method='generic' (or 'auto')")
        self.n: int = self.group.n
        self.rank: int = check_int(rank, "rank", 0)
        self.method: str = choose_method(self.group) if method == "auto" else method
        self.sigma: Permutation | None = generator if self.method == "fourier" else None
        self.cycle_type: dict[int, int] | None = None
        self.spectrum: dict[int, int] | None = None
        self._decomposition: BlockOperator | None = None
        self.blocks: tuple[Block, ...]
        if self.method == "fourier":
            assert self.sigma is not None
            self.cycle_type = dict(self.sigma.cycle_type)
            self.spectrum = spectrum(self.cycle_type)
            self.blocks = _blocks_from_spectrum(self.spectrum, [self.sigma.log(h) for h in gens])
        else:
            self._decomposition = _decompose(self.group, check_int(seed, "seed", 0), self.method)
            self.blocks = self._decomposition.blocks

    @property
    def decomposition(self) -> BlockOperator:
        """The block operator behind the abelian and generic paths (refused on the Fourier path)."""
        if self._decomposition is None:
            raise ValueError("this variety uses the Fourier path (a cyclic group); build it with "
                             "method='generic' for the isotypic decomposition")
        return self._decomposition

    @classmethod
    def for_ranks(cls, group: Permutation | PermutationGroup, ranks: Sequence[int] | Mapping[Any, int],
                  *, method: str = "auto", seed: int = 0) -> EquivariantVariety:
        """The variety whose budget ``r`` is the weighted sum of ``ranks`` (so ``ranks`` is maximal).

        Examples
        --------
        >>> EquivariantVariety.for_ranks(Permutation.from_cycles("(1 2 3)", 3), {"r_{3,2}": 1}).rank
        2
        """
        probe = cls(group, 0, method=method, seed=seed)
        probe.rank = sum(b.weight * b.size for b in probe.blocks)
        parsed = probe.parse_ranks(ranks)
        return cls(group, sum(b.weight * k for b, k in zip(probe.blocks, parsed)), method=method, seed=seed)

    @cached_property
    def _layout(self) -> _Layout:
        assert self.sigma is not None and self.method == "fourier"
        return _Layout(self.sigma, self.blocks)  # type: ignore[arg-type]

    @property
    def _offsets(self) -> list[int]:
        if self._decomposition is not None:
            return self._decomposition.offsets
        return self._layout.offsets

    @property
    def labels(self) -> tuple[str, ...]:
        """Block labels (``r_{l,m}``, ``r_{(a)}``, ``r_{[(a)]}`` or ``r_{Vi}``) in block order."""
        return tuple(b.label for b in self.blocks)

    @cached_property
    def block_structure(self) -> BlockStructure:
        """The blocks as one immutable value: equal for every method that applies to the group.

        Examples
        --------
        >>> s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
        >>> EquivariantVariety(s, 2).block_structure
        BlockStructure(r_{1,1}:3xR, r_{4,3}:2xC, r_{2,1}:2xR)
        >>> EquivariantVariety(PermutationGroup([s, s ** 2]), 2, method="generic").block_structure == _
        True
        """
        return BlockStructure(self.blocks)

    @property
    def commutant_dim(self) -> int:
        """Dimension of the space of all commuting matrices: ``sum_b dim_R(D_b) d_b^2``."""
        return sum(b.field_dim * b.size ** 2 for b in self.blocks)

    # -- the basis Q ----------------------------------------------------------------------------
    def Q(self) -> NDArray[np.float64]:
        """The dense orthogonal ``n x n`` matrix ``Q_sigma`` (columns as in the module docstring),
        built directly from cosines and sines. Refused for ``n > 4096``: use :meth:`to_blocks`.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3)", 3), 1)
        >>> Q = E.Q(); P = E.sigma.matrix()
        >>> bool(np.allclose(Q.T @ Q, np.eye(3))), np.round(Q.T @ P @ Q, 3).tolist()
        (True, [[1.0, 0.0, 0.0], [0.0, -0.5, 0.866], [0.0, -0.866, -0.5]])
        """
        if self._decomposition is not None:
            return self._decomposition.Q
        if self.n > DENSE_Q_LIMIT:
            raise ValueError(f"Q() builds a dense {self.n} x {self.n} matrix; refused for n > "
                             f"{DENSE_Q_LIMIT}. Use to_blocks / from_blocks (FFT, no n x n matrix)")
        lay = self._layout
        Q = np.zeros((self.n, self.n))
        for b, sources, offset in zip(self.blocks, lay.sources, lay.offsets):
            copy = 0
            for length, _ in sources:
                idx = lay.index[length]
                k = np.arange(length)
                cols = offset + b.weight * (copy + np.arange(idx.shape[0]))
                if b.field is REAL:
                    values = (np.cos(b.angle * k) if b.l == 2 else np.ones(length)) / math.sqrt(length)
                    Q[idx, cols[:, None]] = values
                else:
                    scale = math.sqrt(2.0 / length)
                    Q[idx, cols[:, None]] = scale * np.cos(b.angle * k)
                    Q[idx, cols[:, None] + 1] = scale * np.sin(b.angle * k)
                copy += idx.shape[0]
        return Q

    # -- fast transforms --------------------------------------------------------------------------
    def _check_vectors(self, X: Any, name: str) -> tuple[NDArray[np.float64], bool]:
        arr = np.asarray(X)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise ValueError(f"{name} must be a vector of length {self.n} or an N x {self.n} batch of "
                             f"row vectors, got shape {arr.shape}")
        arr = _check_real_array(arr, name, finite=False)  # checked on the FFT's DC terms, see _spectra
        return (arr[None, :], True) if arr.ndim == 1 else (arr, False)

    def _spectra(self, X: NDArray[np.float64], name: str = "X") -> dict[int, NDArray[np.complex128]]:
        """``sqrt(2) * rfft(x on the cycle, norm="ortho")`` for every group of cycles of one length.

        Also refuses NaN or infinite entries of ``X``: any such entry makes the DC term (the sum over
        its cycle) non-finite, so only the DC terms are scanned unless one of them is not finite."""
        lay = self._layout
        out = {}
        N = X.shape[0]
        for length in lay.lengths:
            idx = lay.index[length]
            window = lay.slices[length]
            spec = np.empty((N,) + idx.shape[:1] + (length // 2 + 1,), dtype=np.complex128)
            # gather and scale chunks of rows into one small reused buffer (cache-resident), then
            # transform each chunk straight into the output
            step = max(1, _CHUNK_ELEMENTS // idx.size)
            buffer = np.empty((min(step, N),) + idx.shape)
            for start in range(0, N, step):
                stop = min(N, start + step)
                chunk = buffer[:stop - start]
                with np.errstate(invalid="ignore", over="ignore"):  # non-finite input: refused below
                    if window is not None:
                        np.multiply(X[start:stop, window].reshape(chunk.shape), _SQRT2, out=chunk)
                    else:  # indices are valid: mode="clip" lets take write into `out` unbuffered
                        np.take(X[start:stop], idx, axis=1, out=chunk, mode="clip")
                        chunk *= _SQRT2
                    _rfft_into(chunk, spec[start:stop])
            out[length] = spec
        _check_finite(X, name, [spec[..., 0] for spec in out.values()])
        return out

    def to_blocks(self, X: ArrayLike) -> list[NDArray[Any]]:
        """Block coordinates ``X Q`` of a batch of row vectors, by FFTs along the cycles (no ``n x n``
        matrix is built).

        Parameters
        ----------
        X : array_like, shape (N, n) or (n,)
            Real row vectors.

        Returns
        -------
        list of ndarray
            One array per block, shape ``(N, d_b)`` (or ``(d_b,)`` for a single vector): real for real
            blocks, complex ``w = <x, cos> + i <x, sin>`` for complex blocks (module docstring). The
            complex arrays may be non-contiguous views into one FFT buffer.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)", 4), 1)
        >>> [np.round(v, 6).tolist() for v in E.to_blocks([1.0, 0.0, 0.0, 0.0])]
        [[0.5], [(0.707107+0j)], [0.5]]
        """
        arr, single = self._check_vectors(X, "X")
        if self._decomposition is not None:
            _check_finite(arr, "X")
            blocks = self._decomposition.to_blocks(arr)
            return blocks if not single else [a[:b.copies] for a, b in zip(blocks, self.blocks)]
        spectra = self._spectra(arr, "X")
        out: list[NDArray[Any]] = []
        for b, sources in zip(self.blocks, self._layout.sources):
            pieces = [spectra[length][:, :, j] for length, j in sources]
            block = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)
            if b.field is REAL:
                block = block.real / _SQRT2
            out.append(block[0] if single else block)
        return out

    def block_grams(self, X: ArrayLike) -> list[NDArray[Any]]:
        """``C_b^H C_b`` for every block ``b``, ``C_b`` = :meth:`to_blocks` ``(X)[b]`` (the statistics of
        the closed-form fit): ``d_b x d_b``, complex on complex blocks. The FFT backend for products of
        cyclic groups computes the one-column blocks (one per frequency) in one pass.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2)", 2), 1)
        >>> [np.round(g, 12).tolist() for g in E.block_grams([[1.0, 0.0], [0.0, 1.0]])]
        [[[1.0]], [[1.0]]]
        """
        arr, _ = self._check_vectors(X, "X")
        if self._decomposition is not None:
            _check_finite(arr, "X")
            grams = self._decomposition.grams(arr)
        else:
            grams = [c.conj().T @ c for c in self.to_blocks(arr)]
        return grams

    def _check_blocks(self, blocks: Any, name: str, square: bool = False) -> tuple[list[NDArray[Any]], int | None]:
        if isinstance(blocks, np.ndarray) or not isinstance(blocks, Sequence):
            raise ValueError(f"{name} must be a list with one array per block ({len(self.blocks)} blocks: "
                             f"{', '.join(self.labels)}), got {type(blocks).__name__}")
        if len(blocks) != len(self.blocks):
            raise ValueError(f"{name} must have one array per block: expected {len(self.blocks)} "
                             f"({', '.join(self.labels)}), got {len(blocks)}")
        if square:
            return [_check_block_array(a, name, b, (b.vector_size, b.vector_size))
                    for a, b in zip(blocks, self.blocks)], None
        first = np.asarray(blocks[0])
        if self._decomposition is not None:  # folded rows: N * copies_b rows per block
            b0 = self.blocks[0]
            if first.ndim != 2 or first.shape[0] % b0.copies:
                raise ValueError(f"{name}: block arrays must have shape (N * copies_b, vector_size_b) "
                                 f"(block {b0.label}: copies {b0.copies}), got {first.shape}")
            N = first.shape[0] // b0.copies
            out = [_check_block_array(a, name, b, (N * b.copies, b.vector_size))
                   for a, b in zip(blocks, self.blocks)]
            return out, N
        if first.ndim not in (1, 2):
            raise ValueError(f"{name}: block arrays must have shape (N, d_b) or (d_b,), got {first.shape}")
        N = None if first.ndim == 1 else first.shape[0]
        out = [_check_block_array(a, name, b, (b.size,) if N is None else (N, b.size), finite=False)
               for a, b in zip(blocks, self.blocks)]  # finiteness: checked on the output, see from_blocks
        return out, N

    def from_blocks(self, blocks: Sequence[ArrayLike]) -> NDArray[np.float64]:
        """Inverse of :meth:`to_blocks`: the row vectors ``X = Y Q^T`` with the given block coordinates
        (inverse FFTs along the cycles).

        Parameters
        ----------
        blocks : list of array_like
            One array per block, all of shape ``(N, d_b)`` or all ``(d_b,)``; complex arrays for complex
            blocks (a real array means zero imaginary part), real arrays for real blocks.

        Returns
        -------
        ndarray, shape (N, n) or (n,)

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)", 4), 1)
        >>> E.from_blocks([[0.5], [np.sqrt(0.5)], [0.5]]).round(12).tolist()
        [1.0, 0.0, 0.0, 0.0]
        """
        if self._decomposition is not None:
            arrays, N = self._check_blocks(blocks, "blocks")
            assert N is not None
            return self._decomposition.from_blocks(arrays, N)
        arrays, N = self._check_blocks(blocks, "blocks")
        single = N is None
        if single:
            arrays = [a[None, :] for a in arrays]
            N = 1
        lay = self._layout
        X = np.empty((N, self.n))
        step = max(1, _CHUNK_ELEMENTS // self.n)
        buffer = None if lay.identity else np.empty((min(step, N), self.n))
        finite = True
        for start in range(0, N, step):  # chunks of rows: every intermediate stays small
            stop = min(N, start + step)
            with np.errstate(invalid="ignore", over="ignore"):  # non-finite input: refused below
                finite = self._inverse_chunk(arrays, X, buffer, start, stop) and finite
        if not finite:
            _check_finite(arrays, "blocks", [np.array(np.nan)])
        return X[0] if single else X

    def _inverse_chunk(self, arrays: list[NDArray[Any]], X: NDArray[np.float64],
                       buffer: NDArray[np.float64] | None, start: int, stop: int) -> bool:
        """Rows ``start:stop`` of :meth:`from_blocks`; returns whether they came out finite."""
        lay = self._layout
        finite = True
        target = X[start:stop] if buffer is None else buffer[:stop - start]
        for length in lay.lengths:
            count = lay.index[length].shape[0]
            spec = np.zeros((stop - start, count, length // 2 + 1), dtype=np.complex128)
            for i, j, copy in lay.targets[length]:
                piece = arrays[i][start:stop, copy:copy + count]
                if self.blocks[i].field is REAL:
                    spec[:, :, j] = piece
                else:
                    np.multiply(piece, 1 / _SQRT2, out=spec[:, :, j])
            values = np.fft.irfft(spec, n=length, axis=-1, norm="ortho")
            # a non-finite real (imaginary) part of a coefficient spoils entry 0 (entry 1) of its
            # cycle, so two entries per cycle tell
            finite = finite and bool(np.isfinite(values[:, :, :2]).all())
            first = lay.group_start[length]
            target[:, first:first + count * length] = values.reshape(stop - start, -1)
        if buffer is not None:
            np.take(target, lay.inverse, axis=1, out=X[start:stop], mode="clip")
        return finite

    def to_coordinates(self, X: ArrayLike) -> NDArray[np.float64]:
        """``X Q`` as one real ``(N, n)`` array in the column order of :meth:`Q` (complex blocks
        interleaved ``Re w, Im w`` per copy)."""
        arr, single = self._check_vectors(X, "X")
        if self._decomposition is not None:
            _check_finite(arr, "X")
            out = arr @ self._decomposition.Q
        else:
            out = self._assemble(self.to_blocks(arr))
        return out[0] if single else out

    def from_coordinates(self, Y: ArrayLike) -> NDArray[np.float64]:
        """``Y Q^T`` for real coordinates ``Y`` (N x n) in the column order of :meth:`Q`."""
        arr, single = self._check_vectors(Y, "Y")
        if self._decomposition is not None:
            _check_finite(arr, "Y")
            out = arr @ self._decomposition.Q.T
        else:
            out = self.from_blocks(self._split(arr))
        return out[0] if single else out

    def _assemble(self, blocks: list[NDArray[Any]]) -> NDArray[np.float64]:
        out = np.empty((blocks[0].shape[0], self.n))
        for b, a, offset in zip(self.blocks, blocks, self._layout.offsets):
            if b.field is REAL:
                out[:, offset:offset + b.size] = a
            else:
                out[:, offset:offset + 2 * b.size:2] = a.real
                out[:, offset + 1:offset + 2 * b.size:2] = a.imag
        return out

    def _split(self, Y: NDArray[np.float64]) -> list[NDArray[Any]]:
        out = []
        for b, offset in zip(self.blocks, self._layout.offsets):
            if b.field is REAL:
                out.append(Y[:, offset:offset + b.size])
            else:
                out.append(Y[:, offset:offset + 2 * b.size:2] + 1j * Y[:, offset + 1:offset + 2 * b.size:2])
        return out

    # -- matrices -----------------------------------------------------------------------------------
    def _check_matrix(self, M: Any, name: str) -> NDArray[np.float64]:
        arr = np.asarray(M)
        if arr.shape != (self.n, self.n):
            raise ValueError(f"{name} must be an {self.n} x {self.n} matrix, got shape {arr.shape}")
        return _check_real_array(arr, name)

    def _matrix_blocks(self, M: NDArray[np.float64]) -> list[NDArray[Any]]:
        if self._decomposition is not None:
            return self._decomposition.matrix_to_blocks(M)
        D = self.to_coordinates(self.to_coordinates(M.T).T)  # Q^T M Q
        out = []
        for b, offset in zip(self.blocks, self._layout.offsets):
            sub = D[offset:offset + b.real_dim, offset:offset + b.real_dim]
            if b.field is REAL:
                out.append(np.ascontiguousarray(sub))
            else:
                re = (sub[0::2, 0::2] + sub[1::2, 1::2]) / 2
                im = (sub[1::2, 0::2] - sub[0::2, 1::2]) / 2
                out.append(re + 1j * im)
        return out

    def matrix_to_blocks(self, M: ArrayLike) -> list[NDArray[Any]]:
        """The blocks of the commutant part of an ``n x n`` matrix: ``d_b x d_b`` arrays, real for real
        blocks, complex ``Z`` for complex blocks (the block of ``Q^T M Q`` projected onto ``R(Z)``).

        The part of ``M`` that does not commute with ``P_sigma`` (the off-diagonal blocks of
        ``Q^T M Q`` and the non-``R(Z)`` part of complex blocks) is discarded: the result describes the
        orthogonal projection :meth:`project` ``(M)``, and ``matrix_from_blocks(matrix_to_blocks(M))``
        equals ``project(M)``. Computed with FFTs (no dense ``Q``).
        """
        return self._matrix_blocks(self._check_matrix(M, "M"))

    def matrix_from_blocks(self, blocks: Sequence[ArrayLike]) -> NDArray[np.float64]:
        """The commuting ``n x n`` matrix ``Q diag(B_b or R(Z_b)) Q^T`` with the given blocks
        (``d_b x d_b`` each; complex for complex blocks)."""
        arrays, _ = self._check_blocks(blocks, "blocks", square=True)
        return self._matrix_from_checked(arrays)

    def _matrix_from_checked(self, arrays: list[NDArray[Any]]) -> NDArray[np.float64]:
        if self._decomposition is not None:
            return self._decomposition.matrix_from_blocks(arrays)
        D = np.zeros((self.n, self.n))
        for b, a, offset in zip(self.blocks, arrays, self._layout.offsets):
            sl = slice(offset, offset + b.real_dim)
            D[sl, sl] = a if b.field is REAL else realize(a)
        return self.from_coordinates(self.from_coordinates(D.T).T)  # Q D Q^T

    def project(self, U: ArrayLike) -> NDArray[np.float64]:
        """Orthogonal (Frobenius) projection of an ``n x n`` matrix onto the matrices commuting with
        ``P_sigma``, via the FFT operators (no dense ``Q``).

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2)", 2), 1)
        >>> E.project([[1.0, 2.0], [0.0, 0.0]]).round(12).tolist()
        [[0.5, 1.0], [1.0, 0.5]]
        """
        return self._matrix_from_checked(self.matrix_to_blocks(U))

    def is_equivariant(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M P_sigma = P_sigma M`` up to ``tol`` relative to ``||M||_F`` (no dense ``P``)."""
        arr = self._check_matrix(M, "M")
        scale = max(float(np.linalg.norm(arr)), np.finfo(float).tiny)
        for g in self.group.generators:
            gap = np.linalg.norm(g.act(arr, axis=0) - g.inverse().act(arr, axis=1))
            if gap > tol * scale:
                return False
        return True

    def block_ranks(self, M: ArrayLike, tol: float = 1e-9) -> dict[str, int]:
        """Numerical rank of every block of the commutant part of ``M`` (singular values above ``tol``
        times the largest one), labelled ``{"r_{l,m}": rank}`` in block order."""
        return dict(zip(self.labels, _block_ranks(self.matrix_to_blocks(M), tol, self.blocks)))

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M`` commutes with ``P_sigma`` and has rank ``<= r`` (both up to ``tol``)."""
        arr = self._check_matrix(M, "M")
        if not self.is_equivariant(arr, tol):
            return False
        ranks = _block_ranks(self._matrix_blocks(arr), tol, self.blocks)
        return sum(b.weight * k for b, k in zip(self.blocks, ranks)) <= self.rank

    # -- components -----------------------------------------------------------------------------
    def count_components(self) -> ComponentCount:
        """``(total, rank_r)``, exact, see :func:`count_components`."""
        return count_components(self.blocks, self.rank)

    def parse_ranks(self, ranks: Any) -> tuple[int, ...]:
        """Validate a rank tuple (block order), a mapping ``{"r_{l,m}" or (l, m): rank}`` or the text of
        :meth:`EquivariantComponent.label` (``"r_{1,1}=1 r_{4,3}=1"``; blocks left out get rank 0):
        ranks within ``0..d_b`` and weighted sum ``<= r``. Returns the tuple; it need not be maximal
        (see :meth:`component` for that check).

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> E.parse_ranks({"r_{4,3}": 1}), E.parse_ranks("r_{1,1}=1 r_{4,3}=1 r_{2,1}=0")
        ((0, 1, 0), (1, 1, 0))
        """
        if isinstance(ranks, str):
            ranks = Ranks(ranks)
        if isinstance(ranks, Mapping):
            keys = {}
            for i, b in enumerate(self.blocks):
                keys[b.label] = keys[b] = i
                if b.eigenvalue is not None:
                    keys[b.eigenvalue] = i
            values = [0] * len(self.blocks)
            for key, value in ranks.items():
                if key not in keys:
                    pairs = " or pairs (l, m)" if self.blocks[0].eigenvalue is not None else ""
                    raise ValueError(f"unknown block {key!r}; the blocks are {', '.join(self.labels)} "
                                     f"(keys are these labels{pairs})")
                values[keys[key]] = value
            ranks = values
        elif isinstance(ranks, (str, bytes)) or not isinstance(ranks, Iterable):
            raise ValueError("ranks must be a tuple in block order or a mapping {'r_{l,m}': rank}, "
                             f"got {type(ranks).__name__}")
        ranks = tuple(ranks)
        if len(ranks) != len(self.blocks):
            raise ValueError(f"ranks must have one entry per block: expected {len(self.blocks)} "
                             f"({', '.join(self.labels)}), got {len(ranks)}")
        out = []
        for b, k in zip(self.blocks, ranks):
            k = check_int(k, f"rank {b.label}", 0)
            if k > b.size:
                raise ValueError(f"rank {b.label}={k} exceeds the block size (multiplicity) {b.size}")
            out.append(k)
        used = sum(b.weight * k for b, k in zip(self.blocks, out))
        if used > self.rank:
            raise ValueError(f"weighted rank {used} of {_label(self.blocks, out)} exceeds rank={self.rank} "
                             "(a block's rank counts with its weight: 2 for complex blocks of a cyclic "
                             "group, the irreducible's dimension in general)")
        return tuple(out)

    def component(self, ranks: Sequence[int] | Mapping[Any, int]) -> EquivariantComponent:
        """The irreducible component of a maximal rank tuple.

        Parameters
        ----------
        ranks : tuple or mapping
            In block order, or ``{"r_{l,m}": rank}`` / ``{(l, m): rank}`` (blocks left out get rank 0).

        Raises
        ------
        ValueError
            For a wrong length, a rank outside ``0..d_b``, a weighted sum above ``r``, or a tuple that
            is not maximal (the message names a block that can still be raised).

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> C = E.component({"r_{1,1}": 1, "r_{4,3}": 1})
        >>> C.label(), C.dim, C.degree, C.ed_degree, C.n_params
        ('r_{1,1}=1 r_{4,3}=1 r_{2,1}=0', 11, 24, 6, 14)
        """
        values = self.parse_ranks(ranks)
        raisable = _raisable(self.blocks, values, self.rank)
        if raisable is not None:
            b = self.blocks[raisable]
            used = sum(x.weight * k for x, k in zip(self.blocks, values))
            raise ValueError(f"{_label(self.blocks, values)} is not maximal: {b.label} can be raised to "
                             f"{values[raisable] + 1} within rank={self.rank} (weighted rank {used}), so its "
                             "matrices lie in a larger component")
        return EquivariantComponent(self, values, _checked=True)

    def is_maximal(self, ranks: Any) -> bool:
        """Whether ``ranks`` (within the budget) is maximal, i.e. names an irreducible component: no
        block below its size can be raised by one within ``r``.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> E.is_maximal((1, 1, 0)), E.is_maximal((1, 0, 0))
        (True, False)
        """
        return _raisable(self.blocks, self.parse_ranks(ranks), self.rank) is None

    def _completable(self) -> dict[int, list[int]]:
        """``table[mu][i]``: bitset of the budgets ``b`` with which the blocks ``i..`` can complete a
        maximal tuple when the lightest non-full block so far has weight ``mu`` (``r + 1``: none)."""
        r, blocks = self.rank, self.blocks
        mask = (1 << (r + 1)) - 1
        mus = sorted({b.weight for b in blocks if b.weight <= r} | {r + 1})
        table = {mu: [0] * len(blocks) + [(1 << min(mu, r + 1)) - 1] for mu in mus}
        for i in range(len(blocks) - 1, -1, -1):
            b = blocks[i]
            for mu in mus:
                lighter = table[min(mu, b.weight, r + 1)][i + 1]
                bits = 0
                for k in range(min(b.size - 1, r // b.weight) + 1):
                    bits |= lighter << (b.weight * k)
                if b.weight * b.size <= r:
                    bits |= table[mu][i + 1] << (b.weight * b.size)
                table[mu][i] = bits & mask
        return table

    def components(self, order: str = "lex") -> Iterator[EquivariantComponent]:
        """All irreducible components, lazily.

        Parameters
        ----------
        order : {"lex"}
            Lexicographically decreasing rank tuples in block order (the first component puts as much
            rank as possible on ``r_{1,1}``). Both kinds ("rank r" and "rank r-1") are listed; every
            branch of the search leads to a component, so the delay between two is ``O(#blocks * d)``.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3)", 3), 2)
        >>> [(c.label(), c.kind) for c in E.components()]
        [('r_{1,1}=1 r_{3,2}=0', 'rank r-1'), ('r_{1,1}=0 r_{3,2}=1', 'rank r')]
        """
        if order != "lex":
            raise ValueError(f"order must be 'lex' (lexicographically decreasing ranks), got {order!r}")
        return self._components()

    def _components(self) -> Iterator[EquivariantComponent]:
        blocks, r = self.blocks, self.rank
        if r >= sum(b.weight * b.size for b in blocks):
            yield EquivariantComponent(self, tuple(b.size for b in blocks), _checked=True)
            return
        table = self._completable()
        nb = len(blocks)
        ranks: list[int] = []
        stack: list[Iterator[int]] = []
        budgets = [r]
        mus = [r + 1]  # mus[i]: weight of the lightest non-full block among the first i

        def after(i: int, k: int) -> int:
            return mus[i] if k == blocks[i].size else min(mus[i], blocks[i].weight, r + 1)

        def options(i: int) -> Iterator[int]:
            b, budget = blocks[i], budgets[i]
            for k in range(min(b.size, budget // b.weight), -1, -1):
                if (table[after(i, k)][i + 1] >> (budget - b.weight * k)) & 1:
                    yield k

        stack.append(options(0))
        while stack:
            i = len(stack) - 1
            k = next(stack[-1], None)
            if k is None:
                stack.pop()
                del ranks[i:], budgets[i + 1:], mus[i + 1:]
                continue
            del ranks[i:], budgets[i + 1:], mus[i + 1:]
            ranks.append(k)
            budgets.append(budgets[i] - blocks[i].weight * k)
            mus.append(after(i, k))
            if i + 1 == nb:
                yield EquivariantComponent(self, tuple(ranks), _checked=True)
            else:
                stack.append(options(i + 1))

    # -- geometry of the union ------------------------------------------------------------------
    def _dim_tables(self) -> tuple[NDArray[np.int64], NDArray[np.int64], list[NDArray[np.int64]]]:
        r = min(self.rank, sum(b.weight * b.size for b in self.blocks))  # tables of size r + 1: clip huge r
        gains = [np.array([b.dim_of(k) for k in range(min(b.size, r // b.weight) + 1)], dtype=np.int64)
                 for b in self.blocks]
        nb = len(self.blocks)
        if (nb + 1) * (r + 1) > 10**8:  # two int64 tables of this size
            raise ValueError(f"dim and degree of E_r need two {nb + 1} x {r + 1} tables (more than 10**8 entries); "
                             f"use a smaller r, or the components' own dim and degree")
        neg = np.iinfo(np.int64).min // 4
        pre = np.full((nb + 1, r + 1), neg, dtype=np.int64)
        pre[0, 0] = 0
        for i, (b, g) in enumerate(zip(self.blocks, gains)):
            for k, value in enumerate(g):
                s = b.weight * k
                np.maximum(pre[i + 1, s:], pre[i, :r + 1 - s] + value, out=pre[i + 1, s:])
        suf = np.zeros((nb + 1, r + 1), dtype=np.int64)
        for i in range(nb - 1, -1, -1):
            b, g = self.blocks[i], gains[i]
            suf[i] = suf[i + 1]
            for k, value in enumerate(g):
                s = b.weight * k
                np.maximum(suf[i, s:], suf[i + 1, :r + 1 - s] + value, out=suf[i, s:])
        return pre, suf, gains

    @cached_property
    def _top(self) -> tuple[int, int]:
        """(dim, degree) of the union: max dimension, sum of the degrees of the top-dimensional
        components, by a DP that only multiplies degrees along optimal ("tight") transitions."""
        pre, suf, gains = self._dim_tables()
        r = pre.shape[1] - 1  # r clipped to the total weight
        top = int(pre[-1].max())
        layer = {0: 1}
        for i, (b, g) in enumerate(zip(self.blocks, gains)):
            nxt: dict[int, int] = {}
            for t, value in layer.items():
                ks = np.arange(min(len(g) - 1, (r - t) // b.weight) + 1)
                targets = t + b.weight * ks
                ok = ((pre[i, t] + g[ks] == pre[i + 1, targets])
                      & (pre[i + 1, targets] + suf[i + 1, r - targets] == top))
                for k in np.flatnonzero(ok).tolist():
                    t2 = t + b.weight * k
                    nxt[t2] = nxt.get(t2, 0) + value * b.degree_of(k)
            layer = nxt
        return top, sum(layer.values())

    @property
    def dim(self) -> int:
        """Dimension of ``E_r``: the largest dimension of a component (knapsack DP)."""
        return self._top[0]

    @property
    def degree(self) -> int:
        """Degree of ``E_r``: the sum of the degrees of its components of top dimension."""
        return self._top[1]

    @property
    def ed_degree(self) -> int:
        """Sum of the ED degrees of all real components (every kind): the ED degree of the real
        algebraic set's Zariski closure, following the talk (docs/math.md section 4). Closed form: the
        generating function of ``prod_b binom(d_b, r_b)`` over the blocks of weight ``w`` is
        ``(1 + x^w)^{D_w}`` with ``D_w`` their total size (for a cyclic group
        ``(1+x)^{D_R} (1+x^2)^{D_C}``); the maximal tuples are summed as in :func:`count_components`."""
        r = self.rank
        if r >= sum(b.weight * b.size for b in self.blocks):
            return 1
        _check_count_budget(r, sum(b.weight * b.size for b in self.blocks))
        classes = []
        for w in sorted({b.weight for b in self.blocks}):
            D = sum(b.size for b in self.blocks if b.weight == w)
            classes.append((w, [math.comb(D, t) for t in range(min(D, r // w) + 1)], D))
        return _maximal_sums(classes, r)[0]

    # -- nearest point ----------------------------------------------------------------------------
    def nearest_component(self, U: ArrayLike) -> EquivariantComponent:
        """A component containing a nearest point of ``E_r`` to ``U`` (see :meth:`nearest`)."""
        return self._nearest(self._check_matrix(U, "U"))[0]

    def nearest_ranks(self, U: ArrayLike) -> Ranks:
        """The labelled ranks ``{"r_{l,m}": rank}`` of :meth:`nearest_component`."""
        return self.nearest_component(U).labelled_ranks

    def nearest(self, U: ArrayLike) -> NDArray[np.float64]:
        """A nearest point of ``E_r`` (all components) to the ``n x n`` matrix ``U``, Frobenius norm.

        Project ``U`` onto the commutant, take the SVD of every block, and choose the block ranks by an
        exact knapsack: keeping rank ``k`` in block ``b`` gains the sum of its top ``k`` squared singular
        values times :attr:`~Block.frobenius_weight` (2 for cyclic complex blocks,
        ``||R(Z)||_F^2 = 2 ||Z||_F^2``; pairs of singular values of a quaternionic block's complex
        adjoint), under the budget ``sum_b w_b r_b <= r``. The ranks are then raised to a maximal tuple (this keeps the point).
        """
        comp, svds = self._nearest(self._check_matrix(U, "U"))
        return self._matrix_from_checked(comp._truncate(svds))

    def _nearest(self, U: NDArray[np.float64]) -> tuple[EquivariantComponent, list[Any]]:
        svds = [np.linalg.svd(a) for a in self._matrix_blocks(U)]
        gains = []
        for b, (_, s, _) in zip(self.blocks, svds):
            kmax = min(b.size, self.rank // b.weight)
            cumulative = np.concatenate([[0.0], np.cumsum(s[:kmax * b.rank_step] ** 2)])
            gains.append(b.frobenius_weight * cumulative[::b.rank_step])
        ranks = best_ranks(self.blocks, gains, self.rank)
        return EquivariantComponent(self, ranks, _checked=True), svds

    def fourier_layout(self) -> FourierLayout:
        """Where the block coordinates come from, for re-implementing :meth:`to_blocks` elsewhere
        (e.g. in torch): the cycles grouped by length (``index[c]`` lists cycle ``c`` from its smallest
        element along ``sigma``) and, per block, the ``(length, frequency)`` pairs whose
        ``sqrt(2) * rfft(x[index], norm="ortho")[..., frequency]`` values are its copies, in order
        (for a real block, the real part divided by ``sqrt(2)``).

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3)(4 5)", 5), 1)
        >>> layout = E.fourier_layout()
        >>> [(g.length, g.index.tolist()) for g in layout.cycle_groups]
        [(2, [[3, 4]]), (3, [[0, 1, 2]])]
        >>> layout.block_sources
        [[(2, 0), (3, 0)], [(3, 1)], [(2, 1)]]
        """
        if self.method != "fourier":
            raise ValueError("fourier_layout() describes the Fourier path of a cyclic group; this variety "
                             "uses the generic decomposition (see .decomposition)")
        lay = self._layout
        groups = [CycleGroup(length, lay.index[length].copy()) for length in lay.lengths]
        return FourierLayout(groups, [list(src) for src in lay.sources])

    # -- values -------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EquivariantVariety):
            return NotImplemented
        return (self.group, self.rank, self.method) == (other.group, other.rank, other.method)

    def __hash__(self) -> int:
        return hash((self.group, self.rank, self.method))

    def _sigma_repr(self) -> str:
        if self.sigma is None or len(self.group.generators) > 1:
            return repr(self.group) if self.n <= 64 else f"<PermutationGroup n={self.n}, " \
                f"{len(self.group.generators)} generators>"
        if self.n <= 64:
            return repr(self.sigma)
        return f"<Permutation n={self.n}, cycle type {self.sigma.cycle_type}>"

    def __repr__(self) -> str:
        cyclic = self.group.cyclic_generator() is not None
        method = ", method='generic'" if self.method == "generic" and cyclic else ""
        return f"EquivariantVariety({self._sigma_repr()}, rank={self.rank}{method})"

    def __str__(self) -> str:
        marks = {"real": "", "complex": "C", "quaternionic": "H"}
        blocks = " (+) ".join(f"{b.label}:{b.size}{marks[b.kind]}" for b in self.blocks)
        name = "sigma" if self.sigma is not None else "G"
        return f"E^{name}_{{{self.rank}, {self.n}x{self.n}}}, blocks {blocks}"


def _label(blocks: Sequence[Block], ranks: Sequence[int]) -> str:
    return Ranks.of(blocks, ranks).text


def _raisable(blocks: Sequence[Block], ranks: Sequence[int], r: int) -> int | None:
    slack = r - sum(b.weight * k for b, k in zip(blocks, ranks))
    for i, (b, k) in enumerate(zip(blocks, ranks)):
        if k < b.size and b.weight <= slack:
            return i
    return None


def _complete(blocks: Sequence[Block], ranks: Sequence[int], r: int) -> list[int]:
    out = list(ranks)
    slack = r - sum(b.weight * k for b, k in zip(blocks, out))
    for i, b in enumerate(blocks):
        extra = min(b.size - out[i], slack // b.weight)
        out[i] += extra
        slack -= b.weight * extra
    return out


def best_ranks(blocks: Sequence[Block], gains: Sequence[ArrayLike], rank: int) -> tuple[int, ...]:
    """The maximal rank tuple with the largest total gain under the weighted budget ``r``.

    ``gains[b][k]`` is what rank ``k`` achieves in block ``b`` (non-decreasing in ``k``, ``gains[b][0]``
    usually 0; entries beyond ``d_b`` are ignored). An exact knapsack over the blocks chooses the ranks;
    they are then raised to a maximal tuple, which keeps the total gain because gains do not decrease.

    Examples
    --------
    >>> blocks = blocks_of({4: 2, 1: 1})   # r_{1,1} (size 3), r_{4,3} (size 2, complex), r_{2,1} (size 2)
    >>> best_ranks(blocks, [[0, 1, 1.5, 1.6], [0, 5, 5.1], [0, 0.2, 0.3]], 3)
    (1, 1, 0)
    """
    blocks = tuple(blocks)
    if len(gains) != len(blocks):
        raise ValueError(f"gains must have one array per block: expected {len(blocks)}, got {len(gains)}")
    r = check_int(rank, "rank", 0)
    arrays = [np.asarray(g, dtype=np.float64)[:b.size + 1] for b, g in zip(blocks, gains)]
    for b, g in zip(blocks, arrays):
        if g.ndim != 1 or g.size == 0 or not np.isfinite(g).all():
            raise ValueError(f"gains for {b.label} must be a non-empty 1-D array of finite numbers")
    full = sum(b.weight * b.size for b in blocks)  # a budget above it buys nothing: no r-sized tables
    ranks = _knapsack(arrays, [b.weight for b in blocks], min(r, full))
    return tuple(_complete(blocks, ranks, r))


def _knapsack(gains: list[NDArray[np.float64]], weights: list[int], r: int) -> list[int]:
    """Exact 0/1-per-level knapsack: choose ``k_b`` (index into ``gains[b]``) maximizing the total gain
    under ``sum w_b k_b <= r``."""
    best = np.full(r + 1, -np.inf)
    best[0] = 0.0
    choices = []
    for g, w in zip(gains, weights):
        new = np.full(r + 1, -np.inf)
        choice = np.zeros(r + 1, dtype=np.int64)
        for k, value in enumerate(g):
            s = w * k
            if s > r:
                break
            candidate = best[:r + 1 - s] + value
            better = candidate > new[s:]
            new[s:][better] = candidate[better]
            choice[s:][better] = k
        best = new
        choices.append(choice)
    t = int(np.argmax(best))
    ranks = []
    for choice, w in zip(reversed(choices), reversed(weights)):
        k = int(choice[t])
        ranks.append(k)
        t -= w * k
    return ranks[::-1]


def _block_ranks(arrays: Sequence[NDArray[Any]], tol: float, blocks: Sequence[Any]) -> list[int]:
    """Numerical ranks of block operators, over the block's field (a complex adjoint's rank halved)."""
    singular = [np.linalg.svd(a, compute_uv=False) for a in arrays]
    scale = max((float(s[0]) for s in singular if s.size), default=0.0)
    threshold = tol * max(scale, np.finfo(float).tiny)
    return [-(-int((s > threshold).sum()) // b.rank_step) for s, b in zip(singular, blocks)]


# -- one component -------------------------------------------------------------------------------
class WeightSharing(NamedTuple):
    """Weight-sharing templates of a component's autoencoder in the basis ``Q``.

    ``encoder_ids`` (``r' x n``) and ``decoder_ids`` (``n x r'``) hold the index of the shared weight
    used at each entry (``-1`` where the entry is structurally zero); ``*_signs`` hold ``+1``, ``-1``
    (the entry is minus the weight) or ``0``. Encoder ids are ``0..E-1``, decoder ids ``E..P-1`` with
    ``P = n_params``. In original coordinates the autoencoder is ``(Q decoder) (encoder Q^T)``.
    """

    encoder_ids: NDArray[np.int64]
    encoder_signs: NDArray[np.int64]
    decoder_ids: NDArray[np.int64]
    decoder_signs: NDArray[np.int64]

    @property
    def n_params(self) -> int:
        """Number of distinct weights."""
        return int(max(self.encoder_ids.max(initial=-1), self.decoder_ids.max(initial=-1)) + 1)

    def fill(self, params: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(decoder, encoder)`` in the basis ``Q`` with the given weights (one per id)."""
        values = np.asarray(params, dtype=np.float64)
        if values.shape != (self.n_params,):
            raise ValueError(f"params must have shape ({self.n_params},), got {values.shape}")
        padded = np.concatenate([values, [0.0]])  # id -1 reads the trailing 0
        return (padded[self.decoder_ids] * self.decoder_signs, padded[self.encoder_ids] * self.encoder_signs)


class EquivariantComponent(Variety):
    """One irreducible component ``E^{sigma, r}`` of ``E^sigma_{r, n x n}`` (built by
    :meth:`EquivariantVariety.component` or :meth:`EquivariantVariety.components`).

    In the basis ``Q`` it is ``prod_b M_{r_b, d_b x d_b}`` over real blocks times ``R(M_{r_b}(C))`` over
    complex blocks: dimensions add, degrees and ED degrees multiply (docs/math.md sections 2 and 4). Its
    points are ``n x n`` real matrices; :attr:`factors` describes it in block coordinates.
    """

    def __init__(self, variety: EquivariantVariety, ranks: Sequence[int] | Mapping[Any, int],
                 *, _checked: bool = False) -> None:
        if not isinstance(variety, EquivariantVariety):
            raise ValueError(f"variety must be an EquivariantVariety, got {type(variety).__name__}")
        if not _checked:  # validate as EquivariantVariety.component does
            ranks = variety.component(ranks).ranks
        self.variety = variety
        self.ranks: tuple[int, ...] = tuple(int(k) for k in ranks)  # type: ignore[union-attr]
        self.blocks: tuple[Block, ...] = variety.blocks

    # -- data -----------------------------------------------------------------------------------
    @property
    def max_rank(self) -> int:
        """Rank of a generic point: ``sum_b w_b r_b``."""
        return sum(b.weight * k for b, k in zip(self.blocks, self.ranks))

    @property
    def kind(self) -> str:
        """``"rank r"`` (weighted sum ``r``, the talk's components), ``"whole commutant"`` (every block
        full, ``r > n``), otherwise ``"rank r-s"`` with ``s`` the unused budget, below the weight of every
        block that is not full (for a cyclic group ``"rank r-1"``: every real block full)."""
        slack = self.variety.rank - self.max_rank
        if slack == 0:
            return "rank r"
        if all(k == b.size for b, k in zip(self.blocks, self.ranks)):
            return "whole commutant"
        return f"rank r-{slack}"

    @property
    def labelled_ranks(self) -> Ranks:
        """The ranks keyed by block label, in block order (a :class:`~equilin.blocks.Ranks`: a mapping
        ``{"r_{l,m}": rank}`` whose repr parses back)."""
        return Ranks.of(self.blocks, self.ranks)

    def label(self) -> str:
        """The ranks with their block labels, e.g. ``'r_{1,1}=1 r_{4,3}=1 r_{2,1}=0'``."""
        return _label(self.blocks, self.ranks)

    @cached_property
    def factors(self) -> ProductVariety:
        """``prod_b DeterminantalVariety(d_b, d_b, r_b, field)`` (field ``"C"`` on complex blocks)."""
        return ProductVariety([DeterminantalVariety(b.size, b.size, k, b.field.name)
                               for b, k in zip(self.blocks, self.ranks)])

    @property
    def dim(self) -> int:
        return sum(b.dim_of(k) for b, k in zip(self.blocks, self.ranks))

    @property
    def degree(self) -> int:
        return math.prod(b.degree_of(k) for b, k in zip(self.blocks, self.ranks))

    @property
    def ed_degree(self) -> int:
        return math.prod(b.ed_degree_of(k) for b, k in zip(self.blocks, self.ranks))

    @property
    def singular_locus(self) -> VarietyUnion | None:
        """In block coordinates: the union over blocks with ``0 < r_b < d_b`` of the products with that
        block's rank lowered by one (:attr:`ProductVariety.singular_locus` of :attr:`factors`);
        ``None`` when the component is smooth (every block of rank 0 or full)."""
        return self.factors.singular_locus

    @property
    def n_params(self) -> int:
        """Parameters of the autoencoder that parameterizes this component: ``2 d r`` per real block,
        ``4 d r`` per complex block."""
        return sum(b.n_params_of(k) for b, k in zip(self.blocks, self.ranks))

    # -- points -------------------------------------------------------------------------------------
    def _truncate(self, svds: list[Any]) -> list[NDArray[Any]]:
        out = []
        for (u, s, vh), k, b in zip(svds, self.ranks, self.blocks):
            kk = k * b.rank_step
            out.append((u[:, :kk] * s[:kk]) @ vh[:kk])
        return out

    def nearest_blocks(self, blocks: Sequence[ArrayLike]) -> list[NDArray[Any]]:
        """Per-block Eckart-Young on blocks given as by :meth:`EquivariantVariety.matrix_to_blocks`
        (complex SVD on complex blocks)."""
        arrays, _ = self.variety._check_blocks(blocks, "blocks", square=True)
        return self._truncate([np.linalg.svd(a) for a in arrays])

    def nearest(self, U: ArrayLike) -> NDArray[np.float64]:
        """A nearest point of this component to the ``n x n`` matrix ``U`` (Frobenius): project onto the
        commutant, then truncate the SVD of every block to its rank (complex SVD on complex blocks)."""
        return self.variety._matrix_from_checked(self.nearest_blocks(self.variety.matrix_to_blocks(U)))

    def _factor_vectors(self, lefts: list[NDArray[Any]],
                        rights: list[NDArray[Any]]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(decoder n x r', encoder r' x n)`` in original coordinates from per-block factors
        ``Z_b = L_b R_b^H`` (``d_b x r_b``), through one inverse FFT for each side."""
        E = self.variety
        width = self.max_rank
        if not width:
            return np.zeros((E.n, 0)), np.zeros((0, E.n))
        if E._decomposition is not None:
            D = E._decomposition
            sides = []
            for factors in (lefts, rights):   # C_i realize(Z_i), all blocks in one pass, side by side
                coords, row = {}, 0
                for i, k in enumerate(self.ranks):
                    if k:
                        R = D.realize(i, factors[i]).T                   # k delta x m delta
                        coords[i] = np.zeros((width, R.shape[1]))
                        coords[i][row:row + R.shape[0]] = R
                        row += R.shape[0]
                sides.append(D.coordinates_to_vectors(coords, width))   # width x n
            return sides[0].T, sides[1]
        dec = [np.zeros((width, b.size), dtype=np.complex128 if b.field is COMPLEX else np.float64)
               for b in self.blocks]
        enc = [a.copy() for a in dec]
        row = 0
        for i, (b, k) in enumerate(zip(self.blocks, self.ranks)):
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

    def sample_factors(self, rng: np.random.Generator | int | None = None
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """A random generic point as an autoencoder: ``(decoder n x r', encoder r' x n)``,
        ``r' = max_rank``, Gaussian block factors (no ``n x n`` matrix)."""
        g = as_generator(rng)
        lefts, rights = [], []
        for b, k in zip(self.blocks, self.ranks):
            shape = (b.size, k)
            for side in (lefts, rights):
                if b.field is REAL:
                    side.append(g.standard_normal(shape))
                elif b.field is COMPLEX:
                    side.append(g.standard_normal(shape) + 1j * g.standard_normal(shape))
                else:
                    side.append(quaternion_to_complex(g.standard_normal((4,) + shape)))
        return self._factor_vectors(lefts, rights)

    def sample(self, rng: np.random.Generator | int | None = None) -> NDArray[np.float64]:
        """A random generic point (rank ``max_rank``), as an ``n x n`` matrix."""
        A, B = self.sample_factors(rng)
        return A @ B

    def nearest_lowrank(self, A: ArrayLike, B: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Nearest point of the component to ``U = A @ B`` given by thin factors ``A`` (``n x k``) and
        ``B`` (``k x n``), returned as an autoencoder ``(decoder n x r', encoder r' x n)``; no
        ``n x n`` array is formed (FFTs of the ``2k`` vectors, then thin QR and SVD per block).
        Padding columns are zero where ``U`` has lower rank than the component."""
        E = self.variety
        A_ = _check_real_array(A, "A")
        B_ = _check_real_array(B, "B")
        if A_.ndim != 2 or A_.shape[0] != E.n or B_.shape != (A_.shape[1], E.n):
            raise ValueError(f"A must be n x k and B k x n with n={E.n}, got shapes {A_.shape} and "
                             f"{np.shape(B)}")
        if E._decomposition is not None:  # per block C^T A B C = (A^T C)^T (B C): no n x n product
            D = E._decomposition
            every = range(len(E.blocks))
            AC = D.vectors_to_coordinates(np.ascontiguousarray(A_.T), every)
            BC = D.vectors_to_coordinates(B_, every)
            return self._generic_factors([D.operator(i, a.T @ b) for i, (a, b) in enumerate(zip(AC, BC))])
        left_blocks = E.to_blocks(A_.T)  # (k, d_b): rows w(a_j)
        right_blocks = E.to_blocks(B_)
        lefts, rights = [], []
        for b, k, La, Rb in zip(self.blocks, self.ranks, left_blocks, right_blocks):
            L0, R0 = La.T, Rb.T  # U_b = L0 R0^H (real: L0 R0^T; complex: halves, see module notes)
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
        return self._factor_vectors(lefts, rights)

    def _generic_factors(self, operators: list[NDArray[Any]]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Autoencoder factors of the nearest point to block operators (generic path): per block an
        orthonormal basis ``L`` of the kept left singular space (for a quaternionic block, one in complex
        adjoint form) and ``R = Z_k^H L``."""
        lefts, rights = [], []
        for Z, k, b in zip(operators, self.ranks, self.blocks):
            kk = k * b.rank_step
            u, s, vh = np.linalg.svd(Z)
            Zk = (u[:, :kk] * s[:kk]) @ vh[:kk]
            L = adjoint_basis(u[:, :kk]) if b.field is QUATERNIONIC else u[:, :kk]
            lefts.append(L)
            rights.append(Zk.conj().T @ L)
        return self._factor_vectors(lefts, rights)

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M`` commutes with ``P_sigma`` and every block has rank ``<= r_b`` (up to ``tol``)."""
        E = self.variety
        arr = E._check_matrix(M, "M")
        if not E.is_equivariant(arr, tol):
            return False
        ranks = _block_ranks(E._matrix_blocks(arr), tol, self.blocks)
        return all(k <= bound for k, bound in zip(ranks, self.ranks))

    # -- weight sharing ---------------------------------------------------------------------------
    def weight_sharing(self) -> WeightSharing:
        """Encoder (``r' x n``) and decoder (``n x r'``) templates in the basis ``Q``, ``r' = max_rank``.

        Both are block diagonal with the component's ranks. A real block is dense with distinct ids
        (row-major). A complex block is the realization of a complex matrix: its entry ``(i, j)`` is
        the 2 x 2 pattern ``[[a, -b], [b, a]]`` with ids ``a = base + 2 (i * cols + j)`` and ``b = a + 1``.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> W = E.component((1, 1, 0)).weight_sharing()
        >>> W.encoder_ids.tolist()[1:]
        [[-1, -1, -1, 3, 4, 5, 6, -1, -1], [-1, -1, -1, 4, 3, 6, 5, -1, -1]]
        >>> W.encoder_signs.tolist()[1:]
        [[0, 0, 0, 1, -1, 1, -1, 0, 0], [0, 0, 0, 1, 1, 1, 1, 0, 0]]
        """
        n, width = self.variety.n, self.max_rank
        enc_ids = np.full((width, n), -1, dtype=np.int64)
        enc_signs = np.zeros((width, n), dtype=np.int64)
        dec_ids = np.full((n, width), -1, dtype=np.int64)
        dec_signs = np.zeros((n, width), dtype=np.int64)
        next_id = 0
        row = 0
        for b, k, col in zip(self.blocks, self.ranks, self.variety._offsets):
            rows = slice(row, row + b.weight * k)
            cols = slice(col, col + b.real_dim)
            next_id = _fill_template(enc_ids[rows, cols], enc_signs[rows, cols], k, b.size, b, next_id)
            row += b.weight * k
        row = 0
        for b, k, col in zip(self.blocks, self.ranks, self.variety._offsets):
            rows = slice(col, col + b.real_dim)
            cols = slice(row, row + b.weight * k)
            next_id = _fill_template(dec_ids[rows, cols], dec_signs[rows, cols], b.size, k, b, next_id)
            row += b.weight * k
        return WeightSharing(enc_ids, enc_signs, dec_ids, dec_signs)

    # -- values -------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EquivariantComponent):
            return NotImplemented
        return (self.variety, self.ranks) == (other.variety, other.ranks)

    def __hash__(self) -> int:
        return hash((self.variety, self.ranks))

    def __repr__(self) -> str:
        return f"{self.variety!r}.component({self.labelled_ranks!r})"

    def __str__(self) -> str:
        name = "sigma" if self.variety.sigma is not None else "G"
        return f"E^{{{name}, r}} with {self.label()} ({self.kind}, max rank {self.max_rank})"


def _unit_pattern(field_dim: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Which unit (``t``) and sign sit at entry ``(u, v)`` of the realization ``sum_t z_t L_t`` of one
    entry of a matrix over R (1 x 1), C (``[[a, -b], [b, a]]``) or H (left multiplication)."""
    units = field_units(field_dim)
    which = np.abs(units).argmax(axis=0)
    signs = np.take_along_axis(units, which[None], axis=0)[0]
    return which.astype(np.int64), np.rint(signs).astype(np.int64)


def _fill_template(ids: NDArray[np.int64], signs: NDArray[np.int64], rows: int, cols: int,
                   block: Any, start: int) -> int:
    """Write the template of a ``rows x cols`` matrix over the block's field, realized and repeated on
    the ``weight / field_dim`` copies of the irreducible (block diagonal), into ``ids``/``signs``;
    return the next free id. Entry ``(a, b)`` owns the ids ``start + d (a cols + b) + t``, ``t < d``."""
    d = block.field_dim
    reps = block.weight // d
    which, sign = _unit_pattern(d)
    base = start + d * np.arange(rows * cols).reshape(rows, cols)
    full_ids = np.full((rows, reps, d, cols, reps, d), -1, dtype=np.int64)
    full_signs = np.zeros((rows, reps, d, cols, reps, d), dtype=np.int64)
    for j in range(reps):
        full_ids[:, j, :, :, j, :] = base[:, None, :, None] + which[None, :, None, :]
        full_signs[:, j, :, :, j, :] = sign[None, :, None, :]
    ids[:, :] = full_ids.reshape(rows * reps * d, cols * reps * d)
    signs[:, :] = full_signs.reshape(rows * reps * d, cols * reps * d)
    return start + d * rows * cols
