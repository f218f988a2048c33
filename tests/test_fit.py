from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import permutations
from equilin import Permutation, PermutationGroup
from equilin.equivariant import EquivariantVariety
from equilin.fit import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.groups import image_shift
from equilin.testing import assert_equivariant, assert_invariant


def _brute_force_loss(predict, n_params: int, X: np.ndarray, Y: np.ndarray, starts: int = 12,
                      seed: int = 0) -> float:
    """Best mean squared error found by BFGS over the network's parameters from random starts."""
    rng = np.random.default_rng(seed)

    def objective(theta: np.ndarray) -> float:
        return float(np.mean((predict(theta, X) - Y) ** 2))

    return min(scipy.optimize.minimize(objective, rng.standard_normal(n_params), method="BFGS",
                                       options={"gtol": 1e-10, "maxiter": 5000}).fun
               for _ in range(starts))


def test_dense_autoencoder_is_eckart_young(rng: np.random.Generator) -> None:
    X = rng.standard_normal((200, 7)) @ rng.standard_normal((7, 7))
    model = DenseAutoencoder(rank=3, batch_size=37).fit(X)
    _, s, vh = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(model.predict(X), X @ vh[:3].T @ vh[:3], atol=1e-9)
    np.testing.assert_allclose(model.singular_values_, s[:3], rtol=1e-9)
    np.testing.assert_allclose(model.train_loss_, np.sum(s[3:] ** 2) / X.size, rtol=1e-9)
    np.testing.assert_allclose(model.loss(X), model.train_loss_, rtol=1e-9)
    assert model.n_params_ == 3 * 7 + 7 * 3
    assert np.linalg.matrix_rank(model.function_matrix()) == 3
    np.testing.assert_allclose(model.inverse_transform(model.transform(X)), model.predict(X), atol=1e-9)


def test_dense_chunking_does_not_change_the_result(rng: np.random.Generator) -> None:
    X, Y = rng.standard_normal((101, 6)), rng.standard_normal((101, 4))
    a = DenseAutoencoder(2, batch_size=1000).fit(X, Y)
    b = DenseAutoencoder(2, batch_size=7).fit(X, Y)
    np.testing.assert_allclose(a.function_matrix(), b.function_matrix(), atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_dense_regression_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 3))
    model = DenseAutoencoder(1).fit(X, Y)

    def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        B, A = theta[:4].reshape(1, 4), theta[4:].reshape(3, 1)
        return X @ B.T @ A.T

    brute = _brute_force_loss(predict, 7, X, Y)
    assert model.train_loss_ <= brute + 1e-10
    assert brute <= model.train_loss_ + 1e-7


@pytest.mark.parametrize("seed", range(3))
def test_invariant_regression_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sigma = Permutation.from_cycles("(1 3 4)(2 5)", 6)  # orbits {1,3,4}, {2,5}, {6}
    X, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 3))
    model = InvariantAutoencoder(sigma, rank=1).fit(X, Y)
    E = model.variety_.E_P
    assert_invariant(model.function_matrix(), sigma)

    def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        W, A = theta[:3].reshape(1, 3), theta[3:].reshape(3, 1)
        return X @ (W @ E).T @ A.T

    brute = _brute_force_loss(predict, 6, X, Y)
    assert model.train_loss_ <= brute + 1e-10
    assert brute <= model.train_loss_ + 1e-7
    assert model.n_params_ == 1 * 3 + 3 * 1


@pytest.mark.parametrize("seed", range(3))
def test_equivariant_regression_matches_brute_force(seed: int) -> None:
    """A component with a complex block, parameterized directly in the original coordinates."""
    rng = np.random.default_rng(seed)
    sigma = Permutation.from_cycles("(1 2 3)(4 5 6)", 6)  # blocks r_{1,1} (size 2), r_{3,2} (size 2)
    E = EquivariantVariety(sigma, 2)
    X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 6))
    model = EquivariantAutoencoder(sigma, ranks=(0, 1)).fit(X, Y)
    Q = E.Q()
    assert_equivariant(model.function_matrix(), sigma)

    def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        a = theta[:4].reshape(2, 2) @ [1, 1j]  # complex encoder (2 x 1) and decoder (1 x 2)
        d = theta[4:].reshape(2, 2) @ [1, 1j]
        Z = np.outer(a, d).T  # the complex block acts as w -> Z w
        D = np.zeros((6, 6))
        D[2:, 2:] = np.kron(Z.real, np.eye(2)) + np.kron(Z.imag, [[0, -1], [1, 0]])
        return X @ (Q @ D @ Q.T).T

    brute = _brute_force_loss(predict, 8, X, Y)
    assert model.train_loss_ <= brute + 1e-10
    assert brute <= model.train_loss_ + 1e-7


