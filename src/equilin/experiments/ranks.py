"""The rank tuples of the MNIST experiment's models: components of the shift-equivariant maps ``E_r``.

The group is ``sigma = image_shift(H, W)`` (every row shifted cyclically by one pixel to the right).
Blocks are in the order of :attr:`equilin.equivariance.EquivariantVariety.blocks`: ``r_{1,1}`` (spatial
frequency 0), the complex blocks by increasing frequency (``r_{28,27}`` is frequency 1, ...,
``r_{28,15}`` frequency 13 for MNIST), then ``r_{2,1}`` (frequency ``W / 2``, real). A block ``(l, m)``
has normalized frequency ``(l - m) / l`` in ``[0, 1/2]``; block order is increasing normalized
frequency. A block of weight ``w_b`` (1 for a real block, 2 for a complex one) and rank ``r_b`` adds
``w_b r_b`` to the rank of the component's matrices (:func:`weighted_rank`).

* :func:`talk_ranks`: the talk's component ``r = (13, 10, 9, 8, 7, 5, 3, 1, 0, ..., 0)`` (:data:`TALK_RANKS`);
  it exists only for 28 x 28 images and ``r = 99`` (:func:`is_talk_variety`);
* :func:`equal_rank_ranks`, :func:`high_pass_ranks`, :func:`low_pass_ranks`: the definitions below;
* :func:`format_ranks`: labelled ranks as the table prints them;
* :class:`ModelSpec`, :func:`talk_model_specs`, :func:`general_model_specs`: each model of the table with
  its ranks and its note (:data:`MODEL_NAMES` for ``shift-x``, :data:`GENERAL_MODELS` for other groups).

Definitions the talk does not give (chosen here, and printed with the experiment's table):

*equal-rank*
    every block gets the same rank ``s``, the largest with ``s * (total weight of the blocks) <= r``
    (and ``s <= d_b`` for every block). The total weight is ``sum_b w_b`` (real blocks 1, complex 2):
    28 for MNIST, so ``s = 3`` and the weighted rank is ``84 < 99`` -- this component does not use the
    whole budget. It needs ``r >= total weight`` (28 for 28 x 28 images, 8 for 8 x 8); a smaller ``r``
    is refused.
*high-pass*
    for MNIST with ``r = 99``: the talk's rank list assigned in reverse frequency order, i.e. the
    talk's tuple reversed: ``r_{2,1}`` (frequency 14, real) gets 13, frequency 13 gets 10, 12 gets 9,
    11 gets 8, 10 gets 7, 9 gets 5, 8 gets 3, 7 gets 1, frequencies 0..6 (``r_{1,1}`` included) get 0;
    weighted rank ``13 + 2 * 43 = 99``. For other sizes or ranks: fill greedily from the highest
    frequency down, every block full (rank ``d_b``) before the next lower frequency; the first block
    that does not fit gets what fits (``floor(left / w_b)``) and any rank left over (at most 1) goes
    on to lower frequencies, so the budget is used and the tuple is maximal.
*low-pass*
    the same greedy fill from frequency 0 upwards (``r_{1,1}`` first). Used as the ``equivariant``
    model when the talk's ranks do not exist. For MNIST with ``r = 99`` it would be
    ``r_{1,1}=28 r_{28,27}=28 r_{14,13}=7 r_{2,1}=1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from equilin.equivariance import Block, EquivariantVariety

__all__ = [
    "MODEL_NAMES",
    "TALK_RANKS",
    "is_talk_variety",
    "weighted_rank",
    "talk_ranks",
    "equal_rank_ranks",
    "low_pass_ranks",
    "high_pass_ranks",
    "format_ranks",
    "GENERAL_MODELS",
    "ModelSpec",
    "talk_model_specs",
    "general_model_specs",
]

MODEL_NAMES: tuple[str, ...] = ("dense", "equivariant", "equal-rank", "high-pass", "best")
"""The five models of the MNIST experiment, in the order of the table and the JSON."""

GENERAL_MODELS: tuple[str, ...] = ("dense", "equal-rank", "best")
"""The models for a group other than ``shift-x`` (:func:`general_model_specs`), in table order."""

TALK_RANKS: tuple[int, ...] = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)
"""The talk's component for 28 x 28 images and ``r = 99``, in block order (``r_{1,1}`` first)."""

_TALK_CYCLE_TYPE = {28: 28}
_TALK_R = 99


def is_talk_variety(variety: EquivariantVariety) -> bool:
    """Whether the talk's ranks apply: 28 cycles of length 28 (28 x 28 images) and ``r = 99``.

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> is_talk_variety(EquivariantVariety(image_shift(28, 28), 99))
    True
    >>> is_talk_variety(EquivariantVariety(image_shift(28, 28), 98))
    False
    """
    return variety.cycle_type == _TALK_CYCLE_TYPE and variety.rank == _TALK_R


