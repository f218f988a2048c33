"""Closed-form training: the exact global optimum of every linear (auto)encoder (``docs/math.md``
section 5), in numpy, without torch.

The squared-error loss ``||X M^T - Y||_F^2`` (samples are ROWS of ``X`` and ``Y``; ``M`` is the
``m x n`` function matrix) is minimized over the function space of the network:

* :class:`DenseAutoencoder` (:mod:`~equilin.models.closed_form.dense`): ``rank M <= r`` -- reduced-rank
  regression; for ``Y = X`` the Eckart-Young / PCA solution.
* :class:`InvariantAutoencoder` (:mod:`~equilin.models.closed_form.invariant`): ``M = N E_P`` is invariant
  under ``G`` -- reduced-rank regression on the orbit-summed inputs ``X E_P^T``.
* :class:`EquivariantAutoencoder` (:mod:`~equilin.models.closed_form.equivariant`): ``M`` commutes with the
  group; in the basis ``Q_sigma`` the loss splits into one reduced-rank problem per block, and
  ``ranks="best"`` chooses the component of ``E^G_r`` from the data.

:mod:`~equilin.models.closed_form.base` holds the estimator base (parameters, input checks, ``predict``,
``loss``, ``score``, ``fit = reset + partial_fit``, :data:`FUNCTION_MATRIX_LIMIT`);
:mod:`~equilin.models.closed_form.statistics` the Gram statistics accumulated chunk by chunk (numpy or
``dask.array``, :func:`is_dask_array`) and the reduced-rank regression solved from them.
"""

from equilin.models.closed_form.base import FUNCTION_MATRIX_LIMIT
from equilin.models.closed_form.dense import DenseAutoencoder
from equilin.models.closed_form.equivariant import EquivariantAutoencoder
from equilin.models.closed_form.invariant import InvariantAutoencoder
from equilin.models.closed_form.statistics import is_dask_array

__all__ = [
    "FUNCTION_MATRIX_LIMIT",
    "DenseAutoencoder",
    "EquivariantAutoencoder",
    "InvariantAutoencoder",
    "is_dask_array",
]
