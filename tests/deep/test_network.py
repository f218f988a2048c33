"""Deep equivariant linear networks (equilin.deep.network): the function space, parameter counts,
the Jacobian rank and factoring a matrix through the layers, against independent linear algebra."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.deep import DeepLinearNetwork, GSet, LinearLayer
from equilin.equivariance import EquivariantVariety
from equilin.groups import PermutationGroup

from conftest import small_general_groups
from deep_cases import D4, Q8, SIGMA


@st.composite
def architectures(draw: st.DrawFn):
    group = draw(st.sampled_from(small_general_groups()[:6] + [PermutationGroup([SIGMA]), D4]))
    E = EquivariantVariety(group, 0)
    depth = draw(st.integers(2, 4))
    hidden = []
    for _ in range(depth - 1):
        kind = draw(st.sampled_from(["channels", "cosets", "linear", "input"]))
        if kind == "channels":
            hidden.append(GSet.channels(group, draw(st.integers(1, 2))))
        elif kind == "cosets":
            g = draw(st.sampled_from(group.generators))
            hidden.append(GSet.cosets(group, [g]))
        elif kind == "linear":
            hidden.append(LinearLayer({b.label: draw(st.integers(0, b.size)) for b in E.blocks}))
        else:
            hidden.append(GSet.of(group))
    return group, hidden


@settings(max_examples=30, deadline=None)
@given(architectures(), st.integers(0, 100))
def test_jacobian_rank_is_the_dimension(architecture, seed: int) -> None:
    """The parameterization theta -> W_L ... W_1, realized with the layers' actual equivariant maps, has
    Jacobian rank = dim prod_i M_{b_i}(D_i) (depths 2-4, permuted and linear hidden layers); every
    layer's maps number layer_params; the end-to-end map is equivariant and of block ranks <= b."""
    group, hidden = architecture
    net = DeepLinearNetwork(group, hidden)
    S = net.function_space()
    assert net.jacobian_rank(seed) == S.dim
    for l in range(1, len(hidden) + 2):
        assert net.equivariant_basis(l).shape[0] == net.layer_params(l)
    rng = np.random.default_rng(seed)
    W = [np.tensordot(rng.standard_normal(B.shape[0]), B, axes=1)
         for B in (net.equivariant_basis(l) for l in range(1, len(hidden) + 2))]
    M = np.linalg.multi_dot(W[::-1]) if len(W) > 1 else W[0]
    if S.dim == 0:                                          # a layer holds none of the input's irreducibles
        assert np.abs(M).max() <= 1e-10 * math.prod(np.linalg.norm(w) for w in W)
    else:
        assert net.variety.is_equivariant(M, 1e-9)
        assert net.variety.block_ranks(M) == S.ranks
    assert S.max_rank <= S.rank and net.fiber_dim == net.n_params - S.dim >= 0


def test_a_linear_layer_may_be_wider_than_the_input() -> None:
    """Multiplicities above the input's widen the layer and add parameters, and cap nothing."""
    net = DeepLinearNetwork(SIGMA, [{"r_{1,1}": 5, "r_{4,3}": 1}])
    assert net.bottleneck == (3, 1, 0) and net.width(1) == 7
    assert net.layer_params(1) == 5 * 3 + 2 * 1 * 2 and net.jacobian_rank() == net.function_space().dim


def test_function_space_is_a_component_only_when_maximal() -> None:
    # the talk's rotation: a linear bottleneck with the component's multiplicities is the component
    net = DeepLinearNetwork(SIGMA, [{"r_{1,1}": 1, "r_{4,3}": 1}])
    S = net.function_space()
    assert (S.rank, S.is_component, S.component.ranks) == (3, True, (1, 1, 0))
    assert (S.dim, S.degree, S.ed_degree) == (S.component.dim, S.component.degree, S.component.ed_degree)
    # the narrowest layer decides: a linear layer of one trivial copy between two permuted ones
    net = DeepLinearNetwork(SIGMA, [GSet.channels(SIGMA, 1), {"r_{1,1}": 1, "r_{2,1}": 0, "r_{4,3}": 0},
                                    GSet.channels(SIGMA, 1)])
    S = net.function_space()
    assert S.rank == 1 and S.ranks == {"r_{1,1}": 1, "r_{4,3}": 0, "r_{2,1}": 0} and S.is_component
    # d4 on 3 x 3 through its regular action (8 units): one unit of width goes to the irreducible the
    # image lacks, so the bottleneck (1, 1, 1, 2) of weighted rank 7 leaves slack 1 in E_8: r_{V1} could grow
    net = DeepLinearNetwork(D4, [GSet.regular(D4)])
    S = net.function_space()
    found = (S.rank, tuple(S.ranks.values()), S.max_rank, S.is_component, S.component)
    assert found == (8, (1, 1, 1, 2), 7, False, None)
    assert net.jacobian_rank() == S.dim == 11 and net.n_params == 18


@pytest.mark.parametrize("make, message", [
    (lambda: DeepLinearNetwork(SIGMA, []), "non-empty sequence"),
    (lambda: DeepLinearNetwork(SIGMA, [3]), "hidden layer 1 must be"),
    (lambda: DeepLinearNetwork(SIGMA, [GSet.of(Q8)]), "another group"),
    (lambda: DeepLinearNetwork(SIGMA, [{"r_{9,9}": 1}]), "unknown block"),
    (lambda: DeepLinearNetwork(SIGMA, [GSet.of(SIGMA)]).layer_params(3), "l must be 1..2"),
])
def test_bad_architectures(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_factor_through_the_layers() -> None:
    """An equivariant matrix within the bottleneck factors through the layers exactly, each factor
    equivariant between its layers; others are refused with the reason."""
    net = DeepLinearNetwork(D4, [GSet.regular(D4), LinearLayer({"r_{V1}": 1, "r_{V4}": 1})])
    assert net.bottleneck == (1, 0, 0, 1)
    rng = np.random.default_rng(0)
    E = EquivariantVariety(D4, 9)
    full = E.matrix_from_blocks([Z if b.label in ("r_{V1}", "r_{V4}") else 0 * Z
                                 for b, Z in zip(E.blocks, E.matrix_to_blocks(rng.standard_normal((9, 9))))])
    cut = []                                               # the r_{V1} and r_{V4} blocks cut to rank 1
    for Z in E.matrix_to_blocks(full):
        u, s, vt = np.linalg.svd(Z)
        cut.append(s[0] * np.outer(u[:, 0], vt[0]))
    M = E.matrix_from_blocks(cut)
    W = net.factor(M)
    assert np.abs(np.linalg.multi_dot(W[::-1]) - M).max() < 1e-10
    for l, Wl in enumerate(W, start=1):
        A, B = net.representation(l), net.representation(l - 1)
        assert all(np.abs(a @ Wl - Wl @ b).max() < 1e-10 for a, b in zip(A, B))
    with pytest.raises(ValueError, match="does not commute"):
        net.factor(rng.standard_normal((9, 9)))
    with pytest.raises(ValueError, match="above the bottleneck"):
        net.factor(full)
    with pytest.raises(ValueError, match="9 x 9"):
        net.factor(np.eye(4))
