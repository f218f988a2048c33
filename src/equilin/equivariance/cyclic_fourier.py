"""``Q_sigma``: the block coordinates of a cyclic group ``<sigma>`` by FFTs along the cycles of ``sigma``.

``docs/math.md`` section 4. The blocks ``r_{l,m}`` and their order are those of
:mod:`equilin.equivariance.cyclic`; :class:`CyclicFourier` computes the coordinates in them with real FFTs
(any ``n``, no ``n x n`` matrix), for :class:`equilin.equivariance.Commutant`'s Fourier path.

Conventions
-----------
*Copies inside a block.* The ``d_l`` copies of block ``(l, m)`` are the cycles whose length ``L`` is
divisible by ``l``, ordered by ``L`` (increasing), then by their smallest element. A cycle is read from
its smallest element ``c_0``, with ``c_{k+1} = sigma(c_k)``.

*The basis* ``Q = Q_sigma`` (columns, block by block, copy by copy). For a cycle ``c_0..c_{L-1}``:

* block ``(1, 1)``: the constant vector ``1/sqrt(L)`` on the cycle;
* block ``(2, 1)`` (even ``L``): the alternating vector ``(-1)^k / sqrt(L)`` at ``c_k``;
* block ``(l, m)``, complex: with ``theta = 2 pi m / l``, the pair
  ``cos_k = sqrt(2/L) cos(theta k)``, ``sin_k = sqrt(2/L) sin(theta k)`` at ``c_k``, interleaved per copy
  (``cos_1, sin_1, cos_2, sin_2, ...``).

With these signs ``Q^T P_sigma Q`` is ``I_{d_1}``, then ``I_{d_l} (x) rotation(2 pi m / l)`` for every
complex block (``rotation(t) = [[cos t, -sin t], [sin t, cos t]]``; this is the ``rotation (x) I_{d_l}``
of ``docs/math.md`` up to the interleaved order), then ``-I_{d_2}``. The matrices commuting with
``I_d (x) rotation`` are exactly the realizations ``R(Z)`` of complex ``d x d`` matrices
(:func:`equilin.geometry.realize`).

*Block coordinates* (:meth:`equilin.equivariance.Commutant.to_blocks`). A vector ``x`` has real
coordinate ``y = <x, q>`` on every real-block column ``q``, and on every complex copy the complex
coordinate ``w = <x, cos> + i <x, sin>``; then ``||x||^2 = sum y^2 + sum |w|^2``, and a commuting matrix
whose block is ``R(Z)`` maps ``w`` to ``Z w`` (for a batch of row vectors ``W``: ``W -> W @ Z.T``). In
terms of the DFT along a cycle, ``w = sqrt(2/L) * rfft(x on the cycle)[j]`` with spatial frequency
``j = (l - m) L / l``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.blocks import Block
from equilin.geometry import REAL, realize
from equilin.groups import Permutation
from equilin.validation import check_finite

__all__ = ["CycleGroup", "FourierLayout", "CyclicFourier", "DENSE_Q_LIMIT"]

DENSE_Q_LIMIT = 4096
"""Largest ``n`` for which the dense ``Q_sigma`` (:meth:`CyclicFourier.Q`) is built."""

_SQRT2 = math.sqrt(2.0)
_CHUNK_ELEMENTS = 1 << 18  # float64 entries gathered per FFT call (2 MiB buffer)
_RFFT_HAS_OUT = int(np.__version__.split(".")[0]) >= 2


class CycleGroup(NamedTuple):
    """The cycles of one length ``L``: ``index`` is a ``count x L`` array of 0-based positions."""

    length: int
    index: NDArray[np.int64]  # type: ignore[assignment]  # the field shadows tuple.index, as named


class FourierLayout(NamedTuple):
    """See :meth:`equilin.equivariance.Commutant.fourier_layout`."""

    cycle_groups: list[CycleGroup]
    block_sources: list[list[tuple[int, int]]]


def _rfft_into(chunk: NDArray[np.float64], out: NDArray[np.complex128]) -> None:
    """``out[...] = rfft(chunk, norm="ortho")`` along the last axis, written in place on NumPy >= 2."""
    if _RFFT_HAS_OUT:
        np.fft.rfft(chunk, axis=-1, norm="ortho", out=out)
    else:  # pragma: no cover - NumPy 1.26 has no `out`
        out[...] = np.fft.rfft(chunk, axis=-1, norm="ortho")


class _Layout:
    """Cycles grouped by length, and where every block takes its coordinates from."""

    def __init__(self, sigma: Permutation, blocks: tuple[Block, ...]) -> None:
        by_length: dict[int, list[tuple[int, ...]]] = {}
        for cycle in sigma.cycles:
            by_length.setdefault(len(cycle), []).append(cycle)
        self.lengths = sorted(by_length)
        self.index: dict[int, NDArray[np.int64]] = {}
        self.slices: dict[int, slice | None] = {}
        for length in self.lengths:
            idx = np.array(by_length[length], dtype=np.int64).reshape(-1, length)
            self.index[length] = idx
            flat = idx.ravel()
            contiguous = bool((np.diff(flat) == 1).all()) if flat.size > 1 else True
            self.slices[length] = slice(int(flat[0]), int(flat[-1]) + 1) if contiguous else None
        # block b takes frequency j of every cycle group of length L divisible by l
        self.sources: list[list[tuple[int, int]]] = [
            [(length, b.frequency(length)) for length in self.lengths if length % b.l == 0]
            for b in blocks]
        # per length: (block index, frequency, first copy inside the block) of every block it feeds
        self.targets: dict[int, list[tuple[int, int, int]]] = {length: [] for length in self.lengths}
        for i, sources in enumerate(self.sources):
            copy = 0
            for length, j in sources:
                self.targets[length].append((i, j, copy))
                copy += self.index[length].shape[0]
        # all cycles one after the other ("cycle order") and the way back to 0..n-1
        order = np.concatenate([self.index[length].ravel() for length in self.lengths])
        self.identity = bool((order == np.arange(order.size)).all())
        self.inverse = np.argsort(order)
        starts = np.cumsum([0] + [self.index[length].size for length in self.lengths])
        self.group_start = {length: int(a) for length, a in zip(self.lengths, starts)}
        offsets = np.cumsum([0] + [b.real_dim for b in blocks])
        self.offsets = [int(o) for o in offsets]



class CyclicFourier:
    """The block coordinates of ``<sigma>`` (module docstring) by real FFTs along the cycles of ``sigma``.

    The inputs are checked by the caller (:class:`equilin.equivariance.Commutant`): real float64 row
    vectors ``(N, n)``, block arrays of the right shapes and dtypes. Non-finite inputs are refused here,
    from the FFTs' output (one scan of the DC terms, not of the input).

    Parameters
    ----------
    sigma : Permutation
        The generator; its cycles give the layout.
    blocks : tuple of Block
        Its blocks in the talk's order (:func:`equilin.equivariance.blocks_of`).
    """

    def __init__(self, sigma: Permutation, blocks: tuple[Block, ...]) -> None:
        self.n: int = sigma.n
        self.blocks = blocks
        self.layout = _Layout(sigma, blocks)

    @property
    def offsets(self) -> list[int]:
        """First column of every block in :meth:`Q`."""
        return self.layout.offsets

    def Q(self) -> NDArray[np.float64]:
        """The dense orthogonal ``n x n`` matrix ``Q_sigma`` (columns as in the module docstring), built
        directly from cosines and sines; refused for ``n > DENSE_Q_LIMIT``."""
        if self.n > DENSE_Q_LIMIT:
            raise ValueError(f"Q() builds a dense {self.n} x {self.n} matrix; refused for n > "
                             f"{DENSE_Q_LIMIT}. Use to_blocks / from_blocks (FFT, no n x n matrix)")
        lay = self.layout
        Q = np.zeros((self.n, self.n))
        for b, sources, offset in zip(self.blocks, lay.sources, lay.offsets):
            copy = 0
            for length, _ in sources:
                idx = lay.index[length]
                k = np.arange(length)
                cols = offset + b.weight * (copy + np.arange(idx.shape[0]))
                if b.field is REAL:
                    values = (np.cos(b.angle * k) if b.l == 2 else np.ones(length)) / math.sqrt(length)
                    Q[idx, cols[:, None]] = values
                else:
                    scale = math.sqrt(2.0 / length)
                    Q[idx, cols[:, None]] = scale * np.cos(b.angle * k)
                    Q[idx, cols[:, None] + 1] = scale * np.sin(b.angle * k)
                copy += idx.shape[0]
        return Q

    def spectra(self, X: NDArray[np.float64], name: str = "X") -> dict[int, NDArray[np.complex128]]:
        """``sqrt(2) * rfft(x on the cycle, norm="ortho")`` for every group of cycles of one length.

        Also refuses NaN or infinite entries of ``X``: any such entry makes the DC term (the sum over
        its cycle) non-finite, so only the DC terms are scanned unless one of them is not finite."""
        lay = self.layout
        out = {}
        N = X.shape[0]
        for length in lay.lengths:
            idx = lay.index[length]
            window = lay.slices[length]
            spec = np.empty((N,) + idx.shape[:1] + (length // 2 + 1,), dtype=np.complex128)
            # gather and scale chunks of rows into one small reused buffer (cache-resident), then
            # transform each chunk straight into the output
            step = max(1, _CHUNK_ELEMENTS // idx.size)
            buffer = np.empty((min(step, N),) + idx.shape)
            for start in range(0, N, step):
                stop = min(N, start + step)
                chunk = buffer[:stop - start]
                with np.errstate(invalid="ignore", over="ignore"):  # non-finite input: refused below
                    if window is not None:
                        np.multiply(X[start:stop, window].reshape(chunk.shape), _SQRT2, out=chunk)
                    else:  # indices are valid: mode="clip" lets take write into `out` unbuffered
                        np.take(X[start:stop], idx, axis=1, out=chunk, mode="clip")
                        chunk *= _SQRT2
                    _rfft_into(chunk, spec[start:stop])
            out[length] = spec
        if not all(np.isfinite(spec[..., 0]).all() for spec in out.values()):
            with np.errstate(invalid="ignore", over="ignore"):  # finite entries may overflow a sum
                check_finite(X, name)
        return out

    def to_blocks(self, X: NDArray[np.float64], single: bool = False) -> list[NDArray[Any]]:
        """Block coordinates of row vectors ``X`` (``N x n``): per block ``(N, d_b)``, real or complex
        (module docstring); ``(d_b,)`` when ``single`` (``X`` holds one vector). The complex arrays may
        be non-contiguous views into one FFT buffer."""
        spectra = self.spectra(X, "X")
        out: list[NDArray[Any]] = []
        for b, sources in zip(self.blocks, self.layout.sources):
            pieces = [spectra[length][:, :, j] for length, j in sources]
            block: NDArray[Any] = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)
            if b.field is REAL:
                block = block.real / _SQRT2
            out.append(block[0] if single else block)
        return out

    def from_blocks(self, arrays: list[NDArray[Any]], N: int | None) -> NDArray[np.float64]:
        """The row vectors ``Y Q^T`` with block coordinates ``arrays``: ``(N, d_b)`` each, or ``(d_b,)``
        each when ``N`` is None (then one vector ``(n,)`` comes back). Inverse FFTs along the cycles, in
        chunks of rows; refuses non-finite ``arrays`` (seen on the output)."""
        single = N is None
        if N is None:
            arrays = [a[None, :] for a in arrays]
            N = 1
        lay = self.layout
        X = np.empty((N, self.n))
        step = max(1, _CHUNK_ELEMENTS // self.n)
        buffer = None if lay.identity else np.empty((min(step, N), self.n))
        finite = True
        for start in range(0, N, step):  # chunks of rows: every intermediate stays small
            stop = min(N, start + step)
            with np.errstate(invalid="ignore", over="ignore"):  # non-finite input: refused below
                finite = self._inverse_chunk(arrays, X, buffer, start, stop) and finite
        if not finite:
            with np.errstate(invalid="ignore", over="ignore"):  # finite entries may overflow a sum
                check_finite(arrays, "blocks")
        return X[0] if single else X

    def _inverse_chunk(self, arrays: list[NDArray[Any]], X: NDArray[np.float64],
                       buffer: NDArray[np.float64] | None, start: int, stop: int) -> bool:
        """Rows ``start:stop`` of :meth:`from_blocks`; returns whether they came out finite."""
        lay = self.layout
        finite = True
        target = X[start:stop] if buffer is None else buffer[:stop - start]
        for length in lay.lengths:
            count = lay.index[length].shape[0]
            spec = np.zeros((stop - start, count, length // 2 + 1), dtype=np.complex128)
            for i, j, copy in lay.targets[length]:
                piece = arrays[i][start:stop, copy:copy + count]
                if self.blocks[i].field is REAL:
                    spec[:, :, j] = piece
                else:
                    np.multiply(piece, 1 / _SQRT2, out=spec[:, :, j])
            values = np.fft.irfft(spec, n=length, axis=-1, norm="ortho")
            # a non-finite real (imaginary) part of a coefficient spoils entry 0 (entry 1) of its
            # cycle, so two entries per cycle tell
            finite = finite and bool(np.isfinite(values[:, :, :2]).all())
            first = lay.group_start[length]
            target[:, first:first + count * length] = values.reshape(stop - start, -1)
        if buffer is not None:
            np.take(target, lay.inverse, axis=1, out=X[start:stop], mode="clip")
        return finite

    def to_coordinates(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """``X Q`` as one real ``(N, n)`` array in the column order of :meth:`Q` (complex blocks
        interleaved ``Re w, Im w`` per copy)."""
        return self._assemble(self.to_blocks(X))

    def from_coordinates(self, Y: NDArray[np.float64]) -> NDArray[np.float64]:
        """``Y Q^T`` for real coordinates ``Y`` (``N x n``) in the column order of :meth:`Q`."""
        return self.from_blocks(self._split(Y), Y.shape[0])

    def _assemble(self, blocks: list[NDArray[Any]]) -> NDArray[np.float64]:
        out = np.empty((blocks[0].shape[0], self.n))
        for b, a, offset in zip(self.blocks, blocks, self.layout.offsets):
            if b.field is REAL:
                out[:, offset:offset + b.size] = a
            else:
                out[:, offset:offset + 2 * b.size:2] = a.real
                out[:, offset + 1:offset + 2 * b.size:2] = a.imag
        return out

    def _split(self, Y: NDArray[np.float64]) -> list[NDArray[Any]]:
        out = []
        for b, offset in zip(self.blocks, self.layout.offsets):
            if b.field is REAL:
                out.append(Y[:, offset:offset + b.size])
            else:
                out.append(Y[:, offset:offset + 2 * b.size:2] + 1j * Y[:, offset + 1:offset + 2 * b.size:2])
        return out


    def matrix_to_blocks(self, M: NDArray[np.float64]) -> list[NDArray[Any]]:
        """The blocks of ``Q^T M Q`` projected onto the commutant: real ``d_b x d_b`` blocks, and for a
        complex block the ``Z`` whose realization ``R(Z)`` is nearest."""
        D = self.to_coordinates(self.to_coordinates(M.T).T)  # Q^T M Q
        out = []
        for b, offset in zip(self.blocks, self.layout.offsets):
            sub = D[offset:offset + b.real_dim, offset:offset + b.real_dim]
            if b.field is REAL:
                out.append(np.ascontiguousarray(sub))
            else:
                re = (sub[0::2, 0::2] + sub[1::2, 1::2]) / 2
                im = (sub[1::2, 0::2] - sub[0::2, 1::2]) / 2
                out.append(re + 1j * im)
        return out

    def matrix_from_blocks(self, arrays: list[NDArray[Any]]) -> NDArray[np.float64]:
        """The commuting matrix ``Q diag(B_b or R(Z_b)) Q^T`` with the given blocks."""
        D = np.zeros((self.n, self.n))
        for b, a, offset in zip(self.blocks, arrays, self.layout.offsets):
            sl = slice(offset, offset + b.real_dim)
            D[sl, sl] = a if b.field is REAL else realize(a)
        return self.from_coordinates(self.from_coordinates(D.T).T)  # Q D Q^T

    def fourier_layout(self) -> FourierLayout:
        """The cycles grouped by length and every block's ``(length, frequency)`` sources (see
        :meth:`equilin.equivariance.Commutant.fourier_layout`)."""
        lay = self.layout
        groups = [CycleGroup(length, lay.index[length].copy()) for length in lay.lengths]
        return FourierLayout(groups, [list(src) for src in lay.sources])
