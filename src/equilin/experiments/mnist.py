"""The MNIST experiment of the talk (``docs/math.md`` section 6): five linear autoencoders on shifted digits.

:func:`run_mnist` loads the data (:func:`equilin.data.load`), shifts every training and test image
horizontally by its own uniform random real offset in ``[-0.2, 0.2] x W`` pixels (bilinear, 'nearest'
fill; :meth:`equilin.data.ImageDataset.shifted`, seeded), and fits, with the bottleneck ``r``
(``rank``, 99 for the talk), the models of :data:`~equilin.experiments.ranks.MODEL_NAMES`:

* ``dense``: the non-equivariant autoencoder ``R^n -> R^r -> R^n``
  (:class:`equilin.models.closed_form.DenseAutoencoder`, ``2 r n`` parameters);
* ``equivariant``: the talk's component ``r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ..., 0)`` of the
  shift-equivariant maps (:func:`~equilin.experiments.ranks.talk_ranks`). The talk's ranks exist only
  for 28 x 28 images and ``r = 99``; for any other size or rank this row is the *low-pass* fill
  (:func:`~equilin.experiments.ranks.low_pass_ranks`) and its note says
  ``low-pass fill, the talk's ranks need 28x28 and rank 99``;
* ``equal-rank``: the same rank ``s`` in every block (:func:`~equilin.experiments.ranks.equal_rank_ranks`);
* ``high-pass``: the talk's ranks on the highest frequencies (:func:`~equilin.experiments.ranks.high_pass_ranks`);
* ``best``: the component chosen from the training data, ``EquivariantAutoencoder(sigma, "best", rank=r)``
  (an exact knapsack over the blocks' PCA gains, ``docs/math.md`` section 5).

The group is ``sigma = image_shift(H, W)``: every row shifted cyclically by one pixel to the right. The
block order and the definitions the talk does not give (equal-rank, high-pass, low-pass) are in
:mod:`equilin.experiments.ranks`; they are printed with the table. Other groups (:data:`GROUPS`) have
the models of :data:`~equilin.experiments.ranks.GENERAL_MODELS`.

Measurements for every model: parameters, training MSE (closed form: exact, from the Gram
matrices; Adam: recomputed on all training images), test MSE per pixel on all shifted test images
(mean over images and pixels), fit time, and the equivariance error of
:func:`equilin.testing.equivariance_error` on the first 1,000 shifted test images, over the shifts by
:data:`EQUIVARIANCE_SHIFTS` pixels (:func:`shift_elements`; other groups: over their generators). The
talk's reported test MSEs (:data:`TALK_TEST_MSE`) stand beside ours (only in the talk's setting,
28 x 28 images and ``r = 99``); the authors trained with Adam and estimated them on 300 random test
images.

With ``nonlinear=True`` (groups ``shift-x`` and ``d4``) the table gains three ReLU autoencoders trained
with Adam (:mod:`equilin.experiments.nonlinear`: ``relu-best``, permuted neurons through the smallest
G-set carrying the best component; ``relu-wide``, channels of the input action with about the dense
model's parameters; ``relu-dense``, ``n -> r -> n``), and the result states, from its numbers, where
nonlinearity pays (:attr:`ExperimentResult.verdict`).

Adam training (``train="adam"`` or ``"both"``): :mod:`equilin.experiments.adam` (imported, with torch,
only then): :func:`equilin.models.nn.train`, batch 256, learning rate ``lr``, until the loss on a
held-out tenth of the training images stops improving (``patience``; at most ``epochs`` epochs),
float32; every module is initialized under ``torch.manual_seed(seed)`` and shuffled with ``seed``.
After training, the module is converted to float64 for evaluation (so an equivariant module's
equivariance error is at float64 rounding level, like the closed form's).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from equilin import data as _data
from equilin import plots
from equilin.equivariance import EquivariantVariety
from equilin.experiments.evaluation import Predictor, mse
from equilin.experiments.nonlinear import NONLINEAR_GROUPS, NONLINEAR_MODELS, nonlinear_rows, nonlinear_verdict
from equilin.experiments.ranks import (
    GENERAL_MODELS,
    MODEL_NAMES,
    ModelSpec,
    general_model_specs,
    is_talk_variety,
    talk_model_specs,
    weighted_rank,
)
from equilin.experiments.results import ExperimentResult, ModelResult
from equilin.experiments.threads import limit_threads
from equilin.groups import Permutation, PermutationGroup, image_group, image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder
from equilin.progress import Stages
from equilin.testing import equivariance_error
from equilin.validation import check_int

__all__ = [
    "run_mnist",
    "shift_elements",
    "GROUPS",
    "TRAININGS",
    "TALK_TEST_MSE",
    "SHIFT_FRACTION",
    "EQUIVARIANCE_SHIFTS",
    "EQUIVARIANCE_IMAGES",
    "FIGURE_DIGITS",
    "ADAM_BATCH_SIZE",
]

GROUPS: tuple[str, ...] = ("shift-x", "shift-xy", "d4", "p4m")
"""The symmetry of the experiment (:func:`equilin.groups.image_group`): ``shift-x`` is the talk's (horizontal
cyclic shifts; the data are shifted horizontally); ``shift-xy`` adds vertical shifts (``Z_W x Z_H``; the
data are shifted both ways); ``d4`` rotations and flips (the data are moved by random elements of
``D_4``, :func:`equilin.data.dihedral_images`); ``p4m`` the image as a torus with its translations,
rotations and flips (random elements of ``D_4``, then shifts both ways). Beyond ``shift-x`` the models are ``dense``,
``equal-rank`` (when ``r`` allows it) and ``best``: the talk's frequency-based components do not exist."""

