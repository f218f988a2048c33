"""Closed-form training: the exact global optimum of every linear (auto)encoder (``docs/math.md`` section 5).

The squared-error loss ``||X M^T - Y||_F^2`` (samples are ROWS of ``X`` and ``Y``, the scikit-learn
convention; ``M`` is the ``m x n`` function matrix) is minimized over the function space of the
network:

* :class:`DenseAutoencoder`: ``rank M <= r`` -- reduced-rank regression; for ``Y = X`` the Eckart-Young /
  PCA solution (no centering: the network has no bias).
* :class:`InvariantAutoencoder`: ``M = N E_P`` is invariant under ``G`` -- reduced-rank regression on the
  orbit-summed inputs ``X E_P^T``.
* :class:`EquivariantAutoencoder`: ``M`` commutes with ``P_sigma``; in the basis ``Q_sigma`` the loss splits
  into one reduced-rank problem per block (complex least squares on complex blocks), and ``ranks="best"``
  chooses the component from the data by an exact knapsack over the blocks' gains.

Only Gram matrices (per block) are accumulated, chunk by chunk, so memory does not grow with the number
of samples. All computations are in float64.

Scale. ``fit`` is ``reset + accumulate + finalize``: every estimator keeps its float64 Gram statistics as
fitted attributes (``gram_inputs_``, ``gram_cross_``, ``sum_squares_``, ``n_samples_seen_``), and
``partial_fit(X, Y)`` adds one batch to them and recomputes the solution (re-choosing ``ranks="best"``), so
``partial_fit`` over any split of the data equals ``fit`` on all of it up to rounding. Memory is that of
the statistics: ``n^2`` for the dense model, ``k (k + m)`` for the invariant one and ``sum_b w_b d_b^2 <=
n max_b d_b`` for the equivariant one (never ``n x n``: 32 x 32 x 32 volumes under a shift need 1024 x
1024 blocks). ``fit`` / ``partial_fit`` also accept a ``dask.array`` chunked along samples only: the
per-chunk statistics are computed where the chunks live and summed by a tree reduction, so only the
small Gram matrices travel, on whatever scheduler is active (threads, a ``distributed.Client``, any Dask
cluster). Dask is optional (``pip install equilin[scale]``) and never imported unless a dask array is
passed.

Reduced-rank regression. For inputs ``X`` (``N x d``), targets ``Y`` (``N x q``) and rank ``k``:
``B_ols = (X^H X)^+ X^H Y``; ``H = B_ols^H (X^H X) B_ols`` (the Gram matrix of the fitted values); with
``V_k`` its top-``k`` eigenvectors, the optimum is ``B = B_ols V_k V_k^H`` and the loss drops by the sum of
the top-``k`` eigenvalues of ``H``. Samples are rows throughout, so a complex block uses ``X^H X`` (rows):
the conjugation trap of ``docs/math.md`` section 5 is avoided by construction and checked by the tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Self

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from equilin.equivariance import EquivariantVariety, best_ranks
from equilin.equivariance import first_rows, with_twins
from equilin.geometry import QUATERNIONIC, REAL
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.geometry import InvariantVariety
from equilin.io import PersistentEstimator
from equilin.validation import check_int

__all__ = ["DenseAutoencoder", "InvariantAutoencoder", "EquivariantAutoencoder", "FUNCTION_MATRIX_LIMIT",
           "is_dask_array"]

FUNCTION_MATRIX_LIMIT = 4096 * 4096
"""Largest ``m * n`` for which :meth:`function_matrix` builds a dense matrix."""


# -- validation --------------------------------------------------------------------------------
def is_dask_array(X: Any) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (decided from its type, without importing dask).

    Examples
    --------
    >>> is_dask_array(np.zeros((2, 3)))
    False
    """
    return any(cls.__name__ == "Array" and cls.__module__.split(".")[0] == "dask" for cls in type(X).__mro__)


def _check_dtype(dtype: np.dtype[Any], name: str) -> None:
    if dtype == object or dtype == bool or not (
            np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        raise ValueError(f"{name} must be a real numeric array, got dtype {dtype}")


def _check_shape(shape: tuple[Any, ...], name: str, n: int | None) -> None:
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {shape}; "
                         "reshape a single sample with x.reshape(1, -1)")
    if shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {shape})")
    if n is not None and shape[1] != n:
        raise ValueError(f"{name} has {shape[1]} features, expected {n}")


def _check_finite_chunk(arr: NDArray[Any], name: str) -> None:
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")


