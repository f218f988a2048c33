"""PyTorch modules that realize the invariant and equivariant function spaces by weight sharing.

* :class:`DenseLinearAutoencoder` -- ``R^n -> R^r -> R^m``, function space ``M_{r, m x n}``.
* :class:`InvariantLinearAutoencoder` -- encoder ``W E_P`` (``W`` is ``r x k``, one weight column per
  orbit), dense decoder: function space ``I^G_{r, m x n}`` (``MATH.md`` section 3).
* :class:`EquivariantLinearAutoencoder` -- one irreducible component of ``E^sigma_r``: block-diagonal
  encoder and decoder in the basis ``Q_sigma`` (real blocks real, complex blocks complex, stored as real
  and imaginary parameter pairs); the forward pass runs FFTs along the cycles and never builds an
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
from equilin.invariant import InvariantVariety

__all__ = [
    "DenseLinearAutoencoder",
    "InvariantLinearAutoencoder",
    "EquivariantLinearAutoencoder",
    "train",
    "TrainingHistory",
]

_SQRT2 = math.sqrt(2.0)


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


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
        self.n_features = _check_int(n, "n", 1)
        self.rank = _check_int(r, "r", 1)
        self.n_outputs = self.n_features if m is None else _check_int(m, "m", 1)
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
        self.rank = _check_int(r, "r", 1)
        self.n_outputs = G.n if m is None else _check_int(m, "m", 1)
        variety = InvariantVariety(G, self.n_outputs, self.rank)
        self.k = variety.k
        labels = np.empty(G.n, dtype=np.int64)
        for i, block in enumerate(variety.partition):
            labels[list(block)] = i
        self.register_buffer("orbit_of", torch.from_numpy(labels), persistent=False)
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
    basis, FFT-based forward.

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
    (``2 d r_b`` parameters); a complex block has complex ones stored as real/imaginary pairs
    (``4 d r_b``). MNIST with ``r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ...)`` has 5,544 parameters.

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
        layout = self.variety.fourier_layout()
        self.lengths = [g.length for g in layout.cycle_groups]
        for g in layout.cycle_groups:
            self.register_buffer(f"cycles_{g.length}", torch.from_numpy(g.index), persistent=False)
        self.sources = layout.block_sources
        self.encoders = nn.ParameterList()
        self.decoders = nn.ParameterList()
        self.kinds = []
        for block, k in zip(self.variety.blocks, parsed):
            parts = 2 if block.kind == "complex" else 1
            bound = 1.0 / math.sqrt(max(block.size, 1))
            self.encoders.append(nn.Parameter(torch.empty(parts, block.size, k, dtype=dtype).uniform_(-bound, bound)))
            self.decoders.append(nn.Parameter(torch.empty(parts, k, block.size, dtype=dtype).uniform_(-bound, bound)))
            self.kinds.append(block.kind)

    # -- Fourier operators ------------------------------------------------------------------------
    def _cycles(self, length: int) -> torch.Tensor:
        return getattr(self, f"cycles_{length}")

    def to_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Block coordinates of row vectors, as :meth:`EquivariantVariety.to_blocks` (torch, differentiable)."""
        spectra = {}
        for length in self.lengths:
            idx = self._cycles(length)
            spectra[length] = torch.fft.rfft(x[:, idx], dim=-1, norm="ortho")
        out = []
        for kind, sources in zip(self.kinds, self.sources):
            pieces = [spectra[length][:, :, j] for length, j in sources]
            block = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
            out.append(block.real if kind == "real" else block * _SQRT2)
        return out

    def from_blocks(self, blocks: list[torch.Tensor]) -> torch.Tensor:
        """Row vectors with the given block coordinates (inverse of :meth:`to_blocks`)."""
        N = blocks[0].shape[0]
        ref = self._reference()
        complex_dtype = torch.complex128 if ref.dtype == torch.float64 else torch.complex64
        columns: dict[int, list[tuple[int, torch.Tensor]]] = {length: [] for length in self.lengths}
        for kind, values, sources in zip(self.kinds, blocks, self.sources):
            start = 0
            for length, j in sources:
                count = self._cycles(length).shape[0]
                piece = values[:, start:start + count]
                start += count
                columns[length].append((j, piece.to(complex_dtype) if kind == "real" else piece / _SQRT2))
        out = torch.zeros(N, self.n_features, dtype=ref.dtype, device=ref.device)
        for length in self.lengths:
            idx = self._cycles(length)
            slots = length // 2 + 1
            spectrum = torch.zeros(N, idx.shape[0], slots, dtype=complex_dtype, device=ref.device)
            if columns[length]:
                freqs = torch.tensor([j for j, _ in columns[length]], device=ref.device)
                spectrum = spectrum.index_copy(2, freqs, torch.stack([v for _, v in columns[length]], dim=2))
            values = torch.fft.irfft(spectrum, n=length, dim=-1, norm="ortho")
            out = out.index_copy(1, idx.reshape(-1), values.reshape(N, -1))
        return out

    def _weights(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        enc, dec = self.encoders[i], self.decoders[i]
        if self.kinds[i] == "complex":
            return torch.complex(enc[0], enc[1]), torch.complex(dec[0], dec[1])
        return enc[0], dec[0]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Real codes (``N x max_rank``); complex codes as interleaved ``(Re, Im)`` pairs."""
        codes = []
        for i, coords in enumerate(self.to_blocks(x)):
            enc, _ = self._weights(i)
            c = coords @ enc
            if self.kinds[i] == "complex":
                c = torch.stack([c.real, c.imag], dim=-1).reshape(c.shape[0], -1)
            codes.append(c)
        return torch.cat(codes, dim=1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        blocks, start = [], 0
        for i, k in enumerate(self.block_ranks):
            _, dec = self._weights(i)
            if self.kinds[i] == "complex":
                part = z[:, start:start + 2 * k].reshape(z.shape[0], k, 2)
                start += 2 * k
                blocks.append(torch.complex(part[..., 0], part[..., 1]) @ dec)
            else:
                blocks.append(z[:, start:start + k] @ dec)
                start += k
        return self.from_blocks(blocks)

    @classmethod
    def from_closed_form(cls, estimator: EquivariantAutoencoder,
                         dtype: torch.dtype = torch.float64) -> EquivariantLinearAutoencoder:
        """The module with the weights of a fitted :class:`equilin.fit.EquivariantAutoencoder`."""
        if not isinstance(estimator, EquivariantAutoencoder) or not hasattr(estimator, "block_encoders_"):
            raise ValueError("expected a fitted equilin.fit.EquivariantAutoencoder")
        module = cls(estimator.variety_.sigma, tuple(estimator.ranks_.values()), dtype=dtype)
        with torch.no_grad():
            for i, (enc, dec) in enumerate(zip(estimator.block_encoders_, estimator.block_decoders_)):
                if module.kinds[i] == "complex":
                    module.encoders[i].copy_(torch.from_numpy(np.stack([enc.real, enc.imag])))
                    module.decoders[i].copy_(torch.from_numpy(np.stack([dec.real, dec.imag])))
                else:
                    module.encoders[i].copy_(torch.from_numpy(np.real(enc)[None]))
                    module.decoders[i].copy_(torch.from_numpy(np.real(dec)[None]))
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

    epochs = _check_int(epochs, "epochs", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if patience is not None:
        patience = _check_int(patience, "patience", 1)
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
