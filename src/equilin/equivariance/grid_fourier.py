"""Block coordinates of a product of cyclic groups on grids by multi-dimensional FFTs.

For a group of the form of :mod:`equilin.groups.abelian` (commuting generators, every orbit a grid
``Z_{o_1} x ... x Z_{o_k}`` of their cycles: translations of images and volumes along several axes,
products of cyclic groups) the isotypic decomposition is the discrete Fourier transform on every grid.
:class:`AbelianFourierDecomposition` gathers the orbits of one grid shape into an array
``(N, count, o_1, ..., o_k)``, transforms it with one real FFT over the grid axes (``numpy.fft.rfftn``,
orthonormal) and reads every block's coefficient; the way back is one ``irfftn`` per grid shape.
Cost ``O(N n log n)``, memory ``O(N n)``; no dense eigenproblem, any ``n``.

Conventions (those of :mod:`equilin.equivariance.block_operator`, so every consumer of the block
protocol works unchanged): block ``{a, -a}`` has one row per sample (``copies = 1``) and one column per
orbit carrying it (orbit types in order, orbits in order). On a grid of ``s`` points the coordinate of
a complex block is ``w = sqrt(2) F_f`` with ``F`` the orthonormal DFT and ``f`` the grid frequency of ``a`` itself (read
as ``conj(F_{-f})`` where the real FFT stores ``-f``), that of a real block ``F_f`` (real). The map is
an isometry: ``|F_f|^2 + |F_{-f}|^2 = |w|^2``. Every generator multiplies ``w`` by the same unit complex
number on every copy, so commuting matrices act by complex ``m x m`` blocks exactly as for the
orbit-wise decomposition.

Examples
--------
>>> from equilin.groups import image_group
>>> D = AbelianFourierDecomposition(image_group("shift-xy", 2, 3))
>>> D.labels, [b.kind for b in D.blocks]
(('r_{(0,0)}', 'r_{(0,1)}', 'r_{(1,0)}', 'r_{(1,1)}'), ['real', 'real', 'complex', 'complex'])
>>> x = np.arange(6.0)
>>> rows = D.to_blocks(x[None])
>>> bool(np.allclose(D.from_blocks(rows, 1)[0], x)), round(sum(float(np.sum(abs(r) ** 2)) for r in rows), 9)
(True, 55.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.block_operator import DENSE_LIMIT, BlockOperator, _rows_of
from equilin.equivariance.blocks import Block
from equilin.geometry import REAL, field_of
from equilin.groups import AbelianStructure, NotAGridProduct, Permutation, PermutationGroup, as_group, cyclic_eigenvalue

__all__ = ["AbelianFourierDecomposition", "FourierBlockOperator", "GridReader"]

_CHUNK_ELEMENTS = 1 << 20   # real entries of X transformed per FFT call (8 MiB)
_SQRT2 = math.sqrt(2.0)


class GridReader:
    """Where one grid shape's FFT feeds the blocks it carries: the index of every block's coefficient
    in the flattened half spectrum (``rfftn``), whether it is read conjugated (the block's frequency
    is stored as ``-f``), the scale, and for the inverse the entries to write (both ``f`` and ``-f``
    where both lie in the half spectrum)."""

    def __init__(self, shape: tuple[int, ...], frequencies: NDArray[np.int64], real: NDArray[np.bool_]) -> None:
        self.shape = shape
        o = np.array(shape, dtype=np.int64)
        half = shape[:-1] + (shape[-1] // 2 + 1,)
        self.half = half
        self.size = math.prod(half)
        self.axes = tuple(range(2, 2 + len(shape)))
        stored = frequencies[:, -1] <= shape[-1] // 2
        read = np.where(stored[:, None], frequencies, (-frequencies) % o)
        self.read = np.ravel_multi_index(tuple(read.T), half)
        self.conj = np.flatnonzero(~stored)
        self.scale = np.where(real, 1.0, _SQRT2)
        self.uniform = bool(real.all() or not real.any())
        # the inverse: F[read] = (conj) w / scale; and F[-read] = conj of that when it is stored too
        twin = (-read) % o
        twin_stored = (twin[:, -1] <= shape[-1] // 2) & ~real
        self.twin = np.ravel_multi_index(tuple(twin[twin_stored].T), half)
        self.twin_of = np.flatnonzero(twin_stored)

    def forward(self, G: NDArray[np.float64], out: NDArray[np.complex128] | None = None) -> NDArray[np.complex128]:
        """``(N, count, *shape)`` grid values -> ``(N, count, B_t)`` block coordinates (into ``out``)."""
        F = np.fft.rfftn(G, axes=self.axes, norm="ortho").reshape(G.shape[0], G.shape[1], -1)
        W = np.take(F, self.read, axis=2, out=out)
        if self.conj.size:
            W[:, :, self.conj] = W[:, :, self.conj].conj()
        if self.uniform:
            W *= float(self.scale[0])
        else:
            W *= self.scale
        return W

    def inverse(self, W: NDArray[np.complex128]) -> NDArray[np.float64]:
        """``(N, count, B_t)`` block coordinates -> ``(N, count, *shape)`` grid values."""
        N, count = W.shape[:2]
        V = W / self.scale
        if self.conj.size:
            V[:, :, self.conj] = V[:, :, self.conj].conj()
        F = np.zeros((N, count, self.size), dtype=np.complex128)
        F[:, :, self.read] = V
        if self.twin.size:
            F[:, :, self.twin] = V[:, :, self.twin_of].conj()
        return np.fft.irfftn(F.reshape((N, count) + self.half), s=self.shape, axes=self.axes, norm="ortho")


class FourierBlockOperator(BlockOperator):
    """A block operator whose coordinates come from FFTs (:meth:`to_blocks` / :meth:`from_blocks` of all
    blocks at once): the dense basis and the matrix maps by two passes over an ``n x n`` matrix, not
    one pass per block."""

    def _all_coordinates(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """``X Q`` (``N x n``) in the column order of :attr:`Q`."""
        rows = self.to_blocks(X)
        return np.concatenate([self.block_vectors_to_coordinates(i, r, X.shape[0])
                               for i, r in enumerate(rows)], axis=1)

    def _all_vectors(self, Y: NDArray[np.float64]) -> NDArray[np.float64]:
        """``Y Q^T`` (``N x n``) for coordinates in the column order of :attr:`Q`."""
        N = Y.shape[0]
        arrays = [_rows_of(b, Y[:, a:a + b.real_dim], N) for b, a in zip(self.blocks, self.offsets)]
        return self.from_blocks(arrays, N)

    @property
    def Q(self) -> NDArray[np.float64]:
        """The orthogonal ``n x n`` basis (columns block by block, copy by copy; ``cos, sin`` pairs for
        complex blocks). Dense: only for ``n <= DENSE_LIMIT``."""
        self._check_dense("Q")
        return self._all_vectors(np.eye(self.n)).T

    def matrix_to_blocks(self, M: NDArray[np.float64]) -> list[NDArray[Any]]:
        """Block operators of the orthogonal projection of ``M`` onto the commutant (two FFT passes over
        the ``n x n`` matrix: ``Q^T M Q``, then its diagonal blocks)."""
        D = self._all_coordinates(np.ascontiguousarray(self._all_coordinates(np.ascontiguousarray(M.T)).T))
        return [self.operator(i, D[a:a + b.real_dim, a:a + b.real_dim])
                for i, (b, a) in enumerate(zip(self.blocks, self.offsets))]

    def matrix_from_blocks(self, operators: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
        """The commuting ``n x n`` matrix ``Q diag(realize(Z_i)) Q^T``."""
        D = np.zeros((self.n, self.n))
        for i, (b, a, Z) in enumerate(zip(self.blocks, self.offsets, operators)):
            D[a:a + b.real_dim, a:a + b.real_dim] = self.realize(i, Z)
        return self._all_vectors(np.ascontiguousarray(self._all_vectors(np.ascontiguousarray(D.T)).T))



class AbelianFourierDecomposition(FourierBlockOperator):
    """The isotypic decomposition of ``R^n`` under a product of cyclic groups on grids, by FFTs.

    Parameters
    ----------
    group : PermutationGroup or Permutation
        Generated by commuting permutations whose orbits are grids of their cycles
        (:class:`equilin.groups.AbelianStructure`); anything else is refused with the reason.

    Attributes
    ----------
    blocks : tuple of Block
        One per pair of characters ``{a, -a}`` that occurs, named ``r_{(a_1,...,a_k)}``, in the order of
        :mod:`equilin.groups.abelian` (identical to the orbit-wise decomposition of the same group).
    structure : AbelianStructure
        Grids, characters and multiplicities (exact).
    commutant_dim : int
        Orbits of ``G`` on pairs, counted exactly from the grid shapes.

    Examples
    --------
    Translations of a 256 x 256 image (n = 65,536; no dense matrix anywhere):

    >>> from equilin.groups import image_group
    >>> D = AbelianFourierDecomposition(image_group("shift-xy", 256, 256))
    >>> len(D.blocks), D.commutant_dim, D.blocks[1].label, D.blocks[1].kind
    (32770, 65536, 'r_{(0,1)}', 'complex')
    """

    def __init__(self, group: PermutationGroup | Permutation) -> None:
        self.group: PermutationGroup = as_group(group)
        self.n: int = self.group.n
        if self.n == 0:
            raise ValueError("the group acts on an empty set (n = 0); equivariant maps need n >= 1")
        self.seed: int = 0
        structure = AbelianStructure.of(self.group)
        try:
            self.structure = structure if structure is not None else AbelianStructure(self.group)
        except NotAGridProduct as exc:
            raise ValueError(f"the FFT decomposition needs commuting generators whose orbits are grids of "
                             f"their cycles: {exc}. Use the orbit-wise decomposition (method='generic')") from None
        S = self.structure
        self.commutant_dim: int = S.commutant_dim
        characters = self._characters(S)
        blocks, offsets, offset = [], [], 0
        for label, kind, m, a, traces in zip(S.labels, S.kinds, S.multiplicities, S.frequencies.tolist(),
                                             characters):
            F = field_of(kind)
            eigenvalue = cyclic_eigenvalue(a[0], S.orders[0]) if len(S.orders) == 1 else None
            blocks.append(Block(F, m, F.dim, label, traces, eigenvalue))
            offsets.append(offset)
            offset += m * F.dim
        if offset != self.n or sum(b.field_dim * b.size ** 2 for b in blocks) != self.commutant_dim:
            raise RuntimeError("internal error: the characters do not add up to the grids")
        self.blocks: tuple[Block, ...] = tuple(blocks)
        self.offsets: list[int] = offsets
        real = np.array([b.field is REAL for b in blocks])
        # one complex column per copy of a block: block i owns columns start_i .. start_i + m_i
        starts = np.cumsum([0] + [b.size for b in blocks])
        self._width = int(starts[-1])
        used = np.zeros(len(blocks), dtype=np.int64)
        self._readers: list[GridReader] = []
        self._columns: list[NDArray[np.int64]] = []
        # a block's coordinates follow the character a or -a: the one whose frequency the real FFT
        # stores in the first grid shape carrying it (so a single grid shape is read without conjugation)
        sign = np.zeros(len(blocks), dtype=np.int64)
        for shape, (freqs, ids) in zip(S.shapes, S.type_blocks):
            new = sign[ids] == 0
            sign[ids[new]] = np.where(freqs[new, -1] <= shape[-1] // 2, 1, -1)
        for shape, grid, (freqs, ids) in zip(S.shapes, S.grids, S.type_blocks):
            count = grid.shape[0]
            o = np.array(shape, dtype=np.int64)
            signed = (freqs * sign[ids][:, None]) % o
            self._readers.append(GridReader(shape, signed, real[ids]))
            # column of orbit c of this type in block ids[j]: starts + used + c
            cols = starts[ids][None, :] + used[ids][None, :] + np.arange(count)[:, None]
            self._columns.append(cols)
            used[ids] += count
        if not np.array_equal(used, [b.size for b in blocks]):
            raise RuntimeError("internal error: block copies do not add up to the multiplicities")
        self._starts = starts
        self._real_columns = np.concatenate([np.arange(starts[i], starts[i + 1])
                                             for i in np.flatnonzero(real)]).astype(np.int64)
        self._flat = [grid.reshape(grid.shape[0], -1) for grid in S.grids]

    # -- the operator --------------------------------------------------------------------------------
    def _characters(self, S: AbelianStructure) -> list[tuple[float, ...]]:
        """Per block the trace of every given generator (redundant ones included) on its real irreducible:
        on an orbit of a type carrying the block with grid frequency ``f``, a generator translates the grid
        by some ``e`` (read off where it sends the orbit's origin), so its character value is
        ``exp(2 pi i f.e / shape)`` and the trace ``cos`` of that angle, twice for a complex block."""
        out = np.zeros((len(S.labels), len(self.group.generators)))
        done = np.zeros(len(S.labels), dtype=bool)
        position = np.empty(self.n, dtype=np.int64)
        for shape, grid, (freqs, ids) in zip(S.shapes, S.grids, S.type_blocks):
            new = ~done[ids]
            if not new.any():
                continue
            orbit = grid[0]
            position[orbit.ravel()] = np.arange(orbit.size)
            o = np.array(shape, dtype=np.float64)
            for j, h in enumerate(self.group.generators):
                e = np.array(np.unravel_index(position[h.array[orbit.flat[0]]], shape), dtype=np.float64)
                angle = 2 * np.pi * (freqs[new] / o) @ e
                weight = np.where(np.array([S.kinds[i] == "real" for i in ids[new]]), 1.0, 2.0)
                out[ids[new], j] = weight * np.cos(angle)
            done[ids[new]] = True
        return [tuple(float(x) for x in row) for row in np.round(out, 9) + 0.0]

    def coefficient_buffer(self, X: NDArray[np.float64]) -> NDArray[np.complex128]:
        """All block coordinates of ``X`` (``N x n``) side by side: ``N x sum_i m_i`` complex, block ``i``
        in columns ``starts[i]:starts[i + 1]`` (real blocks with zero imaginary part)."""
        N = X.shape[0]
        W = np.empty((N, self._width), dtype=np.complex128)
        step = max(1, _CHUNK_ELEMENTS // self.n)
        direct = len(self._columns) == 1 and np.array_equal(self._columns[0].ravel(), np.arange(self._width))
        for start in range(0, N, step):
            stop = min(N, start + step)
            rows = X[start:stop]
            for reader, flat, cols in zip(self._readers, self._flat, self._columns):
                G = np.take(rows, flat, axis=1).reshape((stop - start, flat.shape[0]) + reader.shape)
                if direct:
                    reader.forward(G, out=W[start:stop].reshape(stop - start, 1, -1))
                else:
                    W[start:stop, cols] = reader.forward(G)
        if self._real_columns.size:
            W[:, self._real_columns] = W[:, self._real_columns].real
        return W

    def to_blocks(self, X: NDArray[np.float64]) -> list[NDArray[Any]]:
        """Block coordinates of row vectors ``X`` (``N x n``): per block an ``N x m`` array (complex for
        complex blocks, real for real ones), views into one buffer."""
        W = self.coefficient_buffer(X)
        return [W[:, a:z].real if b.field is REAL else W[:, a:z]
                for b, a, z in zip(self.blocks, self._starts[:-1].tolist(), self._starts[1:].tolist())]

    def grams(self, X: NDArray[np.float64]) -> list[NDArray[Any]]:
        """``C_b^H C_b`` per block; all one-column blocks from one pass over the buffer."""
        W = self.coefficient_buffer(X)
        parts = W.view(np.float64)                                   # N x 2 width: Re, Im interleaved
        energy = np.einsum("nc,nc->c", parts, parts).reshape(-1, 2).sum(axis=1)
        out: list[NDArray[Any]] = []
        for b, a, z in zip(self.blocks, self._starts[:-1].tolist(), self._starts[1:].tolist()):
            if z - a == 1:
                out.append(np.full((1, 1), energy[a], dtype=np.float64 if b.field is REAL else np.complex128))
            else:
                C = W[:, a:z].real if b.field is REAL else W[:, a:z]
                out.append(C.conj().T @ C)
        return out

    def from_blocks(self, arrays: Sequence[NDArray[Any]], N: int) -> NDArray[np.float64]:
        """Row vectors (``N x n``) with the given block coordinates (the inverse of :meth:`to_blocks`;
        complex rows of a real block contribute their real part)."""
        W = np.empty((N, self._width), dtype=np.complex128)
        for b, a, z, rows in zip(self.blocks, self._starts[:-1].tolist(), self._starts[1:].tolist(), arrays):
            W[:, a:z] = rows.real if b.field is REAL and np.iscomplexobj(rows) else rows
        return self.from_coefficient_buffer(W)

    def from_coefficient_buffer(self, W: NDArray[np.complex128]) -> NDArray[np.float64]:
        """Inverse of :meth:`coefficient_buffer`: row vectors (``N x n``) from all block coordinates side by side."""
        N = W.shape[0]
        X = np.empty((N, self.n))
        step = max(1, _CHUNK_ELEMENTS // self.n)
        for start in range(0, N, step):
            stop = min(N, start + step)
            for reader, flat, cols in zip(self._readers, self._flat, self._columns):
                values = reader.inverse(W[start:stop, cols])
                X[start:stop, flat.ravel()] = values.reshape(stop - start, -1)
        return X

    def type_widths(self) -> list[tuple[int, ...]]:
        """Per block, its number of coordinates on one orbit of every grid shape: the irreducible's
        dimension where the shape carries the block (once per orbit), else 0."""
        carried = [set(ids.tolist()) for _, ids in self.structure.type_blocks]
        return [tuple(b.weight if i in c else 0 for c in carried) for i, b in enumerate(self.blocks)]

    @property
    def fft_plan(self) -> list[tuple[GridReader, NDArray[np.int64], NDArray[np.int64]]]:
        """Per grid shape: the :class:`GridReader` of its ``rfftn``, the points of its orbits in grid order
        (``count x size``) and the block of each frequency it carries: what a twin of this operator (the
        torch module's) needs to compute the same coordinates."""
        return [(reader, flat, ids) for reader, flat, (_, ids) in
                zip(self._readers, self._flat, self.structure.type_blocks)]

    def orbit_type_bases(self, limit: int = DENSE_LIMIT
                         ) -> list[tuple[NDArray[np.int64], NDArray[np.float64], list[int]]]:
        """Per grid shape: the points of every orbit in grid order (``count x size``), the orthogonal
        ``size x size`` basis of one orbit (columns block by block, the blocks it carries) and the first
        column of every block (as :meth:`equilin.equivariance.IsotypicDecomposition.orbit_type_bases`).
        Dense per orbit: refused for an orbit of more than ``limit`` points."""
        out = []
        for reader, flat, (_, ids) in zip(self._readers, self._flat, self.structure.type_blocks):
            size = flat.shape[1]
            if size > limit:
                raise ValueError(f"an orbit has {size:,} points; a dense basis of one orbit is built only up "
                                 f"to {limit:,} points")
            W = reader.forward(np.eye(size).reshape((size, 1) + reader.shape))[:, 0]   # size x B_t
            order = np.argsort(ids, kind="stable")
            widths = np.zeros(len(self.blocks), dtype=np.int64)
            columns = []
            for j in order.tolist():
                b = self.blocks[ids[j]]
                if b.field is REAL:
                    columns.append(W[:, j:j + 1].real)
                else:
                    columns.append(np.stack([W[:, j].real, W[:, j].imag], axis=1))
                widths[ids[j]] = b.weight
            splits = np.concatenate([[0], np.cumsum(widths)]).tolist()
            out.append((flat, np.concatenate(columns, axis=1), splits))
        return out

    def __repr__(self) -> str:
        return f"AbelianFourierDecomposition(n={self.n}, {len(self.blocks)} blocks, orders {self.structure.orders})"
