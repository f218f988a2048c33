"""``equilin lcn``: a one-channel convolutional network ``R^{d_0} -> R^{d_1} -> ... -> R^{d_L}``
(:class:`equilin.lcn.LCN`), linear or with the activation ``x^K`` between its layers.

The report gives the layer sizes, the end-to-end filter and stride, the parameters and the function
space of the linear network (dimension ``sum_i k_i - (L - 1)``, whether it fills ``R^k``, the number of
samples of the critical-point theorem); with ``--degree K`` also the dimension of the neurovariety of the
polynomial network, computed as a Jacobian rank (float64 and exactly modulo a prime), beside the formula
``sum_i k_i - L + 1`` of Shahverdi, Marchetti and Kohn.
"""

from __future__ import annotations

import argparse
from typing import Any

from equilin.cli.arguments import Command, Subparsers, UsageError, check_non_negative, neurovariety_dimensions
from equilin.cli.formatting import exact_json
from equilin.lcn import LCN

__all__ = ["add_lcn_command", "lcn_report", "parse_sizes"]

MAX_LAYERS = 64
"""The most layers ``equilin lcn`` accepts."""

NEUROVARIETY_MAX_SIZE = 4096
"""The largest input size for which ``--degree`` computes the neurovariety (the values at random points)."""


def parse_sizes(text: str, option: str) -> tuple[int, ...]:
    """A comma-separated list of positive integers, such as ``3,2,2``."""
    parts = [p.strip() for p in text.split(",")]
    if not parts or len(parts) > MAX_LAYERS or not all(p.isdigit() and p.isascii() for p in parts):
        raise UsageError(f"{option} must be 1 to {MAX_LAYERS} positive integers separated by commas, such as "
                         f"3,2; got {text!r}")
    values = tuple(int(p) for p in parts)
    if min(values) < 1:
        raise UsageError(f"{option} must be positive integers, got {text!r}")
    return values


def lcn_report(args: argparse.Namespace) -> dict[str, Any]:
    filters = parse_sizes(args.filters, "--filters")
    strides = parse_sizes(args.strides, "--strides") if args.strides is not None else (1,) * len(filters)
    if len(strides) != len(filters):
        raise UsageError(f"--strides needs one stride per filter ({len(filters)}), got {len(strides)}")
    if args.input is None:     # the smallest input for which the last layer has one output
        net = LCN.for_output(filters, strides)
    else:
        net = LCN(check_non_negative(args.input, "--input"), filters, strides)
    neurovariety = None
    if args.degree is not None:
        if args.degree < 1:
            raise UsageError(f"--degree must be at least 1, got {args.degree}")
        if net.d0 > NEUROVARIETY_MAX_SIZE:
            raise UsageError(f"--degree computes the neurovariety for inputs of at most {NEUROVARIETY_MAX_SIZE:,} "
                             f"entries, got {net.d0:,}; use a smaller --input")
        real, exact = neurovariety_dimensions(net, args.degree, args.seed)
        formula = net.n_params - net.n_layers + 1
        neurovariety = {"degree": args.degree, "dim": real, "dim_mod_p": exact, "formula": formula,
                        "agrees": real == exact == formula}
    return {
        "sizes": list(net.sizes),
        "filters": list(net.filter_sizes),
        "strides": list(net.strides),
        "n_params": net.n_params,
        "filter_size": net.filter_size,
        "stride": net.stride,
        "dim": net.dim,
        "is_filling": net.is_filling,
        "sample_count": net.sample_count(),
        "neurovariety": neurovariety,
    }


def cmd_lcn(args: argparse.Namespace) -> None:
    report = lcn_report(args)
    if args.json:
        print(exact_json(report))
        return
    sizes = " -> ".join(f"R^{d}" for d in report["sizes"])
    print(f"Convolutional network {sizes}: filters {tuple(report['filters'])}, strides {tuple(report['strides'])}, "
          f"one channel, no bias")
    print(f"  end-to-end filter of size {report['filter_size']} with stride {report['stride']}; "
          f"{report['n_params']} parameters")
    print(f"  linear function space: dimension {report['dim']} = sum k_i - (L - 1)"
          f"{'; fills R^k' if report['is_filling'] else ''}; "
          f"the critical-point theorem asks for N >= {report['sample_count']} samples")
    nv = report["neurovariety"]
    if nv is not None:
        verdict = "agrees with" if nv["agrees"] else "differs from"
        print(f"  with the activation x^{nv['degree']} between the layers: neurovariety of dimension {nv['dim']} "
              f"(float64 Jacobian rank; {nv['dim_mod_p']} exactly modulo 2^31 - 1), which {verdict} "
              f"sum k_i - L + 1 = {nv['formula']} (Shahverdi-Marchetti-Kohn, degree > 1)")


def add_lcn_command(sub: Subparsers) -> Command:
    """Add ``equilin lcn`` to ``sub``; returns the function that runs it."""
    lcn = sub.add_parser("lcn", help="a one-channel convolutional network, linear or with x^K between layers",
                         description="Describe a one-channel 1-D convolutional network without bias: layer "
                                     "sizes, end-to-end filter, parameters, the dimension of the linear "
                                     "network's function space; with --degree K the dimension of the "
                                     "neurovariety with the activation x^K between the layers.")
    lcn.add_argument("--filters", required=True, metavar="K1,K2,...", help="filter sizes, first layer first")
    lcn.add_argument("--strides", metavar="S1,S2,...", help="strides (default: all 1)")
    lcn.add_argument("--input", type=int, metavar="D0",
                     help="input size (default: the smallest for which the last layer has one output)")
    lcn.add_argument("--degree", type=int, metavar="K", help="also the neurovariety with the activation x^K")
    lcn.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random parameters and points")
    lcn.add_argument("--json", action="store_true", help="print one JSON object")
    return cmd_lcn
