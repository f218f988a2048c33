"""Write the API reference pages ``docs/api/*.rst`` from the package itself.

Run ``python docs/generate_api.py`` (with ``src`` importable) after adding a module or changing an
``__all__``; ``tests/test_docs_api.py`` fails until the committed pages are what this script writes.

One page per first-level subpackage (``equilin.groups``, ``equilin.models``, ...) and one for the
top-level ``equilin``; each module of the package gets an ``automodule`` section. Every public name
(an entry of a module's ``__all__``) is documented exactly once, at its *home*: the nearest package
above the module that defines it which re-exports it (``equilin.groups.PermutationGroup``, not
``equilin.groups.group.PermutationGroup``), or the defining module when no package re-exports it.
The other modules that list the name show it in a summary table linking to its home.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = "equilin"
API_DIR = Path(__file__).resolve().parent / "api"
# ``python -m equilin`` runs the command line when imported: nothing public in it
SKIPPED = frozenset({"equilin.__main__"})


def public_modules() -> list[str]:
    """Every module of the package except :data:`SKIPPED`, sorted, packages before their modules."""
    root = importlib.import_module(ROOT)
    names = [ROOT] + [m.name for m in pkgutil.walk_packages(root.__path__, ROOT + ".")]
    return sorted((n for n in names if n not in SKIPPED and not any(p.startswith("_") for p in n.split(".")[1:])),
                  key=lambda n: n.split("."))


def _all(module: ModuleType) -> list[str]:
    return list(getattr(module, "__all__", []))


def _is_package(module: ModuleType) -> bool:
    return hasattr(module, "__path__")


def _is_data(obj: object) -> bool:
    return not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj))


def _parents(name: str) -> list[str]:
    """``a.b.c`` -> ``[a.b, a]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def homes(modules: list[str]) -> dict[tuple[str, str], str]:
    """Map each ``(module, name)`` of an ``__all__`` to the module where that object is documented."""
    loaded = {n: importlib.import_module(n) for n in modules}

    def exports(mod: str, name: str, obj: object) -> bool:
        m = loaded.get(mod)
        return m is not None and name in _all(m) and getattr(m, name, None) is obj

    result: dict[tuple[str, str], str] = {}
    for mod_name, module in loaded.items():
        for name in _all(module):
            obj = getattr(module, name)
            # the defining module: __module__ for classes and functions, else the deepest module listing it
            defining = getattr(obj, "__module__", None) if callable(obj) else None
            if defining not in loaded or not exports(defining, name, obj):
                listing = [m for m in loaded if exports(m, name, obj) and m != ROOT]
                defining = max(listing, key=lambda m: m.count("."), default=mod_name)
            # data (constants, tables) are documented where they are assigned: only there does autodoc
            # read the docstring that follows the assignment
            chain = [p for p in _parents(defining) if p != ROOT] if not _is_data(obj) else []
            # a package whose name for the object is also a submodule's (equilin.critical.classify)
            # would describe two objects under one name: such an object stays in its defining module
            home = next((p for p in chain if exports(p, name, obj) and f"{p}.{name}" not in loaded), defining)
            if _is_package(loaded[defining]) and defining != ROOT:
                home = defining
            result[(mod_name, name)] = home
    return result


def _layer_rank(name: str) -> tuple[int, str]:
    """Bottom layer first, in the order of the layering contract in ``pyproject.toml``."""
    config = tomllib.loads((API_DIR.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    for depth, layer in enumerate(reversed(layers)):
        if name in (part.strip() for part in layer.split("|")):
            return depth, name
    return len(layers), name


def _title(text: str, underline: str) -> str:
    return f"{text}\n{underline * len(text)}\n"


def module_section(mod_name: str, home: dict[tuple[str, str], str], level: str) -> str:
    """The ``automodule`` of one module: its own names in full, the others as a table of links."""
    module = importlib.import_module(mod_name)
    own = [n for n in _all(module) if home[(mod_name, n)] == mod_name and not _is_data(getattr(module, n))]
    data = [n for n in _all(module) if home[(mod_name, n)] == mod_name and _is_data(getattr(module, n))]
    elsewhere = [n for n in _all(module) if home[(mod_name, n)] != mod_name]
    lines = [_title(f"``{mod_name}``", level), f".. automodule:: {mod_name}"]
    if own:
        lines += ["   :members: " + ", ".join(own), "   :undoc-members:"]
    else:
        lines.append("   :no-members:")
    # autodoc's :members: passes over a constant without a docstring: name each one
    lines += [f"\n.. autodata:: {mod_name}.{n}" for n in data]
    if elsewhere:
        # one table per home, read in that module (autosummary refuses names under the current
        # module, and the summaries' short references are meant from their own module)
        lines += ["", "Re-exported here (documented at their home):"]
        for where in dict.fromkeys(home[(mod_name, n)] for n in elsewhere):
            lines += ["", f".. currentmodule:: {where}", "", ".. autosummary::", ""]
            lines += [f"   {n}" for n in elsewhere if home[(mod_name, n)] == where]
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """File name -> text of every API page, and ``index.rst`` listing them."""
    modules = public_modules()
    home = homes(modules)
    first_level = sorted((m for m in modules if m.count(".") == 1), key=_layer_rank)
    out: dict[str, str] = {}
    header = ".. This file is written by docs/generate_api.py: edit that script, not this page.\n\n"
    out[f"{ROOT}.rst"] = header + module_section(ROOT, home, "=")
    for top in first_level:
        members = [m for m in modules if m == top or m.startswith(top + ".")]
        text = header + module_section(top, home, "=")
        for sub in members[1:]:
            text += "\n" + module_section(sub, home, "-")
        out[f"{top}.rst"] = text
    toc = "\n".join(f"   {name[:-4]}" for name in out)
    out["index.rst"] = (header + _title("API reference", "=") + "\n"
                        "Generated from the NumPy-style docstrings. A page per subpackage, in the order of the\n"
                        "layers (each imports only those below it); every public name is documented once, in\n"
                        "the package that re-exports it.\n\n"
                        ".. toctree::\n   :maxdepth: 1\n\n" + toc + "\n")
    return out


def main() -> int:
    API_DIR.mkdir(exist_ok=True)
    written = pages()
    for stale in API_DIR.glob("*.rst"):
        if stale.name not in written:
            stale.unlink()
    for name, text in written.items():
        (API_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(written)} pages to {API_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
