"""Where nonlinearity pays: the ReLU rows of the MNIST experiment and their verdict.

``run_mnist(..., nonlinear=True)`` (``equilin mnist --nonlinear``, groups :data:`NONLINEAR_GROUPS`) adds
the three models of :data:`NONLINEAR_MODELS` to its table, trained with Adam on the same data
(:func:`nonlinear_rows`), and states after the table, from that run's numbers, where nonlinearity pays
and where it does not (:func:`nonlinear_verdict`):

``relu-best``
    ``R^n -> H -> R^n`` with permuted hidden neurons, ReLU and orbit-constant biases
    (:class:`equilin.models.nn.DeepEquivariantNetwork`), ``H`` the smallest G-set that carries the
    best component (:func:`equilin.deep.smallest_gset`): the linear network through ``H`` realizes the
    ``best`` model, so its parameters are of the order of the linear equivariant model's;
``relu-wide``
    the same with ``H`` = ``K`` channels of the input action (:meth:`equilin.deep.GSet.channels`), ``K``
    the count whose weights come closest to the dense model's ``2 n r`` parameters (:func:`wide_channels`);
    ``K n >= n`` hidden units: no bottleneck;
``relu-dense``
    ``n -> r -> n`` with ReLU and biases, not equivariant: the dense nonlinear autoencoder of the same
    bottleneck width as the linear models.

Training is :mod:`equilin.experiments.adam` (imported, with torch, when :func:`nonlinear_rows` runs):
float32, Adam, the experiment's epochs, learning rate, batch and seed; evaluated in float64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from numpy.typing import NDArray

from equilin.deep import DeepLinearNetwork, GSet, smallest_gset
from equilin.equivariance import EquivariantVariety
from equilin.experiments.evaluation import Predictor, mse
from equilin.experiments.results import ModelResult

__all__ = ["NONLINEAR_GROUPS", "NONLINEAR_MODELS", "nonlinear_rows", "nonlinear_verdict", "wide_channels"]

NONLINEAR_GROUPS: tuple[str, ...] = ("shift-x", "d4")
"""The groups of :data:`~equilin.experiments.GROUPS` whose experiment has the nonlinear rows."""

NONLINEAR_MODELS: tuple[str, ...] = ("relu-best", "relu-wide", "relu-dense")
"""The nonlinear rows, in table order (see the module docstring)."""

TIE = 0.01
"""Relative difference of test MSE below which the verdict calls two models even."""

Step = Callable[[str], AbstractContextManager[Any]]
"""A progress stage: ``with step("train relu-best (adam)"): ...``."""


def wide_channels(variety: EquivariantVariety, rank: int) -> int:
    """Channels ``K`` of the ``relu-wide`` layer: the ``K >= 1`` whose weights ``K x`` (those of
    ``R^n -> R^n -> R^n``, :attr:`equilin.deep.DeepLinearNetwork.n_params`) come closest to the dense
    autoencoder's ``2 n rank``.

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> wide_channels(EquivariantVariety(image_shift(28, 28), 99), 99)  # 155,232 / 43,904 = 3.5
    4
    """
    G = variety.group
    per = DeepLinearNetwork(G, [GSet.channels(G, 1)]).n_params
    return max(1, round(2 * G.n * rank / per))


def nonlinear_rows(variety: EquivariantVariety, best: dict[str, int], X: NDArray[Any], X_test: NDArray[Any],
                   check_error: Callable[[Predictor], float], rank: int, *, epochs: int, lr: float, seed: int,
                   batch_size: int, patience: int | None = None, validation_fraction: float = 0.1,
                   threads: int | None = None, progress: bool = False,
                   step: Step | None = None) -> list[tuple[ModelResult, Predictor]]:
    """Train and evaluate the rows of :data:`NONLINEAR_MODELS` on ``X``.

    Parameters
    ----------
    variety : EquivariantVariety
        The experiment's group (``variety.group``) on the ``n`` pixels.
    best : dict
        The best component's block ranks ``{label: rank}`` (the ``best`` row's): ``relu-best``'s hidden
        layer is the smallest G-set that carries them.
    X, X_test : ndarray
        Training and test images as ``(N, n)`` rows.
    check_error : callable
        The experiment's equivariance error of a predictor.
    rank : int
        The bottleneck ``r``: the hidden width of ``relu-dense``; ``relu-wide`` is sized by ``2 n r``.
    epochs, lr, seed, batch_size : int, float, int, int
        Adam's settings (every module built under ``torch.manual_seed(seed)``).
    patience, validation_fraction : int or None, float
        The experiment's stopping rule (:class:`equilin.experiments.adam.Stopping`): ``patience=None``
        trains exactly ``epochs`` epochs; otherwise ``epochs`` is a cap and training stops when the held-out
        ``validation_fraction`` of the images stops improving.
    threads : int, optional
        At most this many PyTorch threads while training and evaluating (restored afterwards).
    progress : bool
        Adam's progress bars.
    step : callable, optional
        Wraps each training and each evaluation as a progress stage.

    Returns
    -------
    list of (ModelResult, predictor)
        In the order of :data:`NONLINEAR_MODELS`; ``training`` is ``"adam"``, ``width`` the hidden units,
        ``weighted_rank`` None, ``ranks`` empty.
    """
    from equilin.experiments import adam as torch_adam  # imports torch: only when the rows are trained

    stage: Step = step if step is not None else (lambda name: nullcontext())
    G = variety.group
    n = G.n
    with stage("relu-best: the smallest G-set carrying the best component"):
        small, orbits = smallest_gset(variety, tuple(best.values()))
    K = wide_channels(variety, rank)
    carried = " ".join(f"{label}={r}" for label, r in best.items() if r)
    orbit_text = ", ".join(f"{count} of size {size}" for size, count in sorted(orbits.items()))
    builds: list[tuple[str, Callable[[], Any], int, str, str]] = [
        ("relu-best", functools.partial(torch_adam.nonlinear_equivariant, G, small), small.h,
         f"H: {small.h} units, orbits {orbit_text}",
         f"permuted hidden neurons H, ReLU, orbit-constant biases; H is the smallest G-set carrying best's "
         f"ranks ({carried})"),
        ("relu-wide", functools.partial(torch_adam.nonlinear_equivariant, G, GSet.channels(G, K)), K * n,
         f"H: {K} channel{'s' if K > 1 else ''} of the input ({K * n:,} units)",
         f"permuted hidden neurons, ReLU, orbit-constant biases; H = {K} cop{'ies' if K > 1 else 'y'} of the "
         f"input action, whose weights come closest to dense's 2 n r = {2 * n * rank:,}: no bottleneck"),
        ("relu-dense", functools.partial(torch_adam.DenseNonlinearAutoencoder, n, rank), rank,
         f"{rank} hidden units",
         f"n -> {rank} -> n with ReLU and biases, not equivariant"),
    ]
    rows: list[tuple[ModelResult, Predictor]] = []
    with torch_adam.torch_threads(threads):
        for name, build, width, hidden, note in builds:
            with stage(f"train {name} (adam)"):
                trained = torch_adam.fit(build, X, batch_size=batch_size, lr=lr, seed=seed, progress=progress,
                                         stopping=torch_adam.Stopping(epochs, patience, validation_fraction))
                module, seconds = trained.module, trained.seconds
            with stage(f"evaluate {name} (adam)"):
                predict = torch_adam.predictor(module)
                row = ModelResult(name, "adam", {}, int(module.n_parameters()), mse(predict, X),
                                  mse(predict, X_test), seconds, check_error(predict), None, None, note,
                                  width=width, hidden=hidden, epochs=trained.epochs, stop_reason=trained.stop_reason)
            rows.append((row, predict))
    return rows


def _linear(models: Sequence[ModelResult], name: str) -> ModelResult | None:
    """The linear row ``name``: closed form when the run has it, else Adam, else None."""
    for training in ("closed-form", "adam"):
        for m in models:
            if m.name == name and m.training == training:
                return m
    return None


def _outcome(relu: ModelResult, linear: ModelResult) -> tuple[int, str]:
    """``(-1, "pays ...")``, ``(0, "is even ...")`` or ``(1, "does not pay ...")`` from the test MSEs."""
    ratio = relu.test_mse / linear.test_mse
    if abs(ratio - 1) < TIE:
        return 0, f"nonlinearity is even (test MSE within {TIE:.0%} of the linear one)"
    if ratio < 1:
        return -1, f"nonlinearity pays (test MSE {1 - ratio:.0%} below {linear.name}'s)"
    return 1, f"nonlinearity does not pay at this training budget (test MSE {ratio:.2f}x {linear.name}'s)"


def _describe(m: ModelResult, pad: int) -> str:
    """``"    relu-best  test MSE 0.01100 (adam: 100 params, 28 hidden units, 1.0 s)"``."""
    width = f"{m.width:,} hidden units" if m.width is not None else f"rank {m.weighted_rank}"
    return (f"    {m.name.ljust(pad)}  test MSE {m.test_mse:.5f} ({m.training}: {m.params:,} params, {width}, "
            f"{m.fit_seconds:.1f} s)")


def nonlinear_verdict(models: Sequence[ModelResult], n: int, epochs: int, capped: bool = False) -> list[str]:
    """Where nonlinearity pays, in words, from the test MSEs of ``models`` (a run's rows; ``n`` pixels,
    ``epochs`` of Adam, or at most ``epochs`` when ``capped``: early stopping); no lines without ReLU rows.
    One paragraph per comparison whose rows are present:

    * with the bottleneck, equivariant: ``relu-best`` against the linear ``best`` (closed form when the
      run has it, else Adam);
    * with the bottleneck, dense: ``relu-dense`` against the linear ``dense``;
    * without a bottleneck: ``relu-wide`` against the linear ``dense`` (comparable parameters) and ``best``;
    * equivariance: the largest error of the equivariant ReLU rows and that of ``relu-dense``.

    A ReLU network pays when its test MSE is lower than the linear one's by at least :data:`TIE`
    (relative), does not pay when it is higher by as much, and is even in between.

    Examples
    --------
    >>> row = lambda name, mse, width=None: ModelResult(name, "closed-form" if width is None else "adam",
    ...     {}, 100, mse, mse, 1.0, 0.0, None, None if width else 10, width=width)
    >>> for line in nonlinear_verdict([row("best", 0.008), row("relu-best", 0.011, 28)], 64, 5):
    ...     print(line)
    Where nonlinearity pays, from this run's test MSE (ReLU rows: Adam, 5 epochs):
      with the bottleneck, equivariant: nonlinearity does not pay at this training budget (test MSE 1.38x best's)
        relu-best  test MSE 0.01100 (adam: 100 params, 28 hidden units, 1.0 s)
        best       test MSE 0.00800 (closed-form: 100 params, rank 10, 1.0 s)
        with biases that keep its units active, the ReLU network computes every linear map through its hidden
        layer on bounded data (the linear best's among them): the gap is training, not capacity.
      equivariance: relu-best equivariant to 0.0e+00 (permuted neurons, pointwise ReLU).
    >>> nonlinear_verdict([row("best", 0.008), row("relu-best", 0.007, 28)], 64, 5)[1]
    "  with the bottleneck, equivariant: nonlinearity pays (test MSE 12% below best's)"
    """
    relu = {m.name: m for m in models if m.name in NONLINEAR_MODELS}
    if not relu:
        return []
    budget = f"{'at most ' if capped else ''}{epochs} epoch{'s' if epochs != 1 else ''}"
    lines = [f"Where nonlinearity pays, from this run's test MSE (ReLU rows: Adam, {budget}):"]
    pad = max(len(m.name) for m in models)
    for name, linear_name, label in (("relu-best", "best", "with the bottleneck, equivariant"),
                                     ("relu-dense", "dense", "with the bottleneck, dense")):
        linear = _linear(models, linear_name)
        if name not in relu or linear is None:
            continue
        sign, outcome = _outcome(relu[name], linear)
        lines += [f"  {label}: {outcome}", _describe(relu[name], pad), _describe(linear, pad)]
        if sign > 0:
            lines += ["    with biases that keep its units active, the ReLU network computes every linear map "
                      "through its hidden",
                      f"    layer on bounded data (the linear {linear_name}'s among them): the gap is training, "
                      "not capacity."]
    wide, dense, best = relu.get("relu-wide"), _linear(models, "dense"), _linear(models, "best")
    if wide is not None and dense is not None:
        sign, outcome = _outcome(wide, dense)
        lines += [f"  without a bottleneck: {outcome}, at {wide.params / dense.params:.2f}x its parameters",
                  _describe(wide, pad), _describe(dense, pad)]
        if best is not None:
            lines.append(_describe(best, pad))
        units = wide.width if wide.width is not None else 0
        if units >= n:
            outcome = "its lower MSE is not compression" if sign < 0 else "it does not compress"
            lines.append(f"    {'but' if sign < 0 else 'and'} relu-wide has no bottleneck ({units:,} hidden units "
                         f"for {n:,} pixels): {outcome}.")
    equivariant = [m for m in relu.values() if m.name != "relu-dense"]
    if equivariant:
        text = (f"  equivariance: {' and '.join(m.name for m in equivariant)} equivariant to "
                f"{max(m.equivariance_error for m in equivariant):.1e} (permuted neurons, pointwise ReLU)")
        if "relu-dense" in relu:
            text += f"; relu-dense {relu['relu-dense'].equivariance_error:.1e}: not equivariant"
        lines.append(text + ".")
    return lines
