"""equilin.plots.talk and python -m equilin.plots: the talk's two weight-sharing graphs are written."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from equilin.plots.__main__ import main  # noqa: E402
from equilin.plots.talk import TALK_GRAPHS, talk_graphs  # noqa: E402


def test_talk_graphs_and_the_module_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = talk_graphs(tmp_path / "a")
    assert [p.name for p in paths] == list(TALK_GRAPHS)
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    assert main([str(tmp_path / "b")]) == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(TALK_GRAPHS)
    assert "wrote" in capsys.readouterr().out
    assert main([]) == 2 and "usage" in capsys.readouterr().err
