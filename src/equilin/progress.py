"""Progress that behaves: a bar on a terminal, plain lines in a pipe or a log file, nothing when quiet.

A tqdm bar redraws itself with carriage returns; written to a pipe or a file it becomes one long line
of them. :class:`Progress` therefore picks how to show itself from where it writes
(:func:`progress_mode`):

* ``"bar"``: the stream is a terminal (or a Jupyter kernel's stream): a tqdm bar, as usual;
* ``"lines"``: anything else: plain lines, at most one per :data:`LINE_FRACTION` of the work (10%)
  and one whenever :data:`LINE_SECONDS` (30 s) have passed since the last, each complete with its
  counts and the time so far (``fit: 3/12 shards, 4.1 s, samples=24,576``);
* ``"off"``: ``enabled=False`` (the command line's ``--quiet``): nothing at all.

:class:`Stages` counts named stages (one line per stage in ``"lines"`` mode) and records each stage's
wall time; :func:`stage_summary` formats those times as a small table.

Examples
--------
>>> import io
>>> log = io.StringIO()                     # not a terminal: plain lines
>>> for _ in Progress(range(4), "count", unit="step", file=log):
...     pass
>>> log.getvalue().splitlines()[-1].split(",")[0]       # one line per tenth: the last one
'count: 4/4 steps'
>>> "\\r" in log.getvalue()
False
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, Literal, TextIO, TypeAlias, TypeVar

__all__ = [
    "LINE_FRACTION",
    "LINE_SECONDS",
    "Mode",
    "Progress",
    "Stages",
    "format_seconds",
    "progress_mode",
    "stage_summary",
]

T = TypeVar("T")

Mode: TypeAlias = Literal["bar", "lines", "off"]
"""How a :class:`Progress` shows itself: a tqdm bar, plain lines, or nothing."""

LINE_FRACTION = 0.1
"""In ``"lines"`` mode, a line whenever the work passes another tenth of its total."""

LINE_SECONDS = 30.0
"""In ``"lines"`` mode, a line whenever this many seconds have passed since the last one."""


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):   # no isatty, or a closed stream
        return False


def progress_mode(enabled: bool = True, file: TextIO | None = None) -> Mode:
    """How progress written to ``file`` (default ``sys.stderr``) shows itself.

    ``"off"`` when not ``enabled``; ``"bar"`` when ``file`` is a terminal, or the stream of a Jupyter
    kernel (which draws tqdm's bars itself); ``"lines"`` otherwise (a pipe, a file, a captured stream).

    Examples
    --------
    >>> import io
    >>> progress_mode(True, io.StringIO()), progress_mode(False, io.StringIO())
    ('lines', 'off')
    """
    if not enabled:
        return "off"
    stream = sys.stderr if file is None else file
    if _is_terminal(stream) or type(stream).__module__.split(".")[0] == "ipykernel":
        return "bar"
    return "lines"


def format_seconds(seconds: float) -> str:
    """A duration as people read it: hundredths below 1 s, tenths below 10 s, whole seconds below a
    minute, then minutes and seconds, hours and minutes.

    Examples
    --------
    >>> format_seconds(0.042), format_seconds(4.2), format_seconds(12.3), format_seconds(125), format_seconds(7384)
    ('0.04 s', '4.2 s', '12 s', '2 min 05 s', '2 h 03 min')
    """
    if seconds < 0.995:
        return f"{seconds:.2f} s"
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _plural(unit: str, count: int | None) -> str:
    return unit if count == 1 or not unit or unit.endswith("s") else unit + "s"


class Progress(Generic[T]):
    """Progress over ``total`` units of work (or over ``iterable``): a bar, lines, or nothing.

    Parameters
    ----------
    iterable : iterable, optional
        Iterate over the :class:`Progress` to iterate over this, counting one unit per item (the
        item counts once the loop body that received it is done); the iteration's end, or leaving the
        loop, closes the progress.
    desc : str
        What is being done; each line starts with it.
    total : int, optional
        Units of the whole work (default ``len(iterable)`` when it has one).
    unit : str
        The unit's name, singular (lines add an ``s``).
    enabled : bool
        ``False`` shows nothing (the command line's ``--quiet``).
    file : text stream, optional
        Where to write (default ``sys.stderr`` at construction).
    mode : {"bar", "lines", "off"}, optional
        Force a mode (default :func:`progress_mode` of ``enabled`` and ``file``).
    periodic : bool
        In ``"lines"`` mode, write the periodic lines (every tenth, every 30 s); ``False`` writes only
        the lines asked for with :meth:`write` and the last one on :meth:`close`.
    bar_format : str, optional
        tqdm's ``bar_format`` of the bar.

    Examples
    --------
    >>> import io
    >>> log = io.StringIO()
    >>> progress = Progress(desc="fit", total=20, unit="shard", file=log)
    >>> progress.mode
    'lines'
    >>> progress.update(1)                   # 5%: no line yet
    >>> progress.update(1, samples="2,048")  # 10%: a line
    >>> progress.update(1)
    >>> progress.close()                     # a last line: the counts moved since the previous one
    >>> [line.split(",")[0] for line in log.getvalue().splitlines()]
    ['fit: 2/20 shards', 'fit: 3/20 shards']
    >>> "\\r" in log.getvalue(), "samples=2,048" in log.getvalue()
    (False, True)
    """

    def __init__(self, iterable: Iterable[T] | None = None, desc: str = "", *, total: int | None = None,
                 unit: str = "it", enabled: bool = True, file: TextIO | None = None, mode: Mode | None = None,
                 periodic: bool = True, bar_format: str | None = None) -> None:
        if total is None and iterable is not None:
            try:
                total = len(iterable)  # type: ignore[arg-type]
            except TypeError:           # a generator: no total
                total = None
        self.iterable = iterable
        self.desc = desc
        self.total = total
        self.unit = unit
        self.file: TextIO = sys.stderr if file is None else file
        self.mode: Mode = progress_mode(enabled, self.file) if mode is None else mode
        self.periodic = periodic
        self.n = 0
        self.postfix: dict[str, Any] = {}
        self.start = self._last_time = time.monotonic()
        self._last_n = 0
        self._closed = False
        self._bar: Any = None
        if self.mode == "bar":
            if type(self.file).__module__.split(".")[0] == "ipykernel":
                from tqdm.auto import tqdm  # a notebook's widget, where ipywidgets is installed
            else:
                from tqdm.std import tqdm
            options: dict[str, Any] = {} if bar_format is None else {"bar_format": bar_format}
            self._bar = tqdm(total=total, desc=desc, unit=unit, file=self.file, leave=False, dynamic_ncols=True,
                             **options)

    @property
    def elapsed(self) -> float:
        """Seconds since the progress started."""
        return time.monotonic() - self.start

    def __iter__(self) -> Iterator[T]:
        if self.iterable is None:
            raise TypeError("this Progress has no iterable; call update() instead")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __enter__(self) -> Progress[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def line(self) -> str:
        """The progress as one plain line: ``"fit: 3/12 shards, 4.1 s, samples=24,576"``."""
        total = "" if self.total is None else f"/{self.total:,}"
        parts = [f"{self.n:,}{total} {_plural(self.unit, self.total if self.total is not None else self.n)}",
                 format_seconds(self.elapsed), *(f"{key}={value}" for key, value in self.postfix.items())]
        return (f"{self.desc}: " if self.desc else "") + ", ".join(parts)

    def write(self, text: str) -> None:
        """Write one line of text in ``"lines"`` mode (above the bar in ``"bar"`` mode; nothing when off)."""
        if self.mode == "lines":
            print(text, file=self.file, flush=True)
            self._last_time = time.monotonic()
        elif self.mode == "bar":
            self._bar.write(text, file=self.file)

    def set_description(self, desc: str) -> None:
        """What is being done now (the bar's label and the lines' start)."""
        self.desc = desc
        if self._bar is not None:
            self._bar.set_description_str(desc)

    def set_postfix(self, **values: Any) -> None:
        """Values shown after the counts (``samples="24,576"``, ``train="0.01234"``)."""
        self.postfix = dict(values)
        if self._bar is not None:
            self._bar.set_postfix(values)

    def update(self, n: int = 1, **postfix: Any) -> None:
        """``n`` more units done (and, given, new :meth:`set_postfix` values)."""
        if postfix:
            self.set_postfix(**postfix)
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.mode == "lines" and self.periodic and self._due():
            self._write_line()

    def _due(self) -> bool:
        if time.monotonic() - self._last_time >= LINE_SECONDS:
            return True
        if not self.total:
            return False
        return int(self.n / self.total / LINE_FRACTION + 1e-9) > int(self._last_n / self.total / LINE_FRACTION + 1e-9)

    def _write_line(self) -> None:
        self._last_n = self.n
        self.write(self.line())

    def close(self) -> None:
        """End the progress: remove the bar, or write the last line when the counts moved since the
        previous one (closing twice does nothing)."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "lines" and self.n != self._last_n:
            self._write_line()


class Stages:
    """Named stages of one piece of work: progress over them, and each stage's wall time.

    On a terminal one bar counts the stages and names the current one; elsewhere each stage writes
    one line as it starts (``mnist: fit best (closed form) (stage 7/19, 12 s)``) and closing writes
    ``mnist: 19/19 stages, 45 s``.

    Parameters
    ----------
    total : int
        The number of stages expected.
    desc : str
        The work's name, the start of every line.
    enabled, file, mode
        As for :class:`Progress`.

    Attributes
    ----------
    seconds : dict
        ``{stage name: wall seconds}`` of the stages done, in order.

    Examples
    --------
    >>> import io
    >>> log = io.StringIO()
    >>> stages = Stages(2, "demo", file=log)
    >>> with stages.step("load"):
    ...     pass
    >>> with stages.step("fit"):
    ...     pass
    >>> stages.close()
    >>> list(stages.seconds)
    ['load', 'fit']
    >>> [line.split(" (")[0].split(",")[0] for line in log.getvalue().splitlines()]
    ['demo: load', 'demo: fit', 'demo: 2/2 stages']
    """

    def __init__(self, total: int, desc: str, *, enabled: bool = True, file: TextIO | None = None,
                 mode: Mode | None = None) -> None:
        self.desc = desc
        self.progress: Progress[Any] = Progress(desc=desc, total=total, unit="stage", enabled=enabled, file=file,
                                                mode=mode, periodic=False,
                                                bar_format="{desc}: {n}/{total} stages [{elapsed}]")
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """``with stages.step("fit best"): ...``: one stage, timed and shown."""
        progress = self.progress
        if progress.mode == "lines":
            total = "" if progress.total is None else f"/{progress.total}"
            progress.write(f"{self.desc}: {name} (stage {progress.n + 1}{total}, {format_seconds(progress.elapsed)})")
        else:
            progress.set_description(f"{self.desc}: {name}")
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        progress.update(1)

    def close(self) -> None:
        """End the progress (the last line in ``"lines"`` mode)."""
        self.progress.desc = self.desc
        self.progress.close()


def stage_summary(seconds: Mapping[str, float], title: str = "time per stage") -> str:
    """``{stage: seconds}`` as a small table, its total last.

    Examples
    --------
    >>> print(stage_summary({"load": 0.25, "shift": 1.25, "fit dense (closed form)": 12.0}))
    time per stage:
      load                     0.25 s
      shift                     1.2 s
      fit dense (closed form)    12 s
      total                      14 s
    """
    rows = [(name, format_seconds(value)) for name, value in seconds.items()]
    rows.append(("total", format_seconds(sum(seconds.values()))))
    left = max(len(name) for name, _ in rows)
    right = max(len(text) for _, text in rows)
    return "\n".join([f"{title}:", *(f"  {name.ljust(left)}  {text.rjust(right)}" for name, text in rows)])
