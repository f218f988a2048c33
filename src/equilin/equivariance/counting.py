"""Exact sums over the irreducible components of ``E^G_r``: how many there are, and their ED degrees.

A component is a *maximal* rank tuple ``(r_b)``, ``0 <= r_b <= d_b``, ``sum_b w_b r_b <= r``
(:mod:`equilin.equivariance.components`). Both sums are dynamic programmes over the blocks' generating
functions, by weight class; nothing is enumerated, so cycle counts may be ``10**12``. They take
``O(r^2)`` time, hence the bound :data:`COUNT_MAX_R`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from equilin.equivariance.blocks import Block
from equilin.equivariance.cyclic import blocks_of
from equilin.validation import check_int

__all__ = ["ComponentCount", "count_components", "COUNT_MAX_R"]


class ComponentCount(NamedTuple):
    """Numbers of irreducible components: all of them, and those containing a rank-``r`` matrix."""

    total: int
    rank_r: int



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
                         "equilin.equivariance.Block")
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
        ``total`` (all maximal tuples, :mod:`equilin.equivariance.components`) and ``rank_r`` (those
        with weighted sum exactly ``r``, the talk's count).

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



def _union_ed_degree(blocks: Sequence[Block], r: int) -> int:
    """Sum of the ED degrees of all the real components of ``E_r`` (every kind). Closed form: the
    generating function of ``prod_b binom(d_b, r_b)`` over the blocks of weight ``w`` is
    ``(1 + x^w)^{D_w}`` with ``D_w`` their total size (for a cyclic group ``(1+x)^{D_R} (1+x^2)^{D_C}``);
    the maximal tuples are summed as in :func:`count_components`."""
    if r >= sum(b.weight * b.size for b in blocks):
        return 1
    _check_count_budget(r, sum(b.weight * b.size for b in blocks))
    classes = []
    for w in sorted({b.weight for b in blocks}):
        D = sum(b.size for b in blocks if b.weight == w)
        classes.append((w, [math.comb(D, t) for t in range(min(D, r // w) + 1)], D))
    return _maximal_sums(classes, r)[0]
