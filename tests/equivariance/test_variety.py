"""equilin.equivariance.variety: E^G_r and its components (docs/math.md section 4): the talk's examples,
validation, nearest points and critical points, the MNIST numbers, labels and the command line."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_counting import MNIST_RANK_R
from test_weight_sharing import param_vector, svd_factors, tangent_vectors

from equilin.cli import main
from equilin.equivariance import EquivariantComponent, EquivariantVariety, Ranks, count_components
from equilin.geometry import determinantal_degree, square_degree
from equilin.groups import Permutation, PermutationGroup, image_shift, talk_rotation

from conftest import permutations

MNIST_TALK_RANKS = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)


def test_talk_rotation_component() -> None:
    """The talk's component r_{1,1}=1, r_{2,1}=0, r_{4,3}=1 of E_{3, 9x9}."""
    E = EquivariantVariety(talk_rotation(3), 3)
    C = E.component({"r_{1,1}": 1, "r_{2,1}": 0, "r_{4,3}": 1})
    assert C == E.component((1, 1, 0)) == E.component({(1, 1): 1, (4, 3): 1})
    assert C.label() == "r_{1,1}=1 r_{4,3}=1 r_{2,1}=0"
    assert C.ranks == (1, 1, 0) and C.max_rank == 3 and C.kind == "rank r"
    assert str(C.factors) == "M_{1, 3x3}(R) x R(M_{1, 2x2}(C)) x M_{0, 2x2}(R)"
    assert (C.dim, C.degree, C.ed_degree) == (11, 24, 6)
    assert (C.factors.dim, C.factors.degree, C.factors.ed_degree) == (11, 24, 6)
    assert C.n_params == 2 * 3 * 1 + 4 * 2 * 1 == 14
    assert str(C.singular_locus) == ("M_{0, 3x3}(R) x R(M_{1, 2x2}(C)) x M_{0, 2x2}(R)  union  "
                                     "M_{1, 3x3}(R) x R(M_{0, 2x2}(C)) x M_{0, 2x2}(R)")
    assert repr(C).endswith(".component(Ranks('r_{1,1}=1 r_{4,3}=1 r_{2,1}=0'))")
    assert eval(repr(C), {"EquivariantVariety": EquivariantVariety, "Permutation": Permutation, "Ranks": Ranks}) == C
    assert C in set(E.components())
    W = C.weight_sharing()
    assert W.encoder_ids.shape == (3, 9) and W.decoder_ids.shape == (9, 3)
    assert W.encoder_ids.tolist() == [[0, 1, 2, -1, -1, -1, -1, -1, -1],
                                      [-1, -1, -1, 3, 4, 5, 6, -1, -1],
                                      [-1, -1, -1, 4, 3, 6, 5, -1, -1]]
    assert W.encoder_signs.tolist() == [[1, 1, 1, 0, 0, 0, 0, 0, 0],
                                        [0, 0, 0, 1, -1, 1, -1, 0, 0],
                                        [0, 0, 0, 1, 1, 1, 1, 0, 0]]
    assert W.decoder_ids.T.tolist() == [[7, 8, 9, -1, -1, -1, -1, -1, -1],
                                        [-1, -1, -1, 10, 11, 12, 13, -1, -1],
                                        [-1, -1, -1, 11, 10, 13, 12, -1, -1]]
    assert W.decoder_signs.T.tolist() == [[1, 1, 1, 0, 0, 0, 0, 0, 0],
                                          [0, 0, 0, 1, 1, 1, 1, 0, 0],
                                          [0, 0, 0, -1, 1, -1, 1, 0, 0]]
    assert W.n_params == C.n_params
    # the other components of E_{3, 9x9}
    assert [c.label() for c in E.components()] == [
        "r_{1,1}=3 r_{4,3}=0 r_{2,1}=0", "r_{1,1}=2 r_{4,3}=0 r_{2,1}=1", "r_{1,1}=1 r_{4,3}=1 r_{2,1}=0",
        "r_{1,1}=1 r_{4,3}=0 r_{2,1}=2", "r_{1,1}=0 r_{4,3}=1 r_{2,1}=1"]
    assert (E.dim, E.degree, E.ed_degree) == (11, 24 + 6, 1 + 6 + 6 + 3 + 4)


