"""equilin.models.nn.equivariant: one module class for every permutation group, exactly equivariant, with
the parameter counts of the talk, the closed forms of every method, and no n x n tensor for large n."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_helpers import MNIST_RANKS, LargestTensor, random_component

from equilin import Permutation, PermutationGroup
from equilin.equivariance import EquivariantVariety
from equilin.groups import as_group, image_shift
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn import (
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    train,
)
from equilin.testing import assert_equivariant

from conftest import permutations, small_general_groups


@settings(max_examples=30)
@given(permutations(min_n=1, max_n=40), st.integers(0, 2**32))
def test_equivariant_module_is_exactly_equivariant(sigma: Permutation, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ranks = random_component(sigma, rng)
    torch.manual_seed(seed % 2**31)
    model = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
    M = model.function_matrix().numpy()
    assert_equivariant(M, sigma, atol=1e-10)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), sigma, atol=1e-10)
    assert np.linalg.matrix_rank(M, tol=1e-9 * max(1.0, np.abs(M).max())) <= model.rank
    E = EquivariantVariety.for_ranks(sigma, ranks)
    assert model.rank == E.rank
    assert model.n_parameters() == E.component(ranks).n_params


def test_parameter_counts_of_the_talk() -> None:
    assert EquivariantLinearAutoencoder(image_shift(28, 28), MNIST_RANKS).n_parameters() == 5_544
    assert DenseLinearAutoencoder(784, 99).n_parameters() == 155_232


@pytest.mark.parametrize("sigma", [image_shift(64, 64), image_shift(32 * 32, 32)],
                         ids=["64x64-image", "32^3-volume-shift-x"])
def test_large_n_module_without_n_by_n(sigma: Permutation) -> None:
    """n = 4,096 and n = 32,768: building the module (numpy, traced by tracemalloc), its parameters
    and every tensor of a forward pass stay far below n x n; training steps and export of the closed
    form work."""
    import tracemalloc

    n = sigma.n
    blocks = EquivariantVariety(sigma, 0).blocks
    ranks = (3,) + (1,) * (len(blocks) - 2) + (2,)
    X = np.random.default_rng(0).standard_normal((6, n))
    tracemalloc.start()
    module = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < n * n * 8 // 64
    assert sum(p.numel() for p in module.parameters()) < n * n // 64
    guard = LargestTensor()
    with guard:
        out = module(torch.from_numpy(X))
    assert out.shape == (6, n) and guard.largest < n * n // 64
    history = train(module, X, epochs=2, batch_size=3, lr=1e-3, progress=False)
    assert len(history["train_loss"]) == 2 and np.isfinite(history["train_loss"]).all()
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):  # 17 eigh of 1024 x 1024: slow with a contended BLAS pool
        closed = EquivariantAutoencoder(sigma, ranks).fit(X)
    with LargestTensor() as guard:
        pred = EquivariantLinearAutoencoder.from_closed_form(closed)(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(pred, closed.predict(X), atol=1e-9)
    assert guard.largest < n * n // 64


@pytest.mark.parametrize("index", range(4))
def test_isotypic_module_every_component_and_closed_form(index: int) -> None:
    from equilin.equivariance import EquivariantVariety
    from equilin.models.nn import IsotypicLinearAutoencoder

    group = small_general_groups()[index]
    rng = np.random.default_rng(index)
    torch.manual_seed(index)
    X = rng.standard_normal((150, group.n)) @ rng.standard_normal((group.n, group.n))
    for r in range(1, group.n + 1):
        E = EquivariantVariety(group, r)
        for component in E.components():
            module = IsotypicLinearAutoencoder(group, component.ranks, dtype=torch.float64)
            M = module.function_matrix().numpy()
            assert E.is_equivariant(M, 1e-10)
            assert np.linalg.matrix_rank(M, 1e-8) == component.max_rank == module.rank
            assert module.n_parameters() == component.n_params
        estimator = EquivariantAutoencoder(group, "best", rank=r).fit(X)
        module = IsotypicLinearAutoencoder.from_closed_form(estimator)
        np.testing.assert_allclose(module.function_matrix().numpy(), estimator.function_matrix(), atol=1e-10)


@pytest.mark.parametrize("case", ["cyclic", "two generators", "shift-xy", "pair", "p4m", "dihedral"])
def test_one_module_class_agrees_across_methods(case: str) -> None:
    """One class for every group: where several methods apply they give the same blocks (labels and
    order), and the modules copied from their closed-form fits compute the same function (1e-10)."""
    from equilin.groups import image_group

    sigma = Permutation.from_cycles("(1 2 3 4)(5 6)", 7)
    group, methods = {
        "cyclic": (sigma, ("fourier", "abelian", "generic")),
        "two generators": (PermutationGroup([sigma ** 2, sigma]), ("fourier", "generic")),
        "shift-xy": (image_group("shift-xy", 3, 4), ("abelian", "generic")),
        "pair": (PermutationGroup.from_cycles(["(1 2)", "(3 4)"], 5), ("abelian", "generic")),
        "p4m": (image_group("p4m", 4, 4), ("torus", "generic")),
        "dihedral": (PermutationGroup.from_cycles(["(1 2 3 4 5)", "(2 5)(3 4)"], 5), ("torus", "generic")),
    }[case]
    X = np.random.default_rng(1).standard_normal((60, as_group(group).n))
    first = EquivariantVariety(group, 3, method=methods[0])
    ranks = next(first.components()).ranks
    outputs = []
    for method in methods:
        assert EquivariantVariety(group, 3, method=method).labels == first.labels
        closed = EquivariantAutoencoder(group, ranks, method=method).fit(X)
        module = EquivariantLinearAutoencoder.from_closed_form(closed)
        assert type(module) is EquivariantLinearAutoencoder and module.method == method
        out = module(torch.from_numpy(X)).detach().numpy()
        np.testing.assert_allclose(out, closed.predict(X), atol=1e-10)
        outputs.append(out)
    for out in outputs[1:]:
        np.testing.assert_allclose(out, outputs[0], atol=1e-10)


def test_isotypic_module_trains_saves_and_stays_equivariant(tmp_path) -> None:
    from equilin.equivariance import EquivariantVariety
    from equilin.models.nn import IsotypicLinearAutoencoder

    group = small_general_groups()[0]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 8)) @ rng.standard_normal((8, 8))
    torch.manual_seed(0)
    module = IsotypicLinearAutoencoder(group, {"r_{V5}": 1}, dtype=torch.float64)
    history = train(module, X, epochs=200, batch_size=64, lr=1e-2, seed=0, progress=False)
    closed = EquivariantAutoencoder(group, {"r_{V5}": 1}).fit(X)
    assert history["train_loss"][-1] <= 1.01 * closed.train_loss_   # reaches the global optimum
    assert EquivariantVariety(group, 4).is_equivariant(module.function_matrix().numpy(), 1e-10)
    again = IsotypicLinearAutoencoder.load(module.save(tmp_path / "q8.npz"))
    x = torch.from_numpy(X[:5])
    assert torch.equal(again(x), module(x))
    cyclic = EquivariantAutoencoder(Permutation.from_cycles("(1 2 3)", 3), (1, 0)).fit(X[:, :3])
    with pytest.raises(ValueError, match="block kernel"):       # the compatibility class: never 'fourier'
        IsotypicLinearAutoencoder.from_closed_form(cyclic)
    assert EquivariantLinearAutoencoder.from_closed_form(cyclic).method == "fourier"
