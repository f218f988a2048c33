"""PyTorch modules that realize the invariant and equivariant function spaces by weight sharing.

* :class:`DenseLinearAutoencoder` -- ``R^n -> R^r -> R^m``, function space ``M_{r, m x n}``.
* :class:`InvariantLinearAutoencoder` -- encoder ``W E_P`` (``W`` is ``r x k``, one weight column per
  orbit), dense decoder: function space ``I^G_{r, m x n}`` (``MATH.md`` section 3).
* :class:`EquivariantLinearAutoencoder` -- one irreducible component of ``E^sigma_r``: block-diagonal
  encoder and decoder in the basis ``Q_sigma`` (real blocks real, complex blocks complex, stored as real
  and imaginary parameter pairs); the forward pass transforms along the cycles (real DFT matrices
  for cycles of length <= DFT_MATRIX_MAX_LENGTH, FFTs for longer ones) and never builds an
  ``n x n`` matrix (``MATH.md`` section 4).

Every module maps a batch of row vectors ``(N, n)`` to ``(N, m)``, works in float32 or float64 and on any
device (``.to(device)``), and offers ``function_matrix()`` (small ``n``), ``n_parameters()``,
``from_closed_form(estimator)`` (copy the exact optimum from :mod:`equilin.fit`) and ``export()`` (a dense
``nn.Sequential`` of two bias-free ``nn.Linear`` layers, for deployment). :func:`train` fits any of them
with Adam.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from equilin.equivariant import EquivariantVariety
from equilin.fit import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import check_int
from equilin.invariant import InvariantVariety

__all__ = [
    "DenseLinearAutoencoder",
    "InvariantLinearAutoencoder",
    "EquivariantLinearAutoencoder",
    "train",
    "TrainingHistory",
]

_SQRT2 = math.sqrt(2.0)
DFT_MATRIX_MAX_LENGTH = 256
"""Cycles up to this length are transformed by real DFT matrices, longer ones by FFTs."""


class _LinearAutoencoder(nn.Module):
    """Shared helpers: parameter count, dense function matrix, export to nn.Linear."""

    n_features: int
    n_outputs: int
    rank: int

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"input must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"input must have shape (N, {self.n_features}), got {tuple(x.shape)}")
        return x

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(self._check_input(x)))

    def n_parameters(self) -> int:
        """Number of free real parameters."""
        return sum(p.numel() for p in self.parameters())

    def _reference(self) -> torch.Tensor:
        return next(self.parameters())

    @torch.no_grad()
    def function_matrix(self, limit: int = 4096) -> torch.Tensor:
        """The dense ``m x n`` function matrix (only for ``n <= limit``)."""
        if self.n_features > limit:
            raise ValueError(f"n = {self.n_features} > limit = {limit}; the function matrix would be dense")
        ref = self._reference()
        eye = torch.eye(self.n_features, dtype=ref.dtype, device=ref.device)
        return self.forward(eye).T

    @torch.no_grad()
    def export(self) -> nn.Sequential:
        """A plain ``nn.Sequential(nn.Linear(n, r'), nn.Linear(r', m))`` computing the same function
        (bias-free; ``r'`` is the code width), e.g. for deployment without equilin."""
        ref = self._reference()
        eye = torch.eye(self.n_features, dtype=ref.dtype, device=ref.device)
        encoder = self.encode(eye).T  # r' x n
        width = encoder.shape[0]
        decoder = self.decode(torch.eye(width, dtype=ref.dtype, device=ref.device)).T  # m x r'
        first = nn.Linear(self.n_features, width, bias=False, dtype=ref.dtype, device=ref.device)
        second = nn.Linear(width, self.n_outputs, bias=False, dtype=ref.dtype, device=ref.device)
        first.weight.copy_(encoder)
        second.weight.copy_(decoder)
        return nn.Sequential(first, second)


class DenseLinearAutoencoder(_LinearAutoencoder):
    """Dense ``R^n -> R^r -> R^m`` without bias: ``2 * 99 * 784 = 155,232`` parameters for MNIST.

    Examples
    --------
    >>> DenseLinearAutoencoder(784, 99).n_parameters()
    155232
    """

    def __init__(self, n: int, r: int, m: int | None = None, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.n_features = check_int(n, "n", 1)
        self.rank = check_int(r, "r", 1)
        self.n_outputs = self.n_features if m is None else check_int(m, "m", 1)
        self.encoder = nn.Linear(self.n_features, self.rank, bias=False, dtype=dtype)
        self.decoder = nn.Linear(self.rank, self.n_outputs, bias=False, dtype=dtype)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    @classmethod
    def from_closed_form(cls, estimator: DenseAutoencoder, dtype: torch.dtype = torch.float64) -> DenseLinearAutoencoder:
        """The module with the weights of a fitted :class:`equilin.fit.DenseAutoencoder`."""
        if not isinstance(estimator, DenseAutoencoder) or not hasattr(estimator, "components_"):
            raise ValueError("expected a fitted equilin.fit.DenseAutoencoder")
        module = cls(estimator.n_features_in_, estimator.rank, estimator.n_outputs_, dtype=dtype)
        with torch.no_grad():
            module.encoder.weight.copy_(torch.from_numpy(estimator.components_))
            module.decoder.weight.copy_(torch.from_numpy(estimator.decoder_))
        return module


class InvariantLinearAutoencoder(_LinearAutoencoder):
    """Invariant autoencoder: encoder ``W E_P`` shared along the orbits, dense decoder.

    ``r k + m r`` parameters; its function space is ``I^G_{r, m x n}``.

    Examples
    --------
    >>> sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    >>> InvariantLinearAutoencoder(sigma, r=2, m=5).n_parameters()
    14
    """

    def __init__(self, group: PermutationGroup | Permutation, r: int, m: int | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        G = as_group(group)
        self.group = G
        self.n_features = G.n
        self.rank = check_int(r, "r", 1)
        self.n_outputs = G.n if m is None else check_int(m, "m", 1)
        variety = InvariantVariety(G, self.n_outputs, self.rank)
        self.k = variety.k
        self.register_buffer("orbit_of", torch.from_numpy(variety.orbit_of), persistent=False)
        bound = 1.0 / math.sqrt(G.n)
        self.weight = nn.Parameter(torch.empty(self.rank, self.k, dtype=dtype).uniform_(-bound, bound))
        self.decoder = nn.Linear(self.rank, self.n_outputs, bias=False, dtype=dtype)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        sums = torch.zeros(x.shape[0], self.k, dtype=x.dtype, device=x.device).index_add_(1, self.orbit_of, x)
        return sums @ self.weight.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    @classmethod
    def from_closed_form(cls, estimator: InvariantAutoencoder,
                         dtype: torch.dtype = torch.float64) -> InvariantLinearAutoencoder:
        """The module with the weights of a fitted :class:`equilin.fit.InvariantAutoencoder`."""
        if not isinstance(estimator, InvariantAutoencoder) or not hasattr(estimator, "weights_"):
            raise ValueError("expected a fitted equilin.fit.InvariantAutoencoder")
        module = cls(estimator.variety_.group, estimator.rank, estimator.n_outputs_, dtype=dtype)
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(estimator.weights_))
            module.decoder.weight.copy_(torch.from_numpy(estimator.decoder_))
        return module


class EquivariantLinearAutoencoder(_LinearAutoencoder):
    """One component of ``E^sigma_r`` as a network: block-diagonal encoder/decoder in the ``Q_sigma``
    basis, Fourier transforms along the cycles in the forward pass.

    Parameters
    ----------
    sigma : Permutation or PermutationGroup (one generator)
    ranks : tuple of int or mapping
        The component's ranks in block order (or ``{label: rank}``), see
        :meth:`equilin.equivariant.EquivariantVariety.component`.
    dtype : torch.float32 or torch.float64

    Notes
    -----
    A real block ``b`` of size ``d`` and rank ``r_b`` has an encoder ``d x r_b`` and decoder ``r_b x d``
    (``2 d r_b`` parameters); a complex block has complex ones (``4 d r_b``). MNIST with
    ``r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ...)`` has 5,544 parameters.

    Implementation: one real DFT (a small matrix product, or an ``rfft`` for long cycles) per cycle
    length gives every block coordinate at once; blocks of equal size ``d`` are processed together by
    one batched real product (a complex weight acts on ``[Re | Im]`` as ``[[E_re, E_im], [-E_im, E_re]]``),
    their weights stored as tensors
    ``(blocks, d, max rank)`` whose entries outside a block's rank (and the imaginary parts of real
    blocks) are masked to zero. :meth:`n_parameters` counts the free entries only; the stored tensors
    also hold the masked padding, which never changes the function and gets zero gradient.

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> model = EquivariantLinearAutoencoder(image_shift(28, 28), (13, 10, 9, 8, 7, 5, 3, 1) + (0,) * 7)
    >>> model.n_parameters(), model.rank
    (5544, 99)
    """

    def __init__(self, sigma: Permutation | PermutationGroup, ranks: Sequence[int] | Mapping[Any, int],
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.variety = EquivariantVariety.for_ranks(sigma, ranks)
        parsed = self.variety.parse_ranks(ranks)
        self.component = self.variety.component(parsed)
        self.sigma = self.variety.sigma
        self.block_ranks = parsed
        self.n_features = self.n_outputs = self.variety.n
        self.rank = self.component.max_rank
        blocks = self.variety.blocks
        layout = self.variety.fourier_layout()
        # flat spectrum: the rfft bins of every cycle, group after group (length L: count x (L//2+1))
        self.lengths = [g.length for g in layout.cycle_groups]
        self.counts = [g.index.shape[0] for g in layout.cycle_groups]
        starts = np.cumsum([0] + [c * (L // 2 + 1) for c, L in zip(self.counts, self.lengths)])
        positions = np.concatenate([g.index.ravel() for g in layout.cycle_groups])
        self.register_buffer("positions", torch.from_numpy(positions), persistent=False)
        self.register_buffer("inverse_positions", torch.from_numpy(np.argsort(positions)), persistent=False)
        flat_of = {L: int(s) for L, s in zip(self.lengths, starts)}

        def bins(b: int) -> list[int]:  # flat spectrum index of every copy of block b, in copy order
            out: list[int] = []
            for L, j in layout.block_sources[b]:
                count, width = self.counts[self.lengths.index(L)], L // 2 + 1
                out.extend(flat_of[L] + c * width + j for c in range(count))
            return out

        # blocks of equal size are batched; the code is the concatenation over blocks in block order
        self.size_groups: list[tuple[int, ...]] = []
        for size in sorted({b.size for b in blocks}):
            self.size_groups.append(tuple(i for i, b in enumerate(blocks) if b.size == size))
        order = np.concatenate([bins(b) for group in self.size_groups for b in group])
        self.register_buffer("bin_order", torch.from_numpy(np.argsort(order)), persistent=False)
        self.encoders_re, self.encoders_im = nn.ParameterList(), nn.ParameterList()
        self.decoders_re, self.decoders_im = nn.ParameterList(), nn.ParameterList()
        code_index: dict[int, list[int]] = {}
        for g, group in enumerate(self.size_groups):
            d = blocks[group[0]].size
            width = max(1, max(parsed[b] for b in group))
            table = torch.tensor([bins(b) for b in group], dtype=torch.int64)
            mask_re = torch.zeros(len(group), 1, width, dtype=dtype)
            mask_im = torch.zeros(len(group), 1, width, dtype=dtype)
            for i, b in enumerate(group):
                mask_re[i, 0, :parsed[b]] = 1
                if blocks[b].kind == "complex":
                    mask_im[i, 0, :parsed[b]] = 1
                # codes of block b: positions in the flattened (N, blocks, re/im, width) code tensor
                base = i * width * 2
                parts = (0, 1) if blocks[b].kind == "complex" else (0,)
                code_index[b] = [base + p * width + k for k in range(parsed[b]) for p in parts]
            # block coordinates are sqrt(2) * rfft bins on complex blocks, the bins themselves on real ones
            scale = torch.tensor([[_SQRT2 if blocks[b].kind == "complex" else 1.0] for b in group], dtype=dtype)
            self.register_buffer(f"table_{g}", table, persistent=False)
            self.register_buffer(f"mask_re_{g}", mask_re, persistent=False)
            self.register_buffer(f"mask_im_{g}", mask_im, persistent=False)
            self.register_buffer(f"scale_{g}", scale, persistent=False)
            bound = 1.0 / math.sqrt(d)
            for plist, shape in [(self.encoders_re, (len(group), d, width)), (self.encoders_im, (len(group), d, width)),
                                 (self.decoders_re, (len(group), width, d)), (self.decoders_im, (len(group), width, d))]:
                plist.append(nn.Parameter(torch.empty(shape, dtype=dtype).uniform_(-bound, bound)))
            with torch.no_grad():  # padding and imaginary parts of real blocks start (and stay) inert
                self.encoders_re[g].mul_(mask_re)
                self.encoders_im[g].mul_(mask_im)
                self.decoders_re[g].mul_(mask_re.transpose(1, 2))
                self.decoders_im[g].mul_(mask_im.transpose(1, 2))
        offsets = np.cumsum([0] + [len(g) * 2 * max(1, max(parsed[b] for b in g)) for g in self.size_groups])
        self.group_offsets = [int(o) for o in offsets]
        gather = []
        for b in range(len(blocks)):
            g = next(i for i, group in enumerate(self.size_groups) if b in group)
            gather.extend(self.group_offsets[g] + k for k in code_index[b])
        self.register_buffer("code_gather", torch.tensor(gather, dtype=torch.int64), persistent=False)
        self._dft_cache: dict[tuple[int, torch.dtype, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}
        # Fast path (e.g. image shifts: all cycles of one length, all blocks of one size): block b is
        # frequency j_b of every cycle, so the coordinates are a transpose of the spectrum, no gather.
        self.contiguous_positions = bool((positions == np.arange(positions.size)).all())
        self.uniform = len(self.lengths) == 1 and len(self.size_groups) == 1
        if self.uniform:
            width = self.lengths[0] // 2 + 1
            table = getattr(self, "table_0").numpy()
            # blocks come by increasing spatial frequency, so block b is frequency b of every cycle
            expected = np.arange(table.shape[0])[:, None] + width * np.arange(table.shape[1])
            self.uniform = table.shape[0] == width and bool((table == expected).all())

    def n_parameters(self) -> int:
        """Number of free real parameters (``2 d r`` per real and ``4 d r`` per complex block)."""
        total = 0
        for g in range(len(self.size_groups)):
            d = self.encoders_re[g].shape[1]
            masks = getattr(self, f"mask_re_{g}").sum() + getattr(self, f"mask_im_{g}").sum()
            total += 2 * d * int(masks)
        return total

    # -- Fourier operators ------------------------------------------------------------------------
    def _dft(self, L: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """For short cycles, the rfft (``L x 2F``) and irfft (``2F x L``) as real matrices: a small
        matrix product is faster than an FFT on the CPU. ``None`` (use FFTs) for long cycles."""
        if L > DFT_MATRIX_MAX_LENGTH:
            return None
        ref = self._reference()
        key = (L, ref.dtype, ref.device)
        if key not in self._dft_cache:
            eye = torch.eye(L, dtype=ref.dtype, device=ref.device)
            forward = torch.view_as_real(torch.fft.rfft(eye, dim=-1, norm="ortho")).reshape(L, -1)
            F = L // 2 + 1
            unit = torch.eye(2 * F, dtype=ref.dtype, device=ref.device).reshape(2 * F, F, 2)
            inverse = torch.fft.irfft(torch.view_as_complex(unit), n=L, dim=-1, norm="ortho")
            self._dft_cache[key] = (forward, inverse)
        return self._dft_cache[key]

    def _spectra(self, x: torch.Tensor) -> list[torch.Tensor]:
        """rfft (norm="ortho") of every cycle as real pairs: one ``(N, count, L//2+1, 2)`` tensor per
        cycle length (``[..., 0]`` real, ``[..., 1]`` imaginary parts)."""
        values = x if self.contiguous_positions else x[:, self.positions]
        pieces, start = [], 0
        for L, count in zip(self.lengths, self.counts):
            chunk = values[:, start:start + count * L].reshape(x.shape[0], count, L)
            dft = self._dft(L)
            if dft is None:
                pieces.append(torch.view_as_real(torch.fft.rfft(chunk, dim=-1, norm="ortho")))
            else:
                pieces.append((chunk @ dft[0]).reshape(x.shape[0], count, L // 2 + 1, 2))
            start += count * L
        return pieces

    def _signal(self, spectra: list[torch.Tensor]) -> torch.Tensor:
        """Inverse of :meth:`_spectra` (imaginary parts of the real bins 0 and L/2 are ignored, as by
        ``irfft``)."""
        N = spectra[0].shape[0]
        pieces = []
        for chunk, L in zip(spectra, self.lengths):
            dft = self._dft(L)
            if dft is None:
                values = torch.fft.irfft(torch.view_as_complex(chunk.contiguous()), n=L, dim=-1, norm="ortho")
            else:
                values = chunk.reshape(N, chunk.shape[1], -1) @ dft[1]
            pieces.append(values.reshape(N, -1))
        values = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
        return values if self.contiguous_positions else values[:, self.inverse_positions]

    def _bins(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Per size group, the rfft bins of the blocks' copies as ``(blocks, N, 2d)`` real tensors:
        real parts of the ``d`` copies, then imaginary parts (unscaled). Blocks lead, so the batched
        products need no further copies."""
        N = x.shape[0]
        spectra = self._spectra(x)
        if self.uniform:  # (N, count, F, 2) -> (F, N, 2, count): block b is frequency b
            return [spectra[0].permute(2, 0, 3, 1).reshape(spectra[0].shape[2], N, -1)]
        flat = torch.cat([s.reshape(N, -1, 2) for s in spectra], dim=1)
        out = []
        for g in range(len(self.size_groups)):
            table = getattr(self, f"table_{g}")
            out.append(flat[:, table].permute(1, 0, 3, 2).reshape(table.shape[0], N, -1))
        return out

    def _from_bins(self, bins: list[torch.Tensor]) -> torch.Tensor:
        """Inverse of :meth:`_bins`."""
        N = bins[0].shape[1]
        if self.uniform:
            F = bins[0].shape[0]
            return self._signal([bins[0].reshape(F, N, 2, -1).permute(1, 3, 0, 2)])
        flat = [b.reshape(b.shape[0], N, 2, -1).permute(1, 0, 3, 2).reshape(N, -1, 2) for b in bins]
        spectrum = (flat[0] if len(flat) == 1 else torch.cat(flat, dim=1))[:, self.bin_order]
        spectra, start = [], 0
        for L, count in zip(self.lengths, self.counts):
            width = L // 2 + 1
            spectra.append(spectrum[:, start:start + count * width].reshape(N, count, width, 2))
            start += count * width
        return self._signal(spectra)

    def to_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Block coordinates of row vectors, as :meth:`EquivariantVariety.to_blocks` (differentiable)."""
        bins = self._bins(self._check_input(x))
        out: list[torch.Tensor] = [torch.empty(0)] * len(self.block_ranks)
        for g, group in enumerate(self.size_groups):
            d = bins[g].shape[2] // 2
            for i, b in enumerate(group):
                re, im = bins[g][i, :, :d], bins[g][i, :, d:]
                out[b] = torch.complex(re, im) * _SQRT2 if self.variety.blocks[b].kind == "complex" else re
        return out

    def from_blocks(self, blocks: list[torch.Tensor]) -> torch.Tensor:
        """Row vectors with the given block coordinates (inverse of :meth:`to_blocks`)."""
        dtype = self._reference().dtype
        bins = []
        for group in self.size_groups:
            values = []
            for b in group:
                if self.variety.blocks[b].kind == "complex":
                    c = blocks[b] / _SQRT2
                    values.append(torch.cat([c.real, c.imag], dim=1).to(dtype))
                else:
                    values.append(torch.cat([blocks[b].real, torch.zeros_like(blocks[b].real)], dim=1).to(dtype))
            bins.append(torch.stack(values, dim=0))
        return self._from_bins(bins)

    def _weights(self, g: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Real forms of the complex weights, acting on ``[Re | Im]`` stacked coordinates: the encoder
        ``[[E_re, E_im], [-E_im, E_re]]`` (``(blocks, 2d, 2 width)``, the coordinate scale folded in)
        and likewise the decoder."""
        mask_re, mask_im = getattr(self, f"mask_re_{g}"), getattr(self, f"mask_im_{g}")
        scale = getattr(self, f"scale_{g}")[:, :, None]
        e_re, e_im = self.encoders_re[g] * mask_re * scale, self.encoders_im[g] * mask_im * scale
        mask_re_t, mask_im_t = mask_re.transpose(1, 2), mask_im.transpose(1, 2)
        d_re, d_im = self.decoders_re[g] * mask_re_t / scale, self.decoders_im[g] * mask_im_t / scale
        enc = torch.cat([torch.cat([e_re, e_im], dim=2), torch.cat([-e_im, e_re], dim=2)], dim=1)
        dec = torch.cat([torch.cat([d_re, d_im], dim=2), torch.cat([-d_im, d_re], dim=2)], dim=1)
        return enc, dec

    def _codes(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Per size group, ``(blocks, N, 2 width)``: real parts of the codes, then imaginary parts."""
        return [torch.bmm(bins, self._weights(g)[0]) for g, bins in enumerate(self._bins(x))]

    def _decode_codes(self, codes: list[torch.Tensor]) -> torch.Tensor:
        return self._from_bins([torch.bmm(code, self._weights(g)[1]) for g, code in enumerate(codes)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._decode_codes(self._codes(self._check_input(x)))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Real codes (``N x max_rank``): block by block, complex codes as interleaved ``(Re, Im)``."""
        flat = [c.transpose(0, 1).reshape(x.shape[0], -1) for c in self._codes(x)]
        return (flat[0] if len(flat) == 1 else torch.cat(flat, dim=1))[:, self.code_gather]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        N = z.shape[0]
        flat = torch.zeros(N, self.group_offsets[-1], dtype=z.dtype, device=z.device)
        flat = flat.index_copy(1, self.code_gather, z)
        codes = [flat[:, self.group_offsets[g]:self.group_offsets[g + 1]].reshape(N, len(group), -1)
                 .transpose(0, 1) for g, group in enumerate(self.size_groups)]
        return self._decode_codes(codes)

    @classmethod
    def from_closed_form(cls, estimator: EquivariantAutoencoder,
                         dtype: torch.dtype = torch.float64) -> EquivariantLinearAutoencoder:
        """The module with the weights of a fitted :class:`equilin.fit.EquivariantAutoencoder`."""
        if not isinstance(estimator, EquivariantAutoencoder) or not hasattr(estimator, "block_encoders_"):
            raise ValueError("expected a fitted equilin.fit.EquivariantAutoencoder")
        module = cls(estimator.variety_.sigma, tuple(estimator.ranks_.values()), dtype=dtype)
        with torch.no_grad():
            for g, group in enumerate(module.size_groups):
                for i, b in enumerate(group):
                    enc = np.asarray(estimator.block_encoders_[b])
                    dec = np.asarray(estimator.block_decoders_[b])
                    k = enc.shape[1]
                    for param, value in [(module.encoders_re[g][i, :, :k], enc.real),
                                         (module.encoders_im[g][i, :, :k], np.imag(enc)),
                                         (module.decoders_re[g][i, :k, :], dec.real),
                                         (module.decoders_im[g][i, :k, :], np.imag(dec))]:
                        param.copy_(torch.from_numpy(np.array(value, dtype=np.float64)))
        return module


# -- training -------------------------------------------------------------------------------------
class TrainingHistory(dict):
    """``{"train_loss": [...], "val_loss": [...], "best_epoch": int, "stopped_early": bool}``;
    losses are mean squared errors per entry, one value per epoch."""


def _as_tensor(data: Any, name: str, like: torch.Tensor) -> torch.Tensor:
    if isinstance(data, torch.Tensor):
        tensor = data
    else:
        arr = np.asarray(data)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(arr))
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return tensor.to(dtype=like.dtype, device=like.device)


def train(model: nn.Module, X: Any, Y: Any = None, *, epochs: int = 20, batch_size: int = 256,
          lr: float = 1e-3, seed: int = 0, validation: tuple[Any, Any] | Any | None = None,
          patience: int | None = None, progress: bool = True) -> TrainingHistory:
    """Train a module with Adam on the mean squared error ``||f(X) - Y||^2 / (N m)``.

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, n)`` to ``(N, m)``.
    X, Y : array_like or Tensor
        Row samples; ``Y = None`` trains an autoencoder.
    epochs, batch_size, lr, seed
        Adam over shuffled mini-batches; ``seed`` fixes the shuffling (and nothing else: initialize the
        model under ``torch.manual_seed`` for a reproducible start).
    validation : (X_val, Y_val) or X_val, optional
        Evaluated after every epoch; with ``patience`` the best epoch's weights are restored after
        ``patience`` epochs without improvement.
    progress : bool
        Show a tqdm progress bar over epochs.

    Returns
    -------
    TrainingHistory
    """
    from tqdm.auto import tqdm

    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if patience is not None:
        patience = check_int(patience, "patience", 1)
        if validation is None:
            raise ValueError("patience (early stopping) needs validation data")
    ref = next(model.parameters())
    Xt = _as_tensor(X, "X", ref)
    Yt = Xt if Y is None else _as_tensor(Y, "Y", ref)
    if Yt.shape[0] != Xt.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {Xt.shape[0]} and {Yt.shape[0]}")
    if validation is not None:
        Xv_raw, Yv_raw = validation if isinstance(validation, tuple) else (validation, None)
        Xv = _as_tensor(Xv_raw, "validation X", ref)
        Yv = Xv if Yv_raw is None else _as_tensor(Yv_raw, "validation Y", ref)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = TrainingHistory(train_loss=[], val_loss=[], best_epoch=-1, stopped_early=False)
    best, best_state, waited = math.inf, None, 0
    bar = tqdm(range(epochs), desc=f"training {type(model).__name__}", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        order = torch.randperm(Xt.shape[0], generator=generator).to(ref.device)
        total = 0.0
        for start in range(0, Xt.shape[0], batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = torch.mean((model(Xt[batch]) - Yt[batch]) ** 2)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * batch.numel()
        history["train_loss"].append(total / Xt.shape[0])
        if validation is not None:
            model.eval()
            with torch.no_grad():
                val = float(torch.mean((model(Xv) - Yv) ** 2))
            history["val_loss"].append(val)
            bar.set_postfix(train=f"{history['train_loss'][-1]:.5f}", val=f"{val:.5f}")
            if val < best:
                best, waited, history["best_epoch"] = val, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            elif patience is not None:
                waited += 1
                if waited >= patience:
                    history["stopped_early"] = True
                    break
        else:
            bar.set_postfix(train=f"{history['train_loss'][-1]:.5f}")
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history
