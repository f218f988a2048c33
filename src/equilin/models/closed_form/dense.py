"""The dense closed form ``R^n -> R^r -> R^m`` without bias: PCA / Eckart-Young for ``Y = X``
(:class:`DenseAutoencoder`; no centering: the network has no bias), reduced-rank regression otherwise
(:class:`DenseRegressor`) (``docs/math.md`` section 5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.models.closed_form.base import (
    _AutoencoderRole,
    _check_batch,
    _check_padding,
    _LinearDecoderModel,
    _RegressorRole,
)
from equilin.models.closed_form.statistics import _accumulate, _BlockSolution, _DenseKernel, _unscale
from equilin.validation import check_int

__all__ = ["DenseAutoencoder", "DenseRegressor"]


class _DenseModel(_LinearDecoderModel):
    """The dense solver; :class:`DenseAutoencoder` and :class:`DenseRegressor` choose the targets."""

    components_: NDArray[np.float64]
    singular_values_: NDArray[np.float64]
    ranks_: int

    def __init__(self, rank: int, batch_size: int = 8192) -> None:
        self.rank = rank
        self.batch_size = batch_size

    def _partial_fit(self, X: Any, Y: Any) -> None:
        rank = check_int(self.rank, "rank", 0)
        batch_size = self._batch_size()
        started = self._started
        data, targets = _check_batch(X, Y, self.n_features_in_ if started else None,
                                     self.n_outputs_ if started and Y is not None else None, type(self).__name__)
        n = int(data.shape[1])
        m = n if targets is None else int(targets.shape[1])
        _check_padding(rank, m, n)
        stats = self._merge(_accumulate(_DenseKernel(), data, targets, batch_size), targets is not None)
        solution = _BlockSolution(stats.inputs[0], None if stats.cross is None else stats.cross[0])
        k = min(rank, n, m)
        E, D = solution.factors(k)
        self.n_features_in_, self.n_outputs_ = n, m
        self.components_ = np.zeros((rank, n))
        self.components_[:k] = E.T
        self.decoder_ = np.zeros((m, rank))
        self.decoder_[:, :k] = D.T
        self.singular_values_ = np.sqrt(_unscale(solution.eigenvalues[:rank], stats.exponent))
        self.ranks_ = k
        self.n_params_ = rank * n + m * rank
        self._set_train_loss(stats, float(solution.gains[k]))

    def _transform_checked(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        codes: NDArray[np.float64] = X @ self.components_.T
        return codes


class DenseAutoencoder(_AutoencoderRole, _DenseModel):
    """Dense linear autoencoder ``R^n -> R^r -> R^n`` without bias: the rank-``r`` PCA / Eckart-Young
    optimum of ``||X - X M^T||`` (no centering), a scikit-learn transformer.

    ``fit(X, y=None)`` ignores ``y`` (as a transformer does, so that a classifier may follow in a
    pipeline); for reduced-rank regression on targets use :class:`DenseRegressor`. ``X`` may be a numpy
    array, a DataFrame, a ``scipy.sparse`` matrix or array (``X^T X`` by sparse products; ``transform``
    and ``predict`` densify ``batch_size`` rows at a time) or a ``dask.array`` chunked along samples.

    Parameters
    ----------
    rank : int
        Bottleneck ``r`` (codes beyond ``min(r, n)`` are zero).
    batch_size : int
        Rows per chunk when accumulating Gram matrices (memory does not grow with ``N``).

    Attributes
    ----------
    components_ : ndarray (r, n)
        Encoder ``B``: the top right-singular vectors of ``X`` (as ``TruncatedSVD.components_``).
    decoder_ : ndarray (n, r)
        Decoder ``A = B^T``; ``M = A B``.
    singular_values_ : ndarray (r,)
        The top singular values of ``X``.
    ranks_ : int
        The rank used, ``min(rank, n)``.
    train_loss_ : float
        Mean squared error per entry on the training data (``inf`` when beyond the float range).
    n_params_ : int
        ``r n + n r``.
    n_features_in_, feature_names_in_, n_outputs_
        The number of input features (their names when fitted on a DataFrame); ``n_outputs_ = n``.
    gram_inputs_, gram_cross_, sum_squares_, n_samples_seen_, scale_exponent_, has_targets_
        The accumulated statistics ``X^T X`` and ``tr(X^T X)`` (both ``4^-scale_exponent_`` times the
        true sums: rows of extreme magnitude are scaled by a power of two), ``gram_cross_ = None``, the
        number of samples, ``has_targets_ = False``.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((100, 6))
    >>> model = DenseAutoencoder(rank=2).fit(X)
    >>> model.transform(X).shape, model.n_params_, list(model.get_feature_names_out())
    ((100, 2), 24, ['denseautoencoder0', 'denseautoencoder1'])

    Batch by batch (the float64 Gram statistics are kept; the same optimum up to rounding):

    >>> online = DenseAutoencoder(rank=2)
    >>> for batch in np.array_split(X, 3):
    ...     online = online.partial_fit(batch)
    >>> online.n_samples_seen_, bool(np.allclose(online.predict(X), model.predict(X)))
    (100, True)
    """


class DenseRegressor(_RegressorRole, _DenseModel):
    """Reduced-rank regression ``R^n -> R^r -> R^m`` without bias: the best ``M`` of rank at most ``r``
    for ``||X M^T - Y||``, a scikit-learn regressor (``score`` is ``R^2``).

    ``y`` may be 1-D (one output; ``predict`` then returns 1-D) or ``N x m``; ``X`` as for
    :class:`DenseAutoencoder` (numpy, DataFrame, ``scipy.sparse``, ``dask.array``).

    Parameters
    ----------
    rank : int
        Bottleneck ``r``.
    batch_size : int
        Rows per chunk when accumulating Gram matrices (memory does not grow with ``N``).

    Attributes
    ----------
    components_ : ndarray (r, n)
        Encoder ``B``; :meth:`transform` gives the codes ``X B^T``.
    decoder_ : ndarray (m, r)
        Decoder ``A``; ``M = A B``.
    singular_values_ : ndarray (r,)
        Square roots of the top eigenvalues of the Gram matrix of the least-squares fitted values.
    ranks_ : int
        The rank used, ``min(rank, n, m)``.
    train_loss_, n_params_ (``r n + m r``), n_features_in_, feature_names_in_, n_outputs_
        As for :class:`DenseAutoencoder`.
    gram_inputs_, gram_cross_, sum_squares_, n_samples_seen_, scale_exponent_, has_targets_
        ``X^T X``, ``X^T Y``, ``tr(Y^T Y)`` (``4^-scale_exponent_`` times the true sums), the number of
        samples, ``has_targets_ = True``.
    y_ndim_ : int
        1 when fitted on a 1-D ``y``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> Y = X @ rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))   # a rank-2 map
    >>> model = DenseRegressor(rank=2).fit(X, Y)
    >>> round(model.score(X, Y), 9), model.predict(X).shape
    (1.0, (200, 4))
    """


DenseAutoencoder._regression_class = DenseRegressor   # files of equilin 0.1 fitted with targets load as this
