"""equilin.models.augmentation: the dense optimum on augmented data against the hard-wired equivariant one."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.data import load
from equilin.groups import Permutation, image_group, image_shift
from equilin.models import augment, augmented_gram, compare
from equilin.models.closed_form import DenseAutoencoder


def test_augmented_gram_is_the_gram_of_the_augmented_data() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 9))
    G = image_group("d4", 3, 3)
    A = augment(X, G)
    assert A.shape == (56, 9)
    assert np.allclose(augmented_gram(X, G), A.T @ A / 8, atol=1e-12)
    assert np.allclose(augmented_gram(A, G), A.T @ A, atol=1e-10)         # augmented data is invariant


@pytest.mark.parametrize("action, rank", [("shift-x", 9), ("shift-x", 10), ("d4", 9), ("d4", 10)])
def test_the_two_optima_meet_unless_the_cut_splits_an_eigenvalue(action: str, rank: int) -> None:
    """On the 8 x 8 digits: the dense closed form on the augmented data (its loss against an independent
    dense fit on the materialized augmented data) equals the hard-wired optimum, as a function too,
    whenever the cut at r does not split a repeated eigenvalue; when it does, the dense one is better
    (and not equivariant)."""
    X = load("digits").x_train.reshape(-1, 64).astype(float)
    G = image_group(action, 8, 8)
    out = compare(X, G, rank)
    dense, wired = out["dense augmented"], out["hard-wired"]
    assert dense["loss"] == pytest.approx(DenseAutoencoder(rank).fit(augment(X, G)).train_loss_, rel=1e-9)
    assert wired["equivariance"] < 1e-10
    if out["split"]:
        assert dense["loss"] < wired["loss"] and dense["equivariance"] > 1e-3
    else:
        assert dense["loss"] == pytest.approx(wired["loss"], rel=1e-9)
        assert out["distance"] < 1e-8 and dense["equivariance"] < 1e-10
    # shift-x at r = 10 and d4 at r = 9 split a repeated eigenvalue on these digits
    assert out["split"] == ((action, rank) in {("shift-x", 10), ("d4", 9)})


def test_bad_inputs() -> None:
    s = image_shift(2, 2)
    with pytest.raises(ValueError, match=r"shape \(N >= 1, 4\)"):
        compare(np.zeros((3, 5)), s, 1)
    with pytest.raises(ValueError, match="exceeds n = 4"):
        compare(np.ones((3, 4)), s, 5)
    with pytest.raises(ValueError, match="NaN"):
        augmented_gram(np.full((2, 4), np.nan), s)
    with pytest.raises(ValueError, match="Permutation or a PermutationGroup"):
        augment(np.ones((2, 4)), "(1 2)")
    with pytest.raises(ValueError, match="real numeric"):
        augment(np.ones((2, 2), dtype=complex), Permutation.from_cycles("(1 2)", 2))
