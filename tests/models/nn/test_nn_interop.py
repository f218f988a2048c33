"""equilin.models.nn under PyTorch's program transformations and exports: every module kind (each kernel
path of EquivariantLinearAutoencoder) compiled (torch.compile), exported (torch.export), traced
(torch.jit.trace), vmapped and differentiated by torch.func, checked by gradcheck and gradgradcheck,
and exported to ONNX (run by onnxruntime), against the eager module.

The cases are small. Paths that equilin takes only for large inputs are reached at small sizes by
lowering the thresholds while the module is built (the forward pass reads only what the constructor
chose): cycles longer than ``DFT_MATRIX_MAX_LENGTH`` (FFTs) and translation groups beyond
``DENSE_LIMIT`` points (the block kernel's Fourier and torus operators). One case has a real cycle
longer than ``DFT_MATRIX_MAX_LENGTH``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from equilin import Permutation, PermutationGroup
from equilin.deep import DeepLinearNetwork, GSet
from equilin.groups import image_group
from equilin.models.nn import (
    DFT_MATRIX_MAX_LENGTH,
    DeepEquivariantNetwork,
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    InvariantLinearAutoencoder,
    IsotypicLinearAutoencoder,
    dft_matrices,
)

SIGMA = Permutation.from_cycles("(1 2 3)(4 5)", 5)
FIVES = Permutation.from_cycles("(1 2 3 4 5)(6 7 8 9 10)(11 12 13)", 13)
L = DFT_MATRIX_MAX_LENGTH + 1   # a cycle of length L, and a 2-cycle
LONG = Permutation.from_cycles("(" + " ".join(map(str, range(1, L + 1))) + f")({L + 1} {L + 2})", L + 2)
Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
DEEP = DeepLinearNetwork(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9),
                         [GSet.channels(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 2)])


def _lowered(name: str, value: int, build: Callable[[], nn.Module]) -> nn.Module:
    """``build()`` with the module constant ``name`` (a size threshold) lowered to ``value``."""
    module, attribute = name.rsplit(".", 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(f"{module}.{attribute}", value)
        return build()


def _equivariant(group: Any, ranks: Any, method: str = "auto") -> Callable[[torch.dtype], nn.Module]:
    return lambda dtype: EquivariantLinearAutoencoder(group, ranks, dtype=dtype, method=method)


BUILDERS: dict[str, Callable[[torch.dtype], nn.Module]] = {
    "dense": lambda dtype: DenseLinearAutoencoder(5, 2, m=4, dtype=dtype),
    "invariant": lambda dtype: InvariantLinearAutoencoder(SIGMA, 2, dtype=dtype),
    # cyclic kernel, DFT matrices: one block batched over two cycle lengths, a complex block
    "cyclic-dft": _equivariant(SIGMA, (1, 1, 1)),
    # the rotations of a 3 x 3 image: cycles (4, 4, 1), not in point order
    "cyclic-rot90": _equivariant(image_group("rot90", 3, 3), (2, 1, 1)),
    # FFTs for the 5-cycles (threshold lowered to 4), a DFT matrix for the 3-cycle, a padded batch
    "cyclic-fft": lambda dtype: _lowered("equilin.models.nn.cyclic_kernel.DFT_MATRIX_MAX_LENGTH", 4,
                                         lambda: EquivariantLinearAutoencoder(FIVES, (1, 2, 1, 1), dtype=dtype)),
    # a real cycle longer than DFT_MATRIX_MAX_LENGTH
    "cyclic-fft-long": _equivariant(LONG, {"r_{1,1}": 1, f"r_{{{L},{L - 1}}}": 1, f"r_{{{L},{L - 3}}}": 1,
                                           "r_{2,1}": 1}),
    # block kernel, orbit operator: non-abelian groups (orbits 1 + 4 + 4; a quaternionic block)
    "block-d4": _equivariant(image_group("d4", 3, 3), (1, 1, 0, 2)),
    "block-q8": _equivariant(Q8, (1, 0, 0, 1, 1)),
    "isotypic": lambda dtype: IsotypicLinearAutoencoder(SIGMA, (1, 1, 1), dtype=dtype),
    # translations: the orbit operator, and the Fourier and torus operators (DENSE_LIMIT lowered)
    "block-shift-xy": _equivariant(image_group("shift-xy", 4, 3), (1, 1, 0, 1, 0, 1, 1)),
    "block-fourier": lambda dtype: _lowered("equilin.models.nn.block_kernel.DENSE_LIMIT", 4, lambda:
                                            _equivariant(image_group("shift-xy", 4, 3), (1, 1, 0, 1, 0, 1, 1))(dtype)),
    "block-torus": lambda dtype: _lowered("equilin.models.nn.block_kernel.DENSE_LIMIT", 4, lambda:
                                          _equivariant(image_group("p4m", 4, 4), (1, 1, 0, 1, 1, 1))(dtype)),
    "deep-linear": lambda dtype: DeepEquivariantNetwork(DEEP, dtype=dtype),
    "deep-tanh-bias": lambda dtype: DeepEquivariantNetwork(DEEP, dtype=dtype, activation="tanh", bias=True),
}
LINEAR = [name for name in BUILDERS if name != "deep-tanh-bias"]
SMALL = [name for name in BUILDERS if name != "cyclic-fft-long"]   # (gradgradcheck: seconds per input)


def test_cases_take_the_paths_they_name() -> None:
    """The lowered thresholds reach the FFT path and the Fourier and torus operators."""
    fft = BUILDERS["cyclic-fft"](torch.float32).kernel
    assert fft.lengths == [3, 5] and fft.use_fft == [False, True]
    assert any(len(b.pieces) > 1 for b in fft.batches) and any(fft._has_padding)
    assert BUILDERS["cyclic-fft-long"](torch.float32).kernel.use_fft == [False, True]
    for name, operator in (("block-shift-xy", "_OrbitOperator"), ("block-fourier", "_FourierOperator"),
                           ("block-torus", "_TorusOperator"), ("block-d4", "_OrbitOperator")):
        assert type(BUILDERS[name](torch.float32).kernel.operator).__name__ == operator


@dataclass
class Case:
    """One module (float32), an input batch and the eager output; artefacts shared between tests."""

    name: str
    module: nn.Module
    x: torch.Tensor
    eager: torch.Tensor
    shared: dict[str, Any] = field(default_factory=dict)

    def inputs(self, batch: int, seed: int = 1) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return torch.randn(batch, self.module.n_features, generator=generator)

    def exported(self) -> torch.export.ExportedProgram:
        """``torch.export.export`` with a dynamic batch dimension (made once per case)."""
        if "exported" not in self.shared:
            batch = torch.export.Dim("batch", min=1)
            self.shared["exported"] = torch.export.export(self.module, (self.x,), dynamic_shapes=({0: batch},))
        return self.shared["exported"]


@pytest.fixture(scope="module", params=list(BUILDERS))
def case(request: pytest.FixtureRequest) -> Case:
    torch.manual_seed(0)
    module = BUILDERS[request.param](torch.float32)
    with torch.no_grad():                      # random weights everywhere (not the zeros of a bias)
        for p in module.parameters():
            p.copy_(torch.randn_like(p))
    module.eval()
    x = torch.randn(4, module.n_features, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        eager = module(x)
    return Case(request.param, module, x, eager)


def close(got: torch.Tensor, expected: torch.Tensor) -> None:
    scale = max(1.0, float(expected.detach().abs().max()))
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5 * scale)


def test_compile_matches_eager(case: Case) -> None:
    torch._dynamo.reset()  # a fresh cache: no silent fallback to eager once a cache limit is reached
    compiled = torch.compile(case.module, backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        close(compiled(case.x), case.eager)


def test_compile_inductor_trains_as_eager() -> None:
    """One case through inductor (generated C++), forward and backward: the cyclic kernel's DFT path."""
    module = BUILDERS["cyclic-dft"](torch.float32)
    x = torch.randn(4, module.n_features)
    torch._dynamo.reset()
    compiled = torch.compile(module, backend="inductor", fullgraph=True)
    close(compiled(x), module(x))
    grads = [torch.autograd.grad((m(x) ** 2).sum(), list(module.parameters())) for m in (compiled, module)]
    for got, expected in zip(*grads):
        close(got, expected)


