"""equilin.models.closed_form.base: the estimator protocol (parameters, repr, not fitted, score), input
checks, refusing to mix autoencoder and regression batches, and saved models refined by partial_fit."""

from __future__ import annotations

import numpy as np
import pytest
from closed_form_helpers import assert_same_fit, four_estimators

from equilin import Permutation, PermutationGroup
from equilin.io import save
from equilin.models import load
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.testing import assert_equivariant


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
        EquivariantAutoencoder(sigma, "worst", rank=2).fit(X)
    with pytest.raises(ValueError, match="more than rank=1"):
        EquivariantAutoencoder(sigma, (1, 1, 0), rank=1).fit(X)
    with pytest.raises(ValueError, match="3 features, expected 2"):
        InvariantAutoencoder(Permutation.identity(4), 1, m=2).fit(X, X[:, :3])
    with pytest.raises(ValueError, match="needs targets Y"):
        InvariantAutoencoder(Permutation.identity(4), 1, m=2).fit(X[:, :4])
    with pytest.raises(ValueError, match="4 features, expected 5"):
        InvariantAutoencoder(Permutation.identity(5), 1).fit(X)
    two_generators = PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 4)  # not cyclic: the generic path
    M = EquivariantAutoencoder(two_generators, "best", rank=1).fit(X).function_matrix()
    for g in two_generators.generators:
        assert_equivariant(M, g, atol=1e-10)


@pytest.mark.parametrize("make", four_estimators())
def test_partial_fit_refuses_mixed_batches(make, rng: np.random.Generator) -> None:
    X = rng.standard_normal((10, 12))
    model = type(make)(**make.get_params()).partial_fit(X)
    with pytest.raises(ValueError, match="autoencoder .*cannot be mixed"):
        model.partial_fit(X, X)
    model = type(make)(**make.get_params()).partial_fit(X, X)
    with pytest.raises(ValueError, match="regression .*Y=None"):
        model.partial_fit(X)
    with pytest.raises(ValueError, match="11 features, expected 12"):
        model.partial_fit(X[:, :11], X)
    assert model.n_samples_seen_ == 10  # a refused batch leaves the statistics alone


def test_saved_model_can_be_refined_with_more_batches(rng: np.random.Generator, tmp_path) -> None:
    X, Y = rng.standard_normal((90, 12)), rng.standard_normal((90, 12))
    for make in four_estimators():
        for target in (None, Y):
            params = make.get_params()
            path = tmp_path / "model.npz"
            save(type(make)(**params).partial_fit(X[:50], None if target is None else target[:50]), path)
            again = load(path).partial_fit(X[50:], None if target is None else target[50:])
            assert_same_fit(again, type(make)(**params).fit(X, target), X)
