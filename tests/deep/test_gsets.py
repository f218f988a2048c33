"""Hidden G-sets (equilin.deep.gsets): orbitals are the equivariant maps between G-sets, and bad
G-sets are refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.deep import GSet
from equilin.groups import Permutation, PermutationGroup

from deep_cases import D4, Q8, SIGMA, hom_dim, some_gsets


def test_orbitals_are_the_equivariant_maps_between_gsets() -> None:
    for G in (PermutationGroup([SIGMA]), Q8, D4):
        sets = some_gsets(G)
        for A in sets[:3]:
            for B in sets:
                count, labels = A.orbitals(B)
                assert count == hom_dim([g.matrix() for g in B.images], [g.matrix() for g in A.images])
                for s, t in zip(A.images, B.images):          # constant on orbits: W[s(a), t(b)] = W[a, b]
                    assert np.array_equal(labels[np.ix_(s.array, t.array)], labels)


@pytest.mark.parametrize("make, message", [
    (lambda: GSet(SIGMA, [Permutation.from_cycles("(1 2 3)", 3)]), "do not define an action"),
    (lambda: GSet(Q8, [Permutation.from_cycles("(1 2)", 2)]), "2 generators; give one image for each"),
    (lambda: GSet(Q8, [Permutation.identity(2), Permutation.identity(3)]), "same number of units"),
    (lambda: GSet.cosets(SIGMA, ["(1 2)"]), "not an element of the group"),
    (lambda: GSet.channels(SIGMA, 0), "K"),
    (lambda: GSet("(1 2)", []), "expected a PermutationGroup or Permutation"),
])
def test_bad_gsets(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
