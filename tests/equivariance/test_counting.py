"""equilin.equivariance.counting: exact numbers of components of E_r (dynamic programming), against
brute force, closed forms and the talk's MNIST count."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from test_components import brute_components

from equilin.equivariance import EquivariantVariety, blocks_of, count_components
from equilin.groups import cycle_type_of_string, image_shift

MNIST_RANK_R = 72_425_986_088_826


@given(st.dictionaries(st.integers(1, 12), st.integers(0, 5), min_size=1, max_size=4), st.integers(0, 30))
@settings(max_examples=60)
def test_count_equals_brute_force(cycle_type: dict[int, int], r: int) -> None:
    if not any(cycle_type.values()):
        cycle_type = {1: 1}
    blocks = blocks_of(cycle_type)
    if math.prod(b.size + 1 for b in blocks) > 50_000:
        return
    brute = brute_components(blocks, r)
    assert count_components(cycle_type, r) == (len(brute), sum(1 for _, s in brute if s == 0))
    assert count_components(blocks, r) == count_components(cycle_type, r)


def test_count_dp_with_many_equal_blocks() -> None:
    """The series branch (more equal blocks than the budget) against the window-sum branch."""
    blocks = blocks_of({13: 2})  # 6 complex blocks of size 2, more than r // 2 for r < 12
    for r in range(0, 16):
        brute = brute_components(blocks, r)
        assert count_components(blocks, r) == (len(brute), sum(1 for _, s in brute if s == 0))
    # an independent closed form: 1 cycle of prime length p: (1,1) of size 1 and (p-1)/2 blocks of size 1
    p, r = 101, 20
    half = (p - 1) // 2
    assert count_components({p: 1}, r).rank_r == math.comb(half, r // 2)
    assert count_components({p: 1}, r + 1).rank_r == math.comb(half, r // 2)


def test_count_for_mnist_and_huge_n() -> None:
    count = count_components({28: 28}, 99)
    assert count.rank_r == MNIST_RANK_R
    assert count.total == MNIST_RANK_R + count_components(blocks_of({28: 28})[1:-1], 99 - 1 - 56).rank_r
    sigma = image_shift(28, 28)
    assert sigma.cycle_type == {28: 28}
    assert EquivariantVariety(sigma, 99).count_components() == count
    huge = cycle_type_of_string("(1 2)", 10**12)
    assert count_components(huge, 3) == (2, 2)  # (r_11, r_21) = (3, 0), (2, 1)
    assert count_components(huge, 10**12) == (1, 1)
    assert count_components(huge, 10**12 + 5) == (1, 0)
    assert count_components(cycle_type_of_string("(1 2 3)", 10**12), 2) == (2, 2)  # (2, 0), (0, 1)
