"""equilin.models.nn.deep: weight-shared deep equivariant networks, exact equivariance and the global optimum
reached by Adam."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equilin.data import load, shift_images
from equilin.deep import DeepLinearNetwork, GSet, LinearLayer
from equilin.groups import Permutation, PermutationGroup, image_group, image_shift
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn import DeepEquivariantNetwork, train
from equilin.testing import assert_equivariant

SIGMA = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
D4 = image_group("d4", 3, 3)
Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)


@pytest.mark.parametrize("group, hidden", [
    (SIGMA, lambda G: [GSet.channels(G, 2), GSet.cosets(G, [SIGMA ** 2])]),
    (D4, lambda G: [GSet.regular(G), GSet.channels(G, 1), GSet.cosets(G, [G.generators[0]])]),
    (Q8, lambda G: [GSet.cosets(G, ["(1 2)(3 4)(5 6)(7 8)"])]),
], ids=["rotation", "d4", "Q8"])
def test_exactly_equivariant_and_in_the_function_space(group, hidden) -> None:
    """For random weights, float64: every layer commutes with the group (1e-12), the end-to-end map is
    equivariant (equilin.testing, 1e-10) with block ranks at most the bottleneck b."""
    net = DeepLinearNetwork(group, hidden(group))
    torch.manual_seed(1)
    model = DeepEquivariantNetwork(net, dtype=torch.float64)
    assert model.n_parameters() == net.n_params
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-10)
    layers = net.layers()
    for l in range(1, len(layers)):
        W = model.layer_matrix(l).detach().numpy()
        for s, t in zip(layers[l].images, layers[l - 1].images):
            assert np.abs(s.matrix() @ W - W @ t.matrix()).max() < 1e-12
    M = model.function_matrix().numpy()
    found = net.variety.block_ranks(M)
    assert all(found[b.label] <= k for b, k in zip(net.blocks, net.bottleneck))


def test_adam_reaches_the_closed_form_of_the_function_space_on_the_digits() -> None:
    """On the 8 x 8 digits shifted horizontally: a depth-3 network through G/1 (an 8-cycle) and G/<s^4>
    (a 4-cycle), b = (1, 0, 1, 0, 1); Adam ends within 1% of the closed-form optimum with those ranks,
    which is the global minimum over the function space."""
    images, _ = shift_images(load("digits").x_train.astype(float), seed=0)
    X = images.reshape(len(images), -1)
    G = image_shift(8, 8)
    net = DeepLinearNetwork(G, [GSet.cosets(G, []), GSet.cosets(G, [G ** 4])])
    ranks = tuple(net.function_space().ranks.values())
    assert ranks == (1, 0, 1, 0, 1)
    closed = EquivariantAutoencoder(G, ranks).fit(X)
    torch.manual_seed(0)
    model = DeepEquivariantNetwork(net, dtype=torch.float64)
    train(model, X, epochs=300, batch_size=256, lr=3e-3, progress=False)
    with torch.no_grad():
        loss = float(((model(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2).mean())
    assert closed.train_loss_ <= loss <= 1.01 * closed.train_loss_


def test_bad_networks() -> None:
    with pytest.raises(ValueError, match="LinearLayer: this module permutes neurons"):
        DeepEquivariantNetwork(DeepLinearNetwork(SIGMA, [LinearLayer({"r_{1,1}": 1})]))
    with pytest.raises(ValueError, match="DeepLinearNetwork"):
        DeepEquivariantNetwork("net")                          # type: ignore[arg-type]
    net = DeepLinearNetwork(SIGMA, [GSet.channels(SIGMA, 1)])
    with pytest.raises(ValueError, match="dtype"):
        DeepEquivariantNetwork(net, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"shape \(N, 9\)"):
        DeepEquivariantNetwork(net)(torch.zeros(2, 8))
    with pytest.raises(ValueError, match="l must be 1..2"):
        DeepEquivariantNetwork(net).layer_matrix(3)


@pytest.mark.parametrize("group, hidden", [
    (SIGMA, lambda G: [GSet.channels(G, 2), GSet.cosets(G, [SIGMA ** 2])]),
    (D4, lambda G: [GSet.regular(G), GSet.channels(G, 1), GSet.cosets(G, [G.generators[0]])]),
    (Q8, lambda G: [GSet.regular(G), GSet.cosets(G, ["(1 2)(3 4)(5 6)(7 8)"])]),
    (image_group("p4m", 3, 3), lambda G: [GSet.cosets(G, [G.generators[2]]), GSet.channels(G, 1)]),
], ids=["rotation", "d4", "Q8", "p4m"])
def test_closed_form_through_the_layers(group, hidden) -> None:
    """The closed-form optimum with the bottleneck's ranks, factored through the hidden G-sets: the module
    computes the estimator's function (1e-10), and a matrix above the bottleneck is refused."""
    net = DeepLinearNetwork(group, hidden(group))
    rng = np.random.default_rng(3)
    n = net.group.n
    X = rng.standard_normal((60, n)) @ rng.standard_normal((n, n))
    closed = EquivariantAutoencoder(group, tuple(net.function_space().ranks.values())).fit(X)
    module = DeepEquivariantNetwork.from_closed_form(net, closed)
    with torch.no_grad():
        assert np.abs(module(torch.from_numpy(X)).numpy() - closed.predict(X)).max() < 1e-10
    wide = EquivariantAutoencoder(group, tuple(b.size for b in net.blocks)).fit(X)   # the identity: too wide
    if any(k < b.size for b, k in zip(net.blocks, net.bottleneck)):
        with pytest.raises(ValueError, match="above the bottleneck"):
            DeepEquivariantNetwork.from_closed_form(net, wide)


