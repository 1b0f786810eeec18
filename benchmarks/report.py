"""The benchmark suite's interface: sizes, result records, goals, plots, and the report.

A measurement module (`benchmarks/<name>.py`) defines `run(sizes, workdir)` returning
`Measurement`s and registers it with one module-level statement,
`BENCHMARK = Benchmark("name", run, plots=..., goals=...)`; `python -m benchmarks` finds it,
runs it, prints its table and writes `docs/benchmarks.md` with its plots. See
benchmarks/README.md.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import resource
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from benchmarks.plots import Series, bar_plot_svg, line_plot_svg

__all__ = [
    "FULL",
    "QUICK",
    "TINY",
    "Benchmark",
    "ChildRun",
    "Goal",
    "GoalCheck",
    "Machine",
    "Measurement",
    "Metric",
    "Plot",
    "Result",
    "RunInfo",
    "Series",
    "Sizes",
    "cpu_seconds",
    "describe_machine",
    "format_bytes",
    "format_seconds",
    "format_tables",
    "measure_command",
    "run_prepare",
    "write_markdown",
]

Metric = Literal["seconds", "peak_rss_bytes", "bytes", "requests"]
Prepare = Callable[["Sizes", Path], None]  # a benchmark's set-up: see `Benchmark.prepare`
METRIC_TITLES: dict[Metric, str] = {
    "seconds": "time",
    "peak_rss_bytes": "peak RSS",
    "bytes": "bytes",
    "requests": "requests",
}


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark generates; a run uses one of TINY, QUICK or FULL (or edits one)."""

    posts: tuple[int, ...]  # archive sizes for the build benchmark
    pages: tuple[int, ...]  # pages of a thread for the scrape benchmark
    update_pages: tuple[int, ...]  # pages of a thread that `update` re-checks unchanged
    posts_per_page: int = 20  # a board's page, and a mirror page
    repeats: int = 5  # rounds of a micro-benchmark (the best counts: the others add noise)
    # The thread lengths (of `pages`) that forum-dl scrapes too (issue 11 states its goal
    # at 200 pages; at 10, Python's start-up is most of any tool's time).
    forum_dl_pages: tuple[int, ...] = (10, 200)
    # Sites the search benchmark queries (issue 11 states its goals at 100,000 posts).
    search_posts: tuple[int, ...] = (1_000, 10_000)

    def as_options(self) -> str:
        """As `--sizes` spells them: `posts=1000,10000 pages=10,50,200 ...`."""
        return " ".join(f"{f.name}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                        for f in dataclasses.fields(self) for v in [getattr(self, f.name)])


TINY = Sizes(posts=(40, 80), pages=(2, 4), update_pages=(2, 4), posts_per_page=5, repeats=1,
             forum_dl_pages=(2,), search_posts=(40, 80))
# Left to the full run, as the quick one must stay under 3 minutes: forum-dl at 10 pages
# (2-3 s, for information only) and the search of a 1,000-post site (30 s of a 215-s quick
# run, for a size whose answers come at a third to a half of their goals' lines).
QUICK = Sizes(posts=(1_000, 10_000), pages=(10, 200), update_pages=(10, 100, 1_000),
              forum_dl_pages=(200,), search_posts=(10_000,))
FULL = dataclasses.replace(QUICK, posts=(1_000, 10_000, 100_000), forum_dl_pages=(10, 200),
                           search_posts=(1_000, 10_000, 100_000))


@dataclass(frozen=True)
class Measurement:
    """One figure of a run: what ran (`name`) at which `size`, and what it cost."""

    name: str  # "forum-mirror", "bare httpx", "floor", "xenforo2", ...
    size: int  # how much it worked on, in `unit`s: the x of a plot
    seconds: float | None = None  # wall-clock time
    peak_rss_bytes: int | None = None  # of the process tree that did the work
    bytes: int | None = None  # written, transferred or loaded: `note` says which
    requests: int | None = None  # HTTP requests sent
    unit: str = ""  # what `size` counts: "posts", "pages", "page"
    note: str = ""  # anything a reader needs to read the figures right


@dataclass(frozen=True)
class Plot:
    """A plot of one metric of a benchmark's measurements, one series (or bar) per name."""

    title: str
    metric: Metric
    names: tuple[str, ...] = ()  # which measurements, in legend order; () takes every name
    bars: bool = False  # one bar per measurement rather than lines against size
    x_label: str = ""  # defaults to the measurements' unit

    def select(self, measurements: Sequence[Measurement]) -> list[Measurement]:
        """The measurements this plot shows, in `names` order, those without the metric left out."""
        chosen = [m for m in measurements if getattr(m, self.metric) is not None]
        if not self.names:
            return chosen
        return [m for name in self.names for m in chosen if m.name == name]


@dataclass(frozen=True)
class Goal:
    """A target of the issue: `name`'s `metric` (or its ratio to `over`'s at the same size)."""

    text: str  # "scrape at most 3x a bare httpx loop"
    name: str
    metric: Metric
    over: str | None = None  # the baseline: the goal is then a ratio, measured in one run
    at_most: float | None = None
    at_least: float | None = None
    at: int | None = None  # the one size the goal is stated for; None: every size

    def check(self, measurements: Sequence[Measurement]) -> list[GoalCheck]:
        """One check per size at which `name` (and `over`) were measured (only `at`, if set)."""
        checks = []
        for m in measurements:
            value = getattr(m, self.metric)
            if m.name != self.name or value is None or self.at not in (None, m.size):
                continue
            if self.over is not None:
                base = _value_at(measurements, self.over, m.size, m.unit, self.metric)
                if base is None or base == 0:
                    continue
                value = value / base
            met = (self.at_most is None or value <= self.at_most) and (
                self.at_least is None or value >= self.at_least)
            checks.append(GoalCheck(self, m.size, m.unit, float(value), met))
        return checks

    def target(self) -> str:
        """The bound as text: `≤ 3.00×`, `≥ 10.0×`, `≤ 2.00 GiB`."""
        def shown(bound: float) -> str:
            return _ratio(bound) if self.over else format_metric(self.metric, bound)
        bounds = [f"≤ {shown(self.at_most)}" if self.at_most is not None else "",
                  f"≥ {shown(self.at_least)}" if self.at_least is not None else ""]
        return ", ".join(b for b in bounds if b)


@dataclass(frozen=True)
class GoalCheck:
    goal: Goal
    size: int
    unit: str
    value: float  # a ratio when the goal has a baseline
    met: bool

    def shown(self) -> str:
        if self.goal.over:
            return _ratio(self.value)
        return format_metric(self.goal.metric, self.value)


@dataclass(frozen=True)
class Benchmark:
    """A measurement function and how to report it; a module's `BENCHMARK` registers it."""

    name: str
    run: Callable[[Sizes, Path], list[Measurement]]
    about: str = ""  # what is measured and how, for docs/benchmarks.md
    plots: tuple[Plot, ...] = ()
    goals: tuple[Goal, ...] = ()
    # Set-up that measures nothing (generating data) into the folder `run` then gets:
    # `python -m benchmarks` runs it first, in a child process beside a benchmark that
    # `waits`, or (with none of those in the run) just before `run`.
    # Several (a tuple) are independent parts, which may run at once in two processes:
    # give each its own files.
    prepare: Prepare | tuple[Prepare, ...] | None = None
    # Mostly waiting (polite delays, sleeps), so that others' `prepare` may use the idle
    # core meanwhile: such benchmarks run first.
    waits: bool = False

    def setups(self) -> tuple[Prepare, ...]:
        """Its `prepare`, as parts."""
        if self.prepare is None:
            return ()
        return self.prepare if isinstance(self.prepare, tuple) else (self.prepare,)


@dataclass(frozen=True)
class Result:
    """What one benchmark gave in a run: its measurements, or the error that stopped it."""

    benchmark: Benchmark
    measurements: list[Measurement]
    seconds: float
    error: str | None = None
    cpu_seconds: float | None = None  # its own and its finished children's, user + system
    setup_cpu_seconds: float | None = None  # its `prepare`, when it ran beside another
    # Wall time the run spent before it, waiting for the set-ups that ran beside another
    # benchmark to end (not part of `seconds`, but of the run's).
    waited_seconds: float | None = None

    def took(self) -> str:
        """Its wall time, and its CPU time where known: `52.3 s (CPU 40.1 s)`."""
        cpu = [] if self.cpu_seconds is None else [f"CPU {format_seconds(self.cpu_seconds)}"]
        if self.setup_cpu_seconds is not None:
            cpu.append(f"set-up beside another benchmark: CPU "
                       f"{format_seconds(self.setup_cpu_seconds)}")
        if self.waited_seconds is not None:
            cpu.append(f"started after {format_seconds(self.waited_seconds)} waiting for "
                       f"the set-ups")
        return format_seconds(self.seconds) + (f" ({'; '.join(cpu)})" if cpu else "")


def _value_at(measurements: Sequence[Measurement], name: str, size: int, unit: str,
              metric: Metric) -> float | None:
    for m in measurements:
        if m.name == name and m.size == size and m.unit == unit:
            value: float | None = getattr(m, metric)
            return value
    return None


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_prepare(prepare: Prepare, sizes: Sizes, folder: Path) -> float:
    """Run a benchmark's `prepare` (here, so that a child process can import it); its CPU
    seconds."""
    started = cpu_seconds()
    prepare(sizes, folder)
    return cpu_seconds() - started


# --- peak RSS of a child process tree ------------------------------------------------------

@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str


PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
POLL_SECONDS = 0.05


def measure_command(argv: Sequence[str], *, cwd: Path | None = None,
                    env: Mapping[str, str] | None = None, timeout: float | None = None,
                    check: bool = True) -> ChildRun:
    """Run `argv` and measure its wall time and the peak RSS of it and its descendants.

    The peak is the larger of two figures: the highest sum of the resident sets of the whole
    process tree, sampled every 50 ms from /proc (a build's Python and the Pagefind binary it
    starts hold memory at the same time, which no single process's figure shows), and the
    kernel's own maximum for the child and the descendants it waited for (`wait4`), which
    catches a peak shorter than a sample. `check` raises RuntimeError, with the end of
    stderr, when it exits non-zero or outlives `timeout`.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # Its own session, so that a timeout or Ctrl-C ends the whole tree it started.
        process = subprocess.Popen(list(argv), cwd=cwd, env=None if env is None else dict(env),
                                   stdout=out, stderr=err, start_new_session=True)
        peak = 0
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                peak = max(peak, tree_rss_bytes(process.pid))
                if timeout is not None and time.perf_counter() - started > timeout:
                    raise TimeoutError(f"{argv[0]} ran longer than {timeout} s")
                time.sleep(POLL_SECONDS)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not Popen
        out.seek(0)
        err.seek(0)
        run = ChildRun(seconds, max(peak, child_maxrss_bytes(usage)), process.returncode,
                       out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    if check and run.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {run.returncode}: {run.stderr[-2000:]}")
    return run


def child_environment(pycache: Path) -> dict[str, str]:
    """The environment of every measured tool: compiled modules kept (in `pycache`), as an
    installed program has them, even where this shell asks Python not to write them."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPYCACHEPREFIX"] = str(pycache)
    return environment


