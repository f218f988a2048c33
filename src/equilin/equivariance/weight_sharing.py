"""Weight-sharing templates of a component's autoencoder in the adapted basis ``Q``.

A point of the component ``prod_b M_{r_b}(D_b)`` of ``E^G_r`` factors as a decoder (``n x r'``) times an
encoder (``r' x n``), ``r'`` its largest rank, both block diagonal in the basis ``Q``: each block a matrix
over ``D_b`` (``R``, ``C`` or ``H``), realized as a real matrix and repeated on the copies of its
irreducible. :class:`WeightSharing` says which free weight (and sign) sits at every entry
(:meth:`equilin.equivariance.EquivariantComponent.weight_sharing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.equivariance.blocks import Block
from equilin.geometry import field_units

__all__ = ["WeightSharing"]


class WeightSharing(NamedTuple):
    """Weight-sharing templates of a component's autoencoder in the basis ``Q``.

    ``encoder_ids`` (``r' x n``) and ``decoder_ids`` (``n x r'``) hold the index of the shared weight
    used at each entry (``-1`` where the entry is structurally zero); ``*_signs`` hold ``+1``, ``-1``
    (the entry is minus the weight) or ``0``. Encoder ids are ``0..E-1``, decoder ids ``E..P-1`` with
    ``P = n_params``. In original coordinates the autoencoder is ``(Q decoder) (encoder Q^T)``.
    """

    encoder_ids: NDArray[np.int64]
    encoder_signs: NDArray[np.int64]
    decoder_ids: NDArray[np.int64]
    decoder_signs: NDArray[np.int64]

    @property
    def n_params(self) -> int:
        """Number of distinct weights."""
        return int(max(self.encoder_ids.max(initial=-1), self.decoder_ids.max(initial=-1)) + 1)

    def fill(self, params: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(decoder, encoder)`` in the basis ``Q`` with the given weights (one per id)."""
        values = np.asarray(params, dtype=np.float64)
        if values.shape != (self.n_params,):
            raise ValueError(f"params must have shape ({self.n_params},), got {values.shape}")
        padded = np.concatenate([values, [0.0]])  # id -1 reads the trailing 0
        return (padded[self.decoder_ids] * self.decoder_signs, padded[self.encoder_ids] * self.encoder_signs)


def _weight_sharing(blocks: Sequence[Block], ranks: Sequence[int], offsets: Sequence[int], n: int
                    ) -> WeightSharing:
    """The templates of the component with block ranks ``ranks``: the encoder's blocks first (block
    ``b`` at rows ``sum_{c < b} w_c r_c`` and columns ``offsets[b]``), then the decoder's, numbered on."""
    width = sum(b.weight * k for b, k in zip(blocks, ranks))
    enc_ids = np.full((width, n), -1, dtype=np.int64)
    enc_signs = np.zeros((width, n), dtype=np.int64)
    dec_ids = np.full((n, width), -1, dtype=np.int64)
    dec_signs = np.zeros((n, width), dtype=np.int64)
    next_id = 0
    row = 0
    for b, k, col in zip(blocks, ranks, offsets):
        rows = slice(row, row + b.weight * k)
        cols = slice(col, col + b.real_dim)
        next_id = _fill_template(enc_ids[rows, cols], enc_signs[rows, cols], k, b.size, b, next_id)
        row += b.weight * k
    row = 0
    for b, k, col in zip(blocks, ranks, offsets):
        rows = slice(col, col + b.real_dim)
        cols = slice(row, row + b.weight * k)
        next_id = _fill_template(dec_ids[rows, cols], dec_signs[rows, cols], b.size, k, b, next_id)
        row += b.weight * k
    return WeightSharing(enc_ids, enc_signs, dec_ids, dec_signs)


def _unit_pattern(field_dim: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Which unit (``t``) and sign sit at entry ``(u, v)`` of the realization ``sum_t z_t L_t`` of one
    entry of a matrix over R (1 x 1), C (``[[a, -b], [b, a]]``) or H (left multiplication)."""
    units = field_units(field_dim)
    which = np.abs(units).argmax(axis=0)
    signs = np.take_along_axis(units, which[None], axis=0)[0]
    return which.astype(np.int64), np.rint(signs).astype(np.int64)


def _fill_template(ids: NDArray[np.int64], signs: NDArray[np.int64], rows: int, cols: int,
                   block: Block, start: int) -> int:
    """Write the template of a ``rows x cols`` matrix over the block's field, realized and repeated on
    the ``weight / field_dim`` copies of the irreducible (block diagonal), into ``ids``/``signs``;
    return the next free id. Entry ``(a, b)`` owns the ids ``start + d (a cols + b) + t``, ``t < d``."""
    d = block.field_dim
    reps = block.weight // d
    which, sign = _unit_pattern(d)
    base = start + d * np.arange(rows * cols).reshape(rows, cols)
    full_ids = np.full((rows, reps, d, cols, reps, d), -1, dtype=np.int64)
    full_signs = np.zeros((rows, reps, d, cols, reps, d), dtype=np.int64)
    for j in range(reps):
        full_ids[:, j, :, :, j, :] = base[:, None, :, None] + which[None, :, None, :]
        full_signs[:, j, :, :, j, :] = sign[None, :, None, :]
    ids[:, :] = full_ids.reshape(rows * reps * d, cols * reps * d)
    signs[:, :] = full_signs.reshape(rows * reps * d, cols * reps * d)
    return start + d * rows * cols
