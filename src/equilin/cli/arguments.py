"""What the commands share: :class:`UsageError`, the group arguments and their checks.

A group is named on the command line in one of three ways: ``--gens CYCLES [--gens ...] --n N``
(generators as 1-based cycle strings), ``--image HxW --action ACTION [--shift S]`` or ``--volume
DxHxW --action ACTION [--shift S]``. :func:`add_group_arguments` adds these options to a command,
:func:`group_from_args` checks them and builds the group (at most :data:`EQUIVARIANT_MAX_N` points),
:func:`group_description` says in words which group it is.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

from equilin.groups import (
    IMAGE_ACTIONS,
    IMAGE_GROUPS,
    VOLUME_GROUPS,
    PermutationGroup,
    image_group,
    volume_group,
)

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The ``sub`` of ``parser.add_subparsers()``, to which each command module adds its commands."""

Command: TypeAlias = Callable[[argparse.Namespace], None]
"""What runs one command on the parsed arguments (raising :class:`UsageError` on bad input)."""

__all__ = [
    "EQUIVARIANT_MAX_N",
    "UsageError",
    "add_group_arguments",
    "check_group_source",
    "check_non_negative",
    "given_group_flags",
    "group_description",
    "group_from_args",
    "neurovariety_dimensions",
    "parse_image_size",
    "parse_volume_size",
]

EQUIVARIANT_MAX_N = 10_000_000
"""Most points (``--n``, pixels, voxels; ``r * n`` for ``invariant``) of a group the commands build."""


class UsageError(ValueError):
    """Bad command-line input (reported as one line, exit status 2)."""


UsageError.__module__ = "equilin.cli"  # its public home, as tracebacks name it


def check_non_negative(value: int, name: str = "-r") -> int:
    """``value`` when it is at least 0, else a :class:`UsageError` naming the option ``name``.

    Examples
    --------
    >>> check_non_negative(3)
    3
    >>> check_non_negative(-1, "--seed")
    Traceback (most recent call last):
    ...
    equilin.cli.UsageError: --seed must be a non-negative integer, got -1
    """
    if value < 0:
        raise UsageError(f"{name} must be a non-negative integer, got {value}")
    return value


def add_group_arguments(parser: argparse.ArgumentParser, several: bool = True) -> None:
    """``--gens CYCLES [--gens ...] --n N``, ``--image HxW --action ACTION [--shift S]`` or
    ``--volume DxHxW --action ACTION [--shift S]``."""
    parser.add_argument("--gens", action="append", metavar="CYCLES",
                        help="1-based cycle string of a generator, e.g. '(1 3 4)(2 5)'"
                             + (" (repeat for several generators)" if several else ""))
    parser.add_argument("--n", type=int, metavar="N", help="size of the permuted set (with --gens)")
    parser.add_argument("--image", metavar="HxW", help="image size, e.g. 28x28 (with --action)")
    parser.add_argument("--volume", metavar="DxHxW", help="volume size, e.g. 8x8x8 (with --action "
                        + " or ".join(VOLUME_GROUPS) + ")")
    parser.add_argument("--action", choices=IMAGE_ACTIONS + IMAGE_GROUPS + VOLUME_GROUPS,
                        help="image action (with --image): one permutation, or the groups shift-xy (both "
                             "translations), d4 (rotations and flips), p4 / p4m (the torus image's "
                             "translations with rotations / and flips); volume action (with --volume): "
                             "shift-xyz (translations along the 3 axes), cube (the 24 rotations)")
    parser.add_argument("--shift", type=int, metavar="S",
                        help="pixels per shift for the shift actions, p4 and p4m: 1 <= |S| < the side "
                             "(default 1; negative: the other way)")


def parse_image_size(text: str) -> tuple[int, int]:
    """``(H, W)`` from ``--image HxW``.

    Examples
    --------
    >>> parse_image_size("28x28")
    (28, 28)
    """
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--image must look like HxW, e.g. 28x28, got {text!r}")
    h, w = int(match.group(1)), int(match.group(2))
    if h < 1 or w < 1:
        raise UsageError(f"--image sides must be at least 1, got {text!r}")
    return h, w


