"""equilin.models.closed_form.statistics: Gram statistics accumulated chunk by chunk, batch by batch
(partial_fit) and as Dask reductions give the fit on all the data; their memory stays below n x n."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from closed_form_helpers import assert_same_fit, four_estimators
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import Permutation
from equilin.groups import image_shift
from equilin.models.closed_form import DenseAutoencoder, DenseRegressor, EquivariantAutoencoder, InvariantAutoencoder


def test_dense_chunking_does_not_change_the_result(rng: np.random.Generator) -> None:
    X, Y = rng.standard_normal((101, 6)), rng.standard_normal((101, 4))
    a = DenseRegressor(2, batch_size=1000).fit(X, Y)
    b = DenseRegressor(2, batch_size=7).fit(X, Y)
    np.testing.assert_allclose(a.function_matrix(), b.function_matrix(), atol=1e-10)


@settings(max_examples=20)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.integers(0, 3), st.booleans(),
       st.integers(0, 2**32))
def test_partial_fit_equals_fit_on_the_concatenation(sizes: list[int], which: int, regression: bool,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((sum(sizes), 12)) * rng.uniform(0.1, 3.0, 12)
    Y = rng.standard_normal((sum(sizes), 12)) if regression else None
    full = four_estimators(regression)[which].fit(X, Y)
    online = four_estimators(regression)[which]
    bounds = np.cumsum([0] + sizes)
    for a, b in itertools.pairwise(bounds):
        assert online.partial_fit(X[a:b], None if Y is None else Y[a:b]) is online
    assert_same_fit(online, full, X)
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


def test_partial_fit_checks_later_batches(rng: np.random.Generator) -> None:
    model = DenseRegressor(2).partial_fit(rng.standard_normal((5, 4)), rng.standard_normal((5, 3)))
    with pytest.raises(ValueError, match="y has 2 features, but DenseRegressor is expecting 3"):
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
    for make in [*four_estimators(), *four_estimators(regression=True)]:
        target = Y if "Regressor" in type(make).__name__ else None
        params = make.get_params()
        expected = type(make)(**params).fit(X, target)
        with dask.config.set(scheduler="threads"):
            got = type(make)(**params).fit(dX, target)
        assert_same_fit(got, expected, X)
    # dask targets with other row chunks are aligned; partial_fit mixes numpy and dask batches
    model = DenseRegressor(2).fit(dX, da.from_array(Y, chunks=(50, 12)))
    assert_same_fit(model, DenseRegressor(2).fit(X, Y), X)
    mixed = DenseAutoencoder(2).partial_fit(X[:100]).partial_fit(dX[100:])
    assert_same_fit(mixed, DenseAutoencoder(2).fit(X), X)


def test_dask_array_bad_input(rng: np.random.Generator) -> None:
    da = pytest.importorskip("dask.array")
    X = rng.standard_normal((40, 6))
    with pytest.raises(ValueError, match=r"chunked along features .*rechunk\(\{1: -1\}\)"):
        DenseAutoencoder(1).fit(da.from_array(X, chunks=(10, 3)))
    bad = X.copy()
    bad[33, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        DenseAutoencoder(1).fit(da.from_array(bad, chunks=(10, 6)))
    with pytest.raises(ValueError, match="X has 7 features, but InvariantAutoencoder is expecting 6"):
        InvariantAutoencoder(Permutation.identity(6), 1).fit(da.from_array(np.ones((4, 7)), chunks=(2, 7)))
    with pytest.raises(TypeError, match="Y is a dask array but X is not"):
        DenseRegressor(1).fit(X, da.from_array(X, chunks=(10, 6)))
    with pytest.raises(ValueError, match="Complex data not supported: X is a dask.Array of dtype complex128"):
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
    assert_same_fit(got, EquivariantAutoencoder(sigma, "best", rank=6).fit(X), X)
    assert_same_fit(dense, DenseAutoencoder(3).fit(X, X[:, ::-1]), X)


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
