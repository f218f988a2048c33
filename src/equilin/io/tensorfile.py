"""A torch module as a ``.safetensors`` file: its ``state_dict`` as the tensors, everything else in the
string metadata.

The tensors are the module's :meth:`~equilin.io.PersistentModule.persistent_state` under their
``state_dict`` keys, written with ``safetensors.numpy`` (no torch here), so that
``safetensors.torch.load_file(path)`` gives a state dict that ``load_state_dict`` accepts on a module
built with the same arguments. The safetensors metadata (``str -> str``) holds ``format``
(``"equilin-model"``), ``format_version``, ``class``, ``dtype`` and ``checksum`` for people and tools,
``equilin``: the same JSON metadata as in an ``.npz`` file (constructor arguments, training flag,
manifest, checksum over the metadata and every array), and ``equilin_arrays``: the arrays that are not
tensors of the state (a group's generators), as JSON with base64 data. Reading parses the header itself,
reads the tensors with ``safetensors.numpy.load`` (never unpickled) and verifies exactly as for ``.npz``
(:func:`equilin.io.archive._verified`); the short keys must agree with the JSON.

The metadata keys are written in sorted order (safetensors itself writes them in hash order), so the
same module gives the same bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.io.archive import PersistenceError, _canonical, _parse_metadata_text

__all__: list[str] = []   # private to equilin.io

SUFFIX = ".safetensors"
"""The file name suffix (any case) that makes :func:`equilin.io.save` write this format."""

STATE_PREFIX = "state/"
"""Arrays of the state are named ``state/KEY`` in the metadata; their tensors are named ``KEY``."""

INSTALL_HINT = "pip install 'equilin[safetensors]'"

_SHORT_KEYS = ("format", "format_version", "class", "dtype")
_MAX_HEADER = 100_000_000   # the safetensors library's own limit on the JSON header


def _numpy_backend() -> Any:
    try:
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError(f".safetensors files need the safetensors package: {INSTALL_HINT}") from exc
    return safetensors.numpy


def write_safetensors(meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> bytes:
    """The bytes of the file of a module's metadata and arrays (as :func:`equilin.io.save` builds them)."""
    backend = _numpy_backend()
    tensors = {name.removeprefix(STATE_PREFIX): np.ascontiguousarray(a)
               for name, a in arrays.items() if name.startswith(STATE_PREFIX)}
    others = {name: {"dtype": a.dtype.str, "shape": list(a.shape),
                     "base64": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")}
              for name, a in arrays.items() if not name.startswith(STATE_PREFIX)}
    strings = {key: str(meta[key]) for key in _SHORT_KEYS}
    strings.update(checksum=meta["checksum"]["hexdigest"], equilin=_canonical(meta).decode("ascii"),
                   equilin_arrays=_canonical(others).decode("ascii"))
    data: bytes = backend.save(tensors, metadata=strings)
    return _sorted_metadata(data)


def _sorted_metadata(data: bytes) -> bytes:
    """``data`` with the header's metadata keys in sorted order (the same length: only the order moves)."""
    n = int.from_bytes(data[:8], "little")
    raw = data[8:8 + n]
    header = json.loads(raw, object_pairs_hook=dict)
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    if len(text) > n or json.loads(text) != json.loads(raw):   # pragma: no cover - a safetensors change
        return data
    return data[:8] + text + b" " * (n - len(text)) + data[8 + n:]


def looks_like_safetensors(head: bytes, size: int) -> bool:
    """A safetensors file starts with the length of its JSON header (8 bytes, little-endian), then ``{``."""
    return len(head) >= 9 and 2 <= int.from_bytes(head[:8], "little") <= size - 8 and head[8:9] == b"{"


def read_safetensors(where: str, head: bytes, size: int, fail: Callable[[str], PersistenceError]
                     ) -> tuple[dict[str, Any], dict[str, NDArray[Any]]] | None:
    """The metadata and arrays of a file written by :func:`write_safetensors` (checked by the caller
    against the manifest and the checksum), or ``None`` when ``head`` (its first bytes) is not that of a
    safetensors file."""
    if not looks_like_safetensors(head, size):
        return None
    with open(where, "rb") as fh:
        data = fh.read()
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER:
        raise fail(f"a safetensors header of {n:,} bytes")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PersistenceError(f"{where} is corrupted: the safetensors header is not JSON ({exc})") from exc
    strings = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(strings, dict) or "equilin" not in strings:
        raise fail("a .safetensors file without equilin's metadata (a plain state dict?); build the module "
                   "and call load_state_dict(safetensors.torch.load_file(path)) instead")
    if not all(isinstance(v, str) for v in strings.values()):
        raise fail("safetensors metadata values must be strings")
    meta = _parse_metadata_text(strings["equilin"].encode("utf-8"), fail)
    short = {key: str(meta.get(key)) for key in _SHORT_KEYS}
    short["checksum"] = str(meta["checksum"].get("hexdigest"))
    for key, value in short.items():
        if strings.get(key) != value:
            raise PersistenceError(f"{where}: the safetensors metadata says {key} = {strings.get(key)!r}, "
                                   f"its equilin metadata {value!r} (edited after saving?); refusing to load")
    backend = _numpy_backend()
    try:
        tensors = backend.load(data)
    except Exception as exc:  # SafetensorError (bad offsets, truncation), ValueError...
        raise PersistenceError(f"{where} is corrupted: {type(exc).__name__}: {exc}") from exc
    arrays: dict[str, NDArray[Any]] = {STATE_PREFIX + key: value for key, value in tensors.items()}
    try:
        others = json.loads(strings.get("equilin_arrays", "{}"))
        for name, entry in others.items():
            if name in arrays or name.startswith(STATE_PREFIX):
                raise fail(f"the array {name!r} is given twice")
            dtype = np.dtype(entry["dtype"])
            if dtype.hasobject or dtype.kind not in "biufc":
                raise fail(f"the array {name!r} has dtype {dtype}")
            raw = base64.b64decode(entry["base64"], validate=True)
            arrays[name] = np.frombuffer(raw, dtype=dtype).reshape(entry["shape"]).copy()
    except PersistenceError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PersistenceError(f"{where} is corrupted: the equilin_arrays metadata: {type(exc).__name__}: "
                               f"{exc}") from exc
    return meta, arrays
