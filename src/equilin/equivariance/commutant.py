"""The commutant of a permutation representation in block coordinates: ``End_G(R^n)``, block by block.

``docs/math.md`` section 4, ``docs/equivariance.md``. The ``n x n`` matrices ``M`` with
``M P_g = P_g M`` for every ``g`` in ``G`` are, in an adapted orthogonal basis ``Q``, block diagonal:
``prod_b M_{d_b}(D_b)``, one block per irreducible (:class:`~equilin.equivariance.Block`). A
:class:`Commutant` holds those blocks and moves vectors and matrices to block coordinates and back with
one backend (:mod:`equilin.equivariance.backends`), without an ``n x n`` matrix unless asked for
(:meth:`Commutant.Q`): FFTs along the cycles for a cyclic group (:mod:`equilin.equivariance.cyclic_fourier`,
the talk's ``Q_sigma``), a block operator otherwise (:mod:`equilin.equivariance.block_operator`).
:class:`~equilin.equivariance.EquivariantVariety` is a commutant with a rank bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.equivariance.backends import METHODS, _decompose, choose_method
from equilin.equivariance.block_operator import BlockOperator
from equilin.equivariance.blocks import Block, BlockStructure
from equilin.equivariance.cyclic import _blocks_from_spectrum, spectrum
from equilin.equivariance.cyclic_fourier import CyclicFourier, FourierLayout
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.validation import check_finite, check_int, check_real

__all__ = ["Commutant"]


def _check_block_array(X: Any, name: str, block: Block, shape: tuple[int, ...],
                       finite: bool = True) -> NDArray[Any]:
    """One block's array of a given shape, real for a real block, real or complex otherwise."""
    arr = np.asarray(X)
    if arr.shape != shape:
        raise ValueError(f"{name} (block {block.label}) must have shape {shape}, got {arr.shape}")
    dtype = block.field.dtype()
    ok = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    if dtype is np.complex128:
        ok = ok or np.issubdtype(arr.dtype, np.complexfloating)
    if arr.dtype == bool or not ok:
        expected = "numeric (real or complex)" if dtype is np.complex128 else "real"
        raise ValueError(f"{name} (block {block.label}, {block.kind}) must be {expected}, "
                         f"got dtype {arr.dtype}")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} (block {block.label}) contains NaN or infinite entries")
    return np.asarray(arr, dtype=dtype)