def test_component_validation() -> None:
    E = EquivariantVariety(talk_rotation(3), 3)
    with pytest.raises(ValueError, match="one entry per block"):
        E.component((1, 1))
    with pytest.raises(ValueError, match=r"r_\{4,3\}=3 exceeds the block size"):
        E.component((0, 3, 0))
    with pytest.raises(ValueError, match="weighted rank 5 .* exceeds rank=3"):
        E.component((1, 2, 0))
    with pytest.raises(ValueError, match=r"not maximal: r_\{1,1\} can be raised to 1"):
        E.component((0, 1, 0))
    with pytest.raises(ValueError, match=r"unknown block 'r_\{3,2\}'"):
        E.component({"r_{3,2}": 1})
    with pytest.raises(ValueError, match="rank r_"):
        E.component((1.5, 1, 0))
    with pytest.raises(ValueError, match="not maximal"):
        EquivariantComponent(E, (0, 1, 0))
    assert EquivariantComponent(E, {"r_{1,1}": 1, "r_{4,3}": 1}) == E.component((1, 1, 0))
    with pytest.raises(ValueError, match="order must be 'lex'"):
        next(E.components(order="dim"))
    S3 = EquivariantVariety(PermutationGroup.from_cycles(["(1 2)", "(2 3)"], 3), 1)  # non-cyclic:
    assert S3.method == "generic" and S3.sigma is None                              # the generic path
    with pytest.raises(ValueError, match="method='fourier' needs a cyclic group"):
        EquivariantVariety(PermutationGroup.from_cycles(["(1 2)", "(2 3)"], 3), 1, method="fourier")
    assert EquivariantVariety(PermutationGroup.from_cycles(["(1 2)"], 3), 1).sigma == \
        Permutation.from_cycles("(1 2)", 3)
    with pytest.raises(ValueError, match="rank must be"):
        EquivariantVariety(talk_rotation(3), -1)
    with pytest.raises(ValueError, match="n = 0"):
        EquivariantVariety(Permutation.identity(0), 1)


