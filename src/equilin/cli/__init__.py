"""equilin.cli: the command line ``equilin <command> ...`` (also ``python -m equilin``).

Bad input never shows a traceback: one line on stderr, exit status 2 (:class:`UsageError` and every
:class:`ValueError` of the layers below).

Modules
-------
program
    :func:`main` (the entry point ``equilin = "equilin.cli:main"``), :func:`build_parser` and the
    one-line error handling.
arguments
    What the commands share: :class:`UsageError`, the group options ``--gens/--n``,
    ``--image/--action``, ``--volume/--action``, ``--shift`` and their checks, :data:`EQUIVARIANT_MAX_N`.
formatting
    Exact ints of any length in ``--json`` and in the text reports; long ints shortened on a line.
geometry
    ``equilin invariant``, ``equilin equivariant`` and ``equilin count``.
deep
    ``equilin deep`` (deep equivariant linear networks, hidden layers with group actions).
lcn
    ``equilin lcn`` (one-channel convolutional networks, linear or with ``x^K``: neurovarieties).
experiments
    ``equilin mnist``, ``equilin demo`` and ``equilin critical``.
fit
    ``equilin fit`` (a closed-form autoencoder on ``.npy`` shards or a zarr array, read with
    :func:`equilin.data.open_shards`).
"""

from equilin.cli.arguments import EQUIVARIANT_MAX_N, UsageError
from equilin.cli.program import build_parser, main

__all__ = [
    "EQUIVARIANT_MAX_N",
    "UsageError",
    "build_parser",
    "main",
]
