"""equilin.groups."""

from equilin.groups.abelian import AbelianStructure, NotAGridProduct, cyclic_eigenvalue
from equilin.groups.orbits import OrbitStructure, orbit_labels
from equilin.groups.permutation import IMAGE_ACTIONS, IMAGE_GROUPS, MAX_ARRAY_N, Permutation, PermutationGroup, VOLUME_GROUPS, as_group, cycle_type_of_string, image_action, image_flip, image_group, image_rot90, image_shift, parse_cycles, talk_pixel_order, talk_rotation, volume_group, volume_rot90, volume_shift
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
