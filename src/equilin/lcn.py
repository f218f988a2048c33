"""Linear convolutional networks (LCNs) with one-dimensional filters and strides.

A layer with filter ``w`` (size ``k``) and stride ``s`` is the linear map ``alpha_{w,s}: R^d -> R^d'``,

    ``(alpha_{w,s}(x))_i = sum_{j=0}^{k-1} w_j x_{i s + j}``,   ``d' = (d - k) / s + 1``

(no padding, no bias; ``torch.nn.Conv1d`` computes exactly this cross-correlation). An architecture is
the input size ``d_0``, the filter sizes ``k_1..k_L`` and the strides ``s_1..s_L``; layer ``i`` maps
``R^{d_{i-1}} -> R^{d_i}``. The composition is again a convolution (Kohn, Merkh, Montufar, Trager, *Geometry
of linear convolutional networks*, SIAM J. Appl. Algebra Geom. 2022; Kohn, Montufar, Shahverdi, Trager,
*Function space and critical points of linear convolutional networks*, SIAM J. Appl. Algebra Geom. 2024):
its **end-to-end filter** has size ``k = k_1 + sum_{i>=2} (k_i - 1) s_1 ... s_{i-1}`` and its stride is
``s_1 ... s_L``. In polynomial language ``u(x) = w_1(x) w_2(x^{s_1}) w_3(x^{s_1 s_2}) ...`` with
``w(x) = sum_j w_j x^j``; for stride one this is the product of the filters' polynomials (``np.convolve``).

The parameterization map ``F: theta = (w_1, ..., w_L) -> u`` (parameters flat, layer 1 first) is
multilinear; :meth:`LCN.filter_jacobian` is exact (one column per weight, by multilinearity). The function
space ``M_{k,s} = F(R^{sum k_i})`` is a semi-algebraic subset of ``R^k``; its dimension is
``sum_i k_i - (L - 1)`` (KMST 2024; the ``L - 1`` rescalings ``w_i -> c w_i, w_j -> w_j / c`` are the
generic fibre directions). For stride one that is ``k``: the function space is full-dimensional, and it is
all of ``R^k`` (*filling*) exactly when at most one filter has even size (KMMT 2022: a real polynomial
splits into real factors of the required degrees iff at most one of the degrees is odd).

The torch module :class:`LCNModule` (a stack of ``Conv1d(1, 1, k_i, stride=s_i, bias=False)``) is created
on first access, so importing this module needs numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.validation import as_generator, check_int, check_real

__all__ = ["LCN", "conv_matrix"]  # and LCNModule, built on first access (needs torch)


def conv_matrix(w: ArrayLike, d_in: int, stride: int = 1) -> NDArray[np.float64]:
    """The ``d_out x d_in`` matrix of ``(alpha_{w,s}(x))_i = sum_j w_j x_{i s + j}``.

    Examples
    --------
    >>> conv_matrix([1.0, 2.0], 6, stride=2).tolist()
    [[1.0, 2.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 2.0]]
    """
    filt = _check_vector(w, "w")
    d_in = check_int(d_in, "d_in", 1)
    stride = check_int(stride, "stride", 1)
    k = filt.size
    if k > d_in or (d_in - k) % stride:
        raise ValueError(f"a filter of size {k} with stride {stride} does not fit an input of size {d_in}: "
                         f"(d_in - k) / stride + 1 must be a positive integer")
    d_out = (d_in - k) // stride + 1
    out = np.zeros((d_out, d_in))
    rows = np.arange(d_out)
    for j in range(k):
        out[rows, rows * stride + j] = filt[j]
    return out


def _check_vector(w: Any, name: str) -> NDArray[np.float64]:
    """A filter or flat parameter vector: non-empty, 1-D, real and finite, as float64."""
    arr = np.asarray(w)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return check_real(arr, name)


def _check_layers(filter_sizes: Any, strides: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Filter sizes and strides (all 1 when ``None``) as tuples of positive ints, one stride per filter."""
    if isinstance(filter_sizes, (str, bytes)) or not isinstance(filter_sizes, Sequence) or not filter_sizes:
        raise ValueError(f"filter_sizes must be a non-empty sequence of positive integers, got {filter_sizes!r}")
    ks = tuple(check_int(k, f"filter_sizes[{i}]", 1) for i, k in enumerate(filter_sizes))
    if strides is None:
        strides = (1,) * len(ks)
    if isinstance(strides, (str, bytes)) or not isinstance(strides, Sequence):
        raise ValueError(f"strides must be a sequence of positive integers, got {strides!r}")
    if len(strides) != len(ks):
        raise ValueError(f"strides must have one entry per layer ({len(ks)}), got {len(strides)}")
    return ks, tuple(check_int(s, f"strides[{i}]", 1) for i, s in enumerate(strides))