def child_maxrss_bytes(usage: resource.struct_rusage) -> int:
    """A waited-for child's peak RSS as the kernel counted it (`wait4`), or 0 where that
    figure may be this process's own: Linux keeps, in a child that execs, the high-water
    mark of the memory it had before the exec, which after Popen's vfork is this process's
    (a one-post rebuild was reported at the 145 MiB the benchmark itself held). A figure no
    larger than this process's own peak says nothing of the child: the samples do."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if usage.ru_maxrss <= own:
        return 0
    # Linux counts ru_maxrss in KiB, macOS in bytes.
    return int(usage.ru_maxrss) * (1 if platform.system() == "Darwin" else 1024)


def tree_rss_bytes(root: int) -> int:
    """The summed resident set of `root` and its descendants now (0 where /proc is missing)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat_file:
                stat = stat_file.read()
        except OSError:  # it ended meanwhile
            continue
        # Fields after the command name (which may hold spaces and parentheses): state,
        # ppid, ..., rss (in pages) is the 22nd of them.
        fields = stat[stat.rindex(b")") + 2:].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE_BYTES
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


# --- the machine ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_bytes: int
    python: str
    os: str

    def lines(self) -> list[str]:
        return [f"CPU: {self.cpu}, {self.cores} cores", f"RAM: {format_bytes(self.ram_bytes)}",
                f"Python: {self.python}", f"OS: {self.os}"]


