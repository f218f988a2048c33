"""The reconstruction error of the experiments' models: mean squared error per pixel, chunk by chunk.

A model is evaluated through its *predictor*, a function that maps ``(N, n)`` rows to ``(N, n)``
reconstructions (a closed-form estimator's ``predict``, or a torch module's through
:func:`equilin.experiments.adam.predictor`). Large data sets go through it in chunks of
:data:`EVAL_CHUNK` rows, converted to float64 one chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["EVAL_CHUNK", "Predictor", "chunks", "mse"]

Predictor = Callable[[NDArray[Any]], NDArray[np.float64]]
"""Maps ``(N, n)`` rows to their ``(N, n)`` float64 reconstructions."""

EVAL_CHUNK = 8192
"""Rows per chunk."""


def chunks(n: int, size: int = EVAL_CHUNK) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` of ``range(n)``.

    Examples
    --------
    >>> list(chunks(5, 2))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def mse(predict: Predictor, X: NDArray[Any]) -> float:
    """Mean squared error per pixel of ``predict(X)`` against ``X``, chunk by chunk.

    Examples
    --------
    >>> mse(lambda x: x / 2, np.full((3, 4), 2.0))
    1.0
    """
    total = 0.0
    for s in chunks(len(X)):
        x = X[s].astype(np.float64)
        total += float(np.sum((predict(x) - x) ** 2))
    return total / X.size
