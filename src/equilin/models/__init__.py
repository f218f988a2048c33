"""Models that realize the function spaces: closed-form estimators (numpy), torch modules
(:mod:`equilin.models.nn`, imported on demand), hard-wiring against data augmentation.

Importing this package does not import torch.
"""

from equilin.models.augmentation import augment, augmented_gram, compare
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.models.files import load

__all__ = [
    "DenseAutoencoder",
    "EquivariantAutoencoder",
    "InvariantAutoencoder",
    "augment",
    "augmented_gram",
    "compare",
    "load",
]
