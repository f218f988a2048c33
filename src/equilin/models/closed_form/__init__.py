"""Closed-form training: the exact global optimum of every linear (auto)encoder (``docs/math.md``
section 5), in numpy, without torch, as scikit-learn estimators.

The squared-error loss ``||X M^T - Y||_F^2`` (samples are ROWS of ``X`` and ``Y``; ``M`` is the
``m x n`` function matrix) is minimized over the function space of the network. Each space comes as an
autoencoder (a scikit-learn transformer, ``Y = X``; ``fit(X, y=None)`` ignores ``y``) and as a
reduced-rank regressor (``fit(X, y)``, ``score`` = ``R^2``):

* :class:`DenseAutoencoder`, :class:`DenseRegressor` (:mod:`~equilin.models.closed_form.dense`):
  ``rank M <= r`` -- the Eckart-Young / PCA solution, reduced-rank regression.
* :class:`InvariantAutoencoder`, :class:`InvariantRegressor` (:mod:`~equilin.models.closed_form.invariant`):
  ``M = N E_P`` is invariant under ``G`` -- reduced-rank regression on the orbit-summed inputs ``X E_P^T``.
* :class:`EquivariantAutoencoder`, :class:`EquivariantRegressor`
  (:mod:`~equilin.models.closed_form.equivariant`): ``M`` commutes with the group; in the basis ``Q_sigma``
  the loss splits into one reduced-rank problem per block, and ``ranks="best"`` chooses the component of
  ``E^G_r`` from the data.

:mod:`~equilin.models.closed_form.base` holds the estimator base (input checks, ``predict``, ``loss``,
``fit = reset + partial_fit``, the autoencoder and regressor roles, :data:`FUNCTION_MATRIX_LIMIT`);
:mod:`~equilin.models.closed_form.statistics` the Gram statistics accumulated chunk by chunk (numpy,
``scipy.sparse`` or ``dask.array``, :func:`is_dask_array`) and the reduced-rank regression solved from them.

Examples
--------
>>> import numpy as np
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.linear_model import LogisticRegression
>>> rng = np.random.default_rng(0)
>>> X, labels = rng.standard_normal((60, 8)), rng.integers(0, 2, 60)
>>> pipe = make_pipeline(DenseAutoencoder(rank=3), LogisticRegression()).fit(X, labels)
>>> pipe.predict(X[:4]).shape
(4,)
"""

from equilin.models.closed_form.base import FUNCTION_MATRIX_LIMIT
from equilin.models.closed_form.dense import DenseAutoencoder, DenseRegressor
from equilin.models.closed_form.equivariant import EquivariantAutoencoder, EquivariantRegressor
from equilin.models.closed_form.invariant import InvariantAutoencoder, InvariantRegressor
from equilin.models.closed_form.statistics import is_dask_array

__all__ = [
    "FUNCTION_MATRIX_LIMIT",
    "DenseAutoencoder",
    "DenseRegressor",
    "EquivariantAutoencoder",
    "EquivariantRegressor",
    "InvariantAutoencoder",
    "InvariantRegressor",
    "is_dask_array",
]
