"""MNIST-style IDX files: :func:`read_idx` reads one, :func:`load_idx_dir` a directory of the four.

An IDX file is two zero bytes, a type byte, the number of dimensions, each dimension as a big-endian
uint32, then the payload; MNIST ships four of them (``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), each possibly
gzipped.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from equilin.data.datasets import DataError, ImageDataset

__all__ = ["read_idx", "load_idx_dir"]

_IDX_MAGIC = {3: 0x00000803, 1: 0x00000801}  # unsigned byte, 3 or 1 dimensions
_IDX_FILES = {
    "train_images": ("train-images", "idx3-ubyte"),
    "train_labels": ("train-labels", "idx1-ubyte"),
    "test_images": ("t10k-images", "idx3-ubyte"),
    "test_labels": ("t10k-labels", "idx1-ubyte"),
}


def read_idx(path: str | os.PathLike[str], ndim: int | None = None) -> NDArray[np.uint8]:
    """Read one unsigned-byte IDX file (gzipped when its name ends in ``.gz``).

    The header is two zero bytes, the type byte ``0x08`` (unsigned byte), the number of
    dimensions, then each dimension as a big-endian uint32; the payload must have exactly
    ``prod(dims)`` bytes.

    Parameters
    ----------
    path : path-like
        The file.
    ndim : int, optional
        Required number of dimensions (magic ``0x00000803`` for 3, ``0x00000801`` for 1).

    Returns
    -------
    numpy.ndarray
        uint8 array of shape ``dims``.

    Raises
    ------
    DataError
        Missing file, corrupt gzip, wrong magic, truncated payload or trailing bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "labels-idx1-ubyte"
    ...     _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    ...     read_idx(p, ndim=1)
    array([7, 2, 1], dtype=uint8)
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"IDX file {file} does not exist")
    raw = file.read_bytes()
    if file.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{file} is not a valid gzip file ({exc}); download it again or unzip a good copy"
            ) from exc
    if len(raw) < 4:
        raise DataError(
            f"{file} is too short for an IDX header ({len(raw)} bytes); download it again"
        )
    magic = int.from_bytes(raw[:4], "big")
    dims = raw[3]
    if raw[:3] != b"\x00\x00\x08" or (ndim is not None and magic != _IDX_MAGIC[ndim]):
        want = f"0x{_IDX_MAGIC[ndim]:08x}" if ndim is not None else "0x000008.. (unsigned byte)"
        raise DataError(
            f"{file} has magic number 0x{magic:08x}, expected {want}; it is not an MNIST "
            f"{'image' if ndim == 3 else 'label' if ndim == 1 else 'IDX'} file"
        )
    header = 4 + 4 * dims
    if len(raw) < header:
        raise DataError(f"{file} is truncated inside its header; download it again")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    expected = math.prod(shape)
    payload = len(raw) - header
    if payload != expected:
        what = "truncated" if payload < expected else "longer than its header says"
        raise DataError(
            f"{file} is {what}: header shape {shape} needs {expected} bytes of data, found "
            f"{payload}; download it again"
        )
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def _find_idx(directory: Path, stem: str, kind: str) -> Path:
    names = [f"{stem}{sep}{kind}{gz}" for gz in ("", ".gz") for sep in ("-", ".")]
    for name in names:
        if (directory / name).is_file():
            return directory / name
    raise DataError(
        f"no {stem} file in {directory}: expected one of {', '.join(names)}; put the four MNIST "
        f"IDX files (train-images, train-labels, t10k-images, t10k-labels) there"
    )


def load_idx_dir(directory: str | os.PathLike[str]) -> ImageDataset:
    """MNIST-style data from a directory holding the four IDX files.

    The files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each possibly gzipped (``.gz``) and
    possibly spelled with a dot (``train-images.idx3-ubyte``); an uncompressed file is preferred
    to a gzipped one. Pixels (uint8) are divided by 255.

    Parameters
    ----------
    directory : path-like
        The directory.

    Returns
    -------
    ImageDataset
        Named after the directory; images float32 ``(N, H, W)`` in ``[0, 1]``, labels int64.

    Raises
    ------
    DataError
        Missing directory or file, or a file that :func:`read_idx` rejects, or image and label
        counts that differ.
    """
    folder = Path(directory).expanduser()
    if not folder.is_dir():
        raise DataError(
            f"directory {folder} does not exist; pass a directory holding the four MNIST IDX "
            f"files, or use load('mnist') / load('digits')"
        )
    arrays = {}
    for key, (stem, kind) in _IDX_FILES.items():
        arrays[key] = read_idx(_find_idx(folder, stem, kind), ndim=int(kind[3]))
    for split, prefix in (("train", "train"), ("test", "t10k")):
        n_img, n_lab = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_img != n_lab:
            raise DataError(
                f"{folder}: {prefix}-images has {n_img} images but {prefix}-labels has {n_lab} "
                f"labels; the files do not belong together"
            )
    if arrays["train_images"].shape[1:] != arrays["test_images"].shape[1:]:
        raise DataError(
            f"{folder}: train images are {arrays['train_images'].shape[1:]} but test images are "
            f"{arrays['test_images'].shape[1:]}"
        )
    return ImageDataset(
        str(folder),
        arrays["train_images"].astype(np.float32) / np.float32(255),
        arrays["train_labels"].astype(np.int64),
        arrays["test_images"].astype(np.float32) / np.float32(255),
        arrays["test_labels"].astype(np.int64),
    )
