"""The closed forms as scikit-learn estimators: scikit-learn's own estimator checks, pipelines, model
selection, pandas output, sparse input, edge inputs, and files of equilin 0.1 (regressions stored as
autoencoders) loading as the regressors; every claim against an independent computation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from equilin import Permutation
from equilin.io import load
from equilin.models.closed_form import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    EquivariantRegressor,
    InvariantAutoencoder,
    InvariantRegressor,
)

TRIVIAL = Permutation.identity(1)   # the group estimators in scikit-learn's checks: n = 1
SIGMA = Permutation.from_cycles("(1 2 3)(4 5)", 5)
IO = Path(__file__).parents[2] / "io"

# -- scikit-learn's estimator checks ------------------------------------------------------------------
# A group fixes the number of features n (here 1); these checks fit data with other numbers of features.
_FIXED_N = "the group fixes n_features (n = 1 here); the check fits data with other numbers of features"
_FIXED_N_CHECKS = [
    "check_dict_unchanged", "check_dont_overwrite_parameters", "check_dtype_object", "check_estimator_sparse_array",
    "check_estimator_sparse_matrix", "check_estimator_sparse_tag", "check_estimators_dtypes",
    "check_estimators_fit_returns_self", "check_estimators_nan_inf", "check_estimators_overwrite_params",
    "check_estimators_pickle", "check_f_contiguous_array_estimator", "check_fit2d_1sample", "check_fit2d_predict1d",
    "check_fit_check_is_fitted", "check_fit_idempotent", "check_fit_score_takes_y",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_n_features_in",
    "check_n_features_in_after_fitting", "check_pipeline_consistency", "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
]
_FIXED_N_TRANSFORMER = ["check_transformer_data_not_an_array", "check_transformer_general",
                        "check_transformer_preserve_dtypes"]
_FIXED_N_REGRESSOR = ["check_estimators_partial_fit_n_features", "check_regressor_data_not_an_array",
                      "check_regressor_multioutput", "check_regressors_int", "check_regressors_no_decision_function",
                      "check_regressors_train"]
_RECONSTRUCTION = ("predict returns the reconstruction (N x n), while the check expects a prediction of y "
                   "(1-D or one column)")


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    name = type(estimator).__name__
    if name == "DenseAutoencoder":
        return {"check_estimator_sparse_array": _RECONSTRUCTION, "check_estimator_sparse_matrix": _RECONSTRUCTION}
    if name == "DenseRegressor":
        return {}
    failed = dict.fromkeys(_FIXED_N_CHECKS, _FIXED_N)
    failed.update(dict.fromkeys(_FIXED_N_TRANSFORMER if "Autoencoder" in name else _FIXED_N_REGRESSOR, _FIXED_N))
    if name == "InvariantRegressor":
        failed["check_supervised_y_2d"] = _FIXED_N
    if name == "EquivariantRegressor":
        failed["check_complex_data"] = ("the check passes a 1-D y, refused first: the targets of an equivariant "
                                        "map live in R^n")
    return failed


@parametrize_with_checks([DenseAutoencoder(2), DenseRegressor(2), InvariantAutoencoder(TRIVIAL, 1),
                          InvariantRegressor(TRIVIAL, 1), EquivariantAutoencoder(TRIVIAL, "best", rank=1),
                          EquivariantRegressor(TRIVIAL, "best", rank=1)],
                         expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check) -> None:
    check(estimator)


def test_the_fixed_n_checks_pass_for_the_dense_models() -> None:
    """The checks listed as failing for the group models fail only for their fixed n: the dense models,
    which take any n, pass every one of them (so nothing else is hidden in that list)."""
    from sklearn.utils import estimator_checks

    for estimator, extra in [(DenseAutoencoder(2), _FIXED_N_TRANSFORMER), (DenseRegressor(2), _FIXED_N_REGRESSOR)]:
        for name in [*_FIXED_N_CHECKS, *extra]:
            if name in _expected_failed_checks(estimator):
                continue
            getattr(estimator_checks, name)(type(estimator).__name__, clone(estimator))


# -- pipelines, model selection, pandas ------------------------------------------------------------------
def test_pipeline_with_a_classifier_uses_the_labels_for_the_classifier_only(rng: np.random.Generator) -> None:
    X = rng.standard_normal((120, 10)) * np.r_[5.0, np.ones(9)]   # the labels' direction has the variance
    labels = (X[:, 0] + 0.1 * rng.standard_normal(120) > 0).astype(int)
    for first in (DenseAutoencoder(4), InvariantAutoencoder(Permutation.identity(10), 4),
                  EquivariantAutoencoder(Permutation.identity(10), "best", rank=4)):
        pipe = make_pipeline(first, LogisticRegression()).fit(X, labels)
        codes = clone(first).fit(X).transform(X)   # the autoencoder of the pipeline ignored the labels
        reference = LogisticRegression().fit(codes, labels)
        np.testing.assert_array_equal(pipe.predict(X), reference.predict(codes))
        assert pipe.score(X, labels) > 0.9


def test_grid_search_and_cross_validation(rng: np.random.Generator) -> None:
    # data of rank 3 plus noise: the reconstruction error keeps falling with the rank, R^2 peaks at 2
    X = rng.standard_normal((90, 3)) @ rng.standard_normal((3, 8)) + 0.01 * rng.standard_normal((90, 8))
    search = GridSearchCV(DenseAutoencoder(1), {"rank": [1, 2, 3]}, cv=3).fit(X)
    assert search.best_params_ == {"rank": 3}
    folds = KFold(3)
    for rank in (1, 2, 3):     # score = -reconstruction MSE, computed here independently
        expected = [-np.mean((X[test] - X[test] @ _top_subspace(X[train], rank)) ** 2)
                    for train, test in folds.split(X)]
        np.testing.assert_allclose(cross_val_score(DenseAutoencoder(rank), X, cv=folds), expected, rtol=1e-8)
    W = rng.standard_normal((8, 2)) @ rng.standard_normal((2, 3))
    Y = X @ W + 0.1 * rng.standard_normal((90, 3))
    search = GridSearchCV(DenseRegressor(1), {"rank": [1, 2]}, cv=3).fit(X, Y)
    assert search.best_params_ == {"rank": 2}
    for train, test in folds.split(X):
        fitted = clone(DenseRegressor(2)).fit(X[train], Y[train])
        residual = Y[test] - X[test] @ _reduced_rank_regression(X[train], Y[train], 2)
        r2 = 1 - np.sum(residual ** 2, axis=0) / np.sum((Y[test] - Y[test].mean(axis=0)) ** 2, axis=0)
        assert fitted.score(X[test], Y[test]) == pytest.approx(np.mean(r2), rel=1e-8)


def test_pandas_output_and_feature_names(rng: np.random.Generator) -> None:
    frame = pd.DataFrame(rng.standard_normal((30, 5)), columns=["a", "b", "c", "d", "e"])
    model = DenseAutoencoder(2).set_output(transform="pandas")
    codes = model.fit_transform(frame)
    assert isinstance(codes, pd.DataFrame) and list(codes.columns) == ["denseautoencoder0", "denseautoencoder1"]
    np.testing.assert_allclose(codes.to_numpy(), frame.to_numpy() @ model.components_.T)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d", "e"] and model.n_features_in_ == 5
    with pytest.raises(ValueError, match="feature names should match"):
        model.transform(frame.rename(columns={"a": "z"}))
    invariant = InvariantAutoencoder(SIGMA, 2).set_output(transform="pandas").fit(frame)
    assert list(invariant.transform(frame).columns) == ["invariantautoencoder0", "invariantautoencoder1"]
    equivariant = EquivariantAutoencoder(SIGMA, "best", rank=3).fit(frame)
    assert len(equivariant.get_feature_names_out()) == equivariant.transform(frame).shape[1]
    assert not hasattr(DenseAutoencoder(2).fit(frame.to_numpy()), "feature_names_in_")
    clone_ = clone(model)
    assert clone_.get_params() == model.get_params() and not hasattr(clone_, "components_")


def test_unfitted_models_raise_not_fitted_error() -> None:
    for model in (DenseAutoencoder(1), DenseRegressor(1), InvariantRegressor(SIGMA, 1),
                  EquivariantAutoencoder(SIGMA, "best", rank=1)):
        with pytest.raises(NotFittedError):
            model.predict(np.zeros((1, 5)))
    with pytest.raises(NotFittedError):
        DenseAutoencoder(1).get_feature_names_out()


# -- independent references ---------------------------------------------------------------------------
def _top_subspace(X: np.ndarray, rank: int) -> np.ndarray:
    """The orthogonal projector onto the top-``rank`` right-singular vectors of ``X`` (numpy's SVD)."""
    V = np.linalg.svd(X, full_matrices=False)[2][:rank]
    return V.T @ V


def _reduced_rank_regression(X: np.ndarray, Y: np.ndarray, rank: int) -> np.ndarray:
    """``M^T`` of rank ``rank`` minimizing ``||X M^T - Y||``: least squares, then the fitted values
    projected on their top right-singular vectors (numpy only)."""
    B = np.linalg.lstsq(X, Y, rcond=None)[0]
    V = np.linalg.svd(X @ B, full_matrices=False)[2][:rank]
    return B @ V.T @ V


def test_dense_autoencoder_spans_the_truncated_svd_subspace(rng: np.random.Generator) -> None:
    X = rng.standard_normal((60, 7)) * np.arange(1, 8)
    model = DenseAutoencoder(3).fit(X)
    svd = TruncatedSVD(3, algorithm="arpack").fit(X)   # no centering, as the network has no bias
    np.testing.assert_allclose(model.components_.T @ model.components_, svd.components_.T @ svd.components_,
                               atol=1e-8)
    np.testing.assert_allclose(model.singular_values_, svd.singular_values_, rtol=1e-8)


def test_dense_regressor_is_reduced_rank_regression(rng: np.random.Generator) -> None:
    X, Y = rng.standard_normal((80, 6)), rng.standard_normal((80, 4))
    for rank in (1, 2, 4):
        np.testing.assert_allclose(DenseRegressor(rank).fit(X, Y).predict(X),
                                   X @ _reduced_rank_regression(X, Y, rank), atol=1e-9)
    y = rng.standard_normal(80)
    one = DenseRegressor(1).fit(X, y)
    assert one.predict(X).shape == (80,)
    np.testing.assert_allclose(one.predict(X), X @ np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-9)
    assert InvariantRegressor(SIGMA, 1).fit(X[:, :5], y).predict(X[:5, :5]).shape == (5,)


# -- sparse input ----------------------------------------------------------------------------------
def _six(n_points: int = 5) -> list:
    return [DenseAutoencoder(2), DenseRegressor(2), InvariantAutoencoder(SIGMA, 2), InvariantRegressor(SIGMA, 2),
            EquivariantAutoencoder(SIGMA, "best", rank=3), EquivariantRegressor(SIGMA, "best", rank=3)]


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.coo_array])
def test_sparse_input_gives_the_dense_result(container, rng: np.random.Generator) -> None:
    X = rng.standard_normal((40, 5)) * (rng.random((40, 5)) < 0.4)
    Y = rng.standard_normal((40, 5))
    for model in _six():
        target = Y if "Regressor" in type(model).__name__ else None
        dense = clone(model).set_params(batch_size=7).fit(X, target)
        sparse = clone(model).set_params(batch_size=7).fit(container(X), target)
        np.testing.assert_allclose(sparse.predict(container(X)), dense.predict(X), atol=1e-10)
        np.testing.assert_allclose(sparse.train_loss_, dense.train_loss_, rtol=1e-10, atol=1e-14)
        online = clone(model).set_params(batch_size=7)
        for rows in (slice(0, 15), slice(15, 40)):
            online.partial_fit(container(X)[rows] if container not in (sp.coo_matrix, sp.coo_array)
                               else container(X[rows]), None if target is None else target[rows])
        np.testing.assert_allclose(online.predict(X), dense.predict(X), atol=1e-10)
        if target is None:
            np.testing.assert_allclose(sparse.transform(container(X)), dense.transform(X), atol=1e-10)


