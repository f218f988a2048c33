"""Blocks of the commutant of a permutation representation, and the structure they form.

A permutation representation ``P`` of a finite group ``G`` on ``R^n`` splits into isotypic components
``V_i^{m_i}``; by Schur's lemma the ``n x n`` matrices commuting with every ``P_g`` are, in an adapted
orthogonal basis, block diagonal: one block ``M_{m_i}(D_i)`` per irreducible ``V_i``, over its field
``D_i`` (``R``, ``C`` or ``H``, :mod:`equilin.geometry.fields`), repeated on the ``delta_i / dim_R D_i`` copies
of ``V_i`` (``delta_i = dim_R V_i``). A :class:`Block` is that data: field, multiplicity ``m_i``
(:attr:`Block.size`), ``delta_i`` (:attr:`Block.weight`, the real rank one unit of rank over ``D_i``
costs), the label of its rank and the irreducible's character. Every backend of
:class:`equilin.equivariance.EquivariantVariety` (cyclic FFT, abelian FFT, torus FFT, orbit-wise) yields
the same :class:`BlockStructure` for the same group: same blocks, labels and order.

Labels: the talk's ``r_{l,m}`` (the eigenvalue ``exp(2 pi i m / l)`` of the generator) when one of the
given generators generates the group; ``r_{(a_1,...,a_k)}`` (a frequency vector) for a product of
cyclic groups on grids; ``r_{[(a_1,...,a_k)]}`` (a frequency orbit) for translations with a point
group; ``r_{Vi}`` (the ``i``-th irreducible found, trivial first) otherwise.

Examples
--------
>>> b = Block.cyclic(4, 3, size=2)
>>> b
Block(COMPLEX, size=2, weight=2, label='r_{4,3}')
>>> b.field.name, b.real_dim, b.dim_of(1), b.degree_of(1), b.ed_degree_of(1), b.n_params_of(1)
('C', 4, 6, 4, 2, 8)
>>> S = BlockStructure((Block.cyclic(1, 1, 3), b, Block.cyclic(2, 1, 2)))
>>> S.labels, S.n, S.commutant_dim
(('r_{1,1}', 'r_{4,3}', 'r_{2,1}'), 9, 21)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from equilin.geometry import COMPLEX, REAL, Field, field_degree
from equilin.validation import check_int

__all__ = ["Block", "BlockStructure", "Ranks"]


@dataclass(frozen=True, repr=False)
class Block:
    """One block ``M_m(D)`` of the commutant (immutable; equal blocks have equal field, size, weight and
    label).

    Parameters
    ----------
    field : Field
        :data:`~equilin.geometry.REAL`, :data:`~equilin.geometry.COMPLEX` or
        :data:`~equilin.geometry.QUATERNIONIC`: the type of the irreducible ``V``.
    size : int
        The multiplicity ``m`` of ``V`` (ranks over ``D`` run over ``0..m``).
    weight : int
        ``delta = dim_R V``, a multiple of ``dim_R D``: rank ``k`` over ``D`` is real rank ``k delta``.
    label : str
        The name of this block's rank (see the module docstring).
    character : tuple of float
        The trace on ``V`` of every given generator of the group, in the given order (not compared).
    eigenvalue : (l, m) or None
        For a cyclic group: the eigenvalue ``exp(2 pi i m / l)`` of its generator on ``V`` (not
        compared), as in the talk; ``None`` otherwise.

    Examples
    --------
    >>> from equilin.geometry import QUATERNIONIC
    >>> b = Block(QUATERNIONIC, 1, 4, "r_{V3}")
    >>> b.field.name, b.real_dim, b.copies, b.dim_of(1), b.degree_of(1), b.n_params_of(1)
    ('H', 4, 2, 4, 1, 8)
    """

    field: Field
    size: int
    weight: int
    label: str
    character: tuple[float, ...] = dataclasses.field(default=(), compare=False)
    eigenvalue: tuple[int, int] | None = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.field, Field):
            raise ValueError(f"field must be equilin.geometry.REAL, COMPLEX or QUATERNIONIC, got {self.field!r}")
        check_int(self.size, "size", 1)
        check_int(self.weight, "weight", 1)
        if self.weight % self.field.dim:
            raise ValueError(f"a {self.field.kind} irreducible has real dimension divisible by {self.field.dim}, "
                             f"got {self.weight}")
        if not isinstance(self.label, str) or not self.label:
            raise ValueError(f"label must be a non-empty string, got {self.label!r}")
        if self.eigenvalue is not None:
            l, m = self.eigenvalue
            if self.field is REAL:
                if (l, m) not in ((1, 1), (2, 1)) or self.weight != 1:
                    raise ValueError(f"a real block of a cyclic group is (1, 1) or (2, 1) with weight 1, got "
                                     f"(l, m) = ({l}, {m}), weight {self.weight}")
            elif (self.field is not COMPLEX or l < 3 or math.gcd(l, m) != 1 or not l < 2 * m < 2 * l
                  or self.weight != 2):
                raise ValueError(f"a complex block (l, m) of a cyclic group needs l >= 3, gcd(m, l) = 1, "
                                 f"1/2 < m/l < 1 and weight 2, got (l, m) = ({l}, {m}), weight {self.weight}")

    @classmethod
    def cyclic(cls, l: int, m: int, size: int, exponents: Sequence[int] = (1,)) -> Block:
        """The block of eigenvalue ``exp(2 pi i m / l)`` of a cyclic group's generator ``sigma``:
        real for ``(1, 1)`` and ``(2, 1)``, else complex; label ``r_{l,m}``; character on the given
        generators ``sigma^e`` for ``e`` in ``exponents``.

        Examples
        --------
        >>> Block.cyclic(3, 2, 1, exponents=(1, 2)).character
        (-1.0, -1.0)
        """
        check_int(l, "l", 1)
        check_int(m, "m", 1)
        real = (l, m) in ((1, 1), (2, 1))
        trace = [round((1.0 if real else 2.0) * math.cos(2 * math.pi * m * e / l), 9) + 0.0 for e in exponents]
        return cls(REAL if real else COMPLEX, size, 1 if real else 2, f"r_{{{l},{m}}}", tuple(trace), (l, m))

    # -- the cyclic view (the talk's notation) ----------------------------------------------------------
    @property
    def l(self) -> int:  # noqa: E743 - the talk's name
        """``l`` of the eigenvalue ``exp(2 pi i m / l)`` (cyclic groups only)."""
        return self._eigenvalue()[0]

    @property
    def m(self) -> int:
        """``m`` of the eigenvalue ``exp(2 pi i m / l)`` (cyclic groups only)."""
        return self._eigenvalue()[1]

    @property
    def angle(self) -> float:
        """Rotation angle ``2 pi m / l`` of the generator on this block (``pi`` for ``(2, 1)``)."""
        l, m = self._eigenvalue()
        return 2 * math.pi * m / l

    def frequency(self, length: int) -> int:
        """Spatial frequency ``j = (l - m) L / l`` of this block on a cycle of length ``L`` (``l | L``)."""
        l, m = self._eigenvalue()
        if length % l:
            raise ValueError(f"block {self.label} does not occur on a cycle of length {length}")
        return 0 if (l, m) == (1, 1) else (l - m) * length // l

    def _eigenvalue(self) -> tuple[int, int]:
        if self.eigenvalue is None:
            raise ValueError(f"block {self.label} is not a block of a cyclic group: it has no eigenvalue (l, m)")
        return self.eigenvalue

    # -- what the field says ------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``"real"``, ``"complex"`` or ``"quaternionic"``: :attr:`Field.kind` of :attr:`field`."""
        return self.field.kind

    @property
    def field_dim(self) -> int:
        """``dim_R D``: 1, 2 or 4."""
        return self.field.dim

    @property
    def real_dim(self) -> int:
        """Number of real coordinates (columns of ``Q``): ``weight * size``."""
        return self.weight * self.size

    @property
    def copies(self) -> int:
        """Rows per sample of the folded block coordinates: ``delta`` (real), ``delta / 2`` (complex and
        quaternionic); 1 for every block of a cyclic group."""
        return self.field.copies(self.weight)

    @property
    def vector_size(self) -> int:
        """Length of a row: ``m`` (real and complex), ``2 m`` (quaternionic, complex adjoint)."""
        return self.field.vector_size(self.size)

    @property
    def rank_step(self) -> int:
        """Rank of the block operator ``Z`` per unit of rank over ``D``: 2 for the complex adjoint."""
        return self.field.rank_step

    @property
    def frobenius_weight(self) -> int:
        """``f`` with ``||M_block||_F^2 = f ||Z||_F^2`` for the block operator ``Z``."""
        return self.field.frobenius_weight(self.weight)

    def dim_of(self, k: int) -> int:
        """Real dimension of ``M_{k, m x m}(D)``: ``dim_R(D) k (2m - k)``."""
        return self.field.dim_of(self.size, k)

    def degree_of(self, k: int) -> int:
        """Degree of ``M_{k, m x m}(D)`` as a real variety (:func:`equilin.geometry.field_degree`)."""
        return field_degree(self.field, self.size, k)

    def ed_degree_of(self, k: int) -> int:
        """ED degree of ``M_{k, m x m}(D)`` (Frobenius norm): ``binom(m, k)`` for all three types
        (``docs/equivariance.md``)."""
        return math.comb(self.size, k)

    def n_params_of(self, k: int) -> int:
        """Weights of an encoder and a decoder of rank ``k`` over ``D``: ``2 dim_R(D) m k``."""
        return self.field.n_params_of(self.size, k)

    def __repr__(self) -> str:
        return f"Block({self.field!r}, size={self.size}, weight={self.weight}, label={self.label!r})"


