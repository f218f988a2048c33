"""The base of the torch autoencoders: input checks, the dense function matrix, export to ``nn.Linear``,
the parameter count, and persistence (the hooks of :class:`equilin.io.PersistentModule`).
"""

from __future__ import annotations

from typing import Any, Self, cast

import torch
from numpy.typing import NDArray
from torch import nn

from equilin.io import PersistentModule

__all__: list[str] = []


class _LinearAutoencoder(PersistentModule, nn.Module):
    """The base of the torch autoencoders: parameter count, dense function matrix, export to
    ``nn.Linear``; ``save(path)`` / ``load(path, map_location)`` from :class:`equilin.io.PersistentModule`,
    whose hooks (:meth:`persistent_state`, :meth:`from_constructor_args`, :meth:`load_persistent_state`)
    are implemented here; subclasses give their :meth:`constructor_args` and :meth:`encode` /
    :meth:`decode`."""

    n_features: int
    n_outputs: int
    rank: int

    # -- persistence (the hooks of equilin.io.PersistentModule) ----------------------------------------
    def persistent_state(self) -> tuple[str, dict[str, NDArray[Any]]]:
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
    def from_constructor_args(cls, args: dict[str, Any], dtype: str) -> Self:
        with torch.random.fork_rng(devices=[]):  # construction draws initial weights: leave the RNG as it was
            return cls(**args, dtype=getattr(torch, dtype))

    def load_persistent_state(self, state: dict[str, NDArray[Any]], training: bool) -> None:
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
        """Codes ``(N, r')`` of row samples ``(N, n)``."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """Outputs ``(N, m)`` of codes ``(N, r')``."""
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


def _buffer(module: nn.Module, name: str) -> torch.Tensor:
    """The buffer ``module.<name>``, for buffers registered under computed names (``local_0``, ...):
    ``nn.Module.__getattr__`` is typed ``Tensor | Module``, and a buffer is always a tensor."""
    return cast(torch.Tensor, getattr(module, name))
