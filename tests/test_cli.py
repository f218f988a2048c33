from __future__ import annotations

import json
import subprocess
import sys

import pytest

from equilin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_invariant_json_talk_example(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "invariant", "--gens", "(1 3 4)(2 5)", "--n", "5", "-m", "2", "-r", "1",
                         "--json")
    assert status == 0
    report = json.loads(out)
    assert report["partition"] == [[1, 3, 4], [2, 5]]
    assert (report["n"], report["m"], report["rank"], report["k"]) == (5, 2, 1, 2)
    assert (report["dim"], report["degree"], report["ed_degree"]) == (3, 2, 2)
    assert report["singular_locus"].startswith("invariant maps of rank <= 0")
    assert (report["params_shared"], report["params_dense"]) == (4, 7)
    assert all(isinstance(report[key], int) for key in ("dim", "degree", "ed_degree"))


def test_invariant_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "invariant", "--gens", "(1 3 4)(2 5)", "--n", "5", "-m", "5", "-r", "2")
    assert status == 0
    assert "orbit partition (k = 2): {1,3,4} {2,5}" in out
    assert "w1 w2 w1 w1 w2" in out and "w3 w4 w3 w3 w4" in out


def test_invariant_several_generators_and_images(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "invariant", "--gens", "(1 2)", "--gens", "(2 3)(4 5)", "--n", "6",
                         "-m", "3", "-r", "2", "--json")
    assert status == 0 and json.loads(out)["partition"] == [[1, 2, 3], [4, 5], [6]]
    status, out, _ = run(capsys, "invariant", "--image", "28x28", "--action", "shift-x", "-m", "784",
                         "-r", "99", "--json")
    report = json.loads(out)
    assert status == 0 and report["k"] == 28 and report["params_dense"] == 155_232


