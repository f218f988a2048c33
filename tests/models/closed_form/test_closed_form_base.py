"""equilin.models.closed_form.base: the estimator protocol (parameters, repr, not fitted, score), input
checks, the two roles (autoencoders ignore y, regressors need it), and saved models refined by partial_fit."""

from __future__ import annotations

import numpy as np
import pytest
from closed_form_helpers import assert_same_fit, four_estimators
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from equilin import Permutation, PermutationGroup
from equilin.io import save
from equilin.models import load
from equilin.models.closed_form import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    InvariantAutoencoder,
    InvariantRegressor,
)
from equilin.testing import assert_equivariant


def test_estimator_protocol(rng: np.random.Generator) -> None:
    model = DenseAutoencoder(rank=2)
    assert model.get_params() == {"rank": 2, "batch_size": 8192}
    assert model.set_params(rank=3) is model and model.rank == 3
    assert repr(model) == "DenseAutoencoder(rank=3)"   # scikit-learn's repr: the parameters set
    assert repr(DenseAutoencoder(1, batch_size=5)) == "DenseAutoencoder(batch_size=5, rank=1)"
    with pytest.raises(ValueError, match="Invalid parameter 'rnak'"):
        model.set_params(rnak=1)
    with pytest.raises(NotFittedError, match="not fitted"):   # a ValueError too, as before
        model.predict(np.zeros((1, 3)))
    X = rng.standard_normal((10, 3))
    model.fit(X)
    assert model.score(X) == -model.loss(X)


@pytest.mark.parametrize(("X", "message"), [
    (np.zeros((0, 3)), "no samples"),
    (np.zeros(3), "2-D"),
    (np.full((2, 3), np.nan), "NaN"),
    (np.array([["a", "b", "c"]]), "real numeric"),
    (np.zeros((2, 3), dtype=complex), "Complex data not supported: X is an array of dtype complex128"),
    ([["a", "b", "c"]], "got a list of strings"),
    (np.zeros((4, 0)), r"0 feature\(s\) \(shape=\(4, 0\)\)"),
])
def test_bad_data(X: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DenseAutoencoder(1).fit(X)


def test_bad_arguments(rng: np.random.Generator) -> None:
    X = rng.standard_normal((5, 4))
    with pytest.raises(ValueError, match="rank must be an integer"):
        DenseAutoencoder(-1).fit(X)
    with pytest.raises(ValueError, match="X and y must have the same number of samples, got 5 and 3"):
        DenseRegressor(1).fit(X, X[:3])
    sigma = Permutation.from_cycles("(1 2 3 4)", 4)
    with pytest.raises(ValueError, match="needs the rank budget r"):
        EquivariantAutoencoder(sigma, "best").fit(X)
    with pytest.raises(ValueError, match="'best'"):
        EquivariantAutoencoder(sigma, "worst", rank=2).fit(X)
    with pytest.raises(ValueError, match="more than rank=1"):
        EquivariantAutoencoder(sigma, (1, 1, 0), rank=1).fit(X)
    with pytest.raises(ValueError, match="requires y to be passed"):
        InvariantRegressor(Permutation.identity(4), 1).fit(X[:, :4], None)
    with pytest.raises(ValueError, match=r"X has 4 features, but InvariantAutoencoder is expecting 5 features as "
                                         r"input \(the group acts on 5 points\)"):
        InvariantAutoencoder(Permutation.identity(5), 1).fit(X)
    two_generators = PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 4)  # not cyclic: the generic path
    M = EquivariantAutoencoder(two_generators, "best", rank=1).fit(X).function_matrix()
    for g in two_generators.generators:
        assert_equivariant(M, g, atol=1e-10)


@pytest.mark.parametrize("which", range(4))
def test_autoencoders_ignore_y_and_regressors_need_it(which: int, rng: np.random.Generator) -> None:
    autoencoder, regressor = four_estimators()[which], four_estimators(regression=True)[which]
    X, labels = rng.standard_normal((10, 12)), rng.integers(0, 3, 10)
    assert_same_fit(clone(autoencoder).partial_fit(X, labels), clone(autoencoder).fit(X), X)
    assert not clone(autoencoder).fit(X, labels).has_targets_
    with pytest.raises(ValueError, match="requires y to be passed"):
        clone(regressor).fit(X, None)
    fitted = clone(regressor).fit(X, X)
    with pytest.raises(ValueError, match=f"X has 11 features, but {type(regressor).__name__} is expecting 12"):
        fitted.partial_fit(X[:, :11], X)
    assert fitted.n_samples_seen_ == 10 and fitted.has_targets_  # a refused batch leaves the statistics alone


def test_saved_model_can_be_refined_with_more_batches(rng: np.random.Generator, tmp_path) -> None:
    X, Y = rng.standard_normal((90, 12)), rng.standard_normal((90, 12))
    for make, regressor in zip(four_estimators(), four_estimators(regression=True)):
        for target in (None, Y):
            params = make.get_params()
            path = tmp_path / "model.npz"
            cls = type(make) if target is None else type(regressor)
            save(cls(**params).partial_fit(X[:50], None if target is None else target[:50]), path)
            again = load(path).partial_fit(X[50:], None if target is None else target[50:])
            assert_same_fit(again, cls(**params).fit(X, target), X)
