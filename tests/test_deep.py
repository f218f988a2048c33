"""Deep equivariant linear networks: multiplicities of hidden G-sets, the function space, parameter
counts and the Jacobian rank, against independent linear algebra."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import small_general_groups
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.deep import DeepLinearNetwork, GSet, LinearLayer, multiplicities, orbit_types, smallest_gset
from equilin.equivariance import EquivariantVariety
from equilin.groups import Permutation, PermutationGroup, image_group

SIGMA = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
D4 = image_group("d4", 3, 3)
S3 = PermutationGroup.from_cycles(["(1 2 3)", "(1 2)"], 4)


def _hom_dim(source: list[np.ndarray], target: list[np.ndarray]) -> int:
    """dim of {W : W S_g = T_g W for the generators}, by a null space (brute force)."""
    a, b = target[0].shape[0], source[0].shape[0]
    K = np.concatenate([np.kron(np.eye(a), s.T) - np.kron(t, np.eye(b)) for t, s in zip(target, source)])
    values = np.linalg.svd(K, compute_uv=False)
    return a * b - int((values > 1e-9 * max(1.0, values[0])).sum())


def _gsets(group: PermutationGroup) -> list[GSet]:
    out = [GSet.of(group), GSet.channels(group, 2), GSet.regular(group)]
    for g in group.generators:
        out.append(GSet.cosets(group, [g]))
    return out


@pytest.mark.parametrize("group", [SIGMA, Q8, D4, S3, image_group("p4m", 3, 3), image_group("shift-xy", 2, 3)],
                         ids=["rotation", "Q8", "d4", "S3", "p4m", "shift-xy"])
def test_multiplicities_count_the_equivariant_maps(group) -> None:
    """m_i(H) dim_R(D_i) = dim Hom_G(V_i, R^H): the characters' multiplicities against a null space, for
    the input action, channels, the regular action and cosets."""
    G = group if isinstance(group, PermutationGroup) else PermutationGroup([group])
    E = EquivariantVariety(G, 0)
    for H in _gsets(G):
        found = multiplicities(E, H)
        net = DeepLinearNetwork(G, [H])
        P = [g.matrix() for g in H.images]
        for i, b in enumerate(E.blocks):
            one = DeepLinearNetwork(G, [LinearLayer({b.label: 1})])
            assert _hom_dim(one.representation(1), P) == found[i] * b.field_dim, (H, b.label)
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
    for H in _gsets(PermutationGroup([SIGMA])):
        fourier = multiplicities(EquivariantVariety(SIGMA, 0), H)
        generic = multiplicities(EquivariantVariety(SIGMA, 0, method="generic"), H)
        assert fourier == generic


def test_orbitals_are_the_equivariant_maps_between_gsets() -> None:
    for G in (PermutationGroup([SIGMA]), Q8, D4):
        sets = _gsets(G)
        for A in sets[:3]:
            for B in sets:
                count, labels = A.orbitals(B)
                assert count == _hom_dim([g.matrix() for g in B.images], [g.matrix() for g in A.images])
                for s, t in zip(A.images, B.images):          # constant on orbits: W[s(a), t(b)] = W[a, b]
                    assert np.array_equal(labels[np.ix_(s.array, t.array)], labels)


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
    assert (S.rank, tuple(S.ranks.values()), S.max_rank, S.is_component, S.component) == (8, (1, 1, 1, 2), 7, False, None)
    assert net.jacobian_rank() == S.dim == 11 and net.n_params == 18


@pytest.mark.parametrize("make, message", [
    (lambda: GSet(SIGMA, [Permutation.from_cycles("(1 2 3)", 3)]), "do not define an action"),
    (lambda: GSet(Q8, [Permutation.from_cycles("(1 2)", 2)]), "2 generators; give one image for each"),
    (lambda: GSet(Q8, [Permutation.identity(2), Permutation.identity(3)]), "same number of units"),
    (lambda: GSet.cosets(SIGMA, ["(1 2)"]), "not an element of the group"),
    (lambda: GSet.channels(SIGMA, 0), "K"),
    (lambda: GSet("(1 2)", []), "Permutation or a PermutationGroup"),
    (lambda: DeepLinearNetwork(SIGMA, []), "non-empty sequence"),
    (lambda: DeepLinearNetwork(SIGMA, [3]), "hidden layer 1 must be"),
    (lambda: DeepLinearNetwork(SIGMA, [GSet.of(Q8)]), "another group"),
    (lambda: DeepLinearNetwork(SIGMA, [{"r_{9,9}": 1}]), "unknown block"),
    (lambda: DeepLinearNetwork(SIGMA, [GSet.of(SIGMA)]).layer_params(3), "l must be 1..2"),
])
def test_bad_architectures(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


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
