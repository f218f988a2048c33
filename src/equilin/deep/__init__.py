"""equilin.deep."""

from equilin.deep.network import DeepLinearNetwork, GSet, LinearLayer, multiplicities, orbit_types, smallest_gset
from equilin.deep.polynomial import neurovariety_dimension

__all__ = [
    "DeepLinearNetwork",
    "GSet",
    "LinearLayer",
    "multiplicities",
    "neurovariety_dimension",
    "orbit_types",
    "smallest_gset",
]
