"""Input checks shared by the modules (scikit-learn's habit: validate at the boundary, say exactly
what was wrong and what was expected)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_int", "as_generator"]


def check_int(value: Any, name: str, minimum: int = 0) -> int:
    """``value`` as a Python int, refusing booleans, non-integers and values below ``minimum``.

    Examples
    --------
    >>> check_int(3, "r")
    3
    >>> check_int(2.0, "r")
    Traceback (most recent call last):
    ...
    ValueError: r must be an integer >= 0, got 2.0 of type float
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r} "
                         f"of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a generator, a seed, or ``None`` (fresh entropy).

    Examples
    --------
    >>> as_generator(0).integers(10) == as_generator(np.random.default_rng(0)).integers(10)
    np.True_
    >>> as_generator("0")
    Traceback (most recent call last):
    ...
    TypeError: rng must be a numpy.random.Generator, a non-negative integer seed or None, got '0' of type str
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and (isinstance(rng, bool) or not isinstance(rng, (int, np.integer))):
        raise TypeError("rng must be a numpy.random.Generator, a non-negative integer seed or None, "
                        f"got {rng!r} of type {type(rng).__name__}")
    if rng is not None and rng < 0:
        raise ValueError(f"rng seed must be a non-negative integer, got {rng}")
    return np.random.default_rng(rng)
