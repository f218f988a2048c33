"""Multiplicities of the input's irreducibles in hidden G-sets (equilin.deep.multiplicities), against
independent linear algebra."""

from __future__ import annotations

import pytest

from equilin.deep import DeepLinearNetwork, GSet, LinearLayer, multiplicities
from equilin.equivariance import EquivariantVariety
from equilin.groups import PermutationGroup, image_group

from deep_cases import D4, Q8, S3, SIGMA, hom_dim, some_gsets


@pytest.mark.parametrize("group", [SIGMA, Q8, D4, S3, image_group("p4m", 3, 3), image_group("shift-xy", 2, 3)],
                         ids=["rotation", "Q8", "d4", "S3", "p4m", "shift-xy"])
def test_multiplicities_count_the_equivariant_maps(group) -> None:
    """m_i(H) dim_R(D_i) = dim Hom_G(V_i, R^H): the characters' multiplicities against a null space, for
    the input action, channels, the regular action and cosets."""
    G = group if isinstance(group, PermutationGroup) else PermutationGroup([group])
    E = EquivariantVariety(G, 0)
    for H in some_gsets(G):
        found = multiplicities(E, H)
        net = DeepLinearNetwork(G, [H])
        P = [g.matrix() for g in H.images]
        for i, b in enumerate(E.blocks):
            one = DeepLinearNetwork(G, [LinearLayer({b.label: 1})])
            assert hom_dim(one.representation(1), P) == found[i] * b.field_dim, (H, b.label)
        assert net.multiplicities[0] == found
    assert multiplicities(E, GSet.of(G)) == tuple(b.size for b in E.blocks)
    assert multiplicities(E, GSet.channels(G, 3)) == tuple(3 * b.size for b in E.blocks)


def test_the_regular_action_holds_every_irreducible() -> None:
    """In the regular representation V_i occurs delta_i / dim_R(D_i) times (Q8: the quaternionic V_5
    once, with delta = 4)."""
    E = EquivariantVariety(Q8, 0)
    assert multiplicities(E, GSet.regular(Q8)) == tuple(b.weight // b.field_dim for b in E.blocks)
    assert GSet.regular(Q8).h == 8


def test_cyclic_formula_agrees_with_the_characters() -> None:
    for H in some_gsets(PermutationGroup([SIGMA])):
        fourier = multiplicities(EquivariantVariety(SIGMA, 0), H)
        generic = multiplicities(EquivariantVariety(SIGMA, 0, method="generic"), H)
        assert fourier == generic
