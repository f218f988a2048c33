"""Scale benchmarks of ``equilin.models.closed_form`` (numbers in BENCHMARKS.md, section "Scale").

``python benchmarks/bench_scale.py [throughput] [dask] [memory]`` (default: all three) prints markdown
tables:

All timings use one BLAS thread per process (``threadpoolctl``).

* throughput: ``partial_fit`` in batches of 2,500 rows on MNIST-shaped random data (N x 784 in [0, 1])
  for several N, samples per second and time per sample relative to the smallest N (linear in N means a
  ratio of 1); the baseline is one ``fit`` on the same N rows in the same process.
* dask: ``fit`` of a ``dask.array`` (60,000 x 784, chunks of 5,000 rows, persisted on the workers
  first) on a ``distributed.LocalCluster`` with 1 and with 2 single-threaded workers; baseline: the
  in-memory ``fit`` in this process, limited to one BLAS thread.
* memory: a child process fits ``EquivariantAutoencoder`` for the x-shift of 32 x 32 x 32 volumes
  (n = 32,768; blocks of size 1,024) on 10,000 random volumes generated 1,000 at a time
  (``partial_fit``), and reports its peak resident memory (``ru_maxrss``) and the tracemalloc peak,
  next to a child that only generates one batch (the baseline).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from equilin.groups import image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder

from timing import median_seconds

BATCH = 2_500


def _models() -> dict[str, Callable[[], object]]:
    return {"equivariant (shift-x 28x28, best, r=99)":
            lambda: EquivariantAutoencoder(image_shift(28, 28), "best", rank=99),
            "dense (rank 99)": lambda: DenseAutoencoder(99)}


def throughput(repeats: int = 3) -> None:
    X = np.random.default_rng(0).random((60_000, 784))
    sizes = (7_500, 15_000, 30_000, 60_000)
    print("| model | N | partial_fit (batches of 2,500) | samples/s | time per sample vs N = 7,500 | "
          "one fit (baseline) | ratio partial_fit / fit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, make in _models().items():
        first = None
        for N in sizes:
            def online(make: Callable[[], object] = make, N: int = N) -> None:
                model = make()
                for start in range(0, N, BATCH):
                    model.partial_fit(X[start:start + BATCH])

            t_online = median_seconds(online, repeats)
            t_fit = median_seconds(lambda make=make, N=N: make().fit(X[:N]), repeats)
            per_sample = t_online / N
            first = per_sample if first is None else first
            print(f"| {name} | {N:,} | {t_online * 1e3:,.0f} ms | {N / t_online:,.0f} | "
                  f"{per_sample / first:.2f} | {t_fit * 1e3:,.0f} ms | {t_online / t_fit:.2f}x |")
            sys.stdout.flush()


def dask_workers(repeats: int = 3) -> None:
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    X = np.random.default_rng(0).random((60_000, 784))
    print("| model | baseline: in-memory fit, 1 thread | LocalCluster, 1 worker | 2 workers | "
          "speed-up 2 vs 1 workers |")
    print("|---|---:|---:|---:|---:|")
    results: dict[str, list[float]] = {name: [] for name in _models()}
    for name, make in _models().items():  # main() limits this process to one BLAS thread
        results[name].append(median_seconds(lambda make=make: make().fit(X), repeats))
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                                       "MKL_NUM_THREADS": "1"}) as cluster, \
                Client(cluster) as client:
            dX = client.persist(da.from_array(X, chunks=(5_000, 784)))
            wait(dX)
            for name, make in _models().items():
                make().fit(dX)  # warm-up: imports and pickling on the workers
                results[name].append(median_seconds(lambda make=make, dX=dX: make().fit(dX), repeats))
    for name, (base, one, two) in results.items():
        print(f"| {name} | {base * 1e3:,.0f} ms | {one * 1e3:,.0f} ms ({one / base:.2f}x) | "
              f"{two * 1e3:,.0f} ms ({two / base:.2f}x) | {one / two:.2f}x |")


def _memory_child(mode: str) -> None:
    """Runs in a fresh process; prints one JSON line."""
    sigma = image_shift(32 * 32, 32)  # x-shift of a row-major 32 x 32 x 32 volume
    rng = np.random.default_rng(0)
    tracemalloc.start()
    t0 = time.perf_counter()
    model = EquivariantAutoencoder(sigma, "best", rank=300)
    batches = 1 if mode == "baseline" else 10
    for _ in range(batches):
        volumes = rng.standard_normal((1_000, sigma.n))
        if mode != "baseline":
            model.partial_fit(volumes)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = {"mode": mode, "seconds": seconds, "tracemalloc_peak": peak,
           "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if mode != "baseline":
        out["samples"] = model.n_samples_seen_
        out["statistics_bytes"] = sum(a.nbytes for a in model.gram_inputs_)
        out["train_loss"] = model.train_loss_
    print(json.dumps(out))


def memory() -> None:
    rows = {}
    for mode in ("baseline", "fit"):
        done = subprocess.run([sys.executable, __file__, "memory-child", mode], capture_output=True, text=True,
                              check=True, env=dict(os.environ))
        rows[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    base, fit = rows["baseline"], rows["fit"]
    n = 32 ** 3
    mb = 1e6
    print("| process | wall time | peak RSS (ru_maxrss) | tracemalloc peak |")
    print("|---|---:|---:|---:|")
    print(f"| baseline: imports + one batch of 1,000 volumes generated | {base['seconds']:.1f} s | "
          f"{base['maxrss'] / mb:,.0f} MB | {base['tracemalloc_peak'] / mb:,.0f} MB |")
    print(f"| `partial_fit` on 10 batches of 1,000 volumes (10,000 x 32,768) | {fit['seconds']:.1f} s | "
          f"{fit['maxrss'] / mb:,.0f} MB | {fit['tracemalloc_peak'] / mb:,.0f} MB |")
    print(f"\nstatistics kept: {fit['statistics_bytes'] / mb:,.0f} MB (17 blocks of 1,024 x 1,024); "
          f"one batch of data: {1_000 * n * 8 / mb:,.0f} MB; the data set: {10_000 * n * 8 / mb:,.0f} MB; "
          f"an n x n float64 matrix: {n * n * 8 / mb:,.0f} MB. samples = {fit['samples']:,}, "
          f"train loss {fit['train_loss']:.6f}")


def main(argv: list[str]) -> None:
    from threadpoolctl import threadpool_limits

    # one BLAS thread: on a shared 2-core machine, spinning thread pools slow BLAS down up to 10x
    threadpool_limits(1)
    if argv[:1] == ["memory-child"]:
        _memory_child(argv[1])
        return
    sections = argv or ["throughput", "dask", "memory"]
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}, one BLAS thread, load average "
          f"{os.getloadavg()[0]:.1f} at start\n")
    for section in sections:
        print(f"## {section}\n")
        {"throughput": throughput, "dask": dask_workers, "memory": memory}[section]()
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
