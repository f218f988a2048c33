"""Orbits and orbit types (equilin.groups.orbits), against brute force over the enumerated group."""

from __future__ import annotations

import numpy as np
import sympy.combinatorics as sc
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from equilin.groups import OrbitStructure, Permutation, PermutationGroup, image_group, orbit_labels

from conftest import group_elements, groups, sympy_group


def brute_types(group: PermutationGroup) -> list[list[tuple[int, ...]]]:
    """Orbits grouped by G-set isomorphism: orbit O' has the type of O iff the stabilizer of a point of
    O' is the stabilizer of some point of O (stabilizers of one orbit are a conjugacy class)."""
    els = group_elements(group)
    stab = [frozenset(i for i, g in enumerate(els) if g[x] == x) for x in range(group.n)]
    orbits = sorted({tuple(sorted({g[x] for g in els})) for x in range(group.n)})
    classes: list[list[tuple[int, ...]]] = []
    for orbit in orbits:
        for cls in classes:
            if stab[orbit[0]] in {stab[y] for y in cls[0]}:
                cls.append(orbit)
                break
        else:
            classes.append([orbit])
    return classes


def check_structure(group: PermutationGroup) -> OrbitStructure:
    S = OrbitStructure(group)
    gens = [g.array for g in group.generators]
    for t, points in zip(S.types, S.points):
        assert points.shape == (t.count, t.size)
        assert (points[0] == np.sort(points[0])).all()
        for j, g in enumerate(gens):
            # the alignment is an isomorphism of G-sets: g(points[a, p]) = points[a, actions[j, p]]
            assert (g[points] == points[:, t.actions[j]]).all()
    covered = np.concatenate([p.ravel() for p in S.points])
    assert sorted(covered.tolist()) == list(range(group.n))
    return S


@settings(max_examples=40)
@given(group=groups(max_n=10, max_gens=3))
def test_orbit_types_against_stabilizers(group: PermutationGroup) -> None:
    assume(sympy_group(group).order() <= 5000)
    S = check_structure(group)
    found = [sorted(tuple(sorted(row.tolist())) for row in points) for points in S.points]
    assert found == brute_types(group)
    assert [t.index for t in S.types] == list(range(len(S.types)))
    assert S.orbit_count == len(group.orbits) == sum(t.count for t in S.types)
    assert S.representative_size == sum(t.size for t in S.types)


@settings(max_examples=30)
@given(group=groups(min_n=2, max_n=9, max_gens=2), data=st.data())
def test_types_depend_only_on_the_group(group: PermutationGroup, data: st.DataObject) -> None:
    """Redundant, reordered or replaced generators give the same types, in the same order, and the same
    representatives in the same positions."""
    gens = list(group.generators)
    extra = [gens[0] * gens[-1], gens[-1].inverse(), gens[0] ** 2]
    other = data.draw(st.permutations(gens + extra))
    a, b = OrbitStructure(group), OrbitStructure(PermutationGroup(list(other)))
    assert [(t.size, t.count) for t in a.types] == [(t.size, t.count) for t in b.types]
    for p, q in zip(a.points, b.points):
        assert (p[0] == q[0]).all()
        assert sorted(map(tuple, np.sort(p, axis=1).tolist())) == sorted(map(tuple, np.sort(q, axis=1).tolist()))


def test_orbit_labels_by_smallest_point() -> None:
    count, labels = orbit_labels(PermutationGroup.from_cycles(["(3 5)", "(1 6)(2 4)"], 7))
    assert count == 4 and labels.tolist() == [0, 1, 2, 1, 2, 0, 3]


def test_isomorphic_orbits_numbered_differently() -> None:
    """S_3 acting regularly on points 0..5, the same regular action with its points renamed on 6..11
    (isomorphic to the first orbit by a bijection that is not the identity of positions), and the
    natural action on 12..14."""
    s = sc.named_groups.SymmetricGroup(3)
    els = list(s.generate())
    index = {g: i for i, g in enumerate(els)}
    gens = s.generators
    regular = [[index[h * g] for h in els] for g in gens]
    shuffle = [3, 0, 5, 1, 4, 2]                       # the same G-set with the points renamed
    inv = np.argsort(shuffle)
    renamed = [[shuffle[r[inv[p]]] for p in range(6)] for r in regular]
    points3 = [list(g.array_form) for g in gens]
    images = [r + [6 + x for x in q] + [12 + x for x in p] for r, q, p in zip(regular, renamed, points3)]
    G = PermutationGroup([Permutation(im) for im in images])
    S = check_structure(G)
    assert [(t.size, t.count) for t in S.types] == [(6, 2), (3, 1)]
    assert S.points[0][0].tolist() == [0, 1, 2, 3, 4, 5]


def test_image_groups() -> None:
    # rotations and flips of a 5 x 5 image: the centre; two diagonal and two axis orbits of size 4 (the
    # two kinds are not isomorphic: their stabilizers are different reflections); one of size 8
    S = check_structure(image_group("d4", 5, 5))
    assert sorted((t.size, t.count) for t in S.types) == [(1, 1), (4, 2), (4, 2), (8, 1)]
    # 64 x 64: no centre, no axis pixels; 32 diagonal orbits and (4096 - 128) / 8 generic ones
    S = check_structure(image_group("d4", 64, 64))
    assert sorted((t.size, t.count) for t in S.types) == [(4, 32), (8, 496)]
    S = check_structure(image_group("shift-xy", 6, 4))
    assert [(t.size, t.count) for t in S.types] == [(24, 1)]


def test_many_points() -> None:
    group = PermutationGroup.from_cycles(["(1 2)(3 4)", "(5 6 7)"], 200_000)
    S = check_structure(group)
    assert [(t.size, t.count) for t in S.types] == [(2, 2), (3, 1), (1, 199_993)]
    assert repr(S) == "OrbitStructure(n=200000, 3 orbit types: 2x2, 1x3, 199993x1)"