TRAININGS: tuple[str, ...] = ("closed-form", "adam")
"""How a model is trained: the exact optimum (:mod:`equilin.models.closed_form`) or Adam
(:func:`equilin.models.nn.train`)."""

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


def shift_elements(h: int, w: int, shifts: Sequence[int] = EQUIVARIANCE_SHIFTS) -> list[Permutation]:
    """The elements of the ``shift-x`` equivariance check: ``image_shift(h, w, k)`` for ``k`` in ``shifts``.

    On row-major flattened images, ``image_shift(h, w, k).act`` is :func:`equilin.data.cyclic_shift`
    ``(images, k)``: every row moved ``k`` pixels to the right.

    Examples
    --------
    >>> [str(g) for g in shift_elements(2, 4)]
    ['(1 2 3 4)(5 6 7 8)', '(1 3)(2 4)(5 7)(6 8)', '(1 4 3 2)(5 8 7 6)']
    >>> shift_elements(2, 4)[0].act([[1, 2, 3, 4, 5, 6, 7, 8]]).tolist()
    [[4, 1, 2, 3, 8, 5, 6, 7]]
    >>> _data.cyclic_shift([[[1, 2, 3, 4], [5, 6, 7, 8]]], 1).tolist()
    [[[4, 1, 2, 3], [8, 5, 6, 7]]]
    """
    return [image_shift(h, w, k) for k in shifts]


# -- progress ----------------------------------------------------------------------------------
class _Stages(Stages):
    """The experiment's stages (:class:`equilin.progress.Stages` on stderr: a bar on a terminal, one line
    per stage elsewhere, nothing without ``progress``); ``seconds`` records each stage's wall time."""

    def __init__(self, total: int, progress: bool) -> None:
        super().__init__(total, "mnist", enabled=progress)


# -- the models --------------------------------------------------------------------------------
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