def _block_ranks(arrays: Sequence[NDArray[Any]], tol: float, blocks: Sequence[Block]) -> list[int]:
    """Numerical ranks of block operators, over the block's field (a complex adjoint's rank halved)."""
    singular = [np.linalg.svd(a, compute_uv=False) for a in arrays]
    scale = max((float(s[0]) for s in singular if s.size), default=0.0)
    threshold = tol * max(scale, np.finfo(float).tiny)
    return [-(-int((s > threshold).sum()) // b.rank_step) for s, b in zip(singular, blocks)]


class Commutant:
    """``End_G(R^n)``: the ``n x n`` matrices commuting with every ``P_g``, ``g in G``, in block
    coordinates (module docstring).

    Parameters
    ----------
    group : Permutation or PermutationGroup
        ``sigma`` (the cyclic group it generates), or any permutation group given by generators.
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        ``"fourier"``: FFTs along the cycles of ``sigma`` (:mod:`equilin.equivariance.cyclic_fourier`,
        any ``n``, blocks ``r_{l,m}``), for a group of which one given generator ``sigma`` generates the
        others; ``"abelian"``: multi-dimensional FFTs (:mod:`equilin.equivariance.grid_fourier`, any
        ``n``, blocks ``r_{(a_1,...,a_k)}``) for commuting generators whose orbits are grids of their
        cycles; ``"torus"``: the FFT over the translations of a torus regrouped by the point group's
        frequency orbits (:mod:`equilin.equivariance.torus_fourier`, any size; blocks
        ``r_{[(a_1,...,a_k)]}``: ``p4``, ``p4m``); ``"generic"``: the orbit-wise isotypic decomposition
        of :mod:`equilin.equivariance.isotypic` (any group whose orbit types have at most 2,048 points in
        all, any ``n``; blocks ``r_{Vi}`` of real, complex or quaternionic type, or the names of
        ``"abelian"`` and ``"torus"`` for their groups). ``"auto"`` is
        :func:`~equilin.equivariance.choose_method`. Where two backends apply they give the same blocks
        (labels, order, sizes).
    seed : int
        Seed of the generic decomposition's random commuting matrices (see
        :class:`~equilin.equivariance.IsotypicDecomposition`); ignored by the FFT paths.

    Attributes
    ----------
    group : PermutationGroup
    n : int
    method : str
        The backend in use (never ``"auto"``).
    sigma : Permutation or None
        The generator of the cyclic group on the Fourier path, else ``None``.
    cycle_type, spectrum : dict or None
        The cycle type of ``sigma`` and its spectrum ``{l: d_l}`` (:func:`~equilin.equivariance.spectrum`)
        on the Fourier path, else ``None``.
    blocks : tuple of Block
        The blocks, in the canonical order of :class:`~equilin.equivariance.BlockStructure`.

    Examples
    --------
    >>> C = Commutant(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9))
    >>> C.method, C.labels, C.commutant_dim
    ('fourier', ('r_{1,1}', 'r_{4,3}', 'r_{2,1}'), 21)
    >>> M = C.project(np.random.default_rng(0).standard_normal((9, 9)))
    >>> C.is_equivariant(M), C.block_ranks(M)
    (True, {'r_{1,1}': 3, 'r_{4,3}': 2, 'r_{2,1}': 2})
    """

    def __init__(self, group: Permutation | PermutationGroup, *, method: str = "auto", seed: int = 0) -> None:
        if not isinstance(group, (Permutation, PermutationGroup)):
            raise ValueError(f"expected a Permutation or a PermutationGroup, got {type(group).__name__}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
        self.group: PermutationGroup = as_group(group)
        if self.group.n == 0:
            raise ValueError("the group acts on an empty set (n = 0); equivariant maps need n >= 1")
        gens = self.group.generators
        generator = self.group.cyclic_generator()   # one of the generators generates the group
        if method == "fourier" and generator is None:
            raise ValueError(f"method='fourier' needs a cyclic group <sigma>: one of the {len(gens)} "
                             "generators must generate the others; use method='generic' (or 'auto')")
        self.n: int = self.group.n
        self.method: str = choose_method(self.group) if method == "auto" else method
        self.sigma: Permutation | None = generator if self.method == "fourier" else None
        self.cycle_type: dict[int, int] | None = None
        self.spectrum: dict[int, int] | None = None
        self._decomposition: BlockOperator | None = None
        self.blocks: tuple[Block, ...]
        if self.sigma is not None:
            self.cycle_type = dict(self.sigma.cycle_type)
            self.spectrum = spectrum(self.cycle_type)
            exponents = []
            for h in gens:
                e = self.sigma.log(h)
                assert e is not None  # sigma generates every generator
                exponents.append(e)
            self.blocks = _blocks_from_spectrum(self.spectrum, exponents)
        else:
            self._decomposition = _decompose(self.group, check_int(seed, "seed", 0), self.method)
            self.blocks = self._decomposition.blocks

    @property
    def decomposition(self) -> BlockOperator:
        """The block operator behind the abelian, torus and generic paths (refused on the Fourier path)."""
        if self._decomposition is None:
            raise ValueError("this variety uses the Fourier path (a cyclic group); build it with "
                             "method='generic' for the isotypic decomposition")
        return self._decomposition

    @cached_property
    def _fourier(self) -> CyclicFourier:
        assert self.sigma is not None and self.method == "fourier"
        return CyclicFourier(self.sigma, self.blocks)

    @property
    def _offsets(self) -> list[int]:
        if self._decomposition is not None:
            return self._decomposition.offsets
        return self._fourier.offsets

    @property
    def labels(self) -> tuple[str, ...]:
        """Block labels (``r_{l,m}``, ``r_{(a)}``, ``r_{[(a)]}`` or ``r_{Vi}``) in block order."""
        return tuple(b.label for b in self.blocks)

    @cached_property
    def block_structure(self) -> BlockStructure:
        """The blocks as one immutable value: equal for every method that applies to the group.

        Examples
        --------
        >>> s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
        >>> Commutant(s).block_structure
        BlockStructure(r_{1,1}:3xR, r_{4,3}:2xC, r_{2,1}:2xR)
        >>> Commutant(PermutationGroup([s, s ** 2]), method="generic").block_structure == _
        True
        """
        return BlockStructure(self.blocks)

    @property
    def commutant_dim(self) -> int:
        """Dimension of the space of all commuting matrices: ``sum_b dim_R(D_b) d_b^2``."""
        return self.block_structure.commutant_dim

    # -- the basis Q ----------------------------------------------------------------------------
    def Q(self) -> NDArray[np.float64]:
        """The dense orthogonal ``n x n`` adapted basis: ``Q_sigma`` on the Fourier path (columns as in
        :mod:`equilin.equivariance.cyclic_fourier`, built directly from cosines and sines), the block
        operator's ``Q`` otherwise. Refused for ``n > 4096``: use :meth:`to_blocks`.

        Examples
        --------
        >>> C = Commutant(Permutation.from_cycles("(1 2 3)", 3))
        >>> Q = C.Q(); P = C.sigma.matrix()
        >>> bool(np.allclose(Q.T @ Q, np.eye(3))), np.round(Q.T @ P @ Q, 3).tolist()
        (True, [[1.0, 0.0, 0.0], [0.0, -0.5, 0.866], [0.0, -0.866, -0.5]])
        """
        if self._decomposition is not None:
            return self._decomposition.Q
        return self._fourier.Q()

    # -- vectors ----------------------------------------------------------------------------------
    def _check_vectors(self, X: Any, name: str) -> tuple[NDArray[np.float64], bool]:
        arr = np.asarray(X)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise ValueError(f"{name} must be a vector of length {self.n} or an N x {self.n} batch of "
                             f"row vectors, got shape {arr.shape}")
        arr = check_real(arr, name, finite=False)  # the Fourier path checks the FFT's DC terms instead
        return (arr[None, :], True) if arr.ndim == 1 else (arr, False)

    def to_blocks(self, X: ArrayLike) -> list[NDArray[Any]]:
        """Block coordinates ``X Q`` of a batch of row vectors (no ``n x n`` matrix is built).

        Parameters
        ----------
        X : array_like, shape (N, n) or (n,)
            Real row vectors.

        Returns
        -------
        list of ndarray
            One array per block. On the Fourier path, shape ``(N, d_b)`` (or ``(d_b,)`` for a single
            vector): real for real blocks, complex ``w = <x, cos> + i <x, sin>`` for complex blocks
            (:mod:`equilin.equivariance.cyclic_fourier`); the complex arrays may be non-contiguous views
            into one FFT buffer. Otherwise the folded rows of the block operator, ``(N * copies_b,
            vector_size_b)`` (``(copies_b, vector_size_b)`` for a single vector;
            :mod:`equilin.equivariance.block_operator`).

        Examples
        --------
        >>> C = Commutant(Permutation.from_cycles("(1 2 3 4)", 4))
        >>> [np.round(v, 6).tolist() for v in C.to_blocks([1.0, 0.0, 0.0, 0.0])]
        [[0.5], [(0.707107+0j)], [0.5]]
        """
        arr, single = self._check_vectors(X, "X")
        if self._decomposition is not None:
            check_finite(arr, "X")
            blocks = self._decomposition.to_blocks(arr)
            return blocks if not single else [a[:b.copies] for a, b in zip(blocks, self.blocks)]
        return self._fourier.to_blocks(arr, single)

    def block_grams(self, X: ArrayLike) -> list[NDArray[Any]]:
        """``C_b^H C_b`` for every block ``b``, ``C_b`` = :meth:`to_blocks` ``(X)[b]`` (the statistics of
        the closed-form fit): ``d_b x d_b``, complex on complex blocks. The FFT backend for products of
        cyclic groups computes the one-column blocks (one per frequency) in one pass.

        Examples
        --------
        >>> C = Commutant(Permutation.from_cycles("(1 2)", 2))
        >>> [np.round(g, 12).tolist() for g in C.block_grams([[1.0, 0.0], [0.0, 1.0]])]
        [[[1.0]], [[1.0]]]
        """
        arr, _ = self._check_vectors(X, "X")
        if self._decomposition is not None:
            check_finite(arr, "X")
            grams = self._decomposition.grams(arr)
        else:
            grams = [c.conj().T @ c for c in self.to_blocks(arr)]
        return grams

    def _check_blocks(self, blocks: Any, name: str, square: bool = False) -> tuple[list[NDArray[Any]], int | None]:
        if isinstance(blocks, np.ndarray) or not isinstance(blocks, Sequence):
            raise ValueError(f"{name} must be a list with one array per block ({len(self.blocks)} blocks: "
                             f"{', '.join(self.labels)}), got {type(blocks).__name__}")
        if len(blocks) != len(self.blocks):
            raise ValueError(f"{name} must have one array per block: expected {len(self.blocks)} "
                             f"({', '.join(self.labels)}), got {len(blocks)}")
        if square:
            return [_check_block_array(a, name, b, (b.vector_size, b.vector_size))
                    for a, b in zip(blocks, self.blocks)], None
        first = np.asarray(blocks[0])
        if self._decomposition is not None:  # folded rows: N * copies_b rows per block
            b0 = self.blocks[0]
            if first.ndim != 2 or first.shape[0] % b0.copies:
                raise ValueError(f"{name}: block arrays must have shape (N * copies_b, vector_size_b) "
                                 f"(block {b0.label}: copies {b0.copies}), got {first.shape}")
            N = first.shape[0] // b0.copies
            out = [_check_block_array(a, name, b, (N * b.copies, b.vector_size))
                   for a, b in zip(blocks, self.blocks)]
            return out, N
        if first.ndim not in (1, 2):
            raise ValueError(f"{name}: block arrays must have shape (N, d_b) or (d_b,), got {first.shape}")
        rows = None if first.ndim == 1 else first.shape[0]
        out = [_check_block_array(a, name, b, (b.size,) if rows is None else (rows, b.size), finite=False)
               for a, b in zip(blocks, self.blocks)]  # finiteness: checked on the output, see from_blocks
        return out, rows

    def from_blocks(self, blocks: Sequence[ArrayLike]) -> NDArray[np.float64]:
        """Inverse of :meth:`to_blocks`: the row vectors ``X = Y Q^T`` with the given block coordinates.

        Parameters
        ----------
        blocks : list of array_like
            One array per block, shaped as :meth:`to_blocks` returns them (on the Fourier path all
            ``(N, d_b)`` or all ``(d_b,)``); complex arrays for complex blocks (a real array means zero
            imaginary part), real arrays for real blocks.

        Returns
        -------
        ndarray, shape (N, n) or (n,)

        Examples
        --------
        >>> C = Commutant(Permutation.from_cycles("(1 2 3 4)", 4))
        >>> C.from_blocks([[0.5], [np.sqrt(0.5)], [0.5]]).round(12).tolist()
        [1.0, 0.0, 0.0, 0.0]
        """
        arrays, N = self._check_blocks(blocks, "blocks")
        if self._decomposition is not None:
            assert N is not None
            return self._decomposition.from_blocks(arrays, N)
        return self._fourier.from_blocks(arrays, N)

    def to_coordinates(self, X: ArrayLike) -> NDArray[np.float64]:
        """``X Q`` as one real ``(N, n)`` array in the column order of :meth:`Q` (on the Fourier path
        complex blocks interleaved ``Re w, Im w`` per copy)."""
        arr, single = self._check_vectors(X, "X")
        if self._decomposition is not None:
            check_finite(arr, "X")
            out = arr @ self._decomposition.Q
        else:
            out = self._fourier.to_coordinates(arr)
        return out[0] if single else out

    def from_coordinates(self, Y: ArrayLike) -> NDArray[np.float64]:
        """``Y Q^T`` for real coordinates ``Y`` (N x n) in the column order of :meth:`Q`."""
        arr, single = self._check_vectors(Y, "Y")
        if self._decomposition is not None:
            check_finite(arr, "Y")
            out = arr @ self._decomposition.Q.T
        else:
            out = self._fourier.from_coordinates(arr)
        return out[0] if single else out

    # -- matrices -----------------------------------------------------------------------------------
    def _check_matrix(self, M: Any, name: str) -> NDArray[np.float64]:
        arr = np.asarray(M)
        if arr.shape != (self.n, self.n):
            raise ValueError(f"{name} must be an {self.n} x {self.n} matrix, got shape {arr.shape}")
        return check_real(arr, name)

    def _matrix_blocks(self, M: NDArray[np.float64]) -> list[NDArray[Any]]:
        if self._decomposition is not None:
            return self._decomposition.matrix_to_blocks(M)
        return self._fourier.matrix_to_blocks(M)

    def matrix_to_blocks(self, M: ArrayLike) -> list[NDArray[Any]]:
        """The blocks of the commutant part of an ``n x n`` matrix: square arrays, real for real blocks,
        complex ``Z`` for complex blocks (the block of ``Q^T M Q`` projected onto ``R(Z)``), the complex
        adjoint for quaternionic blocks.

        The part of ``M`` that does not commute with the group (the off-diagonal blocks of ``Q^T M Q``
        and the part of a diagonal block that is not the realization of a block operator) is discarded:
        the result describes the orthogonal projection :meth:`project` ``(M)``, and
        ``matrix_from_blocks(matrix_to_blocks(M))`` equals ``project(M)``. No dense ``Q`` is built.
        """
        return self._matrix_blocks(self._check_matrix(M, "M"))

    def matrix_from_blocks(self, blocks: Sequence[ArrayLike]) -> NDArray[np.float64]:
        """The commuting ``n x n`` matrix ``Q diag(B_b or R(Z_b)) Q^T`` with the given blocks
        (as :meth:`matrix_to_blocks` returns them)."""
        arrays, _ = self._check_blocks(blocks, "blocks", square=True)
        return self._matrix_from_checked(arrays)

    def _matrix_from_checked(self, arrays: list[NDArray[Any]]) -> NDArray[np.float64]:
        if self._decomposition is not None:
            return self._decomposition.matrix_from_blocks(arrays)
        return self._fourier.matrix_from_blocks(arrays)

    def project(self, U: ArrayLike) -> NDArray[np.float64]:
        """Orthogonal (Frobenius) projection of an ``n x n`` matrix onto the matrices commuting with the
        group, via the block coordinates (no dense ``Q``).

        Examples
        --------
        >>> C = Commutant(Permutation.from_cycles("(1 2)", 2))
        >>> C.project([[1.0, 2.0], [0.0, 0.0]]).round(12).tolist()
        [[0.5, 1.0], [1.0, 0.5]]
        """
        return self._matrix_from_checked(self.matrix_to_blocks(U))

    def is_equivariant(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M P_g = P_g M`` for every generator ``g``, up to ``tol`` relative to ``||M||_F``
        (no dense ``P_g``)."""
        arr = self._check_matrix(M, "M")
        scale = max(float(np.linalg.norm(arr)), np.finfo(float).tiny)
        for g in self.group.generators:
            gap = np.linalg.norm(g.act(arr, axis=0) - g.inverse().act(arr, axis=1))
            if gap > tol * scale:
                return False
        return True

    def block_ranks(self, M: ArrayLike, tol: float = 1e-9) -> dict[str, int]:
        """Numerical rank of every block of the commutant part of ``M`` over its field (singular values
        above ``tol`` times the largest one), labelled ``{"r_{l,m}": rank}`` in block order."""
        return dict(zip(self.labels, _block_ranks(self.matrix_to_blocks(M), tol, self.blocks)))

    def fourier_layout(self) -> FourierLayout:
        """Where the block coordinates come from, for re-implementing :meth:`to_blocks` elsewhere
        (e.g. in torch): the cycles grouped by length (``index[c]`` lists cycle ``c`` from its smallest
        element along ``sigma``) and, per block, the ``(length, frequency)`` pairs whose
        ``sqrt(2) * rfft(x[index], norm="ortho")[..., frequency]`` values are its copies, in order
        (for a real block, the real part divided by ``sqrt(2)``). Fourier path only.

        Examples
        --------
        >>> layout = Commutant(Permutation.from_cycles("(1 2 3)(4 5)", 5)).fourier_layout()
        >>> [(g.length, g.index.tolist()) for g in layout.cycle_groups]
        [(2, [[3, 4]]), (3, [[0, 1, 2]])]
        >>> layout.block_sources
        [[(2, 0), (3, 0)], [(3, 1)], [(2, 1)]]
        """
        if self.method != "fourier":
            raise ValueError("fourier_layout() describes the Fourier path of a cyclic group; this variety "
                             "uses the generic decomposition (see .decomposition)")
        return self._fourier.fourier_layout()

    # -- values -------------------------------------------------------------------------------------
    def _sigma_repr(self) -> str:
        if self.sigma is None or len(self.group.generators) > 1:
            return repr(self.group) if self.n <= 64 else f"<PermutationGroup n={self.n}, " \
                f"{len(self.group.generators)} generators>"
        if self.n <= 64:
            return repr(self.sigma)
        return f"<Permutation n={self.n}, cycle type {self.sigma.cycle_type}>"

    def _method_repr(self) -> str:
        cyclic = self.group.cyclic_generator() is not None
        return ", method='generic'" if self.method == "generic" and cyclic else ""

    def __repr__(self) -> str:
        return f"Commutant({self._sigma_repr()}{self._method_repr()})"
