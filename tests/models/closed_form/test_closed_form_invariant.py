"""equilin.models.closed_form.invariant: the invariant regression optimum against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from closed_form_helpers import brute_force_loss

from equilin import Permutation
from equilin.models.closed_form import InvariantRegressor
from equilin.testing import assert_invariant


@pytest.mark.parametrize("seed", range(3))
def test_invariant_regression_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sigma = Permutation.from_cycles("(1 3 4)(2 5)", 6)  # orbits {1,3,4}, {2,5}, {6}
    X, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 3))
    model = InvariantRegressor(sigma, rank=1).fit(X, Y)
    E = model.variety_.E_P
    assert_invariant(model.function_matrix(), sigma)

    def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        W, A = theta[:3].reshape(1, 3), theta[3:].reshape(3, 1)
        return X @ (W @ E).T @ A.T

    brute = brute_force_loss(predict, 6, X, Y)
    assert model.train_loss_ <= brute + 1e-10
    assert brute <= model.train_loss_ + 1e-7
    assert model.n_params_ == 1 * 3 + 3 * 1
