"""Data sets too large for memory, as blocks of rows read one at a time: ``.npy`` shards or a zarr array.

:func:`open_shards` opens a directory of ``.npy`` shards (each ``N_i x n``, rows are samples; read
memory-mapped, in name order), a single ``.npy`` file, or a zarr array (``N x n``, read in whole
chunks) and returns :class:`Shards`, the blocks in reading order. Each :class:`Shard` knows its shape
before anything is read; :meth:`Shard.read` gives its rows. ``equilin fit --data`` feeds them to an
estimator's ``partial_fit`` one at a time. Reading zarr needs the optional package ``zarr``
(``pip install 'equilin[scale]'``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.data.datasets import DataError

__all__ = ["Shard", "Shards", "open_shards"]

_ZARR_MARKERS = (".zarray", "zarr.json", ".zgroup")  # files that make a directory a zarr store


@dataclass(frozen=True)
class Shard:
    """One block of rows: a memory-mapped ``.npy`` array, or rows ``start:stop`` of a zarr array.

    Attributes
    ----------
    name : str
        The file name, or ``"rows start:stop"`` for a part of a zarr array.
    array : numpy.ndarray or zarr.Array
        The memory-mapped array, or the whole zarr array.
    rows : (int, int) or None
        ``(start, stop)``: the rows of the zarr ``array`` this block holds; ``None`` for all of them.
    """

    name: str
    array: Any
    rows: tuple[int, int] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The block's shape, known without reading it."""
        if self.rows is None:
            return tuple(self.array.shape)
        start, stop = self.rows
        return (stop - start, *self.array.shape[1:])

    def read(self) -> NDArray[Any]:
        """The rows: the memory-mapped array itself (pages are read as they are used), or the zarr rows
        read now."""
        if self.rows is None:
            return np.asarray(self.array)
        start, stop = self.rows
        return np.asarray(self.array[start:stop])


@dataclass(frozen=True)
class Shards:
    """The blocks of rows of one data set, in reading order (iterate over it).

    Attributes
    ----------
    shards : tuple of Shard
        The blocks.
    description : str
        Where they come from: ``"3 .npy shard(s)"``, ``"one .npy file"`` or ``"a zarr array read in
        4 part(s) of up to 8,192 rows"``.
    unit : str
        ``"shard"`` for ``.npy`` files, ``"part"`` for the parts of a zarr array.
    """

    shards: tuple[Shard, ...]
    description: str
    unit: str

    def __iter__(self) -> Iterator[Shard]:
        return iter(self.shards)

    def __len__(self) -> int:
        return len(self.shards)


def open_shards(path: str | os.PathLike[str], batch_size: int = 8192, *, name: str | None = None) -> Shards:
    """Open a directory of ``.npy`` shards, one ``.npy`` file or a zarr array; nothing is read yet.

    Parameters
    ----------
    path : path-like
        A directory of ``.npy`` files (all of them, in name order; a directory holding ``.zarray``,
        ``zarr.json`` or ``.zgroup`` is a zarr array instead), a ``.npy`` file, or a zarr array.
    batch_size : int, default 8192
        Rows per part of a zarr array, rounded down to whole chunks (at least one chunk).
    name : str, optional
        How error messages name the data (default: ``path``).

    Returns
    -------
    Shards

    Raises
    ------
    DataError
        A missing path, a directory without shards, a file that is not a numeric ``.npy`` array, a
        zarr array that cannot be read, is not 2-D or has no rows, or zarr not installed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.save(pathlib.Path(folder) / "part0.npy", np.zeros((3, 2)))
    ...     np.save(pathlib.Path(folder) / "part1.npy", np.ones((2, 2)))
    ...     shards = open_shards(folder)
    ...     [(s.name, s.shape) for s in shards], shards.description, float(shards.shards[1].read().sum())
    ([('part0.npy', (3, 2)), ('part1.npy', (2, 2))], '2 .npy shard(s)', 4.0)
    """
    path = Path(path)
    label = str(path) if name is None else name
    if not path.exists():
        raise DataError(f"{label}: no such file or directory")
    if path.is_dir() and not any((path / m).exists() for m in _ZARR_MARKERS):
        files = sorted(p for p in path.iterdir() if p.suffix == ".npy" and p.is_file())
        if not files:
            raise DataError(f"{label}: the directory holds no .npy shards (nor a zarr array)")
        return Shards(tuple(Shard(f.name, _load_npy(f)) for f in files), f"{len(files)} .npy shard(s)", "shard")
    if path.is_file() and path.suffix == ".npy":
        return Shards((Shard(path.name, _load_npy(path)),), "one .npy file", "shard")
    if not path.is_dir():
        raise DataError(f"{label}: expected a directory of .npy shards, a .npy file or a zarr array")
    return _open_zarr(path, batch_size, label)


def _load_npy(file: Path) -> NDArray[Any]:
    try:
        array: NDArray[Any] = np.load(file, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"shard {file.name}: cannot be read as a numeric .npy array ({exc})") from None
    return array


def _open_zarr(path: Path, batch_size: int, label: str) -> Shards:
    try:
        import zarr  # optional: equilin[scale]
    except ImportError:
        raise DataError("reading a zarr array needs zarr: pip install 'equilin[scale]'") from None
    try:
        array = zarr.open_array(str(path), mode="r")
    except Exception as exc:  # zarr raises many types for a bad store
        raise DataError(f"{label}: not a readable zarr array ({type(exc).__name__}: {exc})") from None
    if array.ndim != 2:
        raise DataError(f"{label}: the zarr array must be 2-D (samples x features), got shape {array.shape}")
    rows = max(1, int(array.chunks[0]))
    step = rows * max(1, batch_size // rows)  # whole zarr chunks per read
    n = array.shape[0]
    parts = tuple(Shard(f"rows {a}:{min(a + step, n)}", array, (a, min(a + step, n))) for a in range(0, n, step))
    if not parts:
        raise DataError(f"{label}: the zarr array has no rows")
    return Shards(parts, f"a zarr array read in {len(parts)} part(s) of up to {step:,} rows", "part")
