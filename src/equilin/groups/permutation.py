"""Permutations, permutation groups, and the pixel permutations of images and volumes.

Conventions (``docs/math.md`` section 1)
-----------------------------------
* Cycle strings are 1-based, as in the paper: ``"(1 3 4)(2 5)"``. Arrays are 0-based one-line
  notation: ``perm[i]`` is the image of ``i``. The size ``n`` is always explicit.
* The permutation matrix satisfies ``P_sigma e_j = e_{sigma(j)}``, so ``(P x)[sigma(j)] = x[j]``:
  the entry at position ``j`` moves to position ``sigma(j)``.
* Composition: ``sigma * tau`` applies ``tau`` first, then ``sigma``, so that
  ``(sigma * tau).matrix() == sigma.matrix() @ tau.matrix()``. (sympy composes the other way round.)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property, reduce
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Permutation",
    "PermutationGroup",
    "parse_cycles",
    "cycle_type_of_string",
    "image_shift",
    "image_rot90",
    "image_flip",
    "talk_rotation",
    "talk_pixel_order",
    "as_group",
    "volume_rot90",
    "volume_shift",
    "volume_group",
    "VOLUME_GROUPS",
    "image_action",
    "IMAGE_ACTIONS",
    "IMAGE_GROUPS",
    "image_group",
    "MAX_ARRAY_N",
]

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(,)|([^\s(),]+))")


def _check_size(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"{name} must be a non-negative integer, got {n!r} of type {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n}")
    return int(n)


MAX_ARRAY_N = 10**8
"""Largest ``n`` for which a :class:`Permutation` (an ``int64`` array of length ``n``) is built; larger
sizes are refused before anything is allocated. :func:`parse_cycles`, :func:`cycle_type_of_string` and
:func:`equilin.equivariant.count_components` work for any ``n``."""


def _check_array_size(n: int, what: str = "n") -> int:
    if n > MAX_ARRAY_N:
        raise ValueError(f"{what} = {n:,} is too large to build a permutation array (at most "
                         f"{MAX_ARRAY_N:,}); cycle_type_of_string(cycles, n) and count_components "
                         "work from the cycle type alone for any n")
    return n


def parse_cycles(cycles: str, n: int) -> list[tuple[int, ...]]:
    """Parse a 1-based cycle string into 0-based cycles, validating every token.

    Only the cycles written in the string are returned (fixed points that are not written stay
    implicit), so this works for any ``n``, even ``10**12``.

    Parameters
    ----------
    cycles : str
        Cycles in 1-based notation, elements separated by spaces or commas, e.g. ``"(1 3 4)(2 5)"``.
        A written 1-cycle such as ``"(3)"`` is allowed.
    n : int
        Size of the set ``{1, ..., n}`` the permutation acts on.

    Returns
    -------
    list of tuple of int
        The written cycles, 0-based, in the order written.

    Examples
    --------
    >>> parse_cycles("(1 3 4)(2 5)", 5), parse_cycles("()", 5)
    ([(0, 2, 3), (1, 4)], [])
    """
    if not isinstance(cycles, str):
        raise ValueError(f"cycles must be a string like '(1 3 4)(2 5)', got {type(cycles).__name__}")
    n = _check_size(n)
    if cycles.replace(" ", "") == "()":          # the identity, in the usual notation
        return []
    if not cycles.strip():
        raise ValueError("cycle string is empty; write at least one cycle such as '(1 2)', "
                         "or use Permutation.identity(n) for the identity")
    result: list[tuple[int, ...]] = []
    seen: set[int] = set()
    current: list[int] | None = None
    pos = 0
    text = cycles.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern matches any non-empty remainder
            raise ValueError(f"cannot read {text[pos:]!r} in cycle string {cycles!r}")
        pos = match.end()
        opening, closing, comma, word = match.groups()
        if opening:
            if current is not None:
                raise ValueError(f"nested '(' at position {match.start(1)} in {cycles!r}: "
                                 "close each cycle with ')' before opening the next")
            current = []
        elif closing:
            if current is None:
                raise ValueError(f"unbalanced ')' at position {match.start(2)} in {cycles!r}")
            if not current:
                raise ValueError(f"empty parentheses '()' in {cycles!r}: every cycle needs an element ('()' "
                                 "alone is the identity)")
            result.append(tuple(current))
            current = None
        elif comma:
            if current is None:
                raise ValueError(f"',' outside a cycle in {cycles!r}")
        else:
            if current is None:
                raise ValueError(f"element {word!r} outside parentheses in {cycles!r}; "
                                 "write cycles as '(1 3 4)(2 5)'")
            if not re.fullmatch(r"[0-9]+", word):
                raise ValueError(f"{word!r} in {cycles!r} is not a positive integer; "
                                 f"elements are 1-based integers 1..{n}")
            value = int(word)
            if value == 0:
                raise ValueError(f"element 0 in {cycles!r}: cycle strings are 1-based, "
                                 f"elements must lie in 1..{n}")
            if value > n:
                raise ValueError(f"element {value} in {cycles!r} is larger than the size n={n}; "
                                 f"elements must lie in 1..{n} (pass a larger n)")
            if value - 1 in seen:
                raise ValueError(f"element {value} appears twice in {cycles!r}; "
                                 "the cycles of one permutation must be disjoint")
            seen.add(value - 1)
            current.append(value - 1)
    if current is not None:
        raise ValueError(f"unbalanced '(' in {cycles!r}: a cycle is not closed")
    return result


def cycle_type_of_string(cycles: str, n: int) -> dict[int, int]:
    """Cycle type ``{length: count}`` of a cycle string, fixed points included, without building arrays.

    Examples
    --------
    >>> cycle_type_of_string("(1 2)", 10**12)
    {1: 999999999998, 2: 1}
    """
    parsed = parse_cycles(cycles, n)
    counts = Counter(len(c) for c in parsed if len(c) > 1)
    moved = sum(length * count for length, count in counts.items())
    if n - moved:
        counts[1] = n - moved
    return dict(sorted(counts.items()))


def _as_index_array(images: Any, name: str) -> NDArray[np.int64]:
    """Validate a one-line 0-based permutation given as a sequence or array of integers."""
    arr = np.asarray(images)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of integers, got shape {arr.shape}")
    if arr.size and arr.dtype == bool:
        raise ValueError(f"{name} must hold integers, got booleans")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers (0-based images), got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=True)
    n = arr.size
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} is not a permutation of 0..{n - 1}: entry {i} is {arr[i]} "
                         f"(0-based one-line notation; for 1-based cycles use Permutation.from_cycles)")
    counts = np.bincount(arr, minlength=n)
    if (counts != 1).any():
        value = int(np.flatnonzero(counts > 1)[0])
        raise ValueError(f"{name} is not a bijection: {value} is the image of {int(counts[value])} "
                         "elements")
    arr.setflags(write=False)
    return arr


class Permutation:
    """An immutable permutation of ``{0, ..., n-1}`` (written 1-based in cycle strings).

    Parameters
    ----------
    images : sequence of int
        0-based one-line notation: ``images[i]`` is the image of ``i``.

    Notes
    -----
    ``sigma * tau`` applies ``tau`` first (matrix order): ``(sigma * tau)(i) == sigma(tau(i))``.

    Examples
    --------
    >>> s = Permutation.from_cycles("(1 3 4)(2 5)", n=5)
    >>> s.array.tolist()
    [2, 4, 3, 0, 1]
    >>> s.cycle_type, s.order
    ({2: 1, 3: 1}, 6)
    >>> s
    Permutation.from_cycles('(1 3 4)(2 5)', n=5)
    """

    def __init__(self, images: ArrayLike) -> None:
        self._array = _as_index_array(images, "images")

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_cycles(cls, cycles: str, n: int) -> Permutation:
        """Build from a 1-based cycle string such as ``"(1 3 4)(2 5)"`` and an explicit size ``n``."""
        parsed = parse_cycles(cycles, n)
        images = np.arange(_check_array_size(_check_size(n)), dtype=np.int64)
        for cycle in parsed:
            images[list(cycle)] = np.roll(cycle, -1)
        return cls(images)

    @classmethod
    def identity(cls, n: int) -> Permutation:
        """The identity permutation of size ``n``."""
        return cls(np.arange(_check_array_size(_check_size(n)), dtype=np.int64))

    @classmethod
    def from_sympy(cls, perm: Any) -> Permutation:
        """Convert a ``sympy.combinatorics.Permutation`` (same 0-based images, same size)."""
        if not hasattr(perm, "array_form"):
            raise ValueError(f"expected a sympy.combinatorics.Permutation, got {type(perm).__name__}")
        return cls(list(perm.array_form))

    def to_sympy(self) -> Any:
        """Return the equal ``sympy.combinatorics.Permutation`` (sympy's ``*`` composes the other way)."""
        from sympy.combinatorics import Permutation as SympyPermutation

        return SympyPermutation(self._array.tolist(), size=self.n)

    # -- basic data ---------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Size of the set acted on."""
        return int(self._array.size)

    @property
    def array(self) -> NDArray[np.int64]:
        """0-based one-line notation (read-only view)."""
        return self._array

    def __call__(self, i: int) -> int:
        return int(self._array[i])

    @cached_property
    def cycles(self) -> tuple[tuple[int, ...], ...]:
        """All cycles (fixed points included), 0-based, each starting at its smallest element,
        ordered by that element."""
        seen = np.zeros(self.n, dtype=bool)
        out = []
        for start in range(self.n):
            if seen[start]:
                continue
            cycle = [start]
            seen[start] = True
            j = int(self._array[start])
            while j != start:
                cycle.append(j)
                seen[j] = True
                j = int(self._array[j])
            out.append(tuple(cycle))
        return tuple(out)

    @cached_property
    def cycle_type(self) -> dict[int, int]:
        """``{cycle length: number of cycles}``, fixed points included, sorted by length."""
        return dict(sorted(Counter(len(c) for c in self.cycles).items()))

    @cached_property
    def order(self) -> int:
        """Order of the permutation (lcm of its cycle lengths), an exact int."""
        return reduce(math.lcm, self.cycle_type, 1)

    def log(self, h: Permutation) -> int | None:
        """The exponent ``e`` (``0 <= e < order``) with ``self ** e == h``, or ``None`` when ``h`` is not
        a power of this permutation: ``h`` must rotate every cycle by a constant ``e_c``, equal for cycles
        of one length, and the congruences ``e = e_c (mod length)`` must be solvable (Chinese remainders).

        Examples
        --------
        >>> s = Permutation.from_cycles("(1 2 3 4)(5 6)", 6)
        >>> s.log(s ** 3), s.log(Permutation.from_cycles("(1 3)(2 4)(5 6)", 6))
        (3, None)
        """
        if not isinstance(h, Permutation) or h.n != self.n:
            raise ValueError(f"expected a Permutation of size {self.n}, got {h!r}")
        n = self.n
        if (self.cycle_labels[h._array] != self.cycle_labels).any():   # h leaves a cycle: fast refusal
            return None
        cid = np.empty(n, dtype=np.int64)
        pos = np.empty(n, dtype=np.int64)
        length = np.empty(n, dtype=np.int64)
        first = np.empty(len(self.cycles), dtype=np.int64)
        for c, cycle in enumerate(self.cycles):
            idx = np.asarray(cycle, dtype=np.int64)
            cid[idx], pos[idx], length[idx], first[c] = c, np.arange(idx.size), idx.size, idx[0]
        image = h._array
        if (cid[image] != cid).any():
            return None
        shift = (pos[image] - pos) % length
        if (shift != shift[first[cid]]).any():
            return None
        exponent, modulus = 0, 1
        for L, e in sorted(set(zip(length[first].tolist(), shift[first].tolist()))):
            g = math.gcd(modulus, L)
            if (e - exponent) % g:
                return None
            # solve exponent + modulus * t = e (mod L)
            t = ((e - exponent) // g * pow(modulus // g, -1, L // g)) % (L // g) if L // g > 1 else 0
            exponent += modulus * t
            modulus = modulus * L // g
            exponent %= modulus
        return exponent

    @cached_property
    def cycle_labels(self) -> NDArray[np.int64]:
        """The cycle of every point, as a label ``0 .. (number of cycles) - 1`` (connected components;
        vectorized, no Python loop; computed once per permutation).

        Examples
        --------
        >>> Permutation.from_cycles("(1 3)", 3).cycle_labels.tolist()
        [0, 1, 0]
        """
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = self.n
        graph = coo_matrix((np.ones(n, dtype=np.int8), (np.arange(n), self._array)), shape=(n, n))
        return connected_components(graph.tocsr(), directed=True, connection="weak")[1].astype(np.int64)

    def partition(self) -> tuple[tuple[int, ...], ...]:
        """The cycle partition ``P(sigma)`` of ``{0..n-1}`` (same as :attr:`cycles`)."""
        return self.cycles

    def is_identity(self) -> bool:
        return bool((self._array == np.arange(self.n)).all())

    # -- algebra ------------------------------------------------------------------------------
    def __mul__(self, other: Permutation) -> Permutation:
        if not isinstance(other, Permutation):
            return NotImplemented
        if other.n != self.n:
            raise ValueError(f"cannot compose permutations of sizes {self.n} and {other.n}")
        return Permutation(self._array[other._array])

    def inverse(self) -> Permutation:
        inv = np.empty_like(self._array)
        inv[self._array] = np.arange(self.n)
        return Permutation(inv)

    def __pow__(self, k: int) -> Permutation:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"exponent must be an integer, got {k!r}")
        images = np.empty_like(self._array)
        for cycle in self.cycles:  # sigma^k moves every element k steps along its cycle
            shift = int(k) % len(cycle)
            images[list(cycle)] = np.roll(cycle, -shift)
        return Permutation(images)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Permutation):
            return NotImplemented
        return self.n == other.n and bool((self._array == other._array).all())

    def __hash__(self) -> int:
        return hash(self._array.tobytes())

    # -- matrices and actions -----------------------------------------------------------------
    def matrix(self, dtype: Any = np.float64) -> NDArray[Any]:
        """Dense permutation matrix ``P`` with ``P e_j = e_{sigma(j)}`` (only for small ``n``)."""
        P = np.zeros((self.n, self.n), dtype=dtype)
        P[self._array, np.arange(self.n)] = 1
        return P

    def act(self, x: ArrayLike, axis: int = -1) -> NDArray[Any]:
        """Apply ``P_sigma`` to vectors along ``axis`` without building ``P``.

        ``y = sigma.act(x)`` has ``y[..., sigma(j)] = x[..., j]``; a batch of row vectors ``X``
        (``N x n``) gives ``X @ P.T``.

        Examples
        --------
        >>> Permutation.from_cycles("(1 2 3)", 3).act([10, 20, 30]).tolist()
        [30, 10, 20]
        """
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[axis] != self.n:
            raise ValueError(f"x must have length {self.n} along axis {axis}, got shape {x.shape}")
        return np.take(x, self.inverse()._array, axis=axis)

    # -- printing -----------------------------------------------------------------------------
    def cycle_string(self, include_fixed: bool = False) -> str:
        """1-based cycle string; the identity is written ``'()'`` only for printing."""
        cycles = [c for c in self.cycles if include_fixed or len(c) > 1]
        if not cycles:
            return "()"
        return "".join("(" + " ".join(str(i + 1) for i in c) + ")" for c in cycles)

    def __str__(self) -> str:
        return self.cycle_string()

    def __repr__(self) -> str:
        if self.is_identity():
            return f"Permutation.identity({self.n})"
        return f"Permutation.from_cycles({self.cycle_string()!r}, n={self.n})"


