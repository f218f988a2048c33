"""Numerical ranks with a gap: the float64 Jacobian ranks of deep and polynomial networks.

A rank read from floating-point singular values is trusted only when the last one kept stands clearly
above the first one dropped; otherwise :func:`gapped_rank` refuses and says what to try instead.

Examples
--------
>>> gapped_rank(np.array([3.0, 1.0, 1e-12]), rtol=1e-8, gap=1e6, advice="try another seed")
2
>>> gapped_rank(np.array([3.0, 1e-7, 1e-9]), rtol=1e-8, gap=1e6, advice="try another seed")
Traceback (most recent call last):
...
RuntimeError: no clear rank gap: singular values 1e-07 and 1e-09; try another seed
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["gapped_rank"]


def gapped_rank(values: NDArray[np.float64], rtol: float, gap: float, advice: str) -> int:
    """The number of singular values (decreasing) above ``rtol`` times the largest, refused unless the
    last kept one exceeds the next by the factor ``gap`` (a numerical rank must be clear)."""
    if values.size == 0 or values[0] == 0:
        return 0
    rank = int((values > rtol * values[0]).sum())
    if rank < values.size and values[rank - 1] < gap * values[rank]:
        raise RuntimeError(f"no clear rank gap: singular values {values[rank - 1]:.3g} and {values[rank]:.3g}; "
                           f"{advice}")
    return rank
