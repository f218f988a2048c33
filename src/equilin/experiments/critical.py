"""Critical points of training (``equilin critical``): where gradient descent on small linear networks ends.

:func:`run_critical` trains small linear networks from many random initializations, on fresh random data
each time, and classifies the end points with :func:`equilin.critical.classify` (pure / spurious,
Trager-Kohn-Bruna 2020). The default cases (:func:`critical_cases`): (a) an LCN with all strides > 1,
(b) a stride-one LCN, (c) a fully-connected network, each with ``N = 1 + sum_i d_i s_i`` samples
(Kohn-Montufar-Shahverdi-Trager 2024; ``s_i = 1`` for dense layers). :func:`deep_critical_cases` are
deep equivariant linear networks (``equilin critical --deep``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.critical import OUTCOMES, Parameterization, classify
from equilin.deep import DeepLinearNetwork, GSet
from equilin.experiments.threads import limit_threads
from equilin.groups import Permutation, PermutationGroup, image_group
from equilin.lcn import LCN
from equilin.validation import check_int

__all__ = [
    "CRITICAL_SEARCHES",
    "CriticalCase",
    "CriticalExperimentResult",
    "critical_cases",
    "deep_critical_cases",
    "run_critical",
]

Case = tuple[str, str, Parameterization, int]
"""``(name, label, parameterization, N)``: one network of :func:`run_critical` and its sample count."""

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
        s = self.settings
        how = ("L-BFGS on the loss (training)" if s["search"] == "train"
               else "least squares on grad L = 0 with the exact Hessian (finds saddles too)")
        lines = [(f"Critical points reached from {s['n_init']} random initializations per network (fresh "
                  f"Gaussian data X, Y and parameters each time, seed {s['seed']}); {how}, at most "
                  f"{s['max_iter']} iterations; tol {s['tol']:g}")]
        header = ("case", "network", "params", "dim", "N") + OUTCOMES
        rows: list[tuple[str, ...]] = [header]
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


def critical_cases() -> list[Case]:
    """The default networks of :func:`run_critical`: ``(name, label, parameterization, N)`` for (a) the
    LCN ``d_0 = 15``, filters ``(3, 3)``, strides ``(2, 2)``; (b) the stride-one LCN ``d_0 = 6``, filters
    ``(2, 2)`` (not filling: its function space is the quadratics with real roots); (c) the fully-connected
    ``5 -> 2 -> 5``. ``N = 1 + sum_i d_i s_i`` (with ``s_i = 1`` for dense layers).

    Examples
    --------
    >>> [(name, P.n_params, P.dim, N) for name, _, P, N in critical_cases()]
    [('(a)', 6, 5, 21), ('(b)', 4, 3, 10), ('(c)', 20, 16, 8)]
    """
    a, b = LCN(15, (3, 3), (2, 2)), LCN(6, (2, 2), (1, 1))
    widths = (5, 2, 5)
    return [("(a)", "LCN, strides > 1", Parameterization.lcn(a), a.sample_count()),
            ("(b)", "LCN, stride one", Parameterization.lcn(b), b.sample_count()),
            ("(c)", "fully-connected", Parameterization.dense(widths), 1 + sum(widths[1:]))]


def deep_critical_cases() -> list[Case]:
    """Deep equivariant linear networks for :func:`run_critical` (``equilin critical --deep``): the
    talk's 3 x 3 rotation ``sigma = (1 2 3 4)(5 6 7 8)`` and ``d4`` on 3 x 3 images, through permuted
    hidden layers at depths 2, 3 and 4, each ending in a narrow G-set (``G/<sigma^2>``, 2 units, or
    ``d4`` over a reflection, 4 units); ``N = 2 n`` samples.

    Examples
    --------
    >>> [(name, P.n_params, P.dim) for name, _, P, _ in deep_critical_cases()]
    [('(d1)', 10, 8), ('(d2)', 31, 8), ('(d3)', 28, 8), ('(d4)', 6, 5), ('(d5)', 14, 5), ('(d6)', 24, 5)]
    """
    s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    d4 = image_group("d4", 3, 3)
    narrow_s, narrow_d4 = GSet.cosets(s, [s ** 2]), GSet.cosets(d4, [d4.generators[0]])
    nets: list[tuple[str, str, Permutation | PermutationGroup, list[GSet]]] = [
        ("(d1)", "rotation, depth 2", s, [narrow_s]),
        ("(d2)", "rotation, depth 3", s, [GSet.of(s), narrow_s]),
        ("(d3)", "rotation, depth 4", s, [GSet.cosets(s, []), GSet.of(s), narrow_s]),
        ("(d4)", "d4, depth 2", d4, [narrow_d4]),
        ("(d5)", "d4, depth 3", d4, [GSet.regular(d4), narrow_d4]),
        ("(d6)", "d4, depth 4", d4, [GSet.regular(d4), GSet.of(d4), narrow_d4])]
    return [(name, label, Parameterization.deep(DeepLinearNetwork(G, hidden)), 2 * G.n)
            for name, label, G, hidden in nets]


def _critical_trial(P: Parameterization, n_samples: int, seed: list[int], search: str, max_iter: int,
                    tol: float) -> dict[str, Any]:
    from scipy.optimize import least_squares, minimize  # not at the top: it takes 0.4 s to import

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
                 tol: float = 1e-6, cases: Sequence[Case] | None = None,
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
    with limit_threads(threads):
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
