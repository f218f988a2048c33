from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import permutations
from equilin import Permutation, PermutationGroup
from equilin.data import load, shift_images
from equilin.equivariant import EquivariantVariety
from equilin.fit import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.groups import image_shift
from equilin.nn import (
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    InvariantLinearAutoencoder,
    train,
)
from equilin.testing import assert_equivariant, assert_invariant

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
    assert model.rank == E.r
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
    from equilin.nn import DFT_MATRIX_MAX_LENGTH

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
                                  (EquivariantAutoencoder(sigma, "best", r=5).fit(X, Y),
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
    """The conjugation trap of MATH.md section 5 would make the closed form lose to Adam here."""
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
    closed = EquivariantAutoencoder(sigma, "best", r=10).fit(X)
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
