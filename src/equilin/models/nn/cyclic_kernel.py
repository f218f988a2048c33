"""The talk's Fourier kernel of :class:`~equilin.models.nn.EquivariantLinearAutoencoder` for a cyclic
group (``method="fourier"``): transforms along the cycles of ``sigma`` (real DFT matrices for cycles of
length at most :data:`DFT_MATRIX_MAX_LENGTH`, FFTs for longer ones), one batched product per group of
blocks, and a hand-written backward pass (:class:`_Encode`, :class:`_Decode`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.typing import NDArray
from torch.autograd.function import once_differentiable

from equilin.equivariance import EquivariantVariety
from equilin.geometry import COMPLEX
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn.base import _buffer, _Structured

__all__ = ["DFT_MATRIX_MAX_LENGTH"]

_SQRT2 = math.sqrt(2.0)
DFT_MATRIX_MAX_LENGTH = 256
"""Cycles up to this length are transformed by real DFT matrices, longer ones by FFTs."""


class _Batch(NamedTuple):
    """Active blocks of one kind whose copies come from the same cycle lengths (so of one size),
    processed by one batched product. ``pieces`` lists, per source (cycle length, in the blocks' source
    order), the index of that length among the active lengths and the batch's first spectrum row there:
    the batch owns the rows ``start : start + parts * len(blocks)``, block by block (real part, then
    imaginary part)."""

    blocks: tuple[int, ...]
    complex: bool
    width: int
    pieces: tuple[tuple[int, int], ...]

    @property
    def parts(self) -> int:
        return 2 if self.complex else 1


def _dft_rows(length: int, rows: Sequence[tuple[int, int]]) -> NDArray[np.float64]:
    """Rows ``(frequency, part)`` of the real orthonormal Fourier basis of one cycle length: part 0 is
    the real part, part 1 the imaginary part of ``sqrt(2) * rfft(norm="ortho")`` (no ``sqrt(2)`` at the
    real frequencies 0 and ``L/2``)."""
    t = np.arange(length)
    out = np.empty((len(rows), length))
    for i, (j, part) in enumerate(rows):
        angle = 2 * np.pi * j * t / length
        scale = math.sqrt((1.0 if j == 0 or 2 * j == length else 2.0) / length)
        out[i] = scale * (np.cos(angle) if part == 0 else -np.sin(angle))
    return out


def _complex_code(PT: torch.Tensor, width: int) -> torch.Tensor:
    """From ``P = [Re ; Im] @ [E_re | E_im]``, given transposed (``(B, 2w, 2N)``), the code
    ``Z = Z_re + i Z_im`` as the transposed real form ``[[Z_re, -Z_im], [Z_im, Z_re]]^T``, which the
    decoder multiplies by ``[D_re ; D_im]`` to get ``[T_re ; T_im]`` in one product. (Transposed, so
    that the pieces are runs of ``N`` contiguous numbers.)"""
    N, w = PT.shape[2] // 2, width
    code = torch.empty_like(PT)
    torch.sub(PT[:, :w, :N], PT[:, w:, N:], out=code[:, :w, :N])  # Z_re = Re E_re - Im E_im
    code[:, w:, N:] = code[:, :w, :N]
    torch.add(PT[:, w:, :N], PT[:, :w, N:], out=code[:, :w, N:])  # Z_im = Re E_im + Im E_re
    torch.neg(code[:, :w, N:], out=code[:, w:, :N])
    return code


def _complex_code_grad(dC: torch.Tensor, width: int) -> torch.Tensor:
    """The transpose of :func:`_complex_code`: the gradient of ``P^T`` from that of the code."""
    N, w = dC.shape[2] // 2, width
    dP = torch.empty_like(dC)
    torch.add(dC[:, :w, :N], dC[:, w:, N:], out=dP[:, :w, :N])  # dZ_re
    torch.sub(dC[:, :w, N:], dC[:, w:, :N], out=dP[:, w:, :N])  # dZ_im
    dP[:, :w, N:] = dP[:, w:, :N]
    torch.neg(dP[:, :w, :N], out=dP[:, w:, N:])
    return dP


class _Encode(torch.autograd.Function):
    """``x -> codes`` of :class:`_CyclicKernel` with a hand-written backward: the Fourier
    analysis is one matrix product per cycle length, each batch of blocks one ``bmm``. Codes are
    ``(blocks, w, N)`` (real batches) or ``(blocks, 2w, 2N)`` (complex ones, see :func:`_complex_code`)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, kernel: _CyclicKernel,
                *weights: torch.Tensor) -> tuple[torch.Tensor, ...]:
        spectra = kernel._analysis(x)
        weights = tuple(kernel._masked(weight, g, "encoder") for g, weight in enumerate(weights))
        codes = []
        for batch, weight in zip(kernel.batches, weights):
            product = torch.bmm(weight.transpose(1, 2), kernel._coordinates(spectra, batch).transpose(1, 2))
            codes.append(_complex_code(product, batch.width) if batch.complex else product)
        ctx.kernel = kernel
        ctx.save_for_backward(*spectra, *weights)
        return tuple(codes)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        kernel = ctx.kernel
        saved = ctx.saved_tensors
        spectra, weights = saved[:len(kernel.lengths)], saved[len(kernel.lengths):]
        need_x = ctx.needs_input_grad[0]
        d_spectra = [torch.empty_like(s) for s in spectra] if need_x else []
        d_weights: list[torch.Tensor | None] = []
        for g, (batch, dcode) in enumerate(zip(kernel.batches, grads)):
            d_product = (_complex_code_grad(dcode, batch.width) if batch.complex else dcode).transpose(1, 2)
            if need_x:
                kernel._put(d_spectra, batch, d_product, weights[g].transpose(1, 2))
            d_weights.append(kernel._masked(torch.bmm(kernel._coordinates(spectra, batch).transpose(1, 2),
                                                      d_product), g, "encoder")
                             if ctx.needs_input_grad[2 + g] else None)
        dx = kernel._synthesis(d_spectra, grads[0].shape[2] // kernel.batches[0].parts) if need_x else None
        return (dx, None, *d_weights)


class _Decode(torch.autograd.Function):
    """``codes -> y`` of :class:`_CyclicKernel` (the transpose of :class:`_Encode`'s
    structure): one ``bmm`` per batch of blocks, then one matrix product per cycle length."""

    @staticmethod
    def forward(ctx: Any, kernel: _CyclicKernel, *tensors: torch.Tensor) -> torch.Tensor:
        codes, weights = tensors[:len(kernel.batches)], tensors[len(kernel.batches):]
        N = codes[0].shape[2] // kernel.batches[0].parts
        spectra = [codes[0].new_empty(rows, N * count) for rows, count in zip(kernel.n_rows, kernel.counts)]
        weights = tuple(kernel._masked(weight, g, "decoder") for g, weight in enumerate(weights))
        for batch, code, weight in zip(kernel.batches, codes, weights):
            kernel._put(spectra, batch, code.transpose(1, 2), weight)
        ctx.kernel = kernel
        ctx.save_for_backward(*codes, *weights)
        return kernel._synthesis(spectra, N)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        kernel = ctx.kernel
        saved = ctx.saved_tensors
        n_batches = len(kernel.batches)
        codes, weights = saved[:n_batches], saved[n_batches:]
        d_spectra = kernel._analysis(dy)
        d_codes: list[torch.Tensor | None] = []
        d_weights: list[torch.Tensor | None] = []
        for g, (batch, code) in enumerate(zip(kernel.batches, codes)):
            dT = kernel._coordinates(d_spectra, batch)
            d_codes.append(torch.bmm(weights[g], dT.transpose(1, 2))
                           if ctx.needs_input_grad[1 + g] else None)
            d_weights.append(kernel._masked(torch.bmm(code, dT), g, "decoder")
                             if ctx.needs_input_grad[1 + n_batches + g] else None)
        return (None, *d_codes, *d_weights)


# typed entry points (torch leaves ``Function.apply`` unannotated)
_encode: Callable[..., tuple[torch.Tensor, ...]] = _Encode.apply
"""``_Encode.apply(x, kernel, *encoders)``: the codes of every batch of blocks."""
_decode: Callable[..., torch.Tensor] = _Decode.apply
"""``_Decode.apply(kernel, *codes, *decoders)``: the outputs ``(N, n)``."""


class _CyclicKernel(_Structured):
    """The Fourier kernel of :class:`EquivariantLinearAutoencoder` for a cyclic group (``method=
    "fourier"``): transforms along the cycles of ``sigma`` and one batched product per group of blocks.

    Blocks of rank 0 are dropped. The others are batched: blocks of one kind whose copies come from the
    same cycle lengths (so of one size ``d``) share one weight tensor. For complex blocks
    ``encoders[g]`` is ``(blocks, d, 2w)`` = ``[E_re | E_im]`` and ``decoders[g]`` ``(blocks, 2w, d)``
    = ``[D_re ; D_im]`` (``w`` the batch's largest rank), for real blocks ``(blocks, d, w)`` and
    ``(blocks, w, d)``. Entries beyond a block's rank are masked out of the function and of the
    gradients (they start at zero and stay there under any gradient method).

    The forward pass is, per cycle length ``L``, one product of the ``(N * cycles, L)`` signal with the
    rows of the real orthonormal Fourier basis that active blocks use (an ``rfft`` for
    ``L > DFT_MATRIX_MAX_LENGTH``). The spectrum comes out frequency-major, real and imaginary parts
    of a block in consecutive rows, so a batch's coordinates are a view ``[Re ; Im]`` of shape
    ``(blocks, 2N, d)``; one ``bmm`` with ``[E_re | E_im]`` and a few small additions give the codes
    (kept as the real form ``[[Z_re, -Z_im], [Z_im, Z_re]]``), one ``bmm`` with ``[D_re ; D_im]``
    gives the output spectrum, and one product per cycle length transforms it back. Encoder and
    decoder are :class:`torch.autograd.Function` s whose backward passes are the transposed steps.

    The kernel holds the structure (non-persistent buffers); the weights are the module's parameters,
    passed in."""

    code_gather: torch.Tensor

    def __init__(self, variety: EquivariantVariety, parsed: tuple[int, ...], dtype: torch.dtype) -> None:
        super().__init__()
        self.variety = variety
        self.n_features = variety.n
        blocks = variety.blocks
        layout = variety.fourier_layout()
        # every cycle group, for to_blocks / from_blocks
        self.all_lengths = [g.length for g in layout.cycle_groups]
        for i, cycles in enumerate(layout.cycle_groups):
            self._register_structure(f"cycles_{i}", cycles.index.ravel())
        self.block_sources = layout.block_sources
        # batches: the blocks of positive rank, keyed by field and source lengths
        keyed: dict[tuple[bool, tuple[int, ...]], list[int]] = {}
        for b in range(len(blocks)):
            if parsed[b] > 0:
                key = (blocks[b].field is COMPLEX, tuple(L for L, _ in layout.block_sources[b]))
                keyed.setdefault(key, []).append(b)
        self.lengths = sorted({L for _, sources in keyed for L in sources})
        group_of = {cycles.length: cycles for cycles in layout.cycle_groups}
        self.counts = [group_of[L].index.shape[0] for L in self.lengths]
        rows: list[list[tuple[int, int]]] = [[] for _ in self.lengths]
        self.batches: list[_Batch] = []
        for (is_complex, sources), members in keyed.items():
            pieces = []
            for s, L in enumerate(sources):
                li = self.lengths.index(L)
                pieces.append((li, len(rows[li])))
                for b in members:
                    j = layout.block_sources[b][s][1]
                    rows[li].extend([(j, 0), (j, 1)] if is_complex else [(j, 0)])
            width = max(parsed[b] for b in members)
            self.batches.append(_Batch(tuple(members), is_complex, width, tuple(pieces)))
        self.n_rows = [len(r) for r in rows]
        self.use_fft = [L > DFT_MATRIX_MAX_LENGTH for L in self.lengths]
        # float64 DFT matrices (or FFT scales), cast per dtype and device on first use: a module moved
        # to float64 gets exact ones, not float32 roundings
        self._constants: list[NDArray[np.float64]] = []
        self._constant_cache: dict[tuple[int, torch.dtype, torch.device], torch.Tensor] = {}
        for li, L in enumerate(self.lengths):
            if self.use_fft[li]:  # which columns of view_as_real(rfft), and their sqrt(2) scales
                cols = [2 * j + part for j, part in rows[li]]
                scale = [1.0 if j == 0 or 2 * j == L else _SQRT2 for j, _ in rows[li]]
                self._register_structure(f"fft_columns_{li}", np.array(cols, dtype=np.int64))
                self._constants.append(np.array(scale))
            else:
                self._constants.append(_dft_rows(L, rows[li]))
            self._register_structure(f"positions_{li}", group_of[L].index.ravel())
        # one cycle length covering 0..n-1 in order (e.g. image shifts): the signal is a view of x
        self.in_place = (len(self.lengths) == 1 and self.counts[0] * self.lengths[0] == self.n_features
                         and bool((group_of[self.lengths[0]].index.ravel() == np.arange(self.n_features)).all()))
        self._has_padding: list[bool] = []
        self._shapes: list[tuple[int, int, int]] = []
        gather: dict[int, list[int]] = {}
        offset = 0
        for g, batch in enumerate(self.batches):
            d, w, parts = blocks[batch.blocks[0]].size, batch.width, batch.parts
            mask = np.zeros((len(batch.blocks), parts * w))
            for i, b in enumerate(batch.blocks):
                for p in range(parts):
                    mask[i, p * w:p * w + parsed[b]] = 1
                # public codes of block b: (Re, Im) interleaved for k = 0..r_b-1, see encode
                gather[b] = [offset + i * parts * w + k * parts + p for k in range(parsed[b]) for p in range(parts)]
            offset += len(batch.blocks) * parts * w
            self._has_padding.append(bool((mask == 0).any()))
            self._shapes.append((len(batch.blocks), d, parts * w))
            self._register_structure(f"encoder_mask_{g}", mask[:, None, :], dtype)
            self._register_structure(f"decoder_mask_{g}", mask[:, :, None], dtype)
        self.code_width = offset
        order = [k for b in range(len(blocks)) for k in gather.get(b, [])]
        self._register_structure("code_gather", np.array(order, dtype=np.int64))

    def initial_weights(self, dtype: torch.dtype) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Uniform ``+-1/sqrt(d)`` encoders ``(blocks, d, parts w)`` and decoders ``(blocks, parts w, d)``,
        zero beyond each block's rank."""
        encoders, decoders = [], []
        for g, (B, d, width) in enumerate(self._shapes):
            bound = 1.0 / math.sqrt(d)
            encoder = torch.empty(B, d, width, dtype=dtype).uniform_(-bound, bound)
            decoder = torch.empty(B, width, d, dtype=dtype).uniform_(-bound, bound)
            encoders.append(encoder * _buffer(self, f"encoder_mask_{g}"))   # masked entries start at zero
            decoders.append(decoder * _buffer(self, f"decoder_mask_{g}"))
        return encoders, decoders

    # -- the steps of _Encode and _Decode --------------------------------------------------------------
    def _masked(self, weight: torch.Tensor, g: int, which: str) -> torch.Tensor:
        """``weight`` (or its gradient) with the entries beyond each block's rank zeroed."""
        return weight * _buffer(self, f"{which}_mask_{g}") if self._has_padding[g] else weight

    def _constant(self, li: int, like: torch.Tensor) -> torch.Tensor:
        key = (li, like.dtype, like.device)
        if key not in self._constant_cache:
            self._constant_cache[key] = torch.from_numpy(self._constants[li]).to(dtype=like.dtype, device=like.device)
        return self._constant_cache[key]

    def _analysis(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Per active cycle length, the spectrum ``(rows, N * cycles)``: the coordinates of every cycle
        on the rows' basis vectors, frequency-major."""
        N = x.shape[0]
        out = []
        for li, L in enumerate(self.lengths):
            signal = x.contiguous() if self.in_place else x.index_select(1, _buffer(self, f"positions_{li}"))
            signal = signal.view(N * self.counts[li], L)
            if self.use_fft[li]:
                spectrum = torch.view_as_real(torch.fft.rfft(signal, dim=-1, norm="ortho")).reshape(
                    signal.shape[0], 2 * (L // 2 + 1))
                rows = spectrum.index_select(1, _buffer(self, f"fft_columns_{li}")) * self._constant(li, spectrum)
                out.append(rows.T.contiguous())
            else:
                out.append(torch.matmul(self._constant(li, signal), signal.T))
        return out

    def _synthesis(self, spectra: Sequence[torch.Tensor], N: int) -> torch.Tensor:
        """The transpose (on the active rows, the inverse) of :meth:`_analysis`: ``(N, n)``."""
        pieces: list[torch.Tensor] = []
        for li, L in enumerate(self.lengths):
            if self.use_fft[li]:
                F = L // 2 + 1
                full = spectra[li].new_zeros(spectra[li].shape[1], 2 * F)
                full.index_copy_(1, _buffer(self, f"fft_columns_{li}"), spectra[li].T / self._constant(li, full))
                values = torch.fft.irfft(torch.view_as_complex(full.view(full.shape[0], F, 2)), n=L, dim=-1,
                                         norm="ortho")
            else:
                values = torch.matmul(spectra[li].T, self._constant(li, spectra[li]))
            pieces.append(values.reshape(N, self.counts[li] * L))
        if self.in_place:
            return pieces[0]
        out = pieces[0].new_zeros(N, self.n_features)
        for li, values in enumerate(pieces):
            out.index_copy_(1, _buffer(self, f"positions_{li}"), values)
        return out

    def _coordinates(self, spectra: Sequence[torch.Tensor], batch: _Batch) -> torch.Tensor:
        """The batch's block coordinates ``(blocks, parts * N, d)`` (``[Re ; Im]`` per block): a view of
        the spectrum when the blocks come from one cycle length, else a concatenation."""
        B, rows = len(batch.blocks), batch.parts * len(batch.blocks)
        views = [spectra[li][start:start + rows].view(B, rows // B * (spectra[li].shape[1] // self.counts[li]),
                                                      self.counts[li]) for li, start in batch.pieces]
        return views[0] if len(views) == 1 else torch.cat(views, dim=2)

    def _put(self, spectra: list[torch.Tensor], batch: _Batch, left: torch.Tensor, right: torch.Tensor) -> None:
        """Write the batch's coordinates ``left @ right`` (``(blocks, parts * N, d)``) into its rows."""
        B, rows = len(batch.blocks), batch.parts * len(batch.blocks)
        if len(batch.pieces) == 1:
            li, start = batch.pieces[0]
            torch.bmm(left, right, out=spectra[li][start:start + rows].view(B, left.shape[1], self.counts[li]))
            return
        values, column = torch.bmm(left, right), 0
        for li, start in batch.pieces:
            width = self.counts[li]
            spectra[li][start:start + rows].view(B, left.shape[1], width).copy_(values[:, :, column:column + width])
            column += width

    # -- what the module calls ---------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, encoders: Sequence[torch.Tensor],
                decoders: Sequence[torch.Tensor]) -> torch.Tensor:
        if not self.batches or x.shape[0] == 0:  # (the FFTs refuse empty batches)
            return x.new_zeros(x.shape)
        return _decode(self, *_encode(x, self, *encoders), *decoders)

    def encode(self, x: torch.Tensor, encoders: Sequence[torch.Tensor], rank: int) -> torch.Tensor:
        N = x.shape[0]
        if not self.batches or N == 0:
            return x.new_zeros(N, rank)
        flat = []
        for batch, code in zip(self.batches, _encode(x, self, *encoders)):
            if batch.complex:  # (blocks, w, N, 2): Z_re and Z_im, the first rows of the code
                code = torch.stack([code[:, :batch.width, :N], code[:, :batch.width, N:]], dim=3)
            flat.append(code.movedim(2, 0).reshape(N, len(batch.blocks) * batch.parts * batch.width))
        return (flat[0] if len(flat) == 1 else torch.cat(flat, dim=1)).index_select(1, self.code_gather)

    def decode(self, z: torch.Tensor, decoders: Sequence[torch.Tensor]) -> torch.Tensor:
        N = z.shape[0]
        if not self.batches or N == 0:
            return z.new_zeros(N, self.n_features)
        flat = z.new_zeros(N, self.code_width).index_copy(1, self.code_gather, z)
        codes, start = [], 0
        for batch in self.batches:
            size = len(batch.blocks) * batch.parts * batch.width
            code = flat[:, start:start + size].reshape(N, len(batch.blocks), batch.width, batch.parts)
            code = code.permute(1, 2, 0, 3)  # (blocks, w, N, parts)
            start += size
            if batch.complex:
                re, im = code[..., 0], code[..., 1]
                codes.append(torch.cat([torch.cat([re, im], dim=2), torch.cat([-im, re], dim=2)], dim=1))
            else:
                codes.append(code[..., 0].contiguous())
        return _decode(self, *codes, *decoders)

    def to_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        spectra = {L: torch.fft.rfft(x[:, _buffer(self, f"cycles_{i}")].reshape(x.shape[0], -1, L), dim=-1,
                                     norm="ortho") for i, L in enumerate(self.all_lengths)}
        out = []
        for block, sources in zip(self.variety.blocks, self.block_sources):
            values = torch.cat([spectra[L][:, :, j] for L, j in sources], dim=1)
            out.append(values * _SQRT2 if block.field is COMPLEX else values.real)
        return out

    def from_blocks(self, blocks: Sequence[torch.Tensor], ref: torch.Tensor) -> torch.Tensor:
        N = blocks[0].shape[0]
        cdtype = torch.complex128 if ref.dtype == torch.float64 else torch.complex64
        spectra = {L: torch.zeros(N, _buffer(self, f"cycles_{i}").numel() // L, L // 2 + 1, dtype=cdtype,
                                  device=ref.device) for i, L in enumerate(self.all_lengths)}
        for block, sources, values in zip(self.variety.blocks, self.block_sources, blocks):
            values = values / _SQRT2 if block.field is COMPLEX else values.real
            start = 0
            for L, j in sources:
                count = spectra[L].shape[1]
                spectra[L][:, :, j] = values[:, start:start + count].to(cdtype)
                start += count
        out = torch.zeros(N, self.n_features, dtype=ref.dtype, device=ref.device)
        for i, L in enumerate(self.all_lengths):
            values = torch.fft.irfft(spectra[L], n=L, dim=-1, norm="ortho").reshape(N, -1)
            out = out.index_copy(1, _buffer(self, f"cycles_{i}"), values)
        return out

    def copy_closed_form(self, estimator: EquivariantAutoencoder, encoders: Sequence[torch.Tensor],
                         decoders: Sequence[torch.Tensor]) -> None:
        for g, batch in enumerate(self.batches):
            for i, b in enumerate(batch.blocks):
                enc = np.asarray(estimator.block_encoders_[b])
                dec = np.asarray(estimator.block_decoders_[b])
                k = enc.shape[1]
                parts = [(0, np.real(enc), np.real(dec))]
                if batch.complex:
                    parts.append((batch.width, np.imag(enc), np.imag(dec)))
                for shift, e, d in parts:
                    encoders[g][i, :, shift:shift + k] = torch.from_numpy(np.array(e, dtype=np.float64))
                    decoders[g][i, shift:shift + k, :] = torch.from_numpy(np.array(d, dtype=np.float64))