def _compose(u: NDArray[np.float64], w: NDArray[np.float64], step: int) -> NDArray[np.float64]:
    """Filter of ``alpha_w o alpha_u`` where ``u`` has total stride ``step``: ``u(x) w(x^step)``."""
    out = np.zeros(u.size + (w.size - 1) * step)
    for j, value in enumerate(w):
        out[j * step:j * step + u.size] += value * u
    return out


class LCN:
    """An LCN architecture: input size ``d_0``, filter sizes ``k_i`` and strides ``s_i`` (module docstring).

    Parameters
    ----------
    d0 : int
        Input size (``>= 1``).
    filter_sizes : sequence of int
        ``k_1, ..., k_L`` (each ``>= 1``, at least one layer).
    strides : sequence of int, optional
        ``s_1, ..., s_L`` (each ``>= 1``); all 1 by default.

    Examples
    --------
    >>> net = LCN(15, (3, 3), (2, 2))
    >>> net.sizes, net.filter_size, net.stride, net.n_params, net.dim
    ((15, 7, 3), 7, 4, 6, 5)
    >>> theta = np.array([1.0, 2.0, 3.0, 1.0, 0.0, -1.0])
    >>> net.end_to_end_filter(theta).tolist()     # (1 + 2x + 3x^2)(1 - x^4)
    [1.0, 2.0, 3.0, 0.0, -1.0, -2.0, -3.0]
    >>> bool(np.allclose(net.end_to_end_matrix(theta), net.layer_matrices(theta)[1] @ net.layer_matrices(theta)[0]))
    True
    """

    def __init__(self, d0: int, filter_sizes: Sequence[int], strides: Sequence[int] | None = None) -> None:
        self.d0 = check_int(d0, "d0", 1)
        self.filter_sizes, self.strides = _check_layers(filter_sizes, strides)
        sizes = [self.d0]
        for i, (k, s) in enumerate(zip(self.filter_sizes, self.strides)):
            d = sizes[-1]
            if k > d or (d - k) % s:
                raise ValueError(f"layer {i + 1}: a filter of size {k} with stride {s} does not fit an input of "
                                 f"size {d} ((d - k) / s + 1 must be a positive integer); change d0, the filter "
                                 f"sizes or the strides")
            sizes.append((d - k) // s + 1)
        self.sizes: tuple[int, ...] = tuple(sizes)

    @classmethod
    def for_output(cls, filter_sizes: Sequence[int], strides: Sequence[int] | None = None,
                   outputs: int = 1) -> LCN:
        """The network with the smallest input that gives ``outputs`` output neurons, the sizes built
        from the last layer back: ``d_{i-1} = s_i (d_i - 1) + k_i``.

        Examples
        --------
        >>> LCN.for_output((3, 3, 2), (2, 1, 1)).sizes
        (9, 4, 2, 1)
        """
        ks, ss = _check_layers(filter_sizes, strides)
        d = check_int(outputs, "outputs", 1)
        for k, s in zip(reversed(ks), reversed(ss)):
            d = s * (d - 1) + k
        return cls(d, ks, ss)

    # -- structure ----------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.filter_sizes)

    @property
    def n_params(self) -> int:
        """``sum_i k_i``."""
        return sum(self.filter_sizes)

    @property
    def filter_size(self) -> int:
        """Size of the end-to-end filter: ``k_1 + sum_{i>=2} (k_i - 1) s_1 ... s_{i-1}``."""
        k, step = self.filter_sizes[0], self.strides[0]
        for ki, si in zip(self.filter_sizes[1:], self.strides[1:]):
            k += (ki - 1) * step
            step *= si
        return k

    @property
    def stride(self) -> int:
        """Stride of the end-to-end convolution: ``s_1 ... s_L``."""
        return math.prod(self.strides)

    @property
    def dim(self) -> int:
        """Dimension of the function space: ``sum_i k_i - (L - 1)`` (KMST 2024)."""
        return self.n_params - (self.n_layers - 1)

    @property
    def is_stride_one(self) -> bool:
        """All strides 1 (the end-to-end filter is the product of the filters' polynomials)."""
        return all(s == 1 for s in self.strides)

    @property
    def is_filling(self) -> bool:
        """Whether the function space is all of ``R^k``: its dimension is ``k`` (stride one, up to strides
        before layers of filter size 1 and the last stride, which leave the filter alone) and at most one
        filter size is even (KMMT 2022). Otherwise the dimension is below ``k`` or the function space has
        a boundary.

        Examples
        --------
        >>> LCN(7, (3, 3)).is_filling, LCN(6, (2, 2)).is_filling, LCN(15, (3, 3), (2, 2)).is_filling
        (True, False, False)
        """
        if self.dim < self.filter_size:
            return False
        return sum(1 for k in self.filter_sizes if k % 2 == 0) <= 1

    def sample_count(self) -> int:
        """``1 + sum_i d_i s_i`` (``i = 1..L``): the number of samples the talk's theorem asks for."""
        return 1 + sum(d * s for d, s in zip(self.sizes[1:], self.strides))

    # -- parameters ---------------------------------------------------------------------------
    def _check_theta(self, theta: Any) -> NDArray[np.float64]:
        arr = np.asarray(theta)
        if arr.shape != (self.n_params,):
            raise ValueError(f"theta must be a flat vector of the {self.n_params} filter weights (layer 1 "
                             f"first), got shape {arr.shape}")
        return _check_vector(arr, "theta")

    def split(self, theta: ArrayLike) -> list[NDArray[np.float64]]:
        """The filters ``w_1, ..., w_L`` of the flat parameter vector."""
        arr = self._check_theta(theta)
        return np.split(arr, np.cumsum(self.filter_sizes)[:-1])

    def sample(self, rng: np.random.Generator | int | None = None) -> NDArray[np.float64]:
        """Gaussian filters, flat."""
        return as_generator(rng).standard_normal(self.n_params)

    # -- maps ---------------------------------------------------------------------------------
    def layer_matrices(self, theta: ArrayLike) -> list[NDArray[np.float64]]:
        """``[alpha_{w_1,s_1}, ..., alpha_{w_L,s_L}]`` as ``d_i x d_{i-1}`` matrices."""
        return [conv_matrix(w, d, s) for w, d, s in zip(self.split(theta), self.sizes, self.strides)]

    def layer_basis(self, i: int) -> NDArray[np.int64]:
        """The matrices of layer ``i`` (``1..L``) as a linear function of its filter: ``B[j]`` is
        ``alpha_{e_j, s_i}`` (``k_i x d_i x d_{i-1}``, entries 0 and 1), so that the layer matrix of the
        filter ``w`` is ``sum_j w_j B[j]``.

        Examples
        --------
        >>> LCN(4, (2, 2), (2, 1)).layer_basis(1).tolist()
        [[[1, 0, 0, 0], [0, 0, 1, 0]], [[0, 1, 0, 0], [0, 0, 0, 1]]]
        """
        i = check_int(i, "i", 1)
        if i > self.n_layers:
            raise ValueError(f"i must be a layer 1..{self.n_layers}, got {i}")
        k, d, s = self.filter_sizes[i - 1], self.sizes[i - 1], self.strides[i - 1]
        return np.stack([conv_matrix(np.eye(k)[j], d, s) for j in range(k)]).astype(np.int64)

    def end_to_end_filter(self, theta: ArrayLike) -> NDArray[np.float64]:
        """The filter ``u`` of the composition, ``u(x) = w_1(x) w_2(x^{s_1}) ...`` (size :attr:`filter_size`)."""
        filters = self.split(theta)
        u, step = filters[0], self.strides[0]
        for w, s in zip(filters[1:], self.strides[1:]):
            u = _compose(u, w, step)
            step *= s
        return u

    def end_to_end_matrix(self, theta: ArrayLike) -> NDArray[np.float64]:
        """The ``d_L x d_0`` matrix of the network: the convolution with the end-to-end filter and
        stride :attr:`stride` (equal to the product of the layer matrices)."""
        return conv_matrix(self.end_to_end_filter(theta), self.d0, self.stride)

    def filter_to_matrix(self, u: ArrayLike) -> NDArray[np.float64]:
        """The ``d_L x d_0`` matrix of an end-to-end filter ``u`` (a linear, injective map)."""
        arr = _check_vector(u, "u")
        if arr.size != self.filter_size:
            raise ValueError(f"u must have the end-to-end filter size {self.filter_size}, got {arr.size}")
        return conv_matrix(arr, self.d0, self.stride)

    def filter_jacobian(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Exact Jacobian ``dF/dtheta`` of ``F: theta -> u`` (``k x sum k_i``): ``F`` is linear in every
        filter, so the column of weight ``j`` of layer ``i`` is ``F`` with ``w_i`` replaced by ``e_j``."""
        filters = self.split(theta)
        columns = []
        for i, k in enumerate(self.filter_sizes):
            for j in range(k):
                unit = np.zeros(k)
                unit[j] = 1.0
                columns.append(self.end_to_end_filter(np.concatenate(filters[:i] + [unit] + filters[i + 1:])))
        return np.stack(columns, axis=1)

    def jacobian(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Jacobian of ``theta -> vec(end_to_end_matrix)`` (row-major ``vec``, ``d_L d_0 x sum k_i``)."""
        J = self.filter_jacobian(theta)
        return np.stack([self.filter_to_matrix(col).ravel() for col in J.T], axis=1)

    def jacobian_rank(self, theta: ArrayLike, rtol: float = 1e-9) -> int:
        """Numerical rank of :meth:`filter_jacobian` (singular values above ``rtol`` times the largest)."""
        s = np.linalg.svd(self.filter_jacobian(theta), compute_uv=False)
        return int((s > rtol * max(float(s[0]), np.finfo(float).tiny)).sum())

    def numerical_dim(self, rng: np.random.Generator | int | None = 0, tries: int = 3) -> int:
        """The dimension of the function space as the largest Jacobian rank at ``tries`` random points."""
        g = as_generator(rng)
        return max(self.jacobian_rank(self.sample(g)) for _ in range(check_int(tries, "tries", 1)))

    def module(self, theta: ArrayLike | None = None, dtype: Any = None) -> Any:
        """An :class:`LCNModule` of this architecture (needs torch), with weights ``theta`` if given.

        Examples
        --------
        >>> import torch
        >>> net = LCN(7, (3, 2), (2, 1))
        >>> theta = np.arange(1.0, 6.0)
        >>> module = net.module(theta, dtype=torch.float64)
        >>> x = np.random.default_rng(0).standard_normal((4, 7))
        >>> out = module(torch.from_numpy(x)).detach().numpy()
        >>> bool(np.allclose(out, x @ net.end_to_end_matrix(theta).T)), bool(np.allclose(module.theta(), theta))
        (True, True)
        """
        module = __getattr__("LCNModule")(self, dtype=dtype)
        if theta is not None:
            module.set_theta(self._check_theta(theta))
        return module

    # -- values -------------------------------------------------------------------------------
    def _key(self) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
        return (self.d0, self.filter_sizes, self.strides)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LCN):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"LCN(d0={self.d0}, filter_sizes={self.filter_sizes}, strides={self.strides})"


def _build_module_class() -> type:
    # torch is optional: imported here, on first access to LCNModule, so that importing equilin.lcn
    # (and equilin.critical above it) needs numpy only
    import torch
    from torch import nn

    class LCNModule(nn.Module):
        """A stack of ``torch.nn.Conv1d(1, 1, k_i, stride=s_i, bias=False)`` (identity activation):
        maps ``(N, d_0)`` row samples to ``(N, d_L)``. Build it with :meth:`LCN.module` (example there)."""

        def __init__(self, architecture: LCN, dtype: Any = None) -> None:
            super().__init__()
            if not isinstance(architecture, LCN):
                raise ValueError(f"architecture must be an LCN, got {type(architecture).__name__}")
            self.architecture = architecture
            self.layers = nn.ModuleList(
                nn.Conv1d(1, 1, k, stride=s, bias=False, dtype=dtype)
                for k, s in zip(architecture.filter_sizes, architecture.strides))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.ndim != 2 or x.shape[1] != self.architecture.d0:
                raise ValueError(f"expected input of shape (N, {self.architecture.d0}), got {tuple(x.shape)}")
            h = x[:, None, :]
            for layer in self.layers:
                h = layer(h)
            return h[:, 0, :]

        def _convs(self) -> list[nn.Conv1d]:
            """The layers, typed as what they are (a ``ModuleList`` yields ``Module``)."""
            return [layer for layer in self.layers if isinstance(layer, nn.Conv1d)]

        def theta(self) -> NDArray[np.float64]:
            """The flat filter weights (layer 1 first), as float64."""
            return np.concatenate([layer.weight.detach().cpu().double().numpy().ravel() for layer in self._convs()])

        def set_theta(self, theta: ArrayLike) -> None:
            """Load flat filter weights (layer 1 first)."""
            for layer, w in zip(self._convs(), self.architecture.split(theta)):
                with torch.no_grad():
                    layer.weight.copy_(torch.as_tensor(w, dtype=layer.weight.dtype).reshape(1, 1, -1))

        def function_matrix(self) -> NDArray[np.float64]:
            """The ``d_L x d_0`` end-to-end matrix of the current weights."""
            return self.architecture.end_to_end_matrix(self.theta())

    LCNModule.__module__ = __name__
    LCNModule.__qualname__ = "LCNModule"
    return LCNModule


_CLASSES: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "LCNModule":  # built on first access: importing equilin.lcn needs no torch
        if name not in _CLASSES:
            _CLASSES[name] = _build_module_class()
        return _CLASSES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
