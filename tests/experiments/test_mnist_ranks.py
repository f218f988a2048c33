"""The rank tuples of the MNIST experiment's models (equilin.experiments.ranks) on the MNIST blocks and
the 8 x 8 digits' blocks."""

from __future__ import annotations

import pytest

from equilin.equivariance import EquivariantVariety
from equilin.experiments import (
    TALK_RANKS,
    equal_rank_ranks,
    format_ranks,
    high_pass_ranks,
    low_pass_ranks,
    talk_ranks,
    weighted_rank,
)
from equilin.groups import image_shift


@pytest.fixture(scope="module")
def mnist_variety() -> EquivariantVariety:
    return EquivariantVariety(image_shift(28, 28), 99)


def test_mnist_blocks_are_ordered_by_frequency(mnist_variety: EquivariantVariety) -> None:
    E = mnist_variety
    assert E.labels[:3] == ("r_{1,1}", "r_{28,27}", "r_{14,13}") and E.labels[-1] == "r_{2,1}"
    assert [b.frequency(28) for b in E.blocks] == list(range(15))
    assert sum(b.weight for b in E.blocks) == 28


def test_talk_ranks(mnist_variety: EquivariantVariety) -> None:
    E = mnist_variety
    ranks = talk_ranks(E)
    assert ranks == (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0) == TALK_RANKS
    assert weighted_rank(E, ranks) == 99
    assert E.component(ranks).n_params == 5_544
    assert format_ranks(dict(zip(E.labels, ranks))).startswith("r_{1,1}=13 r_{28,27}=10 r_{14,13}=9")


def test_equal_rank(mnist_variety: EquivariantVariety) -> None:
    ranks = equal_rank_ranks(mnist_variety)
    assert ranks == (3,) * 15
    assert weighted_rank(mnist_variety, ranks) == 84  # 3 x 28 <= 99 < 4 x 28
    component = EquivariantVariety.for_ranks(image_shift(28, 28), ranks).component(ranks)
    assert component.n_params == 2 * (2 * 28 * 3) + 13 * (4 * 28 * 3) == 4_704


def test_high_pass(mnist_variety: EquivariantVariety) -> None:
    E = mnist_variety
    ranks = dict(zip(E.labels, high_pass_ranks(E)))
    assert ranks["r_{2,1}"] == 13  # frequency 14, real
    by_frequency = {b.frequency(28): ranks[b.label] for b in E.blocks}
    assert [by_frequency[f] for f in range(14, 6, -1)] == [13, 10, 9, 8, 7, 5, 3, 1]
    assert all(by_frequency[f] == 0 for f in range(7))
    assert weighted_rank(E, high_pass_ranks(E)) == 13 + 2 * 43 == 99
    assert E.component(high_pass_ranks(E)).n_params == 5_544


def test_low_pass_and_generalizations() -> None:
    E = EquivariantVariety(image_shift(28, 28), 99)
    assert format_ranks(dict(zip(E.labels, low_pass_ranks(E)))) == "r_{1,1}=28 r_{28,27}=28 r_{14,13}=7 r_{2,1}=1"
    D = EquivariantVariety(image_shift(8, 8), 10)  # r_{1,1}, r_{8,7}, r_{4,3}, r_{8,5}, r_{2,1}; sizes 8
    assert low_pass_ranks(D) == (8, 1, 0, 0, 0)
    assert high_pass_ranks(D) == (0, 0, 0, 1, 8)
    assert equal_rank_ranks(D) == (1,) * 5
    for fill in (low_pass_ranks, high_pass_ranks):  # greedy fills are components (maximal tuples)
        for r in (1, 2, 9, 17, 40, 64):
            V = EquivariantVariety(image_shift(8, 8), r)
            ranks = fill(V)
            assert V.component(ranks).max_rank == min(r, 64)
    # MNIST at another rank: the greedy high-pass fill, not the talk's reversed list
    E50 = EquivariantVariety(image_shift(28, 28), 50)
    assert format_ranks(dict(zip(E50.labels, high_pass_ranks(E50)))) == "r_{28,15}=11 r_{2,1}=28"


def test_talk_ranks_need_the_talk_setting() -> None:
    with pytest.raises(ValueError, match="28 x 28"):
        talk_ranks(EquivariantVariety(image_shift(8, 8), 10))
    with pytest.raises(ValueError, match="r = 99"):
        talk_ranks(EquivariantVariety(image_shift(28, 28), 98))
    with pytest.raises(ValueError, match="rank >= 8"):
        equal_rank_ranks(EquivariantVariety(image_shift(8, 8), 7))