def run_mnist(data: str | os.PathLike[str] = "mnist", rank: int = 99, train: str = "closed-form",
              epochs: int = 300, seed: int = 0, adam_models: Sequence[str] | None = None,
              out: str | os.PathLike[str] | None = None, progress: bool = True, lr: float = 1e-2,
              limit_train: int | None = None, limit_test: int | None = None,
              threads: int | None = None, group: str = "shift-x", nonlinear: bool = False,
              patience: int | None = 30, validation_fraction: float = 0.1) -> ExperimentResult:
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
        At most ``epochs`` epochs of Adam (exactly that many with ``patience=None``) and its initial
        learning rate (batch 256).
    patience : int or None
        Adam's stopping rule (:class:`equilin.experiments.adam.Stopping`): ``validation_fraction`` of the
        training images (seeded) is held out, training stops once the loss on them has not improved by a
        relative ``1e-4`` for ``patience`` epochs (the learning rate is halved after ``patience // 3``
        such epochs) and the best epoch's weights are restored; the table says how many epochs ran and
        why each stopped (``converged`` or ``cap``). With the defaults every linear model ends within 2%
        of its closed form's test MSE on the digits and on full MNIST (BENCHMARKS.md). ``None`` trains
        exactly ``epochs`` epochs on all training images.
    validation_fraction : float in (0, 1)
        The held-out fraction of the stopping rule.
    seed : int
        Seeds the digits split, the random shifts, the modules' initialization and the shuffling.
    adam_models : sequence of str, optional
        Models trained with Adam (default: all five); ignored for ``train="closed-form"``.
    out : path-like, optional
        Directory for ``mnist.json`` and the figures (:mod:`equilin.plots`), created when missing:
        ``mnist_reconstructions.png`` (nine shifted test digits, then the equivariant and the dense
        model's outputs), ``mnist_code_sharing.png`` (which pixel weights of a few code units of the
        equivariant component are one shared weight), ``mnist_filters.png`` (the closed-form
        equivariant model's encoder rows as images, block by block, and the dense model's) and
        ``mnist_spectrum.png`` (each block's share of the training data's sum of squares and the ranks
        the models give it); the last two need the closed-form fits. Figures need matplotlib; without
        it they are skipped with a message on stderr.
    progress : bool
        Progress on stderr (:mod:`equilin.progress`): bars on a terminal, plain lines (one per stage,
        Adam's every tenth of the epochs) in a pipe or a log file.
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
        (:class:`equilin.models.nn.EquivariantLinearAutoencoder`), or both.
    nonlinear : bool
        Also train the ReLU rows of :data:`~equilin.experiments.NONLINEAR_MODELS` with Adam (``epochs``,
        ``lr``, ``seed``, batch 256; :mod:`equilin.experiments.nonlinear`; groups
        :data:`~equilin.experiments.NONLINEAR_GROUPS` only) and state, after the table, where
        nonlinearity pays (:attr:`ExperimentResult.verdict`). Their hidden layer is chosen from the
        ``best`` component, which is fitted in closed form first if the run does not fit it.

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
    if patience is not None:
        patience = check_int(patience, "patience", 1)
    if (isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float))
            or not 0 < validation_fraction < 1):
        raise ValueError(f"validation_fraction must be a number in (0, 1), got {validation_fraction!r}")
    seed = check_int(seed, "seed", 0)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    trainings = [t for t in TRAININGS if train in (t, "both")]
    adam = _check_models(adam_models) if "adam" in trainings else ()
    if adam and importlib.util.find_spec("torch") is None:
        raise ValueError("Adam training needs PyTorch: pip install 'equilin[torch]'")
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
    if not isinstance(nonlinear, bool):
        raise ValueError(f"nonlinear must be True or False, got {nonlinear!r}")
    if nonlinear:
        if group not in NONLINEAR_GROUPS:
            raise ValueError(f"the nonlinear rows exist for the groups {' and '.join(NONLINEAR_GROUPS)} only, "
                             f"got group={group!r}")
        if importlib.util.find_spec("torch") is None:
            raise ValueError("the nonlinear rows are trained with Adam, which needs PyTorch: "
                             "pip install 'equilin[torch]'")
    out_dir = None if out is None else Path(out)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out must be a directory, but {out_dir} is a file")

    n_closed = (len(MODEL_NAMES) if group == "shift-x" else 3) if "closed-form" in trainings else 0
    choose = 1 if ("best" in adam or nonlinear) and not n_closed else 0
    n_nonlinear = 1 + 2 * len(NONLINEAR_MODELS) if nonlinear else 0
    stages = _Stages(2 + 2 * n_closed + choose + 2 * len(adam) + n_nonlinear + (2 if out_dir is not None else 0),
                     progress)
    try:
        with limit_threads(threads):
            return _run(stages, data, rank, trainings, adam, (epochs, patience, validation_fraction), seed, lr,
                        out_dir, progress, limit_train, limit_test, group, threads, nonlinear)
    finally:
        stages.close()


