"""The dense torch autoencoder ``R^n -> R^r -> R^m`` without bias (function space ``M_{r, m x n}``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from equilin.models.closed_form import DenseAutoencoder, DenseRegressor
from equilin.models.nn.base import _check_dtype, _LinearAutoencoder
from equilin.validation import check_int

__all__ = ["DenseLinearAutoencoder"]


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
        dtype = _check_dtype(dtype)
        self.encoder = nn.Linear(self.n_features, self.rank, bias=False, dtype=dtype)
        self.decoder = nn.Linear(self.rank, self.n_outputs, bias=False, dtype=dtype)

    def constructor_args(self) -> dict[str, Any]:
        return {"n": self.n_features, "rank": self.rank, "m": self.n_outputs}

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.encoder(x)
        return out

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(z)
        return out

    @classmethod
    def from_closed_form(cls, estimator: DenseAutoencoder | DenseRegressor,
                         dtype: torch.dtype = torch.float64) -> DenseLinearAutoencoder:
        """The module with the weights of a fitted :class:`equilin.models.DenseAutoencoder`."""
        if not isinstance(estimator, (DenseAutoencoder, DenseRegressor)) or not hasattr(estimator, "components_"):
            raise ValueError("expected a fitted equilin.models.DenseAutoencoder or DenseRegressor")
        module = cls(estimator.n_features_in_, estimator.rank, estimator.n_outputs_, dtype=dtype)
        with torch.no_grad():
            module.encoder.weight.copy_(torch.from_numpy(estimator.components_))
            module.decoder.weight.copy_(torch.from_numpy(estimator.decoder_))
        return module
