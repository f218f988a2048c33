"""The invariant closed form: encoder ``B = W E_P`` shared along the orbits of the group, dense decoder;
the exact optimum over ``I^G_{r, m x n}`` by reduced-rank regression on the orbit-summed inputs
``X E_P^T`` (``docs/math.md`` sections 3 and 5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.models.closed_form.base import _check_batch, _check_data, _check_padding, _ClosedFormBase
from equilin.models.closed_form.statistics import _accumulate, _BlockSolution, _InvariantKernel
from equilin.validation import check_int

__all__ = ["InvariantAutoencoder"]


class InvariantAutoencoder(_ClosedFormBase):
    """Invariant linear (auto)encoder: encoder ``B = W E_P`` shared along the orbits of ``group``,
    dense decoder; the exact optimum over ``I^G_{r, m x n}``.

    Parameters
    ----------
    group : PermutationGroup or Permutation
        The group (a permutation stands for the cyclic group it generates).
    rank : int
        Bottleneck ``r``.
    m : int, optional
        Output dimension, checked against the targets ``Y`` (default: ``Y``'s columns, or ``n``).
    batch_size : int
        Rows per chunk when accumulating the Gram matrices of the orbit sums.

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
    variety_: InvariantVariety
    weights_: NDArray[np.float64]
    decoder_: NDArray[np.float64]
    ranks_: int

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
        data, targets = _check_batch(X, Y, G.n, self.n_outputs_ if started and Y is not None else m_param)
        m = G.n if targets is None else int(targets.shape[1])
        if targets is None and self.m not in (None, G.n):
            raise ValueError(f"m={self.m} needs targets Y with {self.m} columns; without Y the model "
                             f"reconstructs X (m = n = {G.n})")
        variety = InvariantVariety(G, m, rank)
        _check_padding(rank, m, variety.k)
        stats = self._merge(_accumulate(_InvariantKernel(variety), data, targets, batch_size),
                            targets is not None)
        k = variety.k
        assert stats.cross is not None
        solution = _BlockSolution(stats.inputs[0], stats.cross[0])
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
        self._set_train_loss(stats.sum_squares, float(solution.gains[kept]), stats.samples)
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Codes ``X E_P^T W^T`` (``N x r``)."""
        self._check_fitted()
        x = _check_data(X, "X", self.n_features_in_).astype(np.float64)
        return self.variety_.orbit_sums(x) @ self.weights_.T

    def inverse_transform(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Decoded outputs ``Z A^T`` (``N x m``)."""
        self._check_fitted()
        return _check_data(Z, "Z", self.rank) @ self.decoder_.T

    def _predict_checked(self, X: NDArray[Any]) -> NDArray[np.float64]:
        return self.transform(X) @ self.decoder_.T

