"""Helpers of the tests of equilin.io: models to save, exact comparisons, and the raw members of a file
(read, tampered with and written again by the tests' own code, independently of equilin.io)."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilin.groups import Permutation, PermutationGroup, image_shift
from equilin.io import METADATA_KEY
from equilin.models.closed_form import (
    DenseAutoencoder,
    DenseRegressor,
    EquivariantAutoencoder,
    EquivariantRegressor,
    InvariantAutoencoder,
    InvariantRegressor,
)

SIGMA = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)  # the talk's 3 x 3 rotation



TWO_GENERATORS = PermutationGroup.from_cycles(["(1 2 3 4)", "(1 2)(5 6)"], 9)


# -- models and exact comparisons ------------------------------------------------------------------
def assert_same(a: Any, b: Any, where: str = "value") -> None:
    """Equal values of equal types; arrays bit for bit with the same dtype and shape."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where



def fitted(est: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(est).items() if k.endswith("_")}



def same_outcome(first: Callable[[], Any], second: Callable[[], Any], where: str) -> Any:
    """Both calls return the same value, or both raise the same error; returns the value (or None)."""
    try:
        value = first()
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            second()
        return None
    assert_same(value, second(), where)
    return value



def assert_same_estimator(a: Any, b: Any, X: np.ndarray, Y: np.ndarray | None) -> None:
    assert type(a) is type(b)
    assert_same(a.get_params(), b.get_params(), "params")
    assert_same(fitted(a), fitted(b), "fitted")
    assert_same(a.predict(X), b.predict(X), "predict")
    codes = same_outcome(lambda: a.transform(X), lambda: b.transform(X), "transform") if hasattr(a, "transform") \
        else None   # (the regressors have no transform)
    if codes is not None:
        same_outcome(lambda: a.inverse_transform(codes), lambda: b.inverse_transform(codes), "inverse_transform")
    assert a.loss(X, Y) == b.loss(X, Y)
    assert_same(a.function_matrix(), b.function_matrix(), "function_matrix")



def data(rng: np.random.Generator, n: int = 9, q: int | None = None, N: int = 60) -> tuple[np.ndarray, Any]:
    X = rng.standard_normal((N, n))
    return X, None if q is None else rng.standard_normal((N, q))



ESTIMATORS: dict[str, tuple[Callable[[], Any], int | None]] = {  # factory, number of target columns
    "dense": (lambda: DenseAutoencoder(rank=3), None),
    "dense-regression": (lambda: DenseRegressor(rank=2, batch_size=7), 4),
    "invariant": (lambda: InvariantAutoencoder(SIGMA, rank=2), None),
    "invariant-regression": (lambda: InvariantRegressor(TWO_GENERATORS, rank=2), 3),
    "equivariant-best": (lambda: EquivariantAutoencoder(SIGMA, "best", rank=3), None),
    "equivariant-tuple": (lambda: EquivariantAutoencoder(SIGMA, (1, 1, 0)), None),
    "equivariant-dict": (lambda: EquivariantAutoencoder(SIGMA, {"r_{4,3}": 1, "r_{2,1}": 1}, rank=3), None),
    "equivariant-pairs": (lambda: EquivariantAutoencoder(SIGMA, {(4, 3): 1, (2, 1): 1}), None),
    "equivariant-regression": (lambda: EquivariantRegressor(SIGMA, "best", rank=4), 9),
    "equivariant-generic": (lambda: EquivariantAutoencoder(TWO_GENERATORS, "best", rank=3), None),
    "equivariant-shift": (lambda: EquivariantAutoencoder(image_shift(6, 6), "best", rank=7), None),
}



def make(name: str, rng: np.random.Generator) -> tuple[Any, np.ndarray, Any]:
    factory, q = ESTIMATORS[name]
    est = factory()
    n = 36 if name == "equivariant-shift" else 9
    X, Y = data(rng, n, q)
    return est, X, Y


# -- the raw members of a file ---------------------------------------------------------------------
def members(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename.removesuffix(".npy"): np.load(io.BytesIO(zf.read(info)), allow_pickle=False)
                for info in zf.infolist()}



def metadata(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return json.loads(arrays[METADATA_KEY].tobytes())



def documented_checksum(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """The checksum exactly as docs/persistence.md defines it (an independent implementation)."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(arrays):
        a = arrays[name]
        digest.update(name.encode() + b"\0" + a.dtype.str.encode() + b"\0" + json.dumps(list(a.shape)).encode()
                      + b"\0")
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()



def rewrite(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray], *, reseal: bool = False) -> None:
    """Write a (tampered) archive; ``reseal`` recomputes the checksum and the manifest, as a careful
    forger would, to reach the checks behind the checksum."""
    if reseal:
        meta["arrays"] = {k: {"shape": list(a.shape), "dtype": a.dtype.str} for k, a in arrays.items()}
        meta["checksum"]["hexdigest"] = documented_checksum(meta, arrays)
    with zipfile.ZipFile(path, "w") as zf:
        for name, a in [(METADATA_KEY, np.frombuffer(json.dumps(meta).encode(), np.uint8)), *arrays.items()]:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, a)
            zf.writestr(name + ".npy", buffer.getvalue())



def parts(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays = members(path)
    meta = metadata(arrays)
    del arrays[METADATA_KEY]
    return meta, arrays



def save_regression_model(rng: np.random.Generator, tmp_path: Path
                          ) -> tuple[Path, dict[str, Any], dict[str, np.ndarray]]:
    """A saved invariant regression model, its metadata and its arrays (fresh copies for each call):
    the ``saved`` fixture of the test modules."""
    est, X, Y = make("invariant-regression", rng)
    path = est.fit(X, Y).save(tmp_path / "model.npz")
    return (path, *parts(path))



def old_names(node: Any) -> Any:
    """A metadata node as format versions 1-3 wrote it: a variety's rank budget was ``r``."""
    if isinstance(node, list):
        return [old_names(v) for v in node]
    if isinstance(node, dict):
        out = {k: old_names(v) for k, v in node.items()}
        for tag in ("invariant_variety", "equivariant_variety"):
            if tag in out:
                out[tag] = {("r" if k == "rank" else k): v for k, v in out[tag].items()}
        return out
    return node



def as_version(path: Path, version: int) -> Path:
    """Rewrite a saved file as an older format version wrote it (resealed: its checksum stays valid):
    below 4, the class is named by its module path and the parameters by their former names."""
    meta, arrays = parts(path)
    meta["format_version"] = version
    if version < 4:
        cls = {"estimator": "equilin.fit.", "module": "equilin.nn."}[meta["kind"]] + meta["class"]
        renames = {"EquivariantAutoencoder": {"group": "sigma", "rank": "r"},
                   "DenseLinearAutoencoder": {"rank": "r"}, "InvariantLinearAutoencoder": {"rank": "r"}}
        old = renames.get(meta["class"], {})
        meta["params"]["dict"] = [[old.get(k, k), v] for k, v in meta["params"]["dict"]]
        meta = old_names(meta)
        meta["class"] = cls
        for name in list(arrays):            # array names follow the parameter names
            head, _, rest = name.partition("/")
            if head == "params" and rest.split("/")[0] in old:
                first = rest.split("/")[0]
                new = f"params/{old[first]}" + rest[len(first):]
                arrays[new] = arrays.pop(name)
                meta = json.loads(json.dumps(meta).replace(f'"{name}"', f'"{new}"'))
    rewrite(path, meta, arrays, reseal=True)
    return path