def parse_volume_size(text: str) -> tuple[int, int, int]:
    """``(D, H, W)`` from ``--volume DxHxW``."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--volume must look like DxHxW, e.g. 8x8x8, got {text!r}")
    d, h, w = (int(match.group(k)) for k in (1, 2, 3))
    if min(d, h, w) < 1:
        raise UsageError(f"--volume sides must be at least 1, got {text!r}")
    return d, h, w


def given_group_flags(args: argparse.Namespace) -> list[str]:
    """Which of ``--gens``, ``--image``, ``--volume`` were given."""
    return [flag for flag, value in (("--gens", args.gens), ("--image", args.image),
                                     ("--volume", args.volume)) if value]


def check_group_source(args: argparse.Namespace, several: bool = True) -> None:
    """Exactly one of the three ways to name a group, with the arguments it needs."""
    for flag, value, example in (("--image", args.image, "28x28"), ("--volume", args.volume, "8x8x8")):
        if value is not None and not value.strip():
            raise UsageError(f"{flag} is empty; give its size, e.g. {flag} {example}")
    given = given_group_flags(args)
    if len(given) > 1:
        raise UsageError("give one of --gens with --n, --image with --action, or --volume with --action; got "
                         + " and ".join(given))
    if args.gens:
        if args.n is None:
            raise UsageError("--gens needs --n N, the size of the permuted set")
        if args.action is not None:
            raise UsageError("--action goes with --image or --volume, not with --gens")
        if not several and len(args.gens) > 1:
            raise UsageError("this command takes one --gens (a cyclic group); "
                             "several generators are not handled here")
    elif given:
        flag = given[0]
        choices = VOLUME_GROUPS if flag == "--volume" else IMAGE_ACTIONS + IMAGE_GROUPS
        if args.action is None:
            raise UsageError(f"{flag} needs --action, one of " + ", ".join(choices))
        if args.action not in choices:
            raise UsageError(f"--action {args.action} does not act on {'volumes' if flag == '--volume' else 'images'}; "
                             f"with {flag} choose one of " + ", ".join(choices))
        if args.n is not None:
            raise UsageError(f"--n goes with --gens; with {flag} the size is the number of "
                             f"{'voxels' if flag == '--volume' else 'pixels'}")
        if args.shift is not None and not args.action.startswith(("shift", "p4")):
            raise UsageError(f"--shift goes with the shift actions, p4 and p4m, not with {args.action}")
    else:
        raise UsageError("name the group with --gens CYCLES --n N, --image HxW --action ACTION, or --volume "
                         "DxHxW --action ACTION")


def group_from_args(args: argparse.Namespace, several: bool = True) -> PermutationGroup:
    """The group named on the command line (validated)."""
    check_group_source(args, several)
    if args.gens:
        if args.shift is not None:
            raise UsageError("--shift goes with --image and a shift action, not with --gens")
        if args.n > EQUIVARIANT_MAX_N:  # refused before any array of size n is allocated
            raise UsageError(f"--n {args.n} is too large to build the group (at most {EQUIVARIANT_MAX_N:,}); "
                             "'equilin count' counts the components of one generator from its cycle "
                             "type alone, for any n")
        return PermutationGroup.from_cycles(args.gens, args.n)
    s = 1 if args.shift is None else args.shift
    if args.image:
        h, w = parse_image_size(args.image)
        if h * w > EQUIVARIANT_MAX_N:
            raise UsageError(f"--image {args.image} has {h * w:,} pixels, too many to build the group (at most "
                             f"{EQUIVARIANT_MAX_N:,})")
        _check_shift(args, {"shift-x": (w,), "shift-y": (h,)}.get(args.action, (h, w)), f"{h}x{w} images")
        group = image_group(args.action, h, w, s)
    else:
        d, h, w = parse_volume_size(args.volume)
        if d * h * w > EQUIVARIANT_MAX_N:
            raise UsageError(f"--volume {args.volume} has {d * h * w:,} voxels, too many to build the group "
                             f"(at most {EQUIVARIANT_MAX_N:,})")
        _check_shift(args, (d, h, w), f"{d}x{h}x{w} volumes")
        group = volume_group(args.action, d, h, w, s)
    if not several and len(group.generators) > 1:
        raise UsageError(f"this command takes a cyclic group; {args.action} has {len(group.generators)} "
                         "generators")
    return group


def _check_shift(args: argparse.Namespace, lengths: tuple[int, ...], what: str) -> None:
    """A ``--shift`` moves pixels: ``0`` and multiples of an axis length leave that axis in place (a shift
    by ``s`` is one by ``s mod L``), so ``1 <= |S| < L`` on every axis it moves (negative: the other way)."""
    s = args.shift
    if s is None or not args.action.startswith(("shift", "p4")):
        return
    axis = min(lengths)
    if axis < 2:
        raise UsageError(f"--shift {s}: {args.action} of {what} moves nothing (an axis of length 1)")
    if not 1 <= abs(s) < axis:
        raise UsageError(f"--shift must be between 1 and {axis - 1} (or -1 and -{axis - 1}, the other way) for "
                         f"{args.action} of {what}, got {s}: a shift by 0 or by a multiple of the axis length "
                         "moves nothing")


def group_description(args: argparse.Namespace) -> str:
    """The group in words, as reports print it: ``"generated by (1 2 3) on n = 3"``, ``"shift-x by 1 of
    28x28 images"``."""
    if args.gens:
        return "generated by " + ", ".join(args.gens) + f" on n = {args.n}"
    shift = f" by {1 if args.shift is None else args.shift}" if args.action.startswith(("shift", "p4")) else ""
    if args.image:
        return f"{args.action}{shift} of {args.image} images"
    return f"{args.action}{shift} of {args.volume} volumes"


def neurovariety_dimensions(network: Any, degree: int, seed: int) -> tuple[int, int]:
    """:func:`equilin.deep.neurovariety_dimension` for ``--degree K``, with its numerical failures (values
    ``x^K`` that overflow float64, no clear gap in the singular values) as one :class:`UsageError`."""
    from equilin.deep import neurovariety_dimension

    if degree < 1:
        raise UsageError(f"--degree must be at least 1, got {degree}")
    try:
        with np.errstate(all="ignore"):        # overflow shows up as the failure below, not as warnings
            return neurovariety_dimension(network, degree, seed=check_non_negative(seed, "--seed"))
    except (RuntimeError, np.linalg.LinAlgError) as exc:
        raise UsageError(f"--degree {degree}: the float64 Jacobian rank of this network with x^{degree} cannot be "
                         f"trusted ({exc}); try a smaller --degree") from None
