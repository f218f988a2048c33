"""Benchmarks of the orbit-type engine (``equilin.groups.orbits`` + ``equilin.equivariance.isotypic``;
numbers in BENCHMARKS.md).

``python benchmarks/bench_orbits.py`` prints three tables:

1. large groups: rotations and flips of 1024 x 1024 images (blocks, commutant dimension and component
   count), the Klein group on 10^5 and 10^6 points, p4m on 28 x 28 and 32 x 32, the cube's rotations on
   64^3 voxels, with the process's peak resident memory (printed first, so that it is theirs);
2. the decomposition from orbit types against the former method (the dense decomposition of all ``n``
   points, still in the module as ``_Dense`` for the representatives), same process, same groups;
3. block coordinates of 60,000 vectors (d4 on 28 x 28) orbit-wise against the dense product ``X @ Q``;
4. torch: forward + backward of ``EquivariantLinearAutoencoder`` (the lexicographically first component of
   rank 99) against ``DenseLinearAutoencoder(784, 99)``, batch 256, float32, interleaved medians (the
   function of ``bench_abelian.py``).
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
from bench_abelian import torch_modules

from equilin.equivariance import EquivariantVariety, IsotypicDecomposition
from equilin.equivariance.dense import _Dense
from equilin.groups import PermutationGroup, image_group, volume_group

from timing import median_seconds as seconds


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def against_dense() -> None:
    print("| group | n | orbit types (count x size) | orbit-wise s | former dense s | ratio |")
    print("|---|---:|---|---:|---:|---:|")
    cases = [(f"d4 on {p} x {p}", image_group("d4", p, p)) for p in (16, 24, 32, 44)]
    cases += [("Klein `<(1 2), (3 4)>` on 600 points", PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 600))]
    for name, group in cases:
        new = seconds(lambda: IsotypicDecomposition(group), 3)
        try:
            old = f"{seconds(lambda: _Dense(group, 0, 1e-8), 1):.3f}"
            ratio = f"{new / float(old):.3f}"
        except RuntimeError:                 # the dense method's checks failed (the reported bug)
            old, ratio = "failed", "-"
        D = IsotypicDecomposition(group)
        types = ", ".join(f"{t.count}x{t.size}" for t in D.orbits.types)
        print(f"| {name} | {group.n:,} | {types} | {new:.3f} | {old} | {ratio} |")


def large() -> None:
    print("| case | n | result | median s | peak RSS MB |")
    print("|---|---:|---|---:|---:|")
    group = image_group("d4", 1024, 1024)
    start = time.perf_counter()
    E = EquivariantVariety(group, 99)
    blocks = [(b.size, b.weight) for b in E.blocks]
    count = E.count_components()
    t = time.perf_counter() - start
    print(f"| d4 on 1024 x 1024: blocks, commutant dim, components (r = 99) | {group.n:,} | "
          f"{blocks}; {E.commutant_dim:,}; {count.total:,} | {t:.2f} | {peak_mb():,.0f} |")
    for N in (10 ** 5, 10 ** 6):
        klein = PermutationGroup.from_cycles(["(1 2)", "(3 4)"], N)
        t = seconds(lambda: IsotypicDecomposition(klein), 3)
        D = IsotypicDecomposition(klein)
        print(f"| Klein on {N:,} points | {N:,} | {[(b.size, b.weight) for b in D.blocks]}; "
              f"{D.commutant_dim:,} | {t:.3f} | {peak_mb():,.0f} |")
    for p in (28, 32):
        g = image_group("p4m", p, p)
        t = seconds(lambda: IsotypicDecomposition(g), 3)
        D = IsotypicDecomposition(g)
        print(f"| p4m on {p} x {p} | {p * p:,} | {len(D.blocks)} blocks; commutant {D.commutant_dim} | "
              f"{t:.2f} | {peak_mb():,.0f} |")
    cube = volume_group("cube", 64, 64, 64)
    t = seconds(lambda: IsotypicDecomposition(cube), 3)
    D = IsotypicDecomposition(cube)
    print(f"| cube rotations on 64^3 voxels | {cube.n:,} | {[(b.size, b.weight) for b in D.blocks]}; "
          f"{D.commutant_dim:,} | {t:.3f} | {peak_mb():,.0f} |")


def coordinates() -> None:
    print("| operation (d4 on 28 x 28, 60,000 x 784 float64) | median s | ratio |")
    print("|---|---:|---:|")
    D = IsotypicDecomposition(image_group("d4", 28, 28))
    X = np.random.default_rng(0).standard_normal((60_000, 784))
    Q = D.Q
    base = seconds(lambda: X @ Q, 5)
    to = seconds(lambda: D.to_blocks(X), 5)
    B = D.to_blocks(X)
    back = seconds(lambda: D.from_blocks(B, 60_000), 5)
    err = float(np.abs(D.from_blocks(B, 60_000) - X).max())
    print(f"| baseline: dense `X @ Q` | {base:.3f} | 1 |")
    print(f"| `to_blocks` (orbit-wise gather + small products) | {to:.3f} | {to / base:.2f} |")
    print(f"| `from_blocks` (round-trip error {err:.1e}) | {back:.3f} | {back / base:.2f} |")


if __name__ == "__main__":
    import threadpoolctl

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"BLAS threads {threadpoolctl.threadpool_info()[0]['num_threads']}")
    large()          # first: the peak resident memory is the process's, so far
    print()
    against_dense()
    print()
    coordinates()
    print()
    torch_modules()