@settings(max_examples=25)
@given(permutations(min_n=2, max_n=8), st.integers(1, 6), st.booleans(), st.integers(0, 2**32))
def test_best_beats_every_component(sigma: Permutation, r: int, regression: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((25, sigma.n)) * rng.uniform(0.1, 3.0, sigma.n)
    Y = rng.standard_normal((25, sigma.n)) if regression else None
    best = EquivariantAutoencoder(sigma, "best", r=r).fit(X, Y)
    assert sum(b.weight * k for b, k in zip(best.variety_.blocks, best.ranks_.values())) <= r
    for component in EquivariantVariety(sigma, r).components():
        other = EquivariantAutoencoder(sigma, component.ranks, r=r).fit(X, Y)
        assert best.train_loss_ <= other.train_loss_ + 1e-12
    np.testing.assert_allclose(best.loss(X, Y), best.train_loss_, rtol=1e-8, atol=1e-12)


@settings(max_examples=25)
@given(permutations(min_n=1, max_n=12), st.integers(0, 2**32))
def test_equivariant_fit_is_equivariant_with_bounded_rank(sigma: Permutation, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = int(rng.integers(0, sigma.n + 1))
    X = rng.standard_normal((30, sigma.n))
    model = EquivariantAutoencoder(sigma, "best", r=r).fit(X)
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
    model = EquivariantAutoencoder(sigma, "best", r=9).fit(X)
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


def test_estimator_protocol(rng: np.random.Generator) -> None:
    model = DenseAutoencoder(rank=2)
    assert model.get_params() == {"rank": 2, "batch_size": 8192}
    assert model.set_params(rank=3) is model and model.rank == 3
    assert repr(model) == "DenseAutoencoder(rank=3, batch_size=8192)"
    with pytest.raises(ValueError, match="invalid parameter 'rnak'"):
        model.set_params(rnak=1)
    with pytest.raises(ValueError, match="not fitted"):
        model.predict(np.zeros((1, 3)))
    X = rng.standard_normal((10, 3))
    model.fit(X)
    assert model.score(X) == -model.loss(X)


@pytest.mark.parametrize(("X", "message"), [
    (np.zeros((0, 3)), "no samples"),
    (np.zeros(3), "2-D"),
    (np.full((2, 3), np.nan), "NaN"),
    (np.array([["a", "b", "c"]]), "real numeric"),
    (np.zeros((2, 3), dtype=complex), "real numeric"),
])
def test_bad_data(X: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DenseAutoencoder(1).fit(X)


def test_bad_arguments(rng: np.random.Generator) -> None:
    X = rng.standard_normal((5, 4))
    with pytest.raises(ValueError, match="rank must be an integer"):
        DenseAutoencoder(-1).fit(X)
    with pytest.raises(ValueError, match="same number of samples"):
        DenseAutoencoder(1).fit(X, X[:3])
    sigma = Permutation.from_cycles("(1 2 3 4)", 4)
    with pytest.raises(ValueError, match="needs the rank budget r"):
        EquivariantAutoencoder(sigma, "best").fit(X)
    with pytest.raises(ValueError, match="'best'"):
        EquivariantAutoencoder(sigma, "worst", r=2).fit(X)
    with pytest.raises(ValueError, match="more than r=1"):
        EquivariantAutoencoder(sigma, (1, 1, 0), r=1).fit(X)
    with pytest.raises(ValueError, match="3 features, expected 2"):
        InvariantAutoencoder(Permutation.identity(4), 1, m=2).fit(X, X[:, :3])
    with pytest.raises(ValueError, match="needs targets Y"):
        InvariantAutoencoder(Permutation.identity(4), 1, m=2).fit(X[:, :4])
    with pytest.raises(ValueError, match="4 features, expected 5"):
        InvariantAutoencoder(Permutation.identity(5), 1).fit(X)
    with pytest.raises(ValueError, match="only cyclic"):
        EquivariantAutoencoder(PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 4), "best", r=1).fit(X)
