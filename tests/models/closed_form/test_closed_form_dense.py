"""equilin.models.closed_form.dense: Eckart-Young for Y = X, reduced-rank regression against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from closed_form_helpers import brute_force_loss

from equilin.models.closed_form import DenseAutoencoder, DenseRegressor


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


@pytest.mark.parametrize("seed", range(3))
def test_dense_regression_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 3))
    model = DenseRegressor(1).fit(X, Y)

    def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        B, A = theta[:4].reshape(1, 4), theta[4:].reshape(3, 1)
        return X @ B.T @ A.T

    brute = brute_force_loss(predict, 7, X, Y)
    assert model.train_loss_ <= brute + 1e-10
    assert brute <= model.train_loss_ + 1e-7
