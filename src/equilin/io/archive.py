"""The ``.npz`` archive of a saved model: canonical JSON metadata, checksum, manifest, atomic write and
verified read.

A file is an uncompressed zip of ``.npy`` members with fixed timestamps (the same model gives the same
bytes): the arrays, plus the member :data:`METADATA_KEY` holding the UTF-8 JSON metadata as a ``uint8``
array. The metadata carries an array manifest (shape and dtype of every member) and a SHA-256 checksum
of the canonical JSON and of every array (:func:`_checksum`). Reading (:func:`_read_verified`) checks the
zip CRCs, the metadata's format and version, the manifest and the checksum before anything is built,
and never unpickles (``numpy.load(..., allow_pickle=False)``).

Writing is atomic (:func:`_atomic_write`): the archive goes to a temporary file in the target's
directory, is flushed and ``fsync``-ed, then ``os.replace``-d onto the target, and the directory is
``fsync``-ed. A crash or a ``SIGKILL`` at any moment leaves either the previous complete file or no file
under the target name (at worst a stray ``.NAME.*.tmp`` file next to it). Which file is replaced is
decided first (:func:`_save_target`): only a regular file, never a directory, device, FIFO or socket; a
symbolic link is written through (the file it points to is replaced, the link stays a link). A failing
write raises one ``OSError`` naming the user's path, never the temporary file, which is removed.

The format, every key, the atomic-write procedure and the error table are in ``docs/persistence.md``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from equilin.version import VERSION

__all__ = ["FORMAT", "FORMAT_VERSION", "METADATA_KEY", "PersistenceError"]

FORMAT = "equilin-model"
"""Value of the metadata key ``format``."""

FORMAT_VERSION = 4
"""Version of the file format written by :func:`equilin.io.save`; :func:`equilin.io.load` reads versions
``1..FORMAT_VERSION``.
Version 2: products of cyclic groups on grids (e.g. ``shift-xy``) and translations with a point group
on a torus (``p4``, ``p4m``) name and order their blocks by frequency (:mod:`equilin.groups.abelian`,
:mod:`equilin.groups.torus`); an equivariant model of such a group in a version-1 file has its ranks in
the former block order and is refused rather than loaded wrongly. Version 3: a cyclic group names and
orders its blocks as the talk (``r_{1,1}``, ..., ``r_{2,1}``) on every backend, so an equivariant model
of a cyclic group fitted with ``method="abelian"`` or ``"generic"`` in an older file is refused the same
way; :class:`equilin.models.nn.EquivariantLinearAutoencoder` stores ``group``, ``seed`` and ``method``
(older files stored ``sigma`` and still load). Version 4: the class is named by its registered name
(``"DenseAutoencoder"``; older files named the module path ``"equilin.fit.DenseAutoencoder"``), the rank
budget is ``rank`` everywhere (older files stored ``r``, and an equivariant estimator's group as
``sigma``); each class maps the parameter names of older files in ``_renamed_params``."""

METADATA_KEY = "__equilin__"
"""Name of the archive member (``__equilin__.npy``, a ``uint8`` array) holding the UTF-8 JSON metadata."""

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: the same model gives the same bytes

# Module paths under which format versions 1-3 named the classes ("equilin.fit.DenseAutoencoder").
_LEGACY_PREFIXES = ("equilin.fit.", "equilin.nn.")


class PersistenceError(ValueError):
    """A file that :func:`equilin.io.load` cannot verify (not an equilin file, corrupted, truncated,
    tampered with, written by a newer format, inconsistent) or an object that :func:`equilin.io.save`
    cannot store completely."""


PersistenceError.__module__ = "equilin.io"  # its public home, as tracebacks name it


def _canonical(meta: Mapping[str, Any]) -> bytes:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True).encode()


def _checksum(meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> str:
    """SHA-256 of the canonical JSON of the metadata without ``checksum``, then for every array in
    sorted name order: its name, NUL, dtype string, NUL, shape as JSON, NUL, its C-order bytes."""
    digest = hashlib.sha256(_canonical({k: v for k, v in meta.items() if k != "checksum"}))
    for name in sorted(arrays):
        a = arrays[name]
        digest.update(b"\0".join([name.encode(), a.dtype.str.encode(), json.dumps(list(a.shape)).encode(), b""]))
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_archive(fh: IO[bytes], meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
    text = np.frombuffer(_canonical(meta), dtype=np.uint8)
    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in [(METADATA_KEY, text), *arrays.items()]:
            with zf.open(_member(name), mode="w", force_zip64=True) as out:
                np.lib.format.write_array(out, array, allow_pickle=False)


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file"))


def _file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words (``"a character device"``)."""
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def _check_path_type(path: Any) -> str:
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    where = os.fspath(path)
    if not isinstance(where, str):
        raise TypeError(f"path must be a str or os.PathLike of str, got {type(where).__name__}")
    if where == "":
        raise ValueError("the path is empty; pass a file name such as model.npz")
    return where


