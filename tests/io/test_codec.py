"""equilin.io.codec: values and library objects through the metadata and back, exactly; what cannot be
stored is named; equivariant models written in a former block order are refused."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from saved_models import SIGMA, as_version, assert_same, make, parts, rewrite

from equilin.equivariance import EquivariantVariety
from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, PermutationGroup, image_group
from equilin.io import PersistenceError, load
from equilin.io.codec import _Decoder, _Encoder
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.models.nn import EquivariantLinearAutoencoder


def test_new_fitted_attributes_round_trip_with_their_types(rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, _ = make("dense", rng)
    est.fit(X)
    est.extra_stats_ = [np.arange(3, dtype=np.int32), {"a": (1, 2.5, None, True, "s")}, np.float32(1.5),
                        {(1, 2): "pair", 3: [4.0], np.int64(5): None, SIGMA: 1},
                        float("nan"), -math.inf, 1 + 2j, np.zeros((0, 2), dtype=np.complex64), np.bool_(True)]
    again = DenseAutoencoder.load(est.save(tmp_path / "m.npz"))
    assert_same(est.extra_stats_, again.extra_stats_, "extra_stats_")



@pytest.mark.parametrize("attribute, value, message", [
    ("opaque_", object(), r"'fitted/opaque_'.*builtins.object"),
    ("keys_", {frozenset(): 2}, r"'fitted/keys_/<key 0>'.*dict keys must be .*builtins.frozenset"),
    ("objects_", np.array([None, 1], dtype=object), r"'fitted/objects_'.*numeric or bool"),
    ("nested_", [{"x": [1, object()]}], r"'fitted/nested_/0/x/1'"),
    ("helper", 3, r"'helper'.*neither a constructor parameter .* nor a fitted attribute"),
    ("_cache", 3, r"'_cache'.*neither"),
])
def test_attributes_that_cannot_be_stored_are_named(attribute: str, value: Any, message: str,
                                                    rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, _ = make("invariant", rng)
    est.fit(X)
    setattr(est, attribute, value)
    target = tmp_path / "m.npz"
    with pytest.raises(PersistenceError, match=message):
        est.save(target)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


# -- older format versions: the former block orders ------------------------------------------------
def test_version_1_files_keep_working_except_for_renamed_blocks(tmp_path: Path) -> None:
    """Format version 1 stored the ranks of a product of cyclic groups (shift-xy) in the former block
    order: such a file is refused with what to do; every other version-1 file still loads."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 12))
    cases = [(EquivariantAutoencoder(image_group("shift-xy", 3, 4), ranks="best", rank=3), False),
             (EquivariantAutoencoder(image_group("d4", 3, 3), ranks="best", rank=3), True),
             (InvariantAutoencoder(image_group("shift-xy", 3, 4), rank=1), True)]
    for est, loads in cases:
        data = X[:, :est.get_params()["group"].n]
        path = as_version(est.fit(data).save(tmp_path / "m.npz"), 1)
        if loads:
            assert np.allclose(load(path).predict(data), est.predict(data))
        else:
            with pytest.raises(PersistenceError, match="format version 1.*renamed and reordered by frequency; "
                                                       "fit the model again"):
                load(path)



def test_version_2_files_of_the_cyclic_module_and_of_cyclic_groups_off_the_fourier_path(tmp_path: Path) -> None:
    """Version 2 stored the cyclic-only module's group as ``sigma``: such a file still loads into the one
    module. A cyclic group fitted on the abelian or generic path stored its ranks in the former block order
    (r_{(a)} by frequency): refused with what to do; on the fourier path it loads."""
    sigma = Permutation.from_cycles("(1 2 3 4)(5 6)", 7)
    module = EquivariantLinearAutoencoder(sigma, (1, 1, 0), dtype=torch.float64)
    path = module.save(tmp_path / "module.npz")
    meta, arrays = parts(path)
    params = dict(meta["params"]["dict"])
    meta["params"] = {"dict": [["sigma", params["group"]], ["ranks", params["ranks"]]]}
    meta["format_version"] = 2
    meta["class"] = "equilin.nn." + meta["class"]
    rewrite(path, meta, arrays, reseal=True)
    again = load(path)
    x = torch.randn(4, 7, dtype=torch.float64)
    assert again.method == "fourier" and torch.equal(again(x), module(x))
    X = np.random.default_rng(0).standard_normal((40, 7))
    for method, loads in (("fourier", True), ("abelian", False), ("generic", False)):
        est = EquivariantAutoencoder(sigma, (1, 1, 0), method=method).fit(X)
        path = as_version(est.save(tmp_path / "est.npz"), 2)
        if loads:
            assert np.allclose(load(path).predict(X), est.predict(X))
        else:
            with pytest.raises(PersistenceError, match=f"format version 2.*cyclic group on the {method} path.*"
                                                       "r_{l,m}; fit the model again"):
                load(path)


