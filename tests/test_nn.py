from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import Permutation, PermutationGroup
from equilin.data import load, shift_images
from equilin.equivariance import EquivariantVariety
from equilin.groups import as_group, image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.models.nn import (
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    InvariantLinearAutoencoder,
    train,
)
from equilin.testing import assert_equivariant, assert_invariant

from conftest import permutations, small_general_groups

MNIST_RANKS = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)


def _random_component(sigma: Permutation, rng: np.random.Generator) -> tuple[int, ...]:
    E = EquivariantVariety(sigma, sigma.n)
    return tuple(int(rng.integers(0, b.size + 1)) for b in E.blocks)


@settings(max_examples=30)
@given(permutations(min_n=1, max_n=40), st.integers(0, 2**32))
def test_equivariant_module_is_exactly_equivariant(sigma: Permutation, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ranks = _random_component(sigma, rng)
    torch.manual_seed(seed % 2**31)
    model = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
    M = model.function_matrix().numpy()
    assert_equivariant(M, sigma, atol=1e-10)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), sigma, atol=1e-10)
    assert np.linalg.matrix_rank(M, tol=1e-9 * max(1.0, np.abs(M).max())) <= model.rank
    E = EquivariantVariety.for_ranks(sigma, ranks)
    assert model.rank == E.rank
    assert model.n_parameters() == E.component(ranks).n_params


@settings(max_examples=20)
@given(permutations(min_n=1, max_n=30), st.integers(0, 2**32))
def test_torch_block_coordinates_match_numpy(sigma: Permutation, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = EquivariantLinearAutoencoder(sigma, _random_component(sigma, rng), dtype=torch.float64)
    X = rng.standard_normal((5, sigma.n))
    expected = model.variety.to_blocks(X)
    got = model.to_blocks(torch.from_numpy(X))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g.numpy(), e, atol=1e-12)
    np.testing.assert_allclose(model.from_blocks(got).numpy(), X, atol=1e-12)


@pytest.mark.parametrize("cycles", ["(1 2 3)(4 5 6 7)", None])
def test_fft_path_for_long_cycles_matches_dft_path(cycles: str | None) -> None:
    """Cycles longer than DFT_MATRIX_MAX_LENGTH use FFTs; both paths agree with numpy."""
    from equilin.models.nn import DFT_MATRIX_MAX_LENGTH

    n = DFT_MATRIX_MAX_LENGTH + 44
    sigma = Permutation.from_cycles("(" + " ".join(map(str, range(1, n + 1))) + ")" if cycles is None
                                    else cycles, n)
    rng = np.random.default_rng(0)
    ranks = _random_component(sigma, rng)
    model = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
    X = rng.standard_normal((3, n))
    for e, g in zip(model.variety.to_blocks(X), model.to_blocks(torch.from_numpy(X))):
        np.testing.assert_allclose(g.numpy(), e, atol=1e-11)
    assert_equivariant(lambda V: model(torch.from_numpy(V)).detach().numpy(), sigma, atol=1e-10)


@settings(max_examples=20)
@given(permutations(min_n=1, max_n=20), st.integers(1, 5), st.integers(0, 2**32))
def test_invariant_module_is_exactly_invariant(sigma: Permutation, r: int, seed: int) -> None:
    torch.manual_seed(seed % 2**31)
    model = InvariantLinearAutoencoder(sigma, r, m=3, dtype=torch.float64)
    M = model.function_matrix().numpy()
    assert M.shape == (3, sigma.n)
    assert_invariant(M, sigma, atol=1e-12)
    assert np.linalg.matrix_rank(M) <= r
    assert model.n_parameters() == r * len(PermutationGroup([sigma]).orbits) + 3 * r


def test_parameter_counts_of_the_talk() -> None:
    assert EquivariantLinearAutoencoder(image_shift(28, 28), MNIST_RANKS).n_parameters() == 5_544
    assert DenseLinearAutoencoder(784, 99).n_parameters() == 155_232


