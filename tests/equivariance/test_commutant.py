"""equilin.equivariance.commutant: the commuting matrices in block coordinates, the projection onto them,
their dimension, and the checks of the inputs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.equivariance import Commutant, EquivariantVariety
from equilin.groups import Permutation, PermutationGroup, image_group, talk_rotation

from conftest import permutations


def commutant_dim_by_nullspace(P: np.ndarray) -> int:
    n = P.shape[0]
    K = np.kron(np.eye(n), P) - np.kron(P.T, np.eye(n))  # vec(P M - M P), column-major vec
    return n * n - int(np.linalg.matrix_rank(K))


@given(permutations(max_n=10), st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_project_onto_commutant(sigma: Permutation, seed: int) -> None:
    E = EquivariantVariety(sigma, 1)
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((2, sigma.n, sigma.n))
    P = sigma.matrix()
    M = E.project(U)
    scale = np.linalg.norm(U)
    assert np.linalg.norm(M @ P - P @ M) <= 1e-12 * scale
    np.testing.assert_allclose(E.project(M), M, atol=1e-12 * scale)
    np.testing.assert_allclose(np.sum(E.project(U) * V), np.sum(U * E.project(V)), atol=1e-10)  # self-adjoint
    # the same as averaging over the group
    order = sigma.order
    average = sum(np.linalg.matrix_power(P, k) @ U @ np.linalg.matrix_power(P, k).T for k in range(order)) / order
    np.testing.assert_allclose(M, average, atol=1e-12 * scale)
    assert E.is_equivariant(M) and (sigma.n == 1 or not E.is_equivariant(U) or np.allclose(U, M))
    np.testing.assert_allclose(E.matrix_from_blocks(E.matrix_to_blocks(U)), M, atol=1e-12 * scale)


def test_all_permutations_up_to_7_commutant_dimension() -> None:
    """For every sigma with n <= 7: dim of the commutant = nullity of M -> MP - PM."""
    for n in range(1, 8):
        for images in itertools.permutations(range(n)):
            sigma = Permutation(list(images))
            E = EquivariantVariety(sigma, n)
            expected = commutant_dim_by_nullspace(sigma.matrix())
            assert E.commutant_dim == expected
            assert E.dim == expected  # r = n: one component, the whole commutant


def test_input_validation() -> None:
    E = EquivariantVariety(talk_rotation(3), 3)
    with pytest.raises(ValueError, match=r"N x 9 batch"):
        E.to_blocks(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="real numeric"):
        E.to_blocks(np.zeros((2, 9), dtype=complex))
    for bad in (np.nan, np.inf, -np.inf):
        X = np.ones((3, 9))
        X[2, 4] = bad
        with pytest.raises(ValueError, match="X contains NaN or infinite"):
            E.to_blocks(X)
    with pytest.raises(ValueError, match="NaN or infinite"):
        E.project(np.full((9, 9), np.inf))
    with pytest.raises(ValueError, match="9 x 9 matrix"):
        E.project(np.zeros((9, 8)))
    with pytest.raises(ValueError, match="one array per block"):
        E.from_blocks([np.zeros(3)])
    with pytest.raises(ValueError, match=r"block r_\{1,1\}, real\) must be real"):
        E.from_blocks([np.zeros(3, dtype=complex), np.zeros(2, dtype=complex), np.zeros(2)])
    with pytest.raises(ValueError, match=r"block r_\{4,3\}\) must have shape \(2, 2\)"):
        E.matrix_from_blocks([np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, 2))])
    good = E.to_blocks(np.ones((2, 9)))
    for i, bad in [(0, np.nan), (1, complex(0, np.inf)), (1, np.inf), (2, -np.inf)]:
        spoiled = [a.copy() for a in good]
        spoiled[i][1, -1] = bad
        with pytest.raises(ValueError, match="blocks contains NaN or infinite"):
            E.from_blocks(spoiled)
    assert E.to_blocks(np.ones((0, 9)))[0].shape == (0, 3)
    E.to_blocks(np.full((2, 9), 1e308))  # finite entries whose sums overflow are accepted


@pytest.mark.parametrize("group", [talk_rotation(3), PermutationGroup.from_cycles(["(1 2 3)", "(1 2)"], 5),
                                   image_group("shift-xy", 3, 4), image_group("p4m", 4, 4)],
                         ids=["fourier", "generic", "abelian", "torus"])
def test_a_variety_is_its_commutant_with_a_rank_bound(group: Permutation | PermutationGroup) -> None:
    """Commutant(group) has the blocks and block coordinates of EquivariantVariety(group, r), whatever r,
    on every backend."""
    C = Commutant(group)
    E = EquivariantVariety(group, 2)
    assert isinstance(E, Commutant) and C.method == E.method and C.block_structure == E.block_structure
    assert C.commutant_dim == E.commutant_dim == C.block_structure.commutant_dim
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, C.n))
    for a, b in zip(C.to_blocks(X), E.to_blocks(X)):
        np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(C.from_blocks(C.to_blocks(X)), X, atol=1e-12)
    np.testing.assert_allclose(C.from_coordinates(C.to_coordinates(X)), X, atol=1e-12)
    U = rng.standard_normal((C.n, C.n))
    M = C.project(U)
    np.testing.assert_allclose(M, E.project(U), atol=1e-12)
    assert C.is_equivariant(M) and C.block_ranks(M) == E.block_ranks(M)
    assert repr(C).startswith("Commutant(") and not hasattr(C, "rank")
