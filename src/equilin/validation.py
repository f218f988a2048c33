"""The one home of the input checks shared by the modules (scikit-learn's habit: validate at the
boundary, say exactly what was wrong and what was expected). Checks that only one class needs (a
shape that only it knows) stay in that class and call these for the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_int", "as_generator", "check_real_dtype", "check_finite", "check_real", "describe"]


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


def describe(obj: Any) -> str:
    """A short description of a value's type for error messages.

    Examples
    --------
    >>> describe(np.zeros((2, 3))), describe([1, 2]), describe("x")
    ('array of shape (2, 3) and dtype float64', 'list of length 2', 'str')
    """
    if isinstance(obj, np.ndarray):
        return f"array of shape {obj.shape} and dtype {obj.dtype}"
    if isinstance(obj, (tuple, list)):
        return f"{type(obj).__name__} of length {len(obj)}"
    return type(obj).__name__


def check_real_dtype(dtype: Any, name: str) -> None:
    """Refuse every dtype but real integers and floats (booleans, complex, strings, objects).

    Examples
    --------
    >>> check_real_dtype(np.dtype(bool), "X")
    Traceback (most recent call last):
    ...
    ValueError: X must be a real numeric array, got dtype bool
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "iuf":          # signed and unsigned integers, floats: not bool, complex, text, objects
        raise ValueError(f"{name} must be a real numeric array, got dtype {dtype}")


def check_finite(arr: NDArray[Any] | Sequence[NDArray[Any]], name: str) -> None:
    """Raise if ``arr`` (an array or a list of arrays) has a NaN or infinite entry.

    The sum of each array is checked first (one pass, no temporary of the array's size); the entries
    are scanned only when a sum is not finite, so that finite entries whose sum overflows pass.

    Examples
    --------
    >>> check_finite([np.ones(3), np.array([1.0, np.nan])], "blocks")
    Traceback (most recent call last):
    ...
    ValueError: blocks contains NaN or infinite entries
    """
    arrays = [arr] if isinstance(arr, np.ndarray) else list(arr)
    sums = [np.add.reduce(a, axis=None) if a.size else np.zeros(()) for a in arrays]
    if all(np.isfinite(s).all() for s in sums):
        return
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"{name} contains NaN or infinite entries")


def check_real(X: Any, name: str, *, shape: tuple[int, ...] | None = None, finite: bool = True
               ) -> NDArray[np.float64]:
    """``X`` as a float64 array after checking its type, its shape (when given) and its entries.

    Examples
    --------
    >>> check_real([[1, 2]], "M", shape=(1, 2))
    array([[1., 2.]])
    >>> check_real([[1, 2]], "M", shape=(2, 2))
    Traceback (most recent call last):
    ...
    ValueError: M must have shape (2, 2), got (1, 2)
    """
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse: np.asarray would make an object array
        raise ValueError(f"{name} is a scipy sparse matrix; pass a dense array ({name}.toarray())")
    arr = np.asarray(X)
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    check_real_dtype(arr.dtype, name)
    if finite:
        check_finite(arr, name)
    return np.asarray(arr, dtype=np.float64)
