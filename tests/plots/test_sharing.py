"""equilin.plots.sharing: the talk's graphs of tied weights: edges, colours (one per class) and dashes
(negated weights), against the classes of equilin.equivariance.pixel_sharing (tested against brute force in
tests/equivariance/test_pixel_sharing.py)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from equilin.equivariance import (  # noqa: E402
    EquivariantVariety,
    SharingClasses,
    invariant_sharing,
    pixel_sharing,
)
from equilin.geometry import InvariantVariety  # noqa: E402
from equilin.groups import Permutation, talk_rotation  # noqa: E402
from equilin.plots import sharing_graph  # noqa: E402


def edges(fig) -> dict[str, tuple[object, str]]:  # type: ignore[no-untyped-def]
    return {line.get_gid(): (line.get_color(), line.get_linestyle()) for line in fig.axes[0].lines}


def test_graph_of_the_talk_rotation_component() -> None:
    C = EquivariantVariety(talk_rotation(3), 3).component((1, 1, 0))
    encoder, decoder = pixel_sharing(C, "encoder"), pixel_sharing(C, "decoder")
    fig = sharing_graph(encoder, decoder, title="rotation")
    drawn = edges(fig)
    # an edge per nonzero weight, named by its entry
    expected = {f"encoder:{i}:{j}" for i, j in zip(*np.nonzero(encoder.ids >= 0))}
    expected |= {f"decoder:{j}:{i}" for j, i in zip(*np.nonzero(decoder.ids >= 0))}
    assert set(drawn) == expected and len(drawn) == 50
    # colours: one per tied weight (7 + 7), the same colour exactly on the same tied weight
    colour_of: dict[tuple[str, int], object] = {}
    for gid, (colour, style) in drawn.items():
        part, a, b = gid.split(":")
        S = encoder if part == "encoder" else decoder
        cls, sign = int(S.ids[int(a), int(b)]), int(S.signs[int(a), int(b)])
        colour_of.setdefault((part, cls), colour)
        assert colour_of[part, cls] == colour
        assert style == ("--" if sign < 0 else "-")  # dashed exactly where negated
    assert len(colour_of) == 14 and len({str(c) for c in colour_of.values()}) == 14
    per_colour = Counter(str(c) for c, _ in drawn.values())
    sizes = [*Counter(encoder.ids[encoder.ids >= 0].tolist()).values(),
             *Counter(decoder.ids[decoder.ids >= 0].tolist()).values()]
    assert sorted(per_colour.values()) == sorted(sizes)  # edges per colour: the entries of its tied weight
    negated = int((encoder.signs < 0).sum() + (decoder.signs < 0).sum())
    assert sum(style == "--" for _, style in drawn.values()) == negated
    assert fig.get_suptitle() == "rotation"


def test_graph_of_the_invariant_encoder_and_errors() -> None:
    S = invariant_sharing(InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=5, rank=2))
    fig = sharing_graph(S, input_labels=list("12345"))
    drawn = edges(fig)
    assert len(drawn) == 10 and all(style == "-" for _, style in drawn.values())
    per_colour = Counter(str(c) for c, _ in drawn.values())
    assert sorted(per_colour.values()) == [2, 2, 3, 3]   # orbits {1, 3, 4} and {2, 5}, one weight per code unit
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"1", "2", "3", "4", "5", "z1", "z2"} <= labels
    with pytest.raises(ValueError, match="decoder must be 5 x 2"):
        sharing_graph(S, S)
    with pytest.raises(ValueError, match="input labels"):
        sharing_graph(S, input_labels=["a"])
    many = SharingClasses(np.arange(61)[None, :], np.ones((1, 61), dtype=np.int64))
    with pytest.raises(ValueError, match="too many"):
        sharing_graph(many)
