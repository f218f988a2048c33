"""The distributions: an sdist whose tests run, and a wheel that imports without the extras.

Both are built from a copy of the tracked files with setuptools' own build backend (the one pip calls),
so the checks see what a user of the package index would get. The wheel is tried in a new virtual
environment that holds only the wheel and the closure of its required dependencies (numpy, scipy, scikit-learn,
tqdm and what they require in turn, read from their metadata), linked from this environment: no torch,
matplotlib, pandas, dask, sympy or safetensors.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

EXTRAS = ("torch", "matplotlib", "pandas", "dask", "zarr", "sympy", "safetensors", "onnx", "onnxruntime")


def _tracked() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the distributions are built from a git checkout (this is not one)")
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel built from a copy of the tracked files (the working tree as committed)."""
    work = tmp_path_factory.mktemp("build")
    tree = work / "tree"
    for name in _tracked():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())
    out = work / "dist"
    built = {}
    for kind in ("sdist", "wheel"):  # one process each, as pip runs them
        script = f"import sys; from setuptools import build_meta as b; print(b.build_{kind}(sys.argv[1]))"
        result = subprocess.run([sys.executable, "-c", script, str(out)], cwd=tree, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        built[kind] = out / result.stdout.strip().splitlines()[-1]
    return {**built, "work": work}


def test_the_sdist_holds_every_tracked_source_test_and_doc(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    wanted = [name for name in _tracked()
              if name.startswith(("src/", "tests/", "docs/", "benchmarks/")) or "/" not in name]
    missing = sorted(set(wanted) - names - {".gitignore"})
    assert not missing, f"the sdist lacks {missing}"
    for name in ("tests/conftest.py", "tests/msolve.py", "docs/math.md", "LICENSE", "CHANGELOG.md",
                 "constraints.txt", "Makefile"):
        assert name in names


def test_the_sdist_tests_run(dist: dict[str, Path], tmp_path: Path) -> None:
    """Unpacked, the sdist runs its own tests (a sample: groups and degrees, doctests included)."""
    with tarfile.open(dist["sdist"]) as tar:
        tar.extractall(tmp_path, filter="data")
    (top,) = tmp_path.iterdir()
    env = {"PYTHONPATH": str(top / "src"), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/groups/test_cycles.py",
                             "tests/geometry/test_degrees.py", "src/equilin/groups/cycles.py"],
                            cwd=top, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "error" not in result.stdout.lower()


def test_the_wheel_metadata_names_the_license_and_the_extras(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as whl:
        (meta_name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        meta = whl.read(meta_name).decode()
        names = whl.namelist()
    assert "License-Expression: MIT" in meta
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "equilin/py.typed" in names
    for extra in ("torch", "onnx", "safetensors", "plots", "scale", "all", "test"):
        assert f"Provides-Extra: {extra}" in meta
    assert "Requires-Dist: scikit-learn" in meta
    assert not any(n.startswith(("tests/", "docs/")) for n in names)


def _required(wheel: Path) -> set[str]:
    """The distributions the wheel needs without extras: its requirements, theirs, and so on."""
    with zipfile.ZipFile(wheel) as whl:
        (meta_name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        lines = whl.read(meta_name).decode().splitlines()
    todo = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")]
    found: set[str] = set()
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = metadata.distribution(req.name).metadata["Name"]
        if name not in found:
            found.add(name)
            todo.extend(metadata.requires(name) or [])
    return found


def test_the_wheel_imports_without_the_extras(dist: dict[str, Path]) -> None:
    """A new venv with the wheel and the required dependencies only: the geometry, the closed forms and
    the CLI work; the torch modules say how to install torch."""
    env_dir = dist["work"] / "clean"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    with zipfile.ZipFile(dist["wheel"]) as whl:
        whl.extractall(site)
    deps = dist["work"] / "deps"
    deps.mkdir()
    required = _required(dist["wheel"])
    assert {"numpy", "scipy", "scikit-learn", "tqdm"} <= required
    for name in required:  # link each required distribution's files (packages, .libs, dist-info)
        distribution = metadata.distribution(name)
        base = Path(str(distribution.locate_file("")))
        for top in {Path(str(f)).parts[0] for f in distribution.files or []} - {"..", "bin"}:
            if not (deps / top).exists() and (base / top).exists():
                (deps / top).symlink_to(base / top)
    (site / "deps.pth").write_text(str(deps) + "\n")
    script = textwrap.dedent(f"""
        import importlib.util, sys
        for name in {EXTRAS!r}:
            assert importlib.util.find_spec(name) is None, name + " should not be importable here"
        import numpy as np
        import equilin
        from equilin import DenseAutoencoder, EquivariantVariety, Permutation
        X = np.random.default_rng(0).standard_normal((50, 5))
        model = DenseAutoencoder(rank=2).fit(X)
        assert model.transform(X).shape == (50, 2)
        sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
        assert EquivariantVariety(sigma, 2).count_components().total == 3
        from equilin.cli import main
        assert main(["--version"]) == 0
        try:
            import equilin.models.nn
        except ImportError as exc:
            assert "pip install" in str(exc) and "torch" in str(exc), exc
        else:
            raise AssertionError("equilin.models.nn imported without torch")
        assert "torch" not in sys.modules
        print("ok")
    """)
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=dist["work"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1] == "ok"
