"""Helpers shared by the tests of equilin.models.closed_form: a brute-force optimum, the four estimators
(or regressors) of the partial-fit tests, and the comparison of two fits."""

from __future__ import annotations

import numpy as np
import scipy.optimize

from equilin.groups import image_shift
from equilin.models.closed_form import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    EquivariantRegressor,
    InvariantAutoencoder,
    InvariantRegressor,
)


def brute_force_loss(predict, n_params: int, X: np.ndarray, Y: np.ndarray, starts: int = 12,
                      seed: int = 0) -> float:
    """Best mean squared error found by BFGS over the network's parameters from random starts."""
    rng = np.random.default_rng(seed)

    def objective(theta: np.ndarray) -> float:
        return float(np.mean((predict(theta, X) - Y) ** 2))

    return min(scipy.optimize.minimize(objective, rng.standard_normal(n_params), method="BFGS",
                                       options={"gtol": 1e-10, "maxiter": 5000}).fun
               for _ in range(starts))


def four_estimators(regression: bool = False) -> list:
    """Four autoencoders on 12 features, or the four matching regressors."""
    sigma = image_shift(3, 4)
    if regression:
        return [DenseRegressor(3), InvariantRegressor(sigma, 2), EquivariantRegressor(sigma, "best", rank=5),
                EquivariantRegressor(sigma, (1, 1, 1))]
    return [DenseAutoencoder(3), InvariantAutoencoder(sigma, 2), EquivariantAutoencoder(sigma, "best", rank=5),
            EquivariantAutoencoder(sigma, (1, 1, 1))]


def assert_same_fit(a, b, X: np.ndarray, rtol: float = 1e-10) -> None:
    assert a.n_samples_seen_ == b.n_samples_seen_
    # the loss is a difference of sums of squares: relative to the data's mean square (a perfect fit
    # has a loss of rounding size, ~1e-16, whose relative error means nothing)
    np.testing.assert_allclose(a.train_loss_, b.train_loss_, rtol=rtol, atol=rtol * float(np.mean(X ** 2)))
    for name in ("gram_inputs_", "gram_cross_"):
        u, v = getattr(a, name), getattr(b, name)
        if u is None or v is None:
            assert u is None and v is None
            continue
        for p, q in zip(u if isinstance(u, list) else [u], v if isinstance(v, list) else [v]):
            np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol * np.abs(q).max())
    np.testing.assert_allclose(a.sum_squares_, b.sum_squares_, rtol=rtol)
    pa, pb = a.predict(X), b.predict(X)
    np.testing.assert_allclose(pa, pb, rtol=0, atol=1e-8 * np.abs(pb).max())
    if hasattr(a, "ranks_") and isinstance(a.ranks_, dict):
        assert a.ranks_ == b.ranks_
