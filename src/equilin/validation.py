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
    """A ``numpy.random.Generator`` from a generator, a seed, or ``None`` (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
