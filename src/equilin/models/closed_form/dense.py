"""The dense closed form: ``R^n -> R^r -> R^m`` without bias, PCA / Eckart-Young for ``Y = X`` (no
centering: the network has no bias), reduced-rank regression otherwise (``docs/math.md`` section 5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.models.closed_form.base import _check_batch, _check_data, _check_padding, _ClosedFormBase
from equilin.models.closed_form.statistics import _accumulate, _BlockSolution, _DenseKernel
from equilin.validation import check_int

__all__ = ["DenseAutoencoder"]


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
    components_: NDArray[np.float64]
    decoder_: NDArray[np.float64]
    singular_values_: NDArray[np.float64]
    ranks_: int

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
        data, targets = _check_batch(X, Y, self.n_features_in_ if started else None,
                                     self.n_outputs_ if started and Y is not None else None)
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
        self.singular_values_ = np.sqrt(solution.eigenvalues[:rank])
        self.ranks_ = k
        self.n_params_ = rank * n + m * rank
        self._set_train_loss(stats.sum_squares, float(solution.gains[k]), stats.samples)
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