class PermutationGroup:
    """The permutation group generated by a list of permutations of the same size.

    Parameters
    ----------
    generators : sequence of Permutation
        At least one generator; all of the same size ``n``.

    Examples
    --------
    >>> G = PermutationGroup.from_cycles(["(1 2)", "(2 3)(4 5)"], n=6)
    >>> [[i + 1 for i in orbit] for orbit in G.orbits]
    [[1, 2, 3], [4, 5], [6]]
    >>> G.orbit_representative()
    Permutation.from_cycles('(1 2 3)(4 5)', n=6)
    """

    def __init__(self, generators: Sequence[Permutation] | Permutation) -> None:
        if isinstance(generators, Permutation):
            generators = [generators]
        generators = list(generators)
        if not generators:
            raise ValueError("a PermutationGroup needs at least one generator "
                             "(use Permutation.identity(n) for the trivial group)")
        for g in generators:
            if not isinstance(g, Permutation):
                raise ValueError(f"generators must be Permutation objects, got {type(g).__name__}")
        sizes = {g.n for g in generators}
        if len(sizes) > 1:
            raise ValueError(f"all generators must act on the same n, got sizes {sorted(sizes)}")
        self._generators = tuple(generators)

    @classmethod
    def from_cycles(cls, cycles: str | Iterable[str], n: int) -> PermutationGroup:
        """One 1-based cycle string per generator, all of size ``n``."""
        if isinstance(cycles, str):
            cycles = [cycles]
        cycles = list(cycles)
        for c in cycles:  # every string is checked before any array is built
            parse_cycles(c, n)
        return cls([Permutation.from_cycles(c, n) for c in cycles])

    @classmethod
    def from_arrays(cls, arrays: Iterable[ArrayLike]) -> PermutationGroup:
        """One 0-based one-line array per generator."""
        return cls([Permutation(a) for a in arrays])

    @property
    def generators(self) -> tuple[Permutation, ...]:
        return self._generators

    @property
    def n(self) -> int:
        return self._generators[0].n

    def is_cyclic_presentation(self) -> bool:
        """True when the group is given by a single generator."""
        return len(self._generators) == 1

    def cyclic_generator(self) -> Permutation | None:
        """The first generator of which every generator is a power (so the group is cyclic and this
        generator generates it), or ``None``.

        Examples
        --------
        >>> s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
        >>> PermutationGroup([s ** 2, s]).cyclic_generator() == s
        True
        """
        return self._cyclic_generator

    @cached_property
    def _cyclic_generator(self) -> Permutation | None:
        for g in self._generators:
            if all(h == g or g.log(h) is not None for h in self._generators):
                return g
        return None

    @cached_property
    def orbits(self) -> tuple[tuple[int, ...], ...]:
        """Orbits of the group on ``{0..n-1}``: the finest common coarsening of the generators'
        cycle partitions (iterative union-find), each sorted, ordered by smallest element."""
        parent = np.arange(self.n)

        def find(i: int) -> int:
            root = i
            while parent[root] != root:
                root = parent[root]
            while parent[i] != root:  # path compression
                parent[i], i = root, int(parent[i])
            return root

        for g in self._generators:
            for j in np.flatnonzero(g.array != np.arange(self.n)):
                a, b = find(int(j)), find(int(g.array[j]))
                if a != b:
                    parent[max(a, b)] = min(a, b)
        roots = np.array([find(i) for i in range(self.n)], dtype=np.int64)
        groups: dict[int, list[int]] = {}
        for i, root in enumerate(roots.tolist()):
            groups.setdefault(root, []).append(i)
        return tuple(tuple(v) for _, v in sorted(groups.items()))

    def orbit_representative(self) -> Permutation:
        """A permutation ``tau`` whose cycles are the orbits, so that ``I^G = I^tau``."""
        images = np.arange(self.n, dtype=np.int64)
        for orbit in self.orbits:
            images[list(orbit)] = np.roll(orbit, -1)
        return Permutation(images)

    def elements(self, limit: int = 100_000) -> Iterator[Permutation]:
        """Enumerate the group's elements by breadth-first closure (for small groups only).

        Raises ``ValueError`` once more than ``limit`` elements have been produced.
        """
        identity = Permutation.identity(self.n)
        seen = {identity}
        frontier = [identity]
        yield identity
        while frontier:
            nxt = []
            for h in frontier:
                for g in self._generators:
                    gh = g * h
                    if gh not in seen:
                        if len(seen) >= limit:
                            raise ValueError(f"the group has more than limit={limit} elements")
                        seen.add(gh)
                        nxt.append(gh)
                        yield gh
            frontier = nxt

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PermutationGroup):
            return NotImplemented
        return self._generators == other._generators

    def __hash__(self) -> int:
        return hash(self._generators)

    def __repr__(self) -> str:
        gens = ", ".join(repr(g.cycle_string()) for g in self._generators)
        return f"PermutationGroup.from_cycles([{gens}], n={self.n})"


