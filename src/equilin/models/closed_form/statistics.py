"""The statistics of the closed forms: Gram matrices accumulated chunk by chunk, and reduced-rank
regression from them.

Only Gram matrices (per block) are accumulated, ``batch_size`` rows at a time, so memory does not grow
with the number of samples; all computations are in float64. A *kernel* turns one batch of rows into
its statistics (:class:`_DenseKernel`: ``X^T X``; :class:`_InvariantKernel`: the Gram matrices of the
orbit sums ``X E_P^T``; :class:`_EquivariantKernel`: one Gram matrix per block of ``Q_sigma``).

Dask. :func:`_accumulate` also takes a ``dask.array`` chunked along samples only: the per-chunk
statistics are computed where the chunks live and summed by a tree reduction, so only the small Gram
matrices travel, on whatever scheduler is active (threads, a ``distributed.Client``, any Dask
cluster). Dask is optional (``pip install equilin[scale]``) and never imported unless a dask array is
passed.

Reduced-rank regression (:class:`_BlockSolution`). For inputs ``X`` (``N x d``), targets ``Y``
(``N x q``) and rank ``k``: ``B_ols = (X^H X)^+ X^H Y``; ``H = B_ols^H (X^H X) B_ols`` (the Gram matrix
of the fitted values); with ``V_k`` its top-``k`` eigenvectors, the optimum is ``B = B_ols V_k V_k^H``
and the loss drops by the sum of the top-``k`` eigenvalues of ``H``. Samples are rows throughout, so a
complex block uses ``X^H X`` (rows): the conjugation trap of ``docs/math.md`` section 5 is avoided by
construction and checked by the tests.

Scale. Rows whose largest entry lies outside ``[2^-256, 2^256]`` (data near ``1e200``, whose Gram matrix
would overflow, or near ``1e-200``) are multiplied by a power of two ``2^-e`` before their products are
taken; the statistics carry that exponent (:attr:`_Stats.exponent`: they are ``4^-e`` times the true
sums) and batches of different exponents are brought to the larger one. Multiplying by a power of two is
exact, so the encoders and decoders (which do not depend on a common scale of the statistics) are the
true ones, and gains and losses are scaled back exactly by :func:`_unscale` (``inf`` where the true value
exceeds the float range).

Sparse input. A ``scipy.sparse`` CSR matrix of rows is accepted: kernels that can (:class:`_DenseKernel`,
:class:`_InvariantKernel`) use sparse products, the others get each batch of ``batch_size`` rows
densified (memory stays bounded by the batch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numpy.typing import NDArray

from equilin.equivariance import EquivariantVariety
from equilin.geometry import InvariantVariety
from equilin.validation import check_finite

__all__ = ["is_dask_array"]


def is_dask_array(X: Any) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (decided from its type, without importing dask).

    Examples
    --------
    >>> is_dask_array(np.zeros((2, 3)))
    False
    """
    return any(cls.__name__ == "Array" and cls.__module__.split(".")[0] == "dask" for cls in type(X).__mro__)


