"""Pure and spurious critical points of the training loss of a linear network: :func:`classify`.

Following Trager, Kohn, Bruna (*Pure and spurious critical points: a geometric study of linear
networks*, ICLR 2020), a critical point ``theta`` of ``L = l o F`` (:class:`Parameterization`) is
**pure** when ``F(theta)`` is a critical point of ``l`` restricted to the function space
``M_F = F(parameters)``, i.e. a smooth point of ``M_F`` at which ``grad l`` is orthogonal to the tangent
space, and **spurious** otherwise (it is then created by the parameterization). The rules, with their
references, are in ``docs/critical.md``; in short:

* *critical*: ``||grad L(theta)|| <= tol * ||grad l(0)||`` (``grad l(0) = -2 Y^T X / N``, the data's scale);
* *regular*: the Jacobian of ``F`` at ``theta`` has rank ``dim M_F`` (the generic rank; exact formulas
  per family, checked against random Jacobians in the tests);
* *zero*: ``||F(theta)|| <= tol * ||M_ls||`` with ``M_ls`` the unconstrained least-squares map;
* *smooth*: per family, exactly for determinantal, invariant and equivariant function spaces (rank
  conditions), and for LCNs as described in ``docs/critical.md`` (``None`` where undecided; the tests
  are in ``equilin.critical.smoothness``);
* *pure*: smooth and the tangential part of ``grad l(F(theta))`` vanishes (up to ``tol``).

For determinantal function spaces :func:`classify` also names the critical point of the distance function:
with ``S = (X^T X)^{1/2}``, ``l(M) = ||M S - U'||^2 / N + const`` for ``U' = Y^T X S^{-1}``, and every
critical point keeps a set of singular triples of ``U'`` (Eckart-Young), reported as 0-based indices
(0 = largest) by :func:`kept_singular_values`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from equilin.critical.parameterization import Parameterization, _check_data, squared_loss
from equilin.critical.smoothness import _smooth_and_tangent
from equilin.geometry import InvariantVariety

__all__ = ["OUTCOMES", "CriticalPointReport", "classify", "kept_singular_values"]

OUTCOMES = ("zero", "pure regular", "pure non-regular", "spurious", "undecided", "not converged")
"""The outcome labels of :attr:`CriticalPointReport.outcome`, in report order."""


@dataclass
class CriticalPointReport:
    """What :func:`classify` found at ``theta`` (see the module docstring and ``docs/critical.md``)."""

    parameterization: str
    loss: float
    gradient_norm: float
    gradient_scale: float
    is_critical: bool
    jacobian_rank: int
    dim: int
    is_regular: bool
    is_zero: bool
    is_smooth: bool | None
    tangent_gradient_norm: float | None
    pure: bool | None
    kept: tuple[int, ...] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """One of :data:`OUTCOMES`: ``"not converged"`` (not critical), ``"zero"`` (``F(theta) = 0``), then
        ``"pure regular"``, ``"pure non-regular"``, ``"spurious"`` or ``"undecided"``."""
        if not self.is_critical:
            return "not converged"
        if self.is_zero:
            return "zero"
        if self.pure is None:
            return "undecided"
        if not self.pure:
            return "spurious"
        return "pure regular" if self.is_regular else "pure non-regular"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kept"] = None if self.kept is None else list(self.kept)
        out["outcome"] = self.outcome
        return out


def kept_singular_values(M: ArrayLike, X: ArrayLike, Y: ArrayLike, tol: float = 1e-6) -> tuple[int, ...] | None:
    """Which critical point of the distance function ``M`` is: the indices (0 = largest) of the singular
    triples of ``U' = Y^T X S^{-1}`` (``S = (X^T X)^{1/2}``) kept by ``M S``; ``None`` when ``X^T X`` is
    singular or ``M S`` is no such partial sum (``M`` is not critical on any ``M_e``).

    Examples
    --------
    >>> X, Y = np.eye(3), np.diag([3.0, 2.0, 1.0])
    >>> kept_singular_values(np.diag([3.0, 0.0, 1.0]), X, Y)
    (0, 2)
    """
    M_ = np.asarray(M, dtype=np.float64)
    X_, Y_ = _check_data(X, Y, M_.shape[1], M_.shape[0])
    evals, evecs = np.linalg.eigh(X_.T @ X_)
    if evals.min() <= 1e-12 * max(evals.max(), np.finfo(float).tiny):
        return None
    S = (evecs * np.sqrt(evals)) @ evecs.T
    S_inv = (evecs / np.sqrt(evals)) @ evecs.T
    u, s, vh = np.linalg.svd(Y_.T @ X_ @ S_inv, full_matrices=False)
    Mp = M_ @ S
    coefficients = np.einsum("ai,ab,ib->i", u, Mp, vh)
    ref = max(float(s[0]), np.finfo(float).tiny)
    kept = tuple(int(i) for i in np.nonzero(np.abs(coefficients - s) <= tol * ref)[0] if s[i] > tol * ref)
    rebuilt = (u[:, list(kept)] * s[list(kept)]) @ vh[list(kept)]
    if np.linalg.norm(Mp - rebuilt) > tol * ref * math.sqrt(len(s)):
        return None
    return kept


def classify(parameterization: Parameterization, theta: ArrayLike, X: ArrayLike, Y: ArrayLike,
             tol: float = 1e-6, rank_tol: float = 1e-6) -> CriticalPointReport:
    """Classify ``theta`` for the loss ``||X F(theta)^T - Y||^2 / N`` (rows are samples).

    Parameters
    ----------
    parameterization : Parameterization
    theta : array_like
        Flat parameters (layer 1 first), e.g. after training.
    X, Y : array_like
        Samples (``N x n``) and targets (``N x m``).
    tol : float
        Relative tolerance of the gradient tests (critical, tangential gradient) and of ``F(theta) = 0``.
    rank_tol : float
        Relative tolerance of the numerical ranks (Jacobian, and the points' ranks).

    Returns
    -------
    CriticalPointReport

    Examples
    --------
    The Eckart-Young optimum of a 2-layer network is pure and regular:

    >>> P = Parameterization.dense((3, 1, 3))
    >>> X, Y = np.eye(3), np.diag([3.0, 2.0, 1.0])
    >>> theta = np.array([1.0, 0, 0, 3.0, 0, 0])          # encoder e_1^T, decoder 3 e_1
    >>> report = classify(P, theta, X, Y)
    >>> report.outcome, report.kept, report.is_regular
    ('pure regular', (0,), True)
    """
    if not isinstance(parameterization, Parameterization):
        raise ValueError(f"parameterization must be a Parameterization, got {type(parameterization).__name__}")
    for name, value in (("tol", tol), ("rank_tol", rank_tol)):
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1):
            raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    P = parameterization
    th = P._check_theta(theta)
    m, n = P.shape
    X_, Y_ = _check_data(X, Y, n, m)
    M = P.function(th)
    value, G = squared_loss(M, X_, Y_)
    grad = P.pullback(th, G)
    N = len(X_)
    g_scale = max(2.0 * float(np.linalg.norm(Y_.T @ X_)) / N, np.finfo(float).tiny)
    M_ls = np.linalg.lstsq(X_, Y_, rcond=None)[0].T
    m_scale = max(float(np.linalg.norm(M_ls)), np.finfo(float).tiny)
    J = P.jacobian(th)
    s = np.linalg.svd(J, compute_uv=False)
    jac_rank = int((s > rank_tol * max(float(s[0]) if s.size else 0.0, np.finfo(float).tiny)).sum())
    report = CriticalPointReport(
        parameterization=P.description, loss=value, gradient_norm=float(np.linalg.norm(grad)),
        gradient_scale=g_scale, is_critical=bool(np.linalg.norm(grad) <= tol * g_scale),
        jacobian_rank=jac_rank, dim=P.dim, is_regular=jac_rank == P.dim,
        is_zero=bool(np.linalg.norm(M) <= tol * m_scale), is_smooth=None, tangent_gradient_norm=None, pure=None)
    smooth, tangent = _smooth_and_tangent(P.kind, P.space, th, M, G, J, is_zero=report.is_zero,
                                          is_regular=report.is_regular, notes=report.notes, m_scale=m_scale,
                                          rtol=rank_tol)
    report.is_smooth, report.tangent_gradient_norm = smooth, tangent
    if smooth is False:
        report.pure = False
    elif smooth and tangent is not None:
        report.pure = bool(tangent <= tol * g_scale)
    if P.kind == "dense":
        report.kept = kept_singular_values(M, X_, Y_, tol=max(tol, 1e-6))
    elif P.kind == "invariant":
        space: InvariantVariety = P.space
        report.kept = kept_singular_values(space.psi(M, tol=1e-6),
                                           space.orbit_sums(X_), Y_, tol=max(tol, 1e-6))
    return report

