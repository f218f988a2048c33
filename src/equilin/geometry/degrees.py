"""Exact degrees of determinantal varieties (``docs/math.md`` section 2), as Python ints.

``deg M_{r, m x n} = prod_{i=0}^{n-rho-1} (m+i)! i! / ((rho+i)! (m-rho+i)!)`` with ``rho = min(r, m, n)``
(1 when ``rho = min(m, n)``): :func:`determinantal_degree` for any shape (no factorial of ``m`` is
formed), :func:`square_degree` for square matrices of side up to thousands (through a prime
factorization), and :func:`field_degree` for the blocks ``M_{k, m x m}(D)`` over ``D = R, C, H``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache, lru_cache

import numpy as np
from numpy.typing import NDArray

from equilin.geometry.fields import Field
from equilin.validation import check_int

__all__ = ["determinantal_degree", "square_degree", "field_degree"]


def determinantal_degree(m: int, n: int, rank: int) -> int:
    """Degree of ``M_{rank, m x n}`` over C (exact), the rank bound clipped to ``rho = min(rank, m, n)``.

    Examples
    --------
    >>> [determinantal_degree(2, 2, 1), determinantal_degree(3, 3, 1), determinantal_degree(3, 3, 2)]
    [2, 6, 3]
    """
    m, n = check_int(m, "m", 1), check_int(n, "n", 1)
    rho = min(check_int(rank, "rank", 0), m, n)
    if rho == min(m, n):
        return 1
    # the degree is symmetric in m and n: loop over the smaller side, and write each factor
    # (m+i)! i! / ((rho+i)! (m-rho+i)!) as perm(m+i, rho) / perm(rho+i, rho), so that no factorial
    # of m is formed (m = 10**30 or n = 10**6 take microseconds)
    m, n = max(m, n), min(m, n)
    value = Fraction(1)
    for i in range(n - rho):
        value *= Fraction(math.perm(m + i, rho), math.perm(rho + i, rho))
    assert value.denominator == 1
    return int(value)


@cache
def _primes_spf(limit: int) -> list[int]:
    spf = np.arange(limit + 1, dtype=np.int64)
    for p in range(2, math.isqrt(limit) + 1):
        if spf[p] == p:
            view = spf[p * p::p]
            view[view == np.arange(p * p, limit + 1, p)] = p
    return spf.tolist()


def _product(values: list[int]) -> int:
    while len(values) > 1:
        values = [math.prod(values[i:i + 2]) for i in range(0, len(values), 2)]
    return values[0] if values else 1


@lru_cache(maxsize=4096)
def square_degree(d: int, k: int) -> int:
    """Degree of ``M_{k, d x d}`` (exact; equal to ``determinantal_degree(d, d, k)``), computed through
    the prime factorization of ``prod_{i<d-k} (d+i)! i! / ((k+i)! (d-k+i)!)`` so that large ``d``
    (thousands) stays fast."""
    k = min(k, d)
    e = d - k
    if k == 0 or e == 0:
        return 1
    if d <= 64:
        return determinantal_degree(d, d, k)
    top = 2 * d - k - 1  # largest factorial argument
    j = np.arange(top + 1, dtype=np.int64)

    def count(a: int) -> NDArray[np.int64]:  # exponent of j in prod_{i<e} (a+i)!
        exponent: NDArray[np.int64] = np.clip(e - np.maximum(0, j - a), 0, e)
        return exponent

    exponents = (count(d) + count(0) - count(k) - count(d - k)).tolist()
    spf = _primes_spf(top)
    for x in range(top, 3, -1):
        p = spf[x]
        if p != x and exponents[x]:
            exponents[p] += exponents[x]
            exponents[x // p] += exponents[x]
            exponents[x] = 0
    assert all(v >= 0 for v in exponents[2:]), "degree formula must give an integer"
    return _product([pow(p, exponents[p]) for p in range(2, top + 1) if exponents[p]])


def field_degree(field: Field, m: int, k: int) -> int:
    """Degree of ``M_{k, m x m}(D)`` as a real variety, exact: ``deg M_k`` over ``R``, ``deg(M_k)^2``
    over ``C`` (its complexification is a product of two determinantal varieties), and
    ``deg M_{2k, 2m x 2m}`` over ``H`` (its complexification is that complex determinantal variety).

    Examples
    --------
    >>> from equilin.geometry import COMPLEX, QUATERNIONIC, REAL
    >>> field_degree(REAL, 3, 1), field_degree(COMPLEX, 3, 1), field_degree(QUATERNIONIC, 1, 1)
    (6, 36, 1)
    """
    if field.rank_step == 2:
        return square_degree(2 * m, 2 * k)
    return int(square_degree(m, k) ** field.dim)