def _chunks(N: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` of ``range(N)``."""
    for start in range(0, N, size):
        yield slice(start, min(start + size, N))


# -- accumulation of Gram statistics (in memory or as a Dask reduction) ------------------------
class _Stats(NamedTuple):
    """Sums over samples: input Gram matrices, input-target products (``None`` for an autoencoder
    whose statistics need no cross term), ``tr(Y^T Y)`` and the number of samples."""

    inputs: list[NDArray[Any]]
    cross: list[NDArray[Any]] | None
    sum_squares: float
    samples: int
    exponent: int = 0   # the sums are 4^-exponent times the true ones (rows scaled by 2^-exponent)


SAFE_EXPONENT = 256
"""Rows whose largest entry is within ``[2^-SAFE_EXPONENT, 2^SAFE_EXPONENT]`` are used as they are."""


def _row_exponent(x: Any) -> int:
    """0 when the largest entry of the rows ``x`` (dense or sparse, finite) is in the safe range, else the
    exponent ``e`` with ``max |x| / 2^e`` in ``[1/2, 1)``."""
    values = x.data if sp.issparse(x) else x
    if values.size == 0:
        return 0
    top = float(np.max(np.abs(values)))
    if top == 0.0 or 2.0 ** -SAFE_EXPONENT <= top <= 2.0 ** SAFE_EXPONENT:
        return 0
    return math.frexp(top)[1]


def _scaled(x: Any, exponent: int) -> Any:
    """``x * 2^-exponent`` (exact for normal numbers; dense or sparse)."""
    if exponent == 0:
        return x
    factor = math.ldexp(1.0, -exponent)
    return x * factor


def _to_exponent(stats: _Stats, exponent: int) -> _Stats:
    """The statistics at a larger (or equal) exponent, their arrays multiplied in place by ``4^-shift``."""
    shift = exponent - stats.exponent
    if shift == 0:
        return stats
    if shift < 0:  # pragma: no cover - callers only raise the exponent
        raise ValueError("statistics can only be brought to a larger exponent")
    factor = math.ldexp(1.0, -2 * shift)   # 0.0 when the earlier sums are negligible below the new scale
    for a in stats.inputs:
        a *= factor
    for a in stats.cross or []:
        a *= factor
    return stats._replace(sum_squares=stats.sum_squares * factor, exponent=exponent)


def _unscale(value: Any, exponent: int) -> Any:
    """A gain, loss or eigenvalue of statistics at ``exponent`` on the true scale (``inf`` on overflow)."""
    if exponent == 0:
        return value
    with np.errstate(over="ignore"):
        return np.ldexp(value, 2 * exponent)


def _add(a: _Stats, b: _Stats) -> _Stats:
    top = max(a.exponent, b.exponent)
    a, b = _to_exponent(a, top), _to_exponent(b, top)
    cross = None if a.cross is None or b.cross is None else [u + v for u, v in zip(a.cross, b.cross)]
    return _Stats([u + v for u, v in zip(a.inputs, b.inputs)], cross, a.sum_squares + b.sum_squares,
                  a.samples + b.samples, top)


def _collect(into: _Stats | None, inputs: Iterable[NDArray[Any]], cross: Iterable[NDArray[Any]] | None,
             sum_squares: float, samples: int) -> _Stats:
    """Batch statistics given lazily, block by block: new arrays, or added into ``into``'s arrays (which
    the caller owns), so only one block's temporary exists at a time."""
    if into is None:
        return _Stats(list(inputs), None if cross is None else list(cross), sum_squares, samples)
    # (the caller brings ``into`` and the batch to one exponent first)
    for total, part in zip(into.inputs, inputs):
        total += part
    if cross is not None and into.cross is not None:
        for total, part in zip(into.cross, cross):
            total += part
    return _Stats(into.inputs, into.cross, into.sum_squares + sum_squares, into.samples + samples,
                  into.exponent)


def _sum_squares(x: Any) -> float:
    if sp.issparse(x):
        return float(x.multiply(x).sum())
    flat = np.ascontiguousarray(x).reshape(-1)
    return float(flat @ flat)


def _dense(x: Any) -> NDArray[Any]:
    """A dense array of rows (a sparse batch densified)."""
    return np.asarray(x.toarray()) if sp.issparse(x) else np.asarray(x)


def _float_rows(x: Any, name: str) -> Any:
    """Rows as float64 (dense, or sparse CSR), checked finite."""
    if sp.issparse(x):
        x = x.astype(np.float64)
        check_finite(x.data, name)
        return x
    rows = np.asarray(x, dtype=np.float64)
    check_finite(rows, name)
    return rows


class _Kernel:
    """Statistics of one batch of float64 rows; subclasses define :meth:`batch` (picklable, so Dask
    workers can run it). ``sparse``: whether :meth:`batch` takes sparse rows (else they are densified
    batch by batch)."""

    sparse = False

    def batch(self, x: Any, y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:  # pragma: no cover
        raise NotImplementedError

    def chunk(self, x: Any, y: Any, batch_size: int) -> _Stats:
        """Statistics of a chunk, ``batch_size`` rows at a time (checks finiteness on the way; rows of
        extreme magnitude are scaled by a power of two, see the module's notes)."""
        total: _Stats | None = None
        for s in _chunks(x.shape[0], batch_size):
            xs = _float_rows(x[s], "X")
            if not self.sparse:
                xs = _dense(xs)
            ys = None if y is None else _float_rows(_dense(y[s]), "y")
            exponents = [_row_exponent(xs)] + ([] if ys is None else [_row_exponent(ys)])
            exponent = max(exponents + ([] if total is None else [total.exponent]))
            if total is not None:
                total = _to_exponent(total, exponent)
            xs, ys = _scaled(xs, exponent), None if ys is None else _scaled(ys, exponent)
            total = self.batch(xs, ys, total)._replace(exponent=exponent)
        assert total is not None
        return total


class _DenseKernel(_Kernel):
    """``X^T X`` and ``X^T Y`` (by sparse products for sparse rows)."""

    sparse = True

    def batch(self, x: Any, y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:
        target = x if y is None else y
        return _collect(into, [_dense(x.T @ x)], None if y is None else [_dense(x.T @ y)],
                        _sum_squares(target), x.shape[0])


class _InvariantKernel(_Kernel):
    """``Z^T Z`` and ``Z^T Y`` of the orbit sums ``Z = X E_P^T`` (``Y = X`` for an autoencoder), by
    sparse products for sparse rows (``E_P`` is sparse)."""

    sparse = True

    def __init__(self, variety: InvariantVariety) -> None:
        self.variety = variety
        n, k = variety.n, variety.k
        self.orbit_matrix = sp.csr_array((np.ones(n), (np.arange(n), variety.orbit_of)), shape=(n, k))

    def batch(self, x: Any, y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:
        z = _dense(x @ self.orbit_matrix)   # N x k: small
        target = x if y is None else y
        return _collect(into, [z.T @ z], [_dense(target.T @ z).T], _sum_squares(target), x.shape[0])


class _EquivariantKernel(_Kernel):
    """Per block of ``Q_sigma`` the Gram matrix ``C_b^H C_b`` of the block coordinates (and ``C_b^H T_b``
    with targets)."""

    def __init__(self, variety: EquivariantVariety) -> None:
        self.variety = variety

    def batch(self, x: Any, y: NDArray[np.float64] | None, into: _Stats | None) -> _Stats:
        target = x if y is None else y
        if y is None:
            return _collect(into, self.variety.block_grams(x), None, _sum_squares(target), len(x))
        xb = self.variety.to_blocks(x)
        yb = self.variety.to_blocks(y)
        return _collect(into, (c.conj().T @ c for c in xb), (c.conj().T @ t for c, t in zip(xb, yb)),
                        _sum_squares(target), len(x))


def _tree_sum(parts: list[Any], add: Callable[[Any, Any], Any]) -> Any:
    """``parts`` summed pairwise, level by level (a balanced tree of ``add`` calls)."""
    while len(parts) > 1:
        pairs = [add(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def _accumulate_dask(kernel: _Kernel, X: Any, Y: Any, batch_size: int) -> _Stats:
    """Per-chunk statistics as delayed tasks, summed by a binary tree: the chunks never leave their
    workers, only the Gram matrices travel. Runs on the active scheduler (``dask.config``, or the
    default ``distributed.Client``)."""
    import dask.array as da
    from dask.base import compute
    from dask.delayed import delayed

    if Y is not None:
        if not is_dask_array(Y):
            Y = da.from_array(np.asarray(Y), chunks=(X.chunks[0], Y.shape[1]))  # type: ignore[no-untyped-call]  # dask.array leaves from_array unannotated
        elif Y.chunks[0] != X.chunks[0]:
            Y = Y.rechunk({0: X.chunks[0]})  # align the row chunks of the targets with those of X
    x_parts = X.to_delayed().ravel().tolist()
    y_parts = [None] * len(x_parts) if Y is None else Y.to_delayed().ravel().tolist()
    chunk = delayed(kernel.chunk, pure=True)
    parts = [chunk(x, y, batch_size) for x, y in zip(x_parts, y_parts)]
    total = _tree_sum(parts, delayed(_add, pure=True))
    (result,) = compute(total)  # type: ignore[no-untyped-call]  # dask.base leaves compute unannotated
    if not isinstance(result, _Stats):  # pragma: no cover - the tasks above return _Stats
        raise TypeError(f"the Dask reduction returned {type(result).__name__}, expected statistics")
    return result


def _accumulate(kernel: _Kernel, X: Any, Y: Any, batch_size: int) -> _Stats:
    """The statistics of all rows of ``X`` (and ``Y``), numpy or dask arrays, ``batch_size`` rows at a time."""
    if is_dask_array(X):
        return _accumulate_dask(kernel, X, Y, batch_size)
    return kernel.chunk(X, Y, batch_size)


# -- reduced-rank regression from Gram statistics ----------------------------------------------
class _BlockSolution:
    """Reduced-rank regression in one block, from ``XtX = X^H X`` and ``XtY = X^H Y`` (``None`` for an
    autoencoder, ``Y = X``).

    ``gains[k]`` is the loss reduction of rank ``k``; :meth:`factors` returns the encoder ``E``
    (``d x k``) and decoder ``D`` (``k x q``) with fitted values ``X E D``.
    """

    def __init__(self, XtX: NDArray[Any], XtY: NDArray[Any] | None) -> None:
        self.B_ols: NDArray[Any] | None
        if XtY is None:
            self.B_ols = None
            self.H = XtX
        else:
            B_ols = np.linalg.pinv(XtX, hermitian=True) @ XtY
            H = B_ols.conj().T @ XtX @ B_ols
            self.B_ols = B_ols
            self.H = (H + H.conj().T) / 2
        # all eigenvalues now (the gains of every rank); eigenvectors only for the rank that is kept
        values = scipy.linalg.eigh(self.H, eigvals_only=True, check_finite=False)
        self.eigenvalues: NDArray[np.float64] = np.clip(values[::-1].real, 0.0, None)
        self.gains: NDArray[np.float64] = np.concatenate([[0.0], np.cumsum(self.eigenvalues)])

    def _top_vectors(self, k: int) -> NDArray[Any]:
        d = self.H.shape[0]
        if k == 0:
            return np.zeros((d, 0), dtype=self.H.dtype)
        _, vectors = scipy.linalg.eigh(self.H, subset_by_index=[d - k, d - 1], check_finite=False)
        top: NDArray[Any] = vectors[:, ::-1]
        return top

    def factors(self, k: int) -> tuple[NDArray[Any], NDArray[Any]]:
        """Encoder ``E`` (``d x k``) and decoder ``D`` (``k x q``) of rank ``k``."""
        V = self._top_vectors(k)
        if self.B_ols is None:
            return V, V.conj().T
        return self.B_ols @ V, V.conj().T
