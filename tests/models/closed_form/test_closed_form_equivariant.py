"""equilin.models.closed_form.equivariant: the per-block optimum against brute force, ranks="best" against
every component, equivariance and rank of the fit, PCA per block, any permutation group."""

from __future__ import annotations

import numpy as np
import pytest
from closed_form_helpers import brute_force_loss
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import Permutation
from equilin.equivariance import EquivariantVariety
from equilin.groups import image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, EquivariantRegressor
from equilin.testing import assert_equivariant

from conftest import permutations, small_general_groups


@pytest.mark.parametrize("seed", range(3))
def test_equivariant_regression_matches_brute_force(seed: int) -> None:
    """A component with a complex block, parameterized directly in the original coordinates."""
    rng = np.random.default_rng(seed)
    sigma = Permutation.from_cycles("(1 2 3)(4 5 6)", 6)  # blocks r_{1,1} (size 2), r_{3,2} (size 2)
    E = EquivariantVariety(sigma, 2)
    X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 6))
    model = EquivariantRegressor(sigma, ranks=(0, 1)).fit(X, Y)
    Q = E.Q()
    assert_equivariant(model.function_matrix(), sigma)

    def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        a = theta[:4].reshape(2, 2) @ [1, 1j]  # complex encoder (2 x 1) and decoder (1 x 2)
        d = theta[4:].reshape(2, 2) @ [1, 1j]
        Z = np.outer(a, d).T  # the complex block acts as w -> Z w
        D = np.zeros((6, 6))
        D[2:, 2:] = np.kron(Z.real, np.eye(2)) + np.kron(Z.imag, [[0, -1], [1, 0]])
        return X @ (Q @ D @ Q.T).T

    brute = brute_force_loss(predict, 8, X, Y)
    assert model.train_loss_ <= brute + 1e-10
    assert brute <= model.train_loss_ + 1e-7


@settings(max_examples=25)
@given(permutations(min_n=2, max_n=8), st.integers(1, 6), st.booleans(), st.integers(0, 2**32))
def test_best_beats_every_component(sigma: Permutation, r: int, regression: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((25, sigma.n)) * rng.uniform(0.1, 3.0, sigma.n)
    Y = rng.standard_normal((25, sigma.n)) if regression else None
    estimator = EquivariantRegressor if regression else EquivariantAutoencoder
    best = estimator(sigma, "best", rank=r).fit(X, Y)
    assert sum(b.weight * k for b, k in zip(best.variety_.blocks, best.ranks_.values())) <= r
    for component in EquivariantVariety(sigma, r).components():
        other = estimator(sigma, component.ranks, rank=r).fit(X, Y)
        assert best.train_loss_ <= other.train_loss_ + 1e-12
    np.testing.assert_allclose(best.loss(X, Y), best.train_loss_, rtol=1e-8, atol=1e-12)


@settings(max_examples=25)
@given(permutations(min_n=1, max_n=12), st.integers(0, 2**32))
def test_equivariant_fit_is_equivariant_with_bounded_rank(sigma: Permutation, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = int(rng.integers(0, sigma.n + 1))
    X = rng.standard_normal((30, sigma.n))
    model = EquivariantAutoencoder(sigma, "best", rank=r).fit(X)
    M = model.function_matrix()
    assert_equivariant(M, sigma, atol=1e-10)
    assert np.linalg.matrix_rank(M, tol=1e-8) <= r
    assert EquivariantVariety(sigma, r).contains(M)
    np.testing.assert_allclose(model.inverse_transform(model.transform(X)), model.predict(X), atol=1e-9)


def test_autoencoder_is_pca_per_block(rng: np.random.Generator) -> None:
    """Y = X: each block keeps its top principal directions (complex PCA on complex blocks)."""
    sigma = image_shift(4, 6)
    E = EquivariantVariety(sigma, 9)
    X = rng.standard_normal((300, 24)) @ rng.standard_normal((24, 24))
    model = EquivariantAutoencoder(sigma, "best", rank=9).fit(X)
    coords = E.to_blocks(X)
    expected = 0.0
    for c, k in zip(coords, model.ranks_.values()):
        s = np.linalg.svd(c, compute_uv=False)
        expected += np.sum(s[k:] ** 2)
    np.testing.assert_allclose(model.train_loss_, expected / X.size, rtol=1e-9)


def test_mnist_shaped_component_parameters() -> None:
    ranks = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)
    model = EquivariantAutoencoder(image_shift(28, 28), ranks)
    X = np.random.default_rng(0).random((50, 784))
    model.fit(X)
    assert model.n_params_ == 5_544
    assert list(model.ranks_.values()) == list(ranks)
    assert DenseAutoencoder(99).fit(X).n_params_ == 155_232


@pytest.mark.parametrize("index", range(4))
def test_general_group_best_beats_every_component_and_is_equivariant(index: int) -> None:
    from equilin.equivariance import EquivariantVariety

    group = small_general_groups()[index]
    rng = np.random.default_rng(index)
    X = rng.standard_normal((200, group.n)) @ rng.standard_normal((group.n, group.n))
    Y = rng.standard_normal((200, group.n))
    for r in range(1, group.n + 1):
        E = EquivariantVariety(group, r)
        best = EquivariantAutoencoder(group, "best", rank=r).fit(X)
        losses = [EquivariantAutoencoder(group, c.ranks, rank=r).fit(X).train_loss_ for c in E.components()]
        assert best.train_loss_ <= min(losses) + 1e-12
        assert best.loss(X) == pytest.approx(best.train_loss_, rel=1e-9, abs=1e-12)
        M = best.function_matrix()
        assert E.is_equivariant(M, 1e-10) and np.linalg.matrix_rank(M, 1e-8) <= r
        codes = best.transform(X[:4])
        assert codes.shape == (4, best.component_.max_rank) == (4, np.linalg.matrix_rank(M, 1e-8))
        np.testing.assert_allclose(best.inverse_transform(codes), best.predict(X[:4]), atol=1e-10)
        regression = EquivariantRegressor(group, "best", rank=r).fit(X, Y)
        assert E.is_equivariant(regression.function_matrix(), 1e-9)


def test_general_group_closed_form_is_the_nearest_point_for_whitened_data() -> None:
    """With X = I (rows e_1..e_n) and targets Y = U^T, the regression optimum is the nearest point of
    E^G_r to U (the loss is ||M - U||_F^2): closed form and geometry agree, quaternionic block included."""
    from equilin.equivariance import EquivariantVariety

    group = small_general_groups()[0]
    U = np.random.default_rng(5).standard_normal((8, 8))
    for r in range(1, 9):
        model = EquivariantRegressor(group, "best", rank=r).fit(np.eye(8), U.T)
        nearest = EquivariantVariety(group, r).nearest(U)
        assert np.linalg.norm(model.function_matrix() - U) == pytest.approx(np.linalg.norm(nearest - U), abs=1e-9)
