"""The isotypic decomposition and equivariance under any permutation group (equilin.isotypic)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy.combinatorics as sc
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import groups, permutations
from equilin import InvariantVariety, Permutation, PermutationGroup
from equilin.determinantal import DeterminantalVariety
from equilin.equivariant import EquivariantVariety
from equilin.groups import image_flip, image_rot90
from equilin.isotypic import (
    REPRESENTATIVE_LIMIT,
    IsotypicBlock,
    IsotypicDecomposition,
    complex_to_quaternion,
    quaternion_to_complex,
    quaternion_units,
)


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
    from equilin.determinantal import determinantal_degree
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
    with pytest.raises(ValueError, match="divisible by 4"):
        IsotypicBlock(1, "quaternionic", 1, 2)
    with pytest.raises(ValueError, match="Fourier path of a cyclic group"):
        EquivariantVariety(KLEIN, 1).fourier_layout()
    E = EquivariantVariety(KLEIN, 1)
    with pytest.raises(ValueError, match="exceeds"):
        E.parse_ranks({"r_{V2}": 2})
