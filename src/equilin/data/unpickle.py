"""Unpickling numpy arrays without running code: :class:`RestrictedUnpickler` and :func:`restricted_load`.

A pickle can call any importable function while it loads (``os.system``, ``builtins.eval``, ...).
:class:`RestrictedUnpickler` looks up only the globals that rebuild numpy arrays and refuses every
other one before anything is called; :func:`restricted_load` also refuses results holding anything
but tuples and lists of numeric arrays. The full-MNIST loader (:func:`equilin.data.load_mnist`) reads
the classic ``mnist.pkl.gz`` with it.
"""

from __future__ import annotations

import pickle
from typing import Any, Protocol

import numpy as np

from equilin.data.datasets import DataError

try:  # numpy >= 2 (and the forward-compatibility module of numpy 1.26)
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # pragma: no cover - older numpy
    # numpy 1's name of the same function; numpy 2's stubs do not cover numpy.core, so mypy sees Any
    from numpy.core.multiarray import _reconstruct as _np_reconstruct  # type: ignore[no-redef]

__all__ = ["RestrictedUnpickler", "restricted_load"]


class _BinaryReader(Protocol):
    """What an unpickler reads from: an open binary file, a :class:`gzip.GzipFile`, ``io.BytesIO``."""

    def read(self, n: int, /) -> bytes: ...

    def readline(self) -> bytes: ...


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


def restricted_load(file: _BinaryReader, *, encoding: str = "latin1") -> Any:
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
