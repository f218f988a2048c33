"""equilin.plots.units: the filters figure shows the model's encoder rows, the tied-weights figure the classes
of a code unit's pixel weights (against the closed formula for cyclic shifts of the rows)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from equilin.equivariance import EquivariantVariety  # noqa: E402
from equilin.groups import image_shift  # noqa: E402
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder  # noqa: E402
from equilin.plots import code_sharing, encoder_filters  # noqa: E402
from equilin.plots.units import block_units, encoder_rows, orbit_numbers  # noqa: E402


@pytest.fixture(scope="module")
def fitted() -> tuple[EquivariantAutoencoder, DenseAutoencoder, np.ndarray]:
    X = np.random.default_rng(3).random((200, 64))
    return (EquivariantAutoencoder(image_shift(8, 8), (3, 2, 1, 0, 0)).fit(X), DenseAutoencoder(5).fit(X), X)


Fitted = tuple[EquivariantAutoencoder, DenseAutoencoder, np.ndarray]


def test_encoder_rows_are_the_linear_encoder(fitted: Fitted) -> None:
    model, dense, X = fitted
    rows = encoder_rows(model)
    assert rows.shape == (3 + 2 * 2 + 2 * 1, 64)
    np.testing.assert_allclose(X @ rows.T, model.transform(X), atol=1e-12)
    np.testing.assert_allclose(encoder_rows(dense), dense.components_, atol=1e-12)
    # each block's rows live in its frequency: the FFT of every image row is zero off +-frequency
    for f, units in zip((0, 1, 2), block_units(model.component_)):
        spectrum = np.abs(np.fft.fft(rows[list(units)].reshape(-1, 8, 8), axis=2))
        off = [k for k in range(8) if k not in (f, (8 - f) % 8)]
        assert spectrum[:, :, off].max() < 1e-10 < spectrum[:, :, f].max()


def test_encoder_filters_draws_every_block_and_the_dense_rows(fitted: Fitted) -> None:
    model, dense, _ = fitted
    rows = encoder_rows(model)
    fig = encoder_filters(model, (8, 8), per_block=3, dense=dense, cycle_length=8, title="filters")
    shown = [ax for ax in fig.axes if ax.images]
    # blocks r_{1,1} (3 units), r_{8,7} (4 units, 3 shown), r_{4,3} (2 units), dense (3 rows)
    assert [ax.get_title() for ax in shown] == ["unit 0", "unit 1", "unit 2", "unit 3", "unit 4", "unit 5",
                                                 "unit 7", "unit 8", "dense 0", "dense 1", "dense 2"]
    for ax in shown:
        name, i = ax.get_title().split()
        expected = (rows if name == "unit" else dense.components_)[int(i)].reshape(8, 8)
        np.testing.assert_allclose(ax.images[0].get_array(), expected)
        top = np.abs(expected).max()
        assert ax.images[0].get_clim() == pytest.approx((-top, top))
    ylabels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert ylabels == ["r_{1,1} (frequency 0)\n3 units", "r_{8,7} (frequency 1)\n4 units",
                       "r_{4,3} (frequency 2)\n2 units", "dense\n(no sharing)"]
    with pytest.raises(ValueError, match="has 63 pixels"):
        encoder_filters(model, (7, 9))


def expected_row_classes(f: int, w: int) -> tuple[list[int], list[int]]:
    """A frequency-f unit on a row of w pixels: x and x' share a weight iff f x = f x' mod w/2 (mod w:
    equal, else negated); numbered in order of first occurrence, signs relative to the first."""
    phase = [(f * x) % w for x in range(w)]
    number: dict[int, int] = {}
    first: dict[int, int] = {}
    ids, signs = [], []
    for p in phase:
        key = p % (w // 2) if f not in (0,) else 0
        if key not in number:
            number[key], first[key] = len(number), p
        ids.append(number[key])
        signs.append(1 if p == first[key] or f == 0 else -1)
    return ids, signs


def test_code_sharing_shows_the_tied_weights_of_shifts() -> None:
    C = EquivariantVariety(image_shift(8, 8), 9).component((2, 1, 1, 1, 1))
    units = block_units(C)
    chosen = [units[0].start, units[1].start, units[2].start, units[3].start]   # frequencies 0, 1, 2, 3
    fig = code_sharing(C, (8, 8), units=chosen, cycle_length=8, title="tied")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 4 and fig.get_suptitle() == "tied"
    for ax, f in zip(shown, (0, 1, 2, 3)):
        ids, signs = expected_row_classes(f, 8)
        image = ax.images[0].get_array()
        assert not np.ma.getmaskarray(image).any()
        np.testing.assert_array_equal(np.asarray(image), np.tile(ids, (8, 1)))  # every row: its own weights
        dots = np.asarray(ax.collections[0].get_offsets())
        expected = {(x, y) for y in range(8) for x in range(8) if signs[x] < 0}
        assert {(int(x), int(y)) for x, y in dots} == expected
        n_tied = 8 * (max(ids) + 1)
        assert ax.get_title().splitlines()[1] == f"{n_tied} tied weights, {len(expected)} negated"
        assert f"(frequency {f})" in ax.get_title()
        assert len(ax.collections[1].get_segments()) == 7 * 8   # white walls between the 8 image rows


def test_code_sharing_default_units_and_errors() -> None:
    C = EquivariantVariety(image_shift(8, 8), 9).component((2, 1, 1, 1, 1))
    fig = code_sharing(C, (8, 8), count=3)
    titles = [ax.get_title().splitlines()[0] for ax in fig.axes if ax.images]
    assert titles == ["unit 0: r_{1,1}", "unit 4: r_{4,3}", "unit 8: r_{2,1}"]
    with pytest.raises(ValueError, match="has 63 pixels"):
        code_sharing(C, (7, 9))


def test_orbit_numbers() -> None:
    ids = np.array([5, 6, 5, -1, 7, 7])
    assert orbit_numbers(ids, [(0, 1, 2, 3), (4, 5)]).tolist() == [0, 1, 0, -1, 0, 0]
