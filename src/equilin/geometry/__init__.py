"""equilin.geometry: the varieties of bounded-rank linear maps, exactly (``docs/math.md`` sections 2-3).

Above :mod:`equilin.groups` (the invariant variety takes a permutation group) and below
:mod:`equilin.equivariance` (whose blocks are determinantal varieties over ``R``, ``C`` or ``H``).

Modules
-------
fields
    The real division algebras ``R``, ``C``, ``H`` as fields of commutant blocks: :class:`Field`,
    :data:`REAL`, :data:`COMPLEX`, :data:`QUATERNIONIC`, :func:`field_of`, the units of each and the
    complex adjoint ``chi`` of a quaternionic matrix (:func:`quaternion_to_complex`).
degrees
    Exact degrees of determinantal varieties: :func:`determinantal_degree`, :func:`square_degree`,
    :func:`field_degree` (over ``R``, ``C``, ``H``).
determinantal
    The abstract :class:`Variety`, :class:`DeterminantalVariety` ``M_{r, m x n}`` (``rank`` the bound
    ``r``, ``rho = min(rank, m, n)``) over ``R``, ``C`` or ``H``, products and unions of varieties
    (:class:`ProductVariety`, :class:`VarietyUnion`) and the realization of complex matrices
    (:func:`realize`, :func:`derealize`).
invariant
    :class:`InvariantVariety` ``I^G_{r, m x n}``: the maps invariant under a permutation group, ``psi``
    onto ``M_{rho, m x k}`` and the shared matrix ``E_P``.
"""

from equilin.geometry.degrees import determinantal_degree, field_degree, square_degree
from equilin.geometry.determinantal import (
    DeterminantalVariety,
    ProductVariety,
    Variety,
    VarietyUnion,
    derealize,
    realize,
)
from equilin.geometry.fields import (
    COMPLEX,
    FIELDS,
    QUATERNIONIC,
    REAL,
    Field,
    complex_to_quaternion,
    field_of,
    field_units,
    quaternion_to_complex,
    quaternion_units,
)
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
