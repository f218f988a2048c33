"""The geometry commands: ``equilin invariant``, ``equilin equivariant`` and ``equilin count``.

* ``invariant``: the variety ``I^G_{r, m x n}`` of invariant maps (:class:`equilin.geometry.InvariantVariety`):
  orbit partition, ``psi``, dim, degree, ED degree, singular locus, parameters, the encoder's weight sharing.
* ``equivariant``: the variety ``E^G_{r, n x n}`` of equivariant maps
  (:class:`equilin.equivariance.EquivariantVariety`): the blocks of ``Q_sigma`` (one generator) or the
  isotypic blocks, both counts of irreducible components, dim, degree, ED degree, the first components.
* ``count``: only the counts, from the cycle type alone for one generator (any ``n``).

Each has a ``*_report`` (the JSON object of ``--json``), a printer of the text and a ``cmd_*``.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.cli.arguments import (
    EQUIVARIANT_MAX_N,
    Command,
    Subparsers,
    UsageError,
    add_group_arguments,
    check_group_source,
    check_non_negative,
    group_description,
    group_from_args,
)
from equilin.cli.formatting import any_int_digits, exact_json, short_int
from equilin.equivariance import EquivariantVariety, count_components
from equilin.geometry import InvariantVariety
from equilin.groups import cycle_type_of_string

__all__ = [
    "add_count_command",
    "add_equivariant_command",
    "add_invariant_command",
    "count_report",
    "equivariant_report",
    "invariant_report",
]


def _pattern_lines(pattern: NDArray[np.int64]) -> list[str]:
    width = len(str(int(pattern.max()) + 1)) + 1 if pattern.size else 2
    return ["  " + " ".join(f"w{int(v) + 1}".rjust(width) for v in row) for row in pattern]


def invariant_report(args: argparse.Namespace) -> dict[str, Any]:
    group = group_from_args(args)
    if args.m < 1:
        raise UsageError(f"-m must be at least 1, got {args.m}")
    if args.rank * group.n > EQUIVARIANT_MAX_N:
        raise UsageError(f"-r {args.rank} is too large: the encoder's weight-sharing pattern would have r * n = "
                         f"{args.rank * group.n:,} entries (at most {EQUIVARIANT_MAX_N:,}); ranks above "
                         "min(m, number of orbits) add no maps")
    X = InvariantVariety(group, args.m, check_non_negative(args.rank))
    sing = X.singular_locus
    return {
        "group": group_description(args),
        "n": X.n,
        "m": X.m,
        "rank": X.rank,
        "k": X.k,
        "rho": X.rho,
        "partition": X.partition_1based,
        "model": str(X.model),
        "dim": X.dim,
        "degree": X.degree,
        "ed_degree": X.ed_degree,
        "singular_locus": ("empty (smooth)" if sing is None else
                           f"invariant maps of rank <= {sing.rho} (isomorphic to {sing.model})"),
        "params_shared": X.n_params_shared,
        "params_dense": X.n_params_dense,
        "encoder_pattern": X.encoder_pattern().tolist(),
    }


def print_invariant(report: dict[str, Any]) -> None:
    r, m, n, k, rho = (report[key] for key in ("rank", "m", "n", "k", "rho"))
    blocks = " ".join("{" + ",".join(map(str, b)) + "}" for b in report["partition"])
    if len(blocks) > 100:
        sizes = sorted({len(b) for b in report["partition"]})
        blocks = f"orbits of sizes {sizes} (listed in --json)"
    print(f"Invariant linear maps R^{n} -> R^{m} of rank <= {r}, group {report['group']}")
    print(f"  orbit partition (k = {k}): {blocks}")
    print(f"  psi: I^G_{{{r}, {m}x{n}}} -> {report['model']}   (rho = min(r, m, k) = {rho})")
    print(f"  dim {report['dim']}   degree {report['degree']}   ED degree {report['ed_degree']}")
    print(f"  singular locus: {report['singular_locus']}")
    print(f"  parameters: weight-shared encoder r*k + m*r = {report['params_shared']}, "
          f"dense r*n + m*r = {report['params_dense']}")
    pattern = np.array(report["encoder_pattern"], dtype=np.int64).reshape(r, n)
    if r and n <= 40 and r <= 20:
        print(f"  encoder B = W E_P ({r} x {n}); equal names share one weight:")
        print("\n".join(_pattern_lines(pattern)))
    elif r:
        print(f"  encoder B = W E_P ({r} x {n}): column j uses weight column (orbit of j); "
              "pattern in --json")


def cmd_invariant(args: argparse.Namespace) -> None:
    report = invariant_report(args)
    if args.json:
        print(exact_json(report))
    else:
        with any_int_digits():  # the degree can have thousands of digits
            print_invariant(report)


BLOCKS_SHOWN = 24  # isotypic blocks printed by `equilin equivariant` (all of them with --json)


def _cycle_type_text(cycle_type: dict[int, int]) -> str:
    return "{" + ", ".join(f"{length}: {count}" for length, count in cycle_type.items()) + "}"


def equivariant_report(args: argparse.Namespace) -> dict[str, Any]:
    check_group_source(args)
    r = check_non_negative(args.rank)
    limit = 20 if args.limit is None else args.limit
    if limit < 0:
        raise UsageError(f"--limit must be a non-negative integer, got {limit}")
    if args.gens and args.n > EQUIVARIANT_MAX_N:
        raise UsageError(f"--n {args.n} is too large to build sigma (at most {EQUIVARIANT_MAX_N:,}); "
                         "'equilin count' counts the components from the cycle type alone")
    group = group_from_args(args)
    E = EquivariantVariety(group, r)
    count = E.count_components()
    components = []
    for C in itertools.islice(E.components(), min(limit, count.total)):  # any --limit, even 10**30
        components.append({
            "ranks": list(C.ranks),
            "label": C.label(),
            "kind": C.kind,
            "max_rank": C.max_rank,
            "dim": C.dim,
            "degree": C.degree,
            "ed_degree": C.ed_degree,
            "params": C.n_params,
        })
    blocks = []
    for b in E.blocks:
        block = {"label": b.label, "kind": b.kind, "field": b.field.name, "size": b.size, "weight": b.weight}
        if b.eigenvalue is not None:                 # a cyclic group: the talk's (l, m)
            block.update(l=b.l, m=b.m)
        block.update(characters=list(b.character))
        blocks.append(block)
    return {
        "group": group_description(args),
        "n": E.n,
        "rank": E.rank,
        "method": E.method,
        "cycle_type": (None if E.cycle_type is None
                       else {str(length): c for length, c in E.cycle_type.items()}),
        "commutant_dim": E.commutant_dim,
        "blocks": blocks,
        "n_components": count.total,
        "n_components_rank_r": count.rank_r,
        "dim": E.dim,
        "degree": E.degree,
        "ed_degree": E.ed_degree,
        "components": components,
    }


def print_equivariant(report: dict[str, Any]) -> None:
    n, r = report["n"], report["rank"]
    print(f"Equivariant linear maps R^{n} -> R^{n} of rank <= {r}, group {report['group']}")
    if report["cycle_type"] is not None:
        cycle_type = {int(k): v for k, v in report["cycle_type"].items()}
        print(f"  cycle type {_cycle_type_text(cycle_type)}; the commuting matrices form a space of "
              f"dimension {report['commutant_dim']:,}")
        print("  blocks of Q_sigma^T M Q_sigma (talk's order; complex blocks count twice towards the rank):")
        print(f"    {'label':<12} {'l':>5} {'m':>5}  {'kind':<8} {'size':>6} {'weight':>6}")
        for b in report["blocks"]:
            print(f"    {b['label']:<12} {b['l']:>5} {b['m']:>5}  {b['kind']:<8} {b['size']:>6} "
                  f"{b['weight']:>6}")
    else:
        print(f"  isotypic decomposition: the commuting matrices form a space of dimension "
              f"{report['commutant_dim']:,} = sum size^2 dim_R(field)")
        print("  blocks M_size(field) of Q^T M Q (the first is the trivial representation; a block's rank "
              "counts weight = dim V times):")
        kinds = [b["kind"] for b in report["blocks"]]
        print(f"  {len(kinds):,} blocks: " + ", ".join(f"{kinds.count(k):,} {k}" for k in
                                                    ("real", "complex", "quaternionic") if k in kinds))
        print(f"    {'label':<12} {'kind':<13} {'field':>5} {'size':>6} {'weight':>6}  generator traces")
        for b in report["blocks"][:BLOCKS_SHOWN]:
            traces = " ".join(f"{c:g}" for c in b["characters"])
            print(f"    {b['label']:<12} {b['kind']:<13} {b['field']:>5} {b['size']:>6} {b['weight']:>6}  {traces}")
        if len(kinds) > BLOCKS_SHOWN:
            print(f"    ... {len(kinds) - BLOCKS_SHOWN:,} more blocks (--json lists them all)")
    total, rank_r = report["n_components"], report["n_components_rank_r"]
    print(f"  irreducible components: {total:,} ({rank_r:,} contain a matrix of rank {r}, "
          f"{total - rank_r:,} have a smaller maximal rank)")
    print(f"  E_r: dim {report['dim']:,}, degree {short_int(report['degree'])} (top-dimensional components), "
          f"ED degree {short_int(report['ed_degree'])} (sum over the real components)")
    shown = report["components"]
    if not shown:
        return
    print(f"  first {len(shown)} components (lexicographically decreasing ranks in block order):")
    print(f"    {'kind':<15} {'max rank':>8} {'dim':>10} {'degree':>12} {'ED degree':>12} {'params':>9}  ranks")
    for c in shown:
        print(f"    {c['kind']:<15} {c['max_rank']:>8} {c['dim']:>10,} {short_int(c['degree']):>12} "
              f"{short_int(c['ed_degree']):>12} {c['params']:>9,}  {c['label']}")
    if len(shown) < total:
        print(f"  ... {total - len(shown):,} more (--limit K shows more)")


def cmd_equivariant(args: argparse.Namespace) -> None:
    report = equivariant_report(args)
    if args.json:
        print(exact_json(report))
    else:
        with any_int_digits():  # the component counts can have thousands of digits
            print_equivariant(report)


def count_report(args: argparse.Namespace) -> dict[str, Any]:
    """Counts from the cycle type alone for one --gens (sigma is never built: n may be 10**12); from
    the block structure (the FFT or the orbit-wise backend) for several generators."""
    check_group_source(args)
    r = check_non_negative(args.rank)
    if args.gens and len(args.gens) == 1:
        if args.shift is not None:
            raise UsageError("--shift goes with --image and a shift action, not with --gens")
        cycle_type = cycle_type_of_string(args.gens[0], args.n)
        count = count_components(cycle_type, r)
        n = sum(length * c for length, c in cycle_type.items())
        blocks = None
    else:
        group = group_from_args(args)
        generator = group.cyclic_generator()
        if generator is not None:   # one generator generates the group: counts from its cycle type
            cycle_type = generator.cycle_type
            count = count_components(cycle_type, r)
            blocks = None
        else:
            cycle_type = None
            E = EquivariantVariety(group, r)
            count = E.count_components()
            blocks = [{"label": b.label, "kind": b.kind, "size": b.size, "weight": b.weight}
                      for b in E.blocks]
        n = group.n
    return {
        "group": group_description(args),
        "n": n,
        "rank": r,
        "method": "fourier" if cycle_type is not None else E.method,
        "cycle_type": None if cycle_type is None else {str(length): c for length, c in cycle_type.items()},
        "blocks": blocks,
        "n_components": count.total,
        "n_components_rank_r": count.rank_r,
    }


def print_count(report: dict[str, Any]) -> None:
    if report["cycle_type"] is not None:
        cycle_type = {int(k): v for k, v in report["cycle_type"].items()}
        print(f"Irreducible components of E^sigma_{{{report['rank']}, n x n}}, group {report['group']}, "
              f"cycle type {_cycle_type_text(cycle_type)}")
    else:
        kind = "frequency blocks r_{(a_1,...)}" if report["method"] == "abelian" else "isotypic blocks"
        print(f"Irreducible components of E^G_{{{report['rank']}, n x n}}, group {report['group']}, "
              f"{len(report['blocks']):,} {kind}")
    print(f"  n_components        = {report['n_components']:,}")
    print(f"  n_components_rank_r = {report['n_components_rank_r']:,}   "
          f"(those containing a matrix of rank {report['rank']}: the talk's count)")


def cmd_count(args: argparse.Namespace) -> None:
    report = count_report(args)
    if args.json:
        print(exact_json(report))
    else:
        with any_int_digits():  # the counts can have thousands of digits
            print_count(report)


def add_invariant_command(sub: Subparsers) -> Command:
    """Add ``equilin invariant`` to ``sub``; returns the function that runs it."""
    inv = sub.add_parser("invariant", help="the variety of invariant maps I^G_{r, m x n}",
                         description="Describe I^G_{r, m x n}: orbit partition, psi, dim, degree, "
                                     "ED degree, singular locus, parameters, encoder weight sharing.")
    add_group_arguments(inv)
    inv.add_argument("-m", type=int, required=True, metavar="M", help="output dimension")
    inv.add_argument("-r", "--rank", type=int, required=True, metavar="R", help="rank bound (bottleneck)")
    inv.add_argument("--json", action="store_true", help="print one JSON object")
    return cmd_invariant


def add_equivariant_command(sub: Subparsers) -> Command:
    """Add ``equilin equivariant`` to ``sub``; returns the function that runs it."""
    equ = sub.add_parser("equivariant", help="the variety of equivariant maps E^G_{r, n x n}",
                         description="Describe E^G_{r, n x n}: blocks (for a cyclic group <sigma> those of "
                                     "the real Fourier basis Q_sigma; for several generators the isotypic "
                                     "blocks, real, complex or quaternionic), irreducible components (both "
                                     "counts), and dim, degree, ED degree, parameters of the first K.")
    add_group_arguments(equ)
    equ.add_argument("-r", "--rank", type=int, required=True, metavar="R", help="rank bound (bottleneck)")
    equ.add_argument("--limit", type=int, metavar="K", help="list the first K components (default 20)")
    equ.add_argument("--json", action="store_true", help="print one JSON object")
    return cmd_equivariant


def add_count_command(sub: Subparsers) -> Command:
    """Add ``equilin count`` to ``sub``; returns the function that runs it."""
    cnt = sub.add_parser("count", help="count the irreducible components of E^G_{r, n x n}",
                         description="Count the irreducible components of E^G_{r, n x n} (all, and "
                                     "those containing a rank-r matrix): from the cycle type alone for one "
                                     "generator (any n), from the isotypic decomposition for several.")
    add_group_arguments(cnt)
    cnt.add_argument("-r", "--rank", type=int, required=True, metavar="R", help="rank bound (bottleneck)")
    cnt.add_argument("--json", action="store_true", help="print one JSON object")
    return cmd_count