def describe_machine() -> Machine:
    """The machine this process runs on, from /proc where there is one."""
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    memory = _proc_field("/proc/meminfo", "MemTotal")  # "24563452 kB"
    ram = int(memory.split()[0]) * 1024 if memory else 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    release = _os_release() or platform.system()
    return Machine(cpu, cores or 0, ram,
                   f"{platform.python_implementation()} {platform.python_version()}",
                   f"{release}, kernel {platform.release()}")


def _proc_field(path: str, key: str) -> str:
    try:
        text = Path(path).read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return ""


def _os_release() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        return ""


# --- numbers as text -----------------------------------------------------------------------

def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s"


def format_bytes(size: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} B"


def format_metric(metric: Metric, value: float) -> str:
    if metric == "seconds":
        return format_seconds(value)
    if metric == "requests":
        return f"{value:g}"
    return format_bytes(value)


def _ratio(value: float) -> str:
    return f"{value:.3g}×"


def scale_for(metric: Metric, largest: float) -> tuple[float, str]:
    """(divisor, unit) that make a plot axis read in plain numbers up to `largest`."""
    if metric == "seconds":
        return (1e-6, "µs") if largest < 1e-3 else (1e-3, "ms") if largest < 1 else (1, "s")
    if metric == "requests":
        return 1, "requests"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if largest >= scale:
            return scale, unit
    return 1, "B"


