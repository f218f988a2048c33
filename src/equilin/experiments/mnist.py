"""The MNIST experiment of the talk (``docs/math.md`` section 6): five linear autoencoders on shifted digits.

:func:`run_mnist` loads the data (:func:`equilin.data.load`), shifts every training and test image
horizontally by its own uniform random real offset in ``[-0.2, 0.2] x W`` pixels (bilinear, 'nearest'
fill; :meth:`equilin.data.ImageDataset.shifted`, seeded), and fits, with the bottleneck ``r``
(``rank``, 99 for the talk):

* ``dense``: the non-equivariant autoencoder ``R^n -> R^r -> R^n`` (:class:`equilin.fit.DenseAutoencoder`,
  ``2 r n`` parameters);
* ``equivariant``: the talk's component ``r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ..., 0)`` of the
  shift-equivariant maps (:func:`talk_ranks`). The talk's ranks exist only for 28 x 28 images and
  ``r = 99``; for any other size or rank this row is the *low-pass* fill (:func:`low_pass_ranks`) and
  its note says ``low-pass fill, the talk's ranks need 28x28 and rank 99``;
* ``equal-rank``: the same rank ``s`` in every block (:func:`equal_rank_ranks`);
* ``high-pass``: the talk's ranks on the highest frequencies (:func:`high_pass_ranks`);
* ``best``: the component chosen from the training data, ``EquivariantAutoencoder(sigma, "best", rank=r)``
  (an exact knapsack over the blocks' PCA gains, ``docs/math.md`` section 5).

The group is ``sigma = image_shift(H, W)``: every row shifted cyclically by one pixel to the right.
Blocks are in the order of :attr:`equilin.equivariant.EquivariantVariety.blocks`: ``r_{1,1}`` (spatial
frequency 0), the complex blocks by increasing frequency (``r_{28,27}`` is frequency 1, ...,
``r_{28,15}`` frequency 13 for MNIST), then ``r_{2,1}`` (frequency ``W / 2``, real). A block ``(l, m)``
has normalized frequency ``(l - m) / l`` in ``[0, 1/2]``; block order is increasing normalized
frequency.

Definitions the talk does not give (chosen here, and printed with the table):

*equal-rank*
    every block gets the same rank ``s``, the largest with ``s * (total weight of the blocks) <= r``
    (and ``s <= d_b`` for every block). The total weight is ``sum_b w_b`` (real blocks 1, complex 2):
    28 for MNIST, so ``s = 3`` and the weighted rank is ``84 < 99`` -- this component does not use the
    whole budget. It needs ``r >= total weight`` (28 for 28 x 28 images, 8 for 8 x 8); a smaller ``r``
    is refused.
*high-pass*
    for MNIST with ``r = 99``: the talk's rank list assigned in reverse frequency order, i.e. the
    talk's tuple reversed: ``r_{2,1}`` (frequency 14, real) gets 13, frequency 13 gets 10, 12 gets 9,
    11 gets 8, 10 gets 7, 9 gets 5, 8 gets 3, 7 gets 1, frequencies 0..6 (``r_{1,1}`` included) get 0;
    weighted rank ``13 + 2 * 43 = 99``. For other sizes or ranks: fill greedily from the highest
    frequency down, every block full (rank ``d_b``) before the next lower frequency; the first block
    that does not fit gets what fits (``floor(left / w_b)``) and any rank left over (at most 1) goes
    on to lower frequencies, so the budget is used and the tuple is maximal.
*low-pass*
    the same greedy fill from frequency 0 upwards (``r_{1,1}`` first). Used as the ``equivariant``
    row when the talk's ranks do not exist. For MNIST with ``r = 99`` it would be
    ``r_{1,1}=28 r_{28,27}=28 r_{14,13}=7 r_{2,1}=1``.

Measurements for every model: parameters, training MSE (closed form: exact, from the Gram
matrices; Adam: recomputed on all training images), test MSE per pixel on all shifted test images
(mean over images and pixels), fit time, and the equivariance error of :func:`equivariance_error` on
the first 1,000 shifted test images. The talk's reported test MSEs (:data:`TALK_TEST_MSE`) stand
beside ours (only in the talk's setting, 28 x 28 images and ``r = 99``); the authors trained with Adam
and estimated them on 300 random test images.

Adam training (``train="adam"`` or ``"both"``): :func:`equilin.nn.train`, batch 256, learning rate
``lr``, ``epochs`` epochs, float32; every module is initialized under ``torch.manual_seed(seed)`` and
shuffled with ``seed``. After training, the module is converted to float64 for evaluation (so an
equivariant module's equivariance error is at float64 rounding level, like the closed form's).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin import data as _data
from equilin.equivariance import EquivariantVariety
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder
from equilin.groups import Permutation, PermutationGroup, as_group, image_group, image_shift
from equilin.validation import check_int

__all__ = [
    "ModelResult",
    "ExperimentResult",
    "talk_ranks",
    "equal_rank_ranks",
    "high_pass_ranks",
    "low_pass_ranks",
    "is_talk_variety",
    "weighted_rank",
    "format_ranks",
    "equivariance_error",
    "run_mnist",
    "group_equivariance_error",
    "MODEL_NAMES",
    "GROUPS",
    "TRAININGS",
    "TALK_RANKS",
    "TALK_TEST_MSE",
    "SHIFT_FRACTION",
    "EQUIVARIANCE_SHIFTS",
    "EQUIVARIANCE_IMAGES",
    "FIGURE_DIGITS",
    "ADAM_BATCH_SIZE",
]

MODEL_NAMES: tuple[str, ...] = ("dense", "equivariant", "equal-rank", "high-pass", "best")
"""The five models, in the order of the table and the JSON."""

GROUPS: tuple[str, ...] = ("shift-x", "shift-xy", "d4", "p4m")
"""The symmetry of the experiment (:func:`equilin.groups.image_group`): ``shift-x`` is the talk's (horizontal
cyclic shifts; the data are shifted horizontally); ``shift-xy`` adds vertical shifts (``Z_W x Z_H``; the
data are shifted both ways); ``d4`` rotations and flips (the data are moved by random elements of
``D_4``, :func:`equilin.data.dihedral_images`); ``p4m`` the image as a torus with its translations,
rotations and flips (random elements of ``D_4``, then shifts both ways). Beyond ``shift-x`` the models are ``dense``,
``equal-rank`` (when ``r`` allows it) and ``best``: the talk's frequency-based components do not exist."""

TRAININGS: tuple[str, ...] = ("closed-form", "adam")
"""How a model is trained: the exact optimum (:mod:`equilin.fit`) or Adam (:func:`equilin.nn.train`)."""

TALK_RANKS: tuple[int, ...] = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)
"""The talk's component for 28 x 28 images and ``r = 99``, in block order (``r_{1,1}`` first)."""

TALK_TEST_MSE: dict[str, float | None] = {
    "dense": 0.0057,
    "equivariant": 0.0082,
    "equal-rank": 0.0206,
    "high-pass": 0.1063,
    "best": None,
}
"""The talk's test MSE per model (Adam, 300 random shifted test images); ``best`` is not in the talk."""

