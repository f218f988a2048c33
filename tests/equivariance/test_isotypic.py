"""The isotypic decomposition and equivariance under any permutation group (equilin.equivariance.isotypic
and equilin.equivariance.dense)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy.combinatorics as sc
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from equilin import InvariantVariety, Permutation, PermutationGroup
from equilin.equivariance import REPRESENTATIVE_LIMIT, EquivariantVariety, IsotypicDecomposition
from equilin.geometry import DeterminantalVariety, complex_to_quaternion, quaternion_to_complex, quaternion_units
from equilin.groups import AbelianStructure, TorusStructure, image_flip, image_rot90

from conftest import group_elements, groups, permutations, sympy_group


def regular(group: sc.PermutationGroup) -> PermutationGroup:
    """A sympy group acting on itself by left multiplication."""
    elements = list(group.generate())
    index = {g: i for i, g in enumerate(elements)}
    gens = [Permutation([index[g * h] for h in elements]) for g in group.generators]
    # sympy's g * h applies g first; left multiplication h -> g h is a permutation either way
    return PermutationGroup(gens)


def commutant_nullity(group: PermutationGroup) -> int:
    n = group.n
    rows = [np.kron(np.eye(n), g.matrix()) - np.kron(g.matrix().T, np.eye(n)) for g in group.generators]
    s = np.linalg.svd(np.vstack(rows), compute_uv=False)
    return int((s < 1e-9).sum())


def brute_components(blocks, r: int) -> list[tuple[int, ...]]:
    out = []
    for ranks in itertools.product(*(range(b.size + 1) for b in blocks)):
        used = sum(b.weight * k for b, k in zip(blocks, ranks))
        if used > r:
            continue
        if any(k < b.size and used + b.weight <= r for b, k in zip(blocks, ranks)):
            continue
        out.append(ranks)
    return sorted(out, reverse=True)


S3 = PermutationGroup.from_cycles(["(1 2)", "(1 2 3)"], 3)
KLEIN = PermutationGroup.from_cycles(["(1 2)(3 4)", "(1 3)(2 4)"], 4)
D4_3x3 = PermutationGroup([image_rot90(3), image_flip(3, 3)])
A4 = PermutationGroup.from_cycles(["(1 2 3)", "(2 3 4)"], 4)
A4_REGULAR = regular(sc.named_groups.AlternatingGroup(4))
Q8 = regular(sc.PermutationGroup([sc.Permutation([[0, 2, 1, 3], [4, 6, 5, 7]]),
                                  sc.Permutation([[0, 4, 1, 5], [2, 7, 3, 6]])]))
Z3_REGULAR = PermutationGroup.from_cycles(["(1 2 3)"], 3)

# (group, expected [(kind, multiplicity, dimension)] in block order, group order)
CASES = {
    "S3": (S3, [("real", 1, 1), ("real", 1, 2)], 6),
    "Klein": (KLEIN, [("real", 1, 1)] * 4, 4),
    "D4 on 3x3": (D4_3x3, [("real", 3, 1), ("real", 1, 1), ("real", 1, 1), ("real", 2, 2)], 8),
    "A4 on 4": (A4, [("real", 1, 1), ("real", 1, 3)], 12),
    "A4 regular": (A4_REGULAR, [("real", 1, 1), ("complex", 1, 2), ("real", 3, 3)], 12),
    "Q8 regular": (Q8, [("real", 1, 1)] * 4 + [("quaternionic", 1, 4)], 8),
    "Z3": (Z3_REGULAR, [("real", 1, 1), ("complex", 1, 2)], 3),
}


@pytest.mark.parametrize("name", list(CASES))
def test_small_groups_blocks_types_and_commutant(name: str, rng: np.random.Generator) -> None:
    group, expected, order = CASES[name]
    D = IsotypicDecomposition(group)
    assert [(b.kind, b.size, b.weight) for b in D.blocks] == expected
    assert D.commutant_dim == commutant_nullity(group) == sum(b.field_dim * b.size ** 2 for b in D.blocks)
    assert sum(b.real_dim for b in D.blocks) == group.n
    if "regular" in name or name in ("Klein", "Z3"):
        assert D.commutant_dim == order  # the commutant of the regular representation has dim |G|
    Q = D.Q
    assert np.abs(Q.T @ Q - np.eye(group.n)).max() < 1e-12
    for r in range(group.n + 2):
        E = EquivariantVariety(group, r, method="generic")
        comps = list(E.components())
        assert [c.ranks for c in comps] == brute_components(E.blocks, r)
        assert E.count_components().total == len(comps)
        for c in comps:
            M = c.sample(rng)
            for g in group.generators:
                P = g.matrix()
                assert np.abs(P @ M - M @ P).max() < 1e-10 * max(1.0, np.abs(M).max())
            assert np.linalg.matrix_rank(M, tol=1e-8 * np.linalg.norm(M)) == c.max_rank <= r
            assert c.contains(M) and E.contains(M)


def test_quaternion_algebra() -> None:
    L = quaternion_units()
    one, i, j, k = L
    assert np.allclose(i @ i, -one) and np.allclose(j @ j, -one) and np.allclose(k @ k, -one)
    assert np.allclose(i @ j, k) and np.allclose(j @ k, i) and np.allclose(k @ i, j)
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 3, 2))
    # chi is multiplicative: (AB)_ac = sum_b A_ab B_bc with e_t e_u = L[t][:, u]
    AB = np.einsum("tab,ubc,tvu->vac", A, B, L)
    assert np.allclose(quaternion_to_complex(A) @ quaternion_to_complex(B), quaternion_to_complex(AB))
    assert np.allclose(complex_to_quaternion(quaternion_to_complex(AB)), AB)
    with pytest.raises(ValueError, match="not the complex adjoint"):
        complex_to_quaternion(np.eye(2) * 1j + np.array([[0, 1], [0, 0]]))


def test_quaternionic_determinantal_variety(rng: np.random.Generator) -> None:
    X = DeterminantalVariety(3, 3, 1, field="H")
    assert (X.dim, X.degree, X.ed_degree) == (20, 1764, 3)
    from equilin.geometry import determinantal_degree
    assert X.degree == determinantal_degree(6, 6, 2)
    U = quaternion_to_complex(rng.standard_normal((4, 3, 3)))
    points = X.critical_points(U)
    assert len(points) == X.ed_degree
    for _, M in points:
        assert X.contains(M) and X.is_critical_point(U, M)
        complex_to_quaternion(M)  # stays a complex adjoint
    nearest = X.nearest(U)
    assert min(np.linalg.norm(U - M) for _, M in points) == pytest.approx(np.linalg.norm(U - nearest))
    assert X.contains(X.sample(rng)) and not X.contains(U)
    assert X.singular_locus == DeterminantalVariety(3, 3, 0, field="H")
    with pytest.raises(ValueError, match="complex adjoint"):
        X.contains(rng.standard_normal((6, 6)) + 0j)


@settings(max_examples=25)
@given(sigma=permutations(max_n=12), r=st.integers(0, 14))
def test_cyclic_groups_through_the_generic_path_agree(sigma: Permutation, r: int) -> None:
    F = EquivariantVariety(sigma, r)
    G = EquivariantVariety(sigma, r, method="generic")
    assert (sorted((b.size, b.weight, b.kind) for b in F.blocks)
            == sorted((b.size, b.weight, b.kind) for b in G.blocks))
    assert F.count_components() == G.count_components()
    assert (F.commutant_dim, F.dim, F.degree, F.ed_degree) == (G.commutant_dim, G.dim, G.degree, G.ed_degree)
    U = np.random.default_rng(r).standard_normal((sigma.n, sigma.n))
    assert np.allclose(F.project(U), G.project(U))
    assert np.linalg.norm(F.nearest(U) - U) == pytest.approx(np.linalg.norm(G.nearest(U) - U), abs=1e-9)


@settings(max_examples=25)
@given(group=groups(max_n=8), r=st.integers(0, 9))
def test_random_groups(group: PermutationGroup, r: int) -> None:
    rng = np.random.default_rng(r)
    E = EquivariantVariety(group, r, method="generic")
    D = E.decomposition
    assert D.commutant_dim == commutant_nullity(group)
    assert E.count_components().total == len(brute_components(E.blocks, r))
    U = rng.standard_normal((group.n, group.n))
    P = E.project(U)
    assert E.is_equivariant(P, 1e-10)
    assert np.allclose(E.project(P), P)
    N = E.nearest(U)
    assert E.contains(N)
    comp = E.nearest_component(U)
    # the nearest point beats every component's nearest point
    assert all(np.linalg.norm(U - N) <= np.linalg.norm(U - c.nearest(U)) + 1e-9 for c in E.components())
    # and is a critical point: the residual is orthogonal to the tangent space of its component
    residual_blocks = E.matrix_to_blocks(U - N)
    for Z, R, b, k in zip(E.matrix_to_blocks(N), residual_blocks, E.blocks, comp.ranks):
        u, s, vh = np.linalg.svd(Z)
        kk = k * b.rank_step
        assert np.abs(u[:, :kk].conj().T @ R).max(initial=0) < 1e-8
        assert np.abs(R @ vh[:kk].conj().T).max(initial=0) < 1e-8
    X = rng.standard_normal((3, group.n))
    assert np.allclose(E.from_blocks(E.to_blocks(X)), X)
    for c in itertools.islice(E.components(), 4):
        W = c.weight_sharing()
        dec, enc = W.fill(rng.standard_normal(W.n_params))
        M = D.Q @ dec @ enc @ D.Q.T
        assert W.n_params == c.n_params and E.is_equivariant(M, 1e-10) and c.contains(M)


def test_trivial_block_gives_the_invariant_maps(rng: np.random.Generator) -> None:
    E = EquivariantVariety(D4_3x3, 2)
    trivial = E.blocks[0]
    assert trivial.label == "r_{V1}" and trivial.weight == 1
    assert trivial.size == len(D4_3x3.orbits) == InvariantVariety(D4_3x3, 9, 2).k
    M = E.component({"r_{V1}": 2}).sample(rng)
    assert InvariantVariety(D4_3x3, 9, 2).contains(M)   # M P_g = M: invariant as well as equivariant


def test_images_under_z28_squared_and_d4(rng: np.random.Generator) -> None:
    from equilin.groups import image_shift

    shifts = PermutationGroup([image_shift(28, 28, axis="x"), image_shift(28, 28, axis="y")])
    D = IsotypicDecomposition(shifts)
    assert D.commutant_dim == 784 and len(D.blocks) == 394
    assert {(b.kind, b.size) for b in D.blocks} == {("real", 1), ("complex", 1)}
    E = EquivariantVariety(PermutationGroup([image_rot90(28), image_flip(28, 28)]), 10)
    assert [(b.kind, b.size, b.weight) for b in E.blocks] == [
        ("real", 105, 1), ("real", 105, 1), ("real", 91, 1), ("real", 91, 1), ("real", 196, 2)]
    c = next(E.components())
    A, B = c.sample_factors(rng)
    M = A @ B
    assert E.is_equivariant(M, 1e-10) and np.linalg.matrix_rank(M) == 10


def test_errors() -> None:
    long_cycle = Permutation(np.roll(np.arange(REPRESENTATIVE_LIMIT + 1), 1))
    with pytest.raises(ValueError, match="orbit-wise decomposition handles up to 2,048"):
        IsotypicDecomposition(PermutationGroup([long_cycle, long_cycle ** 2]))
    with pytest.raises(ValueError, match="method='fourier' needs a cyclic group"):
        EquivariantVariety(KLEIN, 1, method="fourier")
    with pytest.raises(ValueError, match="method must be"):
        EquivariantVariety(KLEIN, 1, method="fft")
    with pytest.raises(ValueError, match="Fourier path of a cyclic group"):
        EquivariantVariety(KLEIN, 1).fourier_layout()
    E = EquivariantVariety(KLEIN, 1)
    with pytest.raises(ValueError, match="exceeds"):
        E.parse_ranks({"r_{(0,1)}": 2})
    with pytest.raises(ValueError, match=r"unknown block 'r_\{V2\}'; the blocks are r_\{\(0,0\)\}, .*"
                                         r"\(keys are these labels\)"):
        E.parse_ranks({"r_{V2}": 1})


# -- against characters (independent of the decomposition's own formulas) --------------------------
def block_characters(D: IsotypicDecomposition, els: list[np.ndarray]) -> np.ndarray:
    """chi_{V_i}(g) for every block and element: the trace of ``P_g`` on the block's columns over ``m``;
    also checks that every block's span is invariant."""
    Q = D.Q
    out = np.empty((len(D.blocks), len(els)))
    for e, g in enumerate(els):
        R = Q.T @ Q[np.argsort(g)]                 # P_g in the adapted basis
        for i, b in enumerate(D.blocks):
            cols = slice(D.offsets[i], D.offsets[i] + b.real_dim)
            off = R[:, cols].copy()
            off[cols] = 0.0
            assert np.abs(off).max(initial=0.0) < 1e-10
            out[i, e] = np.trace(R[cols, cols]) / b.size
    return out


