"""The API reference of the documentation site covers the package: no module and no public name forgotten.

`make docs` (run by CI) builds the site with warnings as errors; these checks are the cheap part that
needs no Sphinx: the pages in docs/api name every module of src/equilin, and they are what
docs/generate_api.py writes from the package's ``__all__`` lists today.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(r"^\.\. (automodule|autodata|currentmodule):: (\S+)", re.MULTILINE)


def _modules_on_disk() -> set[str]:
    """Every module of the package, from the files (``__main__`` runs the command line: not documented)."""
    names = set()
    for path in (SRC / "equilin").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":
            names.add(".".join(parts))
    return names


def _directives(kind: str) -> list[str]:
    return [name for page in sorted(API.glob("*.rst")) for found, name in DIRECTIVE.findall(page.read_text())
            if found == kind]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_api", ROOT / "docs" / "generate_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_module_has_exactly_one_automodule() -> None:
    documented = _directives("automodule")
    assert len(documented) == len(set(documented)), "a module is documented twice"
    missing = sorted(_modules_on_disk() - set(documented))
    assert not missing, f"not in the API reference: {missing}; run `python docs/generate_api.py`"
    assert not set(documented) - _modules_on_disk(), "the API reference names a module that is gone"


def test_every_public_name_is_documented_or_linked_in_its_module() -> None:
    """Each name of a module's ``__all__`` is listed in that module's section: in full (``:members:``,
    ``autodata``) or as a row of a summary table that links to where it is documented."""
    pages = "\n".join(page.read_text() for page in sorted(API.glob("*.rst")))
    sections = re.split(r"^\.\. automodule:: ", pages, flags=re.MULTILINE)[1:]
    checked = 0
    for section in sections:
        name = section.split("\n", 1)[0].strip()
        listed = set(re.findall(r"[\w]+", " ".join(re.findall(r"^   :members: (.*)$", section, re.MULTILINE))))
        listed |= {d.rsplit(".", 1)[-1] for d in re.findall(r"^\.\. autodata:: (\S+)", section, re.MULTILINE)}
        listed |= set(re.findall(r"^   (\w+)$", section, re.MULTILINE))   # autosummary rows
        public = set(getattr(importlib.import_module(name), "__all__", []))
        assert public <= listed, f"{name}: {sorted(public - listed)} not in the API reference"
        checked += len(public)
    assert checked > 300


def test_the_pages_are_what_the_generator_writes() -> None:
    """Each object documented once, at its home (the pages are committed: regenerate after a change)."""
    written = _generator().pages()
    on_disk = {page.name: page.read_text() for page in API.glob("*.rst")}
    assert set(on_disk) == set(written)
    stale = sorted(name for name, text in written.items() if on_disk[name] != text)
    assert not stale, f"out of date: {stale}; run `python docs/generate_api.py`"
