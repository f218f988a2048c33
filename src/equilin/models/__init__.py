"""Models that realize the function spaces: closed-form estimators (numpy), torch modules, and
hard-wired equivariance against data augmentation.

* :mod:`equilin.models.closed_form` -- the exact global optimum of the dense, invariant and equivariant
  linear autoencoders (:class:`DenseAutoencoder`, :class:`InvariantAutoencoder`,
  :class:`EquivariantAutoencoder`: scikit-learn transformers) and reduced-rank regressors
  (:class:`DenseRegressor`, :class:`InvariantRegressor`, :class:`EquivariantRegressor`), scikit-learn
  estimators, from Gram statistics accumulated chunk by chunk.
* :mod:`equilin.models.nn` -- the same function spaces as PyTorch modules, trained with Adam or copied
  from the closed forms; imported on demand (it needs torch).
* :mod:`equilin.models.augmentation` -- the dense optimum on data augmented by the whole group against
  the hard-wired equivariant optimum (:func:`augment`, :func:`augmented_gram`, :func:`compare`).
* :mod:`equilin.models.files` -- :func:`load`, reading any estimator or module from a file.

Importing this package does not import torch.
"""

from equilin.models.augmentation import augment, augmented_gram, compare
from equilin.models.closed_form import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    EquivariantRegressor,
    InvariantAutoencoder,
    InvariantRegressor,
)
from equilin.models.files import load

__all__ = [
    "DenseAutoencoder",
    "DenseRegressor",
    "EquivariantAutoencoder",
    "EquivariantRegressor",
    "InvariantAutoencoder",
    "InvariantRegressor",
    "augment",
    "augmented_gram",
    "compare",
    "load",
]
