"""Cycle strings: the paper's 1-based notation ``"(1 3 4)(2 5)"``, parsed and checked token by token.

Only the written cycles are parsed (fixed points stay implicit), so :func:`parse_cycles` and
:func:`cycle_type_of_string` work for any size ``n``, even ``10**12``; the arrays of
:class:`equilin.groups.Permutation` are built only up to :data:`MAX_ARRAY_N`. The size checks shared by
the permutations and the image actions live here too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["parse_cycles", "cycle_type_of_string", "divisors", "MAX_ARRAY_N"]

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(,)|([^\s(),]+))")


def _check_size(n: Any, name: str = "n") -> int:
    """``n`` as a Python int, refusing booleans, non-integers and negative values."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"{name} must be a non-negative integer, got {n!r} of type {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n}")
    return int(n)


MAX_ARRAY_N = 10**8
"""Largest ``n`` for which a :class:`~equilin.groups.Permutation` (an ``int64`` array of length ``n``) is built; larger
sizes are refused before anything is allocated. :func:`parse_cycles`, :func:`cycle_type_of_string` and
:func:`equilin.equivariance.count_components` work for any ``n``."""


def _check_array_size(n: int, what: str = "n") -> int:
    """``n``, refused above :data:`MAX_ARRAY_N` before any array of that length is allocated."""
    if n > MAX_ARRAY_N:
        raise ValueError(f"{what} = {n:,} is too large to build a permutation array (at most "
                         f"{MAX_ARRAY_N:,}); cycle_type_of_string(cycles, n) and count_components "
                         "work from the cycle type alone for any n")
    return n


def parse_cycles(cycles: str, n: int) -> list[tuple[int, ...]]:
    """Parse a 1-based cycle string into 0-based cycles, validating every token.

    Only the cycles written in the string are returned (fixed points that are not written stay
    implicit), so this works for any ``n``, even ``10**12``.

    Parameters
    ----------
    cycles : str
        Cycles in 1-based notation, elements separated by spaces or commas, e.g. ``"(1 3 4)(2 5)"``.
        A written 1-cycle such as ``"(3)"`` is allowed.
    n : int
        Size of the set ``{1, ..., n}`` the permutation acts on.

    Returns
    -------
    list of tuple of int
        The written cycles, 0-based, in the order written.

    Examples
    --------
    >>> parse_cycles("(1 3 4)(2 5)", 5), parse_cycles("()", 5)
    ([(0, 2, 3), (1, 4)], [])
    """
    if not isinstance(cycles, str):
        raise ValueError(f"cycles must be a string like '(1 3 4)(2 5)', got {type(cycles).__name__}")
    n = _check_size(n)
    if cycles.replace(" ", "") == "()":          # the identity, in the usual notation
        return []
    if not cycles.strip():
        raise ValueError("cycle string is empty; write at least one cycle such as '(1 2)', "
                         "or use Permutation.identity(n) for the identity")
    result: list[tuple[int, ...]] = []
    seen: set[int] = set()
    current: list[int] | None = None
    pos = 0
    text = cycles.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern matches any non-empty remainder
            raise ValueError(f"cannot read {text[pos:]!r} in cycle string {cycles!r}")
        pos = match.end()
        opening, closing, comma, word = match.groups()
        if opening:
            if current is not None:
                raise ValueError(f"nested '(' at position {match.start(1)} in {cycles!r}: "
                                 "close each cycle with ')' before opening the next")
            current = []
        elif closing:
            if current is None:
                raise ValueError(f"unbalanced ')' at position {match.start(2)} in {cycles!r}")
            if not current:
                raise ValueError(f"empty parentheses '()' in {cycles!r}: every cycle needs an element ('()' "
                                 "alone is the identity)")
            result.append(tuple(current))
            current = None
        elif comma:
            if current is None:
                raise ValueError(f"',' outside a cycle in {cycles!r}")
        else:
            if current is None:
                raise ValueError(f"element {word!r} outside parentheses in {cycles!r}; "
                                 "write cycles as '(1 3 4)(2 5)'")
            if not re.fullmatch(r"[0-9]+", word):
                raise ValueError(f"{word!r} in {cycles!r} is not a positive integer; "
                                 f"elements are 1-based integers 1..{n}")
            value = int(word)
            if value == 0:
                raise ValueError(f"element 0 in {cycles!r}: cycle strings are 1-based, "
                                 f"elements must lie in 1..{n}")
            if value > n:
                raise ValueError(f"element {value} in {cycles!r} is larger than the size n={n}; "
                                 f"elements must lie in 1..{n} (pass a larger n)")
            if value - 1 in seen:
                raise ValueError(f"element {value} appears twice in {cycles!r}; "
                                 "the cycles of one permutation must be disjoint")
            seen.add(value - 1)
            current.append(value - 1)
    if current is not None:
        raise ValueError(f"unbalanced '(' in {cycles!r}: a cycle is not closed")
    return result


def cycle_type_of_string(cycles: str, n: int) -> dict[int, int]:
    """Cycle type ``{length: count}`` of a cycle string, fixed points included, without building arrays.

    Examples
    --------
    >>> cycle_type_of_string("(1 2)", 10**12)
    {1: 999999999998, 2: 1}
    """
    parsed = parse_cycles(cycles, n)
    counts = Counter(len(c) for c in parsed if len(c) > 1)
    moved = sum(length * count for length, count in counts.items())
    if n - moved:
        counts[1] = n - moved
    return dict(sorted(counts.items()))


@lru_cache(maxsize=1024)
def divisors(n: int) -> tuple[int, ...]:
    """The divisors of ``n >= 1`` in increasing order (cached: cycle lengths repeat).

    Examples
    --------
    >>> divisors(28)
    (1, 2, 4, 7, 14, 28)
    """
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small) | {n // d for d in small}))
