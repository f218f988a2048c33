"""Benchmarks of ``equilin.models.closed_form`` and ``equilin.models.nn`` (numbers in BENCHMARKS.md).

``python benchmarks/bench_fit.py`` prints a table; every ratio is to a baseline run in the same process,
interleaved with the candidate (baseline, candidate, baseline, ...).

* Closed-form fit of ``EquivariantAutoencoder`` (the talk's MNIST component) on 60,000 x 784 data
  against the plain-numpy baseline "one FFT pass over the rows + per-frequency Gram matrices" (what any
  implementation must at least do). The issue's target: at most 1.5x.
* Forward + backward of ``EquivariantLinearAutoencoder`` (MNIST component, batch 256, float32) against
  ``DenseLinearAutoencoder`` at rank 99. The issue's target: no slower.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pytest
import torch

from equilin.groups import image_shift
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn import DenseLinearAutoencoder, EquivariantLinearAutoencoder

TALK_RANKS = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)


def mnist_like(seed: int = 0) -> np.ndarray:
    """Random data of MNIST's shape and value range (60,000 x 784 in [0, 1])."""
    return np.random.default_rng(seed).random((60_000, 784))


def baseline_gram(X: np.ndarray, chunk: int = 8192) -> list[np.ndarray]:
    """Plain numpy: rfft along the 28 rows of every image, then one 28 x 28 Gram matrix per frequency."""
    grams = [np.zeros((28, 28), dtype=np.complex128) for _ in range(15)]
    for start in range(0, len(X), chunk):
        F = np.fft.rfft(X[start:start + chunk].reshape(-1, 28, 28), axis=-1, norm="ortho")
        for j in range(15):
            f = F[:, :, j]
            grams[j] += f.conj().T @ f
    return grams


def closed_form(X: np.ndarray) -> EquivariantAutoencoder:
    return EquivariantAutoencoder(image_shift(28, 28), TALK_RANKS).fit(X)


def step(model: torch.nn.Module, batch: torch.Tensor) -> None:
    model.zero_grad()
    loss = torch.mean((model(batch) - batch) ** 2)
    loss.backward()


def interleaved(baseline: Callable[[], object], candidate: Callable[[], object],
                repeats: int) -> tuple[float, float, float]:
    """Medians (seconds) of baseline and candidate, and the median of the per-pair ratios."""
    base, cand, ratios = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        candidate()
        t2 = time.perf_counter()
        base.append(t1 - t0)
        cand.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    return statistics.median(base), statistics.median(cand), statistics.median(ratios)


def main() -> None:
    torch.set_num_threads(2)
    X = mnist_like()
    closed_form(X[:1000])  # warm-up
    b, c, ratio = interleaved(lambda: baseline_gram(X), lambda: closed_form(X), repeats=5)
    print("| operation | median | ratio |\n|---|---:|---:|")
    print(f"| baseline: rfft of 60,000 x 784 + 15 per-frequency Gram matrices (numpy) | {b * 1e3:.0f} ms | 1 |")
    print(f"| `EquivariantAutoencoder(shift-x, talk ranks).fit`, 60,000 x 784 | {c * 1e3:.0f} ms | "
          f"**{ratio:.2f}x** |")
    for threads in (2, 1):
        forward_backward(threads)


def forward_backward(threads: int, batch_size: int = 256) -> None:
    """The nn rows: dense and equivariant modules alternated in one process, ``threads`` torch threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    batch = torch.rand(batch_size, 784)
    dense = DenseLinearAutoencoder(784, 99)
    equi = EquivariantLinearAutoencoder(image_shift(28, 28), TALK_RANKS)
    for _ in range(20):  # warm-up
        step(dense, batch)
        step(equi, batch)

    def many(model: torch.nn.Module) -> Callable[[], None]:
        return lambda: [step(model, batch) for _ in range(20)]

    b, c, ratio = interleaved(many(dense), many(equi), repeats=15)
    print(f"| baseline: `DenseLinearAutoencoder(784, 99)` forward+backward, batch {batch_size}, float32, "
          f"{threads} thread(s) | {b / 20 * 1e3:.2f} ms | 1 |")
    print(f"| `EquivariantLinearAutoencoder` (talk component, 5,544 params), same | {c / 20 * 1e3:.2f} ms | "
          f"**{ratio:.2f}x** |")


# -- pytest-benchmark (``make bench``) -----------------------------------------------------------
@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return mnist_like()


def test_bench_closed_form_fit(benchmark: pytest.FixtureRequest, data: np.ndarray) -> None:
    benchmark.pedantic(closed_form, args=(data,), rounds=3, iterations=1)


def test_bench_baseline_gram(benchmark: pytest.FixtureRequest, data: np.ndarray) -> None:
    benchmark.pedantic(baseline_gram, args=(data,), rounds=3, iterations=1)


@pytest.mark.parametrize("kind", ["dense", "equivariant"])
def test_bench_forward_backward(benchmark: pytest.FixtureRequest, kind: str) -> None:
    torch.manual_seed(0)
    model = (DenseLinearAutoencoder(784, 99) if kind == "dense"
             else EquivariantLinearAutoencoder(image_shift(28, 28), TALK_RANKS))
    batch = torch.rand(256, 784)
    benchmark(step, model, batch)


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["nn"]:  # only the nn rows: bench_fit.py nn [batch sizes...]
        for size in [int(v) for v in sys.argv[2:]] or [256]:
            for threads in (2, 1):
                forward_backward(threads, size)
    else:
        main()
