"""equilin.groups.abelian: grids, characters and multiplicities of products of cyclic groups, against brute force
(sympy's group orders, every element enumerated as a product of generator powers, Burnside's lemma)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from equilin.groups import (
    AbelianStructure,
    NotAGridProduct,
    Permutation,
    PermutationGroup,
    image_group,
    volume_group,
)

from conftest import grid_products, sympy_group


def elements_by_exponents(group: PermutationGroup, orders: tuple[int, ...], used: tuple[int, ...]):
    """``(e, g^e)`` for every exponent vector: the group elements as products of generator powers."""
    gens = [group.generators[j].array for j in used]
    for e in itertools.product(*[range(N) for N in orders]):
        image = np.arange(group.n)
        for g, power in zip(gens, e):
            for _ in range(power):
                image = g[image]
        yield e, image


@settings(max_examples=40)
@given(group=grid_products())
def test_characters_and_multiplicities_against_brute_force(group: PermutationGroup) -> None:
    S = AbelianStructure(group)
    gens = [group.generators[j] for j in S.generators]
    # the orders are sympy's, and the generators used are independent: |G| = prod N_j
    assert S.orders == tuple(int(sympy_group(PermutationGroup([g])).order()) for g in gens)
    order = int(sympy_group(group).order())
    assert math.prod(S.orders) == order
    elements = list(elements_by_exponents(group, S.orders, S.generators))
    assert len({e.tobytes() for _, e in elements}) == order
    fixed = {e: int((g == np.arange(group.n)).sum()) for e, g in elements}
    # multiplicity of every character: <chi_perm, chi_a> over all elements
    found = {}
    for a in itertools.product(*[range(N) for N in S.orders]):
        value = sum(f * np.exp(-2j * np.pi * sum(x * y / N for x, y, N in zip(a, e, S.orders)))
                    for e, f in fixed.items()) / order
        assert abs(value.imag) < 1e-9 and abs(value.real - round(value.real)) < 1e-9
        if round(value.real):
            found[S.canonical(a)] = int(round(value.real))
    assert found == dict(zip(map(tuple, S.frequencies.tolist()), S.multiplicities))
    for a, kind in zip(S.frequencies.tolist(), S.kinds):
        real = all((2 * x) % N == 0 for x, N in zip(a, S.orders))
        assert kind == ("real" if real else "complex")
    assert sum(m * (1 if k == "real" else 2) for m, k in zip(S.multiplicities, S.kinds)) == group.n
    # Burnside: orbits on pairs = mean of fix(g)^2
    assert S.commutant_dim * order == sum(f * f for f in fixed.values())
    # trivial first; then increasing canonical frequency, except that a cyclic group (one generator
    # kept) puts the real frequency L/2 last and takes the talk's labels r_{l,m}
    freqs = list(map(tuple, S.frequencies.tolist()))
    if len(S.orders) == 1:
        L = S.orders[0]
        assert freqs == sorted(freqs, key=lambda a: (a[0] > 0, 2 * a[0] == L, a))
        assert S.labels[0] == "r_{1,1}" and all(
            label == f"r_{{{L // math.gcd(L - a, L)},{(L - a) // math.gcd(L - a, L)}}}"
            for (a,), label in zip(freqs[1:], S.labels[1:]))
    else:
        assert freqs == sorted(freqs)
        assert S.labels[0] == "r_{(" + ",".join("0" * len(S.orders)) + ")}"


@settings(max_examples=40)
@given(group=grid_products(), data=st.data())
def test_grids_are_orbits_arranged_by_the_generators(group: PermutationGroup, data: st.DataObject) -> None:
    S = AbelianStructure(group)
    gens = [group.generators[j].array for j in S.generators]
    covered = np.concatenate([g.ravel() for g in S.grids])
    assert np.array_equal(np.sort(covered), np.arange(group.n))
    for shape, grids in zip(S.shapes, S.grids):
        for grid in grids:
            for j, g in enumerate(gens):   # generator j shifts along axis j
                assert np.array_equal(g[grid], np.roll(grid, -1, axis=j))


@settings(max_examples=40)
@given(group=grid_products(), data=st.data())
def test_redundant_generators_change_nothing(group: PermutationGroup, data: st.DataObject) -> None:
    gens = list(group.generators)
    extra = [gens[0] * gens[-1], gens[-1].inverse(), Permutation.identity(group.n), gens[0] ** 3, gens[-1]]
    chosen = data.draw(st.lists(st.sampled_from(extra), min_size=1, max_size=3))
    # (a redundant generator that generates the group switches to the talk's names, by design)
    assume(group.cyclic_generator() is not None or PermutationGroup(gens + chosen).cyclic_generator() is None)
    A = AbelianStructure(group)
    B = AbelianStructure(PermutationGroup(gens + chosen))
    assert B.generators == A.generators
    assert (A.labels, A.kinds, A.multiplicities, A.commutant_dim) == (B.labels, B.kinds, B.multiplicities,
                                                                       B.commutant_dim)
    # an identity in front is skipped, and the labels refer to the generators that remain
    C = AbelianStructure(PermutationGroup([Permutation.identity(group.n)] + gens))
    assert C.labels == A.labels and C.generators == tuple(j + 1 for j in A.generators)


def test_image_and_volume_translations() -> None:
    S = AbelianStructure(image_group("shift-xy", 28, 28))
    assert S.shapes == ((28, 28),) and S.orders == (28, 28)
    assert len(S.labels) == 394 and S.kinds.count("real") == 4 and S.commutant_dim == 784
    S = AbelianStructure(image_group("shift-xy", 6, 4, 2))        # shifts by 2: four orbits 2 x 3
    assert S.shapes == ((2, 3),) and S.grids[0].shape == (4, 2, 3) and S.multiplicities[0] == 4
    S = AbelianStructure(volume_group("shift-xyz", 4, 5, 6))
    assert S.orders == (6, 5, 4) and S.commutant_dim == 120


def test_groups_that_are_not_grid_products() -> None:
    with pytest.raises(NotAGridProduct, match="generators 1 and 2 do not commute"):
        AbelianStructure(image_group("d4", 3, 3))
    # commuting, but the orbit {5, 6} is not a 2 x 2 grid of (1 2 3 4)(5 6) and (5 6)
    group = PermutationGroup.from_cycles(["(1 2 3 4)(5 6)", "(5 6)"], 6)
    with pytest.raises(NotAGridProduct, match="orbit of point 5"):
        AbelianStructure(group)
    assert AbelianStructure.of(group) is None
    # a product that is not independent of the first generator: <xy> then y on a 4 x 6 torus
    x, y = (image_group("shift-xy", 4, 6).generators[j] for j in (0, 1))
    assert AbelianStructure.of(PermutationGroup([x * y, y])) is None
    assert AbelianStructure.of(PermutationGroup([Permutation.identity(3)])) is None   # trivial group
