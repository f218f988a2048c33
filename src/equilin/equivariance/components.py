"""The irreducible components of ``E^G_r`` as rank tuples: which tuples, all of them, the top-dimensional ones.

``docs/math.md`` section 4, ``docs/equivariance.md``. In the adapted basis a commuting matrix is block
diagonal, one block ``M_{d_b}(D_b)`` per irreducible (:class:`~equilin.equivariance.Block`); block rank
``r_b`` over ``D_b`` costs ``w_b r_b`` of the real rank (``w_b`` = :attr:`~equilin.equivariance.Block.weight`).

*Components.* A tuple ``(r_b)`` with ``0 <= r_b <= d_b`` and weighted sum ``sum_b w_b r_b <= r`` gives a
component (the product of the determinantal varieties ``M_{r_b}(D_b)``) iff it is maximal: no ``r_b``
can be raised by one within the budget. With slack ``s = r - sum``: ``s = 0`` ("rank r", the components
the talk counts), ``0 < s`` below the weight of every block that is not full (for a cyclic group
``s = 1`` when every real block is full: "rank r-1"), larger slack only when every block is full (then
``r >= n`` and the component is the whole commutant).

*Dimension and degree of* ``E_r``: the largest dimension of a component, and the sum of the degrees of the
components of that dimension (:func:`_top_dim_degree`, a knapsack over the blocks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.blocks import Block

__all__: list[str] = []


def _raisable(blocks: Sequence[Block], ranks: Sequence[int], r: int) -> int | None:
    """The first block whose rank can still be raised by one within the budget ``r`` (``None``: the
    tuple is maximal)."""
    slack = r - sum(b.weight * k for b, k in zip(blocks, ranks))
    for i, (b, k) in enumerate(zip(blocks, ranks)):
        if k < b.size and b.weight <= slack:
            return i
    return None


def _complete(blocks: Sequence[Block], ranks: Sequence[int], r: int) -> list[int]:
    """``ranks`` raised, block after block and as far as the budget allows, to a maximal tuple."""
    out = list(ranks)
    slack = r - sum(b.weight * k for b, k in zip(blocks, out))
    for i, b in enumerate(blocks):
        extra = min(b.size - out[i], slack // b.weight)
        out[i] += extra
        slack -= b.weight * extra
    return out


def _completable(blocks: Sequence[Block], r: int) -> dict[int, list[int]]:
    """``table[mu][i]``: bitset of the budgets ``b`` with which the blocks ``i..`` can complete a
    maximal tuple when the lightest non-full block so far has weight ``mu`` (``r + 1``: none)."""
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


def _maximal_tuples(blocks: Sequence[Block], r: int) -> Iterator[tuple[int, ...]]:
    """Every maximal rank tuple, lazily, lexicographically decreasing. Every branch of the search leads
    to a tuple (:func:`_completable` prunes the others), so the delay between two is
    ``O(#blocks * d)``."""
    if r >= sum(b.weight * b.size for b in blocks):
        yield tuple(b.size for b in blocks)
        return
    table = _completable(blocks, r)
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
            yield tuple(ranks)
        else:
            stack.append(options(i + 1))


def _dim_tables(blocks: Sequence[Block], rank: int
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], list[NDArray[np.int64]]]:
    """Knapsack tables of the largest dimension: ``pre[i, t]`` over the blocks before ``i`` with weighted
    rank ``t`` exactly, ``suf[i, t]`` over the blocks from ``i`` on with weighted rank at most ``t``, and
    every block's dimension by rank (``r`` clipped to the total weight)."""
    r = min(rank, sum(b.weight * b.size for b in blocks))  # tables of size r + 1: clip huge r
    gains = [np.array([b.dim_of(k) for k in range(min(b.size, r // b.weight) + 1)], dtype=np.int64)
             for b in blocks]
    nb = len(blocks)
    if (nb + 1) * (r + 1) > 10**8:  # two int64 tables of this size
        raise ValueError(f"dim and degree of E_r need two {nb + 1} x {r + 1} tables (more than 10**8 entries); "
                         f"use a smaller r, or the components' own dim and degree")
    neg = np.iinfo(np.int64).min // 4
    pre = np.full((nb + 1, r + 1), neg, dtype=np.int64)
    pre[0, 0] = 0
    for i, (b, g) in enumerate(zip(blocks, gains)):
        for k, value in enumerate(g):
            s = b.weight * k
            np.maximum(pre[i + 1, s:], pre[i, :r + 1 - s] + value, out=pre[i + 1, s:])
    suf = np.zeros((nb + 1, r + 1), dtype=np.int64)
    for i in range(nb - 1, -1, -1):
        b, g = blocks[i], gains[i]
        suf[i] = suf[i + 1]
        for k, value in enumerate(g):
            s = b.weight * k
            np.maximum(suf[i, s:], suf[i + 1, :r + 1 - s] + value, out=suf[i, s:])
    return pre, suf, gains


def _top_dim_degree(blocks: Sequence[Block], rank: int) -> tuple[int, int]:
    """(dim, degree) of ``E_r``: max dimension, sum of the degrees of the top-dimensional components,
    by a DP that only multiplies degrees along optimal ("tight") transitions."""
    pre, suf, gains = _dim_tables(blocks, rank)
    r = pre.shape[1] - 1  # r clipped to the total weight
    top = int(pre[-1].max())
    layer = {0: 1}
    for i, (b, g) in enumerate(zip(blocks, gains)):
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