# -- the codec alone: values and library objects through JSON ---------------------------------------
def through_json(value: Any, arrays: dict[str, np.ndarray] | None = None) -> Any:
    """Encode ``value``, pass the node through JSON as a file does, decode it with every array used."""
    encoder = _Encoder()
    node = json.loads(json.dumps(encoder.encode(value, "value"), allow_nan=False))
    decoder = _Decoder(encoder.arrays if arrays is None else arrays, "here")
    out = decoder.decode(node)
    decoder.check_all_used()
    return out


def test_values_round_trip_with_their_types() -> None:
    value = {"list": [1, -2, None], "tuple": (1.5, True, "s"), "nan": math.nan, "inf": -math.inf, "complex": 1 - 2j,
             "array": np.arange(6, dtype=np.int16).reshape(2, 3), "scalar": np.float32(0.5),
             "bools": np.array([True, False]), "empty": np.zeros((0, 2), dtype=np.complex64)}
    assert_same(through_json(value), value)
    keyed = {(1, 2): "pair", 3: [4.0], np.int64(5): None, SIGMA: 1}
    assert_same(through_json(keyed), keyed)


def test_library_objects_are_rebuilt_and_a_shared_one_stays_shared() -> None:
    variety = EquivariantVariety(SIGMA, 3)
    value = {"variety": variety, "component": variety.component((1, 1, 0)), "group": PermutationGroup([SIGMA]),
             "sigma": SIGMA, "invariant": InvariantVariety(SIGMA, 3, 1)}
    out = through_json(value)
    assert out["variety"] == variety and out["component"].variety is out["variety"]
    assert out["component"].ranks == value["component"].ranks
    assert out["group"] == value["group"] and out["sigma"] == SIGMA and out["invariant"] == value["invariant"]


@pytest.mark.parametrize("node, arrays, message", [
    ({"bogus": 1}, {}, "unknown metadata node 'bogus'"),
    ({"array": "a", "tuple": []}, {}, "malformed metadata node"),
    ({"array": "missing"}, {}, "the metadata refers to a missing array 'missing'"),
    ([{"array": "a"}, {"array": "a"}], {"a": np.zeros(1)}, "the metadata refers twice to the array 'a'"),
    ({"dict": [[1, 2]]}, {}, "malformed dict node"),
    ({"items": [[[1], 2]]}, {}, r"unhashable dict key \[1\]"),
    ({"scalar": "a"}, {"a": np.zeros(2)}, r"the scalar 'a' has shape \(2,\)"),
    ({"permutation": "a"}, {"a": np.array([0, 0])}, "invalid permutation in the metadata: .*not a bijection"),
    ({"group": "a"}, {"a": np.array([0, 1])}, "the group 'a' must be a \\(generators, n\\) int64 array"),
])
def test_malformed_nodes_are_refused(node: Any, arrays: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(PersistenceError, match=f"^here: {message}"):
        _Decoder(arrays, "here").decode(node)


def test_every_array_must_be_used() -> None:
    decoder = _Decoder({"a": np.zeros(1), "b": np.zeros(1)}, "here")
    decoder.decode({"array": "a"})
    with pytest.raises(PersistenceError, match="never uses: b"):
        decoder.check_all_used()
