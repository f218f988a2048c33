"""Tests of equilin.cli.geometry: equilin invariant, equivariant and count."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import pytest

from equilin.cli import geometry, main
from equilin.cli.formatting import any_int_digits


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


def test_degrees_with_more_than_4300_digits(capsys: pytest.CaptureFixture[str]) -> None:
    # Python converts ints of at most 4,300 digits to text by default; this degree has 10,876
    argv = ["invariant", "--image", "100x100", "--action", "shift-x", "-m", "1000000", "-r", "50"]
    limit = sys.get_int_max_str_digits()
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    with any_int_digits():
        digits = str(json.loads(out)["degree"])
    assert len(digits) == 10_876
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert f"degree {digits} " in out  # the text report prints every digit, as for shorter degrees
    assert sys.get_int_max_str_digits() == limit


def test_count_with_more_than_4300_digits(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # such counts take minutes to compute (count --image 1x100000 --action shift-x -r 10000): a stand-in count
    monkeypatch.setattr(geometry, "count_components", lambda cycle_type, r: SimpleNamespace(total=10**5000, rank_r=3))
    argv = ["count", "--gens", "(1 2)", "--n", "3", "-r", "1"]
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    with any_int_digits():
        assert json.loads(out)["n_components"] == 10**5000
        total = f"{10**5000:,}"
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert f"n_components        = {total}\n" in out and "n_components_rank_r = 3 " in out
