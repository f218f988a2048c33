from __future__ import annotations

import numpy as np
import pytest
import sympy.combinatorics as sc
from hypothesis import given
from hypothesis import strategies as st

from conftest import groups, permutations
from equilin.groups import (
    Permutation,
    PermutationGroup,
    cycle_type_of_string,
    image_action,
    image_flip,
    image_rot90,
    image_shift,
    parse_cycles,
    talk_pixel_order,
    talk_rotation,
    volume_rot90,
    volume_shift,
)


def test_talk_example_permutation() -> None:
    s = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    assert s.array.tolist() == [2, 4, 3, 0, 1]
    assert s.cycles == ((0, 2, 3), (1, 4))
    assert s.cycle_type == {2: 1, 3: 1}
    assert s.order == 6
    assert str(s) == "(1 3 4)(2 5)"
    assert eval(repr(s), {"Permutation": Permutation}) == s
    assert Permutation.from_cycles("(1, 3, 4) (2,5)", 5) == s


def test_fixed_points_and_one_cycles() -> None:
    s = Permutation.from_cycles("(2 3)(5)", 6)
    assert s.cycles == ((0,), (1, 2), (3,), (4,), (5,))
    assert s.cycle_type == {1: 4, 2: 1}
    assert s.cycle_string(include_fixed=True) == "(1)(2 3)(4)(5)(6)"


