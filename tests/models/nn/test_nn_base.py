"""equilin.models.nn.base: every autoencoder copied from its closed form computes the estimator's function,
and so does its export to nn.Linear; inputs are checked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equilin import Permutation
from equilin.groups import image_shift
from equilin.models.closed_form import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    EquivariantRegressor,
    InvariantAutoencoder,
    InvariantRegressor,
)
from equilin.models.nn import (
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    InvariantLinearAutoencoder,
    train,
)


def test_from_closed_form_reproduces_the_estimators(rng: np.random.Generator) -> None:
    sigma = Permutation.from_cycles("(1 2 3 4 5 6)(7 8 9)(10 11)", 12)
    X, Y = rng.standard_normal((80, 12)), rng.standard_normal((80, 12))
    for estimator, module_cls in [(DenseAutoencoder(3).fit(X), DenseLinearAutoencoder),
                                  (DenseRegressor(3).fit(X, Y), DenseLinearAutoencoder),
                                  (InvariantAutoencoder(sigma, 2).fit(X), InvariantLinearAutoencoder),
                                  (InvariantRegressor(sigma, 2).fit(X, Y), InvariantLinearAutoencoder),
                                  (EquivariantAutoencoder(sigma, "best", rank=5).fit(X),
                                   EquivariantLinearAutoencoder),
                                  (EquivariantRegressor(sigma, "best", rank=5).fit(X, Y),
                                   EquivariantLinearAutoencoder)]:
        module = module_cls.from_closed_form(estimator)
        with torch.no_grad():
            out = module(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(out, estimator.predict(X), atol=1e-10)
        exported = module.export()
        with torch.no_grad():
            np.testing.assert_allclose(exported(torch.from_numpy(X)).numpy(), out, atol=1e-10)
    with pytest.raises(ValueError, match="fitted"):
        DenseLinearAutoencoder.from_closed_form(DenseAutoencoder(2))


def test_bad_inputs() -> None:
    model = DenseLinearAutoencoder(4, 2)
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        model(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="NaN"):
        train(model, np.full((3, 4), np.nan), progress=False)
    with pytest.raises(ValueError, match="same number of samples"):
        train(model, np.zeros((3, 4)), np.zeros((2, 4)), progress=False)
    with pytest.raises(ValueError, match="dtype"):
        EquivariantLinearAutoencoder(image_shift(2, 2), (1, 0), dtype=torch.int64)
    with pytest.raises(ValueError, match="exceeds the block size"):
        EquivariantLinearAutoencoder(image_shift(2, 2), (5, 0))
    with pytest.raises(ValueError, match="one entry per block"):
        EquivariantLinearAutoencoder(image_shift(2, 2), (1, 0, 0))
