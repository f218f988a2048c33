"""Tests of equilin.data.unpickle: the restricted unpickler runs no code and returns arrays only."""

from __future__ import annotations

import collections
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilin.data import DataError, RestrictedUnpickler, restricted_load


class Evil:
    """Unpickling this runs a shell command (when the unpickler lets it)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for protocol in (2, 4, 5):
        blob = pickle.dumps(Evil(marker), protocol=protocol)
        with pytest.raises(DataError, match=rf"'{os.system.__module__}\.system'"):
            restricted_load(io.BytesIO(blob))
        assert not marker.exists()
    pickle.loads(blob)  # the control: an unrestricted unpickler does run the command
    assert marker.exists()
    with pytest.raises(DataError, match="'builtins.eval'"):
        restricted_load(io.BytesIO(pickle.dumps((eval, "1 + 1"))))


def test_restricted_unpickler_refuses_harmless_foreign_objects() -> None:
    with pytest.raises(DataError, match=r"'__builtin__\.set'"):
        restricted_load(io.BytesIO(pickle.dumps({1, 2}, protocol=2)))
    with pytest.raises(DataError, match="refused object of type set"):  # no global at protocol 4
        restricted_load(io.BytesIO(pickle.dumps({1, 2}, protocol=4)))
    with pytest.raises(DataError, match="'collections.OrderedDict'"):
        restricted_load(io.BytesIO(pickle.dumps(collections.OrderedDict(a=1))))
    with pytest.raises(DataError, match="refused object of type dict"):
        restricted_load(io.BytesIO(pickle.dumps({"a": np.arange(2)})))
    with pytest.raises(DataError, match="object dtype"):
        restricted_load(io.BytesIO(pickle.dumps(np.array([1, "a"], dtype=object))))

    class PidPickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return "ext" if obj == "x" else None

    buf = io.BytesIO()
    PidPickler(buf).dump(("x",))
    with pytest.raises(DataError, match="persistent id"):
        restricted_load(io.BytesIO(buf.getvalue()))


def test_restricted_unpickler_loads_arrays() -> None:
    (out,) = restricted_load(io.BytesIO(pickle.dumps((np.arange(3),))))
    np.testing.assert_array_equal(out, [0, 1, 2])
    arrays = [np.ones((2, 3), np.float32), np.array([1.5, -2.0]), np.arange(4, dtype=np.int64)]
    for protocol in (3, 4):  # 2 and 5 need other globals (_codecs.encode, _frombuffer)
        back = restricted_load(io.BytesIO(pickle.dumps((arrays, (arrays[0],)), protocol=protocol)))
        for a, b in zip(back[0] + list(back[1]), arrays + arrays[:1], strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    # The name numpy 1 wrote (as in mnist.pkl.gz) maps to numpy's current _reconstruct.
    unpickler = RestrictedUnpickler(io.BytesIO(b""))
    assert unpickler.find_class("numpy.core.multiarray", "_reconstruct") is (
        unpickler.find_class("numpy._core.multiarray", "_reconstruct")
    )