def _run(stages: _Stages, source: Any, rank: int, trainings: list[str], adam: tuple[str, ...],
         rule: tuple[int, int | None, float], seed: int, lr: float, out_dir: Path | None, progress: bool,
         limit_train: int | None, limit_test: int | None, group: str, threads: int | None,
         nonlinear: bool) -> ExperimentResult:
    epochs = rule[0]
    with stages.step("load"):
        raw = _data.load(source, seed=seed, limit_train=limit_train, limit_test=limit_test)
    h, w = raw.shape
    n = h * w
    name = raw.name
    if rank > n:
        raise ValueError(f"rank must be at most {n} ({h} x {w} pixels), got {rank}")
    G: Permutation | PermutationGroup = image_shift(h, w) if group == "shift-x" else image_group(group, h, w)
    variety = EquivariantVariety(G, rank)
    # talk_model_specs checks that the rank allows the equal-rank model
    specs = talk_model_specs(variety) if group == "shift-x" else general_model_specs(variety)
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

    check_rows = check.reshape(len(check), n)
    elements = shift_elements(h, w) if group == "shift-x" else None   # else the group's generators

    def check_error(predict: Predictor) -> float:
        return equivariance_error(predict, G, check_rows, elements=elements)

    if adam or nonlinear:
        info["adam"] = {"models": list(adam) + (list(NONLINEAR_MODELS) if nonlinear else []), "epochs": epochs,
                        "lr": lr, "batch_size": ADAM_BATCH_SIZE, "dtype": "float32 (evaluated in float64)",
                        "patience": rule[1], "validation_fraction": rule[2]}
    results: dict[tuple[str, str], ModelResult] = {}
    predictors: dict[tuple[str, str], Predictor] = {}
    fitted: dict[str, Any] = {}   # the closed-form estimators, by model name (for the figures)
    best_ranks: tuple[int, ...] | None = None
    labels = variety.labels
    talk = TALK_TEST_MSE if is_talk_variety(variety) else dict.fromkeys(MODEL_NAMES)

    def ranks_of(spec: ModelSpec, chosen: tuple[int, ...] | None) -> dict[str, int]:
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
                    model = EquivariantAutoencoder(G, "best", rank=rank).fit(X)
                else:
                    model = EquivariantAutoencoder(G, spec.ranks).fit(X)
                seconds = time.perf_counter() - start
            with stages.step(f"evaluate {spec.name} (closed form)"):
                chosen = None if spec.ranks is None else tuple(model.ranks_.values())
                if spec.ranks == "best":
                    best_ranks = chosen
                predict = model.predict
                results[spec.name, "closed-form"] = ModelResult(
                    spec.name, "closed-form", ranks_of(spec, chosen), int(model.n_params_),
                    float(model.train_loss_), mse(predict, X_test), seconds,
                    check_error(predict), talk.get(spec.name),
                    rank if chosen is None else weighted_rank(variety, chosen), spec.note)
                predictors[spec.name, "closed-form"] = predict
                fitted[spec.name] = model
    if adam:
        from equilin.experiments import adam as torch_adam  # imports torch: only when Adam trains

        info["adam"].update(torch_adam.Stopping(*rule).describe())
        with torch_adam.torch_threads(threads):
            for spec in specs:
                if spec.name not in adam:
                    continue
                chosen = spec.ranks if isinstance(spec.ranks, tuple) else None
                if spec.ranks == "best":
                    if best_ranks is None:
                        with stages.step("choose the best component (closed form)"):
                            best = EquivariantAutoencoder(G, "best", rank=rank).fit(X)
                            best_ranks = tuple(best.ranks_.values())
                    chosen = best_ranks
                with stages.step(f"train {spec.name} (adam)"):
                    trained = torch_adam.fit(
                        functools.partial(torch_adam.linear_autoencoder, n, rank, G, chosen), X,
                        batch_size=ADAM_BATCH_SIZE, lr=lr, seed=seed, progress=progress,
                        stopping=torch_adam.Stopping(*rule))
                    module, seconds = trained.module, trained.seconds
                with stages.step(f"evaluate {spec.name} (adam)"):
                    predict = torch_adam.predictor(module)
                    results[spec.name, "adam"] = ModelResult(
                        spec.name, "adam", ranks_of(spec, chosen), int(module.n_parameters()), mse(predict, X),
                        mse(predict, X_test), seconds, check_error(predict),
                        talk[spec.name], rank if chosen is None else weighted_rank(variety, chosen),
                        spec.note, epochs=trained.epochs, stop_reason=trained.stop_reason)
                    predictors[spec.name, "adam"] = predict
    order = [(s.name, t) for s in specs for t in TRAININGS if (s.name, t) in results]
    models = [results[k] for k in order]
    verdict: list[str] = []
    if nonlinear:
        if best_ranks is None:
            with stages.step("choose the best component (closed form)"):
                best_ranks = tuple(EquivariantAutoencoder(G, "best", rank=rank).fit(X).ranks_.values())
        rows = nonlinear_rows(variety, dict(zip(labels, best_ranks, strict=True)), X, X_test, check_error, rank,
                              epochs=epochs, patience=rule[1], validation_fraction=rule[2], lr=lr, seed=seed,
                              batch_size=ADAM_BATCH_SIZE, threads=threads, progress=progress, step=stages.step)
        for row, predict in rows:
            models.append(row)
            predictors[row.name, row.training] = predict
        verdict = nonlinear_verdict(models, n, epochs, capped=rule[1] is not None)
    result = ExperimentResult(info, models, stages.seconds, verdict=verdict)
    if out_dir is not None:
        _write_outputs(stages, result, predictors, fitted, variety, specs, ds.x_test[:FIGURE_DIGITS], out_dir,
                       progress)
    return result


