"""equilin.geometry.invariant: I^G_{r, m x n} against its definition (psi, E_P, projection, nearest
and critical points, the factorization and its fiber)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, PermutationGroup, image_rot90
from equilin.testing import assert_invariant

from conftest import groups


def _tangent_residuals(X: InvariantVariety, U: np.ndarray, M: np.ndarray) -> tuple[float, float]:
    """Gradient of ||A W E_P - U||^2 in A and W at a factorization of M (zero iff critical)."""
    A, W = X.parameterize(M)
    E = X.E_P
    R = U - M
    return float(np.linalg.norm(R @ (W @ E).T)), float(np.linalg.norm(A.T @ R @ E.T))


def test_talk_example() -> None:
    sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    X = InvariantVariety(sigma, m=2, rank=1)
    assert X.partition_1based == [[1, 3, 4], [2, 5]] and X.k == 2
    assert (X.dim, X.degree, X.ed_degree) == (3, 2, 2)
    assert X.model.shape == (2, 2) and X.rho == 1
    a, b, lam = 1.5, -2.0, 3.0
    M = np.array([[a, lam * a, a, a, lam * a], [b, lam * b, b, b, lam * b]])
    assert X.contains(M)
    np.testing.assert_array_equal(X.psi(M), [[a, lam * a], [b, lam * b]])
    Y = InvariantVariety(sigma, m=5, rank=2)
    assert Y.encoder_pattern().tolist() == [[0, 1, 0, 0, 1], [2, 3, 2, 2, 3]]
    np.testing.assert_array_equal(X.E_P, [[1, 0, 1, 1, 0], [0, 1, 0, 0, 1]])


def test_rotation_invariance_columns_coincide() -> None:
    X = InvariantVariety(image_rot90(4), m=3, rank=2)
    assert X.k == 4 and all(len(b) == 4 for b in X.partition)


@given(groups(), st.integers(1, 5), st.integers(0, 6), st.integers(0, 2**32))
def test_projection_is_invariant(G: PermutationGroup, m: int, r: int, seed: int) -> None:
    X = InvariantVariety(G, m, r)
    U = np.random.default_rng(seed).standard_normal((m, G.n))
    P = X.project(U)
    for g in G.generators:
        assert np.abs(P @ g.matrix() - P).max() < 1e-12
    assert_invariant(P, G, atol=1e-12)
    np.testing.assert_allclose(X.project(P), P, atol=1e-12)
    # orthogonal projection: the residual is orthogonal to every invariant matrix
    assert abs(np.sum((U - P) * X.sample(seed))) < 1e-9 * max(1.0, np.linalg.norm(U)) * 10


@given(groups(), st.integers(1, 5), st.integers(0, 6), st.integers(0, 2**32))
def test_nearest_is_critical_and_closest(G: PermutationGroup, m: int, r: int, seed: int) -> None:
    X = InvariantVariety(G, m, r)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, G.n))
    M = X.nearest(U)
    assert X.contains(M)
    for g in G.generators:
        assert np.abs(M @ g.matrix() - M).max() < 1e-12
    assert max(_tangent_residuals(X, U, M)) < 1e-9
    best = np.linalg.norm(U - M)
    crit = X.critical_points(U)
    assert len(crit) == X.ed_degree
    for _, C in crit:
        assert X.contains(C)
        assert max(_tangent_residuals(X, U, C)) < 1e-9
        assert np.linalg.norm(U - C) >= best - 1e-9
    for _ in range(5):
        assert np.linalg.norm(U - X.sample(rng)) >= best - 1e-9


@given(groups(), st.integers(1, 5), st.integers(0, 6))
def test_group_and_orbit_representative_agree(G: PermutationGroup, m: int, r: int) -> None:
    X, Y = InvariantVariety(G, m, r), InvariantVariety(G.orbit_representative(), m, r)
    assert X == Y
    assert (X.dim, X.degree, X.ed_degree) == (Y.dim, Y.degree, Y.ed_degree)
    U = np.random.default_rng(r).standard_normal((m, G.n))
    np.testing.assert_allclose(X.nearest(U), Y.nearest(U), atol=1e-12)


@given(groups(), st.integers(1, 5), st.integers(1, 6), st.integers(0, 2**32))
def test_parameterization_and_fiber(G: PermutationGroup, m: int, r: int, seed: int) -> None:
    X = InvariantVariety(G, m, r)
    rng = np.random.default_rng(seed)
    M = X.sample(rng)
    A, W = X.parameterize(M)
    assert A.shape == (m, r) and W.shape == (r, X.k)
    np.testing.assert_allclose(A @ W @ X.E_P, M, atol=1e-9 * max(1, np.linalg.norm(M)))
    T = rng.standard_normal((r, r)) + 3 * np.eye(r)
    A2, W2 = X.fiber(A, W, T)
    np.testing.assert_allclose(A2 @ W2 @ X.E_P, M, atol=1e-8 * max(1, np.linalg.norm(M)))
    np.testing.assert_allclose(X.psi_inverse(X.psi(M)), M)
    assert X.n_params_shared == r * X.k + m * r
    assert X.n_params_dense == r * G.n + m * r


def test_structure_values() -> None:
    G = PermutationGroup.from_cycles(["(1 2)", "(2 3)(4 5)"], 6)
    X = InvariantVariety(G, m=3, rank=2)
    assert X.partition_1based == [[1, 2, 3], [4, 5], [6]]
    assert X.block_sizes.tolist() == [3, 2, 1]
    assert X.singular_locus == InvariantVariety(G, 3, 1)
    assert InvariantVariety(G, 3, 3).singular_locus is None
    # r above k: the whole linear space of invariant maps (ED degree 1, even though m < r < k fails)
    W = InvariantVariety(PermutationGroup.from_cycles(["(1 2)"], 6), m=2, rank=3)
    assert (W.k, W.rho, W.ed_degree, W.degree) == (5, 2, 1, 1)


def test_errors(rng: np.random.Generator) -> None:
    X = InvariantVariety(Permutation.from_cycles("(1 2)", 3), 2, 1)
    with pytest.raises(ValueError, match="not invariant"):
        X.psi(rng.standard_normal((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        X.project(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="rank above 1"):
        X.parameterize(X.project(rng.standard_normal((2, 3))))
    with pytest.raises(ValueError, match="singular"):
        X.fiber(np.zeros((2, 1)), np.zeros((1, 2)), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="NaN"):
        X.nearest(np.full((2, 3), np.inf))
    with pytest.raises(ValueError, match="PermutationGroup or Permutation"):
        InvariantVariety("(1 2)", 2, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n=0"):
        InvariantVariety(Permutation.identity(0), 2, 1)