SHIFT_FRACTION = 0.2
"""Largest random shift, as a fraction of the image width (``0.2 x 28 = 5.6`` pixels for MNIST)."""

EQUIVARIANCE_SHIFTS: tuple[int, ...] = (1, 2, 3)
"""Cyclic shifts (pixels) of the equivariance check."""

EQUIVARIANCE_IMAGES = 1000
"""Test images used by the equivariance check (all of them when there are fewer)."""

FIGURE_DIGITS = 9
"""Test digits shown in the reconstruction figure."""

ADAM_BATCH_SIZE = 256
"""Mini-batch size of Adam training."""

_TALK_CYCLE_TYPE = {28: 28}
_TALK_R = 99
_EVAL_CHUNK = 8192


# -- the components ----------------------------------------------------------------------------
def is_talk_variety(variety: EquivariantVariety) -> bool:
    """Whether the talk's ranks apply: 28 cycles of length 28 (28 x 28 images) and ``r = 99``.

    Examples
    --------
    >>> is_talk_variety(EquivariantVariety(image_shift(28, 28), 99))
    True
    >>> is_talk_variety(EquivariantVariety(image_shift(28, 28), 98))
    False
    """
    return variety.cycle_type == _TALK_CYCLE_TYPE and variety.rank == _TALK_R


def weighted_rank(variety: EquivariantVariety, ranks: Sequence[int]) -> int:
    """``sum_b w_b r_b``: the rank of the component's matrices (complex blocks count twice).

    Examples
    --------
    >>> weighted_rank(EquivariantVariety(image_shift(28, 28), 99), TALK_RANKS)
    99
    """
    return sum(b.weight * int(k) for b, k in zip(variety.blocks, ranks, strict=True))


def _frequency(block: Any) -> Fraction:
    """Normalized spatial frequency ``(l - m) / l`` of a block: 0 for ``(1, 1)``, 1/2 for ``(2, 1)``."""
    return Fraction(block.l - block.m, block.l)


