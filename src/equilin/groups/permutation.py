"""Permutations of ``{0, ..., n-1}``: the immutable :class:`Permutation` and its matrix ``P_sigma``.

Conventions (``docs/math.md`` section 1)
----------------------------------------
* Cycle strings are 1-based, as in the paper: ``"(1 3 4)(2 5)"`` (parsed by
  :mod:`equilin.groups.cycles`). Arrays are 0-based one-line notation: ``perm[i]`` is the image of
  ``i``. The size ``n`` is always explicit.
* The permutation matrix satisfies ``P_sigma e_j = e_{sigma(j)}``, so ``(P x)[sigma(j)] = x[j]``:
  the entry at position ``j`` moves to position ``sigma(j)``.
* Composition: ``sigma * tau`` applies ``tau`` first, then ``sigma``, so that
  ``(sigma * tau).matrix() == sigma.matrix() @ tau.matrix()``. (sympy composes the other way round.)
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cached_property, reduce
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.groups.cycles import _check_array_size, _check_size, parse_cycles

__all__ = ["Permutation"]


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
        labels = connected_components(graph.tocsr(), directed=True, connection="weak")[1]
        return np.asarray(labels, dtype=np.int64)

    def is_identity(self) -> bool:
        """Whether every point is fixed."""
        return bool((self._array == np.arange(self.n)).all())

    # -- algebra ------------------------------------------------------------------------------
    def __mul__(self, other: Permutation) -> Permutation:
        if not isinstance(other, Permutation):
            return NotImplemented
        if other.n != self.n:
            raise ValueError(f"cannot compose permutations of sizes {self.n} and {other.n}")
        return Permutation(self._array[other._array])

    def inverse(self) -> Permutation:
        """The inverse permutation, ``P_{sigma^-1} = P_sigma^T``."""
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