@pytest.mark.parametrize("activation", ["relu", "gelu", "tanh", "power:2", "power:3"])
@pytest.mark.parametrize("group, hidden", [
    (SIGMA, lambda G: [GSet.channels(G, 2), GSet.cosets(G, [SIGMA ** 2])]),
    (D4, lambda G: [GSet.regular(G), GSet.channels(G, 1)]),
    (Q8, lambda G: [GSet.regular(G), GSet.cosets(G, ["(1 2)(3 4)(5 6)(7 8)"]), GSet.of(G)]),
], ids=["rotation", "d4", "Q8"])
def test_pointwise_activations_on_permuted_neurons_stay_equivariant(group, hidden, activation: str) -> None:
    """Any pointwise activation between permuted layers, with biases constant on the orbits of units,
    keeps the network exactly equivariant (float64, equilin.testing, 1e-10)."""
    net = DeepLinearNetwork(group, hidden(group))
    torch.manual_seed(2)
    model = DeepEquivariantNetwork(net, dtype=torch.float64, activation=activation, bias=True)
    with torch.no_grad():
        for b in model.biases:
            b.uniform_(-1.0, 1.0)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-10)
    out = model(torch.rand(5, net.group.n, dtype=torch.float64))
    assert torch.isfinite(out).all()


def test_a_pointwise_activation_in_fourier_or_isotypic_coordinates_is_not_equivariant() -> None:
    """relu on the pixels commutes with the group; relu on the coordinates in Q (the Fourier basis of a
    cyclic group, the isotypic basis of d4) does not."""
    from equilin.equivariance import EquivariantVariety
    from equilin.testing import equivariance_error

    for group in (SIGMA, D4):
        Q = EquivariantVariety(group, 9).Q()
        assert equivariance_error(lambda X: np.maximum(X, 0.0), group) < 1e-12
        assert equivariance_error(lambda X: np.maximum(X @ Q, 0.0) @ Q.T, group) > 1e-2


def test_activation_arguments() -> None:
    net = DeepLinearNetwork(SIGMA, [GSet.channels(SIGMA, 1)])
    for bad in ("swish", "power:0", "power:x", 3):
        with pytest.raises(ValueError, match="activation must be None or one of"):
            DeepEquivariantNetwork(net, activation=bad)        # type: ignore[arg-type]
    with pytest.raises(ValueError, match="linear network without bias"):
        DeepEquivariantNetwork(net, activation="relu").function_matrix()