@pytest.mark.parametrize(("text", "n", "message"), [
    ("(1 2 1)", 3, "appears twice"),
    ("(1 2)(2 3)", 3, "appears twice"),
    ("(1 4)", 3, "larger than the size n=3"),
    ("(0 1)", 3, "1-based"),
    ("(1 2", 3, "unbalanced '('"),
    ("1 2)", 3, "outside parentheses"),
    ("(1 2))", 3, "unbalanced ')'"),
    ("((1 2))", 3, "nested"),
    ("(1)()", 3, "empty parentheses"),
    ("", 3, "empty"),
    ("   ", 3, "empty"),
    ("(1 2.5)", 3, "'2.5'"),
    ("(1 -2)", 3, "'-2'"),
    ("(1 x)", 3, "'x'"),
    ("(1 2),", 3, "',' outside"),
])
def test_bad_cycle_strings(text: str, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Permutation.from_cycles(text, n)


@pytest.mark.parametrize("n", [-1, 2.0, "3", True, None])
def test_bad_sizes(n: object) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        Permutation.from_cycles("(1 2)", n)  # type: ignore[arg-type]


@pytest.mark.parametrize(("images", "message"), [
    ([0, 0, 1], "not a bijection"),
    ([0, 3, 1], "not a permutation"),
    ([0, -1, 1], "not a permutation"),
    ([0.0, 1.0], "integers"),
    ([True, False], "booleans"),
    ([[0, 1]], "1-D"),
])
def test_bad_arrays(images: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Permutation(images)  # type: ignore[arg-type]


def test_cycle_type_of_huge_n_without_arrays() -> None:
    assert cycle_type_of_string("(1 2)", 10**12) == {1: 10**12 - 2, 2: 1}
    assert parse_cycles("(1 1000000000000)", 10**12) == [(0, 10**12 - 1)]


@given(permutations(), st.data())
def test_composition_is_matrix_product(s: Permutation, data: st.DataObject) -> None:
    t = data.draw(permutations(n=s.n))
    st_ = s * t
    assert all(st_(i) == s(t(i)) for i in range(s.n))
    np.testing.assert_array_equal(st_.matrix(), s.matrix() @ t.matrix())
    assert s * s.inverse() == Permutation.identity(s.n)


@given(permutations(), st.integers(-5, 5))
def test_power(s: Permutation, k: int) -> None:
    expected = np.linalg.matrix_power(s.matrix(), k % s.order)
    np.testing.assert_array_equal((s ** k).matrix(), expected)


@given(permutations())
def test_matrix_convention_and_action(s: Permutation) -> None:
    P = s.matrix()
    for j in range(s.n):
        np.testing.assert_array_equal(P[:, j], np.eye(s.n)[s(j)])  # P e_j = e_{sigma(j)}
    x = np.arange(s.n, dtype=float) + 1
    np.testing.assert_array_equal(s.act(x), P @ x)
    X = np.random.default_rng(s.n).standard_normal((4, s.n))
    np.testing.assert_array_equal(s.act(X), X @ P.T)
    np.testing.assert_array_equal(s.act(X.T, axis=0), P @ X.T)


@given(permutations())
def test_agrees_with_sympy(s: Permutation) -> None:
    p = s.to_sympy()
    assert Permutation.from_sympy(p) == s
    assert s.order == p.order()
    assert s.cycle_type == dict(sorted(p.cycle_structure.items()))
    q = sc.Permutation(list(reversed(range(s.n))))
    # sympy's p*q applies p first; ours applies the right factor first.
    assert Permutation.from_sympy(p * q) == Permutation.from_sympy(q) * s


@given(groups(max_n=6))
def test_group_elements_fix_exactly_the_orbits(G: PermutationGroup) -> None:
    elements = list(G.elements(limit=1000))
    assert {tuple(sorted({g(i) for g in elements})) for i in range(G.n)} == set(G.orbits)


@given(groups())
def test_orbits_equal_brute_force_closure(G: PermutationGroup) -> None:
    def closure(i: int) -> tuple[int, ...]:  # every point reachable from i by the generators
        seen, frontier = {i}, [i]
        while frontier:
            frontier = [g(j) for j in frontier for g in G.generators if g(j) not in seen]
            seen.update(frontier)
        return tuple(sorted(seen))

    brute = {closure(i) for i in range(G.n)}
    assert set(G.orbits) == brute
    tau = G.orbit_representative()
    assert set(tau.cycles) == set(G.orbits)
    assert sorted(i for orbit in G.orbits for i in orbit) == list(range(G.n))


def test_group_errors() -> None:
    with pytest.raises(ValueError, match="at least one generator"):
        PermutationGroup([])
    with pytest.raises(ValueError, match="same n"):
        PermutationGroup([Permutation.identity(2), Permutation.identity(3)])
    with pytest.raises(ValueError, match="more than limit"):
        list(PermutationGroup.from_cycles(["(1 2 3 4 5 6 7)", "(1 2)"], 7).elements(limit=100))


def test_image_actions_match_numpy(rng: np.random.Generator) -> None:
    img = rng.standard_normal((5, 7))
    flat = img.ravel()
    np.testing.assert_array_equal(image_shift(5, 7, 2, "x").act(flat), np.roll(img, 2, 1).ravel())
    np.testing.assert_array_equal(image_shift(5, 7, -1, "y").act(flat), np.roll(img, -1, 0).ravel())
    np.testing.assert_array_equal(image_flip(5, 7, "x").act(flat), np.fliplr(img).ravel())
    np.testing.assert_array_equal(image_flip(5, 7, "y").act(flat), np.flipud(img).ravel())
    sq = rng.standard_normal((6, 6))
    np.testing.assert_array_equal(image_rot90(6).act(sq.ravel()), np.rot90(sq, -1).ravel())
    vol = rng.standard_normal((4, 4, 4))
    for axis, axes in [(0, (1, 2)), (1, (0, 2)), (2, (0, 1))]:
        np.testing.assert_array_equal(volume_rot90(4, axis).act(vol.ravel()),
                                      np.rot90(vol, -1, axes=axes).ravel())
    box = rng.standard_normal((2, 3, 5))
    for axis in (0, 1, 2):
        np.testing.assert_array_equal(volume_shift(2, 3, 5, 4, axis).act(box.ravel()),
                                      np.roll(box, 4, axis=axis).ravel())


def test_wallpaper_and_volume_groups() -> None:
    from equilin.groups import image_group, volume_group

    # orders from the elements: p^2 translations times the point group (4 rotations, 8 with flips)
    assert len(list(image_group("p4", 5, 5).elements())) == 100
    assert len(list(image_group("p4m", 4, 4).elements())) == 128
    assert len(list(image_group("p4", 4, 4, s=2).elements())) == 16   # shifts by 2: 4 translations
    assert len(list(volume_group("cube", 3, 3, 3).elements())) == 24
    assert len(list(volume_group("shift-xyz", 2, 3, 4).elements())) == 24
    with pytest.raises(ValueError, match="square"):
        image_group("p4m", 3, 4)
    with pytest.raises(ValueError, match="cubic volume"):
        volume_group("cube", 2, 2, 3)
    with pytest.raises(ValueError, match="unknown volume action"):
        volume_group("d4", 2, 2, 2)
    with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
        volume_shift(2, 2, 2, axis=3)


def test_image_action_names() -> None:
    assert image_action("shift-x", 28, 28).cycle_type == {28: 28}
    assert image_action("shift-y", 28, 28, 2).cycle_type == {14: 56}
    assert image_action("rot90", 3, 3).cycle_type == {1: 1, 4: 2}
    assert image_action("flip-x", 3, 4).order == 2
    with pytest.raises(ValueError, match="square"):
        image_action("rot90", 3, 4)
    with pytest.raises(ValueError, match="unknown image action"):
        image_action("rot45", 3, 3)


@pytest.mark.parametrize("p", range(1, 8))
def test_talk_rotation_is_rot90_in_talk_order(p: int) -> None:
    order, rot, talk = talk_pixel_order(p), image_rot90(p), talk_rotation(p)
    assert sorted(order.tolist()) == list(range(p * p))
    assert all(rot(int(order[t])) == int(order[talk(t)]) for t in range(p * p))


def test_talk_rotation_3x3() -> None:
    assert talk_rotation(3) == Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)


@given(s=permutations(max_n=12), h=permutations(max_n=12), k=st.integers(-50, 50))
def test_log_against_the_powers(s: Permutation, h: Permutation, k: int) -> None:
    powers = [s ** e for e in range(s.order)]
    assert s.log(s ** k) == k % s.order
    if h.n == s.n:
        assert s.log(h) == (powers.index(h) if h in powers else None)


@given(gens=st.integers(1, 10).flatmap(lambda n: st.lists(permutations(n=n), min_size=1, max_size=3)))
def test_cyclic_generator_is_a_given_generator_of_which_the_others_are_powers(gens: list[Permutation]) -> None:
    G = PermutationGroup(gens)
    found = G.cyclic_generator()
    candidates = [g for g in G.generators
                  if all(h in [g ** e for e in range(g.order)] for h in G.generators)]
    assert (found is None) == (not candidates)
    if found is not None:
        assert found in candidates


def test_the_identity_in_cycle_notation() -> None:
    assert Permutation.from_cycles("()", 4) == Permutation.identity(4) == Permutation.from_cycles(" ( ) ", 4)
