"""equilin.io.tensorfile: torch modules as .safetensors files. Exact round trips, the state dict that
torch users' own tools read (``safetensors.torch.load_file`` -> ``load_state_dict``), refusal of
estimators, of plain state dicts and of edited files, deterministic bytes, and the install hint."""

from __future__ import annotations

import builtins
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

safetensors_torch = pytest.importorskip("safetensors.torch")

from equilin import load as load_any  # noqa: E402
from equilin.groups import image_group, image_shift  # noqa: E402
from equilin.io import PersistenceError, check_save_path, load, read_metadata, save  # noqa: E402
from equilin.models.closed_form import DenseAutoencoder  # noqa: E402
from equilin.models.nn import (  # noqa: E402
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    InvariantLinearAutoencoder,
)

MODULES = {
    "dense": lambda dtype: DenseLinearAutoencoder(6, 2, 5, dtype=dtype),
    "invariant": lambda dtype: InvariantLinearAutoencoder(image_shift(2, 3), 2, 4, dtype=dtype),
    "equivariant-cyclic": lambda dtype: EquivariantLinearAutoencoder(image_shift(3, 4), (1, 1, 0), dtype=dtype),
    "equivariant-d4": lambda dtype: EquivariantLinearAutoencoder(image_group("d4", 3, 3), {"r_{V1}": 2, "r_{V4}": 1},
                                                                 dtype=dtype, seed=3),
}


def header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file, read by the format's definition (8-byte length, JSON)."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    parsed: dict[str, Any] = json.loads(data[8:8 + n])
    return parsed


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_round_trip_and_torch_interoperability(name: str, dtype: torch.dtype, tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = MODULES[name](dtype)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_()
    path = module.save(tmp_path / "m.safetensors")
    x = torch.randn(3, module.n_features, dtype=dtype)
    again = type(module).load(path)
    assert type(again) is type(module) and torch.equal(again(x), module(x))
    assert type(load_any(path)) is type(module)
    # what a torch user does with the file, with safetensors' own reader: the same state dict
    state = safetensors_torch.load_file(str(path))
    expected = module.state_dict()
    assert sorted(state) == sorted(expected)
    assert all(torch.equal(state[k], expected[k]) and state[k].dtype == dtype for k in expected)
    fresh = type(module).from_constructor_args(module.constructor_args(), str(dtype).removeprefix("torch."))
    assert not torch.equal(fresh(x), module(x)) or name == "invariant"
    result = fresh.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys and torch.equal(fresh(x), module(x))
    meta = header(path)["__metadata__"]
    assert (meta["format"], meta["format_version"], meta["class"], meta["dtype"]) == (
        "equilin-model", "4", type(module).__name__, str(dtype).removeprefix("torch."))
    assert meta["checksum"] == read_metadata(path)["checksum"]["hexdigest"]


def test_the_same_module_gives_the_same_bytes(tmp_path: Path) -> None:
    """safetensors writes its metadata in hash order; equilin sorts it."""
    module = MODULES["equivariant-cyclic"](torch.float64)
    first = save(module, tmp_path / "a.safetensors").read_bytes()
    assert save(module, tmp_path / "b.SAFETENSORS").read_bytes() == first
    assert list(header(tmp_path / "a.safetensors")["__metadata__"]) == sorted(header(tmp_path / "a.safetensors")
                                                                             ["__metadata__"])


def test_estimators_are_refused(tmp_path: Path) -> None:
    model = DenseAutoencoder(1).fit(np.eye(3))
    for call in (lambda: save(model, tmp_path / "m.safetensors"),
                 lambda: check_save_path(tmp_path / "m.safetensors", model)):
        with pytest.raises(PersistenceError, match="cannot save an estimator to .*m.safetensors: a .safetensors "
                                                   "file holds the tensors of a torch module"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_a_plain_state_dict_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    safetensors_torch.save_file(DenseLinearAutoencoder(3, 1).state_dict(), str(path))
    with pytest.raises(PersistenceError, match="without equilin's metadata .*load_state_dict"):
        load(path)


def _edit(path: Path, change: Any) -> None:
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    head = json.loads(data[8:8 + n])
    change(head)
    text = json.dumps(head).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n:])


@pytest.mark.parametrize(("change", "message"), [
    (lambda h: h["__metadata__"].update({"class": "DenseLinearAutoencoder"}), "the safetensors metadata says class"),
    (lambda h: h["__metadata__"].update({"equilin_arrays": "{}"}), "the arrays disagree with the manifest"),
    (lambda h: h["__metadata__"].update({"equilin_arrays": "[1"}), "the equilin_arrays metadata"),
    (lambda h: h["__metadata__"].update({"equilin": "{"}), "not valid JSON"),
    (lambda h: h.update({"encoders.9": h.pop("encoders.0")}), "the arrays disagree with the manifest"),
])
def test_edited_files_are_refused(change: Any, message: str, tmp_path: Path) -> None:
    path = save(MODULES["equivariant-cyclic"](torch.float64), tmp_path / "m.safetensors")
    _edit(path, change)
    with pytest.raises(PersistenceError, match=message):
        load(path)


def test_changed_weights_fail_the_checksum(tmp_path: Path) -> None:
    path = save(MODULES["dense"](torch.float64), tmp_path / "m.safetensors")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match="checksum mismatch"):
        load(path)
    path.write_bytes(bytes(data[:-5]))
    with pytest.raises(PersistenceError, match="corrupted"):
        load(path)


def test_without_the_safetensors_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = MODULES["dense"](torch.float32)
    saved = save(module, tmp_path / "m.safetensors")
    real_import = builtins.__import__

    def no_safetensors(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("safetensors"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_safetensors)
    hint = "need the safetensors package: pip install 'equilin\\[safetensors\\]'"
    for call in (lambda: save(module, tmp_path / "n.safetensors"),
                 lambda: check_save_path(tmp_path / "n.safetensors", module), lambda: load(saved)):
        with pytest.raises(ImportError, match=hint):
            call()
    assert save(module, tmp_path / "m.npz").exists()                 # .npz needs nothing more
