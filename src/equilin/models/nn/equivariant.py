"""The equivariant torch autoencoder: one irreducible component of ``E^G_r`` for any permutation group,
block diagonal in the adapted basis ``Q`` (``docs/math.md`` section 4, ``docs/equivariance.md``), on
the cyclic Fourier kernel or the block kernel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from equilin.equivariance import EquivariantVariety, choose_method
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.models.closed_form import EquivariantAutoencoder, EquivariantRegressor
from equilin.models.nn.base import _check_dtype, _LinearAutoencoder
from equilin.models.nn.block_kernel import _BlockKernel
from equilin.models.nn.cyclic_kernel import _CyclicKernel
from equilin.validation import check_int

__all__ = ["EquivariantLinearAutoencoder", "IsotypicLinearAutoencoder"]


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
        :meth:`equilin.equivariance.EquivariantVariety.component`.
    dtype : torch.float32 or torch.float64
    seed : int
        Seed of the orbit-wise isotypic decomposition (``method="generic"`` only).
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        The block decomposition, as for :class:`equilin.equivariance.EquivariantVariety` (``"auto"``
        decides by :func:`equilin.equivariance.choose_method`). Where several apply they give the same
        function space; ``"fourier"`` (a generator that generates the group) runs the talk's cyclic
        kernel: transforms along the cycles.

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
    :attr:`~equilin.equivariance.EquivariantComponent.n_params`. MNIST with the talk's shift-x ranks
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

    _anchor: torch.Tensor

    def __init__(self, group: PermutationGroup | Permutation, ranks: Sequence[int] | Mapping[Any, int],
                 dtype: torch.dtype = torch.float32, *, seed: int = 0, method: str = "auto") -> None:
        super().__init__()
        dtype = _check_dtype(dtype)
        self.group = as_group(group)
        self.seed = check_int(seed, "seed", 0)
        self.variety = EquivariantVariety.for_ranks(self.group, ranks, method=method, seed=self.seed)
        self.method: str = self.variety.method
        parsed = self.variety.parse_ranks(ranks)
        self.component = self.variety.component(parsed)
        self.block_ranks = parsed
        self.n_features = self.n_outputs = self.variety.n
        self.rank = self.component.max_rank
        self._register_structure("_anchor", np.zeros(0), dtype)  # dtype and device
        self.kernel: _CyclicKernel | _BlockKernel = (_CyclicKernel if self.method == "fourier" else _BlockKernel)(
            self.variety, parsed, dtype)
        encoders, decoders = self.kernel.initial_weights(dtype)
        self.encoders = nn.ParameterList([nn.Parameter(w) for w in encoders])
        self.decoders = nn.ParameterList([nn.Parameter(w) for w in decoders])

    _renamed_params = {"sigma": "group"}  # parameter name of files written before 0.2

    def constructor_args(self) -> dict[str, Any]:
        return {"group": self.group, "ranks": tuple(int(k) for k in self.block_ranks), "seed": self.seed,
                "method": self.method}

    def _reference(self) -> torch.Tensor:
        return self._anchor

    def n_parameters(self) -> int:
        """Number of free real parameters: ``sum 2 dim_R(D) m k`` over the blocks."""
        return self.component.n_params

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._check_input(x).shape[0] == 0:
            return self.forward(_with_zero_row(x))[:0]
        out: torch.Tensor = self.kernel(self._check_input(x), list(self.encoders), list(self.decoders))
        return out

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Real codes (``N x max_rank``), block by block: the real coordinates of each block's code
        (complex codes of a cyclic group as interleaved ``(Re, Im)``)."""
        if self._check_input(x).shape[0] == 0:
            return self.encode(_with_zero_row(x))[:0]
        return self.kernel.encode(self._check_input(x), list(self.encoders), self.rank)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Outputs ``(N, n)`` of codes ``(N, max_rank)`` laid out as by :meth:`encode`."""
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.rank:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"codes must be a torch.Tensor of shape (N, {self.rank}), got {got}")
        if z.shape[0] == 0:
            return self.decode(_with_zero_row(z))[:0]
        return self.kernel.decode(z, list(self.decoders))

    def block_parameters(self, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder ``(d, k, m)`` and decoder ``(d, m, k)`` of active block ``j`` (views into the
        parameters of its group; not for ``method="fourier"``, whose layout :class:`_CyclicKernel`
        describes)."""
        return self._block_kernel("block_parameters").block_parameters(j, list(self.encoders), list(self.decoders))

    def to_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Block coordinates of row vectors, as :meth:`EquivariantVariety.to_blocks` (differentiable;
        ``method="fourier"`` only: on the other paths use the variety's numpy operator)."""
        return self._cyclic_kernel("to_blocks").to_blocks(self._check_input(x))

    def from_blocks(self, blocks: list[torch.Tensor]) -> torch.Tensor:
        """Row vectors with the given block coordinates (inverse of :meth:`to_blocks`)."""
        return self._cyclic_kernel("from_blocks").from_blocks(blocks, self._reference())

    def _cyclic_kernel(self, what: str) -> _CyclicKernel:
        """The kernel, which ``what`` needs to be the Fourier kernel (``method="fourier"``)."""
        if not isinstance(self.kernel, _CyclicKernel):
            raise ValueError(f"{what} is available for method='fourier' (a cyclic group); this module runs "
                             f"method={self.method!r}: use module.variety.{what} (numpy) instead")
        return self.kernel

    def _block_kernel(self, what: str) -> _BlockKernel:
        """The kernel, which ``what`` needs to be the block kernel (any method but ``"fourier"``)."""
        if not isinstance(self.kernel, _BlockKernel):
            raise ValueError(f"{what} is not available for method='fourier', whose blocks are batched with "
                             "padding (see module.kernel.batches); build the module with another method")
        return self.kernel

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.kernel, _BlockKernel):         # files from before block groups
            self.kernel.stack_legacy(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @classmethod
    def from_closed_form(cls, estimator: EquivariantAutoencoder | EquivariantRegressor,
                         dtype: torch.dtype = torch.float64) -> EquivariantLinearAutoencoder:
        """The module computing the function of a fitted :class:`equilin.models.EquivariantAutoencoder`
        (same group, method and component)."""
        kinds = (EquivariantAutoencoder, EquivariantRegressor)
        fitted = isinstance(estimator, kinds) and hasattr(estimator, "component_")
        if not fitted:
            raise ValueError("expected a fitted equilin.models.EquivariantAutoencoder or EquivariantRegressor")
        variety = estimator.variety_
        seed = variety.decomposition.seed if variety.method == "generic" else 0
        module = cls(variety.group, estimator.component_.ranks, dtype=dtype, seed=seed, method=variety.method)
        with torch.no_grad():
            module.kernel.copy_closed_form(estimator, list(module.encoders), list(module.decoders))
        return module


def _with_zero_row(x: torch.Tensor) -> torch.Tensor:
    """``x`` (an empty batch) and one zero row: torch's FFTs refuse empty batches, so an empty batch runs
    as one zero row of which the result keeps none, and its graph reaches the input and the weights
    (zero gradients, as for ``nn.Linear``)."""
    return torch.cat([x, x.new_zeros((1, x.shape[1]))])


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
