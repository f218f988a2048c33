"""equilin.groups.actions: image and volume actions against numpy's roll, flip and rot90."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.groups import (
    Permutation,
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