@pytest.mark.parametrize(("argv", "message"), [
    (["invariant", "--gens", "(1 2 2)", "--n", "3", "-m", "2", "-r", "1"], "appears twice"),
    (["invariant", "--gens", "(1 2)", "-m", "2", "-r", "1"], "needs --n"),
    (["invariant", "--gens", "(1 2)", "--n", "3", "-m", "0", "-r", "1"], "-m must be at least 1"),
    (["invariant", "--gens", "(1 2)", "--n", "3", "-m", "2", "-r", "-1"], "-r must be a non-negative"),
    (["invariant", "--gens", "(1 2)", "--n", "-3", "-m", "2", "-r", "1"], "non-negative integer"),
    (["invariant", "--image", "3x", "--action", "rot90", "-m", "2", "-r", "1"], "HxW"),
    (["invariant", "--image", "3x4", "--action", "rot90", "-m", "2", "-r", "1"], "square"),
    (["invariant", "--image", "3x3", "-m", "2", "-r", "1"], "needs --action"),
    (["invariant", "--image", "3x3", "--action", "flip-x", "--shift", "2", "-m", "2", "-r", "1"],
     "--shift goes with"),
    (["invariant", "--image", "3x3", "--action", "twist", "-m", "2", "-r", "1"], "invalid choice"),
    (["invariant", "-m", "2", "-r", "1"], "name the group"),
    (["invariant", "--gens", "(1 2)", "--n", "3", "-m", "two", "-r", "1"], "invalid int"),
    ([], "name a command"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_one_line_status_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                     message: str) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo", "--geometry")
    assert status == 0, err
    assert "(1 3 4)(2 5)" in out


def test_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "equilin", "invariant", "--gens", "(1 2)", "--n", "2",
                           "-m", "1", "-r", "1", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["k"] == 1


# -- equilin fit ---------------------------------------------------------------------------------
def _shards(tmp_path, rng_seed: int = 0, n: int = 16) -> tuple:
    import numpy as np

    rng = np.random.default_rng(rng_seed)
    data = rng.standard_normal((130, n)) * rng.uniform(0.2, 2.0, n)
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, (a, b) in enumerate([(0, 40), (40, 41), (41, 130)]):
        np.save(folder / f"part{i:02d}.npy", data[a:b])
    return folder, data


def test_fit_from_npy_shards_equals_in_memory_fit(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    import numpy as np

    persistence = pytest.importorskip("equilin.persistence")
    from equilin.models.closed_form import EquivariantAutoencoder
    from equilin.groups import image_shift

    folder, data = _shards(tmp_path)
    out = tmp_path / "model.npz"
    status, text, err = run(capsys, "fit", "--data", str(folder), "--model", "equivariant", "--image", "4x4",
                            "--action", "shift-x", "-r", "5", "--batch-size", "7", "--out", str(out))
    assert status == 0, err
    assert "on 130 samples" in text and "3 .npy shard(s)" in text and "parameters" in text
    expected = EquivariantAutoencoder(image_shift(4, 4), "best", rank=5).fit(data)
    model = persistence.load(out)
    assert model.ranks_ == expected.ranks_
    np.testing.assert_allclose(model.predict(data), expected.predict(data), atol=1e-10)
    status, text, err = run(capsys, "fit", "--data", str(folder), "--model", "dense", "-r", "3", "--quiet",
                            "--json", "--out", str(out))
    report = json.loads(text)
    assert status == 0 and err == "" and report["n_samples"] == 130 and report["n_params"] == 3 * 16 * 2


def test_fit_from_a_zarr_array(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    import numpy as np

    zarr = pytest.importorskip("zarr")
    persistence = pytest.importorskip("equilin.persistence")
    from equilin.models.closed_form import InvariantAutoencoder
    from equilin.groups import image_shift

    data = np.random.default_rng(1).standard_normal((100, 12))
    array = zarr.create_array(str(tmp_path / "data.zarr"), shape=data.shape, chunks=(16, 12), dtype="f8")
    array[:] = data
    out = tmp_path / "inv.npz"
    status, text, err = run(capsys, "fit", "--data", str(tmp_path / "data.zarr"), "--model", "invariant",
                            "--image", "3x4", "--action", "shift-x", "-r", "2", "--batch-size", "40",
                            "--json", "--out", str(out))
    assert status == 0, err
    report = json.loads(text)
    assert report["n_samples"] == 100 and "4 part(s) of up to 32 rows" in report["source"]
    expected = InvariantAutoencoder(image_shift(3, 4), 2).fit(data)
    np.testing.assert_allclose(persistence.load(out).predict(data), expected.predict(data), atol=1e-10)


def test_fit_bad_input_one_line_status_2(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    import numpy as np

    folder, _ = _shards(tmp_path)
    out = str(tmp_path / "m.npz")
    empty = tmp_path / "empty"
    empty.mkdir()
    odd = tmp_path / "odd"
    odd.mkdir()
    np.save(odd / "a.npy", np.zeros((3, 16)))
    np.save(odd / "b.npy", np.zeros((3, 15)))
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    np.save(pickled / "a.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    group = ["--image", "4x4", "--action", "shift-x"]
    cases = [
        (["--data", str(tmp_path / "missing"), "--model", "dense", "-r", "1"], "no such file"),
        (["--data", str(empty), "--model", "dense", "-r", "1"], "no .npy shards"),
        (["--data", str(odd), "--model", "dense", "-r", "1"], "b.npy: X has 15 features, expected 16"),
        (["--data", str(pickled), "--model", "dense", "-r", "1"], "a.npy: cannot be read"),
        (["--data", str(folder), "--model", "dense", "-r", "1", *group], "takes no group"),
        (["--data", str(folder), "--model", "dense"], "needs the rank -r"),
        (["--data", str(folder), "--model", "equivariant", *group], "needs the budget -r"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "1,x"], "comma-separated"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "9,0,0"], "exceeds the block size"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "1,0"], "one entry per block"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "1,1,1", "-r", "2"], "more than -r 2"),
        (["--data", str(folder), "--model", "invariant", "-r", "1"], "name the group"),
        (["--data", str(folder), "--model", "dense", "-r", "1", "--batch-size", "0"], "--batch-size"),
        (["--data", str(folder), "--model", "pca", "-r", "1"], "invalid choice"),
    ]
    for argv, message in cases:
        status, _, err = run(capsys, "fit", *argv, "--out", out, "--quiet")
        assert status == 2, argv
        assert err.count("\n") == 1 and message in err, (argv, err)
    status, _, err = run(capsys, "fit", "--data", str(folder), "--model", "dense", "-r", "1",
                         "--out", str(tmp_path / "nowhere" / "m.npz"))
    assert status == 2 and "does not exist" in err


# -- equivariance under any group (equivariant / count with several generators, image groups) -----
def test_equivariant_several_generators_quaternion_group(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "equivariant", "--gens", "(1 3 2 4)(5 8 6 7)", "--gens",
                         "(1 5 2 6)(3 7 4 8)", "--n", "8", "-r", "4", "--json")
    report = json.loads(out)
    assert status == 0 and report["method"] == "generic" and report["cycle_type"] is None
    assert [(b["kind"], b["size"], b["weight"]) for b in report["blocks"]][-1] == ("quaternionic", 1, 4)
    assert (report["commutant_dim"], report["n_components"], report["dim"]) == (8, 2, 4)
    status, out, _ = run(capsys, "equivariant", "--gens", "(1 3 2 4)(5 8 6 7)", "--gens",
                         "(1 5 2 6)(3 7 4 8)", "--n", "8", "-r", "4")
    assert status == 0 and "4 real, 1 quaternionic" in out and "r_{V5}=1" in out


def test_image_groups_d4_and_shift_xy(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "equivariant", "--image", "3x3", "--action", "d4", "-r", "2", "--json")
    report = json.loads(out)
    assert status == 0 and report["group"] == "d4 of 3x3 images"
    assert [(b["size"], b["weight"]) for b in report["blocks"]] == [(3, 1), (1, 1), (1, 1), (2, 2)]
    assert (report["n_components"], report["dim"], report["degree"], report["ed_degree"]) == (5, 8, 3, 12)
    status, out, _ = run(capsys, "count", "--image", "4x4", "--action", "shift-xy", "-r", "3", "--json")
    report = json.loads(out)
    assert status == 0 and report["n"] == 16 and len(report["blocks"]) == 10  # 4 real + 6 complex
    status, out, _ = run(capsys, "equivariant", "--image", "4x4", "--action", "rot90", "-r", "2", "--json")
    assert status == 0 and json.loads(out)["method"] == "fourier"


def test_wallpaper_and_volume_groups(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "equivariant", "--image", "6x6", "--action", "p4m", "-r", "3", "--json")
    report = json.loads(out)
    # p4m on a 6 x 6 torus: one orbit, stabilizer D_4; orbitals = orbits of D_4 on the 36 pixels
    assert status == 0 and report["group"] == "p4m by 1 of 6x6 images" and report["commutant_dim"] == 10
    status, out, _ = run(capsys, "count", "--volume", "3x3x3", "--action", "cube", "-r", "2", "--json")
    report = json.loads(out)
    assert status == 0 and report["n"] == 27 and sorted(b["weight"] for b in report["blocks"]) == [1, 1, 2, 3, 3]
    status, out, _ = run(capsys, "equivariant", "--volume", "2x3x4", "--action", "shift-xyz", "--shift", "1",
                         "-r", "1", "--json")
    report = json.loads(out)
    assert status == 0 and report["commutant_dim"] == 24 and report["group"] == "shift-xyz by 1 of 2x3x4 volumes"


def test_cyclic_group_same_counts_both_ways(capsys: pytest.CaptureFixture[str]) -> None:
    # one generator listed twice is still the cyclic group, but takes the generic path
    _, one, _ = run(capsys, "count", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "-r", "3", "--json")
    _, two, _ = run(capsys, "count", "--gens", "(1 2 3 4)(5 6 7 8)", "--gens", "(1 3)(2 4)(5 7)(6 8)",
                    "--n", "9", "-r", "3", "--json")
    a, b = json.loads(one), json.loads(two)
    assert (a["n_components"], a["n_components_rank_r"]) == (b["n_components"], b["n_components_rank_r"])


LONG_CYCLE = "(" + " ".join(map(str, range(1, 3001))) + ")"   # with (1 2): S_3000, one orbit of 3000


@pytest.mark.parametrize(("argv", "message"), [
    (["equivariant", "--gens", "(1 2)", "--gens", LONG_CYCLE, "--n", "3000", "-r", "1"], "handles up to 2,048"),
    (["equivariant", "--image", "3x4", "--action", "d4", "-r", "1"], "square"),
    (["equivariant", "--image", "3x3", "--action", "d4", "--shift", "2", "-r", "1"], "--shift goes with"),
    (["equivariant", "--image", "64x64", "--action", "p4m", "--shift", "2", "-r", "1"], "handles up to 2,048"),
    (["equivariant", "--image", "3x3", "--action", "cube", "-r", "1"], "does not act on images"),
    (["equivariant", "--volume", "3x3x3", "--action", "p4m", "-r", "1"], "does not act on volumes"),
    (["equivariant", "--volume", "3x3x4", "--action", "cube", "-r", "1"], "cubic volume"),
    (["equivariant", "--volume", "3x3", "--action", "cube", "-r", "1"], "--volume must look like DxHxW"),
    (["equivariant", "--volume", "0x3x3", "--action", "cube", "-r", "1"], "at least 1"),
    (["equivariant", "--volume", "3x3x3", "-r", "1"], "--volume needs --action"),
    (["equivariant", "--volume", "3x3x3", "--image", "3x3", "--action", "cube", "-r", "1"], "give one of"),
    (["equivariant", "--volume", "3x3x3", "--action", "cube", "--n", "27", "-r", "1"], "--n goes with --gens"),
    (["equivariant", "--volume", "3000x3000x3000", "--action", "cube", "-r", "1"], "too many to build"),
    (["fit", "--data", "x.npy", "--model", "dense", "-r", "1", "--volume", "2x2x2", "--action", "cube",
      "--out", "m.npz"], "takes no group; drop --volume"),
])
def test_group_errors_one_line_status_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                        message: str) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2 and err.count("\n") == 1 and message in err


# -- critical ---------------------------------------------------------------------------------------
def test_critical_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "critical", "--n-init", "2", "--seed", "3", "--json")
    assert status == 0
    report = json.loads(out)
    assert report["settings"]["n_init"] == 2 and report["settings"]["search"] == "train"
    assert [c["name"] for c in report["cases"]] == ["(a)", "(b)", "(c)"]
    assert all(sum(c["counts"].values()) == 2 for c in report["cases"])
    assert report["cases"][0]["counts"]["spurious"] == 0
    status, out, err = run(capsys, "critical", "--n-init", "1", "--quiet")
    assert status == 0 and err == ""
    assert "pure regular" in out and "LCN, strides > 1" in out and "docs/critical.md" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["critical", "--n-init", "0"], "--n-init must be at least 1"),
    (["critical", "--seed", "-1"], "--seed must be a non-negative integer"),
    (["critical", "--max-iter", "0"], "--max-iter must be at least 1"),
    (["critical", "--tol", "1.5"], "--tol must be a number in (0, 1)"),
    (["critical", "--search", "newton"], "invalid choice"),
])
def test_critical_errors_one_line_status_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                           message: str) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2 and err.count("\n") == 1 and message in err


