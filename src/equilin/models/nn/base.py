"""The base of the torch modules: input checks, the dense function matrix, export to ``nn.Linear``, the
parameter count, persistence (the hooks of :class:`equilin.io.PersistentModule`), and the structural
buffers of every module (:class:`_Structured`).

Structural buffers -- index maps, orbit bases, DFT masks, the sharing labels of a deep network -- are
computed from the group at construction and are not part of the ``state_dict`` (non-persistent): the
``state_dict`` holds the weights only, as in the files of :mod:`equilin.io` (format version 4). Each
module keeps a host copy (numpy, float64 for real values) of every structural buffer and rebuilds the
buffer from it whenever a conversion replaces it (:meth:`_Structured._apply`): ``to_empty`` (the
meta-device initialization pattern), ``.to(device)`` and ``.to(dtype)`` (a float32 module moved to
float64 gets exact float64 bases, not float32 roundings). So after ``module.to_empty(device=...)`` the
structure is right and ``load_state_dict`` supplies the weights; a module built under
``torch.device("meta")`` and loaded with ``load_state_dict(..., assign=True)`` gets its structure on the
device of the assigned weights. The modules compute in float32 or float64 only (other dtypes are refused
at construction and at the forward pass).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self, cast

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from equilin.io import PersistentModule

__all__: list[str] = []

_DTYPES = (torch.float32, torch.float64)


def _check_dtype(dtype: Any) -> torch.dtype:
    """``dtype`` if it is torch.float32 or torch.float64 (the dtypes the modules compute in)."""
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r} (equilin's modules "
                         "compute in float32 or float64; export() gives plain nn.Linear layers for other dtypes)")
    return cast(torch.dtype, dtype)


def _check_module_dtype(module: nn.Module, ref: torch.Tensor, x: torch.Tensor) -> None:
    """Refuse a module converted to a dtype it does not compute in, and an input of another dtype."""
    if ref.dtype not in _DTYPES:
        raise ValueError(f"this {type(module).__name__} is in {ref.dtype}; equilin's modules compute in "
                         "float32 or float64: convert it with .float() or .double()")
    if x.dtype != ref.dtype:
        raise ValueError(f"input dtype {x.dtype} differs from the module's {ref.dtype}: convert the input "
                         f"with x.to({ref.dtype}) or the module with .to({x.dtype})")


class _Structured(nn.Module):
    """A module with structural buffers (module docstring of :mod:`equilin.models.nn.base`): registered
    by :meth:`_register_structure` (non-persistent, with a host copy) and rebuilt from the host copy
    whenever a conversion (``to_empty``, ``.to``, ``.double()``, ...) replaces them, or when
    ``load_state_dict(..., assign=True)`` leaves them on the meta device behind real weights."""

    def __init__(self) -> None:
        super().__init__()
        self._host: dict[str, NDArray[Any]] = {}
        self.register_load_state_dict_post_hook(_materialize_after_load)  # type: ignore[no-untyped-call]

    def _register_structure(self, name: str, array: NDArray[Any], dtype: torch.dtype | None = None) -> None:
        """Register ``array`` as the non-persistent buffer ``name`` on the default device (the meta device
        under ``with torch.device("meta")``), in ``dtype`` (default: the array's)."""
        host = np.array(array)                                   # owned and writable, for torch.from_numpy
        self._host[name] = host
        tensor = torch.from_numpy(host).to(device=torch.get_default_device(), dtype=dtype)
        self.register_buffer(name, tensor, persistent=False)

    def _rebuild(self, name: str, like: torch.Tensor) -> None:
        self._buffers[name] = torch.from_numpy(self._host[name]).to(dtype=like.dtype, device=like.device)

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> Self:
        host = self.__dict__.get("_host", {})
        before = {name: self._buffers.get(name) for name in host}
        super()._apply(fn, recurse)  # type: ignore[no-untyped-call]
        for name in host:
            now = self._buffers.get(name)
            if now is not None and now is not before[name] and now.device.type != "meta":
                self._rebuild(name, now)         # to_empty leaves garbage; a cast from float32 loses digits
        return self


def _materialize_after_load(module: nn.Module, incompatible_keys: Any) -> None:
    """After ``load_state_dict(..., assign=True)`` into a module built on the meta device: the structural
    buffers still on the meta device go to the device (and floating dtype) of the loaded weights."""
    weights = [p for p in module.parameters() if p.device.type != "meta" and p.is_floating_point()]
    if not weights:
        return
    device, dtype = weights[0].device, weights[0].dtype
    for sub in module.modules():
        if isinstance(sub, _Structured):
            for name in sub.__dict__.get("_host", {}):
                buf = sub._buffers.get(name)
                if buf is not None and buf.device.type == "meta":
                    sub._rebuild(name, torch.empty(0, device=device,
                                                   dtype=dtype if buf.is_floating_point() else buf.dtype))


class _LinearAutoencoder(PersistentModule, _Structured):
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
            return cls(**args, dtype=getattr(torch, dtype))  # type: ignore[call-arg]

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
        _check_module_dtype(self, self._reference(), x)
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