def test_export_matches_eager(case: Case) -> None:
    """``torch.export`` with a dynamic batch dimension: the same function at other batch sizes."""
    program = case.exported().module()
    close(program(case.x), case.eager)
    for batch in (1, 7):
        x = case.inputs(batch)
        with torch.no_grad():
            close(program(x), case.module(x))


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore:`torch.jit:DeprecationWarning")
def test_jit_trace_matches_eager(case: Case) -> None:
    traced = torch.jit.trace(case.module, (case.x,))
    close(traced(case.x), case.eager)
    x = case.inputs(case.x.shape[0])
    with torch.no_grad():
        close(traced(x), case.module(x))


def test_vmap_matches_loop(case: Case) -> None:
    xs = torch.stack([case.inputs(3, seed) for seed in range(4)])    # 4 batches of 3 samples
    with torch.no_grad():
        close(vmap(case.module)(xs), torch.stack([case.module(x) for x in xs]))


@pytest.mark.parametrize("name", LINEAR)
def test_jacrev_is_the_function_matrix(name: str) -> None:
    module = BUILDERS[name](torch.float64)
    x = torch.randn(1, module.n_features, dtype=torch.float64)
    jacobian = jacrev(module)(x)[0, :, 0, :]            # d y_i / d x_j
    expected = module.function_matrix()
    torch.testing.assert_close(jacobian, expected, rtol=0, atol=1e-12)
    # the function matrix is that of the dense export, an independent product of two weight matrices
    if hasattr(module, "export"):
        first, second = module.export()
        torch.testing.assert_close(expected, second.weight @ first.weight, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", SMALL)
def test_gradcheck_and_gradgradcheck(name: str) -> None:
    """First and second derivatives in the input and in every parameter, against finite differences
    (float64)."""
    torch.manual_seed(0)
    module = BUILDERS[name](torch.float64)
    names = [key for key, _ in module.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for _, p in module.named_parameters())
    x = torch.randn(2, module.n_features, dtype=torch.float64, requires_grad=True)

    def f(x: torch.Tensor, *weights: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = functional_call(module, dict(zip(names, weights)), (x,))
        return out

    assert torch.autograd.gradcheck(f, (x, *params), fast_mode=True)
    assert torch.autograd.gradgradcheck(f, (x, *params), fast_mode=True)


def test_onnx_matches_onnxruntime(case: Case) -> None:
    """``torch.onnx.export`` (the dynamo exporter, from the ``torch.export`` program) with a dynamic
    batch dimension, run by onnxruntime: within 1e-5 of the eager module (float32). FFTs export as
    ONNX ``DFT`` nodes; the cycle of length 257 exports its DFT matrices instead (``dft_matrices``)."""
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    program = case.exported()
    if case.name == "cyclic-fft-long":   # onnxruntime's float32 DFT of length 257 is off by about 2e-5
        with dft_matrices():
            program = torch.export.export(case.module, (case.x,),
                                          dynamic_shapes=({0: torch.export.Dim("batch", min=1)},))
        assert not [node for node in program.graph.nodes if "fft" in str(node.target) and node.op == "call_function"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(program, dynamo=True, verbose=False)
    session = ort.InferenceSession(onnx_program.model_proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    for x in (case.x, case.inputs(7)):
        (got,) = session.run(None, {name: x.numpy()})
        with torch.no_grad():
            expected = case.module(x).numpy()
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() < 1e-5
