"""equilin.groups.group: PermutationGroup's orbits, elements and cyclic generator against brute force."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from equilin.groups import Permutation, PermutationGroup

from conftest import groups, permutations


@given(groups(max_n=6))
def test_group_elements_fix_exactly_the_orbits(G: PermutationGroup) -> None:
    elements = list(G.elements(limit=1000))
    assert {tuple(sorted({g(i) for g in elements})) for i in range(G.n)} == set(G.orbits)


@given(groups())
def test_orbits_equal_brute_force_closure(G: PermutationGroup) -> None:
    def closure(i: int) -> tuple[int, ...]:  # every point reachable from i by the generators
        seen, frontier = {i}, [i]
        while frontier:
            frontier = [g(j) for j in frontier for g in G.generators if g(j) not in seen]
            seen.update(frontier)
        return tuple(sorted(seen))

    brute = {closure(i) for i in range(G.n)}
    assert set(G.orbits) == brute
    tau = G.orbit_representative()
    assert set(tau.cycles) == set(G.orbits)
    assert sorted(i for orbit in G.orbits for i in orbit) == list(range(G.n))


def test_group_errors() -> None:
    with pytest.raises(ValueError, match="at least one generator"):
        PermutationGroup([])
    with pytest.raises(ValueError, match="same n"):
        PermutationGroup([Permutation.identity(2), Permutation.identity(3)])
    with pytest.raises(ValueError, match="more than limit"):
        list(PermutationGroup.from_cycles(["(1 2 3 4 5 6 7)", "(1 2)"], 7).elements(limit=100))


@given(gens=st.integers(1, 10).flatmap(lambda n: st.lists(permutations(n=n), min_size=1, max_size=3)))
def test_cyclic_generator_is_a_given_generator_of_which_the_others_are_powers(gens: list[Permutation]) -> None:
    G = PermutationGroup(gens)
    found = G.cyclic_generator()
    candidates = [g for g in G.generators
                  if all(h in [g ** e for e in range(g.order)] for h in G.generators)]
    assert (found is None) == (not candidates)
    if found is not None:
        assert found in candidates