def weighted_rank(variety: EquivariantVariety, ranks: Sequence[int]) -> int:
    """``sum_b w_b r_b``: the rank of the component's matrices (complex blocks count twice).

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> weighted_rank(EquivariantVariety(image_shift(28, 28), 99), TALK_RANKS)
    99
    """
    return sum(b.weight * int(k) for b, k in zip(variety.blocks, ranks, strict=True))


def _frequency(block: Block) -> Fraction:
    """Normalized spatial frequency ``(l - m) / l`` of a block: 0 for ``(1, 1)``, 1/2 for ``(2, 1)``."""
    return Fraction(block.l - block.m, block.l)


def _greedy(variety: EquivariantVariety, order: Sequence[int]) -> tuple[int, ...]:
    """Fill the blocks in ``order``: each gets ``min(d_b, left // w_b)``; the leftover moves on."""
    ranks = [0] * len(variety.blocks)
    left = variety.rank
    for i in order:
        b = variety.blocks[i]
        ranks[i] = min(b.size, left // b.weight)
        left -= b.weight * ranks[i]
    return tuple(ranks)


def talk_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """The talk's component ``(13, 10, 9, 8, 7, 5, 3, 1, 0, ..., 0)`` in block order.

    ``r_{1,1} = 13`` (frequency 0), then frequencies 1..7 get 10, 9, 8, 7, 5, 3, 1 (complex, weight 2),
    frequencies 8..14 get 0: weighted rank ``13 + 2 * 43 = 99``, 5,544 parameters.

    Raises
    ------
    ValueError
        When the variety is not the talk's (28 cycles of length 28, ``r = 99``).

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> format_ranks(dict(zip(E.labels, talk_ranks(E))))
    'r_{1,1}=13 r_{28,27}=10 r_{14,13}=9 r_{28,25}=8 r_{7,6}=7 r_{28,23}=5 r_{14,11}=3 r_{4,3}=1'
    >>> E.component(talk_ranks(E)).n_params
    5544
    """
    if not is_talk_variety(variety):
        raise ValueError(f"the talk's ranks need 28 x 28 images (28 cycles of length 28) and r = 99, "
                         f"got cycle type {variety.cycle_type} and r = {variety.rank}")
    return TALK_RANKS


def equal_rank_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """The same rank ``s`` in every block, ``s`` the largest with ``s * sum_b w_b <= r`` and
    ``s <= d_b`` for every block.

    The component's weighted rank is ``s * sum_b w_b``, which may be below ``r`` (84 for MNIST).

    Raises
    ------
    ValueError
        When ``r < sum_b w_b`` (then ``s`` would be 0: the zero map).

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> ranks = equal_rank_ranks(E)
    >>> set(ranks), len(ranks), weighted_rank(E, ranks)
    ({3}, 15, 84)
    """
    total = sum(b.weight for b in variety.blocks)
    s = min(variety.rank // total, min(b.size for b in variety.blocks))
    if s < 1:
        raise ValueError(f"the equal-rank model needs rank >= {total} (every one of the "
                         f"{len(variety.blocks)} blocks gets rank >= 1; complex blocks count twice), "
                         f"got rank {variety.rank}")
    return (s,) * len(variety.blocks)


def low_pass_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """Fill the blocks greedily from frequency 0 upwards, each full before the next.

    Block ``b`` gets ``min(d_b, left // w_b)`` where ``left`` is the budget not yet used; any rank left
    over goes on to higher frequencies, so the tuple is maximal (a component of ``E_r``).

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> format_ranks(dict(zip(E.labels, low_pass_ranks(E))))
    'r_{1,1}=28 r_{28,27}=28 r_{14,13}=7 r_{2,1}=1'
    >>> low_pass_ranks(EquivariantVariety(image_shift(8, 8), 10))
    (8, 1, 0, 0, 0)
    """
    order = sorted(range(len(variety.blocks)), key=lambda i: _frequency(variety.blocks[i]))
    return _greedy(variety, order)


def high_pass_ranks(variety: EquivariantVariety) -> tuple[int, ...]:
    """The ranks on the highest spatial frequencies.

    For the talk's variety (28 x 28, ``r = 99``): the talk's tuple reversed -- ``r_{2,1}`` (frequency
    14) gets 13, frequencies 13, 12, ..., 7 get 10, 9, 8, 7, 5, 3, 1, the rest 0 (weighted rank 99).
    Otherwise: the greedy fill of :func:`low_pass_ranks` from the highest frequency down.

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> E = EquivariantVariety(image_shift(28, 28), 99)
    >>> high_pass_ranks(E)
    (0, 0, 0, 0, 0, 0, 0, 1, 3, 5, 7, 8, 9, 10, 13)
    >>> format_ranks(dict(zip(E.labels, high_pass_ranks(E))))
    'r_{4,3}=1 r_{7,5}=3 r_{28,19}=5 r_{14,9}=7 r_{28,17}=8 r_{7,4}=9 r_{28,15}=10 r_{2,1}=13'
    >>> weighted_rank(E, high_pass_ranks(E))
    99
    >>> high_pass_ranks(EquivariantVariety(image_shift(8, 8), 10))
    (0, 0, 0, 1, 8)
    """
    if is_talk_variety(variety):
        return tuple(reversed(TALK_RANKS))
    order = sorted(range(len(variety.blocks)), key=lambda i: _frequency(variety.blocks[i]), reverse=True)
    return _greedy(variety, order)


def format_ranks(ranks: dict[str, int]) -> str:
    """Compact labelled ranks: the nonzero blocks only, or ``all K blocks s`` when all are equal.

    Examples
    --------
    >>> format_ranks({"r": 99})
    'r=99'
    >>> format_ranks({"r_{1,1}": 2, "r_{4,3}": 0, "r_{2,1}": 1})
    'r_{1,1}=2 r_{2,1}=1'
    >>> format_ranks({"r_{1,1}": 3, "r_{4,3}": 3, "r_{2,1}": 3})
    'all 3 blocks 3'
    """
    values = list(ranks.values())
    if len(values) > 1 and len(set(values)) == 1 and values[0] > 0:
        return f"all {len(values)} blocks {values[0]}"
    shown = " ".join(f"{label}={k}" for label, k in ranks.items() if k)
    return shown or "all 0"


# -- the models of the table -------------------------------------------------------------------
@dataclass
class ModelSpec:
    """One model of the experiment's table: its name, its ranks and the note printed with it."""

    name: str
    ranks: tuple[int, ...] | str | None  # None: dense; "best": chosen from data
    note: str


def talk_model_specs(variety: EquivariantVariety) -> list[ModelSpec]:
    """The five models of :data:`MODEL_NAMES` for the ``shift-x`` variety ``variety``: dense, the talk's
    component (or the low-pass fill where it does not exist), equal-rank, high-pass and best.

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> [(m.name, m.ranks) for m in talk_model_specs(EquivariantVariety(image_shift(8, 8), 10))]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('dense', None), ('equivariant', (8, 1, 0, 0, 0)), ('equal-rank', (1, 1, 1, 1, 1)),
     ('high-pass', (0, 0, 0, 1, 8)), ('best', 'best')]
    """
    h_note = ("the talk's ranks reversed: the largest ranks on the highest frequencies"
              if is_talk_variety(variety) else "greedy fill from the highest frequency down")
    if is_talk_variety(variety):
        eq = ModelSpec("equivariant", talk_ranks(variety), "the talk's component")
    else:
        eq = ModelSpec("equivariant", low_pass_ranks(variety),
                       "low-pass fill, the talk's ranks need 28x28 and rank 99")
    equal = equal_rank_ranks(variety)
    total = sum(b.weight for b in variety.blocks)
    return [
        ModelSpec("dense", None, "not equivariant"),
        eq,
        ModelSpec("equal-rank", equal, f"rank {equal[0]} in every block: {equal[0]} x {total} (total block "
                                       f"weight) = weighted rank {weighted_rank(variety, equal)} <= {variety.rank}"),
        ModelSpec("high-pass", high_pass_ranks(variety), h_note),
        ModelSpec("best", "best", "component chosen from the training data (exact knapsack over the blocks' "
                                  "PCA gains)"),
    ]


def general_model_specs(variety: EquivariantVariety) -> list[ModelSpec]:
    """Models for a group other than ``shift-x`` (:data:`GENERAL_MODELS`): dense, equal-rank (when the
    budget allows one rank in every block), best."""
    specs = [ModelSpec("dense", None, "not equivariant")]
    total = sum(b.weight for b in variety.blocks)
    s = min([variety.rank // total] + [b.size for b in variety.blocks])
    if s >= 1:
        ranks = tuple(s for _ in variety.blocks)
        specs.append(ModelSpec("equal-rank", ranks, f"rank {s} in every block: {s} x {total} (total block "
                                                     f"weight) = weighted rank {weighted_rank(variety, ranks)} <= "
                                                     f"{variety.rank}"))
    specs.append(ModelSpec("best", "best", "component chosen from the training data (exact knapsack over the "
                                           "blocks' PCA gains)"))
    assert all(spec.name in GENERAL_MODELS for spec in specs)
    return specs
