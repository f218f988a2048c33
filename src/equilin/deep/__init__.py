"""equilin.deep: deep equivariant linear networks, their hidden layers and their function spaces.

A network ``R^n -> hidden_1 -> ... -> hidden_{L-1} -> R^n`` whose hidden layers carry representations
of the group ``G`` acting on the input; its function space is ``prod_i M_{b_i, m_i x m_i}(D_i)``, ``b_i``
the smallest multiplicity of the irreducible ``V_i`` over the layers (``docs/deep.md``).

Modules
-------
``gsets``
    The hidden layers: :class:`GSet` (permuted neurons, weight sharing over orbitals) and
    :class:`LinearLayer` (multiplicities per block); ``Hidden`` is either.
``multiplicities``
    :func:`multiplicities`: how often each irreducible of the input occurs in a G-set (characters).
``network``
    :class:`DeepLinearNetwork` (parameters, equivariant bases, Jacobian rank, factoring a matrix
    through the layers) and :class:`DeepFunctionSpace`.
``design``
    Design in reverse: :class:`OrbitType`, :func:`orbit_types` and :func:`smallest_gset` (the smallest
    permuted layer that realizes a component, an integer program).
``polynomial``
    :func:`neurovariety_dimension`: the dimension of the neurovariety with the activation ``x^k`` of a
    network of permuted layers or of a one-channel convolutional network (:class:`equilin.lcn.LCN`),
    one rank computation for both; :func:`polynomial_values`, their forward pass.
``rank``
    ``gapped_rank``: float64 numerical ranks refused without a clear gap (network and polynomial).
"""

from equilin.deep.design import OrbitType, orbit_types, smallest_gset
from equilin.deep.gsets import ELEMENT_LIMIT, GSet, Hidden, LinearLayer
from equilin.deep.multiplicities import multiplicities
from equilin.deep.network import DeepFunctionSpace, DeepLinearNetwork
from equilin.deep.polynomial import PRIME, neurovariety_dimension, polynomial_values

__all__ = [
    "DeepFunctionSpace",
    "DeepLinearNetwork",
    "ELEMENT_LIMIT",
    "GSet",
    "Hidden",
    "LinearLayer",
    "OrbitType",
    "PRIME",
    "multiplicities",
    "neurovariety_dimension",
    "orbit_types",
    "polynomial_values",
    "smallest_gset",
]
