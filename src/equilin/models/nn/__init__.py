"""equilin.models.nn."""

from equilin.models.nn.deep import DeepEquivariantNetwork
from equilin.models.nn.modules import DFT_MATRIX_MAX_LENGTH, DenseLinearAutoencoder, EquivariantLinearAutoencoder, InvariantLinearAutoencoder, IsotypicLinearAutoencoder, train

__all__ = [
    "DFT_MATRIX_MAX_LENGTH",
    "DeepEquivariantNetwork",
    "DenseLinearAutoencoder",
    "EquivariantLinearAutoencoder",
    "InvariantLinearAutoencoder",
    "IsotypicLinearAutoencoder",
    "train",
]
