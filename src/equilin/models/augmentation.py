"""Hard-wired equivariance against data augmentation.

Train a dense linear autoencoder on the data augmented by the whole group ``G`` (every sample moved by
every element), or hard-wire the symmetry: an equivariant autoencoder trained on the data as it is. For a
linear model the two meet. The augmented Gram matrix ``S_G = (1/|G|) sum_g P_g^T S P_g`` (``S = X^T X``)
commutes with the group, so it is block diagonal in the isotypic basis, each eigenvalue of block ``i``
repeated ``delta_i`` times, and the dense optimum of rank ``r`` on the augmented data -- the projection
onto the top ``r`` eigenvectors of ``S_G`` -- is equivariant whenever the cut at ``r`` does not split
one of those repeated eigenvalues. An equivariant map has the same loss on every moved copy of the data,
so on the augmented data its loss is its loss on the original data, and the equivariant optimum over
``E^G_r`` (the best component, :class:`equilin.models.EquivariantAutoencoder` with ``ranks="best"``)
maximizes the same sum of eigenvalues under the same budget. So: the dense optimum on the augmented
data has at most the equivariant optimum's loss, equal (and the same function, eigenvalues being
distinct) unless the cut splits a repeated eigenvalue.

:func:`compare` computes both closed forms without materializing the augmented data (``S_G`` from
``S`` by permuting rows and columns), and optionally trains both models with Adam (the dense one on the
materialized augmented data, the equivariant one on the original data).

Examples
--------
>>> import numpy as np
>>> from equilin.groups import image_shift
>>> X = np.random.default_rng(0).standard_normal((40, 12))
>>> out = compare(X, image_shift(3, 4), rank=5)
>>> bool(abs(out["dense augmented"]["loss"] - out["hard-wired"]["loss"]) < 1e-12), out["split"]
(True, False)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.validation import check_finite, check_int, check_real_dtype

__all__ = ["augmented_gram", "augment", "compare"]


def _elements(group: PermutationGroup) -> list[Permutation]:
    return group.element_list("augmenting by the whole group")


def _check(X: ArrayLike, group: Any) -> tuple[NDArray[np.float64], PermutationGroup]:
    if not isinstance(group, (Permutation, PermutationGroup)):
        raise ValueError(f"group must be a Permutation or a PermutationGroup, got {type(group).__name__}")
    G = as_group(group)
    arr = np.asarray(X)
    check_real_dtype(arr.dtype, "X")
    if arr.ndim != 2 or arr.shape[1] != G.n or arr.shape[0] == 0:
        raise ValueError(f"X must have shape (N >= 1, {G.n}), got {arr.shape}")
    check_finite(arr, "X")
    return arr.astype(np.float64), G


def augmented_gram(X: ArrayLike, group: Any) -> NDArray[np.float64]:
    """``(1/|G|) sum_g S[g^-1, g^-1]`` with ``S = X^T X``: the Gram matrix of the augmented data divided
    by ``|G|`` (each moved copy ``P_g x`` has the Gram matrix ``P_g S P_g^T``).

    Examples
    --------
    >>> from equilin.groups import Permutation
    >>> augmented_gram(np.array([[1.0, 0.0]]), Permutation.from_cycles("(1 2)", 2)).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    arr, G = _check(X, group)
    S = arr.T @ arr
    out = np.zeros_like(S)
    elements = _elements(G)
    for g in elements:
        inverse = g.inverse().array
        out += S[np.ix_(inverse, inverse)]
    return out / len(elements)


def augment(X: ArrayLike, group: Any) -> NDArray[np.float64]:
    """Every sample moved by every element: ``(N |G|, n)``, element-major (``g.act`` on the rows)."""
    arr, G = _check(X, group)
    return np.concatenate([g.act(arr) for g in _elements(G)])


def _loss(M: NDArray[np.float64], S: NDArray[np.float64], N: int) -> float:
    """Mean squared error per entry of ``x -> M x`` on data with Gram matrix ``S`` (``N`` samples)."""
    R = np.eye(M.shape[0]) - M
    return float(np.einsum("ij,jk,ik->", R, S, R)) / (N * len(M))


def _equivariance(M: NDArray[np.float64], group: PermutationGroup) -> float:
    scale = max(float(np.linalg.norm(M)), 1e-300)
    return max(float(np.linalg.norm(g.matrix() @ M - M @ g.matrix())) for g in group.generators) / scale


