"""PyTorch modules that realize the invariant and equivariant function spaces by weight sharing.

* :class:`DenseLinearAutoencoder` -- ``R^n -> R^r -> R^m``, function space ``M_{r, m x n}``.
* :class:`InvariantLinearAutoencoder` -- encoder ``W E_P`` (``W`` is ``r x k``, one weight column per
  orbit), dense decoder: function space ``I^G_{r, m x n}`` (``docs/math.md`` section 3).
* :class:`EquivariantLinearAutoencoder` -- one irreducible component of ``E^G_r`` for ANY permutation
  group: block-diagonal encoder and decoder in the adapted basis ``Q`` (one matrix over R, C or H per
  block), never an ``n x n`` matrix (``docs/math.md`` section 4, ``docs/equivariance.md``). Its
  ``kernel`` is the talk's Fourier transforms along the cycles for a cyclic group (real DFT matrices
  for cycles of length <= DFT_MATRIX_MAX_LENGTH, FFTs for longer ones, a hand-written backward pass),
  and for every other group a gather by orbit type and batched products per block shape (or FFTs for
  translation groups beyond ``DENSE_LIMIT`` points). :class:`IsotypicLinearAutoencoder` is the same
  class kept for older code (the block kernel even for a cyclic group).

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
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable

from equilin.equivariance import EquivariantVariety, choose_method
from equilin.geometry import COMPLEX, QUATERNIONIC, REAL
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import check_int
from equilin.geometry import InvariantVariety
from equilin.equivariance import DENSE_LIMIT, adjoint_basis
from equilin.geometry import field_units
from equilin.io import PersistentModule

__all__ = [
    "DenseLinearAutoencoder",
    "InvariantLinearAutoencoder",
    "EquivariantLinearAutoencoder",
    "IsotypicLinearAutoencoder",
    "train",
    "TrainingHistory",
]

_SQRT2 = math.sqrt(2.0)
DFT_MATRIX_MAX_LENGTH = 256
"""Cycles up to this length are transformed by real DFT matrices, longer ones by FFTs."""


class _LinearAutoencoder(PersistentModule, nn.Module):
    """Shared helpers: parameter count, dense function matrix, export to nn.Linear; ``save(path)`` /
    ``load(path, map_location)`` from :class:`equilin.persistence.PersistentModule`."""

    n_features: int
    n_outputs: int
    rank: int

    # -- persistence (the hooks of equilin.io.PersistentModule) ----------------------------------------
    def persistent_state(self) -> tuple[str, dict[str, np.ndarray]]:
        dtypes = {t.dtype for t in list(self.parameters()) + list(self.buffers()) if t.is_floating_point()}
        if len(dtypes) != 1:
            raise ValueError(f"its floating tensors have dtypes {sorted(map(str, dtypes))}, expected exactly one "
                             "(float32 or float64)")
        (dtype,) = dtypes
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype {dtype} cannot be stored; convert it with .double() or .float() first")
        state = {key: tensor.detach().cpu().numpy() for key, tensor in self.state_dict().items()}
        return str(dtype).removeprefix("torch."), state

    @classmethod
    def from_constructor_args(cls, args: dict[str, Any], dtype: str) -> Any:
        with torch.random.fork_rng(devices=[]):  # construction draws initial weights: leave the RNG as it was
            return cls(**args, dtype=getattr(torch, dtype))

    def load_persistent_state(self, state: dict[str, np.ndarray], training: bool) -> None:
        try:
            self.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
        except RuntimeError as exc:
            raise ValueError(str(exc)) from exc
        self.train(training)

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

    _renamed_params = {"r": "rank"}  # parameter names of files written before 0.2

    def __init__(self, n: int, rank: int, m: int | None = None, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.n_features = check_int(n, "n", 1)
        self.rank = check_int(rank, "rank", 1)
        self.n_outputs = self.n_features if m is None else check_int(m, "m", 1)
        self.encoder = nn.Linear(self.n_features, self.rank, bias=False, dtype=dtype)
        self.decoder = nn.Linear(self.rank, self.n_outputs, bias=False, dtype=dtype)

    def constructor_args(self) -> dict[str, Any]:
        return {"n": self.n_features, "rank": self.rank, "m": self.n_outputs}

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
    >>> InvariantLinearAutoencoder(sigma, rank=2, m=5).n_parameters()
    14
    """

    _renamed_params = {"r": "rank"}  # parameter names of files written before 0.2

    def __init__(self, group: PermutationGroup | Permutation, rank: int, m: int | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        G = as_group(group)
        self.group = G
        self.n_features = G.n
        self.rank = check_int(rank, "rank", 1)
        self.n_outputs = G.n if m is None else check_int(m, "m", 1)
        variety = InvariantVariety(G, self.n_outputs, self.rank)
        self.k = variety.k
        self.register_buffer("orbit_of", torch.from_numpy(variety.orbit_of), persistent=False)
        bound = 1.0 / math.sqrt(G.n)
        self.weight = nn.Parameter(torch.empty(self.rank, self.k, dtype=dtype).uniform_(-bound, bound))
        self.decoder = nn.Linear(self.rank, self.n_outputs, bias=False, dtype=dtype)

    def constructor_args(self) -> dict[str, Any]:
        return {"group": self.group, "rank": self.rank, "m": self.n_outputs}

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


class _Batch(NamedTuple):
    """Active blocks of one kind whose copies come from the same cycle lengths (so of one size),
    processed by one batched product. ``pieces`` lists, per source (cycle length, in the blocks' source order), the index of that length
    among the active lengths and the batch's first spectrum row there: the batch owns the rows
    ``start : start + parts * len(blocks)``, block by block (real part, then imaginary part)."""

    blocks: tuple[int, ...]
    complex: bool
    width: int
    pieces: tuple[tuple[int, int], ...]

    @property
    def parts(self) -> int:
        return 2 if self.complex else 1


def _dft_rows(length: int, rows: Sequence[tuple[int, int]]) -> np.ndarray:
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




class _CyclicKernel(nn.Module):
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

    def __init__(self, variety: EquivariantVariety, parsed: tuple[int, ...], dtype: torch.dtype) -> None:
        super().__init__()
        self.variety = variety
        self.n_features = variety.n
        blocks = variety.blocks
        layout = variety.fourier_layout()
        # every cycle group, for to_blocks / from_blocks
        self.all_lengths = [g.length for g in layout.cycle_groups]
        for i, g in enumerate(layout.cycle_groups):
            self.register_buffer(f"cycles_{i}", torch.from_numpy(g.index.ravel().copy()), persistent=False)
        self.block_sources = layout.block_sources
        # batches: the blocks of positive rank, keyed by field and source lengths
        keyed: dict[tuple[bool, tuple[int, ...]], list[int]] = {}
        for b in range(len(blocks)):
            if parsed[b] > 0:
                key = (blocks[b].field is COMPLEX, tuple(L for L, _ in layout.block_sources[b]))
                keyed.setdefault(key, []).append(b)
        self.lengths = sorted({L for _, sources in keyed for L in sources})
        group_of = {g.length: g for g in layout.cycle_groups}
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
        self._constants: list[np.ndarray] = []
        self._constant_cache: dict[tuple[int, torch.dtype, torch.device], torch.Tensor] = {}
        for li, L in enumerate(self.lengths):
            if self.use_fft[li]:  # which columns of view_as_real(rfft), and their sqrt(2) scales
                cols = [2 * j + part for j, part in rows[li]]
                scale = [1.0 if j == 0 or 2 * j == L else _SQRT2 for j, _ in rows[li]]
                self.register_buffer(f"fft_columns_{li}", torch.tensor(cols, dtype=torch.int64), persistent=False)
                self._constants.append(np.array(scale))
            else:
                self._constants.append(_dft_rows(L, rows[li]))
            self.register_buffer(f"positions_{li}", torch.from_numpy(group_of[L].index.ravel().copy()),
                                 persistent=False)
        # one cycle length covering 0..n-1 in order (e.g. image shifts): the signal is a view of x
        self.in_place = (len(self.lengths) == 1 and self.counts[0] * self.lengths[0] == self.n_features
                         and bool((group_of[self.lengths[0]].index.ravel() == np.arange(self.n_features)).all()))
        self._has_padding: list[bool] = []
        self._shapes: list[tuple[int, int, int]] = []
        gather: dict[int, list[int]] = {}
        offset = 0
        for g, batch in enumerate(self.batches):
            d, w, parts = blocks[batch.blocks[0]].size, batch.width, batch.parts
            mask = torch.zeros(len(batch.blocks), parts * w, dtype=dtype)
            for i, b in enumerate(batch.blocks):
                for p in range(parts):
                    mask[i, p * w:p * w + parsed[b]] = 1
                # public codes of block b: (Re, Im) interleaved for k = 0..r_b-1, see encode
                gather[b] = [offset + i * parts * w + k * parts + p for k in range(parsed[b]) for p in range(parts)]
            offset += len(batch.blocks) * parts * w
            self._has_padding.append(bool((mask == 0).any()))
            self._shapes.append((len(batch.blocks), d, parts * w))
            self.register_buffer(f"encoder_mask_{g}", mask[:, None, :], persistent=False)
            self.register_buffer(f"decoder_mask_{g}", mask[:, :, None], persistent=False)
        self.code_width = offset
        order = [k for b in range(len(blocks)) for k in gather.get(b, [])]
        self.register_buffer("code_gather", torch.tensor(order, dtype=torch.int64), persistent=False)

    def initial_weights(self, dtype: torch.dtype) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Uniform ``+-1/sqrt(d)`` encoders ``(blocks, d, parts w)`` and decoders ``(blocks, parts w, d)``,
        zero beyond each block's rank."""
        encoders, decoders = [], []
        for g, (B, d, width) in enumerate(self._shapes):
            bound = 1.0 / math.sqrt(d)
            encoder = torch.empty(B, d, width, dtype=dtype).uniform_(-bound, bound)
            decoder = torch.empty(B, width, d, dtype=dtype).uniform_(-bound, bound)
            encoders.append(encoder * getattr(self, f"encoder_mask_{g}"))   # masked entries start at zero
            decoders.append(decoder * getattr(self, f"decoder_mask_{g}"))
        return encoders, decoders

    # -- the steps of _Encode and _Decode --------------------------------------------------------------
    def _masked(self, weight: torch.Tensor, g: int, which: str) -> torch.Tensor:
        """``weight`` (or its gradient) with the entries beyond each block's rank zeroed."""
        return weight * getattr(self, f"{which}_mask_{g}") if self._has_padding[g] else weight

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
            signal = x.contiguous() if self.in_place else x.index_select(1, getattr(self, f"positions_{li}"))
            signal = signal.view(N * self.counts[li], L)
            if self.use_fft[li]:
                spectrum = torch.view_as_real(torch.fft.rfft(signal, dim=-1, norm="ortho")).reshape(signal.shape[0], 2 * (L // 2 + 1))
                rows = spectrum.index_select(1, getattr(self, f"fft_columns_{li}")) * self._constant(li, spectrum)
                out.append(rows.T.contiguous())
            else:
                out.append(torch.matmul(self._constant(li, signal), signal.T))
        return out

    def _synthesis(self, spectra: Sequence[torch.Tensor], N: int) -> torch.Tensor:
        """The transpose (on the active rows, the inverse) of :meth:`_analysis`: ``(N, n)``."""
        pieces = []
        for li, L in enumerate(self.lengths):
            if self.use_fft[li]:
                F = L // 2 + 1
                full = spectra[li].new_zeros(spectra[li].shape[1], 2 * F)
                full.index_copy_(1, getattr(self, f"fft_columns_{li}"), spectra[li].T / self._constant(li, full))
                values = torch.fft.irfft(torch.view_as_complex(full.view(full.shape[0], F, 2)), n=L, dim=-1, norm="ortho")
            else:
                values = torch.matmul(spectra[li].T, self._constant(li, spectra[li]))
            pieces.append(values.reshape(N, self.counts[li] * L))
        if self.in_place:
            return pieces[0]
        out = pieces[0].new_zeros(N, self.n_features)
        for li, values in enumerate(pieces):
            out.index_copy_(1, getattr(self, f"positions_{li}"), values)
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
        return _Decode.apply(self, *_Encode.apply(x, self, *encoders), *decoders)

    def encode(self, x: torch.Tensor, encoders: Sequence[torch.Tensor], rank: int) -> torch.Tensor:
        N = x.shape[0]
        if not self.batches or N == 0:
            return x.new_zeros(N, rank)
        flat = []
        for batch, code in zip(self.batches, _Encode.apply(x, self, *encoders)):
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
        return _Decode.apply(self, *codes, *decoders)

    def to_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        spectra = {L: torch.fft.rfft(x[:, getattr(self, f"cycles_{i}")].reshape(x.shape[0], -1, L), dim=-1,
                                     norm="ortho") for i, L in enumerate(self.all_lengths)}
        out = []
        for block, sources in zip(self.variety.blocks, self.block_sources):
            values = torch.cat([spectra[L][:, :, j] for L, j in sources], dim=1)
            out.append(values * _SQRT2 if block.field is COMPLEX else values.real)
        return out

    def from_blocks(self, blocks: Sequence[torch.Tensor], ref: torch.Tensor) -> torch.Tensor:
        N = blocks[0].shape[0]
        cdtype = torch.complex128 if ref.dtype == torch.float64 else torch.complex64
        spectra = {L: torch.zeros(N, getattr(self, f"cycles_{i}").numel() // L, L // 2 + 1, dtype=cdtype,
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
            out = out.index_copy(1, getattr(self, f"cycles_{i}"), values)
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


# -- any other group: the block kernel and its operators ---------------------------------------------
class _Permute(torch.autograd.Function):
    """``x.index_select(dim, perm)`` for a permutation ``perm`` whose backward is the gather by the inverse
    permutation (torch's own backward of ``index_select`` is a scatter-add, several times slower)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, dim: int, perm: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
        ctx.dim, ctx.inverse, ctx.perm = dim, inverse, perm
        return x.index_select(dim, perm)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        return _Permute.apply(grad, ctx.dim, ctx.inverse, ctx.perm), None, None, None


class _Operator(nn.Module):
    """What the block kernel needs of a coordinate operator: :meth:`coordinates` (``(N, n) -> (N, width)``,
    the active blocks' real coordinates in the group layout) and its adjoint :meth:`vectors`; the
    transposed forms (``(width, N)``) default to transposed views."""

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def coordinates_T(self, x: torch.Tensor) -> torch.Tensor:
        return self.coordinates(x).T

    def vectors_T(self, Yt: torch.Tensor) -> torch.Tensor:
        return self.vectors(Yt.T)


class _OrbitOperator(_Operator):
    """Block coordinates of the chosen blocks, orbit-wise, for :class:`_BlockKernel`: one
    gather of the input by orbit type, one product per type with the chosen blocks' columns of one
    orbit's basis, and one column permutation into the *group layout* (the blocks one after the other,
    each block's real coordinates copy-major, as :meth:`equilin.isotypic.BlockOperator.
    vectors_to_block_coordinates`); :meth:`vectors` is the adjoint (and inverse on the image).
    A transitive group needs no gather: its basis is stored in point order."""

    def __init__(self, decomposition: Any, blocks: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        bases = decomposition.orbit_type_bases()
        self._transitive = len(bases) == 1 and bases[0][0].shape[0] == 1
        gather, self._types = [], []
        where: dict[tuple[int, int], int] = {}      # (block, type) -> first entry in the products
        start = offset = 0
        for t, (points, basis, splits) in enumerate(bases):
            count, size = points.shape
            chosen = [i for i in blocks if splits[i + 1] > splits[i]]
            gather.append(points.ravel())
            width = sum(splits[i + 1] - splits[i] for i in chosen)
            if width:
                local = np.concatenate([basis[:, splits[i]:splits[i + 1]] for i in chosen], axis=1)
                if self._transitive:
                    local = local[np.argsort(points[0])]
                self.register_buffer(f"local_{t}", torch.from_numpy(np.ascontiguousarray(local)).to(dtype),
                                     persistent=False)
                column = 0
                for i in chosen:
                    where[i, t] = column
                    column += splits[i + 1] - splits[i]
            self._types.append((start, count, size, width))
            start += count * size
            offset += count * width
        index = []
        firsts = np.cumsum([0] + [count * width for _, count, _, width in self._types])
        for i in blocks:
            for t, (points, _, splits) in enumerate(bases):
                if (i, t) in where:
                    count, width, w = points.shape[0], self._types[t][3], splits[i + 1] - splits[i]
                    index.append((firsts[t] + np.arange(count)[:, None] * width + where[i, t]
                                  + np.arange(w)[None, :]).ravel())
        to_groups = np.concatenate(index).astype(np.int64) if index else np.zeros(0, dtype=np.int64)
        self._identity = bool(np.array_equal(to_groups, np.arange(to_groups.size)))
        self.register_buffer("_to_groups", torch.from_numpy(to_groups), persistent=False)
        self.register_buffer("_from_groups", torch.from_numpy(np.argsort(to_groups)), persistent=False)
        order = np.concatenate(gather)
        self.register_buffer("_gather", torch.from_numpy(order), persistent=False)
        self.register_buffer("_scatter", torch.from_numpy(np.argsort(order)), persistent=False)

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:
        N = x.shape[0]
        xg = x if self._transitive else x.index_select(1, self._gather)
        pieces = []
        for t, (start, count, size, width) in enumerate(self._types):
            if width:
                Y = xg[:, start:start + count * size].reshape(N, count, size) @ getattr(self, f"local_{t}")
                pieces.append(Y.reshape(N, count * width))
        Y = torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]
        return Y if self._identity else Y.index_select(1, self._to_groups)

    def coordinates_T(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`coordinates` transposed, ``(width, N)``, computed in that layout (one gather of the
        rows of ``x^T``, one product per orbit type batched over its orbits)."""
        if self._transitive:
            Yt = torch.mm(getattr(self, "local_0").T, x.T)        # (width, N), one product
            return Yt if self._identity else _Permute.apply(Yt, 0, self._to_groups, self._from_groups)
        N = x.shape[0]
        xg = _Permute.apply(x.T, 0, self._gather, self._scatter)  # (n, N), orbit after orbit
        pieces = []
        for t, (start, count, size, width) in enumerate(self._types):
            if width:
                X3 = xg[start:start + count * size].view(count, size, N)
                pieces.append(torch.matmul(getattr(self, f"local_{t}").T, X3).reshape(count * width, N))
        Yt = torch.cat(pieces, dim=0) if len(pieces) > 1 else pieces[0]
        return Yt if self._identity else _Permute.apply(Yt, 0, self._to_groups, self._from_groups)

    def vectors_T(self, Yt: torch.Tensor) -> torch.Tensor:
        """:meth:`vectors` of ``Yt^T`` (``Yt`` is ``(width, N)``), computed in that layout."""
        if not self._identity:
            Yt = _Permute.apply(Yt, 0, self._from_groups, self._to_groups)
        if self._transitive:
            return torch.mm(Yt.T, getattr(self, "local_0").T)     # (N, n), one product
        N = Yt.shape[1]
        pieces, used = [], 0
        for t, (start, count, size, width) in enumerate(self._types):
            if not width:
                pieces.append(Yt.new_zeros((count * size, N)))
                continue
            part = Yt[used:used + count * width].reshape(count, width, N)
            pieces.append(torch.matmul(getattr(self, f"local_{t}"), part).reshape(count * size, N))
            used += count * width
        return _Permute.apply(torch.cat(pieces, dim=0), 0, self._scatter, self._gather).T

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:
        N = Y.shape[0]
        if not self._identity:
            Y = Y.index_select(1, self._from_groups)
        pieces, used = [], 0
        for t, (start, count, size, width) in enumerate(self._types):
            if not width:
                pieces.append(Y.new_zeros((N, count * size)))
                continue
            part = Y[:, used:used + count * width].reshape(N, count, width)
            pieces.append((part @ getattr(self, f"local_{t}").T).reshape(N, count * size))
            used += count * width
        if self._transitive:
            return pieces[0]
        return torch.cat(pieces, dim=1).index_select(1, self._scatter)


class _FourierOperator(_Operator):
    """The same map as :class:`_OrbitOperator` for a product of cyclic groups on grids, by FFTs
    (``torch.fft.rfftn`` per grid shape, the twin of
    :class:`equilin.abelian_fourier.AbelianFourierDecomposition`): no dense basis, so any image or
    volume size. Complex coordinates ``w`` become the pairs ``(Re w, Im w)``; real blocks keep ``Re w``."""

    def __init__(self, decomposition: Any, blocks: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        real = {i: decomposition.blocks[i].field is REAL for i in blocks}
        self._types = []
        chosen_set = set(blocks)
        where: dict[tuple[int, int], tuple[int, int]] = {}    # (block, type) -> (first entry, position)
        first = 0
        gather = []
        for t, (reader, flat, ids) in enumerate(decomposition.fft_plan):
            count = flat.shape[0]
            chosen = [p for p, i in enumerate(ids.tolist()) if i in chosen_set]
            gather.append(flat.ravel())
            for q, p in enumerate(chosen):
                where[int(ids[p]), t] = (first, q)
            P = len(chosen)
            if P:
                sel = np.array(chosen, dtype=np.int64)
                conj = np.isin(sel, reader.conj)
                twin_rows = np.flatnonzero(np.isin(reader.twin_of, sel))
                twin_pos = np.searchsorted(sel, reader.twin_of[twin_rows])
                for name, value in (("read", reader.read[sel]), ("twin", reader.twin[twin_rows]),
                                    ("twin_of", twin_pos)):
                    self.register_buffer(f"{name}_{t}", torch.from_numpy(np.asarray(value, dtype=np.int64)),
                                         persistent=False)
                self.register_buffer(f"conj_{t}", torch.from_numpy(conj), persistent=False)
                self.register_buffer(f"scale_{t}", torch.from_numpy(reader.scale[sel]).to(dtype), persistent=False)
            self._types.append((count, reader.shape, reader.half, reader.size, P))
            first += count * P * 2
        index = []
        for i in blocks:
            for t, (count, _, _, _, P) in enumerate(self._types):
                if (i, t) in where:
                    start, q = where[i, t]
                    parts = np.arange(1 if real[i] else 2)
                    index.append((start + (np.arange(count)[:, None] * P + q) * 2 + parts[None, :]).ravel())
        self._width = first
        self.register_buffer("_to_groups", torch.from_numpy(np.concatenate(index).astype(np.int64)),
                             persistent=False)
        order = np.concatenate(gather)
        self.register_buffer("_gather", torch.from_numpy(order), persistent=False)
        self.register_buffer("_scatter", torch.from_numpy(np.argsort(order)), persistent=False)

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:
        N = x.shape[0]
        if N == 0:                        # torch's FFTs refuse empty batches
            return x.new_zeros((0, self._to_groups.numel()))
        xg = x.index_select(1, self._gather)
        pieces, start = [], 0
        for t, (count, shape, _, size, P) in enumerate(self._types):
            n_t = count * math.prod(shape)
            if P:
                G = xg[:, start:start + n_t].reshape((N, count) + shape)
                F = torch.fft.rfftn(G, dim=tuple(range(2, 2 + len(shape))), norm="ortho").reshape(N, count, size)
                W = F.index_select(2, getattr(self, f"read_{t}"))
                W = torch.where(getattr(self, f"conj_{t}"), W.conj(), W) * getattr(self, f"scale_{t}")
                pieces.append(torch.view_as_real(W).reshape(N, count * P * 2))
            start += n_t
        Y = torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]
        return Y.index_select(1, self._to_groups)

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:
        N = Y.shape[0]
        if N == 0:
            return Y.new_zeros((0, self._gather.numel()))
        full = Y.new_zeros((N, self._width)).index_copy(1, self._to_groups, Y)
        pieces, used = [], 0
        for t, (count, shape, half, size, P) in enumerate(self._types):
            if not P:
                pieces.append(Y.new_zeros((N, count * math.prod(shape))))
                continue
            V = torch.view_as_complex(full[:, used:used + count * P * 2].reshape(N, count, P, 2).contiguous())
            used += count * P * 2
            V = V / getattr(self, f"scale_{t}")
            V = torch.where(getattr(self, f"conj_{t}"), V.conj(), V)
            F = V.new_zeros((N, count, size)).index_copy(2, getattr(self, f"read_{t}"), V)
            twin = getattr(self, f"twin_{t}")
            if twin.numel():
                F = F.index_copy(2, twin, V.index_select(2, getattr(self, f"twin_of_{t}")).conj())
            values = torch.fft.irfftn(F.reshape((N, count) + half), s=shape,
                                      dim=tuple(range(2, 2 + len(shape))), norm="ortho")
            pieces.append(values.reshape(N, count * math.prod(shape)))
        return torch.cat(pieces, dim=1).index_select(1, self._scatter)


class _TorusOperator(_Operator):
    """The map of :class:`_OrbitOperator` for translations with a point group on a torus, by FFTs: the
    translations' :class:`_FourierOperator` on the translation blocks the chosen blocks use, then the
    signed regrouping of :class:`equilin.torus_fourier.TorusFourierDecomposition`."""

    def __init__(self, decomposition: Any, blocks: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        T = decomposition.translations
        index, sign = decomposition.regrouping
        columns = [index[a:a + decomposition.blocks[i].real_dim] for i, a in
                   ((i, decomposition.offsets[i]) for i in blocks)]
        signs = [sign[a:a + decomposition.blocks[i].real_dim] for i, a in
                 ((i, decomposition.offsets[i]) for i in blocks)]
        used = sorted({int(c) // 2 for cols in columns for c in cols})          # translation blocks
        self.fourier = _FourierOperator(T, used, dtype)
        start, where = 0, {}
        for i in used:                 # their coordinates in the Fourier operator's layout
            where[2 * i] = start
            if T.blocks[i].field is not REAL:
                where[2 * i + 1] = start + 1
            start += 1 if T.blocks[i].field is REAL else 2
        self._width = start
        picks = np.array([where[int(c)] for cols in columns for c in cols], dtype=np.int64)
        self.register_buffer("_picks", torch.from_numpy(picks), persistent=False)
        self.register_buffer("_signs", torch.from_numpy(np.concatenate(signs)).to(dtype), persistent=False)

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:
        return self.fourier.coordinates(x).index_select(1, self._picks) * self._signs

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:
        full = Y.new_zeros((Y.shape[0], self._width)).index_copy(1, self._picks, Y * self._signs)
        return self.fourier.vectors(full)



class _BlockKernel(nn.Module):
    """The block kernel of :class:`EquivariantLinearAutoencoder` for every other group (``method=
    "abelian"``, ``"torus"`` or ``"generic"``): per block, matrices over the block's field ``D`` (R, C
    or H), realized and repeated on the copies of the irreducible, in the adapted orthogonal basis.

    Active block ``j`` of rank ``k`` has an encoder of shape ``(dim_R D, k, m)`` and a decoder of
    shape ``(dim_R D, m, k)``: the real components of a ``D``-matrix (for ``H``: the coefficients of
    ``1, i, j, k``). The active blocks are grouped by (field, copies of the irreducible, rank,
    multiplicity, columns per orbit of every type); the blocks of one group share one parameter
    (``encoders[g]`` of shape ``(B, dim_R D, k, m)``) and one batched product (every frequency of a
    translation group falls into a few groups). The forward pass is ``x Q_b`` for the active blocks
    (:attr:`operator`), one batched product per group with the realized encoders (the ``delta /
    dim_R D`` copies of an irreducible folded into the batch), the realized decoders, and ``Q_b^T``.

    :attr:`operator` is :class:`_OrbitOperator` (a dense basis of one orbit per type, while orbits
    are small: BLAS beats torch's FFTs there), :class:`_FourierOperator` (abelian groups whose orbits
    exceed ``DENSE_LIMIT`` points) or :class:`_TorusOperator` (torus groups above ``DENSE_LIMIT``
    points). The kernel holds the structure (non-persistent buffers); the weights are the module's
    parameters, passed in."""

    def __init__(self, variety: EquivariantVariety, parsed: tuple[int, ...], dtype: torch.dtype) -> None:
        super().__init__()
        self.variety = variety
        self.block_ranks = parsed
        self.n_features = variety.n
        self.active = [i for i, k in enumerate(parsed) if k > 0]
        decomposition = variety.decomposition
        widths = decomposition.type_widths()
        keyed: dict[tuple[Any, ...], list[int]] = {}
        for j, i in enumerate(self.active):
            b = variety.blocks[i]
            keyed.setdefault((b.field_dim, b.weight // b.field_dim, parsed[i], b.size, widths[i]), []).append(j)
        self.groups = [(members, *key) for key, members in keyed.items()]
        """``(active positions, d, reps, k, m, per-type widths)`` per group of blocks, in plain ints."""
        self._place = {j: (g, position) for g, (members, *_) in enumerate(self.groups)
                       for position, j in enumerate(members)}
        blocks = [self.active[j] for members, *_ in self.groups for j in members]
        kind: Any = _OrbitOperator
        if variety.method == "abelian" and max(map(math.prod, decomposition.structure.shapes)) > DENSE_LIMIT:
            kind = _FourierOperator
        elif variety.method == "torus" and self.n_features > DENSE_LIMIT:
            kind = _TorusOperator
        self.operator = kind(decomposition, blocks, dtype) if blocks else None
        self._group_starts = np.cumsum([0] + [len(members) * m * d * reps for members, d, reps, _, m, _
                                              in self.groups]).tolist()
        # codes: group after group -> the order of the active blocks (and back)
        starts = np.cumsum([0] + [self._code_width(j) for j in range(len(self.active))])
        grouped = np.concatenate([np.arange(starts[j], starts[j + 1]) for members, *_ in self.groups
                                  for j in members] or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        self._identity_codes = bool(np.array_equal(grouped, np.arange(grouped.size)))
        self.register_buffer("_from_codes", torch.from_numpy(grouped), persistent=False)
        self.register_buffer("_to_codes", torch.from_numpy(np.argsort(grouped)), persistent=False)
        for g, (_, d, *_rest) in enumerate(self.groups):
            self.register_buffer(f"units_{g}", torch.from_numpy(field_units(d)).to(dtype), persistent=False)

    def initial_weights(self, dtype: torch.dtype) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Uniform ``+-1/sqrt(m dim_R D)`` encoders ``(B, d, k, m)`` and decoders ``(B, d, m, k)``."""
        encoders, decoders = [], []
        for members, d, _, k, m, _ in self.groups:
            bound = 1.0 / math.sqrt(m * d)
            encoders.append(torch.empty(len(members), d, k, m, dtype=dtype).uniform_(-bound, bound))
            decoders.append(torch.empty(len(members), d, m, k, dtype=dtype).uniform_(-bound, bound))
        return encoders, decoders

    def block_parameters(self, j: int, encoders: Sequence[torch.Tensor],
                         decoders: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        g, position = self._place[j]
        return encoders[g][position], decoders[g][position]

    def stack_legacy(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Turn the layout of equilin before block groups (one ``encoders.j`` / ``decoders.j`` per active
        block ``j``, 3-D) into the groups' stacked parameters, in place."""
        first = state_dict.get(f"{prefix}encoders.0")
        if first is None or first.ndim != 3:
            return
        for name in ("encoders", "decoders"):
            blocks = [state_dict.pop(f"{prefix}{name}.{j}") for j in range(len(self.active))
                      if f"{prefix}{name}.{j}" in state_dict]
            if len(blocks) == len(self.active):
                for g, (members, *_) in enumerate(self.groups):
                    state_dict[f"{prefix}{name}.{g}"] = torch.stack([blocks[j] for j in members])

    def _code_width(self, j: int) -> int:
        b = self.variety.blocks[self.active[j]]
        return (b.weight // b.field_dim) * self.block_ranks[self.active[j]] * b.field_dim

    def _coordinates(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(x Q_b)^T`` for every group of active blocks, as ``(B, m d, reps N)``: per block the ``m``
        coordinates over ``D`` (times ``d`` real parts) of each of the ``reps`` copies of every sample, the
        right-hand side of one batched product with the realized encoders."""
        Yt = self.operator.coordinates_T(x)                   # (width, N), blocks copy-major
        N = x.shape[0]
        out = []
        for g, (members, d, reps, k, m, _) in enumerate(self.groups):
            a, z = self._group_starts[g], self._group_starts[g + 1]
            part = Yt[a:z].reshape(len(members), m, reps, d, N)
            out.append(part.permute(0, 1, 3, 2, 4).reshape(len(members), m * d, reps * N))
        return out

    def _vectors(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """``sum_b coords_b Q_b^T`` (``N x n``) from the groups' ``(B, m d, reps N)``: the adjoint of
        :meth:`_coordinates`."""
        flat = []
        for (members, d, reps, k, m, _), part in zip(self.groups, parts):
            N = part.shape[2] // reps
            flat.append(part.reshape(len(members), m, d, reps, N).permute(0, 1, 3, 2, 4)
                        .reshape(len(members) * m * reps * d, N))
        return self.operator.vectors_T(torch.cat(flat, dim=0) if len(flat) > 1 else flat[0])

    def _realized(self, W: torch.Tensor, g: int) -> torch.Tensor:
        """``sum_t W[t] (x) units[t]`` for every block of group ``g``: ``(B, rows d, cols d)``."""
        B, d, rows, cols = W.shape
        if d == 1:
            return W.reshape(B, rows, cols)
        return torch.einsum("ztab,tuv->zaubv", W, getattr(self, f"units_{g}")).reshape(B, rows * d, cols * d)

    # -- what the module calls ---------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, encoders: Sequence[torch.Tensor],
                decoders: Sequence[torch.Tensor]) -> torch.Tensor:
        if not self.active:
            return x.new_zeros(x.shape)
        # the codes stay per group in between: the reshapes to the public code order cancel
        return self._outputs(self._codes(x, encoders), decoders)

    def _codes(self, x: torch.Tensor, encoders: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Per group the codes ``(B, k d, reps N)``: one batched product with the realized encoders."""
        return [torch.bmm(self._realized(encoders[g], g), part) for g, part in enumerate(self._coordinates(x))]

    def _outputs(self, codes: list[torch.Tensor], decoders: Sequence[torch.Tensor]) -> torch.Tensor:
        return self._vectors([torch.bmm(self._realized(decoders[g], g), code) for g, code in enumerate(codes)])

    def encode(self, x: torch.Tensor, encoders: Sequence[torch.Tensor], rank: int) -> torch.Tensor:
        N = x.shape[0]
        if not self.active:
            return x.new_zeros((N, rank))
        flat = []
        for (members, d, reps, k, m, _), code in zip(self.groups, self._codes(x, encoders)):
            code = code.reshape(len(members), k * d, reps, N).permute(3, 0, 2, 1)     # (N, B, reps, k d)
            flat.append(code.reshape(N, len(members) * reps * k * d))
        z = torch.cat(flat, dim=1) if len(flat) > 1 else flat[0]
        return z if self._identity_codes else z.index_select(1, self._to_codes)

    def decode(self, z: torch.Tensor, decoders: Sequence[torch.Tensor]) -> torch.Tensor:
        N = z.shape[0]
        if not self.active:
            return z.new_zeros((N, self.n_features))
        if not self._identity_codes:
            z = z.index_select(1, self._from_codes)
        codes, start = [], 0
        for members, d, reps, k, m, _ in self.groups:
            width = len(members) * reps * k * d
            part = z[:, start:start + width].reshape(N, len(members), reps, k * d).permute(1, 3, 2, 0)
            codes.append(part.reshape(len(members), k * d, reps * N))
            start += width
        return self._outputs(codes, decoders)

    def copy_closed_form(self, estimator: EquivariantAutoencoder, encoders: Sequence[torch.Tensor],
                         decoders: Sequence[torch.Tensor]) -> None:
        for j, i in enumerate(self.active):
            b = self.variety.blocks[i]
            enc, dec = estimator.block_encoders_[i], estimator.block_decoders_[i]
            # rows -> rows @ enc @ dec, i.e. the block operator Z = (enc dec)^T = dec^T enc^T
            left, right = dec.T, enc.T                                  # (vector, kk), (kk, vector)
            if b.field is QUATERNIONIC:  # factors in complex adjoint form: an adjoint basis
                basis = adjoint_basis(left)
                right = basis.conj().T @ left @ right
                left = basis
            encoder, decoder = self.block_parameters(j, encoders, decoders)
            decoder.copy_(torch.from_numpy(b.field.parts(left, tol=1e-8).copy()))
            encoder.copy_(torch.from_numpy(b.field.parts(right, tol=1e-8).copy()))


# -- the module ----------------------------------------------------------------------------------------
class EquivariantLinearAutoencoder(_LinearAutoencoder):
    """One irreducible component of ``E^G_r`` as a network, for ANY permutation group: encoder and
    decoder are block diagonal in the adapted orthogonal basis ``Q`` (``Q_sigma`` for a cyclic group),
    one matrix over the block's field (R, C or H) per block, and the forward pass never builds an
    ``n x n`` matrix.

    Parameters
    ----------
    group : PermutationGroup or Permutation
        Any permutation group (a permutation ``sigma`` stands for the cyclic group it generates).
    ranks : tuple of int or mapping
        The component's ranks over the blocks' fields, in block order (or ``{label: rank}``), see
        :meth:`equilin.equivariant.EquivariantVariety.component`.
    dtype : torch.float32 or torch.float64
    seed : int
        Seed of the orbit-wise isotypic decomposition (``method="generic"`` only).
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        The block decomposition, as for :class:`equilin.equivariant.EquivariantVariety` (``"auto"``
        decides by :func:`equilin.equivariant.choose_method`). Where several apply they give the same
        function space; ``"fourier"`` (a generator that generates the group) runs the talk's cyclic
        kernel: transforms along the cycles and a hand-written backward pass.

    Attributes
    ----------
    variety : EquivariantVariety
    component : EquivariantComponent
    block_ranks : tuple of int
    method : str
        The method that ran.
    kernel : nn.Module
        The structure of the forward pass (buffers only; :class:`_CyclicKernel` for ``"fourier"``,
        :class:`_BlockKernel` otherwise). The weights are :attr:`encoders` and :attr:`decoders`.

    Notes
    -----
    A block of multiplicity ``m`` over ``D`` with rank ``k`` has an encoder ``m x k`` and a decoder
    ``k x m`` over ``D``: ``2 dim_R(D) m k`` real parameters, so :meth:`n_parameters` is
    :attr:`~equilin.equivariant.EquivariantComponent.n_params`. MNIST with the talk's shift-x ranks
    ``r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ...)`` has 5,544 parameters. Blocks of one shape are batched
    into one parameter and one product (the layout of :attr:`encoders` differs between the kernels and
    is described there).

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> model = EquivariantLinearAutoencoder(image_shift(28, 28), (13, 10, 9, 8, 7, 5, 3, 1) + (0,) * 7)
    >>> model.method, model.n_parameters(), model.rank
    ('fourier', 5544, 99)
    >>> x = torch.rand(2, 784)
    >>> model(x).shape, model.encode(x).shape
    (torch.Size([2, 784]), torch.Size([2, 99]))
    >>> Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
    >>> model = EquivariantLinearAutoencoder(Q8, {"r_{V5}": 1}, dtype=torch.float64)
    >>> model.method, model.n_parameters(), model.rank, model.encode(torch.rand(3, 8, dtype=torch.float64)).shape
    ('generic', 8, 4, torch.Size([3, 4]))
    """

    def __init__(self, group: PermutationGroup | Permutation, ranks: Sequence[int] | Mapping[Any, int],
                 dtype: torch.dtype = torch.float32, *, seed: int = 0, method: str = "auto") -> None:
        super().__init__()
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.group = as_group(group)
        self.seed = check_int(seed, "seed", 0)
        self.variety = EquivariantVariety.for_ranks(self.group, ranks, method=method, seed=self.seed)
        self.method: str = self.variety.method
        parsed = self.variety.parse_ranks(ranks)
        self.component = self.variety.component(parsed)
        self.block_ranks = parsed
        self.n_features = self.n_outputs = self.variety.n
        self.rank = self.component.max_rank
        self.register_buffer("_anchor", torch.zeros(0, dtype=dtype), persistent=False)  # dtype and device
        kernel = _CyclicKernel if self.method == "fourier" else _BlockKernel
        self.kernel = kernel(self.variety, parsed, dtype)
        encoders, decoders = self.kernel.initial_weights(dtype)
        self.encoders = nn.ParameterList([nn.Parameter(w) for w in encoders])
        self.decoders = nn.ParameterList([nn.Parameter(w) for w in decoders])

    _renamed_params = {"sigma": "group"}  # the cyclic-only module of files written before 0.2

    def constructor_args(self) -> dict[str, Any]:
        return {"group": self.group, "ranks": tuple(int(k) for k in self.block_ranks), "seed": self.seed,
                "method": self.method}

    def _reference(self) -> torch.Tensor:
        return self._anchor

    def n_parameters(self) -> int:
        """Number of free real parameters: ``sum 2 dim_R(D) m k`` over the blocks."""
        return self.component.n_params

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.kernel(self._check_input(x), list(self.encoders), list(self.decoders))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Real codes (``N x max_rank``), block by block: the real coordinates of each block's code
        (complex codes of a cyclic group as interleaved ``(Re, Im)``)."""
        return self.kernel.encode(self._check_input(x), list(self.encoders), self.rank)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Outputs ``(N, n)`` of codes ``(N, max_rank)`` laid out as by :meth:`encode`."""
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.rank:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"codes must be a torch.Tensor of shape (N, {self.rank}), got {got}")
        return self.kernel.decode(z, list(self.decoders))

    def block_parameters(self, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder ``(d, k, m)`` and decoder ``(d, m, k)`` of active block ``j`` (views into the
        parameters of its group; not for ``method="fourier"``, whose layout :class:`_CyclicKernel`
        describes)."""
        self._require_blocks("block_parameters")
        return self.kernel.block_parameters(j, self.encoders, self.decoders)

    def to_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Block coordinates of row vectors, as :meth:`EquivariantVariety.to_blocks` (differentiable;
        ``method="fourier"`` only: on the other paths use the variety's numpy operator)."""
        self._require_fourier("to_blocks")
        return self.kernel.to_blocks(self._check_input(x))

    def from_blocks(self, blocks: list[torch.Tensor]) -> torch.Tensor:
        """Row vectors with the given block coordinates (inverse of :meth:`to_blocks`)."""
        self._require_fourier("from_blocks")
        return self.kernel.from_blocks(blocks, self._reference())

    def _require_fourier(self, what: str) -> None:
        if self.method != "fourier":
            raise ValueError(f"{what} is available for method='fourier' (a cyclic group); this module runs "
                             f"method={self.method!r}: use module.variety.{what} (numpy) instead")

    def _require_blocks(self, what: str) -> None:
        if self.method == "fourier":
            raise ValueError(f"{what} is not available for method='fourier', whose blocks are batched with "
                             "padding (see module.kernel.batches); build the module with another method")

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.kernel, _BlockKernel):         # files from before block groups
            self.kernel.stack_legacy(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @classmethod
    def from_closed_form(cls, estimator: EquivariantAutoencoder,
                         dtype: torch.dtype = torch.float64) -> EquivariantLinearAutoencoder:
        """The module computing the function of a fitted :class:`equilin.fit.EquivariantAutoencoder`
        (same group, method and component)."""
        if not isinstance(estimator, EquivariantAutoencoder) or not hasattr(estimator, "component_"):
            raise ValueError("expected a fitted equilin.fit.EquivariantAutoencoder")
        variety = estimator.variety_
        seed = variety.decomposition.seed if variety.method == "generic" else 0
        module = cls(variety.group, estimator.component_.ranks, dtype=dtype, seed=seed, method=variety.method)
        with torch.no_grad():
            module.kernel.copy_closed_form(estimator, module.encoders, module.decoders)
        return module


class IsotypicLinearAutoencoder(EquivariantLinearAutoencoder):
    """:class:`EquivariantLinearAutoencoder` on the block kernel, also for a cyclic group: the class of
    equilin before the two modules became one, kept so that code and saved files written for it keep
    working. ``method="auto"`` never picks ``"fourier"``; new code should use
    :class:`EquivariantLinearAutoencoder` (with ``method="generic"`` for the same result on a cyclic
    group).

    Examples
    --------
    >>> model = IsotypicLinearAutoencoder(Permutation.from_cycles("(1 2 3)", 3), (1, 0), dtype=torch.float64)
    >>> model.method
    'generic'
    """

    def __init__(self, group: PermutationGroup | Permutation, ranks: Sequence[int] | Mapping[Any, int],
                 dtype: torch.dtype = torch.float32, seed: int = 0, method: str = "auto") -> None:
        if method == "fourier":
            raise ValueError("IsotypicLinearAutoencoder runs the block kernel: method must be 'auto', "
                             "'abelian', 'torus' or 'generic'; use EquivariantLinearAutoencoder for 'fourier'")
        if method == "auto":
            chosen = choose_method(as_group(group)) if isinstance(group, (Permutation, PermutationGroup)) else "generic"
            method = "generic" if chosen == "fourier" else chosen
        super().__init__(group, ranks, dtype, seed=seed, method=method)


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
    if tensor.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {tuple(tensor.shape)})")
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
