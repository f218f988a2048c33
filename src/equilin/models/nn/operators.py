"""The coordinate operators of the block kernel: the block coordinates ``x Q_b`` of the active blocks
and their adjoint, in torch, without an ``n x n`` matrix.

* :class:`_OrbitOperator`: a dense basis of one orbit per orbit type (any group whose orbits are small).
* :class:`_FourierOperator`: FFTs on grids, for products of cyclic groups (translation groups) of any size.
* :class:`_TorusOperator`: translations with a point group on a torus, by FFTs and a signed regrouping.

Every step is a plain differentiable torch operation (gathers are ``index_select``: a permutation by a
custom autograd function whose backward pass is a gather, not torch's scatter-add, was no faster on a
forward and backward step), so the operators work under ``torch.func``, ``torch.compile``,
``torch.export``, ``torch.jit.trace`` and ONNX export.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from equilin.equivariance import AbelianFourierDecomposition, IsotypicDecomposition, TorusFourierDecomposition
from equilin.geometry import REAL
from equilin.models.nn.base import _buffer, _Structured

__all__: list[str] = []

_Decomposition = IsotypicDecomposition | AbelianFourierDecomposition | TorusFourierDecomposition
"""The decompositions that :class:`_OrbitOperator` reads (all give ``orbit_type_bases()``)."""


def _placed(source: torch.Tensor, dim: int, index: torch.Tensor, size: int) -> torch.Tensor:
    """``zeros.index_copy(dim, index, source)`` for zeros of ``source``'s shape with ``size`` entries along
    ``dim`` and distinct positions ``index``, written as an ``index_add_`` into fresh zeros shaped like
    ``source``: its backward pass is one gather (an out-of-place ``index_copy`` copies the zeros once more,
    an in-place one masks the gradient), and ``torch.func.vmap`` batches it (zeros shaped like a batched
    tensor are batched; vmap has no batching rule for ``index_copy_``)."""
    shape = list(source.shape)
    shape[dim] = size
    if source.shape[dim] == 0:
        return source.new_zeros(shape)
    return torch.zeros_like(source.narrow(dim, 0, 1).expand(shape)).index_add_(dim, index, source)


class _Operator(_Structured):
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
    """Block coordinates of the chosen blocks, orbit-wise, for the block kernel: one gather of the input
    by orbit type, one product per type with the chosen blocks' columns of one orbit's basis, and one
    column permutation into the *group layout* (the blocks one after the other, each block's real
    coordinates copy-major, as the decomposition's ``vectors_to_block_coordinates``); :meth:`vectors` is
    the adjoint (and inverse on the image). A transitive group needs no gather: its basis is stored in
    point order."""

    _to_groups: torch.Tensor
    _from_groups: torch.Tensor
    _gather: torch.Tensor
    _scatter: torch.Tensor

    def __init__(self, decomposition: _Decomposition, blocks: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        bases = decomposition.orbit_type_bases()
        self._transitive = len(bases) == 1 and bases[0][0].shape[0] == 1
        gather, self._types = [], []
        where: dict[tuple[int, int], int] = {}      # (block, type) -> first entry in the products
        start = 0
        for t, (points, basis, splits) in enumerate(bases):
            count, size = points.shape
            chosen = [i for i in blocks if splits[i + 1] > splits[i]]
            gather.append(points.ravel())
            width = sum(splits[i + 1] - splits[i] for i in chosen)
            if width:
                local = np.concatenate([basis[:, splits[i]:splits[i + 1]] for i in chosen], axis=1)
                if self._transitive:
                    local = local[np.argsort(points[0])]
                self._register_structure(f"local_{t}", local, dtype)
                column = 0
                for i in chosen:
                    where[i, t] = column
                    column += splits[i + 1] - splits[i]
            self._types.append((start, count, size, width))
            start += count * size
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
        self._register_structure("_to_groups", to_groups)
        self._register_structure("_from_groups", np.argsort(to_groups))
        order = np.concatenate(gather)
        self._register_structure("_gather", order)
        self._register_structure("_scatter", np.argsort(order))

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:
        N = x.shape[0]
        xg = x if self._transitive else x.index_select(1, self._gather)
        pieces = []
        for t, (start, count, size, width) in enumerate(self._types):
            if width:
                Y = xg[:, start:start + count * size].reshape(N, count, size) @ _buffer(self, f"local_{t}")
                pieces.append(Y.reshape(N, count * width))
        Y = torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]
        return Y if self._identity else Y.index_select(1, self._to_groups)

    def coordinates_T(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`coordinates` transposed, ``(width, N)``, computed in that layout (one gather of the
        rows of ``x^T``, one product per orbit type batched over its orbits)."""
        if self._transitive:
            Yt = torch.mm(_buffer(self, "local_0").T, x.T)        # (width, N), one product
            return Yt if self._identity else Yt.index_select(0, self._to_groups)
        N = x.shape[0]
        xg = x.T.index_select(0, self._gather)  # (n, N), orbit after orbit
        pieces = []
        for t, (start, count, size, width) in enumerate(self._types):
            if width:
                X3 = xg[start:start + count * size].view(count, size, N)
                pieces.append(torch.matmul(_buffer(self, f"local_{t}").T, X3).reshape(count * width, N))
        Yt = torch.cat(pieces, dim=0) if len(pieces) > 1 else pieces[0]
        return Yt if self._identity else Yt.index_select(0, self._to_groups)

    def vectors_T(self, Yt: torch.Tensor) -> torch.Tensor:
        """:meth:`vectors` of ``Yt^T`` (``Yt`` is ``(width, N)``), computed in that layout."""
        if not self._identity:
            Yt = Yt.index_select(0, self._from_groups)
        if self._transitive:
            return torch.mm(Yt.T, _buffer(self, "local_0").T)     # (N, n), one product
        N = Yt.shape[1]
        pieces, used = [], 0
        for t, (_start, count, size, width) in enumerate(self._types):
            if not width:
                pieces.append(Yt.new_zeros((count * size, N)))
                continue
            part = Yt[used:used + count * width].reshape(count, width, N)
            pieces.append(torch.matmul(_buffer(self, f"local_{t}"), part).reshape(count * size, N))
            used += count * width
        return torch.cat(pieces, dim=0).index_select(0, self._scatter).T

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:
        N = Y.shape[0]
        if not self._identity:
            Y = Y.index_select(1, self._from_groups)
        pieces, used = [], 0
        for t, (_start, count, size, width) in enumerate(self._types):
            if not width:
                pieces.append(Y.new_zeros((N, count * size)))
                continue
            part = Y[:, used:used + count * width].reshape(N, count, width)
            pieces.append((part @ _buffer(self, f"local_{t}").T).reshape(N, count * size))
            used += count * width
        if self._transitive:
            return pieces[0]
        return torch.cat(pieces, dim=1).index_select(1, self._scatter)


class _FourierOperator(_Operator):
    """The same map as :class:`_OrbitOperator` for a product of cyclic groups on grids, by FFTs
    (``torch.fft.rfftn`` per grid shape, the twin of
    :class:`equilin.equivariance.AbelianFourierDecomposition`): no dense basis, so any image or
    volume size. Complex coordinates ``w`` become the pairs ``(Re w, Im w)``; real blocks keep ``Re w``."""

    _to_groups: torch.Tensor
    _gather: torch.Tensor
    _scatter: torch.Tensor

    def __init__(self, decomposition: AbelianFourierDecomposition, blocks: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        real = {i: decomposition.blocks[i].field is REAL for i in blocks}
        # per grid shape: orbits, shape, half-spectrum shape, half-spectrum size, chosen frequencies
        self._types: list[tuple[int, tuple[int, ...], tuple[int, ...], int, int]] = []
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
                    self._register_structure(f"{name}_{t}", np.asarray(value, dtype=np.int64))
                self._register_structure(f"conj_{t}", conj)
                self._register_structure(f"scale_{t}", reader.scale[sel], dtype)
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
        self._register_structure("_to_groups", np.concatenate(index).astype(np.int64))
        order = np.concatenate(gather)
        self._register_structure("_gather", order)
        self._register_structure("_scatter", np.argsort(order))

    def _signs(self, t: int, inverse: bool) -> torch.Tensor:
        """``(P, 2)``: the factors of the real and imaginary parts of grid type ``t``'s chosen frequencies
        (``scale``, and ``-scale`` on the imaginary part of a conjugated one; ``1 / scale`` if ``inverse``).
        The complex numbers are kept as real pairs throughout, so that every step also exports to ONNX
        (whose converters refuse complex gathers and scatters)."""
        scale = _buffer(self, f"scale_{t}")
        if inverse:
            scale = 1.0 / scale
        return torch.stack([scale, torch.where(_buffer(self, f"conj_{t}"), -scale, scale)], dim=1)

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
                F = torch.view_as_real(torch.fft.rfftn(G, dim=tuple(range(2, 2 + len(shape))), norm="ortho"))
                W = F.reshape(N, count, size, 2).index_select(2, _buffer(self, f"read_{t}")) * self._signs(t, False)
                pieces.append(W.reshape(N, count * P * 2))
            start += n_t
        Y = torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]
        return Y.index_select(1, self._to_groups)

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:
        N = Y.shape[0]
        if N == 0:
            return Y.new_zeros((0, self._gather.numel()))
        full = _placed(Y, 1, self._to_groups, self._width)
        pieces, used = [], 0
        for t, (count, shape, half, size, P) in enumerate(self._types):
            if not P:
                pieces.append(Y.new_zeros((N, count * math.prod(shape))))
                continue
            V = full[:, used:used + count * P * 2].reshape(N, count, P, 2) * self._signs(t, True)
            used += count * P * 2
            F = _placed(V, 2, _buffer(self, f"read_{t}"), size)
            twin = _buffer(self, f"twin_{t}")
            if twin.numel():   # the twins' values are the conjugates: the imaginary parts negated
                twins = V.index_select(2, _buffer(self, f"twin_of_{t}"))
                F = F.index_add_(2, twin, torch.stack([twins[..., 0], -twins[..., 1]], dim=-1))
            values = torch.fft.irfftn(torch.view_as_complex(F.reshape((N, count) + half + (2,))), s=shape,
                                      dim=tuple(range(2, 2 + len(shape))), norm="ortho")
            pieces.append(values.reshape(N, count * math.prod(shape)))
        return torch.cat(pieces, dim=1).index_select(1, self._scatter)


class _TorusOperator(_Operator):
    """The map of :class:`_OrbitOperator` for translations with a point group on a torus, by FFTs: the
    translations' :class:`_FourierOperator` on the translation blocks the chosen blocks use, then the
    signed regrouping of :class:`equilin.equivariance.TorusFourierDecomposition`."""

    _picks: torch.Tensor
    _signs: torch.Tensor

    def __init__(self, decomposition: TorusFourierDecomposition, blocks: Sequence[int], dtype: torch.dtype) -> None:
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
        self._register_structure("_picks", picks)
        self._register_structure("_signs", np.concatenate(signs), dtype)

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:
        return self.fourier.coordinates(x).index_select(1, self._picks) * self._signs

    def vectors(self, Y: torch.Tensor) -> torch.Tensor:
        full = Y.new_zeros((Y.shape[0], self._width)).index_copy(1, self._picks, Y * self._signs)
        return self.fourier.vectors(full)
