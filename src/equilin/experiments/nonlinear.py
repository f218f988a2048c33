"""Where nonlinearity pays: permuted neurons with activations against the linear closed forms.

:func:`run_nonlinear` runs on the MNIST experiment's data (:mod:`equilin.experiments.mnist`: the same
loading, the same random shifts or random elements of ``D_4``) and trains its nonlinear rows with Adam
(:mod:`equilin.experiments.adam`, imported, with torch, when it runs). ``docs/deep.md`` section 7 shows
its table (``benchmarks/bench_nonlinear.py``).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

import numpy as np

from equilin import data as _data
from equilin.deep import DeepLinearNetwork, GSet, smallest_gset
from equilin.equivariance import EquivariantVariety
from equilin.experiments.evaluation import Predictor, mse
from equilin.experiments.mnist import ADAM_BATCH_SIZE, EQUIVARIANCE_IMAGES, SHIFT_FRACTION
from equilin.experiments.threads import limit_threads
from equilin.groups import Permutation, PermutationGroup, image_group, image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder
from equilin.testing import equivariance_error
from equilin.validation import check_int

__all__ = ["run_nonlinear"]


def run_nonlinear(data: str | os.PathLike[str] = "mnist", group: str = "shift-x", rank: int = 99,
                  epochs: int = 5, lr: float = 1e-3, seed: int = 0, wide_channels: int | None = None,
                  limit_train: int | None = None, limit_test: int | None = None,
                  threads: int | None = None) -> list[dict[str, Any]]:
    """Where nonlinearity pays: nonlinear equivariant autoencoders against the linear closed forms.

    On the experiment's data (moved by ``group``: ``"shift-x"`` or ``"d4"``), with bottleneck ``rank``:

    * ``linear equivariant`` and ``linear dense``: the closed-form optima (best component, dense rank r);
    * ``nonlinear equivariant (small)``: ``R^n -> H -> R^n`` with ReLU and orbit-constant biases, ``H``
      the smallest permuted layer that carries the best component (:func:`equilin.deep.smallest_gset`),
      so that its parameters are of the order of the linear equivariant model's;
    * ``nonlinear equivariant (wide)``: ``H`` = ``wide_channels`` copies of the input action (default: as
      many as make the parameters closest to the dense model's), ReLU and biases;
    * ``nonlinear dense``: ``n -> r -> n`` with ReLU and biases;

    the last three trained with Adam (``epochs``, batch 256, float32). Returns one dict per model:
    ``model, params, width, train_mse, test_mse, equivariance, seconds``.
    """
    from equilin.experiments import adam as torch_adam  # imports torch: run_nonlinear always trains

    if group not in ("shift-x", "d4"):
        raise ValueError(f"group must be 'shift-x' or 'd4', got {group!r}")
    epochs = check_int(epochs, "epochs", 1)
    raw = _data.load(data, seed=seed, limit_train=limit_train, limit_test=limit_test)
    h, w = raw.shape
    n = h * w
    G: Permutation | PermutationGroup = image_shift(h, w) if group == "shift-x" else image_group("d4", h, w)
    ds = raw.dihedral(seed=seed) if group == "d4" else raw.shifted(SHIFT_FRACTION, axis="x", seed=seed)
    X = ds.x_train.reshape(ds.n_train, n).astype(np.float32)
    X_test = ds.x_test.reshape(ds.n_test, n)
    check = ds.x_test[:EQUIVARIANCE_IMAGES].reshape(-1, n)
    rows: list[dict[str, Any]] = []

    def record(name: str, predict: Predictor, params: int, width: int, seconds: float) -> None:
        rows.append({"model": name, "params": int(params), "width": int(width), "train_mse": mse(predict, X),
                     "test_mse": mse(predict, X_test),
                     "equivariance": equivariance_error(predict, G, check), "seconds": seconds})

    with limit_threads(threads), torch_adam.torch_threads(threads):
        start = time.perf_counter()
        best = EquivariantAutoencoder(G, "best", rank=rank).fit(X.astype(np.float64))
        record("linear equivariant (closed form)", best.predict, best.n_params_, rank, time.perf_counter() - start)
        start = time.perf_counter()
        dense = DenseAutoencoder(rank).fit(X.astype(np.float64))
        record("linear dense (closed form)", dense.predict, 2 * n * rank, rank, time.perf_counter() - start)
        E = EquivariantVariety(G, n)
        H_small, _ = smallest_gset(E, tuple(best.ranks_.values()))
        sizes = {"small": H_small}
        if wide_channels is None:                       # parameters of n -> K n -> n: 2 K (orbitals of X x X)
            per = DeepLinearNetwork(G, [GSet.channels(G, 1)]).n_params
            wide_channels = max(1, round(2 * n * rank / per))
        sizes["wide"] = GSet.channels(G, check_int(wide_channels, "wide_channels", 1))
        adam = functools.partial(torch_adam.train, X=X, batch_size=ADAM_BATCH_SIZE, epochs=epochs, lr=lr, seed=seed,
                                 progress=False)
        for name, H in sizes.items():
            model, seconds = adam(functools.partial(torch_adam.nonlinear_equivariant, G, H))
            record(f"nonlinear equivariant ({name}, ReLU)", torch_adam.predictor(model), model.n_parameters(), H.h,
                   seconds)
        net, seconds = adam(functools.partial(torch_adam.DenseNonlinearAutoencoder, n, rank))
        record("nonlinear dense (ReLU)", torch_adam.predictor(net), net.n_parameters(), rank, seconds)
    return rows