@given(permutations(max_n=8), st.integers(0, 8), st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_component_nearest_is_critical(sigma: Permutation, r: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    E = EquivariantVariety(sigma, r)
    U = rng.standard_normal((sigma.n, sigma.n))
    Q = E.Q()
    for C in itertools.islice(E.components(), 6):
        M = C.nearest(U)
        assert C.contains(M)
        # block coordinates: every factor sees a critical point (complex factors as complex matrices)
        blocks_U, blocks_M = E.matrix_to_blocks(U), E.matrix_to_blocks(M)
        for f, a, m in zip(C.factors.factors, blocks_U, blocks_M):
            assert f.is_critical_point(a, m)
        # original coordinates: the residual is orthogonal to the tangent space
        lefts, rights = svd_factors(C, blocks_M)
        params = param_vector(C, lefts, rights)
        D, Enc = C.weight_sharing().fill(params)
        np.testing.assert_allclose(Q @ D @ Enc @ Q.T, M, atol=1e-10)
        residual = U - M
        for T in tangent_vectors(C, params, Q, rng, 5):
            assert abs(np.sum(residual * T)) <= 1e-9 * max(1.0, np.linalg.norm(T))
        # it is the best point among the critical points of the component
        assert np.linalg.norm(residual) <= np.linalg.norm(U - C.sample(rng)) + 1e-12


def test_component_nearest_finite_differences(rng: np.random.Generator) -> None:
    """Small case, original coordinates: the gradient of ||U - M(theta)||^2 vanishes at the nearest
    point and a random perturbation of the weights never gets closer."""
    E = EquivariantVariety(talk_rotation(3), 3)
    C = E.component((1, 1, 0))
    Q = E.Q()
    U = rng.standard_normal((9, 9))
    M = C.nearest(U)
    lefts, rights = svd_factors(C, E.matrix_to_blocks(M))
    theta = param_vector(C, lefts, rights)
    W = C.weight_sharing()

    def loss(t: np.ndarray) -> float:
        D, Enc = W.fill(t)
        return float(np.sum((U - Q @ D @ Enc @ Q.T) ** 2))

    h = 1e-6
    grad = np.array([(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    assert np.abs(grad).max() < 1e-6
    base = loss(theta)
    assert base == pytest.approx(float(np.sum((U - M) ** 2)))
    assert all(loss(theta + 1e-3 * rng.standard_normal(theta.size)) >= base - 1e-12 for _ in range(50))


def test_ed_degree_counts_critical_points(rng: np.random.Generator) -> None:
    """The ED degree of a component is its number of critical points for generic U (products of
    per-block truncated SVDs), each of them a critical point in original coordinates."""
    E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)(9 10 11 12)", 14), 6)
    Q = E.Q()
    U = rng.standard_normal((14, 14))
    blocks_U = E.matrix_to_blocks(U)
    for C in E.components():
        per_block = [f.critical_points(a) for f, a in zip(C.factors.factors, blocks_U)]
        points = [E.matrix_from_blocks([m for _, m in choice]) for choice in itertools.product(*per_block)]
        assert len(points) == C.ed_degree
        distinct = {tuple(np.round(p, 8).ravel()) for p in points}
        assert len(distinct) == C.ed_degree
        for M in points[:8]:
            lefts, rights = svd_factors(C, E.matrix_to_blocks(M))
            params = param_vector(C, lefts, rights)
            for T in tangent_vectors(C, params, Q, rng, 3):
                assert abs(np.sum((U - M) * T)) <= 1e-9 * max(1.0, np.linalg.norm(T))
        best = min(points, key=lambda p: np.linalg.norm(U - p))
        np.testing.assert_allclose(C.nearest(U), best, atol=1e-10)


@given(permutations(max_n=9), st.integers(0, 10), st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_nearest_over_E_r_beats_every_component(sigma: Permutation, r: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    E = EquivariantVariety(sigma, r)
    U = rng.standard_normal((sigma.n, sigma.n))
    M = E.nearest(U)
    assert E.contains(M)
    best = E.nearest_component(U)
    assert best.contains(M)
    assert E.nearest_ranks(U) == best.labelled_ranks
    distance = np.linalg.norm(U - M)
    by_component = [np.linalg.norm(U - C.nearest(U)) for C in E.components()]
    assert distance <= min(by_component) + 1e-9
    assert distance == pytest.approx(min(by_component), abs=1e-9)
    np.testing.assert_allclose(M, best.nearest(U), atol=1e-9)


def test_square_degree_matches_determinantal_degree() -> None:
    for d in range(1, 13):
        for k in range(0, d + 1):
            assert square_degree(d, k) == determinantal_degree(d, d, k)
    square_degree.cache_clear()
    for d, k in [(65, 1), (65, 2), (66, 7), (70, 64), (80, 40)]:
        assert square_degree(d, k) == determinantal_degree(d, d, k)
    assert square_degree(100, 1) == math.comb(198, 99)


def test_mnist_component_and_union() -> None:
    E = EquivariantVariety(image_shift(28, 28), 99)
    C = E.component(MNIST_TALK_RANKS)
    assert C.label().startswith("r_{1,1}=13 r_{28,27}=10 r_{14,13}=9 r_{28,25}=8 r_{7,6}=7")
    assert C.max_rank == 99 and C.kind == "rank r"
    assert C.n_params == 5_544 == 2 * (28 * 13 + 2 * 28 * (10 + 9 + 8 + 7 + 5 + 3 + 1))
    assert C.dim == 13 * (56 - 13) + sum(2 * k * (56 - k) for k in MNIST_TALK_RANKS[1:-1])
    assert C.ed_degree == math.prod(math.comb(28, k) for k in MNIST_TALK_RANKS)
    assert C.degree == math.prod(determinantal_degree(28, 28, k) ** (1 if i in (0, 14) else 2)
                                 for i, k in enumerate(MNIST_TALK_RANKS))
    # E_r, by hand: rank level k of any block adds 55 - 2k dimensions per unit of budget. Levels 0..2
    # of all 15 blocks use 3 * 28 = 84 units; the last 15 units go to level 3 of one real block and
    # seven complex blocks (C(13, 7) * 2 top-dimensional components).
    assert E.dim == 28 * (55 + 53 + 51) + 15 * 49 == 5_187
    assert E.degree == 2 * math.comb(13, 7) * square_degree(28, 4) * square_degree(28, 3) \
        * square_degree(28, 4) ** 14 * square_degree(28, 3) ** 12
    real, cplx = 56, 13 * 28
    assert E.ed_degree == sum(math.comb(real, 99 - 2 * j) * math.comb(cplx, j) for j in range(50)) \
        + math.comb(cplx, 21)


@settings(max_examples=25)
@given(sigma=permutations(max_n=10), r=st.integers(1, 6), data=st.data())
def test_component_labels_parse_back(sigma: Permutation, r: int, data: st.DataObject) -> None:
    """The text of a component's label (and its repr's mapping) gives the component back."""
    E = EquivariantVariety(sigma, r)
    components = list(itertools.islice(E.components(), 30))
    C = data.draw(st.sampled_from(components))
    assert E.component(C.label()) == C
    assert E.component(C.labelled_ranks) == C
    again = C.label().replace(" ", "  ")                   # any whitespace between items
    assert E.parse_ranks(again) == C.ranks
    with pytest.raises(ValueError, match="'label=rank' items"):
        E.parse_ranks(C.label().replace("=", ":"))
    with pytest.raises(ValueError, match="given twice"):
        E.parse_ranks(f"{E.labels[0]}=0 {E.labels[0]}=0")


def test_cli_equivariant_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["equivariant", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "-r", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"n", "rank", "blocks", "n_components", "n_components_rank_r", "components"} <= set(report)
    assert report["n"] == 9 and report["rank"] == 3
    assert report["blocks"][1] == {"label": "r_{4,3}", "l": 4, "m": 3, "kind": "complex", "field": "C", "size": 2,
                                   "weight": 2, "characters": [0.0]}   # trace of a rotation by 3 pi / 2
    assert (report["n_components"], report["n_components_rank_r"]) == (5, 5)
    talk = report["components"][2]
    assert {"ranks", "max_rank", "dim", "degree", "ed_degree", "params"} <= set(talk)
    assert (talk["ranks"], talk["max_rank"], talk["dim"], talk["degree"], talk["ed_degree"], talk["params"]) == \
        ([1, 1, 0], 3, 11, 24, 6, 14)
    assert main(["equivariant", "--image", "28x28", "--action", "shift-x", "-r", "99", "--limit", "2",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_components_rank_r"] == MNIST_RANK_R and len(report["components"]) == 2
    assert len(report["blocks"]) == 15


def test_cli_equivariant_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["equivariant", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "-r", "3"]) == 0
    out = capsys.readouterr().out
    assert "r_{4,3}" in out and "complex" in out
    assert "r_{1,1}=1 r_{4,3}=1 r_{2,1}=0" in out
    assert "irreducible components: 5 (5 contain a matrix of rank 3" in out


def test_cli_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["count", "--gens", "(1 2)", "--n", "1000000000000", "-r", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_components"] == 2
    assert main(["count", "--image", "28x28", "--action", "shift-x", "-r", "99", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_components_rank_r"] == MNIST_RANK_R
    assert report["n_components"] == count_components({28: 28}, 99).total
    assert main(["count", "--image", "28x28", "--action", "shift-x", "-r", "99"]) == 0
    assert "72,425,986,088,826" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["count", "--gens", "(1 2", "--n", "3", "-r", "1"],
    ["count", "--gens", "(1 2)", "--n", "3", "-r", "-1"],
    ["count", "--gens", "(1 2)", "--gens", "(" + " ".join(map(str, range(1, 3001))) + ")", "--n", "3000",
     "-r", "1"],  # S_3000: one orbit of 3000 points, beyond the orbit-wise decomposition
    ["count", "--gens", "(1 2)", "-r", "1"],
    ["count", "--gens", "(1 2)", "--n", "3", "--shift", "2", "-r", "1"],
    ["equivariant", "--gens", "(1 2)", "--n", "1000000000000", "-r", "1"],
    ["equivariant", "--gens", "(1 2)", "--n", "3", "-r", "1", "--limit", "-1"],
    ["equivariant", "--image", "28x", "--action", "shift-x", "-r", "1"],
    ["equivariant", "--gens", "(1 2)", "--n", "0", "-r", "1"],
    ["equivariant", "--n", "3", "-r", "1"],
])
def test_cli_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in captured.err


def test_fit_takes_labelled_ranks_on_the_command_line(tmp_path, capsys) -> None:
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((40, 8)))
    args = ["fit", "--data", str(tmp_path / "x.npy"), "--model", "equivariant", "--gens", "(1 2 3 4 5 6 7 8)",
            "--n", "8", "--out", str(tmp_path / "m.npz"), "--json"]
    assert main(args + ["--ranks", "r_{1,1}=1 r_{8,7}=1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ranks"] == {"r_{1,1}": 1, "r_{8,7}": 1, "r_{4,3}": 0, "r_{8,5}": 0, "r_{2,1}": 0}
    assert main(args + ["--ranks", "r_{1,1}=1 r_{9,7}=1"]) == 2
    assert "unknown block 'r_{9,7}'" in capsys.readouterr().err
