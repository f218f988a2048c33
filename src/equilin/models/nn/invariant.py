"""The invariant torch autoencoder: encoder ``W E_P`` (``W`` is ``r x k``, one weight column per orbit),
dense decoder; function space ``I^G_{r, m x n}`` (``docs/math.md`` section 3).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.models.closed_form import InvariantAutoencoder, InvariantRegressor
from equilin.models.nn.base import _check_dtype, _LinearAutoencoder
from equilin.validation import check_int

__all__ = ["InvariantLinearAutoencoder"]


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
    orbit_of: torch.Tensor

    def __init__(self, group: PermutationGroup | Permutation, rank: int, m: int | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        dtype = _check_dtype(dtype)
        G = as_group(group)
        self.group = G
        self.n_features = G.n
        self.rank = check_int(rank, "rank", 1)
        self.n_outputs = G.n if m is None else check_int(m, "m", 1)
        variety = InvariantVariety(G, self.n_outputs, self.rank)
        self.k = variety.k
        self._register_structure("orbit_of", variety.orbit_of)
        bound = 1.0 / math.sqrt(G.n)
        self.weight = nn.Parameter(torch.empty(self.rank, self.k, dtype=dtype).uniform_(-bound, bound))
        self.decoder = nn.Linear(self.rank, self.n_outputs, bias=False, dtype=dtype)

    def constructor_args(self) -> dict[str, Any]:
        return {"group": self.group, "rank": self.rank, "m": self.n_outputs}

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        # zeros shaped like x (batched under torch.func.vmap), summed into in place
        sums = torch.zeros_like(x[:, :1].expand(x.shape[0], self.k)).index_add_(1, self.orbit_of, x)
        return sums @ self.weight.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(z)
        return out

    @classmethod
    def from_closed_form(cls, estimator: InvariantAutoencoder | InvariantRegressor,
                         dtype: torch.dtype = torch.float64) -> InvariantLinearAutoencoder:
        """The module with the weights of a fitted :class:`equilin.models.InvariantAutoencoder`."""
        if not isinstance(estimator, (InvariantAutoencoder, InvariantRegressor)) or not hasattr(estimator, "weights_"):
            raise ValueError("expected a fitted equilin.models.InvariantAutoencoder or InvariantRegressor")
        module = cls(estimator.variety_.group, estimator.rank, estimator.n_outputs_, dtype=dtype)
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(estimator.weights_))
            module.decoder.weight.copy_(torch.from_numpy(estimator.decoder_))
        return module
