"""equilin.deep.polynomial: the neurovariety of polynomial equivariant networks, against the published
dimension L (|G| - 1) + 1 of polynomial group-convolutional networks and against the linear case."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.deep import DeepLinearNetwork, GSet, LinearLayer, neurovariety_dimension
from equilin.deep.polynomial import _rank_mod_p
from equilin.groups import Permutation, PermutationGroup


def regular(group: PermutationGroup) -> PermutationGroup:
    """The group acting on itself (its regular action as a permutation group)."""
    return PermutationGroup(list(GSet.regular(group).images))


GROUPS = {
    "Z2": PermutationGroup([Permutation.from_cycles("(1 2)", 2)]),
    "Z4": PermutationGroup([Permutation.from_cycles("(1 2 3 4)", 4)]),
    "Klein": PermutationGroup.from_cycles(["(1 2)(3 4)", "(1 3)(2 4)"], 4),
    "S3": regular(PermutationGroup.from_cycles(["(1 2 3)", "(1 2)"], 3)),
}


@pytest.mark.parametrize("name", list(GROUPS))
@pytest.mark.parametrize("layers, degree", [(2, 2), (2, 3), (3, 2)])
def test_group_convolutional_networks_have_dimension_L_times_order_minus_one_plus_one(name: str, layers: int,
                                                                                    degree: int) -> None:
    """G acting on itself, L group convolutions (regular -> regular, |G| weights each), x^k between
    them: both ranks equal L (|G| - 1) + 1 (the parameters minus the L - 1 rescalings)."""
    G = GROUPS[name]
    order = len(list(G.elements()))
    net = DeepLinearNetwork(G, [GSet.regular(G)] * (layers - 1))
    assert neurovariety_dimension(net, degree) == (layers * (order - 1) + 1,) * 2


def test_degree_one_is_the_linear_function_space() -> None:
    s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    for hidden in ([GSet.channels(s, 1), GSet.cosets(s, [s ** 2])], [GSet.cosets(s, [])]):
        net = DeepLinearNetwork(s, hidden)
        assert neurovariety_dimension(net, 1) == (net.function_space().dim,) * 2


def test_rank_mod_p_by_hand() -> None:
    A = np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]], dtype=np.int64)
    assert _rank_mod_p(A, 7) == 2 and _rank_mod_p(np.eye(3, dtype=np.int64), 7) == 3
    assert _rank_mod_p(np.array([[7, 14]], dtype=np.int64), 7) == 0


def test_bad_arguments() -> None:
    s = Permutation.from_cycles("(1 2 3)", 3)
    with pytest.raises(ValueError, match="LinearLayer"):
        neurovariety_dimension(DeepLinearNetwork(s, [LinearLayer({"r_{1,1}": 1})]), 2)
    with pytest.raises(ValueError, match="degree"):
        neurovariety_dimension(DeepLinearNetwork(s, [GSet.of(s)]), 0)
    with pytest.raises(ValueError, match="DeepLinearNetwork"):
        neurovariety_dimension("net", 2)                    # type: ignore[arg-type]
