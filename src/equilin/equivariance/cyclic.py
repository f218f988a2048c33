"""The talk's blocks of a cyclic group ``G = <sigma>``: the spectrum of ``P_sigma`` and the blocks ``r_{l,m}``.

``docs/math.md`` section 4. After the real orthogonal change of basis ``Q_sigma`` (a real DFT along every
cycle, :mod:`equilin.equivariance.cyclic_fourier`) ``P_sigma`` is block diagonal, and so is every matrix
that commutes with it; both are read off the cycle type of ``sigma`` alone.

Conventions
-----------
*Spectrum.* ``d_l`` is the number of cycles whose length is divisible by ``l``: the multiplicity of every
primitive ``l``-th root of unity as an eigenvalue of ``P_sigma``.

*Blocks* (:class:`~equilin.equivariance.Block`), in the talk's order: ``(1, 1)`` (eigenvalue 1, real,
size ``d_1``); then the complex blocks ``(l, m)`` with ``l >= 3``, ``gcd(m, l) = 1``, ``1/2 < m/l < 1``,
by decreasing ``m/l`` (for a 28-cycle: ``r_{28,27}, r_{14,13}, r_{28,25}, r_{7,6}, ...``, spatial
frequency 1, 2, 3, 4, ...); then ``(2, 1)`` (eigenvalue -1, real, size ``d_2``) last. A block of size 0
is omitted. A real block has rank weight 1, a complex block weight 2 (complex rank ``s`` is real rank
``2 s``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

from equilin.equivariance.blocks import Block
from equilin.groups import divisors
from equilin.validation import check_int

__all__ = ["spectrum", "blocks_of"]


def _check_cycle_type(cycle_type: Mapping[int, int]) -> dict[int, int]:
    if not isinstance(cycle_type, Mapping):
        raise ValueError(f"cycle type must be a mapping {{length: count}}, got {type(cycle_type).__name__}")
    out: dict[int, int] = {}
    for length, count in cycle_type.items():
        length = check_int(length, "cycle length", 1)
        count = check_int(count, f"number of cycles of length {length}", 0)
        if count:
            out[length] = out.get(length, 0) + count
    if not out:
        raise ValueError("cycle type is empty (n = 0); equivariant maps need n >= 1")
    return dict(sorted(out.items()))




def spectrum(cycle_type: Mapping[int, int]) -> dict[int, int]:
    """``{l: d_l}`` for every ``l`` with ``d_l > 0``, where ``d_l`` is the number of cycles of length
    divisible by ``l`` (the multiplicity of each primitive ``l``-th root of unity in ``P_sigma``).

    Works from the cycle type alone (counts may be huge); it loops over divisors of the distinct cycle
    lengths, never over ``n``.

    Examples
    --------
    >>> spectrum({1: 1, 4: 2})
    {1: 3, 2: 2, 4: 2}
    >>> spectrum({1: 10**12 - 2, 2: 1})
    {1: 999999999999, 2: 1}
    """
    ct = _check_cycle_type(cycle_type)
    d: dict[int, int] = {}
    for length, count in ct.items():
        for l in divisors(length):
            d[l] = d.get(l, 0) + count
    return dict(sorted(d.items()))


def _blocks_from_spectrum(spec: Mapping[int, int], exponents: Sequence[int] = (1,)) -> tuple[Block, ...]:
    """The talk's blocks of a spectrum ``{l: d_l}``: ``r_{1,1}``, the complex blocks by decreasing
    ``m / l``, ``r_{2,1}``; characters on the generators ``sigma^e``, ``e`` in ``exponents``."""
    complex_blocks = [Block.cyclic(l, m, d, exponents) for l, d in spec.items() if l >= 3
                      for m in range(l // 2 + 1, l) if math.gcd(m, l) == 1]
    complex_blocks.sort(key=lambda b: Fraction(b.m, b.l), reverse=True)
    first = [Block.cyclic(1, 1, spec[1], exponents)] if spec.get(1) else []
    last = [Block.cyclic(2, 1, spec[2], exponents)] if spec.get(2) else []
    return tuple(first + complex_blocks + last)


def blocks_of(cycle_type: Mapping[int, int]) -> tuple[Block, ...]:
    """The blocks of the commutant of ``P_sigma`` for a cycle type, in the talk's order.

    Examples
    --------
    >>> [b.label for b in blocks_of({28: 28})][:5]
    ['r_{1,1}', 'r_{28,27}', 'r_{14,13}', 'r_{28,25}', 'r_{7,6}']
    >>> blocks_of({1: 1, 4: 2})[1]
    Block(COMPLEX, size=2, weight=2, label='r_{4,3}')
    """
    return _blocks_from_spectrum(spectrum(cycle_type))
