"""The variety ``E^G_{r, n x n}`` of equivariant linear maps of rank ``<= r``, and its components.

``docs/math.md`` section 4, ``docs/equivariance.md``. An ``n x n`` matrix ``M`` is equivariant under a
permutation group ``G`` when ``M P_g = P_g M`` for every ``g``. In an adapted orthogonal basis (the talk's
``Q_sigma`` for a cyclic group ``G = <sigma>``) every such matrix is block diagonal
(:class:`~equilin.equivariance.Commutant`), so the equivariant matrices of rank ``<= r`` form a union of
products of determinantal varieties ``prod_b M_{r_b}(D_b)``, one per *maximal* rank tuple
(:mod:`equilin.equivariance.components`): :class:`EquivariantVariety` is the union,
:class:`EquivariantComponent` one of them. Every rank tuple printed or returned carries its block labels.

*ED degree of* ``E_r``. The library follows the talk: :attr:`EquivariantVariety.ed_degree` is the sum
of the ED degrees of the real components (the ED degree of the real algebraic set's Zariski closure);
the complex variety cut out by the same equations has more components (``docs/math.md`` section 4).

All counts, degrees and dimensions are exact Python ints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.equivariance.blocks import Block, Ranks
from equilin.equivariance.commutant import Commutant, _block_ranks
from equilin.equivariance.components import _maximal_tuples, _raisable, _top_dim_degree
from equilin.equivariance.counting import ComponentCount, _union_ed_degree, count_components
from equilin.equivariance.lowrank import _factor_vectors, _gaussian_factors, _nearest_factors
from equilin.equivariance.selection import best_ranks
from equilin.equivariance.weight_sharing import WeightSharing, _weight_sharing
from equilin.geometry import DeterminantalVariety, ProductVariety, Variety, VarietyUnion
from equilin.groups import Permutation, PermutationGroup
from equilin.validation import as_generator, check_int, check_real

__all__ = ["EquivariantVariety", "EquivariantComponent"]


class EquivariantVariety(Commutant):
    """``E^G_{r, n x n}``: ``n x n`` matrices of rank ``<= r`` commuting with every ``P_g``, ``g in G``.

    The block coordinates, projections and blocks are those of its :class:`Commutant` (the class it
    extends); the rank bound adds the components, their counts, the dimension, degree and ED degree of
    the union, and nearest points.

    Parameters
    ----------
    group : Permutation or PermutationGroup
        ``sigma`` (the cyclic group it generates), or any permutation group given by generators.
    rank : int
        Rank bound (the autoencoder's bottleneck).
    method : {"auto", "fourier", "abelian", "torus", "generic"}
        The backend of the block coordinates (see :class:`Commutant`; ``"auto"`` is
        :func:`~equilin.equivariance.choose_method`). Where two backends apply they give the same blocks
        (labels, order, sizes).
    seed : int
        Seed of the generic decomposition's random commuting matrices (see
        :class:`~equilin.equivariance.IsotypicDecomposition`); ignored by the FFT paths.

    Examples
    --------
    The talk's 3 x 3 rotation, ``sigma = (1 2 3 4)(5 6 7 8)`` in ``S_9``, ``r = 3``:

    >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
    >>> E.spectrum, [b.label for b in E.blocks]
    ({1: 3, 2: 2, 4: 2}, ['r_{1,1}', 'r_{4,3}', 'r_{2,1}'])
    >>> E.count_components()
    ComponentCount(total=5, rank_r=5)
    >>> [c.label() for c in E.components()][:2]
    ['r_{1,1}=3 r_{4,3}=0 r_{2,1}=0', 'r_{1,1}=2 r_{4,3}=0 r_{2,1}=1']
    >>> E.dim, E.degree, E.ed_degree
    (11, 30, 20)

    Rotations and flips of a 3 x 3 image (the dihedral group of order 8, not cyclic):

    >>> from equilin.groups import image_flip, image_rot90
    >>> D4 = PermutationGroup([image_rot90(3), image_flip(3, 3)])
    >>> E = EquivariantVariety(D4, 2)
    >>> [(b.label, b.kind, b.size, b.weight) for b in E.blocks]   # doctest: +NORMALIZE_WHITESPACE
    [('r_{V1}', 'real', 3, 1), ('r_{V2}', 'real', 1, 1), ('r_{V3}', 'real', 1, 1),
     ('r_{V4}', 'real', 2, 2)]
    >>> E.commutant_dim, E.count_components(), E.dim, E.degree, E.ed_degree
    (15, ComponentCount(total=5, rank_r=5), 8, 3, 12)
    """

    def __init__(self, group: Permutation | PermutationGroup, rank: int, *, method: str = "auto",
                 seed: int = 0) -> None:
        super().__init__(group, method=method, seed=seed)
        self.rank: int = check_int(rank, "rank", 0)

    @classmethod
    def for_ranks(cls, group: Permutation | PermutationGroup, ranks: Sequence[int] | Mapping[Any, int],
                  *, method: str = "auto", seed: int = 0) -> EquivariantVariety:
        """The variety whose budget ``r`` is the weighted sum of ``ranks`` (so ``ranks`` is maximal).

        Examples
        --------
        >>> EquivariantVariety.for_ranks(Permutation.from_cycles("(1 2 3)", 3), {"r_{3,2}": 1}).rank
        2
        """
        probe = cls(group, 0, method=method, seed=seed)
        probe.rank = sum(b.weight * b.size for b in probe.blocks)
        parsed = probe.parse_ranks(ranks)
        return cls(group, sum(b.weight * k for b, k in zip(probe.blocks, parsed)), method=method, seed=seed)

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M`` commutes with the group and has rank ``<= r`` (both up to ``tol``)."""
        arr = self._check_matrix(M, "M")
        if not self.is_equivariant(arr, tol):
            return False
        ranks = _block_ranks(self._matrix_blocks(arr), tol, self.blocks)
        return sum(b.weight * k for b, k in zip(self.blocks, ranks)) <= self.rank

    # -- components -----------------------------------------------------------------------------
    def count_components(self) -> ComponentCount:
        """``(total, rank_r)``, exact, see :func:`count_components`."""
        return count_components(self.blocks, self.rank)

    def parse_ranks(self, ranks: Any) -> tuple[int, ...]:
        """:meth:`BlockStructure.parse_ranks` (a rank tuple in block order, a mapping
        ``{"r_{l,m}" or (l, m): rank}`` or the text of :meth:`EquivariantComponent.label`; ranks within
        ``0..d_b``), and a weighted sum ``<= rank``. Returns the tuple; it need not be maximal (see
        :meth:`component` for that check).

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> E.parse_ranks({"r_{4,3}": 1}), E.parse_ranks("r_{1,1}=1 r_{4,3}=1 r_{2,1}=0")
        ((0, 1, 0), (1, 1, 0))
        """
        out = self.block_structure.parse_ranks(ranks)
        used = sum(b.weight * k for b, k in zip(self.blocks, out))
        if used > self.rank:
            raise ValueError(f"weighted rank {used} of {_label(self.blocks, out)} exceeds rank={self.rank} "
                             "(a block's rank counts with its weight: 2 for complex blocks of a cyclic "
                             "group, the irreducible's dimension in general)")
        return out

    def component(self, ranks: Sequence[int] | Mapping[Any, int]) -> EquivariantComponent:
        """The irreducible component of a maximal rank tuple.

        Parameters
        ----------
        ranks : tuple or mapping
            In block order, or ``{"r_{l,m}": rank}`` / ``{(l, m): rank}`` (blocks left out get rank 0).

        Raises
        ------
        ValueError
            For a wrong length, a rank outside ``0..d_b``, a weighted sum above ``r``, or a tuple that
            is not maximal (the message names a block that can still be raised).

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> C = E.component({"r_{1,1}": 1, "r_{4,3}": 1})
        >>> C.label(), C.dim, C.degree, C.ed_degree, C.n_params
        ('r_{1,1}=1 r_{4,3}=1 r_{2,1}=0', 11, 24, 6, 14)
        """
        values = self.parse_ranks(ranks)
        raisable = _raisable(self.blocks, values, self.rank)
        if raisable is not None:
            b = self.blocks[raisable]
            used = sum(x.weight * k for x, k in zip(self.blocks, values))
            raise ValueError(f"{_label(self.blocks, values)} is not maximal: {b.label} can be raised to "
                             f"{values[raisable] + 1} within rank={self.rank} (weighted rank {used}), so its "
                             "matrices lie in a larger component")
        return EquivariantComponent(self, values, _checked=True)

    def is_maximal(self, ranks: Any) -> bool:
        """Whether ``ranks`` (within the budget) is maximal, i.e. names an irreducible component: no
        block below its size can be raised by one within ``r``.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> E.is_maximal((1, 1, 0)), E.is_maximal((1, 0, 0))
        (True, False)
        """
        return _raisable(self.blocks, self.parse_ranks(ranks), self.rank) is None

    def components(self, order: str = "lex") -> Iterator[EquivariantComponent]:
        """All irreducible components, lazily.

        Parameters
        ----------
        order : {"lex"}
            Lexicographically decreasing rank tuples in block order (the first component puts as much
            rank as possible on ``r_{1,1}``). Both kinds ("rank r" and "rank r-1") are listed; every
            branch of the search leads to a component, so the delay between two is ``O(#blocks * d)``.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3)", 3), 2)
        >>> [(c.label(), c.kind) for c in E.components()]
        [('r_{1,1}=1 r_{3,2}=0', 'rank r-1'), ('r_{1,1}=0 r_{3,2}=1', 'rank r')]
        """
        if order != "lex":
            raise ValueError(f"order must be 'lex' (lexicographically decreasing ranks), got {order!r}")
        return self._components()

    def _components(self) -> Iterator[EquivariantComponent]:
        for ranks in _maximal_tuples(self.blocks, self.rank):
            yield EquivariantComponent(self, ranks, _checked=True)

    # -- geometry of the union ------------------------------------------------------------------
    @cached_property
    def _top(self) -> tuple[int, int]:
        """(dim, degree) of the union (:func:`equilin.equivariance.components._top_dim_degree`)."""
        return _top_dim_degree(self.blocks, self.rank)

    @property
    def dim(self) -> int:
        """Dimension of ``E_r``: the largest dimension of a component (knapsack DP)."""
        return self._top[0]

    @property
    def degree(self) -> int:
        """Degree of ``E_r``: the sum of the degrees of its components of top dimension."""
        return self._top[1]

    @property
    def ed_degree(self) -> int:
        """Sum of the ED degrees of all real components (every kind): the ED degree of the real
        algebraic set's Zariski closure, following the talk (docs/math.md section 4). Closed form: the
        generating function of ``prod_b binom(d_b, r_b)`` over the blocks of weight ``w`` is
        ``(1 + x^w)^{D_w}`` with ``D_w`` their total size (for a cyclic group
        ``(1+x)^{D_R} (1+x^2)^{D_C}``); the maximal tuples are summed as in :func:`count_components`."""
        return _union_ed_degree(self.blocks, self.rank)

    # -- nearest point ----------------------------------------------------------------------------
    def nearest_component(self, U: ArrayLike) -> EquivariantComponent:
        """A component containing a nearest point of ``E_r`` to ``U`` (see :meth:`nearest`)."""
        return self._nearest(self._check_matrix(U, "U"))[0]

    def nearest_ranks(self, U: ArrayLike) -> Ranks:
        """The labelled ranks ``{"r_{l,m}": rank}`` of :meth:`nearest_component`."""
        return self.nearest_component(U).labelled_ranks

    def nearest(self, U: ArrayLike) -> NDArray[np.float64]:
        """A nearest point of ``E_r`` (all components) to the ``n x n`` matrix ``U``, Frobenius norm.

        Project ``U`` onto the commutant, take the SVD of every block, and choose the block ranks by an
        exact knapsack: keeping rank ``k`` in block ``b`` gains the sum of its top ``k`` squared singular
        values times :attr:`~Block.frobenius_weight` (2 for cyclic complex blocks,
        ``||R(Z)||_F^2 = 2 ||Z||_F^2``; pairs of singular values of a quaternionic block's complex
        adjoint), under the budget ``sum_b w_b r_b <= r`` (:func:`~equilin.equivariance.best_ranks`). The
        ranks are then raised to a maximal tuple (this keeps the point).
        """
        comp, svds = self._nearest(self._check_matrix(U, "U"))
        return self._matrix_from_checked(comp._truncate(svds))

    def _nearest(self, U: NDArray[np.float64]) -> tuple[EquivariantComponent, list[Any]]:
        svds = [np.linalg.svd(a) for a in self._matrix_blocks(U)]
        gains = []
        for b, (_, s, _) in zip(self.blocks, svds):
            kmax = min(b.size, self.rank // b.weight)
            cumulative = np.concatenate([[0.0], np.cumsum(s[:kmax * b.rank_step] ** 2)])
            gains.append(b.frobenius_weight * cumulative[::b.rank_step])
        ranks = best_ranks(self.blocks, gains, self.rank)
        return EquivariantComponent(self, ranks, _checked=True), svds

    # -- values -------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EquivariantVariety):
            return NotImplemented
        return (self.group, self.rank, self.method) == (other.group, other.rank, other.method)

    def __hash__(self) -> int:
        return hash((self.group, self.rank, self.method))

    def __repr__(self) -> str:
        return f"EquivariantVariety({self._sigma_repr()}, rank={self.rank}{self._method_repr()})"

    def __str__(self) -> str:
        marks = {"real": "", "complex": "C", "quaternionic": "H"}
        blocks = " (+) ".join(f"{b.label}:{b.size}{marks[b.kind]}" for b in self.blocks)
        name = "sigma" if self.sigma is not None else "G"
        return f"E^{name}_{{{self.rank}, {self.n}x{self.n}}}, blocks {blocks}"


def _label(blocks: Sequence[Block], ranks: Sequence[int]) -> str:
    return Ranks.of(blocks, ranks).text


class EquivariantComponent(Variety):
    """One irreducible component ``E^{G, r}`` of ``E^G_{r, n x n}`` (built by
    :meth:`EquivariantVariety.component` or :meth:`EquivariantVariety.components`).

    In the basis ``Q`` it is ``prod_b M_{r_b, d_b x d_b}(D_b)``, realized: real blocks as they are,
    complex blocks as ``R(M_{r_b}(C))``, quaternionic ones through their complex adjoints; dimensions
    add, degrees and ED degrees multiply (``docs/math.md`` sections 2 and 4, the per-block values of
    :class:`~equilin.equivariance.BlockStructure`). Its points are ``n x n`` real matrices;
    :attr:`factors` describes it in block coordinates.
    """

    def __init__(self, variety: EquivariantVariety, ranks: Sequence[int] | Mapping[Any, int],
                 *, _checked: bool = False) -> None:
        if not isinstance(variety, EquivariantVariety):
            raise ValueError(f"variety must be an EquivariantVariety, got {type(variety).__name__}")
        if not _checked:  # validate as EquivariantVariety.component does
            ranks = variety.component(ranks).ranks
        self.variety = variety
        self.ranks: tuple[int, ...] = tuple(int(k) for k in ranks)
        self.blocks: tuple[Block, ...] = variety.blocks

    # -- data -----------------------------------------------------------------------------------
    @property
    def max_rank(self) -> int:
        """Rank of a generic point: ``sum_b w_b r_b``."""
        return self.variety.block_structure.max_rank_of(self.ranks)

    @property
    def kind(self) -> str:
        """``"rank r"`` (weighted sum ``r``, the talk's components), ``"whole commutant"`` (every block
        full, ``r > n``), otherwise ``"rank r-s"`` with ``s`` the unused budget, below the weight of every
        block that is not full (for a cyclic group ``"rank r-1"``: every real block full)."""
        slack = self.variety.rank - self.max_rank
        if slack == 0:
            return "rank r"
        if all(k == b.size for b, k in zip(self.blocks, self.ranks)):
            return "whole commutant"
        return f"rank r-{slack}"

    @property
    def labelled_ranks(self) -> Ranks:
        """The ranks keyed by block label, in block order (a :class:`~equilin.equivariance.Ranks`: a mapping
        ``{"r_{l,m}": rank}`` whose repr parses back)."""
        return Ranks.of(self.blocks, self.ranks)

    def label(self) -> str:
        """The ranks with their block labels, e.g. ``'r_{1,1}=1 r_{4,3}=1 r_{2,1}=0'``."""
        return _label(self.blocks, self.ranks)

    @cached_property
    def factors(self) -> ProductVariety:
        """``prod_b DeterminantalVariety(d_b, d_b, r_b, field)`` (field ``"C"`` on complex blocks)."""
        return ProductVariety([DeterminantalVariety(b.size, b.size, k, b.field.name)
                               for b, k in zip(self.blocks, self.ranks)])

    @property
    def dim(self) -> int:
        return self.variety.block_structure.dim_of(self.ranks)

    @property
    def degree(self) -> int:
        return self.variety.block_structure.degree_of(self.ranks)

    @property
    def ed_degree(self) -> int:
        return self.variety.block_structure.ed_degree_of(self.ranks)

    @property
    def singular_locus(self) -> VarietyUnion | None:
        """In block coordinates: the union over blocks with ``0 < r_b < d_b`` of the products with that
        block's rank lowered by one (:attr:`ProductVariety.singular_locus` of :attr:`factors`);
        ``None`` when the component is smooth (every block of rank 0 or full)."""
        return self.factors.singular_locus

    @property
    def n_params(self) -> int:
        """Parameters of the autoencoder that parameterizes this component: ``2 dim_R(D_b) d_b r_b`` per
        block (``2 d r`` per real block, ``4 d r`` per complex block)."""
        return self.variety.block_structure.n_params_of(self.ranks)

    # -- points -------------------------------------------------------------------------------------
    def _truncate(self, svds: list[Any]) -> list[NDArray[Any]]:
        out = []
        for (u, s, vh), k, b in zip(svds, self.ranks, self.blocks):
            kk = k * b.rank_step
            out.append((u[:, :kk] * s[:kk]) @ vh[:kk])
        return out

    def nearest_blocks(self, blocks: Sequence[ArrayLike]) -> list[NDArray[Any]]:
        """Per-block Eckart-Young on blocks given as by :meth:`EquivariantVariety.matrix_to_blocks`
        (complex SVD on complex blocks)."""
        arrays, _ = self.variety._check_blocks(blocks, "blocks", square=True)
        return self._truncate([np.linalg.svd(a) for a in arrays])

    def nearest(self, U: ArrayLike) -> NDArray[np.float64]:
        """A nearest point of this component to the ``n x n`` matrix ``U`` (Frobenius): project onto the
        commutant, then truncate the SVD of every block to its rank (complex SVD on complex blocks)."""
        return self.variety._matrix_from_checked(self.nearest_blocks(self.variety.matrix_to_blocks(U)))

    def sample_factors(self, rng: np.random.Generator | int | None = None
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """A random generic point as an autoencoder: ``(decoder n x r', encoder r' x n)``,
        ``r' = max_rank``, Gaussian block factors (no ``n x n`` matrix)."""
        lefts, rights = _gaussian_factors(self.blocks, self.ranks, as_generator(rng))
        return _factor_vectors(self.variety, self.ranks, lefts, rights)

    def sample(self, rng: np.random.Generator | int | None = None) -> NDArray[np.float64]:
        """A random generic point (rank ``max_rank``), as an ``n x n`` matrix."""
        A, B = self.sample_factors(rng)
        return A @ B

    def nearest_lowrank(self, A: ArrayLike, B: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Nearest point of the component to ``U = A @ B`` given by thin factors ``A`` (``n x k``) and
        ``B`` (``k x n``), returned as an autoencoder ``(decoder n x r', encoder r' x n)``; no
        ``n x n`` array is formed (block coordinates of the ``2k`` vectors, then thin QR and SVD per
        block). Padding columns are zero where ``U`` has lower rank than the component."""
        E = self.variety
        A_ = check_real(A, "A")
        B_ = check_real(B, "B")
        if A_.ndim != 2 or A_.shape[0] != E.n or B_.shape != (A_.shape[1], E.n):
            raise ValueError(f"A must be n x k and B k x n with n={E.n}, got shapes {A_.shape} and "
                             f"{np.shape(B)}")
        return _nearest_factors(E, self.ranks, A_, B_)

    def contains(self, M: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether ``M`` commutes with the group and every block has rank ``<= r_b`` (up to ``tol``)."""
        E = self.variety
        arr = E._check_matrix(M, "M")
        if not E.is_equivariant(arr, tol):
            return False
        ranks = _block_ranks(E._matrix_blocks(arr), tol, self.blocks)
        return all(k <= bound for k, bound in zip(ranks, self.ranks))

    # -- weight sharing ---------------------------------------------------------------------------
    def weight_sharing(self) -> WeightSharing:
        """Encoder (``r' x n``) and decoder (``n x r'``) templates in the basis ``Q``, ``r' = max_rank``.

        Both are block diagonal with the component's ranks. A real block is dense with distinct ids
        (row-major). A complex block is the realization of a complex matrix: its entry ``(i, j)`` is
        the 2 x 2 pattern ``[[a, -b], [b, a]]`` with ids ``a = base + 2 (i * cols + j)`` and ``b = a + 1``.

        Examples
        --------
        >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
        >>> W = E.component((1, 1, 0)).weight_sharing()
        >>> W.encoder_ids.tolist()[1:]
        [[-1, -1, -1, 3, 4, 5, 6, -1, -1], [-1, -1, -1, 4, 3, 6, 5, -1, -1]]
        >>> W.encoder_signs.tolist()[1:]
        [[0, 0, 0, 1, -1, 1, -1, 0, 0], [0, 0, 0, 1, 1, 1, 1, 0, 0]]
        """
        return _weight_sharing(self.blocks, self.ranks, self.variety._offsets, self.variety.n)

    # -- values -------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EquivariantComponent):
            return NotImplemented
        return (self.variety, self.ranks) == (other.variety, other.ranks)

    def __hash__(self) -> int:
        return hash((self.variety, self.ranks))

    def __repr__(self) -> str:
        return f"{self.variety!r}.component({self.labelled_ranks!r})"

    def __str__(self) -> str:
        name = "sigma" if self.variety.sigma is not None else "G"
        return f"E^{{{name}, r}} with {self.label()} ({self.kind}, max rank {self.max_rank})"

