"""equilin.equivariance.cyclic: the spectrum of P_sigma and the talk's blocks r_{l,m}, from the cycle type
alone (docs/math.md section 4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from equilin.equivariance import Block, EquivariantVariety, blocks_of, spectrum
from equilin.groups import Permutation, cycle_type_of_string

from conftest import permutations


def test_talk_block_order_for_a_28_cycle() -> None:
    labels = [b.label for b in blocks_of({28: 28})]
    assert labels == ["r_{1,1}", "r_{28,27}", "r_{14,13}", "r_{28,25}", "r_{7,6}", "r_{28,23}", "r_{14,11}",
                      "r_{4,3}", "r_{7,5}", "r_{28,19}", "r_{14,9}", "r_{28,17}", "r_{7,4}", "r_{28,15}",
                      "r_{2,1}"]
    assert [b.frequency(28) for b in blocks_of({28: 28})] == list(range(15))
    assert all(b.size == 28 for b in blocks_of({28: 28}))


def test_spectrum_from_cycle_type_alone() -> None:
    assert spectrum({1: 1, 4: 2}) == {1: 3, 2: 2, 4: 2}
    assert spectrum({6: 1, 4: 1}) == {1: 2, 2: 2, 3: 1, 4: 1, 6: 1}
    huge = cycle_type_of_string("(1 2)(3 4 5 6)", 10**12)
    assert spectrum(huge) == {1: 10**12 - 4, 2: 2, 4: 1}
    assert [b.label for b in blocks_of(huge)] == ["r_{1,1}", "r_{4,3}", "r_{2,1}"]
    assert blocks_of({3: 1}) == (Block.cyclic(1, 1, 1), Block.cyclic(3, 2, 1))  # no (2,1)
    with pytest.raises(ValueError, match="empty"):
        spectrum({})
    with pytest.raises(ValueError, match="cycle length"):
        spectrum({0: 3})


@given(permutations(max_n=12))
@settings(max_examples=40)
def test_spectrum_counts_eigenvalues(sigma: Permutation) -> None:
    """d_l is the multiplicity of every primitive l-th root of unity in P_sigma; sizes add up to n."""
    E = EquivariantVariety(sigma, 1)
    assert sum(b.weight * b.size for b in E.blocks) == sigma.n
    eig = np.linalg.eigvals(sigma.matrix())
    for l, d in E.spectrum.items():
        root = np.exp(2j * np.pi / l)
        assert int(np.sum(np.abs(eig - root) < 1e-6)) == d
