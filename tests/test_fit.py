from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import Permutation, PermutationGroup
from equilin.equivariance import EquivariantVariety
from equilin.groups import image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.testing import assert_equivariant, assert_invariant

from conftest import permutations, small_general_groups


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
    best = EquivariantAutoencoder(sigma, "best", rank=r).fit(X, Y)
    assert sum(b.weight * k for b, k in zip(best.variety_.blocks, best.ranks_.values())) <= r
    for component in EquivariantVariety(sigma, r).components():
        other = EquivariantAutoencoder(sigma, component.ranks, rank=r).fit(X, Y)
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


# -- partial_fit, Dask, large n ------------------------------------------------------------------
def _estimators() -> list:
    sigma = image_shift(3, 4)
    return [DenseAutoencoder(3), InvariantAutoencoder(sigma, 2), EquivariantAutoencoder(sigma, "best", rank=5),
            EquivariantAutoencoder(sigma, (1, 1, 1))]


def _assert_same_fit(a, b, X: np.ndarray, rtol: float = 1e-10) -> None:
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


@settings(max_examples=20)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.integers(0, 3), st.booleans(),
       st.integers(0, 2**32))
def test_partial_fit_equals_fit_on_the_concatenation(sizes: list[int], which: int, regression: bool,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((sum(sizes), 12)) * rng.uniform(0.1, 3.0, 12)
    Y = rng.standard_normal((sum(sizes), 12)) if regression else None
    full = _estimators()[which].fit(X, Y)
    online = _estimators()[which]
    bounds = np.cumsum([0] + sizes)
    for a, b in itertools.pairwise(bounds):
        assert online.partial_fit(X[a:b], None if Y is None else Y[a:b]) is online
    _assert_same_fit(online, full, X)
    assert isinstance(online.n_samples_seen_, int) and online.n_samples_seen_ == len(X)


def test_partial_fit_refines_and_fit_starts_over(rng: np.random.Generator) -> None:
    X = rng.standard_normal((60, 12))
    model = EquivariantAutoencoder(image_shift(3, 4), "best", rank=4).partial_fit(X[:10])
    first = model.gains_[0].copy()
    model.partial_fit(X[10:])
    assert model.n_samples_seen_ == 60 and not np.allclose(first, model.gains_[0])
    model.fit(X[:10])
    assert model.n_samples_seen_ == 10
    np.testing.assert_allclose(model.gains_[0], first, rtol=1e-12)
    # the statistics are plain numpy values (they can be saved)
    assert all(type(a) is np.ndarray for a in model.gram_inputs_) and model.gram_cross_ is None
    assert type(model.sum_squares_) is float and type(model.has_targets_) is bool


@pytest.mark.parametrize("make", _estimators())
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


def test_partial_fit_checks_later_batches(rng: np.random.Generator) -> None:
    model = DenseAutoencoder(2).partial_fit(rng.standard_normal((5, 4)), rng.standard_normal((5, 3)))
    with pytest.raises(ValueError, match="2 features, expected 3"):
        model.partial_fit(rng.standard_normal((5, 4)), rng.standard_normal((5, 2)))
    bad = rng.standard_normal((5, 4))
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.partial_fit(bad, rng.standard_normal((5, 3)))
    assert model.n_samples_seen_ == 5
    other = EquivariantAutoencoder(image_shift(2, 2), "best", rank=1).partial_fit(np.ones((3, 4)))
    other.group = image_shift(2, 2, axis="y")
    with pytest.raises(ValueError, match="group differs"):
        other.partial_fit(np.ones((3, 4)))


def test_dask_array_fit_equals_in_memory_fit(rng: np.random.Generator) -> None:
    da = pytest.importorskip("dask.array")
    import dask

    X = rng.standard_normal((203, 12))
    Y = rng.standard_normal((203, 12))
    dX = da.from_array(X, chunks=(37, 12))
    for make in _estimators():
        for target in (None, Y):
            params = make.get_params()
            expected = type(make)(**params).fit(X, target)
            with dask.config.set(scheduler="threads"):
                got = type(make)(**params).fit(dX, target)
            _assert_same_fit(got, expected, X)
    # dask targets with other row chunks are aligned; partial_fit mixes numpy and dask batches
    model = DenseAutoencoder(2).fit(dX, da.from_array(Y, chunks=(50, 12)))
    _assert_same_fit(model, DenseAutoencoder(2).fit(X, Y), X)
    mixed = DenseAutoencoder(2).partial_fit(X[:100]).partial_fit(dX[100:])
    _assert_same_fit(mixed, DenseAutoencoder(2).fit(X), X)


def test_dask_array_bad_input(rng: np.random.Generator) -> None:
    da = pytest.importorskip("dask.array")
    X = rng.standard_normal((40, 6))
    with pytest.raises(ValueError, match=r"chunked along features .*rechunk\(\{1: -1\}\)"):
        DenseAutoencoder(1).fit(da.from_array(X, chunks=(10, 3)))
    bad = X.copy()
    bad[33, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        DenseAutoencoder(1).fit(da.from_array(bad, chunks=(10, 6)))
    with pytest.raises(ValueError, match="7 features, expected 6"):
        InvariantAutoencoder(Permutation.identity(6), 1).fit(da.from_array(np.ones((4, 7)), chunks=(2, 7)))
    with pytest.raises(TypeError, match="Y is a dask array but X is not"):
        DenseAutoencoder(1).fit(X, da.from_array(X, chunks=(10, 6)))
    with pytest.raises(ValueError, match="real numeric"):
        DenseAutoencoder(1).fit(da.from_array(X.astype(complex), chunks=(10, 6)))


def test_is_dask_array_needs_no_dask() -> None:
    from equilin.models.closed_form import is_dask_array

    class Array:  # a look-alike from another module is not a dask array
        pass

    assert not is_dask_array(Array()) and not is_dask_array(np.zeros(3))


def test_fit_on_a_local_cluster_with_two_workers(rng: np.random.Generator) -> None:
    pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    import dask.array as da

    X = rng.standard_normal((300, 16))
    dX = da.from_array(X, chunks=(40, 16))
    sigma = image_shift(4, 4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        got = EquivariantAutoencoder(sigma, "best", rank=6).fit(dX)
        dense = DenseAutoencoder(3).fit(dX, dX[:, ::-1])
    _assert_same_fit(got, EquivariantAutoencoder(sigma, "best", rank=6).fit(X), X)
    _assert_same_fit(dense, DenseAutoencoder(3).fit(X, X[:, ::-1]), X)


@pytest.mark.parametrize(("sigma", "r", "split"), [(image_shift(64, 64), 120, 7), (image_shift(32 * 32, 32), 64, 0)],
                         ids=["64x64-image", "32^3-volume-shift-x"])
def test_large_n_fit_without_n_by_n(sigma: Permutation, r: int, split: int, rng: np.random.Generator) -> None:
    """n = 4,096 (64 x 64 images) and n = 32,768 (32^3 volumes, shifted along x: the row-major volume
    is a 1024 x 32 image): the statistics are the blocks' Gram matrices, ``sum_b w_b d_b^2`` numbers
    (at most n times the largest block), never an n x n array (134 MB and 8.6 GB in float64)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    n = sigma.n
    X = rng.standard_normal((12, n))
    # one BLAS thread: 17 eigen-decompositions of 1024 x 1024 take 10x longer when a multi-threaded
    # BLAS competes with other jobs for the cores
    with threadpoolctl.threadpool_limits(1):
        tracemalloc.start()
        model = EquivariantAutoencoder(sigma, "best", rank=r, batch_size=5)
        model.fit(X) if not split else model.partial_fit(X[:split]).partial_fit(X[split:])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    blocks = model.variety_.blocks
    stats = sum(a.nbytes for a in model.gram_inputs_)
    assert stats == sum(16 * b.size**2 if b.kind == "complex" else 8 * b.size**2 for b in blocks)
    assert stats <= 16 * n * max(b.size for b in blocks)
    assert peak < 2.5 * stats + 2 * X.nbytes + 2**22 < n * n * 8 // 4
    assert sum(w * k for w, k in zip((b.weight for b in blocks), model.ranks_.values())) == r
    np.testing.assert_allclose(model.loss(X), model.train_loss_, rtol=1e-9)


def test_saved_model_can_be_refined_with_more_batches(rng: np.random.Generator, tmp_path) -> None:
    persistence = pytest.importorskip("equilin.persistence")
    X, Y = rng.standard_normal((90, 12)), rng.standard_normal((90, 12))
    for make in _estimators():
        for target in (None, Y):
            params = make.get_params()
            path = tmp_path / "model.npz"
            persistence.save(type(make)(**params).partial_fit(X[:50], None if target is None else target[:50]),
                             path)
            again = persistence.load(path).partial_fit(X[50:], None if target is None else target[50:])
            _assert_same_fit(again, type(make)(**params).fit(X, target), X)


# -- any permutation group (the generic isotypic path) --------------------------------------------
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
        regression = EquivariantAutoencoder(group, "best", rank=r).fit(X, Y)
        assert E.is_equivariant(regression.function_matrix(), 1e-9)


def test_general_group_closed_form_is_the_nearest_point_for_whitened_data() -> None:
    """With X = I (rows e_1..e_n) and targets Y = U^T, the regression optimum is the nearest point of
    E^G_r to U (the loss is ||M - U||_F^2): closed form and geometry agree, quaternionic block included."""
    from equilin.equivariance import EquivariantVariety

    group = small_general_groups()[0]
    U = np.random.default_rng(5).standard_normal((8, 8))
    for r in range(1, 9):
        model = EquivariantAutoencoder(group, "best", rank=r).fit(np.eye(8), U.T)
        nearest = EquivariantVariety(group, r).nearest(U)
        assert np.linalg.norm(model.function_matrix() - U) == pytest.approx(np.linalg.norm(nearest - U), abs=1e-9)
