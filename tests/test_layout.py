"""The package's layout as a contract: layers, no import cycles, small modules, a project that stands alone.

The layers and the torch boundary are stated once, in ``pyproject.toml`` ([tool.importlinter]);
``make test`` runs ``lint-imports`` on them and this file runs the same contracts in the suite, plus what
import-linter does not check: no cycle between any two modules (imports inside functions included),
no module of 600 lines or more, and nothing in the repository that points outside it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "equilin"
MAX_LINES = 600


def _tracked(*patterns: str) -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):  # an sdist: no git, take the files as they are
        return sorted(p for pattern in patterns for p in ROOT.glob(pattern) if p.is_file())
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def test_the_layering_contracts_are_kept() -> None:
    """pyproject.toml's contracts: each layer imports only lower ones; the numpy layers never torch."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install 'equilin[test]')")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 2


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module (iterative, so deep graphs do not recurse)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules() -> None:
    """Every import counts, also those inside functions (grimp reads them all): a cycle hidden behind a
    lazy import is still a cycle. The root package is left out: it re-exports the public API and
    nothing imports it."""
    graph = grimp.build_graph("equilin")
    modules = {m for m in graph.modules if m != "equilin"}
    assert not graph.find_modules_that_directly_import("equilin") - {"equilin.__main__"}
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    assert _strongly_connected(edges) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def test_every_module_is_small() -> None:
    sizes = {p.relative_to(SRC).as_posix(): len(p.read_text().splitlines()) for p in SRC.rglob("*.py")}
    large = {name: lines for name, lines in sizes.items() if lines >= MAX_LINES}
    assert not large, f"modules of {MAX_LINES} lines or more: {large}"


# what a file may not contain: a path outside the repository, the reference notes kept beside it, or an
# issue tracker's number (the words are split so that this file does not match itself)
OUTSIDE = [re.compile(p) for p in (r"\.\./" + "shared", "MATH" + r"\.md", r"shared/" + "seed",
                                   r"\bissue" + r" #\d+", r"\(#" + r"\d+\)")]


def test_nothing_points_outside_the_repository() -> None:
    files = _tracked("*.py", "*.md", "*.toml", "*.txt", "*.in", "*.cfg", "Makefile", ".ci/*")
    assert files
    hits = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in files for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
            if any(p.search(line) for p in OUTSIDE)]
    assert not hits, "\n".join(hits)
