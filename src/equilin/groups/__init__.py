"""equilin.groups: permutations, permutation groups and their exact combinatorial structure.

The bottom layer of the library (numpy and scipy only, no floating-point decisions): everything above
it receives its groups from here.

Modules
-------
cycles
    The paper's 1-based cycle strings ``"(1 3 4)(2 5)"``: :func:`parse_cycles`,
    :func:`cycle_type_of_string` (any ``n``), :data:`MAX_ARRAY_N` and the size checks.
permutation
    :class:`Permutation` (0-based one-line arrays), its matrix ``P_sigma``, powers and discrete
    logarithms; the conventions of ``docs/math.md`` section 1.
group
    :class:`PermutationGroup` (generators, orbits, elements, a cyclic generator) and :func:`as_group`.
actions
    Shifts, rotations and flips of images and volumes: :func:`image_shift`, :func:`image_rot90`,
    :func:`image_flip`, :func:`volume_shift`, :func:`volume_rot90`, the talk's :func:`talk_rotation`
    and :func:`talk_pixel_order`, and the named actions :func:`image_action`, :func:`image_group`,
    :func:`volume_group`.
orbits
    Orbits and orbit types (isomorphism classes of transitive G-sets): :func:`orbit_labels`,
    :class:`OrbitStructure`.
abelian
    Products of cyclic groups acting on grids, exactly: :class:`AbelianStructure` (characters,
    multiplicities, block names ``r_{(a_1,...,a_k)}``), :func:`cyclic_eigenvalue` (the talk's ``(l, m)``).
torus
    Translations of a torus with a point group (``p4``, ``p4m``, the cube): :class:`TorusStructure`.
"""

from equilin.groups.abelian import AbelianStructure, NotAGridProduct, cyclic_eigenvalue
from equilin.groups.actions import (
    IMAGE_ACTIONS,
    IMAGE_GROUPS,
    VOLUME_GROUPS,
    image_action,
    image_flip,
    image_group,
    image_rot90,
    image_shift,
    talk_pixel_order,
    talk_rotation,
    volume_group,
    volume_rot90,
    volume_shift,
)
from equilin.groups.cycles import MAX_ARRAY_N, cycle_type_of_string, divisors, parse_cycles
from equilin.groups.group import PermutationGroup, as_group
from equilin.groups.orbits import OrbitStructure, orbit_labels
from equilin.groups.permutation import Permutation
from equilin.groups.torus import TorusStructure

__all__ = [
    "AbelianStructure",
    "IMAGE_ACTIONS",
    "IMAGE_GROUPS",
    "MAX_ARRAY_N",
    "NotAGridProduct",
    "OrbitStructure",
    "Permutation",
    "PermutationGroup",
    "TorusStructure",
    "VOLUME_GROUPS",
    "as_group",
    "cycle_type_of_string",
    "divisors",
    "cyclic_eigenvalue",
    "image_action",
    "image_flip",
    "image_group",
    "image_rot90",
    "image_shift",
    "orbit_labels",
    "parse_cycles",
    "talk_pixel_order",
    "talk_rotation",
    "volume_group",
    "volume_rot90",
    "volume_shift",
]
