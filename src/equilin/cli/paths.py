"""The output paths of the commands, checked before any work, and paths shown on a line.

``equilin fit --out MODEL.npz`` goes through :func:`check_output_file` (what :func:`equilin.io.save`
would refuse at the end, plus a file created and removed in its directory), ``equilin mnist --out DIR``
and ``equilin demo --out DIR`` through :func:`check_output_directory`. Every refusal is a
:class:`~equilin.cli.UsageError` naming the option and the user's path: one line, exit status 2.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from equilin.cli.arguments import UsageError
from equilin.io import check_save_path

__all__ = ["check_output_directory", "check_output_file", "describe_error", "printable"]


def printable(text: str) -> str:
    """``text`` as it can be printed on any stream: the bytes of a non-UTF-8 file name (which Python
    keeps as lone surrogates) shown as ``\\xNN``.

    Examples
    --------
    >>> printable("out/model.npz"), printable("caf\\udce9.npz")
    ('out/model.npz', 'caf\\\\xe9.npz')
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def describe_error(exc: BaseException) -> str:
    """The message of an error without Python's ``[Errno N]`` prefix.

    Examples
    --------
    >>> describe_error(PermissionError(13, "cannot save to m.npz: Permission denied"))
    'cannot save to m.npz: Permission denied'
    >>> describe_error(FileNotFoundError(2, "No such file or directory", "x.npy"))
    'x.npy: No such file or directory'
    """
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if exc.filename is None else f"{os.fsdecode(exc.filename)}: {exc.strerror}"
    return str(exc)


def _empty(text: str, option: str, example: str) -> None:
    if not text.strip():
        raise UsageError(f"{option} is empty; give a path such as {example}")


def check_output_file(text: str, option: str, obj: Any = None) -> None:
    """Refuse now an output file that :func:`equilin.io.save` would refuse after the work (``obj`` the
    estimator or module to be saved: its kind decides which suffixes are allowed).

    Examples
    --------
    >>> check_output_file("", "--out")
    Traceback (most recent call last):
    ...
    equilin.cli.UsageError: --out is empty; give a path such as model.npz
    """
    _empty(text, option, "model.npz")
    try:
        check_save_path(text, obj)
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(f"{option}: {describe_error(exc)}") from None


def check_output_directory(text: str, option: str, names: Sequence[str]) -> None:
    """Refuse now an output directory that cannot take the files ``names``: a path that is not a
    directory, an existing entry of ``names`` that is not a regular file, or a place where nothing can be
    created. A missing directory is fine when its nearest existing ancestor is a writable directory (it is
    created, with its parents, when the files are written).

    Examples
    --------
    >>> check_output_directory("/dev/null", "--out", ["mnist.json"])
    Traceback (most recent call last):
    ...
    equilin.cli.UsageError: --out /dev/null is a character device, not a directory
    """
    _empty(text, option, "out")
    shown = printable(text)
    path = Path(text)
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise UsageError(f"{option} {shown}: a part of the path is a file, not a directory") from None
    except OSError as exc:
        raise UsageError(f"{option} {shown}: {exc.strerror or exc}") from None
    if info is not None:
        if not stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{option} {shown} is {_kind(info.st_mode)}, not a directory")
        for name in names:
            check_output_file(str(path / name), option)
        return
    ancestor = path.absolute().parent
    while not os.path.lexists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{option} {shown}: cannot create it, {printable(str(ancestor))} is not a directory")
    try:
        made = tempfile.mkdtemp(prefix=".equilin-", dir=ancestor)
    except OSError as exc:
        raise UsageError(f"{option} {shown}: cannot create a directory in {printable(str(ancestor))} "
                         f"({exc.strerror or exc})") from None
    with contextlib.suppress(OSError):
        os.rmdir(made)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISREG, "a file"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a directory"  # pragma: no cover