def _greedy(variety: EquivariantVariety, order: Sequence[int]) -> tuple[int, ...]:
    """Fill the blocks in ``order``: each gets ``min(d_b, left // w_b)``; the leftover moves on."""
    ranks = [0] * len(variety.blocks)
    left = variety.rank
    for i in order:
        b = variety.blocks[i]
        ranks[i] = min(b.size, left // b.weight)
        left -= b.weight * ranks[i]
    return tuple(ranks)


def talk_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """The talk's component ``(13, 10, 9, 8, 7, 5, 3, 1, 0, ..., 0)`` in block order.

    ``r_{1,1} = 13`` (frequency 0), then frequencies 1..7 get 10, 9, 8, 7, 5, 3, 1 (complex, weight 2),
    frequencies 8..14 get 0: weighted rank ``13 + 2 * 43 = 99``, 5,544 parameters.

    Raises
    ------
    ValueError
        When the variety is not the talk's (28 cycles of length 28, ``r = 99``).

    Examples
    --------
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> format_ranks(dict(zip(E.labels, talk_ranks(E))))
    'r_{1,1}=13 r_{28,27}=10 r_{14,13}=9 r_{28,25}=8 r_{7,6}=7 r_{28,23}=5 r_{14,11}=3 r_{4,3}=1'
    >>> E.component(talk_ranks(E)).n_params
    5544
    """
    if not is_talk_variety(variety):
        raise ValueError(f"the talk's ranks need 28 x 28 images (28 cycles of length 28) and r = 99, "
                         f"got cycle type {variety.cycle_type} and r = {variety.rank}")
    return TALK_RANKS


def equal_rank_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """The same rank ``s`` in every block, ``s`` the largest with ``s * sum_b w_b <= r`` and
    ``s <= d_b`` for every block.

    The component's weighted rank is ``s * sum_b w_b``, which may be below ``r`` (84 for MNIST).

    Raises
    ------
    ValueError
        When ``r < sum_b w_b`` (then ``s`` would be 0: the zero map).

    Examples
    --------
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> ranks = equal_rank_ranks(E)
    >>> set(ranks), len(ranks), weighted_rank(E, ranks)
    ({3}, 15, 84)
    """
    total = sum(b.weight for b in variety.blocks)
    s = min(variety.rank // total, min(b.size for b in variety.blocks))
    if s < 1:
        raise ValueError(f"the equal-rank model needs rank >= {total} (every one of the "
                         f"{len(variety.blocks)} blocks gets rank >= 1; complex blocks count twice), "
                         f"got rank {variety.rank}")
    return (s,) * len(variety.blocks)


def low_pass_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """Fill the blocks greedily from frequency 0 upwards, each full before the next.

    Block ``b`` gets ``min(d_b, left // w_b)`` where ``left`` is the budget not yet used; any rank left
    over goes on to higher frequencies, so the tuple is maximal (a component of ``E_r``).

    Examples
    --------
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> format_ranks(dict(zip(E.labels, low_pass_ranks(E))))
    'r_{1,1}=28 r_{28,27}=28 r_{14,13}=7 r_{2,1}=1'
    >>> low_pass_ranks(EquivariantVariety(image_shift(8, 8), 10))
    (8, 1, 0, 0, 0)
    """
    order = sorted(range(len(variety.blocks)), key=lambda i: _frequency(variety.blocks[i]))
    return _greedy(variety, order)


def high_pass_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """The ranks on the highest spatial frequencies.

    For the talk's variety (28 x 28, ``r = 99``): the talk's tuple reversed -- ``r_{2,1}`` (frequency
    14) gets 13, frequencies 13, 12, ..., 7 get 10, 9, 8, 7, 5, 3, 1, the rest 0 (weighted rank 99).
    Otherwise: the greedy fill of :func:`low_pass_ranks` from the highest frequency down.

    Examples
    --------
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> high_pass_ranks(E)
    (0, 0, 0, 0, 0, 0, 0, 1, 3, 5, 7, 8, 9, 10, 13)
    >>> format_ranks(dict(zip(E.labels, high_pass_ranks(E))))
    'r_{4,3}=1 r_{7,5}=3 r_{28,19}=5 r_{14,9}=7 r_{28,17}=8 r_{7,4}=9 r_{28,15}=10 r_{2,1}=13'
    >>> weighted_rank(E, high_pass_ranks(E))
    99
    >>> high_pass_ranks(EquivariantVariety(image_shift(8, 8), 10))
    (0, 0, 0, 1, 8)
    """
    if is_talk_variety(variety):
        return tuple(reversed(TALK_RANKS))
    order = sorted(range(len(variety.blocks)), key=lambda i: _frequency(variety.blocks[i]), reverse=True)
    return _greedy(variety, order)


def format_ranks(ranks: dict[str, int]) -> str:
    """Compact labelled ranks: the nonzero blocks only, or ``all K blocks s`` when all are equal.

    Examples
    --------
    >>> format_ranks({"r": 99})
    'r=99'
    >>> format_ranks({"r_{1,1}": 2, "r_{4,3}": 0, "r_{2,1}": 1})
    'r_{1,1}=2 r_{2,1}=1'
    >>> format_ranks({"r_{1,1}": 3, "r_{4,3}": 3, "r_{2,1}": 3})
    'all 3 blocks 3'
    """
    values = list(ranks.values())
    if len(values) > 1 and len(set(values)) == 1 and values[0] > 0:
        return f"all {len(values)} blocks {values[0]}"
    shown = " ".join(f"{label}={k}" for label, k in ranks.items() if k)
    return shown or "all 0"


# -- measurements ------------------------------------------------------------------------------
def equivariance_error(predict: Callable[[NDArray[np.float64]], Any], images: Any,
                       shifts: Sequence[int] = EQUIVARIANCE_SHIFTS, axis: str = "x") -> float:
    """How far a model is from commuting with cyclic image shifts.

    For each ``k`` in ``shifts``: ``||f(shift_k X) - shift_k f(X)||_F / ||f(X)||_F`` over the whole
    batch, where ``shift_k`` is :func:`equilin.data.cyclic_shift` (``k`` pixels along ``axis``) and
    ``f`` is ``predict`` applied to the flattened (row-major) images; the largest value is returned.
    An equivariant linear model gives rounding error (about 1e-16 in float64); 0.0 when
    ``f(X) = 0`` and ``f(shift_k X) = 0``, ``inf`` when only ``f(X)`` vanishes.

    Parameters
    ----------
    predict : callable
        Maps ``(N, H*W)`` float64 rows to ``(N, H*W)`` outputs.
    images : array_like
        ``(N, H, W)`` images.
    shifts : sequence of int
        Pixels to shift by.
    axis : {"x", "y"}

    Examples
    --------
    >>> x = np.random.default_rng(0).random((5, 4, 6))
    >>> equivariance_error(lambda X: 2 * X, x)
    0.0
    >>> equivariance_error(lambda X: X * (np.arange(24) % 6 > 0), x) > 0.1
    True
    """
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[0] == 0:
        raise ValueError(f"images must be a non-empty (N, H, W) array, got shape {arr.shape}")
    n, h, w = arr.shape
    if not shifts:
        raise ValueError("shifts must name at least one shift")

    def f(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(predict(x.reshape(n, h * w)), dtype=np.float64).reshape(n, h, w)

    fx = f(arr)
    norm = float(np.linalg.norm(fx))
    worst = 0.0
    for k in shifts:
        diff = float(np.linalg.norm(f(_data.cyclic_shift(arr, k, axis)) - _data.cyclic_shift(fx, k, axis)))
        worst = max(worst, diff / norm if norm > 0 else (math.inf if diff > 0 else 0.0))
    return worst


def group_equivariance_error(predict: Callable[[NDArray[np.float64]], Any], X: Any,
                             group: PermutationGroup) -> float:
    """``max_g ||f(X P_g^T) - f(X) P_g^T||_F / ||f(X)||_F`` over the generators ``g`` of ``group``
    (row samples ``X``, pixels permuted by :meth:`equilin.groups.Permutation.act`); 0.0 for an
    equivariant model up to rounding, ``inf`` when only ``f(X)`` vanishes.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((5, 9))
    >>> group_equivariance_error(lambda X: 2 * X, X, image_group("d4", 3, 3))
    0.0
    """
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != group.n:
        raise ValueError(f"X must be a non-empty (N, {group.n}) array, got shape {arr.shape}")
    fx = np.asarray(predict(arr), dtype=np.float64)
    norm = float(np.linalg.norm(fx))
    worst = 0.0
    for g in group.generators:
        diff = float(np.linalg.norm(np.asarray(predict(g.act(arr, axis=1)), dtype=np.float64)
                                    - g.act(fx, axis=1)))
        worst = max(worst, diff / norm if norm > 0 else (math.inf if diff > 0 else 0.0))
    return worst


def _chunks(n: int, size: int = _EVAL_CHUNK) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def _mse(predict: Callable[[NDArray[Any]], NDArray[np.float64]], X: NDArray[Any]) -> float:
    """Mean squared error per pixel of ``predict(X)`` against ``X``, chunk by chunk."""
    total = 0.0
    for s in _chunks(len(X)):
        x = X[s].astype(np.float64)
        total += float(np.sum((predict(x) - x) ** 2))
    return total / X.size


def _torch_predict(module: Any) -> Callable[[NDArray[Any]], NDArray[np.float64]]:
    import torch

    def predict(X: NDArray[Any]) -> NDArray[np.float64]:
        out = np.empty((len(X), module.n_outputs))
        with torch.no_grad():
            for s in _chunks(len(X)):
                out[s] = module(torch.from_numpy(np.ascontiguousarray(X[s], dtype=np.float64))).numpy()
        return out

    return predict


# -- results -----------------------------------------------------------------------------------
@dataclass
class ModelResult:
    """One row of the experiment's table.

    Attributes
    ----------
    name : str
        One of :data:`MODEL_NAMES`.
    training : str
        ``"closed-form"`` or ``"adam"``.
    ranks : dict
        ``{block label: rank}`` in block order; ``{"r": rank}`` for the dense model.
    params : int
        Free real parameters of the network.
    train_mse, test_mse : float
        Mean squared error per pixel on all shifted training / test images.
    fit_seconds : float
        Closed-form fit (Gram matrices and eigenproblems) or Adam training time (for ``best`` trained
        with Adam, not counting the closed-form choice of its ranks).
    equivariance_error : float
        :func:`equivariance_error` on the first test images.
    talk_test_mse : float or None
        The talk's reported test MSE for this model; ``None`` for ``best`` (not in the talk) and for
        every model when the talk's setting (28 x 28 images, ``r = 99``) does not apply.
    weighted_rank : int
        Rank of the model's function matrix at most (``sum_b w_b r_b``).
    note : str
        What the row is, where it differs from the talk.
    """

    name: str
    training: str
    ranks: dict[str, int]
    params: int
    train_mse: float
    test_mse: float
    fit_seconds: float
    equivariance_error: float
    talk_test_mse: float | None
    weighted_rank: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return asdict(self)


@dataclass
class ExperimentResult:
    """Everything :func:`run_mnist` measured.

    Attributes
    ----------
    data : dict
        The data and the setup: ``name, source, n_train, n_test, shape, shift, seed, rank``, the
        equivariance check's ``shifts`` and image count, and the Adam settings when Adam ran.
    models : list of ModelResult
        In the order of :data:`MODEL_NAMES`, closed form before Adam for each model.
    stage_seconds : dict
        Wall time of each stage (loading, shifting, each fit, evaluation, figures).
    files : dict
        Paths written (``figure``, ``weight_sharing``, ``json``), when ``out`` was given.
    """

    data: dict[str, Any]
    models: list[ModelResult]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def model(self, name: str, training: str = "closed-form") -> ModelResult:
        """The row of one model and training."""
        for m in self.models:
            if m.name == name and m.training == training:
                return m
        raise KeyError(f"no model {name!r} trained {training!r} in this result")

    def to_dict(self) -> dict[str, Any]:
        """``{"data": ..., "models": [...], "stage_seconds": ..., "files": ...}``."""
        return {"data": self.data, "models": [m.to_dict() for m in self.models],
                "stage_seconds": self.stage_seconds, "files": self.files}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def table(self) -> str:
        """The results as a fixed-width text table with its notes."""
        d = self.data
        h, w = d["shape"]
        if "shift" in d:
            moved = (f"shifted horizontally by a uniform random offset in +-{d['shift']['max_pixels']:g} "
                     f"px (bilinear, seed {d['seed']})")
        else:
            moved = f"moved by {d['data_transform']} (seed {d['seed']}); group {d['group']}"
        lines = [f"{d['name']}: {d['n_train']:,} training and {d['n_test']:,} test images, {h}x{w}, each "
                 f"{moved}; bottleneck r = {d['rank']}"]
        header = ("model", "training", "rank", "params", "train MSE", "test MSE", "talk", "equiv. err",
                  "fit s", "ranks")
        rows = [header]
        for m in self.models:
            talk = "-" if m.talk_test_mse is None else f"{m.talk_test_mse:.4f}"
            rows.append((m.name, m.training, str(m.weighted_rank), f"{m.params:,}", f"{m.train_mse:.5f}",
                         f"{m.test_mse:.5f}", talk, f"{m.equivariance_error:.1e}", f"{m.fit_seconds:.1f}",
                         format_ranks(m.ranks)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
        left = {0, 1}
        for r in rows:
            cells = [c.ljust(wd) if i in left else c.rjust(wd) for i, (c, wd) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells) + "  " + r[-1])
        lines.append("")
        lines.append(f"test MSE: per pixel, all {d['n_test']:,} {'shifted' if 'shift' in d else 'moved'} "
                     "test images; talk: the talk's "
                     "test MSE (Adam, 300 random shifted test images).")
        check = d["equivariance_check"]
        if "shifts" in check:
            lines.append(f"equiv. err: max over k in {{{', '.join(map(str, check['shifts']))}}} of "
                         f"||f(shift_k x) - shift_k f(x)|| / ||f(x)|| on {check['n_images']:,} test images "
                         "(cyclic shifts by k pixels).")
        else:
            lines.append("equiv. err: max over the generators g of ||f(g x) - g f(x)|| / ||f(x)|| on "
                         f"{check['n_images']:,} test images.")
        lines.append("rank: weighted rank sum_b w_b r_b (a block counts its weight: 2 for the complex "
                     "blocks of a cyclic group, dim V_i in general); ranks: nonzero blocks, in block order.")
        if "adam" in d:
            a = d["adam"]
            lines.append(f"adam: {a['epochs']} epochs, batch {a['batch_size']}, lr {a['lr']:g}, float32 "
                         f"training, evaluated in float64; seed {d['seed']}.")
        notes = {}
        for m in self.models:
            if m.note:
                notes.setdefault(m.name, m.note)
        for name, note in notes.items():
            lines.append(f"{name}: {note}")
        return "\n".join(lines)


# -- progress ----------------------------------------------------------------------------------
class _Stages:
    """One tqdm bar over the experiment's stages (stderr); records each stage's wall time."""

    def __init__(self, total: int, progress: bool) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc="mnist experiment", disable=not progress, leave=False,
                        file=sys.stderr, bar_format="{desc}: {n}/{total} stages [{elapsed}]")
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.bar.set_description_str(f"mnist: {name}")
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


# -- the experiment ----------------------------------------------------------------------------
def _check_models(adam_models: Any) -> tuple[str, ...]:
    if adam_models is None:
        return MODEL_NAMES
    names = (adam_models,) if isinstance(adam_models, str) else tuple(adam_models)
    for name in names:
        if name not in MODEL_NAMES:
            raise ValueError(f"unknown model {name!r} in adam_models; the models are "
                             f"{', '.join(MODEL_NAMES)}")
    if not names:
        raise ValueError("adam_models must name at least one model")
    return tuple(n for n in MODEL_NAMES if n in names)


@dataclass
class _Spec:
    name: str
    ranks: tuple[int, ...] | str | None  # None: dense; "best": chosen from data
    note: str


def _specs(variety: EquivariantVariety) -> list[_Spec]:
    h_note = ("the talk's ranks reversed: the largest ranks on the highest frequencies"
              if is_talk_variety(variety) else "greedy fill from the highest frequency down")
    if is_talk_variety(variety):
        eq = _Spec("equivariant", talk_ranks(variety), "the talk's component")
    else:
        eq = _Spec("equivariant", low_pass_ranks(variety),
                   "low-pass fill, the talk's ranks need 28x28 and rank 99")
    equal = equal_rank_ranks(variety)
    total = sum(b.weight for b in variety.blocks)
    return [
        _Spec("dense", None, "not equivariant"),
        eq,
        _Spec("equal-rank", equal, f"rank {equal[0]} in every block: {equal[0]} x {total} (total block "
                                   f"weight) = weighted rank {weighted_rank(variety, equal)} <= {variety.rank}"),
        _Spec("high-pass", high_pass_ranks(variety), h_note),
        _Spec("best", "best", "component chosen from the training data (exact knapsack over the blocks' "
                              "PCA gains)"),
    ]


GENERAL_MODELS: tuple[str, ...] = ("dense", "equal-rank", "best")
"""The models for a group other than ``shift-x`` (:func:`_general_specs`), in table order."""


def _general_specs(variety: EquivariantVariety) -> list[_Spec]:
    """Models for a group other than ``shift-x`` (:data:`GENERAL_MODELS`): dense, equal-rank (when the
    budget allows one rank in every block), best."""
    specs = [_Spec("dense", None, "not equivariant")]
    total = sum(b.weight for b in variety.blocks)
    s = min([variety.rank // total] + [b.size for b in variety.blocks])
    if s >= 1:
        ranks = tuple(s for _ in variety.blocks)
        specs.append(_Spec("equal-rank", ranks, f"rank {s} in every block: {s} x {total} (total block weight)"
                                                 f" = weighted rank {weighted_rank(variety, ranks)} <= "
                                                 f"{variety.rank}"))
    specs.append(_Spec("best", "best", "component chosen from the training data (exact knapsack over the "
                                       "blocks' PCA gains)"))
    assert all(spec.name in GENERAL_MODELS for spec in specs)
    return specs


def run_mnist(data: str | os.PathLike[str] = "mnist", rank: int = 99, train: str = "closed-form",
              epochs: int = 5, seed: int = 0, adam_models: Sequence[str] | None = None,
              out: str | os.PathLike[str] | None = None, progress: bool = True, lr: float = 1e-3,
              limit_train: int | None = None, limit_test: int | None = None,
              threads: int | None = None, group: str = "shift-x") -> ExperimentResult:
    """Run the talk's MNIST experiment (see the module docstring for the models and definitions).

    Parameters
    ----------
    data : str or path-like
        ``"mnist"``, ``"digits"`` or a directory of MNIST IDX files (:func:`equilin.data.load`).
    rank : int
        Bottleneck ``r``; ``sum_b w_b <= r <= H * W`` (the lower bound is the equal-rank model's).
    train : {"closed-form", "adam", "both"}
        Closed-form optimum, Adam, or both (a model trained both ways appears twice).
    epochs, lr : int, float
        Adam epochs and learning rate (batch 256).
    seed : int
        Seeds the digits split, the random shifts, the modules' initialization and the shuffling.
    adam_models : sequence of str, optional
        Models trained with Adam (default: all five); ignored for ``train="closed-form"``.
    out : path-like, optional
        Directory for ``mnist_reconstructions.png`` (nine shifted test digits, then the equivariant
        and the dense model's outputs), ``mnist_weight_sharing.png`` (the equivariant component's
        weight sharing) and ``mnist.json``; created when missing. Figures need matplotlib; without it
        they are skipped with a message on stderr.
    progress : bool
        tqdm progress bars on stderr.
    limit_train, limit_test : int, optional
        Use only the first images (for quick runs).
    threads : int, optional
        Run numpy's BLAS (through ``threadpoolctl``, installed with scikit-learn) and PyTorch with at
        most this many threads, restored afterwards; ``None`` leaves the libraries' defaults. On a
        machine whose cores are busy with other work, ``threads=1`` avoids the thread
        oversubscription that makes the many small BLAS products of the block fits (and Adam's
        steps) spin: measured on the 2-core development machine with two competing processes, one
        closed-form equivariant fit took 21.6 s with two BLAS threads and 1.4-2.0 s with one.
    group : {"shift-x", "shift-xy", "d4", "p4m"}
        The symmetry (:data:`GROUPS`): the talk's horizontal shifts, or both shifts, or rotations and
        flips, or both (the image as a torus), each with data moved accordingly. For a group other than
        ``shift-x`` the models are dense, equal-rank and best, trained in closed form, with Adam
        (:class:`equilin.nn.EquivariantLinearAutoencoder`), or both.

    Returns
    -------
    ExperimentResult

    Raises
    ------
    ValueError
        A bad argument, or data that cannot be loaded (:class:`equilin.data.DataError`).
    """
    rank = check_int(rank, "rank", 1)
    if train not in ("closed-form", "adam", "both"):
        raise ValueError(f"train must be 'closed-form', 'adam' or 'both', got {train!r}")
    epochs = check_int(epochs, "epochs", 1)
    seed = check_int(seed, "seed", 0)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    trainings = [t for t in TRAININGS if train in (t, "both")]
    adam = _check_models(adam_models) if "adam" in trainings else ()
    if adam:
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise ValueError("Adam training needs PyTorch: pip install 'equilin[torch]'") from exc
    if threads is not None:
        threads = check_int(threads, "threads", 1)
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, got {group!r}")
    if group != "shift-x" and adam:
        if adam_models is None:
            adam = GENERAL_MODELS
        elif any(name not in GENERAL_MODELS for name in adam):
            raise ValueError(f"group={group!r} has the models {', '.join(GENERAL_MODELS)} (the others are "
                             f"defined by the talk's shift-x blocks); got adam_models={list(adam)}")
    out_dir = None if out is None else Path(out)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out must be a directory, but {out_dir} is a file")

    n_closed = (len(MODEL_NAMES) if group == "shift-x" else 3) if "closed-form" in trainings else 0
    choose = 1 if "best" in adam and not n_closed else 0
    stages = _Stages(2 + 2 * n_closed + choose + 2 * len(adam) + (2 if out_dir is not None else 0), progress)
    try:
        with _limit_threads(threads, torch_too=bool(adam)):
            return _run(stages, data, rank, trainings, adam, epochs, seed, lr, out_dir, progress,
                        limit_train, limit_test, group)
    finally:
        stages.close()


@contextmanager
def _limit_threads(threads: int | None, torch_too: bool) -> Iterator[None]:
    """At most ``threads`` BLAS/OpenMP threads (threadpoolctl, when installed) and PyTorch threads."""
    if threads is None:
        yield
        return
    with ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - scikit-learn brings it
            pass
        else:
            stack.enter_context(threadpool_limits(limits=threads))
        if torch_too:
            import torch

            previous = torch.get_num_threads()
            torch.set_num_threads(threads)
            stack.callback(torch.set_num_threads, previous)
        yield


def _run(stages: _Stages, source: Any, rank: int, trainings: list[str], adam: tuple[str, ...],
         epochs: int, seed: int, lr: float, out_dir: Path | None, progress: bool,
         limit_train: int | None, limit_test: int | None, group: str = "shift-x") -> ExperimentResult:
    with stages.step("load"):
        raw = _data.load(source, seed=seed, limit_train=limit_train, limit_test=limit_test)
    h, w = raw.shape
    n = h * w
    name = raw.name
    if rank > n:
        raise ValueError(f"rank must be at most {n} ({h} x {w} pixels), got {rank}")
    sigma: Any = image_shift(h, w) if group == "shift-x" else image_group(group, h, w)
    variety = EquivariantVariety(sigma, rank)
    specs = _specs(variety) if group == "shift-x" else _general_specs(variety)  # _specs checks the rank
    with stages.step({"shift-x": "shift", "shift-xy": "shift", "d4": "rotate and flip"}.get(group, "transform")):
        ds = raw.dihedral(seed=seed) if group in ("d4", "p4m") else raw
        if group != "d4":
            ds = ds.shifted(SHIFT_FRACTION, axis="x", seed=seed)
            if group in ("shift-xy", "p4m"):
                ds = ds.shifted(SHIFT_FRACTION, axis="y", seed=seed + 1)
    del raw
    X = ds.x_train.reshape(ds.n_train, n)
    X_test = ds.x_test.reshape(ds.n_test, n)
    check = ds.x_test[:EQUIVARIANCE_IMAGES]
    info: dict[str, Any] = {
        "name": name, "source": str(source), "n_train": ds.n_train,
        "n_test": ds.n_test, "shape": [h, w],
        "shift": {"axis": "x", "max_fraction": SHIFT_FRACTION, "max_pixels": SHIFT_FRACTION * w,
                  "interpolation": "bilinear (order 1)", "fill": "nearest", "seed": seed},
        "seed": seed, "rank": rank, "group": f"image_shift({h}, {w}): every row shifted cyclically by 1",
        "blocks": list(variety.labels),
        "equivariance_check": {"shifts": list(EQUIVARIANCE_SHIFTS), "n_images": len(check),
                               "kind": "cyclic shift of the shifted test images"},
    }
    if group != "shift-x":
        info["group"] = f"image_group({group!r}, {h}, {w})"
        shifts = (f"uniform random offsets in +-{SHIFT_FRACTION * w:g} px along x, then "
                  f"+-{SHIFT_FRACTION * h:g} px along y (bilinear; y with seed + 1)")
        info["data_transform"] = {"d4": "its own random element of D_4 (rotations and flips)",
                                  "p4m": "its own random element of D_4, then " + shifts}.get(group, shifts)
        del info["shift"]
        info["equivariance_check"] = {"n_images": len(check), "kind": "every generator of the group, "
                                      "applied to the transformed test images"}

    def check_error(predict: Callable[[NDArray[Any]], NDArray[np.float64]]) -> float:
        if group == "shift-x":
            return equivariance_error(predict, check)
        return group_equivariance_error(predict, check.reshape(len(check), n), sigma)
    if adam:
        info["adam"] = {"models": list(adam), "epochs": epochs, "lr": lr, "batch_size": ADAM_BATCH_SIZE,
                        "dtype": "float32 (evaluated in float64)"}
    results: dict[tuple[str, str], ModelResult] = {}
    predictors: dict[tuple[str, str], Callable[[NDArray[Any]], NDArray[np.float64]]] = {}
    best_ranks: tuple[int, ...] | None = None
    labels = variety.labels
    talk = TALK_TEST_MSE if is_talk_variety(variety) else dict.fromkeys(MODEL_NAMES)

    def ranks_of(spec: _Spec, chosen: tuple[int, ...] | None) -> dict[str, int]:
        if spec.ranks is None:
            return {"r": rank}
        return dict(zip(labels, chosen, strict=True)) if chosen is not None else {}

    if "closed-form" in trainings:
        for spec in specs:
            with stages.step(f"fit {spec.name} (closed form)"):
                start = time.perf_counter()
                if spec.ranks is None:
                    model: Any = DenseAutoencoder(rank).fit(X)
                elif spec.ranks == "best":
                    model = EquivariantAutoencoder(sigma, "best", rank=rank).fit(X)
                else:
                    model = EquivariantAutoencoder(sigma, spec.ranks).fit(X)
                seconds = time.perf_counter() - start
            with stages.step(f"evaluate {spec.name} (closed form)"):
                chosen = None if spec.ranks is None else tuple(model.ranks_.values())
                if spec.ranks == "best":
                    best_ranks = chosen
                predict = model.predict
                results[spec.name, "closed-form"] = ModelResult(
                    spec.name, "closed-form", ranks_of(spec, chosen), int(model.n_params_),
                    float(model.train_loss_), _mse(predict, X_test), seconds,
                    check_error(predict), talk.get(spec.name),
                    rank if chosen is None else weighted_rank(variety, chosen), spec.note)
                predictors[spec.name, "closed-form"] = predict
    for spec in specs:
        if spec.name not in adam:
            continue
        chosen = spec.ranks if isinstance(spec.ranks, tuple) else None
        if spec.ranks == "best":
            if best_ranks is None:
                with stages.step("choose the best component (closed form)"):
                    best_ranks = tuple(EquivariantAutoencoder(sigma, "best", rank=rank).fit(X).ranks_.values())
            chosen = best_ranks
        module, seconds = _train_adam(stages, spec, n, rank, sigma, chosen, X, epochs, lr, seed, progress)
        with stages.step(f"evaluate {spec.name} (adam)"):
            predict = _torch_predict(module)
            results[spec.name, "adam"] = ModelResult(
                spec.name, "adam", ranks_of(spec, chosen), int(module.n_parameters()), _mse(predict, X),
                _mse(predict, X_test), seconds, check_error(predict),
                talk[spec.name], rank if chosen is None else weighted_rank(variety, chosen),
                spec.note)
            predictors[spec.name, "adam"] = predict
    order = [(s.name, t) for s in specs for t in TRAININGS if (s.name, t) in results]
    result = ExperimentResult(info, [results[k] for k in order], stages.seconds)
    if out_dir is not None:
        _write_outputs(stages, result, predictors, variety, specs, ds.x_test[:FIGURE_DIGITS], out_dir,
                       progress)
    return result


def _train_adam(stages: _Stages, spec: _Spec, n: int, rank: int, sigma: Any, chosen: tuple[int, ...] | None,
                X: NDArray[Any], epochs: int, lr: float, seed: int, progress: bool) -> tuple[Any, float]:
    import torch

    from equilin.models import nn as enn

    with stages.step(f"train {spec.name} (adam)"):
        torch.manual_seed(seed)
        if chosen is None:
            module: Any = enn.DenseLinearAutoencoder(n, rank, dtype=torch.float32)
        else:   # any group: the block decomposition of the closed form (method "auto")
            module = enn.EquivariantLinearAutoencoder(sigma, chosen, dtype=torch.float32)
        start = time.perf_counter()
        enn.train(module, X, epochs=epochs, batch_size=ADAM_BATCH_SIZE, lr=lr, seed=seed, progress=progress)
        seconds = time.perf_counter() - start
    return module.double().eval(), seconds


def _write_outputs(stages: _Stages, result: ExperimentResult, predictors: dict[Any, Any],
                   variety: EquivariantVariety, specs: list[_Spec], digits: NDArray[Any], out_dir: Path,
                   progress: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with stages.step("figures"):
        try:
            from equilin import plots

            rows = []
            main = "equivariant" if any(s.name == "equivariant" for s in specs) else "best"
            for name in (main, "dense"):
                training = "closed-form" if (name, "closed-form") in predictors else "adam"
                if (name, training) not in predictors:
                    continue
                label = name
                if name == "equivariant":
                    label += "\n(talk)" if is_talk_variety(variety) else "\n(low-pass)"
                flat = digits.reshape(len(digits), -1)
                rows.append((f"{label}\n{training}", predictors[name, training](flat)))
            path = out_dir / "mnist_reconstructions.png"
            plots.reconstructions(digits, rows, path, title=f"{result.data['name']}, shifted test digits "
                                  f"(top) and reconstructions, r = {result.data['rank']}")
            result.files["figure"] = str(path)
            if main == "equivariant":
                eq = next(s for s in specs if s.name == "equivariant")
                assert isinstance(eq.ranks, tuple)
                component = EquivariantVariety.for_ranks(variety.sigma, eq.ranks).component(eq.ranks)
            else:
                best = next(m for m in result.models if m.name == "best")
                component = variety.component(best.ranks)
            path = out_dir / "mnist_weight_sharing.png"
            plots.weight_sharing(component, path)
            result.files["weight_sharing"] = str(path)
        except ImportError as exc:
            if progress:
                print(f"equilin: figures skipped ({exc})", file=sys.stderr)
    with stages.step("json"):
        path = out_dir / "mnist.json"
        result.files["json"] = str(path)
        path.write_text(result.to_json() + "\n")


# ==============================================================================================
# -- nonlinear rows: permuted neurons with activations ------------------------------------------------
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
    import torch

    from equilin.deep import DeepLinearNetwork, GSet, smallest_gset
    from equilin.models.nn import DeepEquivariantNetwork
    from equilin.models.nn import train as adam

    if group not in ("shift-x", "d4"):
        raise ValueError(f"group must be 'shift-x' or 'd4', got {group!r}")
    epochs = check_int(epochs, "epochs", 1)
    raw = _data.load(data, seed=seed, limit_train=limit_train, limit_test=limit_test)
    h, w = raw.shape
    n = h * w
    G: Any = image_shift(h, w) if group == "shift-x" else image_group("d4", h, w)
    ds = raw.dihedral(seed=seed) if group == "d4" else raw.shifted(SHIFT_FRACTION, axis="x", seed=seed)
    X = ds.x_train.reshape(ds.n_train, n).astype(np.float32)
    X_test = ds.x_test.reshape(ds.n_test, n)
    check = ds.x_test[:EQUIVARIANCE_IMAGES].reshape(-1, n)
    rows: list[dict[str, Any]] = []

    def record(name: str, predict: Callable[[NDArray[Any]], NDArray[np.float64]], params: int, width: int,
               seconds: float) -> None:
        rows.append({"model": name, "params": int(params), "width": int(width), "train_mse": _mse(predict, X),
                     "test_mse": _mse(predict, X_test),
                     "equivariance": group_equivariance_error(predict, check, as_group(G)), "seconds": seconds})

    with _limit_threads(threads, torch_too=True):
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
        for name, H in sizes.items():
            torch.manual_seed(seed)
            model = DeepEquivariantNetwork(DeepLinearNetwork(G, [H]), activation="relu", bias=True)
            start = time.perf_counter()
            adam(model, X, epochs=epochs, batch_size=ADAM_BATCH_SIZE, lr=lr, seed=seed, progress=False)
            seconds = time.perf_counter() - start
            model = model.double().eval()
            record(f"nonlinear equivariant ({name}, ReLU)", _torch_predict(model), model.n_parameters(), H.h,
                   seconds)
        torch.manual_seed(seed)
        net = _dense_nonlinear(n, rank)
        start = time.perf_counter()
        adam(net, X, epochs=epochs, batch_size=ADAM_BATCH_SIZE, lr=lr, seed=seed, progress=False)
        seconds = time.perf_counter() - start
        net = net.double().eval()
        record("nonlinear dense (ReLU)", _torch_predict(net), sum(p.numel() for p in net.parameters()), rank,
               seconds)
    return rows


def _dense_nonlinear(n: int, rank: int) -> Any:
    """``n -> rank -> n`` with ReLU and biases, a torch module (the dense nonlinear row of
    :func:`run_nonlinear`; built here so that torch is imported only when the experiment runs)."""
    import torch

    class DenseNonlinearAutoencoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.n_features = self.n_outputs = n
            self.encoder = torch.nn.Linear(n, rank)
            self.decoder = torch.nn.Linear(rank, n)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.decoder(torch.relu(self.encoder(x)))

    return DenseNonlinearAutoencoder()


# -- critical points of training: `equilin critical` ------------------------------------------------
# ==============================================================================================
# Trains small linear networks from many random initializations, on fresh random data each time, and
# classifies the end points with equilin.critical.classify (pure / spurious, Trager-Kohn-Bruna 2020).
# Cases: (a) an LCN with all strides > 1, (b) a stride-one LCN, (c) a fully-connected network, each with
# N = 1 + sum_i d_i s_i samples (Kohn-Montufar-Shahverdi-Trager 2024; s_i = 1 for dense layers).

CRITICAL_SEARCHES: tuple[str, ...] = ("train", "critical")
"""``train``: L-BFGS on the loss (where training ends); ``critical``: a zero of ``grad L`` by trust-region
least squares on ``grad L`` with the exact Hessian (``scipy.optimize.least_squares``), which also ends at
saddles."""


@dataclass
class CriticalCase:
    """One row of :func:`run_critical`: a network and how its trials ended.

    Attributes
    ----------
    name : str
        ``"(a)"``, ``"(b)"``, ``"(c)"`` for the default cases.
    label : str
        What the case stands for (``"LCN, strides > 1"``, ...).
    network : str
        The parameterization's description.
    n_params, dim, n_samples : int
        Parameters, dimension of the function space, samples ``N`` per trial.
    counts : dict
        Trials per outcome, keys :data:`equilin.critical.OUTCOMES` in that order.
    trials : list of dict
        Per trial: ``seed`` (``[seed, case index, trial]``), ``outcome``, ``loss``, ``gradient`` (relative
        gradient norm), ``jacobian_rank``, ``iterations``, ``kept`` (dense only), ``saddle`` (for a spurious
        point: whether the exact Hessian has a negative eigenvalue; else None), ``notes``.
    """

    name: str
    label: str
    network: str
    n_params: int
    dim: int
    n_samples: int
    counts: dict[str, int]
    trials: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return asdict(self)


@dataclass
class CriticalExperimentResult:
    """Everything :func:`run_critical` measured: ``settings``, one :class:`CriticalCase` per network,
    and the wall time in seconds."""

    settings: dict[str, Any]
    cases: list[CriticalCase]
    seconds: float = 0.0

    def case(self, name: str) -> CriticalCase:
        """The case called ``name`` (e.g. ``"(a)"``)."""
        for c in self.cases:
            if c.name == name:
                return c
        raise KeyError(f"no case {name!r}; the cases are {', '.join(c.name for c in self.cases)}")

    def to_dict(self) -> dict[str, Any]:
        """``{"settings": ..., "cases": [...], "seconds": ...}``."""
        return {"settings": self.settings, "cases": [c.to_dict() for c in self.cases], "seconds": self.seconds}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def table(self) -> str:
        """The outcome counts as a fixed-width text table with its notes."""
        from equilin.critical import OUTCOMES

        s = self.settings
        how = ("L-BFGS on the loss (training)" if s["search"] == "train"
               else "least squares on grad L = 0 with the exact Hessian (finds saddles too)")
        lines = [(f"Critical points reached from {s['n_init']} random initializations per network (fresh "
                  f"Gaussian data X, Y and parameters each time, seed {s['seed']}); {how}, at most "
                  f"{s['max_iter']} iterations; tol {s['tol']:g}")]
        header = ("case", "network", "params", "dim", "N") + OUTCOMES
        rows = [header]
        for c in self.cases:
            rows.append((c.name, f"{c.label}: {c.network}", str(c.n_params), str(c.dim), str(c.n_samples))
                        + tuple(str(c.counts[o]) for o in OUTCOMES))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for r in rows:
            lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        lines.append("")
        lines.append("zero: F(theta) = 0; pure: F(theta) is a smooth point of the function space where the "
                     "gradient of the loss is normal to it (Trager-Kohn-Bruna 2020); regular: rank dF = dim; "
                     "spurious: critical for L but not pure; not converged: relative gradient above tol. "
                     "Rules: docs/critical.md.")
        if any(c.name in ("(a)", "(b)", "(c)") for c in self.cases):
            lines.append("Talk (Kohn-Montufar-Shahverdi-Trager 2024): with all strides > 1 and N >= 1 + sum d_i s_i, "
                         "for almost all data every critical point is zero or pure regular; not so for stride one "
                         "or fully-connected networks.")
        return "\n".join(lines)


def critical_cases() -> list[tuple[str, str, Any, int]]:
    """The default networks of :func:`run_critical`: ``(name, label, parameterization, N)`` for (a) the
    LCN ``d_0 = 15``, filters ``(3, 3)``, strides ``(2, 2)``; (b) the stride-one LCN ``d_0 = 6``, filters
    ``(2, 2)`` (not filling: its function space is the quadratics with real roots); (c) the fully-connected
    ``5 -> 2 -> 5``. ``N = 1 + sum_i d_i s_i`` (with ``s_i = 1`` for dense layers).

    Examples
    --------
    >>> [(name, P.n_params, P.dim, N) for name, _, P, N in critical_cases()]
    [('(a)', 6, 5, 21), ('(b)', 4, 3, 10), ('(c)', 20, 16, 8)]
    """
    from equilin.critical import Parameterization
    from equilin.lcn import LCN

    a, b = LCN(15, (3, 3), (2, 2)), LCN(6, (2, 2), (1, 1))
    widths = (5, 2, 5)
    return [("(a)", "LCN, strides > 1", Parameterization.lcn(a), a.sample_count()),
            ("(b)", "LCN, stride one", Parameterization.lcn(b), b.sample_count()),
            ("(c)", "fully-connected", Parameterization.dense(widths), 1 + sum(widths[1:]))]


def deep_critical_cases() -> list[tuple[str, str, Any, int]]:
    """Deep equivariant linear networks for :func:`run_critical` (``equilin critical --deep``): the
    talk's 3 x 3 rotation ``sigma = (1 2 3 4)(5 6 7 8)`` and ``d4`` on 3 x 3 images, through permuted
    hidden layers at depths 2, 3 and 4, each ending in a narrow G-set (``G/<sigma^2>``, 2 units, or
    ``d4`` over a reflection, 4 units); ``N = 2 n`` samples.

    Examples
    --------
    >>> [(name, P.n_params, P.dim) for name, _, P, _ in deep_critical_cases()]
    [('(d1)', 10, 8), ('(d2)', 31, 8), ('(d3)', 28, 8), ('(d4)', 6, 5), ('(d5)', 14, 5), ('(d6)', 24, 5)]
    """
    from equilin.critical import Parameterization
    from equilin.deep import DeepLinearNetwork, GSet

    s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    d4 = image_group("d4", 3, 3)
    narrow_s, narrow_d4 = GSet.cosets(s, [s ** 2]), GSet.cosets(d4, [d4.generators[0]])
    nets = [("(d1)", "rotation, depth 2", s, [narrow_s]),
            ("(d2)", "rotation, depth 3", s, [GSet.of(s), narrow_s]),
            ("(d3)", "rotation, depth 4", s, [GSet.cosets(s, []), GSet.of(s), narrow_s]),
            ("(d4)", "d4, depth 2", d4, [narrow_d4]),
            ("(d5)", "d4, depth 3", d4, [GSet.regular(d4), narrow_d4]),
            ("(d6)", "d4, depth 4", d4, [GSet.regular(d4), GSet.of(d4), narrow_d4])]
    return [(name, label, Parameterization.deep(DeepLinearNetwork(G, hidden)), 2 * G.n)
            for name, label, G, hidden in nets]


def _critical_trial(P: Any, n_samples: int, seed: list[int], search: str, max_iter: int, tol: float) -> dict[str, Any]:
    from scipy.optimize import least_squares, minimize

    from equilin.critical import classify

    rng = np.random.default_rng(seed)
    m, n = P.shape
    X, Y = rng.standard_normal((n_samples, n)), rng.standard_normal((n_samples, m))
    theta = P.sample(rng)

    def loss(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        return P.loss(z, X, Y)

    def gradient(z: NDArray[np.float64]) -> NDArray[np.float64]:
        return P.loss(z, X, Y)[1]

    def hessian(z: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.stack([P.hessian_vector(z, e, X, Y) for e in np.eye(P.n_params)], axis=1)

    iterations = 0
    report = classify(P, theta, X, Y, tol=tol)
    while iterations < max_iter:  # restart from the balanced point of the fibre
        if search == "train":
            result = minimize(loss, theta, jac=True, method="L-BFGS-B",
                              options={"maxiter": max_iter - iterations, "gtol": 1e-14, "ftol": 0.0, "maxcor": 20})
            iterations += max(int(result.nit), 1)
        else:  # a zero of grad L: trust-region least squares with the exact Hessian as Jacobian
            result = least_squares(gradient, theta, jac=hessian, method="trf", xtol=1e-15, ftol=1e-15,
                                   gtol=1e-15, max_nfev=max_iter - iterations)
            iterations += max(int(result.nfev), 1)
        theta = P.balance(result.x)
        report = classify(P, theta, X, Y, tol=tol)
        if report.is_critical:
            break
    saddle = None
    if report.outcome == "spurious":         # a direction of negative curvature makes it a saddle
        H = hessian(theta)
        eigenvalues = np.linalg.eigvalsh((H + H.T) / 2)
        saddle = bool(eigenvalues[0] < -1e-8 * max(1.0, float(np.abs(eigenvalues).max())))
    return {"seed": seed, "outcome": report.outcome, "loss": report.loss,
            "gradient": report.gradient_norm / report.gradient_scale, "jacobian_rank": report.jacobian_rank,
            "iterations": iterations, "kept": None if report.kept is None else list(report.kept),
            "saddle": saddle, "notes": report.notes}


def run_critical(n_init: int = 40, seed: int = 0, search: str = "train", max_iter: int = 2000,
                 tol: float = 1e-6, cases: Sequence[tuple[str, str, Any, int]] | None = None,
                 threads: int | None = 1, progress: bool = False) -> CriticalExperimentResult:
    """Train networks from ``n_init`` random starts each and count how the end points are classified.

    Every trial draws fresh Gaussian data ``X`` (``N x n``), ``Y`` (``N x m``) and parameters, runs L-BFGS
    (restarted from the balanced point of the fibre until :func:`equilin.critical.classify` finds a
    critical point or ``max_iter`` iterations are spent) and records the outcome.

    Parameters
    ----------
    n_init : int
        Random initializations (and data sets) per network.
    seed : int
        Trial ``t`` of case ``i`` uses ``numpy.random.default_rng([seed, i, t])``.
    search : {"train", "critical"}
        Minimize the loss, or solve ``grad L = 0`` (reaches saddles as well), see :data:`CRITICAL_SEARCHES`.
    max_iter : int
        L-BFGS iterations (``train``) or gradient evaluations (``critical``) per trial, restarts included.
    tol : float
        Relative tolerance of :func:`equilin.critical.classify`.
    cases : sequence of (name, label, Parameterization, N), optional
        Default :func:`critical_cases`.
    threads : int or None
        BLAS threads (1 by default: the problems are tiny).
    progress : bool
        Print one line per case to stderr.

    Returns
    -------
    CriticalExperimentResult

    Examples
    --------
    >>> result = run_critical(n_init=2, seed=1)
    >>> [c.counts["spurious"] for c in result.cases][0]
    0
    """
    from equilin.critical import OUTCOMES

    n_init = check_int(n_init, "n_init", 1)
    seed = check_int(seed, "seed", 0)
    max_iter = check_int(max_iter, "max_iter", 1)
    if search not in CRITICAL_SEARCHES:
        raise ValueError(f"search must be one of {', '.join(CRITICAL_SEARCHES)}, got {search!r}")
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and 0 < tol < 1):
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    chosen = critical_cases() if cases is None else list(cases)
    start = time.perf_counter()
    out = []
    with _limit_threads(threads, torch_too=False):
        for index, (name, label, P, n_samples) in enumerate(chosen):
            trials = [_critical_trial(P, check_int(n_samples, "N", 1), [seed, index, t], search, max_iter, tol)
                      for t in range(n_init)]
            counts = {o: sum(1 for t in trials if t["outcome"] == o) for o in OUTCOMES}
            out.append(CriticalCase(name, label, P.description, P.n_params, P.dim, n_samples, counts, trials))
            if progress:
                print(f"equilin critical: {name} {label}: {counts}", file=sys.stderr)
    settings = {"n_init": n_init, "seed": seed, "search": search, "max_iter": max_iter, "tol": tol,
                "threads": threads}
    return CriticalExperimentResult(settings, out, time.perf_counter() - start)


__all__ += ["CRITICAL_SEARCHES", "CriticalCase", "CriticalExperimentResult", "critical_cases", "deep_critical_cases",
            "run_critical", "run_nonlinear"]