def _check_data(X: Any, name: str, n: int | None = None, finite: bool = True) -> NDArray[Any]:
    arr = np.asarray(X)
    _check_dtype(arr.dtype, name)
    _check_shape(arr.shape, name, n)
    if finite:
        _check_finite_chunk(arr, name)
    return arr


def _check_targets(X: NDArray[Any], Y: Any, m: int | None = None) -> NDArray[Any] | None:
    if Y is None:
        return None
    arr = _check_data(Y, "Y", m)
    if arr.shape[0] != X.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {X.shape[0]} and {arr.shape[0]}")
    return arr


def _check_dask(X: Any, name: str, n: int | None) -> Any:
    _check_dtype(np.dtype(X.dtype), name)
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        raise ValueError(f"{name} is a dask array chunked along features ({len(X.chunks[1])} chunks of "
                         f"columns); the Gram statistics need whole rows: pass {name}.rechunk({{1: -1}})")
    if X.ndim == 2 and any(math.isnan(c) for c in X.chunks[0]):  # unknown chunk sizes
        raise ValueError(f"{name} is a dask array with unknown chunk sizes; call "
                         f"{name}.compute_chunk_sizes() first")
    _check_shape(tuple(int(v) for v in X.shape), name, n)
    return X


def _check_padding(rank: int, rows: int, cols: int) -> None:
    """Refuse a bottleneck whose zero-padded factors (``rank x cols`` and ``rows x rank``) would be huge:
    ranks above ``min(rows, cols)`` add only zeros. Called before any statistics are updated."""
    kept = min(rows, cols)
    if rank > kept and rank * (rows + cols) > FUNCTION_MATRIX_LIMIT:
        raise ValueError(f"rank={rank} is too large: the encoder and decoder would hold rank * {rows + cols} = "
                         f"{rank * (rows + cols):,} entries (at most {FUNCTION_MATRIX_LIMIT:,}), and ranks above "
                         f"{kept} add only zeros; use rank <= {kept}")


def _chunks(N: int, size: int) -> Iterator[slice]:
    for start in range(0, N, size):
        yield slice(start, min(start + size, N))


def _group_of(variety: EquivariantVariety) -> PermutationGroup:
    group = getattr(variety, "group", None)
    return group if isinstance(group, PermutationGroup) else as_group(variety.sigma)


# -- accumulation of Gram statistics (in memory or as a Dask reduction) ------------------------
class _Stats(NamedTuple):
    """Sums over samples: input Gram matrices, input-target products (``None`` for an autoencoder
    whose statistics need no cross term), ``tr(Y^T Y)`` and the number of samples."""

    inputs: list[NDArray[Any]]
    cross: list[NDArray[Any]] | None
    sum_squares: float
    count: int


def _add(a: _Stats, b: _Stats) -> _Stats:
    cross = None if a.cross is None or b.cross is None else [u + v for u, v in zip(a.cross, b.cross)]
    return _Stats([u + v for u, v in zip(a.inputs, b.inputs)], cross, a.sum_squares + b.sum_squares,
                  a.count + b.count)


def _collect(into: _Stats | None, inputs: Iterable[NDArray[Any]], cross: Iterable[NDArray[Any]] | None,
             sum_squares: float, count: int) -> _Stats:
    """Batch statistics given lazily, block by block: new arrays, or added into ``into``'s arrays (which
    the caller owns), so only one block's temporary exists at a time."""
    if into is None:
        return _Stats(list(inputs), None if cross is None else list(cross), sum_squares, count)
    for total, part in zip(into.inputs, inputs):
        total += part
    if cross is not None and into.cross is not None:
        for total, part in zip(into.cross, cross):
            total += part
    return _Stats(into.inputs, into.cross, into.sum_squares + sum_squares, into.count + count)


class _Kernel:
    """Statistics of one batch of float64 rows; subclasses define :meth:`batch` (picklable, so Dask
    workers can run it)."""

    def batch(self, x: NDArray[np.float64], y: NDArray[np.float64] | None,
              into: _Stats | None) -> _Stats:  # pragma: no cover
        raise NotImplementedError

    def chunk(self, x: NDArray[Any], y: NDArray[Any] | None, batch_size: int) -> _Stats:
        """Statistics of a chunk, ``batch_size`` rows at a time (checks finiteness on the way)."""
        total: _Stats | None = None
        for s in _chunks(len(x), batch_size):
            xs = np.asarray(x[s], dtype=np.float64)
            _check_finite_chunk(xs, "X")
            ys = None
            if y is not None:
                ys = np.asarray(y[s], dtype=np.float64)
                _check_finite_chunk(ys, "Y")
            total = self.batch(xs, ys, total)
        assert total is not None
        return total