# -- deep -----------------------------------------------------------------------------------------------
def test_deep_json_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("deep", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "--hidden", "channels:2",
            "--hidden", "cosets:(1 3)(2 4)(5 7)(6 8)", "--hidden", "linear:r_{1,1}=1 r_{2,1}=1")
    status, out, _ = run(capsys, *argv, "--json")
    report = json.loads(out)
    assert status == 0
    assert report["function_space"] == {"ranks": {"r_{1,1}": 1, "r_{4,3}": 0, "r_{2,1}": 1}, "rank": 2, "max_rank": 2,
                                        "dim": 8, "degree": 12, "ed_degree": 6, "is_component": True}
    assert [layer["width"] for layer in report["hidden"]] == [18, 2, 2]
    assert report["hidden"][1]["multiplicities"] == {"r_{1,1}": 1, "r_{4,3}": 0, "r_{2,1}": 1}
    assert report["n_params"] == sum(report["layer_params"]) and report["layer_params"][0] == 42
    assert report["jacobian_rank"] == 8 and report["fiber_dim"] == report["n_params"] - 8
    status, out, _ = run(capsys, *argv)
    assert status == 0 and "Jacobian rank at random parameters: 8 (= dim)" in out
    assert "an irreducible component of E^G_r, r = 2" in out


