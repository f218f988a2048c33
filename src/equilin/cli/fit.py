"""``equilin fit``: a closed-form linear autoencoder fitted on data too large for memory.

The rows come from :func:`equilin.data.open_shards` (a directory of ``.npy`` shards, one ``.npy`` file
or a zarr array), one block at a time, into the estimator's ``partial_fit``
(:class:`equilin.models.DenseAutoencoder`, :class:`~equilin.models.InvariantAutoencoder` or
:class:`~equilin.models.EquivariantAutoencoder`); the fitted model is written with
:func:`equilin.io.save`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from equilin.cli.arguments import (
    Command,
    Subparsers,
    UsageError,
    add_group_arguments,
    check_group_source,
    check_non_negative,
    given_group_flags,
    group_description,
    group_from_args,
)
from equilin.cli.paths import check_output_file, describe_error, printable
from equilin.data import open_shards
from equilin.equivariance import EquivariantVariety, Ranks
from equilin.io import save
from equilin.models import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.progress import Progress

__all__ = ["FIT_HELP", "add_fit_command", "fit_report"]


FIT_HELP = """Fit a closed-form linear autoencoder (the exact optimum) on data too large for memory, and
write the fitted model with equilin.io.save. PATH is a directory of .npy shards (each N_i x n,
rows are samples; read memory-mapped, in name order), a single .npy file, or a zarr array (N x n).
Shards are added one at a time with partial_fit (float64 Gram statistics; the result equals a fit on
all rows at once). Models: dense (rank -r), invariant (group, rank -r: orbit-shared encoder),
equivariant (one generator; --ranks R1,R2,... in block order, or 'best' with the budget -r)."""


def _parse_fit_ranks(text: str | None) -> tuple[int, ...] | str:
    if text is None or text.strip() == "best":
        return "best"
    if "=" in text:          # labels, as component labels print them: checked against the blocks later
        return text
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--ranks must be 'best', comma-separated integers in block order or labelled ranks "
                         f"such as 'r_{{1,1}}=2 r_{{4,3}}=1', got {text!r}") from None
    if any(v < 0 for v in values):
        raise UsageError(f"--ranks must be non-negative, got {text!r}")
    return values


def _fit_estimator(
    args: argparse.Namespace,
) -> tuple[DenseAutoencoder | InvariantAutoencoder | EquivariantAutoencoder, str]:
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.model == "dense":
        if given := given_group_flags(args):
            raise UsageError("--model dense takes no group; drop " + " / ".join(given))
        if args.ranks is not None:
            raise UsageError("--ranks goes with --model equivariant; the dense model takes -r")
        if args.rank is None:
            raise UsageError("--model dense needs the rank -r R")
        return DenseAutoencoder(check_non_negative(args.rank), batch_size=args.batch_size), "dense"
    if args.model == "invariant":
        if args.ranks is not None:
            raise UsageError("--ranks goes with --model equivariant; the invariant model takes -r")
        if args.rank is None:
            raise UsageError("--model invariant needs the rank -r R")
        group = group_from_args(args)
        return (InvariantAutoencoder(group, check_non_negative(args.rank), batch_size=args.batch_size),
                f"invariant (group {group_description(args)})")
    check_group_source(args, several=False)
    group = group_from_args(args, several=False)
    ranks = _parse_fit_ranks(args.ranks)
    if ranks == "best" and args.rank is None:
        raise UsageError("--model equivariant with --ranks best (the default) needs the budget -r R")
    r = None if args.rank is None else check_non_negative(args.rank)
    if ranks != "best":  # refuse bad ranks before reading any data
        fitted = EquivariantVariety.for_ranks(group, Ranks(ranks) if isinstance(ranks, str) else ranks)
        ranks, needed = fitted.parse_ranks(ranks), fitted.rank     # labelled text -> the tuple
        if r is not None and needed > r:
            raise UsageError(f"--ranks use a weighted rank of {needed}, more than -r {r}")
    return (EquivariantAutoencoder(group, ranks, rank=r, batch_size=args.batch_size),
            f"equivariant (group {group_description(args)})")


def fit_report(args: argparse.Namespace) -> dict[str, Any]:
    if not args.data.strip():
        raise UsageError("--data is empty; give a directory of .npy shards, a .npy file or a zarr array")
    estimator, description = _fit_estimator(args)
    check_output_file(args.out, "--out", estimator)       # before any data is read
    shards = open_shards(args.data, args.batch_size, name=f"--data {args.data}")
    group = getattr(estimator, "group", None) or getattr(estimator, "sigma", None)
    for shard in shards:  # shapes are known without reading: refuse before the progress bar starts
        shape = shard.shape
        if len(shape) != 2:
            raise UsageError(f"{shard.name}: expected a 2-D array (samples x features), got shape {shape}")
        if group is not None and shape[1] != group.n:
            raise UsageError(f"{shard.name}: {shape[1]} features, but the group acts on n = {group.n} points")
    bar = Progress(shards, "fit", unit=shards.unit, enabled=not args.quiet)  # a bar on a terminal, else lines
    for shard in bar:
        rows = shard.read()
        try:
            estimator.partial_fit(rows)
        except ValueError as exc:
            raise UsageError(f"{shard.name}: {exc}") from None
        bar.set_postfix(samples=f"{estimator.n_samples_seen_:,}")
    bar.close()
    try:
        save(estimator, args.out)
    except OSError as exc:   # the disk filled up, the directory was removed during the fit...
        raise UsageError(f"--out: {describe_error(exc)}") from None
    ranks = estimator.ranks_
    return {
        "model": args.model,
        "description": description,
        "data": args.data,
        "source": shards.description,
        "n_samples": estimator.n_samples_seen_,
        "n": estimator.n_features_in_,
        "ranks": ranks,
        "train_loss": estimator.train_loss_,
        "n_params": estimator.n_params_,
        "out": args.out,
    }


def cmd_fit(args: argparse.Namespace) -> None:
    report = fit_report(args)
    if args.json:
        print(json.dumps(report))
        return
    ranks = report["ranks"]
    ranks_text = " ".join(f"{k}={v}" for k, v in ranks.items()) if isinstance(ranks, dict) else f"rank {ranks}"
    kind, _, group = report["description"].partition(" ")
    print(f"Fitted a closed-form {kind} linear autoencoder{' ' + group if group else ''} on {report['n_samples']:,} "
          f"samples of dimension n = {report['n']:,} from {printable(report['source'])} in "
          f"{printable(report['data'])}: {ranks_text}; train loss (mean squared error per entry) "
          f"{report['train_loss']:.6g}; {report['n_params']:,} parameters. Wrote {printable(report['out'])}.")


def add_fit_command(sub: Subparsers) -> Command:
    """Add ``equilin fit`` to ``sub``; returns the function that runs it."""
    fit = sub.add_parser("fit", help="fit a closed-form autoencoder on .npy shards or a zarr array",
                         description=FIT_HELP)
    fit.add_argument("--data", required=True, metavar="PATH",
                     help="directory of .npy shards (N_i x n each, name order), a .npy file, or a zarr array")
    fit.add_argument("--model", required=True, choices=("dense", "invariant", "equivariant"),
                     help="dense (rank -r), invariant (group, -r) or equivariant (one generator, --ranks / -r)")
    add_group_arguments(fit)
    fit.add_argument("-r", "--rank", type=int, metavar="R",
                     help="rank (dense, invariant) or rank budget (equivariant with --ranks best)")
    fit.add_argument("--ranks", metavar="R1,R2,...|best",
                     help="equivariant: ranks in block order, labelled ranks ('r_{1,1}=2 r_{4,3}=1'), or 'best' "
                          "(default) to choose them from the data")
    fit.add_argument("--batch-size", type=int, default=8192, metavar="B",
                     help="rows per Gram-matrix update (and per zarr read, in whole chunks; default 8192)")
    fit.add_argument("--out", required=True, metavar="MODEL.npz",
                     help="where to write the fitted model (checked before the data is read: its directory "
                          "must exist and be writable; a symbolic link is written through)")
    fit.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    return cmd_fit
