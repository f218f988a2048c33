"""Groups and G-sets shared by the tests of equilin.deep, and a brute-force count of equivariant maps."""

from __future__ import annotations

import numpy as np

from equilin.deep import GSet
from equilin.groups import Permutation, PermutationGroup, image_group

SIGMA = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
D4 = image_group("d4", 3, 3)
S3 = PermutationGroup.from_cycles(["(1 2 3)", "(1 2)"], 4)


def hom_dim(source: list[np.ndarray], target: list[np.ndarray]) -> int:
    """dim of {W : W S_g = T_g W for the generators}, by a null space (brute force)."""
    a, b = target[0].shape[0], source[0].shape[0]
    K = np.concatenate([np.kron(np.eye(a), s.T) - np.kron(t, np.eye(b)) for t, s in zip(target, source)])
    values = np.linalg.svd(K, compute_uv=False)
    return a * b - int((values > 1e-9 * max(1.0, values[0])).sum())


def some_gsets(group: PermutationGroup) -> list[GSet]:
    """The input action, two channels, the regular action and the cosets of every generator."""
    out = [GSet.of(group), GSet.channels(group, 2), GSet.regular(group)]
    for g in group.generators:
        out.append(GSet.cosets(group, [g]))
    return out