def _write_outputs(stages: _Stages, result: ExperimentResult, predictors: dict[tuple[str, str], Predictor],
                   fitted: dict[str, Any], variety: EquivariantVariety, specs: list[ModelSpec],
                   digits: NDArray[Any], out_dir: Path, progress: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with stages.step("figures"):
        try:
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
            h, w = result.data["shape"]
            try:  # spatial frequencies along the rows label the blocks of the horizontal shifts
                ticks: list[str] | None = [str(b.frequency(w)) for b in variety.blocks]
            except ValueError:
                ticks = None
            cycle = w if ticks is not None else None
            if main == "equivariant":
                eq = next(s for s in specs if s.name == "equivariant")
                assert isinstance(eq.ranks, tuple)
                component = EquivariantVariety.for_ranks(variety.group, eq.ranks).component(eq.ranks)
            else:
                best = next(m for m in result.models if m.name == "best")
                component = variety.component(tuple(best.ranks.values()))
            path = out_dir / "mnist_code_sharing.png"
            nonzero = " ".join(f"{k}={v}" for k, v in component.labelled_ranks.items() if v)
            plots.code_sharing(component, (h, w), path, cycle_length=cycle,
                               title=f"{main} model ({nonzero}): tied weights of code units in pixel "
                               "space\none colour = one shared weight inside an orbit (an image row for the "
                               "shifts), dot = negated, grey = 0")
            result.files["code_sharing"] = str(path)
            model, dense = fitted.get(main), fitted.get("dense")   # the closed-form fits (absent: Adam only)
            if isinstance(model, EquivariantAutoencoder):
                path = out_dir / "mnist_filters.png"
                plots.encoder_filters(model, (h, w), path, cycle_length=cycle,
                                      dense=dense if isinstance(dense, DenseAutoencoder) else None,
                                      title=f"encoder rows in pixel space: {main} model (closed form) by "
                                      "block, dense model below (red > 0 > blue)")
                result.files["filters"] = str(path)
                ranks = {m.name: list(m.ranks.values()) for m in result.models
                         if m.training == "closed-form" and list(m.ranks) == list(variety.labels)}
                path = out_dir / "mnist_spectrum.png"
                plots.spectrum(variety.labels, plots.block_energy(model), ranks, path, ticks=ticks,
                               xlabel="spatial frequency along the rows" if ticks else "block",
                               title=f"{result.data['name']}: each block's share of the training data's sum of "
                               f"squares (top)\nand the rank each model gives it (bottom), r = {result.data['rank']}")
                result.files["spectrum"] = str(path)
        except ImportError as exc:
            if progress:
                print(f"equilin: figures skipped ({exc})", file=sys.stderr)
    with stages.step("json"):
        path = out_dir / "mnist.json"
        result.files["json"] = str(path)
        path.write_text(result.to_json() + "\n")