class _DenseKernel(_Kernel):
    def batch(self, x: NDArray[np.float64], y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:
        target = x if y is None else y
        return _collect(into, [x.T @ x], None if y is None else [x.T @ y], _sum_squares(target),
                        len(x))


class _InvariantKernel(_Kernel):
    def __init__(self, variety: InvariantVariety) -> None:
        self.variety = variety

    def batch(self, x: NDArray[np.float64], y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:
        z = self.variety.orbit_sums(x)
        target = x if y is None else y
        return _collect(into, [z.T @ z], [z.T @ target], _sum_squares(target), len(x))


class _EquivariantKernel(_Kernel):
    def __init__(self, variety: EquivariantVariety) -> None:
        self.variety = variety

    def batch(self, x: NDArray[np.float64], y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:
        target = x if y is None else y
        if y is None:
            return _collect(into, self.variety.block_grams(x), None, _sum_squares(target), len(x))
        xb = self.variety.to_blocks(x)
        yb = self.variety.to_blocks(y)
        return _collect(into, (c.conj().T @ c for c in xb), (c.conj().T @ t for c, t in zip(xb, yb)),
                        _sum_squares(target), len(x))


def _sum_squares(x: NDArray[np.float64]) -> float:
    flat = np.ascontiguousarray(x).reshape(-1)
    return float(flat @ flat)


def _tree_sum(parts: list[Any], add: Any) -> Any:
    while len(parts) > 1:
        pairs = [add(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def _accumulate_dask(kernel: _Kernel, X: Any, Y: Any, batch_size: int) -> _Stats:
    """Per-chunk statistics as delayed tasks, summed by a binary tree: the chunks never leave their
    workers, only the Gram matrices travel. Runs on the active scheduler (``dask.config``, or the
    default ``distributed.Client``)."""
    import dask
    import dask.array as da

    if Y is not None:
        if not is_dask_array(Y):
            Y = da.from_array(np.asarray(Y), chunks=(X.chunks[0], Y.shape[1]))
        elif Y.chunks[0] != X.chunks[0]:
            Y = Y.rechunk({0: X.chunks[0]})  # align the row chunks of the targets with those of X
    x_parts = X.to_delayed().ravel().tolist()
    y_parts = [None] * len(x_parts) if Y is None else Y.to_delayed().ravel().tolist()
    chunk = dask.delayed(kernel.chunk, pure=True)
    parts = [chunk(x, y, batch_size) for x, y in zip(x_parts, y_parts)]
    total = _tree_sum(parts, dask.delayed(_add, pure=True))
    (result,) = dask.compute(total)
    return result


def _accumulate(kernel: _Kernel, X: Any, Y: Any, batch_size: int) -> _Stats:
    if is_dask_array(X):
        return _accumulate_dask(kernel, X, Y, batch_size)
    return kernel.chunk(X, Y, batch_size)


def _check_batch(X: Any, Y: Any, n: int | None, m: int | None) -> tuple[Any, Any]:
    """Validated ``X`` and ``Y`` (numpy or dask; finiteness is checked chunk by chunk later)."""
    if is_dask_array(X):
        X = _check_dask(X, "X", n)
    else:
        if is_dask_array(Y):
            raise TypeError("Y is a dask array but X is not; pass X as a dask array too "
                            "(dask.array.from_array(X, chunks=(rows, -1)))")
        X = _check_data(X, "X", n, finite=False)
    if Y is None:
        return X, None
    Y = _check_dask(Y, "Y", m) if is_dask_array(Y) else _check_data(Y, "Y", m, finite=False)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {X.shape[0]} and {Y.shape[0]}")
    return X, Y


# -- reduced-rank regression from Gram statistics ----------------------------------------------
class _BlockSolution:
    """Reduced-rank regression in one block, from ``XtX = X^H X``, ``XtY = X^H Y``, ``tr(Y^H Y)``.

    ``gains[k]`` is the loss reduction of rank ``k``; :meth:`factors` returns the encoder ``E``
    (``d x k``) and decoder ``D`` (``k x q``) with fitted values ``X E D``.
    """

    def __init__(self, XtX: NDArray[Any], XtY: NDArray[Any] | None, YtY: float) -> None:
        self.autoencoder = XtY is None
        self.YtY = float(YtY)
        if self.autoencoder:
            self.B_ols = None
            self.H = XtX
        else:
            B_ols = np.linalg.pinv(XtX, hermitian=True) @ XtY
            H = B_ols.conj().T @ XtX @ B_ols
            self.B_ols = B_ols
            self.H = (H + H.conj().T) / 2
        # all eigenvalues now (the gains of every rank); eigenvectors only for the rank that is kept
        values = scipy.linalg.eigh(self.H, eigvals_only=True, check_finite=False)
        self.eigenvalues = np.clip(values[::-1].real, 0.0, None)
        self.gains = np.concatenate([[0.0], np.cumsum(self.eigenvalues)])

    def _top_vectors(self, k: int) -> NDArray[Any]:
        d = self.H.shape[0]
        if k == 0:
            return np.zeros((d, 0), dtype=self.H.dtype)
        _, vectors = scipy.linalg.eigh(self.H, subset_by_index=[d - k, d - 1], check_finite=False)
        return vectors[:, ::-1]

    def factors(self, k: int) -> tuple[NDArray[Any], NDArray[Any]]:
        V = self._top_vectors(k)
        if self.autoencoder:
            return V, V.conj().T
        assert self.B_ols is not None
        return self.B_ols @ V, V.conj().T


class _ClosedFormBase(PersistentEstimator):
    """scikit-learn style plumbing shared by the estimators (``get_params``, ``loss``, ``score``;
    ``save(path)`` / ``load(path)`` from :class:`equilin.persistence.PersistentEstimator`)."""

    _param_names: tuple[str, ...] = ()

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names}

    def set_params(self, **params: Any) -> _ClosedFormBase:
        for key, value in params.items():
            if key not in self._param_names:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; "
                                 f"valid parameters: {', '.join(self._param_names)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")

    # subclasses implement _predict_checked(X) -> N x m
    def _predict_checked(self, X: NDArray[Any]) -> NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """The network's output ``X M^T`` for row samples ``X``."""
        self._check_fitted()
        arr = _check_data(X, "X", self.n_features_in_)
        return np.concatenate([self._predict_checked(arr[s]) for s in _chunks(len(arr), self.batch_size)])

    def loss(self, X: ArrayLike, Y: ArrayLike | None = None) -> float:
        """Mean squared error per output entry, ``||X M^T - Y||^2 / (N m)`` (``Y = X`` by default)."""
        self._check_fitted()
        arr = _check_data(X, "X", self.n_features_in_)
        target = arr if Y is None else _check_targets(arr, Y, self.n_outputs_)
        total = 0.0
        for s in _chunks(len(arr), self.batch_size):
            total += float(np.sum((self._predict_checked(arr[s]) - target[s]) ** 2))
        return total / (arr.shape[0] * self.n_outputs_)

    def score(self, X: ArrayLike, Y: ArrayLike | None = None) -> float:
        """Negative :meth:`loss` (greater is better, as scikit-learn expects of ``score``)."""
        return -self.loss(X, Y)

    def function_matrix(self) -> NDArray[np.float64]:
        """The dense ``m x n`` function matrix ``M`` (refused above :data:`FUNCTION_MATRIX_LIMIT`)."""
        self._check_fitted()
        if self.n_outputs_ * self.n_features_in_ > FUNCTION_MATRIX_LIMIT:
            raise ValueError(f"the function matrix would be {self.n_outputs_} x {self.n_features_in_}; "
                             "use predict() / transform() instead")
        return self.predict(np.eye(self.n_features_in_)).T

    def _set_train_loss(self, YtY: float, gain: float, N: int) -> None:
        self.train_loss_ = max(YtY - gain, 0.0) / (N * self.n_outputs_)

    # -- fit = reset + accumulate + finalize ------------------------------------------------------
    _STATISTICS = ("gram_inputs_", "gram_cross_", "sum_squares_", "n_samples_seen_", "has_targets_")
    _single_block = True  # one Gram matrix (dense, invariant) or a list, one per block (equivariant)

    def fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> Self:
        """Fit on row samples ``X`` (targets ``Y``; ``None`` = autoencoder): forget the statistics of
        earlier calls, then :meth:`partial_fit`. ``X`` (and ``Y``) may be ``dask.array`` arrays chunked
        along samples."""
        for name in self._STATISTICS:
            if hasattr(self, name):
                delattr(self, name)
        return self.partial_fit(X, Y)

    def partial_fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> Self:  # pragma: no cover
        raise NotImplementedError

    @property
    def _started(self) -> bool:
        return hasattr(self, "n_samples_seen_")

    def _check_mode(self, Y: Any) -> None:
        """Refuse to mix autoencoder batches (``Y=None``) and regression batches in one model."""
        if not self._started or self.has_targets_ == (Y is not None):
            return
        if self.has_targets_:
            raise ValueError("this model was fitted so far as a regression (with targets Y); partial_fit "
                             "got Y=None (an autoencoder batch). Pass the targets, or call fit() to start over")
        raise ValueError("this model was fitted so far as an autoencoder (Y=None); partial_fit got targets Y. "
                         "Autoencoder and regression batches cannot be mixed: call fit(X, Y) to start over")

    def _merge(self, stats: _Stats, has_targets: bool) -> _Stats:
        """Add one batch's statistics to the fitted ones (kept as plain float64/complex128 arrays)."""
        if self._started:  # the batch's arrays are ours: add the earlier sums into them
            wrap = (lambda a: [a]) if self._single_block else list
            stats = _collect(stats, wrap(self.gram_inputs_),
                             None if self.gram_cross_ is None else wrap(self.gram_cross_),
                             self.sum_squares_, self.n_samples_seen_)
        unwrap = (lambda a: a[0]) if self._single_block else list
        self.gram_inputs_ = unwrap(stats.inputs)
        self.gram_cross_ = None if stats.cross is None else unwrap(stats.cross)
        self.sum_squares_ = float(stats.sum_squares)
        self.n_samples_seen_ = int(stats.count)
        self.has_targets_ = bool(has_targets)
        return stats


# -- dense ----------------------------------------------------------------------------------------
class DenseAutoencoder(_ClosedFormBase):
    """Dense linear (auto)encoder ``R^n -> R^r -> R^m``: PCA / Eckart-Young, or reduced-rank regression.

    Parameters
    ----------
    rank : int
        Bottleneck ``r``.
    batch_size : int
        Rows per chunk when accumulating Gram matrices (memory does not grow with ``N``).

    Attributes
    ----------
    components_ : ndarray (r, n)
        Encoder ``B`` (for ``Y = X``: the top right-singular vectors of ``X``, as ``PCA.components_``).
    decoder_ : ndarray (m, r)
        Decoder ``A``; ``M = A B``.
    singular_values_ : ndarray (r,)
        Square roots of the kept eigenvalues (for ``Y = X``: the singular values of ``X``).
    train_loss_ : float
        Mean squared error per entry on the training data.
    n_params_ : int
        ``r n + m r``.
    gram_inputs_, gram_cross_, sum_squares_, n_samples_seen_, has_targets_
        The accumulated statistics ``X^T X`` (``n x n``), ``X^T Y`` (``None`` for an autoencoder),
        ``tr(Y^T Y)``, the number of samples and whether targets were given (see :meth:`partial_fit`).

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((100, 6))
    >>> model = DenseAutoencoder(rank=2).fit(X)
    >>> model.components_.shape, model.n_params_
    ((2, 6), 24)

    Batch by batch (the float64 Gram statistics are kept; the same optimum up to rounding):

    >>> online = DenseAutoencoder(rank=2)
    >>> for batch in np.array_split(X, 3):
    ...     online = online.partial_fit(batch)
    >>> online.n_samples_seen_, bool(np.allclose(online.predict(X), model.predict(X)))
    (100, True)
    """

    _param_names = ("rank", "batch_size")

    def __init__(self, rank: int, batch_size: int = 8192) -> None:
        self.rank = rank
        self.batch_size = batch_size

    def partial_fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> DenseAutoencoder:
        """Add the Gram statistics of one batch (row samples ``X``, targets ``Y`` or ``None``) and
        recompute the solution from all batches seen since the last :meth:`fit`."""
        rank = check_int(self.rank, "rank", 0)
        batch_size = check_int(self.batch_size, "batch_size", 1)
        self._check_mode(Y)
        started = self._started
        X, Y = _check_batch(X, Y, self.n_features_in_ if started else None,
                            self.n_outputs_ if started and Y is not None else None)
        _check_padding(rank, int(X.shape[1]) if Y is None else int(Y.shape[1]), int(X.shape[1]))
        stats = self._merge(_accumulate(_DenseKernel(), X, Y, batch_size), Y is not None)
        n = int(X.shape[1])
        m = n if Y is None else int(Y.shape[1])
        solution = _BlockSolution(stats.inputs[0], None if stats.cross is None else stats.cross[0],
                                  stats.sum_squares)
        k = min(rank, n, m)
        E, D = solution.factors(k)
        self.n_features_in_, self.n_outputs_ = n, m
        self.components_ = np.zeros((rank, n))
        self.components_[:k] = E.T
        self.decoder_ = np.zeros((m, rank))
        self.decoder_[:, :k] = D.T
        self.singular_values_ = np.sqrt(solution.eigenvalues[:rank])
        self.ranks_ = k
        self.n_params_ = rank * n + m * rank
        self._set_train_loss(stats.sum_squares, float(solution.gains[k]), stats.count)
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Codes ``X B^T`` (``N x r``)."""
        self._check_fitted()
        return _check_data(X, "X", self.n_features_in_) @ self.components_.T

    def inverse_transform(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Decoded outputs ``Z A^T`` (``N x m``)."""
        self._check_fitted()
        return _check_data(Z, "Z", self.rank) @ self.decoder_.T

    def _predict_checked(self, X: NDArray[Any]) -> NDArray[np.float64]:
        return (X @ self.components_.T) @ self.decoder_.T


# -- invariant ------------------------------------------------------------------------------------
class InvariantAutoencoder(_ClosedFormBase):
    """Invariant linear (auto)encoder: encoder ``B = W E_P`` shared along the orbits of ``group``,
    dense decoder; the exact optimum over ``I^G_{r, m x n}``.

    Parameters
    ----------
    group : PermutationGroup or Permutation
    rank : int
        Bottleneck ``r``.
    m : int, optional
        Output dimension, checked against the targets ``Y`` (default: ``Y``'s columns, or ``n``).
    batch_size : int

    Attributes
    ----------
    weights_ : ndarray (r, k)
        The free encoder weights ``W`` (one column per orbit).
    decoder_ : ndarray (m, r)
    variety_ : InvariantVariety
        The function space ``I^G_{r, m x n}`` the model was fitted in.
    train_loss_, n_params_ (``r k + m r``), n_features_in_, n_outputs_.
    gram_inputs_, gram_cross_, sum_squares_, n_samples_seen_, has_targets_
        Accumulated statistics of the orbit sums ``Z = X E_P^T``: ``Z^T Z`` (``k x k``), ``Z^T Y``
        (``k x m``), ``tr(Y^T Y)``, the number of samples, whether targets were given.

    Notes
    -----
    An invariant map cannot reproduce its input unless every orbit is a single point, so as an
    autoencoder (``Y = X``) it reconstructs the orbit means' best rank-``r`` image; regression
    (``fit(X, Y)``) is the typical use.

    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((50, 5)), rng.standard_normal((50, 2))
    >>> model = InvariantAutoencoder(sigma, rank=1).fit(X, Y)
    >>> model.weights_.shape, model.n_params_
    ((1, 2), 4)
    """

    _param_names = ("group", "rank", "m", "batch_size")

    def __init__(self, group: PermutationGroup | Permutation, rank: int, m: int | None = None,
                 batch_size: int = 8192) -> None:
        self.group = group
        self.rank = rank
        self.m = m
        self.batch_size = batch_size

    def partial_fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> InvariantAutoencoder:
        """Add the statistics of one batch (row samples ``X``, targets ``Y`` or ``None``) and recompute
        the solution from all batches seen since the last :meth:`fit`."""
        G = as_group(self.group)
        rank = check_int(self.rank, "rank", 0)
        batch_size = check_int(self.batch_size, "batch_size", 1)
        m_param = None if self.m is None else check_int(self.m, "m", 1)
        self._check_mode(Y)
        started = self._started
        if started and G.n != self.n_features_in_:
            raise ValueError(f"the group acts on n = {G.n} points but the model was fitted so far on "
                             f"{self.n_features_in_} features; call fit() to start over")
        X, Y = _check_batch(X, Y, G.n, self.n_outputs_ if started and Y is not None else m_param)
        m = G.n if Y is None else int(Y.shape[1])
        if Y is None and self.m not in (None, G.n):
            raise ValueError(f"m={self.m} needs targets Y with {self.m} columns; without Y the model "
                             f"reconstructs X (m = n = {G.n})")
        variety = InvariantVariety(G, m, rank)
        _check_padding(rank, m, variety.k)
        stats = self._merge(_accumulate(_InvariantKernel(variety), X, Y, batch_size), Y is not None)
        k = variety.k
        assert stats.cross is not None
        solution = _BlockSolution(stats.inputs[0], stats.cross[0], stats.sum_squares)
        kept = min(rank, k, m)
        enc, dec = solution.factors(kept)
        self.variety_ = variety
        self.n_features_in_, self.n_outputs_ = G.n, m
        self.weights_ = np.zeros((rank, k))
        self.weights_[:kept] = enc.T
        self.decoder_ = np.zeros((m, rank))
        self.decoder_[:, :kept] = dec.T
        self.ranks_ = kept
        self.n_params_ = variety.n_params_shared
        self._set_train_loss(stats.sum_squares, float(solution.gains[kept]), stats.count)
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Codes ``X E_P^T W^T`` (``N x r``)."""
        self._check_fitted()
        x = _check_data(X, "X", self.n_features_in_).astype(np.float64)
        return self.variety_.orbit_sums(x) @ self.weights_.T

    def inverse_transform(self, Z: ArrayLike) -> NDArray[np.float64]:
        self._check_fitted()
        return _check_data(Z, "Z", self.rank) @ self.decoder_.T

    def _predict_checked(self, X: NDArray[Any]) -> NDArray[np.float64]:
        return self.transform(X) @ self.decoder_.T


# -- equivariant ----------------------------------------------------------------------------------
class EquivariantAutoencoder(_ClosedFormBase):
    """Equivariant linear (auto)encoder for one component of ``E^sigma_r``: block-diagonal encoder and
    decoder in the basis ``Q_sigma`` (complex on complex blocks), fitted exactly block by block.

    Parameters
    ----------
    group : Permutation or PermutationGroup
        The group: a permutation ``sigma`` (the cyclic group it generates) or any permutation group.
    ranks : tuple of int, mapping, or "best"
        The component: ranks in block order (or ``{label: rank}``), or ``"best"`` to choose, from the
        training data, the ranks that minimize the training loss under the weighted budget ``rank``.
    rank : int, optional
        Rank budget for ``ranks="best"`` (for explicit ranks it defaults to their weighted sum).
    batch_size : int
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        The backend of :class:`~equilin.equivariant.EquivariantVariety` (``"auto"``: decided by
        :func:`~equilin.equivariant.choose_method`); backends that apply to the same group give the same
        blocks and the same fit.

    Attributes
    ----------
    ranks_ : dict
        ``{block label: rank}``, in block order.
    component_ : EquivariantComponent
        The fitted component (for ``"best"``: the knapsack's choice, raised to a maximal tuple where
        extra rank gains nothing, e.g. on degenerate data).
    block_encoders_, block_decoders_ : list of ndarray
        Per block ``d_b x r_b`` and ``r_b x d_b`` (complex on complex blocks); a block's fitted values
        are ``coords_b @ enc_b @ dec_b``.
    gains_ : list of ndarray
        Per block, the training-loss reduction (sum of squares) of each rank ``0..d_b``.
    train_loss_, n_params_ (sum ``2 d r`` over real and ``4 d r`` over complex blocks),
    n_features_in_, n_outputs_.
    gram_inputs_, gram_cross_ : list of ndarray
        Per block the accumulated ``C_b^H C_b`` and ``C_b^H T_b`` (``d_b x d_b``, complex on complex
        blocks; ``gram_cross_`` is ``None`` for an autoencoder) of the block coordinates ``C_b`` of
        ``X`` and ``T_b`` of ``Y``: ``sum_b w_b d_b^2 <= n max_b d_b`` numbers, never ``n x n``.
    sum_squares_, n_samples_seen_, has_targets_
        ``tr(Y^T Y)``, the number of samples, whether targets were given.

    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    >>> X = np.random.default_rng(0).standard_normal((200, 9))
    >>> model = EquivariantAutoencoder(sigma, ranks="best", rank=3).fit(X)
    >>> model.ranks_
    {'r_{1,1}': 1, 'r_{4,3}': 1, 'r_{2,1}': 0}
    >>> bool(model.train_loss_ < np.mean(X ** 2)), model.n_params_
    (True, 14)
    """

    _param_names = ("group", "ranks", "rank", "batch_size", "method")
    _renamed_params = {"sigma": "group", "r": "rank"}  # parameter names of files written before 0.2

    def __init__(self, group: Permutation | PermutationGroup,
                 ranks: Sequence[int] | Mapping[Any, int] | str = "best", rank: int | None = None,
                 batch_size: int = 8192, method: str = "auto") -> None:
        self.group = group
        self.ranks = ranks
        self.rank = rank
        self.batch_size = batch_size
        self.method = method

    def _variety(self) -> EquivariantVariety:
        if isinstance(self.ranks, str):
            if self.ranks != "best":
                raise ValueError(f"ranks must be a rank tuple, a mapping or 'best', got {self.ranks!r}")
            if self.rank is None:
                raise ValueError("ranks='best' needs the rank budget rank")
            return EquivariantVariety(self.group, check_int(self.rank, "rank", 0), method=self.method)
        # explicit ranks: the budget is their weighted sum unless rank is given
        fitted = EquivariantVariety.for_ranks(self.group, self.ranks, method=self.method)
        if self.rank is None:
            return fitted
        rank = check_int(self.rank, "rank", 0)
        if fitted.rank > rank:
            raise ValueError(f"the ranks use a weighted rank of {fitted.rank}, more than rank={rank}")
        return EquivariantVariety(self.group, rank, method=self.method)

    _single_block = False

    def partial_fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> EquivariantAutoencoder:
        """Add the per-block statistics of one batch (row samples ``X``, targets ``Y`` in ``R^n`` or
        ``None``) and recompute the solution from all batches seen since the last :meth:`fit`
        (``ranks="best"`` is chosen again from all of them)."""
        variety = self._variety()
        batch_size = check_int(self.batch_size, "batch_size", 1)
        self._check_mode(Y)
        if self._started and _group_of(variety) != _group_of(self.variety_):
            raise ValueError("group differs from the one of the earlier batches; call fit() to start over")
        X, Y = _check_batch(X, Y, variety.n, variety.n)
        stats = self._merge(_accumulate(_EquivariantKernel(variety), X, Y, batch_size), Y is not None)
        blocks = variety.blocks
        solutions = [_BlockSolution(stats.inputs[i], None if stats.cross is None else stats.cross[i], 0.0)
                     for i in range(len(blocks))]
        # gains per unit of block rank (a quaternionic block's complex adjoint: pairs of eigenvalues)
        gains = [sol.gains[::b.rank_step] for sol, b in zip(solutions, blocks)]
        if isinstance(self.ranks, str):
            chosen = tuple(best_ranks(blocks, gains, variety.rank))
        else:
            chosen = variety.parse_ranks(self.ranks)
        component = variety.component(chosen)
        self.variety_ = variety
        self.component_ = component
        self.ranks_ = {b.label: k for b, k in zip(blocks, chosen)}
        self.gains_ = gains
        self.block_encoders_, self.block_decoders_ = [], []
        for sol, k, b in zip(solutions, chosen, blocks):
            enc, dec = sol.factors(k * b.rank_step)
            self.block_encoders_.append(enc)
            self.block_decoders_.append(dec)
        self.n_features_in_ = self.n_outputs_ = variety.n
        self.n_params_ = component.n_params
        self._set_train_loss(stats.sum_squares, float(sum(g[k] for g, k in zip(gains, chosen))), stats.count)
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Real codes (``N x max_rank``): per block the codes ``coords_b @ enc_b``, complex codes
        written as interleaved ``(Re, Im)`` pairs."""
        self._check_fitted()
        arr = _check_data(X, "X", self.n_features_in_).astype(np.float64)
        xb = self.variety_.to_blocks(arr)
        codes = []
        for b, x, enc in zip(self.variety_.blocks, xb, self.block_encoders_):
            c = first_rows(x, b) @ enc  # a quaternionic block's twin rows are determined by the first
            if b.field is not REAL:
                c = np.stack([c.real, c.imag], axis=-1).reshape(c.shape[0], -1)
            codes.append(c.reshape(arr.shape[0], -1))  # a sample's rows side by side
        return np.concatenate(codes, axis=1)

    def inverse_transform(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Outputs from real codes as returned by :meth:`transform`."""
        self._check_fitted()
        width = self.component_.max_rank
        codes = _check_data(Z, "Z", width).astype(np.float64)
        out, start = [], 0
        N = codes.shape[0]
        for b, dec in zip(self.variety_.blocks, self.block_decoders_):
            k = dec.shape[0]
            rows = b.copies // 2 if b.field is QUATERNIONIC else b.copies  # first rows only
            width = rows * k * (1 if b.field is REAL else 2)
            part = codes[:, start:start + width].reshape(N * rows, -1)
            start += width
            c = part if b.field is REAL else part[:, 0::2] + 1j * part[:, 1::2]
            y = c @ dec
            out.append(with_twins(y, b))
        return self.variety_.from_blocks(out)

    def _predict_checked(self, X: NDArray[Any]) -> NDArray[np.float64]:
        xb = self.variety_.to_blocks(X.astype(np.float64))
        return self.variety_.from_blocks([x @ e @ d for x, e, d in
                                          zip(xb, self.block_encoders_, self.block_decoders_)])

    def block_losses(self) -> dict[str, float]:
        """Training-loss reduction (sum of squares) achieved in each block."""
        self._check_fitted()
        return {b.label: float(g[k]) for b, g, k in
                zip(self.variety_.blocks, self.gains_, self.ranks_.values())}
