"""equilin.plots.reconstruction: the talk's MNIST figure shows the inputs and each model's outputs."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from equilin.plots import reconstructions  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    raw = path.read_bytes()
    assert raw[:8] == PNG_SIGNATURE
    assert raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def test_reconstructions_writes_a_png(tmp_path: Path, rng: np.random.Generator) -> None:
    images = rng.random((9, 28, 28))
    path = tmp_path / "sub" / "figure.png"
    fig = reconstructions(images, [("equivariant", images * 0.5), ("dense", images.reshape(9, 784))],
                          path, title="test")
    assert len(fig.axes) == 27
    width, height = png_size(path)
    assert 600 <= width <= 2000 and 200 <= height <= 1000
    assert width > 2 * height  # three rows of nine digits
    assert path.stat().st_size > 5_000
    # content: the top row shows the inputs, the next rows each model's outputs, labelled
    assert [fig.axes[9 * i].get_ylabel() for i in range(3)] == ["input", "equivariant", "dense"]
    for j in range(9):
        np.testing.assert_array_equal(fig.axes[j].images[0].get_array(), images[j])
        np.testing.assert_array_equal(fig.axes[9 + j].images[0].get_array(), images[j] * 0.5)


@pytest.mark.parametrize("rows, message", [
    ([("short", np.zeros((8, 28, 28)))], "expected 9"),
    ([("wrong size", np.zeros((9, 27, 27)))], "size"),
    ([("flat", np.zeros((9, 100)))], "(N, H, W)"),
])
def test_reconstructions_rejects_mismatched_outputs(rows: list[tuple[str, np.ndarray]], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reconstructions(np.zeros((9, 28, 28)), rows)
