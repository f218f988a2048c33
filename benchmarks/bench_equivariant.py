"""Benchmarks of ``equilin.equivariance`` (numbers in BENCHMARKS.md).

Two ways to run:

* ``python benchmarks/bench_equivariant.py`` prints a table (medians, and every ratio to its baseline
  measured in the same process); this is what BENCHMARKS.md reports.
* ``make bench`` (``pytest benchmarks --benchmark-only``) runs the same operations under pytest-benchmark.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from equilin.equivariance import EquivariantVariety, count_components
from equilin.groups import Permutation, image_shift, volume_rot90

from timing import median_seconds

MNIST_SHAPE = (60_000, 784)


def mnist_like(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(MNIST_SHAPE)


def volume_shift(p: int) -> Permutation:
    """Cyclic shift of a p x p x p volume by one voxel along the last axis."""
    return Permutation(np.roll(np.arange(p ** 3).reshape(p, p, p), -1, axis=2).ravel())


def volume_geometry(sigma: Permutation, r: int, rng: np.random.Generator) -> dict[str, Any]:
    """Blocks, counts, dim/degree/ED degree, the first component and its nearest point to a rank-3
    matrix U = A @ B (given by its factors): everything the 'geometry' benchmark measures."""
    E = EquivariantVariety(sigma, r)
    count = E.count_components()
    C = next(E.components())
    A = rng.standard_normal((sigma.n, 3))
    B = rng.standard_normal((3, sigma.n))
    decoder, encoder = C.nearest_lowrank(A, B)
    return {"blocks": len(E.blocks), "count": count, "dim": E.dim, "degree_bits": E.degree.bit_length(),
            "ed_degree": E.ed_degree, "component": C.label(), "shapes": (decoder.shape, encoder.shape)}


# -- pytest-benchmark ----------------------------------------------------------------------------
def test_count_mnist(benchmark: Any) -> None:
    result = benchmark(count_components, {28: 28}, 99)
    assert result.rank_r == 72_425_986_088_826


@pytest.fixture(scope="module")
def mnist_data() -> np.ndarray:
    return mnist_like()


def test_to_blocks_mnist(benchmark: Any, mnist_data: np.ndarray) -> None:
    E = EquivariantVariety(image_shift(28, 28), 99)
    blocks = benchmark.pedantic(E.to_blocks, args=(mnist_data,), rounds=5, iterations=1)
    assert len(blocks) == 15


def test_rfft_baseline_mnist(benchmark: Any, mnist_data: np.ndarray) -> None:
    data = mnist_data.reshape(60_000, 28, 28)
    benchmark.pedantic(np.fft.rfft, args=(data,), kwargs={"axis": -1}, rounds=5, iterations=1)


@pytest.mark.parametrize("name", ["rot90", "shift"])
def test_volume_geometry(benchmark: Any, name: str) -> None:
    sigma = volume_rot90(32) if name == "rot90" else volume_shift(32)
    result = benchmark.pedantic(volume_geometry, args=(sigma, 12, np.random.default_rng(0)), rounds=3,
                                iterations=1)
    assert result["count"].total > 0


# -- plain script ---------------------------------------------------------------------------------
def paired_times(baseline: Callable[[], Any], candidate: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """Medians of interleaved runs (baseline, candidate, baseline, ...) and the median per-pair ratio,
    so that load from other processes hits both alike."""
    base, cand = [], []
    for _ in range(repeat):
        base.append(median_seconds(baseline, 1, collect=True))
        cand.append(median_seconds(candidate, 1, collect=True))
    return statistics.median(base), statistics.median(cand), statistics.median(c / b for b, c in zip(base, cand))


def peak_memory(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    rows: list[tuple[str, str, str]] = []

    start = time.perf_counter()
    count = count_components({28: 28}, 99)
    cold = time.perf_counter() - start
    warm = median_seconds(lambda: count_components({28: 28}, 99), 200, collect=True)
    from_permutation = median_seconds(lambda: count_components(image_shift(28, 28).cycle_type, 99), 50, collect=True)
    rows.append(("count_components MNIST, first call", f"{cold * 1e3:.3f} ms", f"{count}"))
    rows.append(("count_components MNIST, repeated", f"{warm * 1e3:.3f} ms", "median of 200 calls"))
    rows.append(("count from the 28x28 shift", f"{from_permutation * 1e3:.3f} ms",
                 "building image_shift(28, 28) and its cycle type included; median of 50"))

    X = mnist_like()
    rfft = lambda: np.fft.rfft(X.reshape(60_000, 28, 28), axis=-1)  # noqa: E731
    for action in ("x", "y"):
        E = EquivariantVariety(image_shift(28, 28, 1, action), 99)
        E.to_blocks(X[:8])  # build the cycle layout outside the timing
        base, ours, ratio = paired_times(rfft, lambda: E.to_blocks(X), 9)
        rows.append((f"rfft baseline (shift-{action} run)", f"{base * 1e3:.1f} ms",
                     "numpy.fft.rfft over the same data as (60000, 28, 28), axis -1"))
        rows.append((f"to_blocks 60000 x 784, shift-{action}", f"{ours * 1e3:.1f} ms",
                     f"{ratio:.2f}x rfft (median of 9 interleaved pairs)"))
        blocks = E.to_blocks(X)
        base, back, ratio = paired_times(rfft, lambda: E.from_blocks(blocks), 9)
        error = float(np.abs(E.from_blocks(blocks) - X).max())
        rows.append((f"from_blocks 60000 x 784, shift-{action}", f"{back * 1e3:.1f} ms",
                     f"{ratio:.2f}x rfft; max |from_blocks(to_blocks(X)) - X| = {error:.1e}"))

    rng = np.random.default_rng(0)
    for name, make in (("rot90", lambda: volume_rot90(32)), ("shift", lambda: volume_shift(32))):
        sigma = make()
        n = sigma.n
        build = median_seconds(make, 3, collect=True)
        # a fresh sigma: its cycles are not cached
        cold = median_seconds(lambda: volume_geometry(make(), 12, rng), 3, collect=True)
        result = volume_geometry(sigma, 12, rng)
        seconds = median_seconds(lambda: volume_geometry(sigma, 12, rng), 5, collect=True)
        peak = peak_memory(lambda: volume_geometry(sigma, 12, rng))
        rows.append((f"volume 32^3 {name}: build sigma", f"{build * 1e3:.1f} ms", f"n = {n}"))
        rows.append((f"volume 32^3 {name}: fresh sigma + geometry", f"{cold * 1e3:.1f} ms",
                     "as below, with sigma's cycles computed (a Python loop over n); degree caches warm"))
        rows.append((f"volume 32^3 {name}: geometry, r = 12", f"{seconds * 1e3:.1f} ms",
                     f"{result['blocks']} blocks, count {tuple(result['count'])}, dim {result['dim']}, "
                     f"degree of {result['degree_bits']} bits, ED degree, first component "
                     f"and its nearest point to a rank-3 U; traced peak {peak / 2**20:.1f} MiB "
                     f"(one n x n float64 array: {n * n * 8 / 2**30:.0f} GiB)"))

    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'median':>10}  note")
    for op, t, note in rows:
        print(f"{op:<{width}}  {t:>10}  {note}")


if __name__ == "__main__":
    main()