@dataclass(frozen=True)
class BlockStructure(Sequence[Block]):
    """The blocks of a commutant in their canonical order (immutable, a sequence of :class:`Block`).

    Examples
    --------
    >>> S = BlockStructure((Block.cyclic(1, 1, 2), Block.cyclic(3, 2, 1)))
    >>> S.index("r_{3,2}"), S["r_{3,2}"].field.name, len(S), S.weights
    (1, 'C', 2, (1, 2))
    """

    blocks: tuple[Block, ...]

    def __post_init__(self) -> None:
        blocks = tuple(self.blocks)
        if not all(isinstance(b, Block) for b in blocks):
            raise ValueError("a BlockStructure holds equilin.equivariance.Block values")
        labels = [b.label for b in blocks]
        if len(set(labels)) != len(labels):
            raise ValueError(f"block labels must be distinct, got {labels}")
        object.__setattr__(self, "blocks", blocks)
        object.__setattr__(self, "_position", {label: i for i, label in enumerate(labels)})

    @overload
    def __getitem__(self, key: int | str) -> Block: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[Block, ...]: ...

    def __getitem__(self, key: int | str | slice) -> Block | tuple[Block, ...]:
        """A block by position, by label, or a slice of blocks."""
        if isinstance(key, str):
            return self.blocks[self.index(key)]
        return self.blocks[key]

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self) -> Iterator[Block]:
        return iter(self.blocks)

    def index(self, label: object, start: int = 0, stop: int | None = None) -> int:
        """Position of the block labelled ``label`` (a ``ValueError`` naming the labels otherwise)."""
        position: dict[str, int] = self._position  # type: ignore[attr-defined]
        if isinstance(label, Block):
            label = label.label
        if not isinstance(label, str) or label not in position:
            raise ValueError(f"no block labelled {label!r}; the blocks are {', '.join(self.labels)}")
        return position[label]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.blocks)

    @property
    def weights(self) -> tuple[int, ...]:
        """``delta_i`` per block: the real rank of one unit of rank over ``D_i``."""
        return tuple(b.weight for b in self.blocks)

    @property
    def n(self) -> int:
        """``sum m_i delta_i``: the dimension of the representation."""
        return sum(b.size * b.weight for b in self.blocks)

    @property
    def commutant_dim(self) -> int:
        """``sum dim_R(D_i) m_i^2``: the dimension of the commutant (orbits of ``G`` on pairs)."""
        return sum(b.field_dim * b.size ** 2 for b in self.blocks)

    # -- the product prod_i M_{k_i}(D_i) of a rank tuple ------------------------------------------------
    def parse_ranks(self, ranks: Any) -> tuple[int, ...]:
        """Ranks in block order, each checked to lie in ``0..m_i``, from a sequence in block order, a
        mapping keyed by block labels, blocks or (for cyclic groups) pairs ``(l, m)`` (blocks left out get
        rank 0), or the text of a component's label (``"r_{1,1}=1 r_{4,3}=1"``).

        Examples
        --------
        >>> S = BlockStructure((Block.cyclic(1, 1, 3), Block.cyclic(4, 3, 2), Block.cyclic(2, 1, 2)))
        >>> S.parse_ranks({"r_{4,3}": 1}), S.parse_ranks("r_{1,1}=1 r_{4,3}=1"), S.parse_ranks([2, 0, 1])
        ((0, 1, 0), (1, 1, 0), (2, 0, 1))
        """
        if isinstance(ranks, str):
            ranks = Ranks(ranks)
        if isinstance(ranks, Mapping):
            keys: dict[str | Block | tuple[int, int], int] = {}
            for i, b in enumerate(self.blocks):
                keys[b.label] = keys[b] = i
                if b.eigenvalue is not None:
                    keys[b.eigenvalue] = i
            values = [0] * len(self.blocks)
            for key, value in ranks.items():
                if key not in keys:
                    pairs = " or pairs (l, m)" if self.blocks and self.blocks[0].eigenvalue is not None else ""
                    raise ValueError(f"unknown block {key!r}; the blocks are {', '.join(self.labels)} "
                                     f"(keys are these labels{pairs})")
                values[keys[key]] = value
            ranks = values
        elif isinstance(ranks, bytes) or not isinstance(ranks, Iterable):
            raise ValueError("ranks must be a tuple in block order or a mapping {'r_{l,m}': rank}, "
                             f"got {type(ranks).__name__}")
        ranks = tuple(ranks)
        if len(ranks) != len(self.blocks):
            raise ValueError(f"ranks must have one entry per block: expected {len(self.blocks)} "
                             f"({', '.join(self.labels)}), got {len(ranks)}")
        out = []
        for b, k in zip(self.blocks, ranks):
            k = check_int(k, f"rank {b.label}", 0)
            if k > b.size:
                raise ValueError(f"rank {b.label}={k} exceeds the block size (multiplicity) {b.size}")
            out.append(k)
        return tuple(out)

    def dim_of(self, ranks: Any) -> int:
        """Real dimension of ``prod_i M_{k_i, m_i x m_i}(D_i)``: ``sum_i dim_R(D_i) k_i (2 m_i - k_i)``
        (:meth:`Block.dim_of` added over the blocks).

        Examples
        --------
        >>> S = BlockStructure((Block.cyclic(1, 1, 3), Block.cyclic(4, 3, 2), Block.cyclic(2, 1, 2)))
        >>> S.dim_of((1, 1, 0)), S.degree_of((1, 1, 0)), S.ed_degree_of((1, 1, 0)), S.max_rank_of((1, 1, 0))
        (11, 24, 6, 3)
        >>> S.n_params_of({"r_{1,1}": 1, "r_{4,3}": 1, "r_{2,1}": 0})
        14
        """
        return sum(b.dim_of(k) for b, k in zip(self.blocks, self.parse_ranks(ranks)))

    def degree_of(self, ranks: Any) -> int:
        """Degree of ``prod_i M_{k_i}(D_i)`` as a real variety: the product of :meth:`Block.degree_of`."""
        return math.prod(b.degree_of(k) for b, k in zip(self.blocks, self.parse_ranks(ranks)))

    def ed_degree_of(self, ranks: Any) -> int:
        """ED degree of ``prod_i M_{k_i}(D_i)`` (Frobenius norm): ``prod_i binom(m_i, k_i)``."""
        return math.prod(b.ed_degree_of(k) for b, k in zip(self.blocks, self.parse_ranks(ranks)))

    def max_rank_of(self, ranks: Any) -> int:
        """Real rank of a generic matrix with block ranks ``k_i`` over ``D_i``: ``sum_i delta_i k_i``."""
        return sum(b.weight * k for b, k in zip(self.blocks, self.parse_ranks(ranks)))

    def n_params_of(self, ranks: Any) -> int:
        """Weights of the block-wise encoder and decoder of these ranks: ``sum_i 2 dim_R(D_i) m_i k_i``."""
        return sum(b.n_params_of(k) for b, k in zip(self.blocks, self.parse_ranks(ranks)))

    def __repr__(self) -> str:
        return f"BlockStructure({', '.join(f'{b.label}:{b.size}x{b.field.name}' for b in self.blocks)})"



