"""The equivariant closed form: one component of ``E^G_r``, block diagonal in the adapted basis ``Q``
(``Q_sigma`` for a cyclic group): :class:`EquivariantAutoencoder` on ``Y = X``,
:class:`EquivariantRegressor` on targets in ``R^n``.

In that basis the loss splits into one reduced-rank problem per block (complex least squares
on complex blocks, ``docs/math.md`` section 5), and ``ranks="best"`` chooses the component from the data
by an exact knapsack over the blocks' gains. The statistics are the blocks' Gram matrices,
``sum_b w_b d_b^2 <= n max_b d_b`` numbers, never ``n x n`` (32 x 32 x 32 volumes under a shift need
1024 x 1024 blocks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance import EquivariantComponent, EquivariantVariety, best_ranks, first_rows, with_twins
from equilin.geometry import QUATERNIONIC, REAL
from equilin.groups import Permutation, PermutationGroup
from equilin.models.closed_form.base import (
    _as_rows,
    _AutoencoderRole,
    _check_batch,
    _ClosedFormBase,
    _RegressorRole,
)
from equilin.models.closed_form.statistics import _accumulate, _BlockSolution, _EquivariantKernel, _unscale
from equilin.validation import check_int

__all__ = ["EquivariantAutoencoder", "EquivariantRegressor"]


class _EquivariantModel(_ClosedFormBase):
    """The equivariant solver; :class:`EquivariantAutoencoder` and :class:`EquivariantRegressor` choose
    the targets."""

    _renamed_params = {"sigma": "group", "r": "rank"}  # parameter names of files written before 0.2
    variety_: EquivariantVariety
    component_: EquivariantComponent
    ranks_: dict[str, int]
    gains_: list[NDArray[np.float64]]
    block_encoders_: list[NDArray[Any]]
    block_decoders_: list[NDArray[Any]]

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

    def _partial_fit(self, X: Any, Y: Any) -> None:
        """(``ranks="best"`` is chosen again from all batches.)"""
        variety = self._variety()
        batch_size = self._batch_size()
        if self._started and variety.group != self.variety_.group:
            raise ValueError("group differs from the one of the earlier batches; call fit() to start over")
        data, targets = _check_batch(X, Y, variety.n, variety.n, type(self).__name__,
                                     f" (the group acts on {variety.n} points)")
        stats = self._merge(_accumulate(_EquivariantKernel(variety), data, targets, batch_size),
                            targets is not None)
        blocks = variety.blocks
        solutions = [_BlockSolution(stats.inputs[i], None if stats.cross is None else stats.cross[i])
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
        self.gains_ = [_unscale(g, stats.exponent) for g in gains]
        self.block_encoders_, self.block_decoders_ = [], []
        for sol, k, b in zip(solutions, chosen, blocks):
            enc, dec = sol.factors(k * b.rank_step)
            self.block_encoders_.append(enc)
            self.block_decoders_.append(dec)
        self.n_features_in_ = self.n_outputs_ = variety.n
        self.n_params_ = component.n_params
        self._set_train_loss(stats, float(sum(g[k] for g, k in zip(gains, chosen))))

    @property
    def _code_width(self) -> int:
        return int(self.component_.max_rank)

    def _transform_checked(self, arr: NDArray[np.float64]) -> NDArray[np.float64]:
        """Real codes (``N x max_rank``): per block the codes ``coords_b @ enc_b``, complex codes
        written as interleaved ``(Re, Im)`` pairs."""
        xb = self.variety_.to_blocks(arr)
        codes = []
        for b, x, enc in zip(self.variety_.blocks, xb, self.block_encoders_):
            c = first_rows(x, b) @ enc  # a quaternionic block's twin rows are determined by the first
            if b.field is not REAL:
                c = np.stack([c.real, c.imag], axis=-1).reshape(c.shape[0], -1)
            codes.append(c.reshape(arr.shape[0], -1))  # a sample's rows side by side
        out: NDArray[np.float64] = np.concatenate(codes, axis=1)
        return out

    def inverse_transform(self, X: Any) -> NDArray[np.float64]:
        """Outputs from real codes ``X`` as returned by :meth:`transform`."""
        self._check_fitted()
        codes = _as_rows(X, "Z", self._code_width, type(self).__name__, " codes")
        return self._map_rows(codes, self._decode)

    def _decode(self, codes: NDArray[np.float64]) -> NDArray[np.float64]:
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
        decoded: NDArray[np.float64] = self.variety_.from_blocks(out)
        return decoded

    def _predict_checked(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        xb = self.variety_.to_blocks(X.astype(np.float64))
        return self.variety_.from_blocks([x @ e @ d for x, e, d in
                                          zip(xb, self.block_encoders_, self.block_decoders_)])



_PARAMETERS_AND_ATTRIBUTES = """    Parameters
    ----------
    group : Permutation or PermutationGroup
        The group: a permutation ``sigma`` (the cyclic group it generates) or any permutation group.
    ranks : tuple of int, mapping, or "best"
        The component: ranks in block order (or ``{label: rank}``), or ``"best"`` to choose, from the
        training data, the ranks that minimize the training loss under the weighted budget ``rank``.
    rank : int, optional
        Rank budget for ``ranks="best"`` (for explicit ranks it defaults to their weighted sum).
    batch_size : int
        Rows per chunk when accumulating the blocks' Gram matrices. A ``scipy.sparse`` ``X`` is densified
        chunk by chunk (``batch_size`` rows at a time: memory stays bounded), as in ``transform`` and
        ``predict``.
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        The backend of :class:`~equilin.equivariance.EquivariantVariety` (``"auto"``: decided by
        :func:`~equilin.equivariance.choose_method`); backends that apply to the same group give the same
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
    train_loss_, n_params_ (``sum 2 dim_R(D) d r`` over the blocks), n_features_in_, feature_names_in_,
    n_outputs_.
    gram_inputs_, gram_cross_ : list of ndarray
        Per block the accumulated ``C_b^H C_b`` and ``C_b^H T_b`` (``d_b x d_b``, complex on complex
        blocks; ``gram_cross_`` is ``None`` for an autoencoder) of the block coordinates ``C_b`` of
        ``X`` and ``T_b`` of ``Y``: ``sum_b w_b d_b^2 <= n max_b d_b`` numbers, never ``n x n``.
    sum_squares_, n_samples_seen_, scale_exponent_, has_targets_
        ``tr(Y^T Y)``, the number of samples, the scale (the Gram statistics are ``4^-scale_exponent_``
        times the true sums: rows of extreme magnitude are scaled by a power of two), whether targets were
        given.

