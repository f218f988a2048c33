"""equilin.critical."""

from equilin.critical.points import OUTCOMES, Parameterization, classify, kept_singular_values, squared_loss, stride_one_interior

__all__ = [
    "OUTCOMES",
    "Parameterization",
    "classify",
    "kept_singular_values",
    "squared_loss",
    "stride_one_interior",
]