class Ranks(Mapping[str, int]):
    """Block ranks keyed by block label, in block order: an immutable mapping whose text form
    ``"r_{1,1}=2 r_{4,3}=1 r_{2,1}=0"`` is what component labels print, what ``--ranks`` and
    :meth:`equilin.equivariance.EquivariantVariety.parse_ranks` accept, and what the repr wraps (so
    ``eval(repr(ranks)) == ranks``).

    Parameters
    ----------
    ranks : str or mapping
        ``"label=rank"`` items separated by spaces, or ``{label: rank}``; ranks are non-negative ints.

    Examples
    --------
    >>> R = Ranks("r_{1,1}=2 r_{4,3}=1 r_{2,1}=0")
    >>> R
    Ranks('r_{1,1}=2 r_{4,3}=1 r_{2,1}=0')
    >>> R["r_{4,3}"], tuple(R.values()), str(R) == R.text, eval(repr(R)) == R
    (1, (2, 1, 0), True, True)
    >>> Ranks.of(BlockStructure((Block.cyclic(1, 1, 3), Block.cyclic(3, 2, 1))), (2, 1))
    Ranks('r_{1,1}=2 r_{3,2}=1')
    """

    __slots__ = ("_items",)
    _items: tuple[tuple[str, int], ...]

    def __init__(self, ranks: str | Mapping[Any, int]) -> None:
        if isinstance(ranks, str):
            items = self._parse(ranks)
        elif isinstance(ranks, Mapping):
            items = {}
            for label, value in ranks.items():
                if isinstance(label, Block):
                    label = label.label
                if not isinstance(label, str) or not label or any(c.isspace() or c == "=" for c in label):
                    raise ValueError(f"a block label is a non-empty string without spaces or '=', got {label!r}")
                items[label] = check_int(value, f"rank of {label}", 0)
        else:
            raise ValueError(f"ranks must be 'label=rank' text or a mapping {{label: rank}}, got "
                             f"{type(ranks).__name__}")
        object.__setattr__(self, "_items", tuple(items.items()))

    @staticmethod
    def _parse(text: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in text.split():
            label, sep, value = item.partition("=")
            if not sep or not label or not value.isdigit():
                raise ValueError(f"ranks text must be 'label=rank' items separated by spaces, ranks >= 0 "
                                 f"(as component labels print them, e.g. 'r_{{1,1}}=1'), got {item!r} in {text!r}")
            if label in out:
                raise ValueError(f"block {label} is given twice in {text!r}")
            out[label] = int(value)
        return out

    @classmethod
    def of(cls, blocks: Sequence[Block], ranks: Sequence[int]) -> Ranks:
        """The ranks of a tuple in block order."""
        if len(blocks) != len(ranks):
            raise ValueError(f"expected {len(blocks)} ranks (one per block), got {len(ranks)}")
        return cls({b.label: k for b, k in zip(blocks, ranks)})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Ranks values are immutable")

    def __getitem__(self, label: str) -> int:
        for key, value in self._items:
            if key == label:
                return value
        raise KeyError(label)

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items))

    @property
    def text(self) -> str:
        """``"label=rank"`` items separated by spaces."""
        return " ".join(f"{key}={value}" for key, value in self._items)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Ranks({self.text!r})"