"""
"""The shared part of the two estimators' docstrings (one model, two roles)."""


class EquivariantAutoencoder(_AutoencoderRole, _EquivariantModel):
    __doc__ = """Equivariant linear autoencoder for one component of ``E^G_r``: block-diagonal encoder
    and decoder in the adapted basis ``Q`` (``Q_sigma`` for a cyclic group; one matrix over the block's
    field R, C or H per block), fitted exactly block by block to ``||X - X M^T||``; a scikit-learn
    transformer (``fit(X, y=None)`` ignores ``y``; regression: :class:`EquivariantRegressor`).

""" + _PARAMETERS_AND_ATTRIBUTES + """    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    >>> X = np.random.default_rng(0).standard_normal((200, 9))
    >>> model = EquivariantAutoencoder(sigma, ranks="best", rank=3).fit(X)
    >>> model.ranks_
    {'r_{1,1}': 1, 'r_{4,3}': 1, 'r_{2,1}': 0}
    >>> bool(model.train_loss_ < np.mean(X ** 2)), model.n_params_, model.transform(X).shape
    (True, 14, (200, 3))
    """


class EquivariantRegressor(_RegressorRole, _EquivariantModel):
    __doc__ = """Equivariant reduced-rank regression ``R^n -> R^n``: the best ``M`` commuting with the
    group in one component of ``E^G_r`` (block by block in the adapted basis ``Q``) for ``||X M^T - Y||``,
    ``Y`` of shape ``(N, n)``; a scikit-learn regressor (``score`` is ``R^2``).

""" + _PARAMETERS_AND_ATTRIBUTES + """    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((200, 9)), rng.standard_normal((200, 9))
    >>> model = EquivariantRegressor(sigma, ranks="best", rank=3).fit(X, Y)
    >>> sum(model.ranks_.values()) <= 3, model.predict(X).shape
    (True, (200, 9))
    """

    _one_output_ok = False   # the targets live in R^n, as the inputs


EquivariantAutoencoder._regression_class = EquivariantRegressor  # files of equilin 0.1 fitted with targets
