"""Tests of equilin.cli.formatting: exact ints of any length, long ints shortened on a line."""

from __future__ import annotations

import json
import sys

from equilin.cli.formatting import any_int_digits, exact_json, short_int


def test_short_int_exact_up_to_40_characters() -> None:
    assert short_int(0) == "0"
    assert short_int(10**29) == "100,000,000,000,000,000,000,000,000,000"  # 39 characters
    assert short_int(10**30) == "~10^30 (31 digits; --json prints it)"
    assert short_int(123 * 10**9998) == "~10^10000 (10,001 digits; --json prints it)"  # beyond Python's 4,300 digits


def test_exact_json_and_the_digit_limit() -> None:
    limit = sys.get_int_max_str_digits()
    text = exact_json({"degree": 7 * 10**5000})
    assert sys.get_int_max_str_digits() == limit
    assert text.startswith('{"degree": 7000') and len(text) == len('{"degree": }') + 5001
    with any_int_digits():
        assert json.loads(text)["degree"] == 7 * 10**5000
        assert sys.get_int_max_str_digits() == 0
    assert sys.get_int_max_str_digits() == limit
