"""Benchmarks of the generic isotypic decomposition (``equilin.equivariance.isotypic``; numbers in BENCHMARKS.md).

``python benchmarks/bench_isotypic.py`` prints two tables: the issue's targets (the translations
``Z_28 x Z_28`` and the dihedral group ``D_4`` acting on 28 x 28 images) and the scaling of the generic
path in ``n`` (``D_4`` and ``Z_p x Z_p`` on ``p x p`` images, and the symmetric group ``S_n`` acting on
``{1..n}``, up to ``n`` about 2,000), each with the time of one dense ``n x n`` symmetric
eigendecomposition (``numpy.linalg.eigh``) measured in the same process as the baseline. ``make bench``
runs the target cases under pytest-benchmark.
"""

from __future__ import annotations

import numpy as np
import pytest

from equilin.equivariance import IsotypicDecomposition
from equilin.groups import PermutationGroup, image_group

from timing import median_seconds as seconds


def symmetric_group(n: int) -> PermutationGroup:
    return PermutationGroup.from_cycles(["(1 2)", "(" + " ".join(map(str, range(1, n + 1))) + ")"], n)


def eigh_baseline(n: int) -> float:
    A = np.random.default_rng(0).standard_normal((n, n))
    A = A + A.T
    return seconds(lambda: np.linalg.eigh(A), 3)


def targets() -> None:
    print("| group | n | blocks (real/complex/quaternionic) | median s | eigh(n) s | ratio |")
    print("|---|---:|---|---:|---:|---:|")
    base = eigh_baseline(784)
    for name in ("shift-xy", "d4"):
        group = image_group(name, 28, 28)
        t = seconds(lambda: IsotypicDecomposition(group), 3)
        D = IsotypicDecomposition(group)
        kinds = [b.kind for b in D.blocks]
        counts = "/".join(str(kinds.count(k)) for k in ("real", "complex", "quaternionic"))
        print(f"| {name} on 28 x 28 | 784 | {counts} | {t:.2f} | {base:.2f} | {t / base:.1f} |")


def scaling() -> None:
    print("| group | n | median s | eigh(n) s | ratio |")
    print("|---|---:|---:|---:|---:|")
    cases = [(f"d4 on {p} x {p}", lambda p=p: image_group("d4", p, p), p * p) for p in (16, 24, 32, 40, 44)]
    cases += [(f"shift-xy on {p} x {p}", lambda p=p: image_group("shift-xy", p, p), p * p) for p in (32, 44)]
    cases += [(f"S_{n}", lambda n=n: symmetric_group(n), n) for n in (500, 1000, 2000)]
    for name, make, n in cases:
        group = make()
        t = seconds(lambda: IsotypicDecomposition(group), 1)
        base = eigh_baseline(n)
        print(f"| {name} | {n:,} | {t:.2f} | {base:.2f} | {t / base:.1f} |")


@pytest.mark.parametrize("name", ["shift-xy", "d4"])
def test_decomposition_28x28(benchmark, name: str) -> None:
    group = image_group(name, 28, 28)
    D = benchmark(IsotypicDecomposition, group)
    assert sum(b.real_dim for b in D.blocks) == 784


if __name__ == "__main__":
    import sys

    import threadpoolctl

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"BLAS threads {threadpoolctl.threadpool_info()[0]['num_threads']}")
    targets()
    print()
    scaling()