def test_from_closed_form_reproduces_the_estimators(rng: np.random.Generator) -> None:
    sigma = Permutation.from_cycles("(1 2 3 4 5 6)(7 8 9)(10 11)", 12)
    X, Y = rng.standard_normal((80, 12)), rng.standard_normal((80, 12))
    for estimator, module_cls in [(DenseAutoencoder(3).fit(X, Y), DenseLinearAutoencoder),
                                  (InvariantAutoencoder(sigma, 2).fit(X, Y), InvariantLinearAutoencoder),
                                  (EquivariantAutoencoder(sigma, "best", rank=5).fit(X, Y),
                                   EquivariantLinearAutoencoder)]:
        module = module_cls.from_closed_form(estimator)
        with torch.no_grad():
            out = module(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(out, estimator.predict(X), atol=1e-10)
        exported = module.export()
        with torch.no_grad():
            np.testing.assert_allclose(exported(torch.from_numpy(X)).numpy(), out, atol=1e-10)
    with pytest.raises(ValueError, match="fitted"):
        DenseLinearAutoencoder.from_closed_form(DenseAutoencoder(2))


def test_closed_form_is_never_worse_than_training(rng: np.random.Generator) -> None:
    """The conjugation trap of docs/math.md section 5 would make the closed form lose to Adam here."""
    sigma = Permutation.from_cycles("(1 2 3 4 5)(6 7 8 9 10)(11 12 13)", 13)
    X = rng.standard_normal((300, 13)) @ rng.standard_normal((13, 13))
    for ranks in [(1, 1, 0, 0), (0, 2, 1, 1), (2, 0, 1, 0)]:
        closed = EquivariantAutoencoder(sigma, ranks).fit(X)
        torch.manual_seed(0)
        module = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
        history = train(module, X, epochs=60, batch_size=50, lr=1e-2, progress=False)
        with torch.no_grad():
            trained = float(torch.mean((module(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2))
        assert closed.train_loss_ <= trained + 1e-12
        assert closed.train_loss_ <= min(history["train_loss"]) + 1e-12


def test_adam_reaches_the_closed_form_on_shifted_digits() -> None:
    """8 x 8 digits shifted horizontally, rank 10: Adam gets within 1% of the exact optimum."""
    images, _ = shift_images(load("digits").x_train.astype(np.float64), seed=0)
    X = images.reshape(len(images), -1)
    sigma = image_shift(8, 8)
    closed = EquivariantAutoencoder(sigma, "best", rank=10).fit(X)
    torch.manual_seed(0)
    module = EquivariantLinearAutoencoder(sigma, tuple(closed.ranks_.values()), dtype=torch.float64)
    train(module, X, epochs=80, batch_size=100, lr=1e-2, progress=False)
    with torch.no_grad():
        trained = float(torch.mean((module(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2))
    assert closed.train_loss_ <= trained
    assert trained <= 1.01 * closed.train_loss_


def test_float32_and_training_options(rng: np.random.Generator) -> None:
    sigma = image_shift(3, 4)
    X = rng.standard_normal((64, 12)).astype(np.float32)
    model = EquivariantLinearAutoencoder(sigma, {"r_{1,1}": 2, "r_{4,3}": 1})
    assert model.function_matrix().dtype == torch.float32
    history = train(model, X, epochs=50, lr=0.05, validation=X[:16], patience=2, progress=False)
    assert len(history["train_loss"]) >= 1 and len(history["val_loss"]) == len(history["train_loss"])
    assert history["best_epoch"] >= 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "epochs"),
    ({"lr": -1.0}, "lr"),
    ({"patience": 3}, "needs validation"),
])
def test_train_bad_arguments(kwargs: dict, message: str) -> None:
    model = DenseLinearAutoencoder(4, 2)
    with pytest.raises(ValueError, match=message):
        train(model, np.zeros((3, 4)), progress=False, **kwargs)


def test_bad_inputs() -> None:
    model = DenseLinearAutoencoder(4, 2)
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        model(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="NaN"):
        train(model, np.full((3, 4), np.nan), progress=False)
    with pytest.raises(ValueError, match="same number of samples"):
        train(model, np.zeros((3, 4)), np.zeros((2, 4)), progress=False)
    with pytest.raises(ValueError, match="dtype"):
        EquivariantLinearAutoencoder(image_shift(2, 2), (1, 0), dtype=torch.int64)
    with pytest.raises(ValueError, match="exceeds the block size"):
        EquivariantLinearAutoencoder(image_shift(2, 2), (5, 0))
    with pytest.raises(ValueError, match="one entry per block"):
        EquivariantLinearAutoencoder(image_shift(2, 2), (1, 0, 0))


class _LargestTensor(torch.overrides.TorchFunctionMode):
    """Records the largest tensor any torch function returns while active."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for value in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(value, torch.Tensor):
                self.largest = max(self.largest, value.numel())
        return out


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
    guard = _LargestTensor()
    with guard:
        out = module(torch.from_numpy(X))
    assert out.shape == (6, n) and guard.largest < n * n // 64
    history = train(module, X, epochs=2, batch_size=3, lr=1e-3, progress=False)
    assert len(history["train_loss"]) == 2 and np.isfinite(history["train_loss"]).all()
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):  # 17 eigh of 1024 x 1024: slow with a contended BLAS pool
        closed = EquivariantAutoencoder(sigma, ranks).fit(X)
    with _LargestTensor() as guard:
        pred = EquivariantLinearAutoencoder.from_closed_form(closed)(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(pred, closed.predict(X), atol=1e-9)
    assert guard.largest < n * n // 64


@pytest.mark.parametrize("cycles", ["(1 2 3 4 5 6)(7 8 9)(10 11)(12 13 14 15)", "(1 2 3 4)(5 6 7 8)", None])
def test_hand_written_backward_passes_gradcheck(cycles: str | None) -> None:
    """The custom autograd functions (mixed cycle lengths with concatenated block coordinates, the
    uniform fast path, the FFT path for a long cycle) against finite differences in float64; entries
    beyond a block's rank, even when set to nonzero values, neither change the function nor get gradient."""
    from equilin.models.nn import DFT_MATRIX_MAX_LENGTH

    if cycles is None:
        n = DFT_MATRIX_MAX_LENGTH + 8
        cycles = "(" + " ".join(map(str, range(1, n - 2))) + f")({n - 2} {n - 1} {n})"
    n = max(int(v) for v in cycles.replace("(", " ").replace(")", " ").split())
    sigma = Permutation.from_cycles(cycles, n)
    rng = np.random.default_rng(3)
    blocks = EquivariantVariety(sigma, n).blocks
    torch.manual_seed(0)
    for _ in range(50):  # some zero ranks, and if possible a batch of unequal ranks (padded weights)
        ranks = tuple(int(rng.integers(0, b.size + 1)) for b in blocks)
        model = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
        padding = [p.detach() == 0 for p in model.parameters()]  # random initial weights are never 0
        if 0 in ranks and any(bool(pad.any()) for pad in padding):
            break
    before = model.function_matrix()
    with torch.no_grad():
        for p, pad in zip(model.parameters(), padding):
            p.add_(pad * torch.rand_like(p))
    torch.testing.assert_close(model.function_matrix(), before, rtol=0, atol=0)
    x = torch.randn(3, n, dtype=torch.float64, requires_grad=True)
    params = tuple(model.parameters())
    checked = params if sum(p.numel() for p in params) <= 400 else ()  # finite differences per entry
    assert torch.autograd.gradcheck(lambda x, *_: model(x), (x, *checked))
    z = torch.randn(2, model.rank, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z, *_: model.decode(z), (z, *checked))
    assert torch.autograd.gradcheck(lambda x, *_: model.encode(x), (x, *checked))
    torch.testing.assert_close(model.decode(model.encode(x)), model(x), rtol=0, atol=1e-12)
    model.zero_grad()
    model(x).square().sum().backward()
    for p, pad in zip(params, padding):
        assert torch.all(p.grad[pad] == 0) and torch.any(p.grad != 0)
    assert np.linalg.matrix_rank(model.function_matrix().numpy(), tol=1e-9) <= model.rank


def test_mnist_component_takes_the_uniform_path() -> None:
    """28 cycles of length 28 in row order: the signal is a view of the input (no gather), the zero
    ranks cost nothing, and the two batches (the real block, the seven complex ones) need 15 spectrum
    rows per cycle, not 29."""
    model = EquivariantLinearAutoencoder(image_shift(28, 28), MNIST_RANKS)
    assert model.kernel.in_place and model.kernel.n_rows == [15]
    assert [(batch.complex, len(batch.blocks)) for batch in model.kernel.batches] == [(False, 1), (True, 7)]
    assert model.n_parameters() == 5_544
    x = torch.rand(4, 784)
    shifted = x.reshape(4, 28, 28).roll(1, dims=2).reshape(4, 784)
    torch.testing.assert_close(model(shifted), model(x).reshape(4, 28, 28).roll(1, dims=2).reshape(4, 784))
    assert model(torch.zeros(0, 784)).shape == (0, 784)


# -- any permutation group: IsotypicLinearAutoencoder ----------------------------------------------
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


def test_isotypic_module_beyond_the_dense_limit() -> None:
    """d4 on 80 x 80 (n = 6,400 > DENSE_LIMIT): the module works orbit-wise, is equivariant in float64,
    and agrees with the decomposition's own block coordinates."""
    from equilin.equivariance import DENSE_LIMIT
    from equilin.groups import image_group
    from equilin.models.nn import IsotypicLinearAutoencoder

    group = image_group("d4", 80, 80)
    assert group.n > DENSE_LIMIT
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, (2, 1, 0, 1, 1), dtype=torch.float64)
    assert model.rank == 2 + 1 + 1 + 2
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-10)
    x = torch.rand(3, group.n, dtype=torch.float64)
    D = model.variety.decomposition
    checked = 0
    for coords, (members, d, reps, k, m, _) in zip(model.kernel._coordinates(x), model.kernel.groups):
        for position, j in enumerate(members):              # (B, m d, reps N) per group -> (N, m reps d)
            i = model.kernel.active[j]
            mine = coords[position].reshape(m, d, reps, 3).permute(3, 0, 2, 1).reshape(3, -1)
            assert np.abs(mine.numpy() - D.vectors_to_block_coordinates(x.numpy(), i)).max() < 1e-12
            checked += 1
    assert checked == len(model.kernel.active) == 4
    assert model(torch.zeros(0, group.n, dtype=torch.float64)).shape == (0, group.n)