def as_group(group: PermutationGroup | Permutation) -> PermutationGroup:
    """Accept a group or a single permutation (the cyclic group it generates)."""
    if isinstance(group, PermutationGroup):
        return group
    if isinstance(group, Permutation):
        return PermutationGroup([group])
    raise ValueError(f"expected a PermutationGroup or Permutation, got {type(group).__name__}")


# -- image and volume actions -----------------------------------------------------------------
def _check_positive(value: Any, name: str) -> int:
    value = _check_size(value, name)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def image_shift(h: int, w: int, s: int = 1, axis: str = "x") -> Permutation:
    """Cyclic shift of an ``h x w`` image by ``s`` pixels, on row-major flattened indices.

    ``axis="x"`` moves every row to the right (pixel ``(i, j)`` goes to ``(i, j+s mod w)``);
    ``axis="y"`` moves every column down (``(i, j)`` goes to ``(i+s mod h, j)``). For a 2 x 3 image,
    shift-x by 1::

        a b c        c a b
        d e f   ->   f d e

    Examples
    --------
    >>> image_shift(2, 3)
    Permutation.from_cycles('(1 2 3)(4 5 6)', n=6)
    """
    h, w = _check_positive(h, "h"), _check_positive(w, "w")
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
        raise ValueError(f"shift s must be an integer, got {s!r}")
    _check_array_size(h * w, "h * w")
    s = int(s) % (w if axis == "x" else h)  # any Python int, reduced before numpy sees it
    i, j = np.divmod(np.arange(h * w), w)
    if axis == "x":
        return Permutation(i * w + (j + s) % w)
    if axis == "y":
        return Permutation(((i + s) % h) * w + j)
    raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")