def test_deep_smallest_hidden_layer(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "deep", "--image", "28x28", "--action", "shift-x", "--no-jacobian", "--json",
                         "--smallest", "r_{1,1}=13 r_{28,27}=10 r_{14,13}=9 r_{28,25}=8 r_{7,6}=7 r_{28,23}=5 "
                                       "r_{14,11}=3 r_{4,3}=1")
    report = json.loads(out)
    assert status == 0 and report["smallest"] == {"1": 3, "28": 10} and report["hidden"][0]["width"] == 283
    assert report["jacobian_rank"] is None


@pytest.mark.parametrize("argv, message", [
    (("--hidden", "bogus"), "a hidden layer is one of"),
    (("--hidden", "images:2:(1 2)"), "do not define an action of the group"),
    (("--hidden", "channels:x"), "--hidden 'channels:x'"),
    (("--hidden", "linear:r_{9,9}=1"), "unknown block"),
    ((), "give the hidden layers with --hidden"),
    (("--hidden", "input", "--smallest", "r_{1,1}=1"), "without --hidden"),
])
def test_deep_errors(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    status, _, err = run(capsys, "deep", "--gens", "(1 2 3)", "--n", "3", *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_critical_deep_cases(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "critical", "--deep", "--n-init", "1", "--json")
    report = json.loads(out)
    assert status == 0
    assert [c["name"] for c in report["cases"]] == ["(d1)", "(d2)", "(d3)", "(d4)", "(d5)", "(d6)"]
    assert all(sum(c["counts"].values()) == 1 and c["network"].startswith("deep equivariant") for c in report["cases"])


def test_version_and_the_identity(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"equilin {version('equilin')}"
    status, out, _ = run(capsys, "equivariant", "--gens", "()", "--n", "3", "-r", "1", "--json")
    report = json.loads(out)                                # the trivial group: E_1 = M_{1, 3x3}
    assert status == 0 and (report["commutant_dim"], report["n_components"], report["dim"]) == (9, 1, 5)


def test_deep_neurovariety(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("deep", "--gens", "(1 2 3 4)", "--n", "4", "--hidden", "regular", "--hidden", "regular", "--degree", "2")
    status, out, _ = run(capsys, *argv, "--json")
    assert status == 0 and json.loads(out)["neurovariety"] == {"degree": 2, "dim": 10, "dim_mod_p": 10}
    status, out, _ = run(capsys, *argv)
    assert "neurovariety of dimension 10" in out
    status, _, err = run(capsys, "deep", "--gens", "(1 2 3)", "--n", "3", "--hidden", "linear:r_{1,1}=1",
                         "--degree", "2")
    assert status == 2 and "LinearLayer" in err