def compare(X: ArrayLike, group: Any, rank: int, *, adam_epochs: int = 0, lr: float = 1e-3, seed: int = 0,
            batch_size: int = 256) -> dict[str, Any]:
    """The dense optimum on the augmented data against the hard-wired (equivariant) optimum on the data.

    Returns ``{"dense augmented": {...}, "hard-wired": {...}, "split": bool, "distance": float}``; each
    model has ``loss`` (per entry, on the augmented data), ``equivariance`` (``max_g ||P_g M - M P_g|| /
    ||M||``), ``params`` and ``seconds``; ``split`` says whether the cut at ``rank`` splits a repeated
    eigenvalue of ``S_G`` (then the dense optimum is not unique), ``distance`` is ``||M_dense - M_eq|| /
    ||M_eq||``. With ``adam_epochs > 0`` also ``"dense augmented (adam)"`` (trained on the materialized
    augmented data) and ``"hard-wired (adam)"`` (on the data), as :func:`equilin.models.nn.train` does.
    """
    arr, G = _check(X, group)
    rank = check_int(rank, "rank", 1)
    n, N = G.n, arr.shape[0]
    if rank > n:
        raise ValueError(f"rank {rank} exceeds n = {n}")
    start = time.perf_counter()
    S_G = augmented_gram(arr, G)
    values, vectors = np.linalg.eigh(S_G)
    top = vectors[:, ::-1][:, :rank]
    M_dense = top @ top.T
    dense_seconds = time.perf_counter() - start
    ordered = values[::-1]
    split = rank < n and bool(abs(ordered[rank - 1] - ordered[rank]) <= 1e-9 * max(1.0, abs(ordered[0])))
    start = time.perf_counter()
    estimator = EquivariantAutoencoder(G, "best", rank=rank).fit(arr)
    eq_seconds = time.perf_counter() - start
    M_eq = estimator.predict(np.eye(n)).T
    out: dict[str, Any] = {
        "dense augmented": {"loss": _loss(M_dense, S_G, N), "equivariance": _equivariance(M_dense, G),
                            "params": 2 * n * rank, "seconds": dense_seconds},
        "hard-wired": {"loss": _loss(M_eq, S_G, N), "equivariance": _equivariance(M_eq, G),
                       "params": int(estimator.n_params_), "seconds": eq_seconds,
                       "ranks": dict(estimator.ranks_)},
        "split": split,
        "distance": float(np.linalg.norm(M_dense - M_eq)) / max(float(np.linalg.norm(M_eq)), 1e-300),
    }
    if adam_epochs:
        out.update(_adam(arr, G, estimator, rank, check_int(adam_epochs, "adam_epochs", 1), lr, seed, batch_size,
                         S_G))
    return out


def _adam(X: NDArray[np.float64], G: PermutationGroup, estimator: EquivariantAutoencoder, rank: int, epochs: int,
          lr: float, seed: int, batch_size: int, S_G: NDArray[np.float64]) -> dict[str, Any]:
    import torch

    from equilin.models.nn import DenseLinearAutoencoder, EquivariantLinearAutoencoder, train

    n, N = G.n, X.shape[0]

    def dense() -> DenseLinearAutoencoder:
        return DenseLinearAutoencoder(n, rank, dtype=torch.float64)

    def hard_wired() -> EquivariantLinearAutoencoder:
        return EquivariantLinearAutoencoder(G, tuple(estimator.ranks_.values()), dtype=torch.float64)

    out = {}
    cases: list[tuple[str, Callable[[], DenseLinearAutoencoder | EquivariantLinearAutoencoder],
                      NDArray[np.float64], int]] = [
        ("dense augmented (adam)", dense, augment(X, G), epochs),
        ("hard-wired (adam)", hard_wired, X, epochs * len(_elements(G)))]
    for name, make, data, passes in cases:      # the same number of gradient steps' worth of samples
        torch.manual_seed(seed)
        model = make()
        start = time.perf_counter()
        train(model, data, epochs=passes, batch_size=batch_size, lr=lr, seed=seed, progress=False)
        seconds = time.perf_counter() - start
        with torch.no_grad():
            M = model(torch.eye(n, dtype=torch.float64)).numpy().T
        out[name] = {"loss": _loss(M, S_G, N), "equivariance": _equivariance(M, G),
                     "params": int(model.n_parameters()), "seconds": seconds}
    return out