@pytest.mark.parametrize(("X", "message"), [
    (sp.csr_matrix(np.ones((3, 5), dtype=complex)), "X is a scipy.sparse matrix of dtype complex128"),
    (sp.csr_array(np.ones((3, 5), dtype=bool)), "got a scipy.sparse array of dtype bool"),
    ([["a", "b", "c", "d", "e"]], "got a list of strings"),
    (np.array([[1, 2, 3, 4, {"a": 1}]], dtype=object), "has an entry that is not a number"),
    (pd.DataFrame({"a": ["x", "y"]}), "got a pandas.DataFrame of dtype object with an entry that is not a number"),
])
def test_unsupported_input_names_its_real_type(X, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        DenseAutoencoder(1).fit(X)


# -- edge inputs -----------------------------------------------------------------------------------
def test_no_features_is_refused_clearly() -> None:
    for model in (DenseAutoencoder(1), DenseRegressor(1)):
        with pytest.raises(ValueError, match=r"X has 0 feature\(s\) \(shape=\(4, 0\)\) while a minimum of 1"):
            model.fit(np.zeros((4, 0)), np.zeros(4))
    with pytest.raises(ValueError, match=r"y has 0 feature\(s\)"):
        DenseRegressor(1).fit(np.ones((4, 2)), np.zeros((4, 0)))


@pytest.mark.parametrize("scale", [2.0 ** 660, 1e200, 1e-200])
def test_data_of_extreme_magnitude_gives_the_scaled_answer(scale: float, rng: np.random.Generator) -> None:
    """Rows near 1e200 (Gram matrices beyond the float range) or 1e-200: the same encoders, decoders and
    predictions as for the data of magnitude 1, scaled; the losses scaled by scale^2 (inf beyond range)."""
    X, Y = rng.standard_normal((30, 5)), rng.standard_normal((30, 5))
    for model in _six():
        target = Y if "Regressor" in type(model).__name__ else None
        unit = clone(model).fit(X, target)
        big = clone(model).fit(X * scale, None if target is None else target * scale)
        np.testing.assert_allclose(big.predict(X * scale) / scale, unit.predict(X), atol=1e-9)
        with np.errstate(over="ignore"):
            expected_loss = unit.train_loss_ * np.float64(scale) ** 2
        assert big.train_loss_ == pytest.approx(expected_loss, rel=1e-8, abs=1e-300)
    halves = DenseAutoencoder(2).partial_fit(X[:15]).partial_fit(X[15:] * 2.0 ** 700)   # batches of two scales
    both = np.vstack([X[:15], X[15:] * 2.0 ** 700])
    np.testing.assert_allclose(halves.components_.T @ halves.components_,
                               _top_subspace(both / 2.0 ** 700, 2), atol=1e-8)


def test_one_sample_rank_zero_and_large_ranks(rng: np.random.Generator) -> None:
    x = rng.standard_normal((1, 5))
    one = DenseAutoencoder(1).fit(x)
    np.testing.assert_allclose(one.predict(x), x, atol=1e-12)   # one sample: rank 1 reproduces it
    zero = DenseRegressor(0).fit(rng.standard_normal((10, 5)), rng.standard_normal((10, 2)))
    np.testing.assert_array_equal(zero.predict(np.ones((3, 5))), np.zeros((3, 2)))
    codes = DenseAutoencoder(0).fit(rng.standard_normal((10, 5))).transform(np.ones((3, 5)))
    assert codes.shape == (3, 0)
    X, Y = rng.standard_normal((20, 5)), rng.standard_normal((20, 3))
    wide = DenseRegressor(9).fit(X, Y)            # rank above min(n, m) = 3: ordinary least squares
    assert wide.ranks_ == 3 and wide.components_.shape == (9, 5)
    np.testing.assert_allclose(wide.predict(X), X @ np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-9)
    np.testing.assert_allclose(InvariantAutoencoder(SIGMA, 7).fit(X).predict(X),
                               InvariantAutoencoder(SIGMA, 2).fit(X).predict(X), atol=1e-10)   # k = 2 orbits


# -- files of equilin 0.1 ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), [("dense", DenseRegressor), ("invariant", InvariantRegressor),
                                           ("equivariant", EquivariantRegressor)])
def test_older_regression_files_load_as_the_regressors(name: str, cls: type) -> None:
    """Files written by equilin 0.1.0 (an autoencoder class fitted with targets) load as the regressor and
    predict what they predicted then (the fixtures hold both)."""
    expected = np.load(IO / "regression_v4_expected.npz")
    model = load(IO / f"regression_v4_{name}.npz")
    assert type(model) is cls and model.has_targets_
    np.testing.assert_array_equal(model.predict(expected["X"]), expected[name])
    assert type(cls.load(IO / f"regression_v4_{name}.npz")) is cls
    autoencoder = {"dense": DenseAutoencoder, "invariant": InvariantAutoencoder,
                   "equivariant": EquivariantAutoencoder}[name]
    with pytest.raises(TypeError, match=f"fitted with targets, which loads as {cls.__name__}"):
        autoencoder.load(IO / f"regression_v4_{name}.npz")
