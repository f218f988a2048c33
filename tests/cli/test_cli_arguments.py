"""Tests of equilin.cli.arguments: the group options (--gens/--n, --image, --volume, --action, --shift)."""

from __future__ import annotations

import pytest

from equilin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


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