@settings(max_examples=40)
@given(group=groups(max_n=12, max_gens=3))
def test_multiplicities_are_character_inner_products(group: PermutationGroup) -> None:
    """<chi_V, chi_V> = dim End(V) and the Frobenius-Schur indicator (1, 0, -2) give the type,
    <chi_perm, chi_V> = m dim End(V) the multiplicity, <chi_V, chi_W> = 0 separates the blocks, and
    Burnside's count of orbitals the commutant dimension."""
    assume(sympy_group(group).order() <= 3000)
    els = group_elements(group)
    D = IsotypicDecomposition(group)
    order = len(els)
    chi = block_characters(D, els)
    square = {tuple(g): e for e, g in enumerate(els)}
    squares = [square[tuple(g[g])] for g in els]
    fixed = np.array([(g == np.arange(group.n)).sum() for g in els], dtype=float)
    identity = int(np.argmax(fixed))
    gram = chi @ chi.T / order
    indicator = chi[:, squares].sum(axis=1) / order
    expected_indicator = {"real": 1, "complex": 0, "quaternionic": -2}
    for i, b in enumerate(D.blocks):
        assert chi[i, identity] == pytest.approx(b.weight)
        assert gram[i, i] == pytest.approx(b.field_dim)
        assert indicator[i] == pytest.approx(expected_indicator[b.kind], abs=1e-9)
        assert fixed @ chi[i] / order == pytest.approx(b.size * b.field_dim)
    assert np.abs(gram - np.diag(np.diag(gram))).max() < 1e-9
    assert D.commutant_dim * order == int((fixed ** 2).sum())
    assert chi[0] == pytest.approx(np.ones(order)) and D.blocks[0].kind == "real"   # the trivial block first


