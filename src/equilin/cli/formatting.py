"""How reports print numbers: exact ints of any length (``--json``), and long ints shortened on a line.

Degrees, ED degrees and component counts can have more than the 4,300 digits that Python converts
between int and str by default; :func:`any_int_digits` lifts that limit while a report is written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["any_int_digits", "exact_json", "short_int"]


@contextmanager
def any_int_digits() -> Iterator[None]:
    """Let ints of any length be converted to text inside the ``with`` block (``str``, ``f"{n:,}"``).

    Examples
    --------
    >>> with any_int_digits():
    ...     len(str(10**5000))
    5001
    """
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


def exact_json(report: dict[str, Any]) -> str:
    """``json.dumps`` with exact ints of any length (readers of ints with more than 4,300 digits need
    ``sys.set_int_max_str_digits(0)``)."""
    with any_int_digits():
        return json.dumps(report)


def short_int(value: int) -> str:
    """An exact int, or its number of digits when it is too long for a line (``--json`` has all of them).

    Examples
    --------
    >>> short_int(1234567), short_int(10**40), short_int(10**5000)
    ('1,234,567', '~10^40 (41 digits; --json prints it)', '~10^5000 (5,001 digits; --json prints it)')
    """
    with any_int_digits():
        text = f"{value:,}"
        return text if len(text) <= 40 else f"~10^{len(str(value)) - 1} ({len(str(value)):,} digits; --json prints it)"
