"""equilin.groups.cycles: the 1-based cycle strings, their checks, and cycle types for any n."""

from __future__ import annotations

import pytest

from equilin.groups import Permutation, cycle_type_of_string, parse_cycles


@pytest.mark.parametrize(("text", "n", "message"), [
    ("(1 2 1)", 3, "appears twice"),
    ("(1 2)(2 3)", 3, "appears twice"),
    ("(1 4)", 3, "larger than the size n=3"),
    ("(0 1)", 3, "1-based"),
    ("(1 2", 3, "unbalanced '('"),
    ("1 2)", 3, "outside parentheses"),
    ("(1 2))", 3, "unbalanced ')'"),
    ("((1 2))", 3, "nested"),
    ("(1)()", 3, "empty parentheses"),
    ("", 3, "empty"),
    ("   ", 3, "empty"),
    ("(1 2.5)", 3, "'2.5'"),
    ("(1 -2)", 3, "'-2'"),
    ("(1 x)", 3, "'x'"),
    ("(1 2),", 3, "',' outside"),
])
def test_bad_cycle_strings(text: str, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Permutation.from_cycles(text, n)


@pytest.mark.parametrize("n", [-1, 2.0, "3", True, None])
def test_bad_sizes(n: object) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        Permutation.from_cycles("(1 2)", n)  # type: ignore[arg-type]


def test_cycle_type_of_huge_n_without_arrays() -> None:
    assert cycle_type_of_string("(1 2)", 10**12) == {1: 10**12 - 2, 2: 1}
    assert parse_cycles("(1 1000000000000)", 10**12) == [(0, 10**12 - 1)]


def test_the_identity_in_cycle_notation() -> None:
    assert Permutation.from_cycles("()", 4) == Permutation.identity(4) == Permutation.from_cycles(" ( ) ", 4)