def image_rot90(p: int) -> Permutation:
    """Clockwise rotation by 90 degrees of a ``p x p`` image, row-major indices.

    Pixel ``(i, j)`` moves to ``(j, p-1-i)``; for ``p = 2``::

        a b        c a
        c d   ->   d b

    Examples
    --------
    >>> image_rot90(2)
    Permutation.from_cycles('(1 2 4 3)', n=4)
    """
    p = _check_positive(p, "p")
    i, j = np.divmod(np.arange(_check_array_size(p * p, "p * p")), p)
    return Permutation(j * p + (p - 1 - i))


def image_flip(h: int, w: int, axis: str = "x") -> Permutation:
    """Mirror an ``h x w`` image: ``axis="x"`` reverses every row (left-right),
    ``axis="y"`` reverses every column (up-down). For a 2 x 2 image, flip-x::

        a b        b a
        c d   ->   d c

    Examples
    --------
    >>> image_flip(2, 2, "x")
    Permutation.from_cycles('(1 2)(3 4)', n=4)
    """
    h, w = _check_positive(h, "h"), _check_positive(w, "w")
    i, j = np.divmod(np.arange(_check_array_size(h * w, "h * w")), w)
    if axis == "x":
        return Permutation(i * w + (w - 1 - j))
    if axis == "y":
        return Permutation((h - 1 - i) * w + j)
    raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")


