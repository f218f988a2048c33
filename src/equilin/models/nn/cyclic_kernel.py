"""The talk's Fourier kernel of :class:`~equilin.models.nn.EquivariantLinearAutoencoder` for a cyclic
group (``method="fourier"``): transforms along the cycles of ``sigma`` (real DFT matrices for cycles of
length at most :data:`DFT_MATRIX_MAX_LENGTH`, FFTs for longer ones) and one batched product per group
of blocks, in plain differentiable torch operations: autograd, ``torch.func``, ``torch.compile``,
``torch.export``, ``torch.jit.trace`` and ONNX export see ordinary operators. (Hand-written backward
passes are no faster, to within a few percent, than autograd's once the forward pass avoids slices and
out-of-place scatters.)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch
from numpy.typing import NDArray

from equilin.equivariance import EquivariantVariety
from equilin.geometry import COMPLEX
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn.base import _buffer, _Structured
from equilin.models.nn.operators import _placed

__all__ = ["DFT_MATRIX_MAX_LENGTH", "dft_matrices"]

_SQRT2 = math.sqrt(2.0)
DFT_MATRIX_MAX_LENGTH = 256
"""Cycles up to this length are transformed by real DFT matrices, longer ones by FFTs (but see
:func:`dft_matrices`)."""

_DFT_ONLY = [False]   # set by dft_matrices()


@contextmanager
def dft_matrices() -> Iterator[None]:
    """Within ``with dft_matrices():`` the cyclic kernel (``method="fourier"``) transforms the cycles of
    every length by real DFT matrices, never by FFTs: the same function, for exports whose runtime lacks
    FFT operators or computes them in a lower precision (e.g. ONNX: onnxruntime's float32 ``DFT`` of a
    cycle of prime length ``L`` is a direct sum, off by about ``L * 5e-8``). The matrices are constants
    of the exported graph: ``2 L`` numbers per complex block and cycle length (``L`` per real one).

    Examples
    --------
    >>> from equilin.groups import Permutation
    >>> from equilin.models.nn import EquivariantLinearAutoencoder
    >>> model = EquivariantLinearAutoencoder(Permutation.from_cycles("(" + " ".join(map(str, range(1, 301)))
    ...                                      + ")", 300), {"r_{1,1}": 1, "r_{300,299}": 1})
    >>> x = torch.rand(2, 300)
    >>> with dft_matrices():
    ...     program = torch.export.export(model, (x,))
    >>> [node.target for node in program.graph.nodes if "fft" in str(node.target) and node.op == "call_function"]
    []
    >>> torch.allclose(program.module()(x), model(x), atol=1e-6)
    True
    """
    previous = _DFT_ONLY[0]
    _DFT_ONLY[0] = True
    try:
        yield
    finally:
        _DFT_ONLY[0] = previous


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
    that the pieces are runs of ``N`` contiguous numbers.) Plain differentiable ops: autograd gives
    the transposed map, and derivatives of every order."""
    B, N, w = PT.shape[0], PT.shape[2] // 2, width
    # (B, 2, w, N) each: rows E_re, E_im; columns Re (P_re) and Im (P_im). Z_re = Re E_re - Im E_im,
    # Z_im = Re E_im + Im E_re. (unbind and stack: their backward passes are a stack and views, where
    # slices would each add a zero-filled copy of P)
    P_re, P_im = PT.reshape(B, 2, w, 2, N).unbind(3)
    im_e_re, im_e_im = P_im.unbind(1)
    re, im = (P_re + torch.stack([-im_e_im, im_e_re], dim=1)).unbind(1)
    return torch.cat([torch.cat([re, im], dim=2), torch.cat([-im, re], dim=2)], dim=1)


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
    gives the output spectrum, and one product per cycle length transforms it back. Autograd
    differentiates these steps (to any order).

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

    # -- the steps of the forward pass -----------------------------------------------------------------
    def _masked(self, weight: torch.Tensor, g: int, which: str) -> torch.Tensor:
        """``weight`` (or its gradient) with the entries beyond each block's rank zeroed."""
        return weight * _buffer(self, f"{which}_mask_{g}") if self._has_padding[g] else weight

    def _fft(self, li: int) -> bool:
        """Whether cycle length ``li`` is transformed by FFTs (else by its DFT matrix)."""
        return self.use_fft[li] and not _DFT_ONLY[0]

    def _dft_matrix(self, li: int, like: torch.Tensor) -> torch.Tensor:
        """The DFT matrix of the active rows of cycle length ``li`` (built for every call on an FFT
        length, under :func:`dft_matrices`)."""
        if not self.use_fft[li]:
            return self._constant(li, like)
        rows: dict[int, tuple[int, int]] = {}        # spectrum row -> (frequency, part), from the batches
        for batch in self.batches:
            for s, (lj, start) in enumerate(batch.pieces):
                if lj == li:
                    for i, b in enumerate(batch.blocks):
                        for part in range(batch.parts):
                            rows[start + i * batch.parts + part] = (self.block_sources[b][s][1], part)
        matrix = _dft_rows(self.lengths[li], [rows[r] for r in range(len(rows))])
        return torch.from_numpy(matrix).to(dtype=like.dtype, device=like.device)

    def _constant(self, li: int, like: torch.Tensor) -> torch.Tensor:
        key = (li, like.dtype, like.device)
        if torch.compiler.is_compiling() or torch.compiler.is_exporting():   # a graph constant, not an attribute
            return torch.from_numpy(self._constants[li]).to(dtype=like.dtype, device=like.device)
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
            if self._fft(li):
                spectrum = torch.view_as_real(torch.fft.rfft(signal, dim=-1, norm="ortho")).flatten(1)
                rows = spectrum.index_select(1, _buffer(self, f"fft_columns_{li}")) * self._constant(li, signal)
                out.append(rows.T.contiguous())
            else:
                out.append(torch.matmul(self._dft_matrix(li, signal), signal.T))
        return out

    def _synthesis(self, spectra: Sequence[torch.Tensor], N: int) -> torch.Tensor:
        """The transpose (on the active rows, the inverse) of :meth:`_analysis`: ``(N, n)``."""
        pieces: list[torch.Tensor] = []
        for li, L in enumerate(self.lengths):
            if self._fft(li):
                full = _placed(spectra[li].T / self._constant(li, spectra[li]), 1,
                               _buffer(self, f"fft_columns_{li}"), 2 * (L // 2 + 1))
                values = torch.fft.irfft(torch.view_as_complex(full.view(full.shape[0], L // 2 + 1, 2)), n=L, dim=-1,
                                         norm="ortho")
            else:
                values = torch.matmul(spectra[li].T, self._dft_matrix(li, spectra[li]))
            pieces.append(values.reshape(N, self.counts[li] * L))
        if self.in_place:
            return pieces[0]
        out = _placed(pieces[0], 1, _buffer(self, "positions_0"), self.n_features)
        for li in range(1, len(pieces)):
            out = out.index_add_(1, _buffer(self, f"positions_{li}"), pieces[li])   # (disjoint positions)
        return out

    def _split(self, spectra: Sequence[torch.Tensor]) -> dict[tuple[int, int], torch.Tensor]:
        """The spectra's rows by batch piece, ``(cycle length index, first row) -> rows``: one ``split``
        per cycle length (whose backward pass is one concatenation, where slices would each add a
        zero-filled copy of the spectrum)."""
        starts: list[list[tuple[int, int]]] = [[] for _ in self.lengths]
        for batch in self.batches:
            for li, start in batch.pieces:
                starts[li].append((start, batch.parts * len(batch.blocks)))
        out = {}
        for li, pieces in enumerate(starts):
            pieces.sort()
            for (start, _), rows in zip(pieces, spectra[li].split_with_sizes([size for _, size in pieces])):
                out[li, start] = rows
        return out

    def _coordinates(self, rows: dict[tuple[int, int], torch.Tensor], batch: _Batch) -> torch.Tensor:
        """The batch's block coordinates ``(blocks, parts * N, d)`` (``[Re ; Im]`` per block), from its
        rows of the spectra (:meth:`_split`): a view when the blocks come from one cycle length, else a
        concatenation."""
        B, parts = len(batch.blocks), batch.parts
        views = [rows[li, start].view(B, parts, -1, self.counts[li]).flatten(1, 2) for li, start in batch.pieces]
        return views[0] if len(views) == 1 else torch.cat(views, dim=2)

    def _codes(self, x: torch.Tensor, encoders: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The codes of every batch: ``(blocks, w, N)`` (real batches) or ``(blocks, 2w, 2N)`` (complex
        ones, the real form of :func:`_complex_code`): the Fourier analysis, then one ``bmm`` per batch."""
        rows = self._split(self._analysis(x))
        codes = []
        for g, (batch, weight) in enumerate(zip(self.batches, encoders)):
            product = torch.bmm(self._masked(weight, g, "encoder").transpose(1, 2),
                                self._coordinates(rows, batch).transpose(1, 2))
            codes.append(_complex_code(product, batch.width) if batch.complex else product)
        return codes

    def _outputs(self, codes: Sequence[torch.Tensor], decoders: Sequence[torch.Tensor], N: int) -> torch.Tensor:
        """The outputs ``(N, n)`` of the batches' codes: one ``bmm`` per batch and source cycle length
        gives its rows of that spectrum (``(blocks, parts * N, cycles)``, :meth:`_coordinates`' layout,
        contiguous: a view of the rows), the spectra are their rows in order, and one matrix product (or
        inverse FFT) per cycle length transforms them back."""
        rows: list[list[tuple[int, torch.Tensor]]] = [[] for _ in self.lengths]
        for g, (batch, code, weight) in enumerate(zip(self.batches, codes, decoders)):
            codeT, weight = code.transpose(1, 2), self._masked(weight, g, "decoder")
            B, column = len(batch.blocks), 0
            for li, start in batch.pieces:
                count = self.counts[li]
                part = weight if len(batch.pieces) == 1 else weight[:, :, column:column + count]
                values = torch.bmm(codeT, part).view(B, batch.parts, N, count)   # (explicit sizes: no
                rows[li].append((start, values.flatten(2).flatten(0, 1)))      # guards on symbolic N)
                column += count
        spectra = []
        for pieces in rows:
            pieces.sort(key=lambda piece: piece[0])
            spectra.append(pieces[0][1] if len(pieces) == 1 else torch.cat([p for _, p in pieces], dim=0))
        return self._synthesis(spectra, N)

    # -- what the module calls ---------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, encoders: Sequence[torch.Tensor],
                decoders: Sequence[torch.Tensor]) -> torch.Tensor:
        if not self.batches or x.shape[0] == 0:  # (the FFTs refuse empty batches)
            return x.new_zeros(x.shape)
        return self._outputs(self._codes(x, encoders), decoders, x.shape[0])

    def encode(self, x: torch.Tensor, encoders: Sequence[torch.Tensor], rank: int) -> torch.Tensor:
        N = x.shape[0]
        if not self.batches or N == 0:
            return x.new_zeros(N, rank)
        flat = []
        for batch, code in zip(self.batches, self._codes(x, encoders)):
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
        return self._outputs(codes, decoders, N)

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
