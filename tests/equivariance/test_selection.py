"""equilin.equivariance.selection: the knapsack that picks the best component for given per-block gains."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_components import brute_components

from equilin.equivariance import EquivariantVariety, best_ranks, blocks_of
from equilin.groups import Permutation


def test_nearest_knapsack_uses_complex_weight() -> None:
    """A complex block of singular value s gains 2 s^2 for 2 units of budget."""
    E = EquivariantVariety(Permutation.from_cycles("(1 2 3)", 3), 2)
    # real block value 1.0 (gain 1), complex block singular value 0.8 (gain 2 * 0.64 = 1.28)
    M = E.matrix_from_blocks([np.array([[1.0]]), np.array([[0.8 + 0j]])])
    assert E.nearest_ranks(M) == {"r_{1,1}": 0, "r_{3,2}": 1}
    M = E.matrix_from_blocks([np.array([[1.0]]), np.array([[0.7 + 0j]])])  # gain 0.98 < 1
    assert E.nearest_ranks(M) == {"r_{1,1}": 1, "r_{3,2}": 0}
    assert E.nearest_component(M).kind == "rank r-1"


@settings(max_examples=60, deadline=None)
@given(cycle_type=st.dictionaries(st.integers(1, 9), st.integers(0, 3), min_size=1, max_size=3),
       r=st.integers(0, 12), data=st.data())
def test_best_ranks_is_the_best_maximal_tuple(cycle_type: dict[int, int], r: int, data: st.DataObject) -> None:
    """For non-decreasing gains, best_ranks returns a maximal tuple whose total gain is the largest over
    every tuple within the weighted budget (brute force)."""
    if not any(cycle_type.values()):
        cycle_type = {1: 1}
    blocks = blocks_of(cycle_type)
    if math.prod(b.size + 1 for b in blocks) > 20_000:
        return
    gains = [np.concatenate([[0.0], np.cumsum([data.draw(st.floats(0, 10)) for _ in range(b.size)])])
             for b in blocks]
    ranks = best_ranks(blocks, gains, r)
    within = [t for t in itertools.product(*[range(b.size + 1) for b in blocks])
              if sum(b.weight * k for b, k in zip(blocks, t)) <= r]
    best = max(sum(g[k] for g, k in zip(gains, t)) for t in within)
    assert sum(g[k] for g, k in zip(gains, ranks)) == pytest.approx(best)
    assert ranks in {t for t, _ in brute_components(blocks, r)}   # a maximal tuple: a component
    with pytest.raises(ValueError, match="one array per block"):
        best_ranks(blocks, gains[:-1], r)
