"""Sphinx configuration of the documentation site (``make docs`` builds it into ``docs/_build/html``).

The API reference (``api/``) is written by ``generate_api.py`` from the package; the notes
(``math.md``, ...) are MyST markdown; the tutorials (``tutorials/``) are MyST markdown notebooks that
myst-nb executes on every clean build, so their output is what the library prints today.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SRC = DOCS.parent / "src"
sys.path.insert(0, str(SRC))
# the tutorials run in Jupyter kernels (subprocesses): they import the same checkout
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
# the kernels share two cores with the build: one BLAS / torch thread each
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# tqdm.auto, imported by the library, warns in a kernel without ipywidgets; the tutorials show no bars
os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                      "ignore:IProgress not found"]))

import equilin  # noqa: E402  (after the path above)

project = "equilin"
author = "the equilin authors"
copyright = "the equilin authors, MIT license"
release = version = equilin.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "generate_api.py"]
root_doc = "index"

# -- HTML ------------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"equilin {release}"
html_static_path: list[str] = []

# -- autodoc, autosummary, numpydoc -----------------------------------------------------------------
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"            # numpydoc's Parameters sections carry the types, in words
autodoc_inherit_docstrings = False    # scikit-learn's and torch's inherited docstrings are not ours
autosummary_generate = False          # the API pages are written by generate_api.py, committed
numpydoc_show_class_members = False   # autodoc's :members: documents methods; no stub tables
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False
numpydoc_xref_param_type = False

# -- MyST, myst-nb ----------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3              # docs/persistence.md links to "#where-a-file-is-written"
nb_execution_mode = "cache"           # executed on a clean build; reused while the notebook is unchanged
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 120
nb_execution_raise_on_error = True    # a tutorial that fails fails the build
nb_merge_streams = True
nb_output_stderr = "warn"             # anything a tutorial writes to stderr is a warning, so an error

# -- cross-references -------------------------------------------------------------------------------
# Built with -n (nitpicky): every reference must resolve. The docstrings name objects the way their
# readers import them: a short name (``:func:`save```) means the object of that name in the nearest
# package above the docstring's module (equilin.io.save, seen from equilin.io.persistence), or else the
# one object of the library with that (dotted) name; `resolve_short_reference` implements exactly that.
# What is left unresolved and ignored, each for a reason:
nitpick_ignore_regex = [
    # other libraries' objects: no intersphinx (the build reaches no network)
    (r"py:.*", r"(numpy|np|scipy|sklearn|torch|matplotlib|pandas|dask|zarr|safetensors|onnx|tqdm)(\..*)?"),
    # the standard library's: the same
    (r"py:.*", r"(pathlib|gzip|os|io|typing|collections|enum|dataclasses|argparse)\..*"),
    # private helpers named in docstrings (``_Parser``, ``_DenseKernel``...): not part of the API
    (r"py:.*", r"(.*\.)?_[A-Za-z]\w*(\..*)?"),
    # equilin.lcn builds this torch class on first access (module __getattr__, needs torch): it is
    # not in __all__, and LCN.module documents it
    (r"py:class", r"LCNModule"),
    # the tie threshold of equilin.experiments.nonlinear, not in its __all__ (the module belongs to
    # the experiments; named in nonlinear_verdict's docstring)
    (r"py:data", r"TIE"),
]


def _imported(dotted: str) -> object:
    """The object a dotted path names (the longest importable module, then attributes), or None."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def resolve_short_reference(app, env, node, contnode):  # type: ignore[no-untyped-def]
    """Resolve ``:func:`name``` against the package hierarchy, nearest package first."""
    from sphinx.util.nodes import make_refnode

    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    objects = env.get_domain("py").objects
    module = node.get("py:module") or ""
    klass = node.get("py:class")
    parts = module.split(".")
    candidates = ([f"{module}.{klass}.{target}"] if klass and module else [])
    candidates += [".".join(parts[:i] + [target]) for i in range(len(parts), 0, -1)]
    objects = {name: entry for name, entry in objects.items() if not entry.aliased}
    found = next((c for c in candidates if c in objects), None)
    if found is None:
        matches = [name for name in objects if name.startswith("equilin.") and name.endswith("." + target)]
        if target.startswith("equilin."):   # another public path to a documented object
            obj = _imported(target)
            tail = "." + target.rsplit(".", 1)[-1]
            matches = [name for name in objects if name.endswith(tail) and obj is not None and _imported(name) is obj]
        if len(matches) != 1:
            return _owner_reference(app, env, node, contnode, objects)
        found = matches[0]
    entry = objects[found]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, found)


def _owner_reference(app, env, node, contnode, objects):  # type: ignore[no-untyped-def]
    """An attribute or method without an entry of its own (a dataclass field, an attribute set in
    ``__init__``, a method inherited from scikit-learn) links to its class, whose docstring describes it:
    ``:attr:`Cls.name``` to ``Cls``, ``:attr:`name``` inside a class to that class."""
    if node.get("reftype") not in ("attr", "meth"):
        return None
    target = node["reftarget"].lstrip("~.")
    owner = target.rpartition(".")[0] or node.get("py:class")
    if not owner:
        return None
    owner_node = node.deepcopy()
    owner_node["reftarget"] = owner
    owner_node["reftype"] = "class"
    if owner in objects:
        entry = objects[owner]
        from sphinx.util.nodes import make_refnode

        return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, owner)
    return resolve_short_reference(app, env, owner_node, contnode)


def skip_foreign_members(app, what, name, obj, skip, options):  # type: ignore[no-untyped-def]
    """Skip methods a class gets from another library (scikit-learn's ``set_fit_request``...)."""
    if what == "class" and not getattr(obj, "__module__", "equilin").startswith("equilin"):
        return True
    return None


def quiet_in_summaries(app, domain, node):  # type: ignore[no-untyped-def]
    """An autosummary row shows a docstring's first sentence away from its class: a short reference
    meant inside the class (``:meth:`to_blocks```) stays plain text there, without a warning. The full
    docstring, on the object's own entry, resolves it (or warns)."""
    parent = node.parent
    while parent is not None:
        if type(parent).__name__ == "autosummary_table":
            return True
        parent = parent.parent
    return None


def _summary_closing_literals(doc, settings):  # type: ignore[no-untyped-def]
    """Autosummary's first sentence, never cut inside an inline literal.

    ``sphinx.ext.autosummary.extract_summary`` splits the first paragraph at ". " and means to retry
    while the cut breaks inline markup, but parses the whole paragraph instead of the candidate (Sphinx
    9.0), so ``F(theta) = W_L ... W_1`` is cut inside the literal and docutils warns. Extend the
    sentence until its double backquotes pair up.
    """
    from sphinx.ext import autosummary

    summary = _extract_summary(doc, settings)
    if summary.count("``") % 2 == 0:
        return summary
    lines: list[str] = []
    for line in doc:
        if not line.strip():
            if lines:
                break
            continue
        lines.append(line.strip())
    paragraph = " ".join(lines)
    sentences = autosummary.periods_re.split(paragraph)
    for i in range(len(sentences)):
        candidate = ". ".join(sentences[: i + 1])
        if candidate.count("``") % 2 == 0:
            return candidate.rstrip(".") + "."
    return paragraph


def setup(app):  # type: ignore[no-untyped-def]
    from sphinx.ext import autosummary

    global _extract_summary
    _extract_summary = autosummary.extract_summary
    autosummary.extract_summary = _summary_closing_literals
    app.connect("missing-reference", resolve_short_reference)
    app.connect("warn-missing-reference", quiet_in_summaries)
    app.connect("autodoc-skip-member", skip_foreign_members)
