"""equilin.plots.basis: the templates of a component in the basis Q, drawn as id colours with dashes."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from equilin.equivariance import EquivariantVariety  # noqa: E402
from equilin.groups import Permutation, image_shift  # noqa: E402
from equilin.plots import weight_sharing  # noqa: E402


def png_size(path: Path) -> tuple[int, int]:
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def test_weight_sharing_small_component(tmp_path: Path) -> None:
    E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
    path = tmp_path / "ws.png"
    fig = weight_sharing(E.component((1, 1, 0)), path)
    assert [ax.get_title() for ax in fig.axes] == ["encoder (3 x 9)", "decoder, transposed (3 x 9)"]
    # the complex block's "-b" entries are drawn as markers: one per negated entry in each panel
    W = E.component((1, 1, 0)).weight_sharing()
    offsets = [len(np.asarray(ax.collections[0].get_offsets())) for ax in fig.axes]
    assert offsets == [int((W.encoder_signs < 0).sum()), int((W.decoder_signs < 0).sum())]
    width, height = png_size(path)
    assert width >= 400 and height >= 150


def test_weight_sharing_mnist_component(tmp_path: Path) -> None:
    E = EquivariantVariety(image_shift(28, 28), 99)
    path = tmp_path / "mnist_ws.png"
    weight_sharing(E.component((13, 10, 9, 8, 7, 5, 3, 1) + (0,) * 7), path)
    width, height = png_size(path)
    assert width >= 1000 and height >= 300
    assert path.stat().st_size > 20_000
