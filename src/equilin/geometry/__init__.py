"""equilin.geometry."""

from equilin.geometry.determinantal import DeterminantalVariety, ProductVariety, Variety, VarietyUnion, derealize, determinantal_degree, field_degree, realize, square_degree
from equilin.geometry.fields import COMPLEX, FIELDS, Field, QUATERNIONIC, REAL, complex_to_quaternion, field_of, field_units, quaternion_to_complex, quaternion_units
from equilin.geometry.invariant import InvariantVariety

__all__ = [
    "COMPLEX",
    "DeterminantalVariety",
    "FIELDS",
    "Field",
    "InvariantVariety",
    "ProductVariety",
    "QUATERNIONIC",
    "REAL",
    "Variety",
    "VarietyUnion",
    "complex_to_quaternion",
    "derealize",
    "determinantal_degree",
    "field_degree",
    "field_of",
    "field_units",
    "quaternion_to_complex",
    "quaternion_units",
    "realize",
    "square_degree",
]