def test_isotypic_module_groups_blocks_and_reads_the_per_block_layout() -> None:
    """Blocks of one shape share one batched parameter (shift-xy: one group per field); a state_dict in
    the former layout (one encoders.j / decoders.j per active block) loads into the same function."""
    from equilin.equivariance import EquivariantVariety
    from equilin.groups import image_group
    from equilin.models.nn import IsotypicLinearAutoencoder

    group = image_group("shift-xy", 6, 6)
    ranks = next(EquivariantVariety(group, 9).components()).ranks
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, ranks, dtype=torch.float64)
    assert [(g[0], g[1]) for g in model.kernel.groups] == [([0, 3, 5], 1), ([1, 2, 4], 2)]   # (blocks, field dim)
    assert not model.kernel._identity_codes           # real and complex blocks interleave in block order
    assert model.n_parameters() == model.component.n_params
    legacy = {}
    for j in range(len(model.kernel.active)):
        enc, dec = model.block_parameters(j)
        legacy[f"encoders.{j}"], legacy[f"decoders.{j}"] = enc.detach().clone(), dec.detach().clone()
    fresh = IsotypicLinearAutoencoder(group, ranks, dtype=torch.float64)
    fresh.load_state_dict(legacy)
    x = torch.rand(4, group.n, dtype=torch.float64)
    assert torch.allclose(fresh(x), model(x), atol=1e-14)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-12)
    # codes come back in the order of the active blocks, whatever the grouping
    z = model.encode(x)
    assert torch.allclose(model.decode(z), model(x), atol=1e-14)
    first = model.kernel.active[0]
    C = model.variety.decomposition.vectors_to_block_coordinates(x.numpy(), first)
    enc, _ = model.block_parameters(0)
    assert np.allclose(z[:, :enc.shape[1]].detach().numpy(), C @ enc[0].detach().numpy().T)