def _save_target(path: Any) -> Path:
    """The regular file that saving to ``path`` replaces, after refusing every path that is not one.

    ``path`` itself when nothing or a regular file is there; through a symbolic link (or a chain of
    them, or links among the directories), the file it finally points to, which is created when the
    link dangles and the directory it points into exists. Refused, with a message naming ``path`` (never a
    temporary file): a directory (``IsADirectoryError``), a device node, FIFO or socket
    (``FileExistsError``: it is left alone), a missing directory (``FileNotFoundError``), a path through
    a file (``NotADirectoryError``), a link loop, a file without write permission (``PermissionError``).
    """
    where = _check_path_type(path)
    link = os.path.islink(where)
    try:
        info: os.stat_result | None = os.stat(where)       # follows symbolic links
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise NotADirectoryError(errno.ENOTDIR, f"cannot save to {where}: a part of the path before the file "
                                                "name is a file, not a directory") from None
    except OSError as exc:                                   # ELOOP, EACCES, ENAMETOOLONG, ...
        raise _os_error(exc, f"cannot save to {where}: {_reason(exc)}") from None
    real = Path(os.path.realpath(where))
    via = f" (a symbolic link to {real})" if link else ""
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"{where}{via} is a directory; pass a file name such as "
                                                  f"{Path(where) / 'model.npz'}")
        if not stat.S_ISREG(info.st_mode):
            raise FileExistsError(errno.EEXIST, f"{where}{via} is {_file_kind(info.st_mode)}, not a regular "
                                                "file: equilin saves to regular files only and leaves it "
                                                "alone; pass another file name")
        if not os.access(real, os.W_OK):
            raise PermissionError(errno.EACCES, f"{where}{via} is read-only (mode "
                                                f"{stat.S_IMODE(info.st_mode):04o}): not replacing it; make it "
                                                "writable or pass another file name")
        return real
    if where.endswith(("/", os.sep)):
        raise IsADirectoryError(errno.EISDIR, f"{where} ends with '/', so it names a directory; pass a file name "
                                              f"such as {where}model.npz")
    if not real.parent.is_dir():
        if link:
            raise FileNotFoundError(errno.ENOENT, f"{where} is a dangling symbolic link to {real}, whose "
                                                  f"directory {real.parent} does not exist")
        raise FileNotFoundError(errno.ENOENT, f"cannot save to {where}: the directory {Path(where).parent} does "
                                              "not exist; create it first")
    return real


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links (a link loop?)"
    return exc.strerror or type(exc).__name__


def _os_error(exc: OSError, message: str) -> OSError:
    """An ``OSError`` of the class and errno of ``exc`` (``PermissionError`` for ``EACCES``, ...) whose
    message is ``message`` (``exc`` may name a temporary file; the new error names the user's path)."""
    return OSError(exc.errno, message) if exc.errno is not None else OSError(message)


def _temp_file(target: Path, where: str) -> tuple[int, str]:
    """A new temporary file beside ``target`` (descriptor, name); an error names ``where`` and the
    directory, never the temporary name."""
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _os_error(exc, f"cannot save to {where}: cannot create a file in {target.parent} "
                             f"({_reason(exc)})") from None


def _probe(target: Path, where: str) -> None:
    """Create and remove a temporary file beside ``target``: refuses now a directory where no file can be
    created (read-only file system, no permission, ``/proc``), before any work."""
    fd, tmp = _temp_file(target, where)
    os.close(fd)
    os.unlink(tmp)


def _atomic_write(target: Path, write: Callable[[IO[bytes]], None], where: str | None = None) -> None:
    """Temp file in the same directory, write, flush, fsync, ``os.replace``, fsync the directory; the temp
    file is removed if anything fails before the rename. ``target`` is the file to replace (from
    :func:`_save_target`), ``where`` the path the user gave, which every error names."""
    where = str(target) if where is None else where
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    fd, tmp = _temp_file(target, where)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _os_error(exc, f"cannot save to {where}: {_reason(exc)}; nothing was written (a previous "
                                 "file there is unchanged)") from None
        raise
    with contextlib.suppress(OSError):   # the file is in place; some file systems cannot fsync a directory
        _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open directories
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


Reader = Callable[[str, bytes, int, Callable[[str], PersistenceError]],
                  "tuple[dict[str, Any], dict[str, NDArray[Any]]] | None"]
"""A reader of another format: ``(path, first 16 bytes, size, fail)`` -> metadata and arrays, or
``None`` when the file is not of its format."""