def talk_rotation(p: int) -> Permutation:
    """The talk's rotation example: clockwise 90-degree rotation of a ``p x p`` image in the talk's
    ordering of pixels, which lists each rotation orbit as four consecutive coordinates.

    The talk identifies ``R^{p x p}`` with ``R^n`` by
    ``(a_11, a_1p, a_pp, a_p1, a_12, a_2p, a_p,p-1, a_p-1,1, ..., a_22, ...)``: ring by ring from the
    outside, and inside a ring the orbits of its top-row pixels in order. Then ``P_sigma`` is block
    diagonal with one 4-cycle per orbit, ``(1 2 3 4)(5 6 7 8)...``; for odd ``p`` the centre pixel is
    the last coordinate, a fixed point. For ``p = 3`` this is the talk's ``sigma`` in ``S_9``::

        1 5 2        4 8 1
        8 9 6   ->   7 9 5      (coordinates of the talk)
        4 7 3        3 6 2

    Examples
    --------
    >>> talk_rotation(3)
    Permutation.from_cycles('(1 2 3 4)(5 6 7 8)', n=9)
    """
    p = _check_positive(p, "p")
    n = _check_array_size(p * p, "p * p")
    images = np.arange(n, dtype=np.int64)
    for start in range(0, n - n % 4, 4):
        images[start:start + 4] = [start + 1, start + 2, start + 3, start]
    return Permutation(images)


