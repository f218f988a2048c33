"""Closed-form training: the exact global optimum of every linear (auto)encoder (``MATH.md`` section 5).

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

Reduced-rank regression. For inputs ``X`` (``N x d``), targets ``Y`` (``N x q``) and rank ``k``:
``B_ols = (X^H X)^+ X^H Y``; ``H = B_ols^H (X^H X) B_ols`` (the Gram matrix of the fitted values); with
``V_k`` its top-``k`` eigenvectors, the optimum is ``B = B_ols V_k V_k^H`` and the loss drops by the sum of
the top-``k`` eigenvalues of ``H``. Samples are rows throughout, so a complex block uses ``X^H X`` (rows):
the conjugation trap of ``MATH.md`` section 5 is avoided by construction and checked by the tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.equivariant import EquivariantVariety, best_ranks
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import check_int
from equilin.invariant import InvariantVariety

__all__ = ["DenseAutoencoder", "InvariantAutoencoder", "EquivariantAutoencoder", "FUNCTION_MATRIX_LIMIT"]

FUNCTION_MATRIX_LIMIT = 4096 * 4096
"""Largest ``m * n`` for which :meth:`function_matrix` builds a dense matrix."""


# -- validation --------------------------------------------------------------------------------
def _check_data(X: Any, name: str, n: int | None = None) -> NDArray[Any]:
    arr = np.asarray(X)
    if arr.dtype == object or arr.dtype == bool or not (
            np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {arr.shape}; "
                         "reshape a single sample with x.reshape(1, -1)")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {arr.shape})")
    if n is not None and arr.shape[1] != n:
        raise ValueError(f"{name} has {arr.shape[1]} features, expected {n}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_targets(X: NDArray[Any], Y: Any, m: int | None = None) -> NDArray[Any] | None:
    if Y is None:
        return None
    arr = _check_data(Y, "Y", m)
    if arr.shape[0] != X.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {X.shape[0]} and {arr.shape[0]}")
    return arr


def _chunks(N: int, size: int) -> Iterator[slice]:
    for start in range(0, N, size):
        yield slice(start, min(start + size, N))


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
            values, vectors = np.linalg.eigh(XtX)
            self.B_ols = None
        else:
            B_ols = np.linalg.pinv(XtX, hermitian=True) @ XtY
            H = B_ols.conj().T @ XtX @ B_ols
            values, vectors = np.linalg.eigh((H + H.conj().T) / 2)
            self.B_ols = B_ols
        order = np.argsort(values)[::-1]
        self.eigenvalues = np.clip(values[order].real, 0.0, None)
        self.vectors = vectors[:, order]
        self.gains = np.concatenate([[0.0], np.cumsum(self.eigenvalues)])

    def factors(self, k: int) -> tuple[NDArray[Any], NDArray[Any]]:
        V = self.vectors[:, :k]
        if self.autoencoder:
            return V, V.conj().T
        assert self.B_ols is not None
        return self.B_ols @ V, V.conj().T


class _ClosedFormBase:
    """scikit-learn style plumbing shared by the estimators (``get_params``, ``loss``, ``score``)."""

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

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((100, 6))
    >>> model = DenseAutoencoder(rank=2).fit(X)
    >>> model.components_.shape, model.n_params_
    ((2, 6), 24)
    """

    _param_names = ("rank", "batch_size")

    def __init__(self, rank: int, batch_size: int = 8192) -> None:
        self.rank = rank
        self.batch_size = batch_size

    def fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> DenseAutoencoder:
        """Fit on row samples ``X`` (targets ``Y``; ``None`` = autoencoder)."""
        rank = check_int(self.rank, "rank", 0)
        check_int(self.batch_size, "batch_size", 1)
        arr = _check_data(X, "X")
        target = _check_targets(arr, Y)
        n = arr.shape[1]
        m = n if target is None else target.shape[1]
        XtX = np.zeros((n, n))
        XtY = None if target is None else np.zeros((n, m))
        YtY = 0.0
        for s in _chunks(len(arr), self.batch_size):
            x = arr[s].astype(np.float64)
            XtX += x.T @ x
            if target is None:
                YtY += float(np.sum(x * x))
            else:
                y = target[s].astype(np.float64)
                XtY += x.T @ y
                YtY += float(np.sum(y * y))
        solution = _BlockSolution(XtX, XtY, YtY)
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
        self._set_train_loss(YtY, float(solution.gains[k]), arr.shape[0])
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

    def fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> InvariantAutoencoder:
        """Fit on row samples ``X`` with targets ``Y`` (``None``: reconstruct ``X``)."""
        G = as_group(self.group)
        rank = check_int(self.rank, "rank", 0)
        check_int(self.batch_size, "batch_size", 1)
        arr = _check_data(X, "X", G.n)
        target = _check_targets(arr, Y, None if self.m is None else check_int(self.m, "m", 1))
        m = G.n if target is None else target.shape[1]
        if target is None and self.m not in (None, G.n):
            raise ValueError(f"m={self.m} needs targets Y with {self.m} columns; without Y the model "
                             f"reconstructs X (m = n = {G.n})")
        variety = InvariantVariety(G, m, rank)
        k = variety.k
        ZtZ, ZtY, YtY = np.zeros((k, k)), np.zeros((k, m)), 0.0
        for s in _chunks(len(arr), self.batch_size):
            x = arr[s].astype(np.float64)
            z = variety.orbit_sums(x)
            y = x if target is None else target[s].astype(np.float64)
            ZtZ += z.T @ z
            ZtY += z.T @ y
            YtY += float(np.sum(y * y))
        solution = _BlockSolution(ZtZ, ZtY, YtY)
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
        self._set_train_loss(YtY, float(solution.gains[kept]), arr.shape[0])
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
    sigma : Permutation or PermutationGroup
        The generator of the cyclic group.
    ranks : tuple of int, mapping, or "best"
        The component: ranks in block order (or ``{label: rank}``), or ``"best"`` to choose, from the
        training data, the ranks that minimize the training loss under the weighted budget ``r``.
    r : int, optional
        Rank budget for ``ranks="best"`` (for explicit ranks it defaults to their weighted sum).
    batch_size : int

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

    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    >>> X = np.random.default_rng(0).standard_normal((200, 9))
    >>> model = EquivariantAutoencoder(sigma, ranks="best", r=3).fit(X)
    >>> model.ranks_
    {'r_{1,1}': 1, 'r_{4,3}': 1, 'r_{2,1}': 0}
    >>> bool(model.train_loss_ < np.mean(X ** 2)), model.n_params_
    (True, 14)
    """

    _param_names = ("sigma", "ranks", "r", "batch_size")

    def __init__(self, sigma: Permutation | PermutationGroup,
                 ranks: Sequence[int] | Mapping[Any, int] | str = "best", r: int | None = None,
                 batch_size: int = 8192) -> None:
        self.sigma = sigma
        self.ranks = ranks
        self.r = r
        self.batch_size = batch_size

    def _variety(self) -> EquivariantVariety:
        if isinstance(self.ranks, str):
            if self.ranks != "best":
                raise ValueError(f"ranks must be a rank tuple, a mapping or 'best', got {self.ranks!r}")
            if self.r is None:
                raise ValueError("ranks='best' needs the rank budget r")
            return EquivariantVariety(self.sigma, check_int(self.r, "r", 0))
        # explicit ranks: the budget is their weighted sum unless r is given
        fitted = EquivariantVariety.for_ranks(self.sigma, self.ranks)
        if self.r is None:
            return fitted
        r = check_int(self.r, "r", 0)
        if fitted.r > r:
            raise ValueError(f"the ranks use a weighted rank of {fitted.r}, more than r={r}")
        return EquivariantVariety(self.sigma, r)

    def fit(self, X: ArrayLike, Y: ArrayLike | None = None) -> EquivariantAutoencoder:
        """Fit on row samples ``X`` (targets ``Y`` in ``R^n`` too; ``None`` = autoencoder)."""
        variety = self._variety()
        check_int(self.batch_size, "batch_size", 1)
        arr = _check_data(X, "X", variety.n)
        target = _check_targets(arr, Y, variety.n)
        blocks = variety.blocks
        XtX = [np.zeros((b.size, b.size), dtype=np.complex128 if b.kind == "complex" else np.float64)
               for b in blocks]
        XtY = None if target is None else [np.zeros_like(a) for a in XtX]
        YtY = 0.0
        for s in _chunks(len(arr), self.batch_size):
            xb = variety.to_blocks(arr[s].astype(np.float64))
            yb = None if target is None else variety.to_blocks(target[s].astype(np.float64))
            for i, x in enumerate(xb):
                XtX[i] += x.conj().T @ x
                if yb is not None and XtY is not None:
                    XtY[i] += x.conj().T @ yb[i]
            y_all = arr[s] if target is None else target[s]
            YtY += float(np.sum(np.asarray(y_all, dtype=np.float64) ** 2))
        solutions = [_BlockSolution(XtX[i], None if XtY is None else XtY[i], 0.0) for i in range(len(blocks))]
        gains = [sol.gains for sol in solutions]
        if isinstance(self.ranks, str):
            chosen = tuple(best_ranks(blocks, gains, variety.r))
        else:
            chosen = variety.parse_ranks(self.ranks)
        component = variety.component(chosen)
        self.variety_ = variety
        self.component_ = component
        self.ranks_ = {b.label: k for b, k in zip(blocks, chosen)}
        self.gains_ = gains
        self.block_encoders_, self.block_decoders_ = [], []
        for sol, k in zip(solutions, chosen):
            enc, dec = sol.factors(k)
            self.block_encoders_.append(enc)
            self.block_decoders_.append(dec)
        self.n_features_in_ = self.n_outputs_ = variety.n
        self.n_params_ = component.n_params
        self._set_train_loss(YtY, float(sum(g[k] for g, k in zip(gains, chosen))), arr.shape[0])
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Real codes (``N x max_rank``): per block the codes ``coords_b @ enc_b``, complex codes
        written as interleaved ``(Re, Im)`` pairs."""
        self._check_fitted()
        xb = self.variety_.to_blocks(_check_data(X, "X", self.n_features_in_).astype(np.float64))
        codes = []
        for b, x, enc in zip(self.variety_.blocks, xb, self.block_encoders_):
            c = x @ enc
            if b.kind == "complex":
                c = np.stack([c.real, c.imag], axis=-1).reshape(c.shape[0], -1)
            codes.append(c)
        return np.concatenate(codes, axis=1)

    def inverse_transform(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Outputs from real codes as returned by :meth:`transform`."""
        self._check_fitted()
        width = self.component_.max_rank
        codes = _check_data(Z, "Z", width).astype(np.float64)
        out, start = [], 0
        for b, dec in zip(self.variety_.blocks, self.block_decoders_):
            k = dec.shape[0]
            if b.kind == "complex":
                part = codes[:, start:start + 2 * k]
                c = part[:, 0::2] + 1j * part[:, 1::2]
                start += 2 * k
            else:
                c = codes[:, start:start + k]
                start += k
            out.append(c @ dec)
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
