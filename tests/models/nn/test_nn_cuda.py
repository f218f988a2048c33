"""A CUDA smoke test of every module kind of nn_cases.CASES: built on the GPU (moved there, and under
``torch.device("cuda")``), its outputs and gradients equal the CPU's (1e-5 in float32, 1e-10 in
float64), a few train() steps run there, and a saved module loads back onto the GPU with
``map_location``. Skipped without a GPU; on a GPU machine run
``python -m pytest tests/models/nn/test_nn_cuda.py``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from nn_cases import CASE_IDS, CASES, Case

from equilin import load
from equilin.models.nn import DeepEquivariantNetwork, train

DEVICE = "cuda"
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device (torch.cuda.is_available() "
                                                                      "is False)")


def _grads(module: Any, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Outputs and the gradients of the weights and the input for a fixed random cotangent."""
    x = x.clone().requires_grad_(True)
    out = module(x)
    cotangent = torch.from_numpy(np.random.default_rng(1).standard_normal(tuple(out.shape))).to(out)
    module.zero_grad()
    out.backward(cotangent)
    assert x.grad is not None
    return out.detach(), [x.grad] + [p.grad for p in module.parameters()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_a_module_on_the_gpu_computes_what_it_computes_on_the_cpu(case: Case, dtype: torch.dtype,
                                                                   tmp_path: Path) -> None:
    tol = TOLERANCE[dtype]
    cpu = case.build(dtype)
    moved = case.build(dtype).to(DEVICE)
    with torch.device(DEVICE):
        built = case.build(dtype, seed=1)
    built.load_state_dict(cpu.state_dict())
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((6, cpu.n_features))).to(dtype)
    out, grads = _grads(cpu, x)
    scale = max(1.0, float(out.abs().max()))
    for module in (moved, built):
        assert all(t.device.type == DEVICE for t in list(module.parameters()) + list(module.buffers()))
        gpu_out, gpu_grads = _grads(module, x.to(DEVICE))
        torch.testing.assert_close(gpu_out.cpu(), out, atol=tol * scale, rtol=tol)
        for g, h in zip(gpu_grads, grads):
            torch.testing.assert_close(g.cpu(), h, atol=tol * max(1.0, float(h.abs().max())), rtol=tol)
    empty = moved(torch.zeros(0, cpu.n_features, dtype=dtype, device=DEVICE))
    assert empty.shape == (0, cpu.n_outputs) and empty.device.type == DEVICE

    # a few Adam steps on the GPU: finite losses, the weights stay there
    data = np.random.default_rng(2).standard_normal((32, cpu.n_features))
    target = np.random.default_rng(3).standard_normal((32, cpu.n_outputs))
    history = train(moved, data, target, epochs=3, batch_size=8, lr=1e-2, progress=False)
    assert np.isfinite(history["train_loss"]).all()
    assert all(p.device.type == DEVICE for p in moved.parameters())

    # saved from the GPU, loaded onto it (equilin's files; torch.save for the deep network)
    probe = x[:2].to(DEVICE)
    with torch.no_grad():
        expected = moved(probe)
    if isinstance(moved, DeepEquivariantNetwork):
        buffer = io.BytesIO()
        torch.save(moved.state_dict(), buffer)
        buffer.seek(0)
        again = case.build(dtype, seed=1)
        again.load_state_dict(torch.load(buffer, map_location=DEVICE))
        again = again.to(DEVICE)
    else:
        again = load(moved.save(tmp_path / "module.npz"), map_location=DEVICE)
    assert all(t.device.type == DEVICE for t in list(again.parameters()) + list(again.buffers()))
    for key, value in moved.state_dict().items():
        assert torch.equal(again.state_dict()[key], value)
    with torch.no_grad():
        torch.testing.assert_close(again(probe), expected, atol=tol * scale, rtol=tol)
