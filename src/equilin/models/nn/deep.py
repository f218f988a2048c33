"""A PyTorch module for deep equivariant linear networks whose hidden layers are permuted neurons.

:class:`DeepEquivariantNetwork` realizes a :class:`equilin.deep.DeepLinearNetwork` whose hidden layers
are G-sets: layer ``l`` is the ``h_l x h_{l-1}`` matrix whose entry ``(a, b)`` is the weight of the
orbital of ``(a, b)`` (``DeepLinearNetwork.weight_sharing``), so every layer commutes with the group
exactly, by construction, for any parameters. Train it with :func:`equilin.models.nn.train`, or start from
the global optimum of its function space: the closed form of :class:`equilin.models.EquivariantAutoencoder`
with the network's block ranks ``b`` (``DeepLinearNetwork.function_space().ranks``), factored through
the layers by :meth:`DeepEquivariantNetwork.from_closed_form`.

Nonlinear networks: a pointwise function commutes with every permutation of the units it acts on, so
an activation after each hidden layer (``activation="relu"``, ``"gelu"``, ``"tanh"``, ``"power:K"``)
and biases constant on the orbits of each layer's units (``bias=True``) keep the network equivariant
for any weights. (Applied to isotypic or Fourier coordinates instead, a pointwise function does not
commute with the group.)

Examples
--------
>>> import torch
>>> from equilin.deep import DeepLinearNetwork, GSet
>>> from equilin.groups import Permutation
>>> s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
>>> model = DeepEquivariantNetwork(DeepLinearNetwork(s, [GSet.channels(s, 2), GSet.cosets(s, [s ** 2])]))
>>> model.n_parameters(), model(torch.rand(3, 9)).shape
(57, torch.Size([3, 9]))
>>> relu = DeepEquivariantNetwork(model.network, activation="relu", bias=True)
>>> relu.n_parameters()                  # + one bias per orbit of units: 6 + 1 (hidden), 3 (output)
67
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from equilin.deep import DeepLinearNetwork, GSet
from equilin.groups import PermutationGroup, orbit_labels
from equilin.models.closed_form import EquivariantAutoencoder, EquivariantRegressor
from equilin.models.nn.base import _buffer, _check_dtype, _check_module_dtype, _Structured

__all__ = ["DeepEquivariantNetwork", "ACTIVATIONS"]


class DeepEquivariantNetwork(_Structured):
    """``R^n -> R^{h_1} -> ... -> R^n`` with weight-shared layers between G-sets: linear and bias-free
    by default, or with a pointwise activation after every hidden layer and orbit-constant biases.

    Parameters
    ----------
    network : DeepLinearNetwork
        Whose hidden layers are all :class:`equilin.deep.GSet` (a linear bottleneck given by
        multiplicities is :class:`equilin.models.nn.EquivariantLinearAutoencoder`).
    dtype : torch.float32 or torch.float64
    activation : {None, "relu", "gelu", "tanh", "power:K"}
        Applied after every hidden layer (None: a linear network).
    bias : bool
        A bias on every layer, constant on the orbits of the layer's units (``G``-invariant).

    Attributes
    ----------
    weights : nn.ParameterList
        ``weights[l]`` holds one value per orbital of layer ``l + 1`` (its pairs of units).
    biases : nn.ParameterList
        With ``bias``: ``biases[l]`` holds one value per orbit of the units of layer ``l + 1``.
    """

    def __init__(self, network: DeepLinearNetwork, dtype: torch.dtype = torch.float32, *,
                 activation: str | None = None, bias: bool = False) -> None:
        super().__init__()
        if not isinstance(network, DeepLinearNetwork):
            raise ValueError(f"network must be an equilin.deep.DeepLinearNetwork, got {type(network).__name__}")
        dtype = _check_dtype(dtype)
        units: list[GSet] = []                 # the G-sets of every layer, input and output included
        for l, layer in enumerate(network.layers()):
            if not isinstance(layer, GSet):
                raise ValueError(f"hidden layer {l} is a LinearLayer: this module permutes neurons; a linear "
                                 "bottleneck given by multiplicities is equilin.models.nn."
                                 "EquivariantLinearAutoencoder")
            units.append(layer)
        self.network = network
        self.n_features = self.n_outputs = network.group.n
        self.activation = _activation(activation)
        self.activation_name = activation
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for l in range(1, len(network.hidden) + 2):
            labels = network.weight_sharing(l)
            self._register_structure(f"labels_{l - 1}", labels)
            fan_in = labels.shape[1]
            theta = torch.empty(network.layer_params(l), dtype=dtype).uniform_(-1.0, 1.0) * math.sqrt(3.0 / fan_in)
            self.weights.append(nn.Parameter(theta))
            if bias:                           # G-invariant: one value per orbit of the layer's units
                orbits = _orbit_labels(units[l])
                self._register_structure(f"orbits_{l - 1}", orbits)
                self.biases.append(nn.Parameter(torch.zeros(int(orbits.max()) + 1, dtype=dtype)))
        self.bias = bool(bias)

    @classmethod
    def from_closed_form(cls, network: DeepLinearNetwork, estimator: EquivariantAutoencoder | EquivariantRegressor,
                         dtype: torch.dtype = torch.float64) -> DeepEquivariantNetwork:
        """The module computing the function of a fitted :class:`equilin.models.EquivariantAutoencoder` of
        the same group whose block ranks are at most the network's bottleneck (with ranks ``b``: the
        global optimum over the function space), through :meth:`equilin.deep.DeepLinearNetwork.factor`;
        each layer's orbital weights are the entries of its factor. The module is linear and bias-free."""
        kinds = (EquivariantAutoencoder, EquivariantRegressor)
        fitted = isinstance(estimator, kinds) and hasattr(estimator, "component_")
        if not fitted:
            raise ValueError("expected a fitted equilin.models.EquivariantAutoencoder or EquivariantRegressor")
        if estimator.variety_.group != network.group:
            raise ValueError("the estimator was fitted for another group than the network's")
        n = network.group.n
        M = estimator.predict(np.eye(n)).T                      # predict(X) = X M^T
        module = cls(network, dtype=dtype)
        with torch.no_grad():
            for l, W in enumerate(network.factor(M), start=1):
                labels = network.weight_sharing(l)
                count = network.layer_params(l)
                theta = np.bincount(labels.ravel(), weights=W.ravel(), minlength=count) / np.bincount(
                    labels.ravel(), minlength=count)
                if np.abs(theta[labels] - W).max() > 1e-8 * max(1.0, float(np.abs(W).max())):
                    raise RuntimeError("internal error: a factor is not constant on the orbitals")
                module.weights[l - 1].copy_(torch.from_numpy(theta))
        return module

    def layer_matrix(self, l: int) -> torch.Tensor:
        """``W_l`` (``h_l x h_{l-1}``, ``l = 1..L``): the orbital weights spread over their pairs."""
        if not 1 <= l <= len(self.weights):
            raise ValueError(f"l must be 1..{len(self.weights)}, got {l}")
        weights: torch.Tensor = self.weights[l - 1]
        return weights[_buffer(self, f"labels_{l - 1}")]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != self.n_features:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"input must be a torch.Tensor of shape (N, {self.n_features}), got {got}")
        _check_module_dtype(self, self.weights[0], x)
        y = x
        L = len(self.weights)
        for l in range(1, L + 1):
            y = y @ self.layer_matrix(l).T
            if self.bias:
                y = y + self.biases[l - 1][_buffer(self, f"orbits_{l - 1}")]
            if l < L and self.activation is not None:
                y = self.activation(y)
        return y

    @torch.no_grad()
    def function_matrix(self) -> torch.Tensor:
        """The end-to-end ``n x n`` matrix ``W_L ... W_1`` (linear networks without bias only)."""
        if self.activation is not None or self.bias:
            raise ValueError("function_matrix describes a linear network without bias; this one has "
                             f"activation={self.activation_name!r}, bias={self.bias}")
        M = self.layer_matrix(1)
        for l in range(2, len(self.weights) + 1):
            M = self.layer_matrix(l) @ M
        return M

    def n_parameters(self) -> int:
        """One real parameter per orbital of every layer, plus one per orbit of units with ``bias``."""
        return sum(int(w.numel()) for w in self.weights) + sum(int(b.numel()) for b in self.biases)

    def extra_repr(self) -> str:
        widths = [layer.h for layer in self.network.layers() if isinstance(layer, GSet)]
        return (f"widths={widths}, parameters={self.n_parameters()}, activation={self.activation_name!r}, "
                f"bias={self.bias}")


ACTIVATIONS = ("relu", "gelu", "tanh", "power:K")
"""The pointwise activations: ReLU, GELU, tanh, and the monomial ``x^K`` (``"power:2"``, ...)."""


def _activation(name: str | None) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The pointwise function named ``name`` (module docstring), or None for a linear network."""
    if name is None:
        return None
    if name == "relu":
        return torch.relu
    if name == "gelu":
        return nn.functional.gelu
    if name == "tanh":
        return torch.tanh
    if isinstance(name, str) and name.startswith("power:") and name[6:].isdigit() and int(name[6:]) >= 1:
        k = int(name[6:])
        return lambda y: y ** k
    raise ValueError(f"activation must be None or one of {', '.join(ACTIVATIONS)} (K >= 1), got {name!r}")


def _orbit_labels(units: GSet) -> NDArray[np.int64]:
    """The orbit of every unit of a G-set (orbits numbered from 0)."""
    return orbit_labels(PermutationGroup(list(units.images)))[1].astype(np.int64)

