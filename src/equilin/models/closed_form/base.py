"""The estimator base of the closed forms: scikit-learn style parameters, input checks, ``predict``,
``loss``, ``score``, and ``fit = reset + accumulate + finalize``.

The squared-error loss ``||X M^T - Y||_F^2`` (samples are ROWS of ``X`` and ``Y``, the scikit-learn
convention; ``M`` is the ``m x n`` function matrix) is minimized over the function space of the
network. Every estimator keeps its float64 Gram statistics as fitted attributes (``gram_inputs_``,
``gram_cross_``, ``sum_squares_``, ``n_samples_seen_``, ``has_targets_``); ``partial_fit(X, Y)`` adds one
batch to them and recomputes the solution, so ``partial_fit`` over any split of the data equals ``fit``
on all of it up to rounding. ``X`` and ``Y`` may be numpy arrays or ``dask.array`` arrays chunked along
samples (:mod:`equilin.models.closed_form.statistics`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.io import PersistentEstimator
from equilin.models.closed_form.statistics import _chunks, _collect, _Stats, is_dask_array
from equilin.validation import check_finite, check_real_dtype

__all__ = ["FUNCTION_MATRIX_LIMIT"]

FUNCTION_MATRIX_LIMIT = 4096 * 4096
"""Largest ``m * n`` for which :meth:`function_matrix` builds a dense matrix."""


# -- input checks ----------------------------------------------------------------------------------
def _check_shape(shape: tuple[int, ...], name: str, n: int | None) -> None:
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {shape}; "
                         "reshape a single sample with x.reshape(1, -1)")
    if shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {shape})")
    if n is not None and shape[1] != n:
        raise ValueError(f"{name} has {shape[1]} features, expected {n}")


def _check_data(X: Any, name: str, n: int | None = None, finite: bool = True) -> NDArray[Any]:
    """``X`` as an array of real row samples (``n`` features when given)."""
    arr = np.asarray(X)
    check_real_dtype(arr.dtype, name)
    _check_shape(arr.shape, name, n)
    if finite:
        check_finite(arr, name)
    return arr


def _check_targets(X: NDArray[Any], Y: Any, m: int | None = None) -> NDArray[Any]:
    """Targets ``Y`` with as many rows as ``X`` (``m`` columns when given)."""
    arr = _check_data(Y, "Y", m)
    if arr.shape[0] != X.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {X.shape[0]} and {arr.shape[0]}")
    return arr


def _check_dask(X: Any, name: str, n: int | None) -> Any:
    """A dask array of row samples: whole rows per chunk, known chunk sizes (entries are checked per chunk)."""
    check_real_dtype(X.dtype, name)
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        raise ValueError(f"{name} is a dask array chunked along features ({len(X.chunks[1])} chunks of "
                         f"columns); the Gram statistics need whole rows: pass {name}.rechunk({{1: -1}})")
    if X.ndim == 2 and any(math.isnan(c) for c in X.chunks[0]):  # unknown chunk sizes
        raise ValueError(f"{name} is a dask array with unknown chunk sizes; call "
                         f"{name}.compute_chunk_sizes() first")
    _check_shape(tuple(int(v) for v in X.shape), name, n)
    return X


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


def _check_padding(rank: int, rows: int, cols: int) -> None:
    """Refuse a bottleneck whose zero-padded factors (``rank x cols`` and ``rows x rank``) would be huge:
    ranks above ``min(rows, cols)`` add only zeros. Called before any statistics are updated."""
    kept = min(rows, cols)
    if rank > kept and rank * (rows + cols) > FUNCTION_MATRIX_LIMIT:
        raise ValueError(f"rank={rank} is too large: the encoder and decoder would hold rank * {rows + cols} = "
                         f"{rank * (rows + cols):,} entries (at most {FUNCTION_MATRIX_LIMIT:,}), and ranks above "
                         f"{kept} add only zeros; use rank <= {kept}")


# -- the base class ----------------------------------------------------------------------------------
class _ClosedFormBase(PersistentEstimator):
    """scikit-learn style plumbing shared by the estimators (``get_params``, ``loss``, ``score``;
    ``save(path)`` / ``load(path)`` from :class:`equilin.io.PersistentEstimator`).

    Subclasses list their constructor parameters in ``_param_names`` and implement
    :meth:`partial_fit` and :meth:`_predict_checked`.
    """

    _param_names: ClassVar[tuple[str, ...]] = ()

    # set by the constructor of every subclass
    batch_size: int
    # fitted attributes (absent before the first fit)
    n_features_in_: int
    n_outputs_: int
    train_loss_: float
    n_params_: int
    gram_inputs_: Any      # one matrix (dense, invariant) or a list of them, one per block (equivariant)
    gram_cross_: Any       # the same, or None for an autoencoder
    sum_squares_: float
    n_samples_seen_: int
    has_targets_: bool

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, ``{name: value}`` (scikit-learn's protocol; ``deep`` is ignored)."""
        return {name: getattr(self, name) for name in self._param_names}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters by name (refusing unknown names); the fit is kept until the next one."""
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

    def _predict_checked(self, X: NDArray[Any]) -> NDArray[np.float64]:  # pragma: no cover - abstract
        """The outputs ``X M^T`` of checked row samples (``N x m``)."""
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
        return total / (len(arr) * self.n_outputs_)

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
    _single_block: ClassVar[bool] = True  # one Gram matrix (dense, invariant) or a list, one per block

    def fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> Self:
        """Fit on row samples ``X`` (targets ``Y``; ``None`` = autoencoder): forget the statistics of
        earlier calls, then :meth:`partial_fit`. ``X`` (and ``Y``) may be ``dask.array`` arrays chunked
        along samples."""
        for name in self._STATISTICS:
            if hasattr(self, name):
                delattr(self, name)
        return self.partial_fit(X, Y)

    def partial_fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> Self:  # pragma: no cover - abstract
        """Add the statistics of one batch and recompute the solution."""
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
            inputs = [self.gram_inputs_] if self._single_block else list(self.gram_inputs_)
            cross = None if self.gram_cross_ is None else (
                [self.gram_cross_] if self._single_block else list(self.gram_cross_))
            stats = _collect(stats, inputs, cross, self.sum_squares_, self.n_samples_seen_)
        if self._single_block:
            self.gram_inputs_ = stats.inputs[0]
            self.gram_cross_ = None if stats.cross is None else stats.cross[0]
        else:
            self.gram_inputs_ = list(stats.inputs)
            self.gram_cross_ = None if stats.cross is None else list(stats.cross)
        self.sum_squares_ = float(stats.sum_squares)
        self.n_samples_seen_ = int(stats.samples)
        self.has_targets_ = bool(has_targets)
        return stats