def test_the_fourier_operator_is_the_twin_of_the_numpy_decomposition() -> None:
    """The torch FFT operator (used for translation groups beyond the dense limit) gives the numpy
    decomposition's block coordinates and their adjoint, to 1e-12 in float64, also where it is not
    chosen (checked against the orbit-wise operator on the same blocks); 96 x 96 images use it."""
    from equilin.equivariance import EquivariantVariety
    from equilin.groups import image_group, volume_group
    from equilin.models.nn import IsotypicLinearAutoencoder
    from equilin.models.nn.modules import _FourierOperator, _OrbitOperator

    rng = np.random.default_rng(0)
    for group in (image_group("shift-xy", 6, 10), image_group("shift-xy", 6, 4, 2), volume_group("shift-xyz", 3, 4, 2),
                  PermutationGroup.from_cycles(["(1 2)", "(3 4 5)", "(6 7)(8 9)"], 11)):
        D = EquivariantVariety(group, 1, method="abelian").decomposition
        blocks = list(rng.permutation(len(D.blocks))[: max(1, len(D.blocks) // 2)])
        fourier = _FourierOperator(D, blocks, torch.float64)
        orbit = _OrbitOperator(D, blocks, torch.float64)
        x = torch.from_numpy(rng.standard_normal((3, group.n)))
        Y = fourier.coordinates(x)
        expected = np.concatenate([D.vectors_to_block_coordinates(x.numpy(), i) for i in blocks], axis=1)
        assert np.abs(Y.numpy() - expected).max() < 1e-12
        assert np.abs(orbit.coordinates(x).numpy() - expected).max() < 1e-12
        Z = torch.from_numpy(rng.standard_normal(Y.shape))
        assert np.abs(fourier.vectors(Z).numpy() - orbit.vectors(Z).numpy()).max() < 1e-12
        # adjoint: <coordinates(x), Z> = <x, vectors(Z)>
        assert abs(float((Y * Z).sum() - (x * fourier.vectors(Z)).sum())) < 1e-10
    group = image_group("shift-xy", 96, 96)                       # one orbit of 9,216 > DENSE_LIMIT points
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, next(EquivariantVariety(group, 8).components()).ranks,
                                      dtype=torch.float64)
    assert isinstance(model.kernel.operator, _FourierOperator)
    assert model(torch.zeros(0, group.n, dtype=torch.float64)).shape == (0, group.n)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-10)
    x = torch.rand(2, group.n, dtype=torch.float64, requires_grad=True)
    ((model(x) - x) ** 2).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