def _read_verified(path: Any, readers: Sequence[Reader] = ()) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Metadata and arrays of a file (an ``.npz`` archive, or a format of ``readers``), after every check
    that needs no library object."""
    where = _check_path_type(path)
    try:
        info = os.stat(where)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(errno.ENOENT, f"no model file at {where}") from None
    except OSError as exc:
        raise _os_error(exc, f"cannot read {where}: {_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{where} is a directory, not a model file")

    def fail(message: str) -> PersistenceError:
        return PersistenceError(f"{where} is not an equilin model file: {message}")

    if not stat.S_ISREG(info.st_mode):            # never opened: reading a FIFO or a device may block
        raise fail(f"it is {_file_kind(info.st_mode)}, not a regular file")
    if not zipfile.is_zipfile(where):
        with open(where, "rb") as fh:
            head = fh.read(16)
        for reader in readers:                    # the other formats (a torch module's .safetensors file)
            found = reader(where, head, info.st_size, fail)
            if found is not None:
                return _verified(*found, where)
        raise fail("not a zip archive (truncated, or another format)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            if METADATA_KEY not in names:
                raise fail(f"no {METADATA_KEY!r} metadata member (a plain .npz?)")
            meta = _parse_metadata(npz[METADATA_KEY], fail)
            arrays = {name: npz[name] for name in names if name != METADATA_KEY}
            for name, array in arrays.items():
                if not isinstance(array, np.ndarray):
                    raise fail(f"the member {name!r} is not a .npy array")
    except PersistenceError:
        raise
    except Exception as exc:  # zipfile.BadZipFile (CRC), ValueError (bad .npy header, pickled data), EOFError...
        raise PersistenceError(f"{where} is corrupted: {type(exc).__name__}: {exc}") from exc
    return _verified(meta, arrays, where)


def _verified(meta: dict[str, Any], arrays: dict[str, NDArray[Any]],
              where: str) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    _check_manifest(meta, arrays, where)
    if _checksum(meta, arrays) != meta["checksum"]["hexdigest"]:
        raise PersistenceError(f"{where}: checksum mismatch: the arrays or metadata were changed after saving "
                               "(corruption or tampering); refusing to load")
    return meta, arrays


def _parse_metadata(raw: NDArray[Any], fail: Callable[[str], PersistenceError]) -> dict[str, Any]:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise fail(f"the metadata member must be a 1-D uint8 array, got {raw.dtype} {raw.shape}")
    return _parse_metadata_text(raw.tobytes(), fail)


def _parse_metadata_text(raw: bytes, fail: Callable[[str], PersistenceError]) -> dict[str, Any]:
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"the metadata is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fail(f"the metadata does not declare format {FORMAT!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise PersistenceError(
            f"the file has format version {version} (written by equilin {meta.get('library_version')}); this "
            f"equilin {VERSION} reads format versions up to {FORMAT_VERSION}: upgrade equilin")
    required = {"class": str, "kind": str, "library_version": str, "params": object, "arrays": dict,
                "checksum": dict}
    for key, kind in required.items():
        if key not in meta or not isinstance(meta[key], kind):
            raise fail(f"the metadata lacks {key!r} (or it has the wrong type)")
    if meta["kind"] not in ("estimator", "module"):
        raise fail(f"unknown kind {meta['kind']!r}; expected 'estimator' or 'module'")
    legacy = version < 4 and meta["class"].startswith(_LEGACY_PREFIXES)  # older files: the module path
    if not (legacy or (version >= 4 and meta["class"].isidentifier())):
        raise fail(f"unknown class {meta['class']!r}")
    if meta["kind"] == "estimator" and "fitted" not in meta:
        raise fail("the metadata lacks 'fitted'")
    checksum = meta["checksum"]
    if checksum.get("algorithm") != "sha256" or not isinstance(checksum.get("hexdigest"), str):
        raise fail("the checksum must be {'algorithm': 'sha256', 'hexdigest': ...}")
    return meta


def _check_manifest(meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]], where: str) -> None:
    manifest = meta["arrays"]
    missing = sorted(set(manifest) - set(arrays))
    extra = sorted(set(arrays) - set(manifest))
    if missing or extra:
        raise PersistenceError(f"{where}: the arrays disagree with the manifest (missing: {missing or 'none'}; "
                               f"not in the manifest: {extra or 'none'})")
    for name, entry in _items(manifest):
        array = arrays[name]
        if not isinstance(entry, dict) or entry.get("shape") != list(array.shape) \
                or entry.get("dtype") != array.dtype.str:
            raise PersistenceError(f"{where}: shape mismatch: array {name!r} is {array.dtype.str} "
                                   f"{list(array.shape)}, the manifest says {entry}")


def _items(mapping: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    yield from sorted(mapping.items())

