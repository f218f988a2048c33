"""Tests of equilin.progress: a bar on a terminal, plain lines in a pipe or a log, nothing when quiet."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import equilin.progress as progress_module
from equilin.progress import Progress, Stages, format_seconds, progress_mode, stage_summary


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal (as stderr in a shell does)."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A ``time.monotonic`` that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", fake)
    return fake


def test_the_mode_follows_the_stream() -> None:
    assert progress_mode(True, io.StringIO()) == "lines"
    assert progress_mode(True, FakeTerminal()) == "bar"
    assert progress_mode(False, FakeTerminal()) == "off"
    closed = io.StringIO()
    closed.close()                                   # isatty() raises ValueError: not a terminal
    assert progress_mode(True, closed) == "lines"
    kernel_stream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})()
    assert progress_mode(True, kernel_stream) == "bar"   # a notebook draws tqdm's bars itself


def test_lines_at_every_tenth_and_no_carriage_returns(clock: Clock) -> None:
    log = io.StringIO()
    progress = Progress(desc="fit", total=50, unit="shard", file=log)
    for k in range(50):
        clock.now += 0.1
        progress.update(1, samples=f"{(k + 1) * 100:,}")
    progress.close()
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"fit: {k}/50 shards" for k in range(5, 51, 5)]
    assert lines[-1] == "fit: 50/50 shards, 5.0 s, samples=5,000"   # closing adds nothing: no change since


def test_a_line_every_30_seconds_between_the_tenths(clock: Clock) -> None:
    log = io.StringIO()
    progress = Progress(desc="slow", total=1000, unit="step", file=log)
    progress.update(1)
    assert log.getvalue() == ""                                 # 0.1% and no time passed
    clock.now += progress_module.LINE_SECONDS
    progress.update(1)
    assert log.getvalue() == "slow: 2/1,000 steps, 30 s\n"
    clock.now += progress_module.LINE_SECONDS - 1
    progress.update(1)
    assert log.getvalue().count("\n") == 1                      # 29 s since the last line: none
    progress.close()
    assert log.getvalue().splitlines()[-1] == "slow: 3/1,000 steps, 59 s"


def test_without_a_total_lines_come_by_time_and_at_the_end(clock: Clock) -> None:
    log = io.StringIO()
    items = list(Progress((x for x in "abc"), "read", unit="part", file=log))
    assert items == ["a", "b", "c"]
    assert log.getvalue() == "read: 3 parts, 0.00 s\n"


def test_leaving_the_loop_closes_and_reports_where_it_stopped() -> None:
    log = io.StringIO()
    for epoch in Progress(range(20), "training", unit="epoch", file=log):
        if epoch == 6:       # epochs 0-5 done: 6/20
            break
    assert log.getvalue().splitlines()[-1].startswith("training: 6/20 epochs, ")
    assert [line.split(",")[0] for line in log.getvalue().splitlines()] == ["training: 2/20 epochs",
                                                                              "training: 4/20 epochs",
                                                                              "training: 6/20 epochs"]


def test_disabled_writes_nothing_even_on_a_terminal() -> None:
    terminal = FakeTerminal()
    for _ in Progress(range(5), "quiet", enabled=False, file=terminal):
        pass
    stages = Stages(2, "quiet", enabled=False, file=terminal)
    with stages.step("one"):
        pass
    stages.close()
    assert terminal.getvalue() == "" and list(stages.seconds) == ["one"]   # still timed


def test_on_a_terminal_a_tqdm_bar() -> None:
    terminal = FakeTerminal()
    progress = Progress(range(3), "fit", unit="shard", file=terminal)
    assert progress.mode == "bar"
    for _ in progress:
        progress.set_postfix(samples="12")
    text = terminal.getvalue()
    assert "\r" in text and "fit" in text and "/3" in text and "samples=12" in text


def test_stages_one_line_each_then_a_closing_line(clock: Clock) -> None:
    log = io.StringIO()
    stages = Stages(3, "mnist", file=log)
    for name, seconds in (("load", 2.0), ("fit best (closed form)", 12.0)):
        with stages.step(name):
            clock.now += seconds
    stages.close()
    assert log.getvalue().splitlines() == ["mnist: load (stage 1/3, 0.00 s)",
                                           "mnist: fit best (closed form) (stage 2/3, 2.0 s)",
                                           "mnist: 2/3 stages, 14 s"]
    assert list(stages.seconds) == ["load", "fit best (closed form)"]


def test_stages_on_a_terminal_name_the_current_stage() -> None:
    terminal = FakeTerminal()
    stages = Stages(2, "mnist", file=terminal)
    with stages.step("shift"):
        pass
    stages.close()
    assert "mnist: shift" in terminal.getvalue() and "\r" in terminal.getvalue()


def test_stage_summary_lists_every_stage_and_the_total() -> None:
    seconds = {"load": 0.123, "shift": 3.21, "fit best (closed form)": 47.6, "train dense (adam)": 754.0}
    lines = stage_summary(seconds, "time").splitlines()
    assert lines[0] == "time:"
    assert [line.split("  ")[1] for line in lines[1:]] == [*seconds, "total"]
    assert lines[1:] == [line.rstrip() for line in lines[1:]] and len({len(line) for line in lines[1:]}) == 1
    assert [line.split()[-2:] for line in lines[1:3]] == [["0.12", "s"], ["3.2", "s"]]
    assert lines[3].endswith(" 48 s") and lines[4].endswith(" 12 min 34 s")
    assert lines[5].endswith(" 13 min 25 s")                   # 805.0 s, summed independently below
    assert round(sum(seconds.values())) == 13 * 60 + 25


@pytest.mark.parametrize("seconds, text", [(0.0, "0.00 s"), (0.994, "0.99 s"), (0.996, "1.0 s"), (9.96, "10 s"),
                                           (59.4, "59 s"), (59.6, "1 min 00 s"), (3599.4, "59 min 59 s"),
                                           (3600, "1 h 00 min")])
def test_format_seconds_boundaries(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_training_writes_plain_lines_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """equilin.models.nn.train's progress: lines (every tenth of the epochs) on a captured stderr, none
    with progress=False."""
    pytest.importorskip("torch")
    from equilin.models.nn import DenseLinearAutoencoder, train

    data = np.random.default_rng(0).standard_normal((8, 3))
    train(DenseLinearAutoencoder(3, 1), data, epochs=4, batch_size=4)
    err = capsys.readouterr().err
    assert "\r" not in err
    assert [re.sub(r",.*", "", line) for line in err.splitlines()] == [
        f"training DenseLinearAutoencoder: {k}/4 epochs" for k in range(1, 5)]
    assert all("train=" in line for line in err.splitlines())
    train(DenseLinearAutoencoder(3, 1), data, epochs=2, progress=False)
    assert capsys.readouterr().err == ""
