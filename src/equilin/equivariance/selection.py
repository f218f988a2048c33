"""The best component for given per-block gains: an exact knapsack over the blocks' ranks.

:meth:`equilin.equivariance.EquivariantVariety.nearest` (and the closed-form fits of
:mod:`equilin.models.closed_form`) keep, in every block, the rank whose gain (the energy of the top
singular values) is best overall under the weighted budget ``sum_b w_b r_b <= r``; the ranks are then
raised to a maximal tuple, a component (:mod:`equilin.equivariance.components`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.equivariance.blocks import Block
from equilin.equivariance.components import _complete
from equilin.validation import check_int

__all__ = ["best_ranks"]


def best_ranks(blocks: Sequence[Block], gains: Sequence[ArrayLike], rank: int) -> tuple[int, ...]:
    """The maximal rank tuple with the largest total gain under the weighted budget ``r``.

    ``gains[b][k]`` is what rank ``k`` achieves in block ``b`` (non-decreasing in ``k``, ``gains[b][0]``
    usually 0; entries beyond ``d_b`` are ignored). An exact knapsack over the blocks chooses the ranks;
    they are then raised to a maximal tuple, which keeps the total gain because gains do not decrease.

    Examples
    --------
    >>> from equilin.equivariance import blocks_of
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
