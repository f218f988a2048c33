"""equilin.plots.spectrum: each block's share of the data's energy (against the FFT of the image rows) and the
figure's bars (energy and every model's ranks)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from equilin.groups import image_group, image_shift  # noqa: E402
from equilin.models.closed_form import EquivariantAutoencoder  # noqa: E402
from equilin.plots import block_energy, spectrum  # noqa: E402


def test_block_energy_is_the_fft_energy_of_each_frequency(rng: np.random.Generator) -> None:
    X = rng.normal(size=(120, 64)) + np.linspace(0, 3, 8)[None, :].repeat(8, 0).ravel()
    model = EquivariantAutoencoder(image_shift(8, 8), (1, 1, 0, 0, 0)).fit(X)
    power = (np.abs(np.fft.fft(X.reshape(-1, 8, 8), axis=2)) ** 2).sum(axis=(0, 1))  # per frequency 0..7
    expected = np.array([power[0], power[1] + power[7], power[2] + power[6], power[3] + power[5], power[4]])
    np.testing.assert_allclose(block_energy(model), expected / expected.sum(), rtol=1e-10)


def test_block_energy_of_a_generic_group_sums_to_one_and_has_the_invariant_share(rng: np.random.Generator) -> None:
    G = image_group("d4", 4, 4)
    X = rng.normal(size=(80, 16)) + 1.0
    model = EquivariantAutoencoder(G, "best", rank=4).fit(X)
    shares = block_energy(model)
    assert shares.shape == (len(model.variety_.blocks),) and shares.sum() == pytest.approx(1.0)
    # the trivial block holds the projection onto the invariant vectors: orbit means
    invariant = np.zeros_like(X)
    for orbit in G.orbits:
        invariant[:, list(orbit)] = X[:, list(orbit)].mean(axis=1, keepdims=True)
    trivial = (invariant ** 2).sum() / (X ** 2).sum()
    assert np.isclose(shares, trivial, rtol=1e-9).sum() == 1


def test_spectrum_draws_the_energy_and_the_ranks() -> None:
    labels = ["r_{1,1}", "r_{8,7}", "r_{4,3}", "r_{8,5}", "r_{2,1}"]
    energy = [0.6, 0.25, 0.1, 0.05, 0.0]
    ranks = {"equivariant": [8, 1, 0, 0, 0], "high-pass": [0, 0, 0, 1, 8], "best": [2, 3, 1, 0, 0]}
    fig = spectrum(labels, energy, ranks, ticks=["0", "1", "2", "3", "4"], xlabel="frequency", title="t")
    top, bottom = fig.axes
    assert top.get_title() == "t" and top.get_yscale() == "log"
    assert [float(p.get_height()) for p in top.patches] == energy[:4]       # the zero share is left out
    assert [float(p.get_x() + p.get_width() / 2) for p in top.patches] == pytest.approx([0, 1, 2, 3])
    assert len(bottom.containers) == 3
    for container, values in zip(bottom.containers, ranks.values()):
        assert [float(p.get_height()) for p in container] == values
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == list(ranks)
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["0", "1", "2", "3", "4"]
    assert bottom.get_xlabel() == "frequency"


@pytest.mark.parametrize("kwargs, message", [
    ({"energy": [0.5, 0.5]}, "one value per block"),
    ({"ranks": {"m": [1, 2]}}, "ranks of 'm'"),
    ({"ticks": ["a"]}, "ticks must have"),
])
def test_spectrum_rejects_mismatched_lengths(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"labels": ["a", "b", "c"], "energy": [0.5, 0.3, 0.2], "ranks": {"m": [1, 0, 0]}}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        spectrum(**args)  # type: ignore[arg-type]