def talk_pixel_order(p: int) -> NDArray[np.int64]:
    """Row-major pixel index of each coordinate of :func:`talk_rotation` (0-based).

    ``order[t]`` is the pixel ``i * p + j`` that the talk lists as coordinate ``t``, so
    ``image_rot90(p)`` maps ``order[t]`` to ``order[talk_rotation(p)(t)]``.

    Examples
    --------
    >>> talk_pixel_order(3).tolist()
    [0, 2, 8, 6, 1, 5, 7, 3, 4]
    """
    p = _check_positive(p, "p")
    _check_array_size(p * p, "p * p")
    order: list[int] = []
    for ring in range(p // 2):
        for j in range(ring, p - 1 - ring):
            i = ring
            for _ in range(4):
                order.append(i * p + j)
                i, j = j, p - 1 - i
    if p % 2:
        order.append((p // 2) * p + p // 2)
    return np.array(order, dtype=np.int64)


def volume_shift(d: int, h: int, w: int, s: int = 1, axis: int = 2) -> Permutation:
    """Cyclic shift by ``s`` voxels along one axis of a ``d x h x w`` volume, row-major indices (axis 0
    slowest): voxel ``(a, b, c)`` goes to ``(a + s mod d, b, c)`` for ``axis=0``, and likewise for the
    other axes. ``axis=2`` moves every row of every slice, as :func:`image_shift` with ``axis="x"``.

    Examples
    --------
    >>> volume_shift(2, 1, 2, axis=0)
    Permutation.from_cycles('(1 3)(2 4)', n=4)
    """
    shape = (_check_positive(d, "d"), _check_positive(h, "h"), _check_positive(w, "w"))
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
        raise ValueError(f"shift s must be an integer, got {s!r}")
    n = _check_array_size(shape[0] * shape[1] * shape[2], "d * h * w")
    coords = list(np.unravel_index(np.arange(n), shape))
    coords[axis] = (coords[axis] + int(s) % shape[axis]) % shape[axis]
    return Permutation(np.ravel_multi_index(tuple(coords), shape))


def volume_rot90(p: int, axis: int = 0) -> Permutation:
    """Rotation by 90 degrees of a ``p x p x p`` volume about one axis, row-major indices.

    Voxel ``(a, b, c)`` (``a`` slowest) is rotated in the plane of the two other axes exactly as
    :func:`image_rot90` rotates a ``p x p`` image: about ``axis=0`` every slice ``v[a]`` is rotated.

    Examples
    --------
    >>> volume_rot90(2, axis=0)
    Permutation.from_cycles('(1 2 4 3)(5 6 8 7)', n=8)
    """
    p = _check_positive(p, "p")
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    _check_array_size(p ** 3, "p ** 3")
    coords = list(np.unravel_index(np.arange(p ** 3), (p, p, p)))
    u, v = [k for k in range(3) if k != axis]
    coords[u], coords[v] = coords[v].copy(), p - 1 - coords[u]
    return Permutation(np.ravel_multi_index(tuple(coords), (p, p, p)))


IMAGE_ACTIONS = ("shift-x", "shift-y", "rot90", "flip-x", "flip-y")
"""Image actions given by one permutation (:func:`image_action`)."""

IMAGE_GROUPS = ("shift-xy", "d4", "p4", "p4m")
"""Image actions given by several generators (:func:`image_group`): both cyclic translations
(``Z_w x Z_h``, not cyclic when ``gcd(w, h) > 1``), the dihedral group of rotations and flips, and the
wallpaper groups of a torus image: translations with rotations (``p4``) and with flips (``p4m``)."""

VOLUME_GROUPS = ("shift-xyz", "cube")
"""Volume actions (:func:`volume_group`): the cyclic translations along the three axes
(``Z_d x Z_h x Z_w``) and the 24 rotations of the cube."""


def image_action(action: str, h: int, w: int, s: int = 1) -> Permutation:
    """The permutation of an ``h x w`` image named by ``action`` (one of :data:`IMAGE_ACTIONS`).

    Examples
    --------
    >>> image_action("shift-x", 28, 28).cycle_type
    {28: 28}
    """
    if action == "shift-x":
        return image_shift(h, w, s, "x")
    if action == "shift-y":
        return image_shift(h, w, s, "y")
    if action == "rot90":
        if h != w:
            raise ValueError(f"rot90 needs a square image, got {h}x{w}")
        return image_rot90(h)
    if action == "flip-x":
        return image_flip(h, w, "x")
    if action == "flip-y":
        return image_flip(h, w, "y")
    if action in IMAGE_GROUPS:
        raise ValueError(f"{action!r} is a group with two generators, not one permutation; use "
                         "image_group(action, h, w)")
    raise ValueError(f"unknown image action {action!r}; choose one of {', '.join(IMAGE_ACTIONS)}")


def image_group(action: str, h: int, w: int, s: int = 1) -> PermutationGroup:
    """The permutation group of an ``h x w`` image named by ``action``: one of :data:`IMAGE_ACTIONS`
    (the cyclic group of that permutation) or :data:`IMAGE_GROUPS`: ``"shift-xy"`` (generated by the
    shifts by ``s`` along x and along y), ``"d4"`` (rotation by 90 degrees and the flip of x, order 8;
    square images only), ``"p4"`` (both shifts by ``s`` and the rotation: the image as a torus, order
    ``4 p^2`` for ``s = 1``) or ``"p4m"`` (``p4`` and the flip of x, order ``8 p^2``).

    Examples
    --------
    >>> [g.cycle_type for g in image_group("shift-xy", 4, 6).generators]
    [{6: 4}, {4: 6}]
    >>> len(list(image_group("d4", 3, 3).elements())), len(list(image_group("p4m", 3, 3).elements()))
    (8, 72)
    """
    if action == "shift-xy":
        return PermutationGroup([image_shift(h, w, s, "x"), image_shift(h, w, s, "y")])
    if action in ("d4", "p4", "p4m"):
        if h != w:
            raise ValueError(f"{action} needs a square image, got {h}x{w}")
        rot, flip = image_rot90(h), image_flip(h, w, "x")
        if action == "d4":
            return PermutationGroup([rot, flip])
        shifts = [image_shift(h, w, s, "x"), image_shift(h, w, s, "y")]
        return PermutationGroup(shifts + [rot] + ([flip] if action == "p4m" else []))
    if action not in IMAGE_ACTIONS:
        raise ValueError(f"unknown image action {action!r}; choose one of "
                         f"{', '.join(IMAGE_ACTIONS + IMAGE_GROUPS)}")
    return PermutationGroup([image_action(action, h, w, s)])


def volume_group(action: str, d: int, h: int, w: int, s: int = 1) -> PermutationGroup:
    """The permutation group of a ``d x h x w`` volume named by ``action`` (one of
    :data:`VOLUME_GROUPS`): ``"shift-xyz"`` (the shifts by ``s`` along the three axes) or ``"cube"``
    (the rotations by 90 degrees about axes 0 and 1, which generate the 24 rotations of the cube;
    cubic volumes only).

    Examples
    --------
    >>> len(list(volume_group("cube", 2, 2, 2).elements())), len(volume_group("shift-xyz", 2, 3, 4).orbits)
    (24, 1)
    """
    if action == "shift-xyz":
        return PermutationGroup([volume_shift(d, h, w, s, axis) for axis in (2, 1, 0)])
    if action == "cube":
        if not d == h == w:
            raise ValueError(f"cube needs a cubic volume (d = h = w), got {d}x{h}x{w}")
        return PermutationGroup([volume_rot90(d, 0), volume_rot90(d, 1)])
    raise ValueError(f"unknown volume action {action!r}; choose one of {', '.join(VOLUME_GROUPS)}")
