"""Design in reverse (equilin.deep.design): the orbit types are the conjugacy classes of subgroups, and
the smallest G-set that realizes a component, against brute force."""

from __future__ import annotations

import itertools

import pytest

from equilin.deep import DeepLinearNetwork, GSet, multiplicities, orbit_types, smallest_gset
from equilin.equivariance import EquivariantVariety
from equilin.groups import PermutationGroup

from deep_cases import D4, Q8, S3, SIGMA


def test_orbit_types_are_the_conjugacy_classes_of_subgroups() -> None:
    """D4 has 8 classes of subgroups, Q8 6, S3 4, a cyclic group of order N one per divisor; every type
    is transitive of size |G : H|, and the multiplicities of G/1 are the regular representation's."""
    for group, classes in ((D4, 8), (Q8, 6), (S3, 4), (PermutationGroup([SIGMA]), 3)):
        E = EquivariantVariety(group, 0)
        types = orbit_types(E)
        assert len(types) == classes
        order = len(list(group.elements()))
        for t in types:
            assert t.size * len(list(PermutationGroup(list(t.subgroup)).elements())) == order
            assert GSet.cosets(group, list(t.subgroup)).h == t.size
        assert types[-1].size == order and types[-1].multiplicities == multiplicities(E, GSet.regular(group))


def _brute_force_smallest(types, b: tuple[int, ...], bound: int) -> int:
    best = None
    for counts in itertools.product(range(bound + 1), repeat=len(types)):
        if all(sum(c * t.multiplicities[i] for c, t in zip(counts, types)) >= b[i] for i in range(len(b))):
            size = sum(c * t.size for c, t in zip(counts, types))
            best = size if best is None else min(best, size)
    return best


@pytest.mark.parametrize("group", [PermutationGroup([SIGMA]), D4, Q8], ids=["rotation", "d4", "Q8"])
def test_smallest_gset_against_brute_force(group) -> None:
    """The integer program's optimum against enumerating the orbit counts, for every component of
    small rank; the G-set found dominates the ranks and realizes the component."""
    E = EquivariantVariety(group, 0)
    types = orbit_types(E)
    for r in range(1, 5):
        for C in EquivariantVariety(group, r).components():
            H, counts = smallest_gset(E, C.ranks)
            assert H.h == sum(size * c for size, c in counts.items())
            assert H.h == _brute_force_smallest(types, C.ranks, max(C.ranks) + 1)
            assert all(m >= k for m, k in zip(multiplicities(E, H), C.ranks))
            net = DeepLinearNetwork(group, [H])
            assert all(b >= k for b, k in zip(net.bottleneck, C.ranks))


def test_the_talks_component_through_permuted_neurons() -> None:
    """The talk's MNIST component (13, 10, 9, 8, 7, 5, 3, 1, 0, ...) under shift-x needs 283 permuted
    neurons: ten 28-cycles (each carries every frequency once; r_{28,27} = 10 needs ten) and three fixed
    units for the remaining r_{1,1} = 13, against the linear bottleneck of 99."""
    from equilin.groups import image_shift

    E = EquivariantVariety(image_shift(28, 28), 99)
    H, counts = smallest_gset(E, (13, 10, 9, 8, 7, 5, 3, 1) + (0,) * 7)
    assert (H.h, counts) == (283, {1: 3, 28: 10})