# --- tables --------------------------------------------------------------------------------

COLUMNS: tuple[tuple[str, Callable[[Measurement], str]], ...] = (
    ("name", lambda m: m.name),
    ("size", lambda m: f"{m.size:,} {m.unit}".strip()),
    ("time", lambda m: "" if m.seconds is None else format_seconds(m.seconds)),
    ("peak RSS", lambda m: "" if m.peak_rss_bytes is None else format_bytes(m.peak_rss_bytes)),
    ("bytes", lambda m: "" if m.bytes is None else format_bytes(m.bytes)),
    ("requests", lambda m: "" if m.requests is None else f"{m.requests:,}"),
    ("note", lambda m: m.note),
)


def _rows(measurements: Sequence[Measurement]) -> tuple[list[str], list[list[str]]]:
    """Header and rows, without the columns no measurement fills."""
    cells = [[show(m) for _, show in COLUMNS] for m in measurements]
    kept = [i for i in range(len(COLUMNS)) if any(row[i] for row in cells)]
    return [COLUMNS[i][0] for i in kept], [[row[i] for i in kept] for row in cells]


def _goal_rows(results: Iterable[Result]) -> list[list[str]]:
    rows = []
    for result in results:
        for goal in result.benchmark.goals:
            checks = goal.check(result.measurements)
            if not checks:
                rows.append([goal.text, "", "not measured", goal.target(), ""])
            for c in checks:
                rows.append([goal.text, f"{c.size:,} {c.unit}".strip(), c.shown(), goal.target(),
                             "met" if c.met else "NOT MET"])
    return rows


