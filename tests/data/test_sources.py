"""Tests of equilin.data.sources: load() by name, its limits, unknown sources."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.data import DataError, load


def test_limits_take_first_rows() -> None:
    full = load("digits")
    ds = load("digits", limit_train=10, limit_test=3)
    assert ds.n_train == 10 and ds.n_test == 3
    np.testing.assert_array_equal(ds.x_train, full.x_train[:10])
    np.testing.assert_array_equal(ds.y_test, full.y_test[:3])
    assert load("digits", limit_test=10_000).n_test == 297
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="limit_train must be a positive integer"):
            load("digits", limit_train=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit_test"):
        load("digits", limit_test=0)


def test_unknown_source_lists_choices() -> None:
    choices = r"source must be one of 'mnist', 'digits' or a directory"
    with pytest.raises(ValueError, match=choices) as info:
        load("mnsit")
    assert not isinstance(info.value, DataError)
    with pytest.raises(ValueError, match="source"):
        load(3)  # type: ignore[arg-type]
