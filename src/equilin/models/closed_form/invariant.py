"""The invariant closed form: encoder ``B = W E_P`` shared along the orbits of the group, dense decoder;
the exact optimum over ``I^G_{r, m x n}`` by reduced-rank regression on the orbit-summed inputs
``X E_P^T`` (``docs/math.md`` sections 3 and 5): :class:`InvariantRegressor` on targets,
:class:`InvariantAutoencoder` on ``Y = X``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.models.closed_form.base import (
    _AutoencoderRole,
    _check_batch,
    _check_padding,
    _LinearDecoderModel,
    _RegressorRole,
)
from equilin.models.closed_form.statistics import _accumulate, _BlockSolution, _InvariantKernel
from equilin.validation import check_int

__all__ = ["InvariantAutoencoder", "InvariantRegressor"]


class _InvariantModel(_LinearDecoderModel):
    """The invariant solver; :class:`InvariantAutoencoder` and :class:`InvariantRegressor` choose the
    targets."""

    variety_: InvariantVariety
    weights_: NDArray[np.float64]
    ranks_: int
    _dropped_params = ("m",)  # files of equilin 0.1: the output dimension, now that of the targets

    def __init__(self, group: PermutationGroup | Permutation, rank: int, batch_size: int = 8192) -> None:
        self.group = group
        self.rank = rank
        self.batch_size = batch_size

    def _partial_fit(self, X: Any, Y: Any) -> None:
        G = as_group(self.group)
        rank = check_int(self.rank, "rank", 0)
        batch_size = self._batch_size()
        started = self._started
        if started and G.n != self.n_features_in_:
            raise ValueError(f"the group acts on n = {G.n} points but the model was fitted so far on "
                             f"{self.n_features_in_} features; call fit() to start over")
        data, targets = _check_batch(X, Y, G.n, self.n_outputs_ if started and Y is not None else None,
                                     type(self).__name__, f" (the group acts on {G.n} points)")
        m = G.n if targets is None else int(targets.shape[1])
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
        self._set_train_loss(stats, float(solution.gains[kept]))

    def _transform_checked(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        codes: NDArray[np.float64] = self.variety_.orbit_sums(X) @ self.weights_.T
        return codes


_PARAMETERS = """
    Parameters
    ----------
    group : PermutationGroup or Permutation
        The group (a permutation stands for the cyclic group it generates); it fixes ``n``.
    rank : int
        Bottleneck ``r``.
    batch_size : int
        Rows per chunk when accumulating the Gram matrices of the orbit sums (a ``scipy.sparse`` ``X``:
        the orbit sums by a sparse product; ``transform`` and ``predict`` densify ``batch_size`` rows at
        a time).
"""


class InvariantAutoencoder(_AutoencoderRole, _InvariantModel):
    __doc__ = """Invariant linear autoencoder: encoder ``B = W E_P`` shared along the orbits of
    ``group``, dense decoder; the exact optimum over ``I^G_{r, n x n}`` of ``||X - X M^T||``, a
    scikit-learn transformer (``fit(X, y=None)`` ignores ``y``; regression: :class:`InvariantRegressor`).
""" + _PARAMETERS + """
    Attributes
    ----------
    weights_ : ndarray (r, k)
        The free encoder weights ``W`` (one column per orbit); :meth:`transform` gives ``X E_P^T W^T``.
    decoder_ : ndarray (n, r)
    variety_ : InvariantVariety
        The function space ``I^G_{r, n x n}`` the model was fitted in.
    ranks_, train_loss_, n_params_ (``r k + n r``), n_features_in_, feature_names_in_, n_outputs_.
    gram_inputs_, gram_cross_, sum_squares_, n_samples_seen_, scale_exponent_, has_targets_
        Accumulated statistics of the orbit sums ``Z = X E_P^T``: ``Z^T Z`` (``k x k``), ``Z^T X``,
        ``tr(X^T X)`` (``4^-scale_exponent_`` times the true sums), the number of samples,
        ``has_targets_ = False``.

    Notes
    -----
    An invariant map cannot reproduce its input unless every orbit is a single point: the autoencoder
    reconstructs the orbit means' best rank-``r`` image.

    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    >>> X = np.random.default_rng(0).standard_normal((50, 5))
    >>> model = InvariantAutoencoder(sigma, rank=1).fit(X)
    >>> model.transform(X).shape, model.n_params_
    ((50, 1), 7)
    """


class InvariantRegressor(_RegressorRole, _InvariantModel):
    __doc__ = """Invariant reduced-rank regression: ``M = N E_P`` invariant under ``group`` (encoder
    ``W E_P`` shared along the orbits, dense decoder), the exact optimum of ``||X M^T - Y||`` over
    ``I^G_{r, m x n}``; a scikit-learn regressor (``score`` is ``R^2``; ``y`` may be 1-D).
""" + _PARAMETERS + """
    Attributes
    ----------
    weights_ : ndarray (r, k)
        The free encoder weights ``W`` (one column per orbit).
    decoder_ : ndarray (m, r)
    variety_ : InvariantVariety
        The function space ``I^G_{r, m x n}`` the model was fitted in.
    ranks_, train_loss_, n_params_ (``r k + m r``), n_features_in_, feature_names_in_, n_outputs_.
    gram_inputs_, gram_cross_, sum_squares_, n_samples_seen_, scale_exponent_, has_targets_
        ``Z^T Z``, ``Z^T Y``, ``tr(Y^T Y)`` of the orbit sums ``Z = X E_P^T`` (``4^-scale_exponent_``
        times the true sums), the number of samples, ``has_targets_ = True``.
    y_ndim_ : int
        1 when fitted on a 1-D ``y``.

    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((50, 5)), rng.standard_normal((50, 2))
    >>> model = InvariantRegressor(sigma, rank=1).fit(X, Y)
    >>> model.weights_.shape, model.n_params_, model.predict(X).shape
    ((1, 2), 4, (50, 2))
    """


InvariantAutoencoder._regression_class = InvariantRegressor  # files of equilin 0.1 fitted with targets
