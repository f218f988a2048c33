"""Fuzz the cycle-string parser and the CLI with >= 100,000 inputs per target.

Run: ``python benchmarks/fuzz_inputs.py [--count 100000] [--seed 0]``. Inputs come from a seeded random
generator (hostile tokens, unicode, nested parentheses, huge and negative sizes; random argv built from the
real option names of every subcommand). For every target it prints the number of inputs, the outcomes by
exception type (or exit status for the CLI), the largest time per input and the peak memory:
``tracemalloc`` peak over the inputs whose size is 10**12 or more (these must never allocate), and the
process's peak RSS. Anything but a documented outcome (``ValueError`` for the parser targets; status 0 or 2
with exactly one stderr line for the CLI) is listed with its input and makes the script exit 1.

``run_mnist`` is replaced by a stub (valid ``mnist``/``demo`` arguments would start the experiment); the CLI
runs in a temporary directory that holds one small ``.npy`` shard, so ``fit --data .`` can succeed. The
argparse parser is built once and reused (``equilin.cli.program.build_parser`` patched to return it): building it
is 90% of a call's time, and parsing does not change it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

import equilin.cli.program
import equilin.experiments
from equilin.cli import main
from equilin.groups import Permutation, PermutationGroup, cycle_type_of_string, parse_cycles

TOKENS = ["(", ")", "((", "))", " ", "  ", ",", "1", "2", "3", "4", "5", "9", "0", "-1", "10", "12",
          "999999999999", "1" * 40, "a", "\u0663", "\uff11", "\u00e9", "\n", "\t", "()", "1.5", "+2", "0x1",
          "\x00", "\u200b", "\U0001f600", "1e3", "(1 2)", "(3 4 5)"]
SIZES = [0, 1, 2, 3, 5, 9, 12, 10**12, 10**30, -1, -(10**12)]
HUGE = {10**12, 10**30}


def random_cycle_string(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.15:  # arbitrary unicode
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000)]))
                       for _ in range(rng.randrange(0, 25)))
    if kind < 0.3:  # deeply nested parentheses
        depth = rng.randrange(1, 60)
        return "(" * depth + " ".join(str(rng.randrange(1, 9)) for _ in range(rng.randrange(0, 4))) + ")" * depth
    if kind < 0.6:  # well-formed looking cycles, possibly with repeats or out-of-range elements
        cycles = []
        for _ in range(rng.randrange(1, 5)):
            cycles.append("(" + rng.choice([" ", ","]).join(str(rng.randrange(0, 14))
                                                              for _ in range(rng.randrange(1, 5))) + ")")
        return "".join(cycles)
    return "".join(rng.choice(TOKENS) for _ in range(rng.randrange(0, 20)))


PARSER_TARGETS: dict[str, Callable[[str, int], Any]] = {
    "parse_cycles": parse_cycles,
    "cycle_type_of_string": cycle_type_of_string,
    "Permutation.from_cycles": Permutation.from_cycles,
    "PermutationGroup.from_cycles": lambda text, n: PermutationGroup.from_cycles([text, "(1 2)"], n),
}

INTS = ["0", "1", "2", "3", "5", "-1", "-0", str(10**12), str(10**30), "1" * 5000, "1e3", "", " 2", "1_0",
        "\u0663", "nan", "inf", "0x10", "99"]
VALUES: dict[str, list[str]] = {
    "--gens": ["(1 2)", "(1 2 3)(4 5)", "((1 2))", "", "(1 2", "(0 1)", "(1 1)", "(1 \u0663)", "(1 99)", "()",
               "(1 2)(3 4)", ")(", "(" * 50 + ")" * 50],
    "--n": INTS + ["4", "6", "9", "4097"],
    "--image": ["3x3", "4x6", "2x2", "0x3", "3x", "x", "1000000x1000000", "5000x5000", "\uff13x3", "2X2", "",
                "-2x2", "3 x 3"],
    "--action": ["shift-x", "shift-y", "rot90", "flip-x", "flip-y", "shift-xy", "d4", "spin", ""],
    "--shift": INTS, "-r": INTS, "-m": INTS, "--limit": INTS, "--rank": INTS, "--epochs": INTS, "--seed": INTS,
    "--threads": INTS, "--limit-train": INTS, "--limit-test": INTS, "--batch-size": INTS,
    "--lr": ["nan", "inf", "-inf", "-1", "0", "1e-3", "x", "1e400"],
    "--train": ["closed-form", "adam", "both", "x"],
    "--adam-models": ["dense", "x", "", ",", "dense,best", "equivariant,dense"],
    "--data": ["digits", "mnist", "nope", "/nonexistent", ".", "part.npy"],
    "--model": ["dense", "invariant", "equivariant", "x"],
    "--ranks": ["best", "1,0", "1,0,0", "a,b", "-1", str(10**30), "", ",,"],
    "--out": ["out", "m.npz", "/nonexistent/m.npz"],
}
OPTIONS = {
    "invariant": ["--gens", "--n", "--image", "--action", "--shift", "-m", "-r", "--json"],
    "equivariant": ["--gens", "--n", "--image", "--action", "--shift", "-r", "--limit", "--json"],
    "count": ["--gens", "--n", "--image", "--action", "--shift", "-r", "--json"],
    "mnist": ["--data", "--rank", "--train", "--adam-models", "--epochs", "--lr", "--seed", "--limit-train",
              "--limit-test", "--out", "--threads", "--json", "--quiet"],
    "demo": ["--epochs", "--out", "--threads", "--quiet"],
    "fit": ["--data", "--model", "--gens", "--n", "--image", "--action", "--shift", "-r", "--ranks",
            "--batch-size", "--out", "--json", "--quiet"],
}
FLAG_ONLY = {"--json", "--quiet"}


def random_argv(rng: random.Random) -> list[str]:
    command = rng.choice([*OPTIONS, *OPTIONS, "bogus", "", "--help-me"])
    argv = [command] if command else []
    options = OPTIONS.get(command, ["-r", "--n"])
    # bias towards complete commands: a group source and a rank most of the time
    if command in ("invariant", "equivariant", "count", "fit") and rng.random() < 0.7:
        if rng.random() < 0.5:
            argv += ["--gens", rng.choice(VALUES["--gens"]), "--n", rng.choice(VALUES["--n"])]
        else:
            argv += ["--image", rng.choice(VALUES["--image"]), "--action", rng.choice(VALUES["--action"])]
        argv += ["-r", rng.choice(VALUES["-r"])]
        if command == "invariant":
            argv += ["-m", rng.choice(VALUES["-m"])]
        if command == "fit":
            argv += ["--data", ".", "--model", rng.choice(VALUES["--model"]), "--out", "m.npz"]
    for _ in range(rng.randrange(0, 5)):
        option = rng.choice(options)
        if option in FLAG_ONLY:
            argv.append(option)
            continue
        value = rng.choice(VALUES.get(option, INTS)) if rng.random() < 0.85 else random_cycle_string(rng)
        argv += [option, value]
    if rng.random() < 0.05:
        argv.insert(rng.randrange(len(argv) + 1), rng.choice(["--json", "-x", "--", "\u2014n"]))
    return argv


class _Ran(Exception):
    pass


def _stub(*args: Any, **kwargs: Any) -> None:
    raise _Ran


def cli_outcome(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    except _Ran:
        return "valid (run_mnist stubbed)"
    text = err.getvalue()
    if status == 0:
        return "status 0"
    if status == 2 and len(text.splitlines()) == 1 and "Traceback" not in text:
        return "status 2, one line"
    raise AssertionError(f"status {status}, stderr {text!r}")


def fuzz(name: str, make: Callable[[random.Random], Any], call: Callable[[Any], str], count: int,
         seed: int, huge: Callable[[Any], bool]) -> bool:
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest, slowest_input = 0.0, None
    huge_peak, huge_count = 0, 0
    start = time.perf_counter()
    for _ in range(count):
        value = make(rng)
        trace = huge(value)
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        try:
            outcomes[call(value)] += 1
        except Exception as exc:  # noqa: BLE001 - anything undocumented is a finding
            outcomes[f"UNDOCUMENTED {type(exc).__name__}"] += 1
            if len(failures) < 10:
                failures.append(f"{value!r}: {type(exc).__name__}: {exc}"[:300])
        elapsed = time.perf_counter() - t0
        if trace:
            huge_peak = max(huge_peak, tracemalloc.get_traced_memory()[1])
            huge_count += 1
            tracemalloc.stop()
        if elapsed > slowest:
            slowest, slowest_input = elapsed, value
    total = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{name}: {count:,} inputs in {total:.1f} s ({total / count * 1e6:.0f} us per input)")
    for outcome, k in outcomes.most_common():
        print(f"  {outcome:<36} {k:>9,}")
    print(f"  max time per input {slowest * 1e3:.1f} ms (input {str(slowest_input)[:100]!r})")
    print(f"  inputs with n >= 10**12: {huge_count:,}, tracemalloc peak {huge_peak / 1e6:.3f} MB; "
          f"process peak RSS {rss:.0f} MB")
    for line in failures:
        print("  FAIL", line)
    return not failures


def parser_call(target: Callable[[str, int], Any]) -> Callable[[tuple[str, int]], str]:
    def call(value: tuple[str, int]) -> str:
        try:
            target(*value)
        except ValueError:
            return "ValueError"
        return "accepted"
    return call


def main_fuzz() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs per target (default 100,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", default="parser,cli", help="comma-separated: parser, cli")
    args = parser.parse_args()
    print(f"equilin fuzz: {args.count:,} inputs per target, seed {args.seed}, Python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs")
    ok = True
    targets = args.targets.split(",")
    if "parser" in targets:
        for i, (name, target) in enumerate(PARSER_TARGETS.items()):
            ok &= fuzz(name, lambda rng: (random_cycle_string(rng), rng.choice(SIZES)), parser_call(target),
                       args.count, args.seed + i, lambda value: value[1] in HUGE)
    if "cli" in targets:
        equilin.experiments.run_mnist = _stub  # type: ignore[assignment]
        parser = equilin.cli.program.build_parser()
        equilin.cli.program.build_parser = lambda: parser  # type: ignore[assignment]
        with tempfile.TemporaryDirectory() as root:
            np.save(os.path.join(root, "part.npy"), np.random.default_rng(0).standard_normal((12, 5)))
            os.chdir(root)
            ok &= fuzz("equilin.cli.main", random_argv, cli_outcome, args.count, args.seed + 10,
                       lambda argv: any(v in (str(10**12), str(10**30), "1000000x1000000") for v in argv))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main_fuzz())