GOAL_HEADER = ["goal", "at", "measured", "target", ""]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
             .rstrip() for line in (header, ["-" * w for w in widths], *rows)]
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def format_tables(results: Sequence[Result]) -> str:
    """The run as plain-text tables: one per benchmark, then the goals."""
    parts = []
    for result in results:
        parts.append(f"{result.benchmark.name} ({result.took()})")
        if result.error:
            parts.append(f"FAILED: {result.error}")
        if result.measurements:
            parts.append(_text_table(*_rows(result.measurements)))
        parts.append("")
    goals = _goal_rows(results)
    if goals:
        parts += ["goals", _text_table(GOAL_HEADER, goals)]
    return "\n".join(parts).rstrip() + "\n"


# --- docs/benchmarks.md --------------------------------------------------------------------

@dataclass(frozen=True)
class RunInfo:
    """How the run was made, for the report's first lines."""

    command: str
    sizes: Sizes
    seconds: float
    machine: Machine
    commit: str = ""
    date: str = field(default_factory=lambda: datetime.date.today().isoformat())


def plot_svg(plot: Plot, measurements: Sequence[Measurement]) -> str | None:
    """`plot` of `measurements` as an SVG document; None when it has nothing to show."""
    chosen = plot.select(measurements)
    if not chosen:
        return None
    values = [float(getattr(m, plot.metric)) for m in chosen]
    divisor, unit = scale_for(plot.metric, max(values))
    y_label = f"{METRIC_TITLES[plot.metric]} ({unit})"
    if plot.bars:
        several = len({m.name for m in chosen}) < len(chosen)
        bars = [(f"{m.name}, {m.size:,} {m.unit}".strip(", ") if several else m.name, v / divisor)
                for m, v in zip(chosen, values, strict=True)]
        return bar_plot_svg(plot.title, y_label, bars)
    units = {m.unit for m in chosen}
    x_label = plot.x_label or (units.pop() if len(units) == 1 else "size")
    series: dict[str, list[tuple[float, float]]] = {}
    for m, v in zip(chosen, values, strict=True):
        series.setdefault(m.name, []).append((float(m.size), v / divisor))
    return line_plot_svg(plot.title, x_label, y_label,
                         [Series(name, tuple(sorted(points))) for name, points in series.items()])


def _slug(text: str) -> str:
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part)


def write_markdown(results: Sequence[Result], info: RunInfo, path: Path) -> list[Path]:
    """Write the report to `path` and its plots beside it (`<stem>/*.svg`); returns the files."""
    plots_dir = path.parent / path.stem
    plots_dir.mkdir(parents=True, exist_ok=True)
    for old in plots_dir.glob("*.svg"):  # a plot the run no longer makes must not linger
        old.unlink()
    written = [path]
    made = f"`{info.command}` on {info.date}"
    if info.commit:
        made += f" at commit {info.commit}"
    lines = [
        "# Benchmarks", "",
        f"Made by {made}, in {format_seconds(info.seconds)}; "
        f"sizes `{info.sizes.as_options()}`.", "",
        "**Every figure comes from one run on the machine below. Read them as ratios between "
        "figures of the same run: absolute times are noise on a shared machine.**", "",
        *(f"- {line}" for line in info.machine.lines()), "",
    ]
    goals = _goal_rows(results)
    if goals:
        lines += ["## Goals", "", _markdown_table(GOAL_HEADER, goals), ""]
    for result in results:
        bench = result.benchmark
        lines += [f"## {bench.name}", ""]
        if bench.about:
            lines += [bench.about, ""]
        if not result.error:  # where the run's time went
            lines += [f"Took {result.took()} of the run.", ""]
        if result.error:
            lines += [f"**Failed** after {format_seconds(result.seconds)}: `{result.error}`", ""]
        if result.measurements:
            lines += [_markdown_table(*_rows(result.measurements)), ""]
        for plot in bench.plots:
            svg = plot_svg(plot, result.measurements)
            if svg is None:
                continue
            target = plots_dir / f"{_slug(plot.title)}.svg"
            if target in written:
                raise ValueError(f"two plots titled {plot.title!r}")
            target.write_text(svg, encoding="utf-8")
            written.append(target)
            lines += [f"![{plot.title}]({plots_dir.name}/{target.name})", ""]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return written

