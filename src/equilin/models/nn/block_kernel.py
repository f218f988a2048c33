"""The block kernel of :class:`~equilin.models.nn.EquivariantLinearAutoencoder` for every group that is
not run by the cyclic Fourier kernel (``method="abelian"``, ``"torus"`` or ``"generic"``): matrices
over the blocks' fields (R, C or H), batched per block shape, between the coordinate operators of
:mod:`equilin.models.nn.operators`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from equilin.equivariance import (
    DENSE_LIMIT,
    AbelianFourierDecomposition,
    EquivariantVariety,
    IsotypicDecomposition,
    TorusFourierDecomposition,
    adjoint_basis,
)
from equilin.geometry import QUATERNIONIC, field_units
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn.base import _buffer, _Structured
from equilin.models.nn.operators import _FourierOperator, _Operator, _OrbitOperator, _TorusOperator

__all__: list[str] = []


class _BlockKernel(_Structured):
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

    _from_codes: torch.Tensor
    _to_codes: torch.Tensor

    def __init__(self, variety: EquivariantVariety, parsed: tuple[int, ...], dtype: torch.dtype) -> None:
        super().__init__()
        self.variety = variety
        self.block_ranks = parsed
        self.n_features = variety.n
        self.active = [i for i, k in enumerate(parsed) if k > 0]
        decomposition = variety.decomposition
        if not isinstance(decomposition, (IsotypicDecomposition, AbelianFourierDecomposition,
                                          TorusFourierDecomposition)):  # pragma: no cover - the only three
            raise TypeError(f"no torch operator for a {type(decomposition).__name__}")
        widths = decomposition.type_widths()
        keyed: dict[tuple[int, int, int, int, tuple[int, ...]], list[int]] = {}
        for j, i in enumerate(self.active):
            b = variety.blocks[i]
            keyed.setdefault((b.field_dim, b.weight // b.field_dim, parsed[i], b.size, widths[i]), []).append(j)
        self.groups: list[tuple[list[int], int, int, int, int, tuple[int, ...]]] = [
            (members, *key) for key, members in keyed.items()]
        """``(active positions, d, reps, k, m, per-type widths)`` per group of blocks, in plain ints."""
        self._place = {j: (g, position) for g, (members, *_) in enumerate(self.groups)
                       for position, j in enumerate(members)}
        blocks = [self.active[j] for members, *_ in self.groups for j in members]
        self.operator: _Operator | None = None                  # None without active blocks
        if blocks and (variety.method == "abelian" and isinstance(decomposition, AbelianFourierDecomposition)
                       and max(map(math.prod, decomposition.structure.shapes)) > DENSE_LIMIT):
            self.operator = _FourierOperator(decomposition, blocks, dtype)
        elif blocks and (variety.method == "torus" and isinstance(decomposition, TorusFourierDecomposition)
                         and self.n_features > DENSE_LIMIT):
            self.operator = _TorusOperator(decomposition, blocks, dtype)
        elif blocks:
            self.operator = _OrbitOperator(decomposition, blocks, dtype)
        self._group_starts = np.cumsum([0] + [len(members) * m * d * reps for members, d, reps, _, m, _
                                              in self.groups]).tolist()
        # codes: group after group -> the order of the active blocks (and back)
        starts = np.cumsum([0] + [self._code_width(j) for j in range(len(self.active))])
        grouped = np.concatenate([np.arange(starts[j], starts[j + 1]) for members, *_ in self.groups
                                  for j in members] or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        self._identity_codes = bool(np.array_equal(grouped, np.arange(grouped.size)))
        self._register_structure("_from_codes", grouped)
        self._register_structure("_to_codes", np.argsort(grouped))
        for g, (_, d, *_rest) in enumerate(self.groups):
            self._register_structure(f"units_{g}", field_units(d), dtype)

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
        assert self.operator is not None  # called with active blocks only
        Yt = self.operator.coordinates_T(x)                   # (width, N), blocks copy-major
        N = x.shape[0]
        out = []
        for g, (members, d, reps, _k, m, _) in enumerate(self.groups):
            a, z = self._group_starts[g], self._group_starts[g + 1]
            part = Yt[a:z].reshape(len(members), m, reps, d, N)
            out.append(part.permute(0, 1, 3, 2, 4).reshape(len(members), m * d, reps * N))
        return out

    def _vectors(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """``sum_b coords_b Q_b^T`` (``N x n``) from the groups' ``(B, m d, reps N)``: the adjoint of
        :meth:`_coordinates`."""
        flat = []
        for (members, d, reps, _k, m, _), part in zip(self.groups, parts):
            N = part.shape[2] // reps
            flat.append(part.reshape(len(members), m, d, reps, N).permute(0, 1, 3, 2, 4)
                        .reshape(len(members) * m * reps * d, N))
        assert self.operator is not None  # called with active blocks only
        return self.operator.vectors_T(torch.cat(flat, dim=0) if len(flat) > 1 else flat[0])

    def _realized(self, W: torch.Tensor, g: int) -> torch.Tensor:
        """``sum_t W[t] (x) units[t]`` for every block of group ``g``: ``(B, rows d, cols d)``."""
        B, d, rows, cols = W.shape
        if d == 1:
            return W.reshape(B, rows, cols)
        return torch.einsum("ztab,tuv->zaubv", W, _buffer(self, f"units_{g}")).reshape(B, rows * d, cols * d)

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
        for (members, d, reps, k, _m, _), code in zip(self.groups, self._codes(x, encoders)):
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
        for members, d, reps, k, _m, _ in self.groups:
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
