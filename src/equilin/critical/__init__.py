"""equilin.critical: pure and spurious critical points of the training loss of a linear network.

The loss factors as ``L = l o F`` (parameterization ``F``, squared error ``l``); a critical point is pure
when ``F(theta)`` is a smooth point of the function space at which ``grad l`` is normal to it, spurious
otherwise (Trager, Kohn, Bruna, ICLR 2020; the rules are in ``docs/critical.md``).

Modules
-------
``parameterization``
    :class:`Parameterization` (dense, invariant, equivariant, deep equivariant and LCN families: the map
    ``F``, its Jacobian, gradients and Hessian-vector products of ``L``), :func:`squared_loss`,
    :data:`KINDS`.
``smoothness``
    Smooth points of the function spaces and the tangential part of the gradient there;
    :func:`stride_one_interior` (interior points of a stride-one LCN's function space).
``classify``
    :func:`classify` and its :class:`CriticalPointReport` (:data:`OUTCOMES`), and
    :func:`kept_singular_values` (which Eckart-Young critical point a matrix is).
"""

from equilin.critical.classify import OUTCOMES, CriticalPointReport, classify, kept_singular_values
from equilin.critical.parameterization import KINDS, Parameterization, squared_loss
from equilin.critical.smoothness import stride_one_interior

__all__ = [
    "CriticalPointReport",
    "KINDS",
    "OUTCOMES",
    "Parameterization",
    "classify",
    "kept_singular_values",
    "squared_loss",
    "stride_one_interior",
]