D4_TABLE = {  # (chi(rotation), chi(flip)) -> character on e, r, r^2, r^3, s, s r, s r^2, s r^3
    (1.0, 1.0): [1, 1, 1, 1, 1, 1, 1, 1],
    (1.0, -1.0): [1, 1, 1, 1, -1, -1, -1, -1],
    (-1.0, 1.0): [1, -1, 1, -1, 1, -1, 1, -1],
    (-1.0, -1.0): [1, -1, 1, -1, -1, 1, -1, 1],
    (0.0, 0.0): [2, 0, -2, 0, 0, 0, 0, 0],
}


@pytest.mark.parametrize("p", range(1, 65))
def test_d4_multiplicities_follow_the_character_formula(p: int) -> None:
    r, s = image_rot90(p), image_flip(p, p)
    words = [r ** k for k in range(4)] + [s * r ** k for k in range(4)]
    fixed = np.array([(w.array == np.arange(p * p)).sum() for w in words])
    expected = {key: int(fixed @ np.array(row)) // 8 for key, row in D4_TABLE.items()}
    assert all(int(fixed @ np.array(row)) % 8 == 0 for row in D4_TABLE.values())
    D = IsotypicDecomposition(PermutationGroup([r, s]))
    found = {}
    for b in D.blocks:
        key = tuple(x / b.weight * (1 if b.weight == 1 else 0) for x in b.character)
        key = (0.0, 0.0) if b.weight == 2 else key
        assert b.kind == "real" and key not in found
        found[key] = b.size
    assert found == {k: m for k, m in expected.items() if m}
    assert D.commutant_dim == int(fixed @ fixed) // 8       # Burnside on pairs


@pytest.mark.parametrize("N", [10, 11, 37, 600, 650, 700, 850, 1000, 10_000, 100_000])
def test_klein_group_at_every_size(N: int, rng: np.random.Generator) -> None:
    """The group of order 4 that failed at N = 600: blocks (N-2, 1, 1), Burnside's orbital count, an
    isometric and equivariant round trip orbit-wise."""
    group = PermutationGroup.from_cycles(["(1 2)", "(3 4)"], N)
    D = IsotypicDecomposition(group)
    assert [(b.kind, b.size, b.weight) for b in D.blocks] == [("real", N - 2, 1), ("real", 1, 1),
                                                              ("real", 1, 1)]
    assert D.commutant_dim == (N ** 2 + 2 * (N - 2) ** 2 + (N - 4) ** 2) // 4
    assert roundtrip_error(D, rng.standard_normal((3, N))) < 1e-12


def roundtrip_error(D: IsotypicDecomposition, X: np.ndarray) -> float:
    """Largest error of: from_blocks(to_blocks(X)) = X, the isometry, and the equivariance of every
    isotypic projector under every generator (relative to ||X||)."""
    N = X.shape[0]
    scale = np.linalg.norm(X)
    B = D.to_blocks(X)
    errors = [np.abs(D.from_blocks(B, N) - X).max(),
              abs(sum(np.linalg.norm(b) ** 2 for b in B) - scale ** 2) / scale]
    for i in range(len(D.blocks)):
        def project(Y: np.ndarray) -> np.ndarray:
            return D.block_coordinates_to_vectors(D.vectors_to_block_coordinates(Y, i), i)
        P = project(X)
        for g in D.group.generators:
            errors.append(np.abs(project(g.act(X)) - g.act(P)).max())
    return float(max(errors) / scale)


def product(a: PermutationGroup, b: PermutationGroup, copies: int = 1) -> PermutationGroup:
    """a x b acting on [n_a] x [n_b] x [copies] (the last factor fixed)."""
    def lift(g: np.ndarray, axis: int) -> Permutation:
        shape = (a.n, b.n, copies)
        idx = np.indices(shape)
        idx[axis] = g[idx[axis]]
        return Permutation(np.ravel_multi_index(tuple(idx), shape).ravel())
    return PermutationGroup([lift(g.array, 0) for g in a.generators] + [lift(g.array, 1) for g in b.generators])


def orbitals(group: PermutationGroup) -> int:
    els = group_elements(group)
    return sum(int((g == np.arange(group.n)).sum()) ** 2 for g in els) // len(els)


@settings(max_examples=30)
@example(a=PermutationGroup.from_cycles(["(1 2)(3 4)(5 6)", "(1 3 5)(2 6 4)"], 6),      # S_3 regular
         b=PermutationGroup.from_cycles(["(1 2 3 4 5 6)", "(2 6)(3 5)"], 6),           # D_6 on a hexagon
         copies=277, seed=3)
@given(a=groups(min_n=1, max_n=6, max_gens=2), b=groups(min_n=1, max_n=6, max_gens=2),
       copies=st.integers(1, 280), seed=st.integers(0, 2 ** 16))
def test_direct_products_on_up_to_ten_thousand_points(a: PermutationGroup, b: PermutationGroup,
                                                      copies: int, seed: int) -> None:
    assume(sympy_group(a).order() * sympy_group(b).order() <= 5000)
    G = product(a, b, copies)
    D = IsotypicDecomposition(G, seed=seed % 7)
    assert sum(blk.real_dim for blk in D.blocks) == G.n
    # orbitals of a product action are pairs of orbitals; the fixed factor contributes copies^2
    assert D.commutant_dim == orbitals(a) * orbitals(b) * copies ** 2
    X = np.random.default_rng(seed).standard_normal((2, G.n))
    assert roundtrip_error(D, X) < 1e-12


@settings(max_examples=20)
@given(group=groups(max_n=10, max_gens=3), seed=st.integers(0, 100))
def test_matrix_round_trip_and_isometry(group: PermutationGroup, seed: int) -> None:
    rng = np.random.default_rng(seed)
    D = IsotypicDecomposition(group, seed=seed)
    U = rng.standard_normal((group.n, group.n))
    Z = D.matrix_to_blocks(U)
    M = D.matrix_from_blocks(Z)
    for g in group.generators:                              # the projection is equivariant
        P = g.matrix()
        assert np.abs(P @ M - M @ P).max() < 1e-12 * np.linalg.norm(U)
    assert all(np.abs(x - y).max() < 1e-12 * np.linalg.norm(U) for x, y in zip(D.matrix_to_blocks(M), Z))
    # orthogonal projection: U - M is orthogonal to the commutant, and the norm splits block by block
    assert abs(np.sum((U - M) * M)) < 1e-10 * np.linalg.norm(U) ** 2
    norm2 = sum(b.frobenius_weight * np.linalg.norm(z) ** 2 for b, z in zip(D.blocks, Z))
    assert norm2 == pytest.approx(np.linalg.norm(M) ** 2, rel=1e-12)
    assert roundtrip_error(D, rng.standard_normal((3, group.n))) < 1e-12


# -- presentations ----------------------------------------------------------------------------------
@settings(max_examples=30)
@given(group=groups(min_n=2, max_n=10, max_gens=2), data=st.data())
def test_blocks_do_not_depend_on_the_presentation(group: PermutationGroup, data: st.DataObject) -> None:
    """Reordered, redundant and replaced generators, and another seed: the same blocks in the same
    order, spanning the same subspaces. (A product of cyclic groups on grids names its blocks by
    frequencies of the given independent generators, so there the order of those is kept and only
    redundant generators are added.)"""
    gens = list(group.generators)
    redundant = [gens[0] * gens[-1], gens[-1].inverse(), Permutation.identity(group.n)]
    def named_by_frequency(G: PermutationGroup) -> bool:
        return AbelianStructure.of(G) is not None or TorusStructure.of(G) is not None

    if named_by_frequency(group):
        other = gens + data.draw(st.permutations(redundant))
    else:
        other = data.draw(st.permutations(gens + redundant))
        # reordered, the same group may become a grid product ((1 3), (2 4) instead of (1 3),
        # (1 3)(2 4)) or translations of a torus with a point group ((1 3 2), (1 2) instead of (2 3),
        # (1 2)), whose blocks are then named by frequency: that names refer to the given generators is
        # documented, not a failure
        assume(not named_by_frequency(PermutationGroup(list(other))))
    # a redundant generator may generate the whole group ((1 2 3)(4 5) for <(4 5), (1 2 3)>): the blocks
    # are then the talk's r_{l,m} of that generator, by design
    assume((group.cyclic_generator() is None) == (PermutationGroup(list(other)).cyclic_generator() is None))
    A = IsotypicDecomposition(group)
    B = IsotypicDecomposition(PermutationGroup(list(other)), seed=data.draw(st.integers(1, 50)))
    assert A.blocks == B.blocks and A.commutant_dim == B.commutant_dim
    X = np.random.default_rng(0).standard_normal((2, group.n))
    for i in range(len(A.blocks)):
        PA = A.block_coordinates_to_vectors(A.vectors_to_block_coordinates(X, i), i)
        PB = B.block_coordinates_to_vectors(B.vectors_to_block_coordinates(X, i), i)
        assert np.abs(PA - PB).max() < 1e-9


def test_a_redundant_generator_keeps_the_cyclic_labels() -> None:
    sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    talk = EquivariantVariety(sigma, 2)
    assert talk.labels == ("r_{1,1}", "r_{4,3}", "r_{2,1}")
    for gens in ([sigma, sigma ** 2], [sigma ** 2, sigma], [sigma ** 3, sigma ** 2, sigma]):
        E = EquivariantVariety(PermutationGroup(gens), 2)
        assert E.count_components() == talk.count_components()
        assert [c.ranks for c in E.components()] == [c.ranks for c in talk.components()]
    # sigma^3 generates too, and the labels then refer to it (its spectrum in its own order)
    assert EquivariantVariety(PermutationGroup([sigma ** 2, sigma]), 2).labels == talk.labels
    assert EquivariantVariety(sigma, 1).component((1, 0, 0)).ranks == (1, 0, 0)
    assert EquivariantVariety(PermutationGroup([sigma, sigma ** 2]), 1).component((1, 0, 0)).ranks == (1, 0, 0)


# -- wallpaper and volume groups --------------------------------------------------------------------
def torus_elements(p: int, flips: bool) -> list[np.ndarray]:
    """Every element of p4 / p4m on a p x p torus image, built from the formulas (a translation after a
    point-group element), independently of the group's generators."""
    i, j = np.divmod(np.arange(p * p), p)
    out = []
    for f in range(2 if flips else 1):
        for k in range(4):
            a, b = i, (p - 1 - j) if f else j
            for _ in range(k):                              # rotate by 90 degrees: (a, b) -> (b, p-1-a)
                a, b = b, p - 1 - a
            for u in range(p):
                for v in range(p):
                    out.append(((a + u) % p) * p + (b + v) % p)
    return out


@pytest.mark.parametrize(("action", "p"), [("p4", 6), ("p4m", 7), ("p4m", 28)])
def test_wallpaper_groups_against_characters(action: str, p: int) -> None:
    """Commutant dimension = orbitals (Burnside over all 8 p^2 elements), and every block's multiplicity
    and type from the character inner products computed with the isotypic projectors."""
    from equilin.groups import image_group

    G = image_group(action, p, p)
    els = torus_elements(p, action == "p4m")
    assert len({tuple(g) for g in els}) == len(els) == (8 if action == "p4m" else 4) * p * p
    D = IsotypicDecomposition(G)
    fixed = np.array([(g == np.arange(p * p)).sum() for g in els])
    assert D.commutant_dim * len(els) == int((fixed.astype(np.int64) ** 2).sum())
    Q = D.Q
    points = np.arange(p * p)
    inverse = np.stack([np.argsort(g) for g in els])            # g^-1, one row per element
    for i, b in enumerate(D.blocks):
        C = Q[:, D.offsets[i]:D.offsets[i] + b.real_dim]
        projector = C @ C.T
        # trace of P_g on the block = sum_x projector[x, g^-1(x)]; chi_V(g) is that over m
        chi = projector[points, inverse].sum(axis=1) / b.size
        assert chi @ chi / len(els) == pytest.approx(b.field_dim)
        assert fixed @ chi / len(els) == pytest.approx(b.size * b.field_dim)


def test_cube_rotations_on_volumes() -> None:
    """The 24 rotations of the cube on p^3 voxels: 5 irreducibles (those of S_4), multiplicities from
    the character formula with the fixed voxels of every rotation."""
    from equilin.groups import volume_group

    for p in (1, 2, 3, 4, 5, 8, 16):
        G = volume_group("cube", p, p, p)
        els = group_elements(G)
        D = IsotypicDecomposition(G)
        fixed = np.array([(g == np.arange(p ** 3)).sum() for g in els], dtype=np.int64)
        assert D.commutant_dim * len(els) == int((fixed ** 2).sum())
        assert len(els) == (24 if p > 1 else 1)
        if p <= 8:                                           # dense Q for the characters
            chi = block_characters(D, els)
            assert np.abs(chi @ chi.T / len(els) - np.diag([b.field_dim for b in D.blocks])).max() < 1e-9
            assert np.allclose(fixed @ chi.T / len(els), [b.size for b in D.blocks])
        if p >= 3:                                           # every irreducible of S_4 occurs
            assert sorted(b.weight for b in D.blocks) == [1, 1, 2, 3, 3]
