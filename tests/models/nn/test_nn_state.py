"""The torch modules of equilin.models.nn behave as PyTorch users expect of state: the meta-device
initialization pattern, deepcopy and pickling, state_dict round trips, dtype conversions, empty
batches, train()'s argument checks, and an install hint without torch. Every test runs over every
module kind of nn_cases.CASES."""

from __future__ import annotations

import copy
import io
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from nn_cases import CASE_IDS, CASES, Case

from equilin.models.nn import EquivariantLinearAutoencoder, train

cases = pytest.mark.parametrize("case", CASES, ids=CASE_IDS)


def _input(module: Any, N: int = 3, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(5).standard_normal((N, module.n_features))).to(dtype)


def _outputs(module: Any, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out: torch.Tensor = module(x)
    return out


def _all_tensors(module: Any) -> list[torch.Tensor]:
    return list(module.parameters()) + list(module.buffers())


@cases
def test_meta_device_initialization_gives_the_reference_function(case: Case) -> None:
    """Built on the meta device (under ``torch.device("meta")`` or moved there), materialized with
    ``to_empty`` and loaded (or loaded with ``assign=True``): the reference's outputs, bit for bit."""
    ref = case.build()
    x = _input(ref)
    expected = _outputs(ref, x)
    assert expected.abs().max() > 0                          # a function that can tell wrong weights apart
    moved = case.build(seed=1).to("meta")
    with torch.device("meta"):
        built = case.build(seed=1)
    assert all(t.device.type == "meta" for t in _all_tensors(moved) + _all_tensors(built))
    for module in (moved, built):
        module.to_empty(device="cpu")
        module.load_state_dict(ref.state_dict())
        assert torch.equal(_outputs(module, x), expected)
    with torch.device("meta"):
        assigned = case.build(seed=1)
    assigned.load_state_dict(ref.state_dict(), assign=True)
    assert all(t.device.type == "cpu" for t in _all_tensors(assigned))
    assert torch.equal(_outputs(assigned, x), expected)


@cases
def test_state_dict_holds_the_weights_and_round_trips(case: Case) -> None:
    """The state_dict is the parameters (structure is rebuilt, never stored: files of format version 4
    keep their keys); loaded into a module with other weights it gives the reference's function."""
    ref = case.build()
    state = ref.state_dict()
    assert set(state) == {name for name, _ in ref.named_parameters()}
    fresh = case.build(seed=1)
    x = _input(ref)
    assert not torch.equal(_outputs(fresh, x), _outputs(ref, x))
    fresh.load_state_dict(state)
    assert torch.equal(_outputs(fresh, x), _outputs(ref, x))


@cases
def test_deepcopy_and_pickle_give_independent_equal_modules(case: Case) -> None:
    ref = case.build()
    x = _input(ref)
    expected = _outputs(ref, x)
    buffer = io.BytesIO()
    torch.save(ref, buffer)
    buffer.seek(0)
    copies = [copy.deepcopy(ref), pickle.loads(pickle.dumps(ref)), torch.load(buffer, weights_only=False)]
    for other in copies:
        assert type(other) is type(ref)
        assert torch.equal(_outputs(other, x), expected)
        with torch.no_grad():
            next(other.parameters()).add_(1.0)               # the copy's weights are its own
        assert torch.equal(_outputs(ref, x), expected)
        assert not torch.equal(_outputs(other, x), expected)


@cases
def test_dtype_conversions_are_exact_and_other_dtypes_are_refused(case: Case) -> None:
    """float32 -> float64 gives the module built in float64 (structure rebuilt from float64, not cast
    from float32 roundings), float64 -> float32 the one built in float32; float16 and bfloat16 are
    refused at construction and at the forward pass, and an input of another dtype is refused."""
    ref64, ref32 = case.build(torch.float64), case.build(torch.float32, seed=1)
    ref32.load_state_dict(ref64.state_dict())               # (the weights rounded to float32)
    x = _input(ref64)
    up = case.build(torch.float32, seed=1).to(torch.float64)
    up.load_state_dict(ref64.state_dict())
    assert all(t.dtype == torch.float64 for t in _all_tensors(up) if t.is_floating_point())
    assert torch.equal(_outputs(up, x), _outputs(ref64, x))
    down = copy.deepcopy(ref64).float()
    assert torch.equal(_outputs(down, x.float()), _outputs(ref32, x.float()))
    for dtype in (torch.float16, torch.bfloat16):
        with pytest.raises(ValueError, match="dtype must be torch.float32 or torch.float64"):
            case.build(dtype)
        with pytest.raises(ValueError, match=f"is in {dtype}; equilin's modules compute in float32 or float64"):
            copy.deepcopy(ref32).to(dtype)(x.to(dtype))
    with pytest.raises(ValueError, match=r"input dtype torch.float32 differs from the module's torch.float64"):
        ref64(x.float())


@cases
def test_an_empty_batch_gives_an_empty_output_and_zero_gradients(case: Case) -> None:
    """As ``nn.Linear``: output ``(0, m)``, the input's gradient ``(0, n)``, every weight's gradient zero."""
    module = case.build()
    x = torch.zeros(0, module.n_features, dtype=torch.float64, requires_grad=True)
    out = module(x)
    assert out.shape == (0, module.n_outputs)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == (0, module.n_features)
    for p in module.parameters():
        assert p.grad is not None and torch.equal(p.grad, torch.zeros_like(p))
    if isinstance(module, EquivariantLinearAutoencoder):
        assert module.encode(x).shape == (0, module.rank)
        assert module.decode(torch.zeros(0, module.rank, dtype=torch.float64)).shape == (0, module.n_features)


@cases
def test_train_runs_and_checks_its_arguments(case: Case) -> None:
    module = case.build()
    n, m = module.n_features, module.n_outputs
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((16, n)), rng.standard_normal((16, m))
    history = train(module, X, Y, epochs=3, batch_size=8, lr=1e-2, validation=(X[:4], Y[:4]), progress=False)
    assert len(history["train_loss"]) == 3 and np.isfinite(history["train_loss"]).all()
    with pytest.raises(ValueError, match=r"X has no samples \(shape \(0, "):
        train(module, np.zeros((0, n)), progress=False)
    with pytest.raises(ValueError, match=f"X must have {n} columns \\(the model's n_features\\), got shape"):
        train(module, np.zeros((4, n + 1)), np.zeros((4, m)), progress=False)
    with pytest.raises(ValueError, match=f"Y must have {m} columns \\(the model's n_outputs\\), got shape"):
        train(module, X, np.zeros((16, 1)), progress=False)
    with pytest.raises(ValueError, match="validation X must have"):
        train(module, X, Y, validation=(np.zeros((2, n + 1)), np.zeros((2, m))), progress=False)
    with pytest.raises(ValueError, match="X must be 2-D"):
        train(module, np.zeros(n), progress=False)
    with pytest.raises(ValueError, match="X must be a real numeric tensor, got dtype torch.complex128"):
        train(module, torch.zeros(4, n, dtype=torch.complex128), progress=False)
    for p in module.parameters():
        p.requires_grad_(False)
    with pytest.raises(ValueError, match="has no trainable parameters"):
        train(module, X, Y, progress=False)


def test_train_refuses_a_module_without_parameters_and_shapes_that_would_broadcast() -> None:
    """All ranks 0: the zero function, nothing to fit (a clear error, not a bare StopIteration); a model
    that does not say its widths still gets its outputs' shape checked against the targets."""
    from nn_cases import SIGMA

    empty = EquivariantLinearAutoencoder(SIGMA, (0, 0, 0))
    assert empty.n_parameters() == 0
    with pytest.raises(ValueError, match="EquivariantLinearAutoencoder has no trainable parameters"):
        train(empty, np.zeros((4, 5)), progress=False)
    with pytest.raises(ValueError, match="model must be a torch.nn.Module, got str"):
        train("model", np.zeros((4, 5)), progress=False)  # type: ignore[arg-type]
    plain = torch.nn.Linear(5, 1).double()
    with pytest.raises(ValueError, match=r"maps a batch to shape \(4, 1\), but the targets of that batch have shape "
                                         r"\(4, 3\)"):
        train(plain, np.zeros((4, 5)), np.zeros((4, 3)), progress=False)


def test_without_torch_the_torch_parts_say_how_to_install_it(tmp_path: Path) -> None:
    """torch made unimportable in a fresh interpreter: ``import equilin`` works, ``import
    equilin.models.nn`` and ``equilin.load`` of a module file raise ImportError with the install hint."""
    path = CASES[0].build().save(tmp_path / "dense.npz")
    script = textwrap.dedent(f"""
        import sys

        class NoTorch:  # as if torch were not installed (a None in sys.modules would break scipy's checks)
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

        sys.meta_path.insert(0, NoTorch())
        import equilin
        for attempt in (lambda: __import__("equilin.models.nn"), lambda: equilin.load({str(path)!r})):
            try:
                attempt()
            except ImportError as exc:
                print("ImportError:", exc)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": ":".join(sys.path)})
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout + result.stderr
    assert lines[0] == ("ImportError: equilin.models.nn needs PyTorch, which is not installed: "
                        "pip install 'equilin[torch]'")
    assert lines[1].startswith("ImportError: ") and "holds a torch module" in lines[1]
    assert "pip install 'equilin[torch]'" in lines[1]
