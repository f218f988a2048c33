"""The command line ``equilin <command> ...`` (also ``python -m equilin``): the parser and :func:`main`.

Bad input never shows a traceback: one line on stderr, exit status 2 (also for an ``OSError``, such as
an output file that cannot be written). Each command lives in the
module of its family, which adds its options to the parser and returns the function that runs it.

Every command takes ``--quiet`` (:data:`QUIET_HELP`): no progress and no informational messages on
stderr (Python warnings included); errors, and the result on stdout, still print. Progress itself is
:mod:`equilin.progress`: a bar on a terminal, plain lines in a pipe or a log file.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

from equilin.cli.arguments import Command, UsageError
from equilin.cli.deep import add_deep_command
from equilin.cli.experiments import add_critical_command, add_demo_command, add_mnist_command
from equilin.cli.fit import add_fit_command
from equilin.cli.geometry import add_count_command, add_equivariant_command, add_invariant_command
from equilin.cli.lcn import add_lcn_command
from equilin.cli.paths import describe_error
from equilin.version import VERSION

__all__ = ["QUIET_HELP", "main", "build_parser"]

PROG = "equilin"

COMMANDS: dict[str, Command] = {}
"""The function that runs each command, filled by :func:`build_parser`."""

QUIET_HELP = ("no progress and no informational messages on stderr (errors, and the result on stdout, "
              "still print)")
"""The help of ``--quiet``, which :func:`build_parser` gives every command."""


def _one_line(text: str) -> str:
    """``text`` with line breaks (which can come from echoed user input) escaped, so an error stays one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (its subparsers are :class:`_Parser` too)."""
    parser: argparse.ArgumentParser = _Parser(
        prog=PROG, description="Geometry, networks and experiments for linear networks invariant or equivariant "
                               "under permutation groups.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    COMMANDS["invariant"] = add_invariant_command(sub)
    COMMANDS["equivariant"] = add_equivariant_command(sub)
    COMMANDS["count"] = add_count_command(sub)
    COMMANDS["deep"] = add_deep_command(sub)
    COMMANDS["lcn"] = add_lcn_command(sub)
    COMMANDS["mnist"] = add_mnist_command(sub)
    COMMANDS["demo"] = add_demo_command(sub, run=main)
    COMMANDS["fit"] = add_fit_command(sub)
    COMMANDS["critical"] = add_critical_command(sub)
    for command in sub.choices.values():
        command.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2, already printed)
        return int(exc.code or 0)
    if args.command is None:
        print(f"{PROG}: error: name a command: {', '.join(sorted(COMMANDS))} "
              f"(see '{PROG} --help')", file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            if args.quiet:
                warnings.simplefilter("ignore")
            COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. `equilin ... | head`
        return 0
    except (UsageError, ValueError, OverflowError, MemoryError, OSError) as exc:
        print(f"{PROG} {args.command}: error: {_one_line(describe_error(exc))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
