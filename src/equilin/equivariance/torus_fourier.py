"""Block coordinates of translations with a point group on a torus (``p4``, ``p4m``, ...) by FFTs.

For a group of the form of :mod:`equilin.groups.torus` (``G = T x| P``, ``T`` regular on a torus) every
block is spanned by the Fourier modes of one frequency orbit, with multiplicity one. So the block
coordinates are the FFT over the translations (:class:`~equilin.equivariance.AbelianFourierDecomposition`
of ``T``), regrouped: a real block takes the real coordinates ``(Re w, Im w)`` of the translation blocks
of its orbit (``Re w`` for a real one); a complex block the complex coordinates ``w`` of the frequencies
of its orbit ``O`` (``conj(w)`` where the translation block follows ``-b``), so that the commutant ``C``
acts by one complex number. No dense eigenproblem: any torus size.

Examples
--------
>>> from equilin.groups import image_group
>>> D = TorusFourierDecomposition(image_group("p4m", 64, 64))
>>> len(D.blocks), D.commutant_dim, D.blocks[2].label, D.blocks[2].weight
(561, 561, 'r_{[(0,2)]}', 4)
>>> x = np.random.default_rng(0).standard_normal((2, 4096))
>>> bool(np.allclose(D.from_blocks(D.to_blocks(x), 2), x))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance.block_operator import DENSE_LIMIT, _rows_of
from equilin.equivariance.blocks import Block
from equilin.equivariance.grid_fourier import AbelianFourierDecomposition, FourierBlockOperator
from equilin.geometry import COMPLEX, REAL, field_of
from equilin.groups import Permutation, PermutationGroup, TorusStructure, as_group

__all__ = ["TorusFourierDecomposition"]


class TorusFourierDecomposition(FourierBlockOperator):
    """The isotypic decomposition of ``R^n`` under translations and a point group on a torus, by FFTs.

    Parameters
    ----------
    group : PermutationGroup or Permutation
        Of the form of :class:`equilin.groups.TorusStructure`; anything else is refused.

    Attributes
    ----------
    blocks : tuple of Block
        One per frequency orbit (with its negatives), multiplicity 1, named ``r_{[(a_1,...,a_k)]}``
        after the orbit's smallest frequency, in that order (identical to the orbit-wise decomposition).
    structure : TorusStructure
    translations : AbelianFourierDecomposition
        The FFT of the translation subgroup, on which the coordinates are built.
    """

    def __init__(self, group: PermutationGroup | Permutation) -> None:
        self.group: PermutationGroup = as_group(group)
        self.n: int = self.group.n
        self.seed: int = 0
        S = TorusStructure.of(self.group)
        if S is None:
            raise ValueError("the torus FFT decomposition needs translations acting regularly on one torus "
                             "(equal sides) and other generators acting affinely on it; use the orbit-wise "
                             "decomposition (method='generic')")
        self.structure = S
        T = AbelianFourierDecomposition(PermutationGroup([self.group.generators[j] for j in S.translations]))
        self.translations = T
        self.commutant_dim: int = S.commutant_dim
        blocks, offsets, offset = [], [], 0
        for label, kind, dim, character in zip(S.labels, S.kinds, S.dims, S.characters):
            blocks.append(Block(field_of(kind), 1, dim, label, character))
            offsets.append(offset)
            offset += dim
        if offset != self.n:
            raise RuntimeError("internal error: the frequency orbits do not add up to the torus")
        self.blocks: tuple[Block, ...] = tuple(blocks)
        self.offsets: list[int] = offsets
        # the character each translation block follows (its coordinate is sqrt 2 times the coefficient of
        # that Fourier mode) and the torus block it belongs to
        N, k = S.N, S.k
        ((reader, _, _),) = T.fft_plan
        (freqs, ids) = T.structure.type_blocks[0]
        follows = np.empty((len(T.blocks), k), dtype=np.int64)
        stored = np.array(np.unravel_index(reader.read, reader.half)).T       # the frequency read (or -it)
        conj = np.zeros(len(ids), dtype=bool)
        conj[reader.conj] = True
        follows[ids] = np.where(conj[:, None], (-stored) % N, stored)
        flat = np.asarray(np.ravel_multi_index(tuple(follows.T), (N,) * k), dtype=np.int64)
        owner = S._block_of[flat]
        in_orbit = np.zeros(N ** k, dtype=bool)
        # real coordinates of every torus block: +-(Re or Im) of translation-block columns
        index, sign = [], []
        for g, (b, members) in enumerate(zip(blocks, S.members)):
            in_orbit[members] = True
            for i in np.flatnonzero(owner == g).tolist():
                if T.blocks[i].field is REAL:
                    index.append(2 * i)
                    sign.append(1.0)
                else:
                    index.extend([2 * i, 2 * i + 1])
                    flip = b.field is COMPLEX and not in_orbit[flat[i]]    # follow b in O, not -b
                    sign.extend([1.0, -1.0 if flip else 1.0])
            in_orbit[members] = False
        self._index = np.array(index, dtype=np.int64)
        self._sign: NDArray[np.float64] = np.array(sign)
        if self._index.size != self.n or np.unique(self._index).size != self.n:
            raise RuntimeError("internal error: the torus blocks do not use every translation coordinate once")

    @property
    def regrouping(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``(index, sign)``: the real coordinates of every block, side by side in block order, are
        ``sign * W[:, index]`` for ``W`` the translations' coefficient buffer viewed as real numbers
        (``Re, Im`` interleaved per translation block)."""
        return self._index, self._sign

    def _real(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """``X Q`` (``N x n``): every block's real coordinates side by side, in block order."""
        W = self.translations.coefficient_buffer(X).view(np.float64)           # Re, Im interleaved per column
        return W[:, self._index] * self._sign

    def to_blocks(self, X: NDArray[np.float64]) -> list[NDArray[Any]]:
        """Folded block coordinates (``N * copies x 1`` per block, as :mod:`equilin.equivariance.block_operator`)."""
        N = X.shape[0]
        R = self._real(X)
        return [_rows_of(b, R[:, a:a + b.real_dim], N) for b, a in zip(self.blocks, self.offsets)]

    def from_blocks(self, arrays: Sequence[NDArray[Any]], N: int) -> NDArray[np.float64]:
        """Row vectors from folded block coordinates (the inverse of :meth:`to_blocks`)."""
        R = np.concatenate([self.block_vectors_to_coordinates(i, rows, N) for i, rows in enumerate(arrays)],
                           axis=1) if arrays else np.zeros((N, 0))
        W = np.zeros((N, 2 * len(self.translations.blocks)))     # imaginary parts of real blocks stay 0
        W[:, self._index] = R * self._sign
        return self.translations.from_coefficient_buffer(W.view(np.complex128))

    def type_widths(self) -> list[tuple[int, ...]]:
        """One orbit (the torus): every block has its whole dimension on it."""
        return [(b.weight,) for b in self.blocks]

    def orbit_type_bases(self, limit: int = DENSE_LIMIT
                         ) -> list[tuple[NDArray[np.int64], NDArray[np.float64], list[int]]]:
        """The torus as one orbit: the points in order and the dense basis :attr:`Q` (refused above
        ``limit`` points), columns block by block."""
        if self.n > limit:
            raise ValueError(f"the torus has {self.n:,} points; a dense basis is built only up to {limit:,}")
        return [(np.arange(self.n, dtype=np.int64)[None], self.Q, [*self.offsets, self.n])]

    def __repr__(self) -> str:
        return f"TorusFourierDecomposition(n={self.n}, {len(self.blocks)} blocks)"
