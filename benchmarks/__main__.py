"""Run the benchmarks on generated data, print their tables, write docs/benchmarks.md.

    python -m benchmarks                          # quick sizes: about 3 min on 2 idle cores
    python -m benchmarks --full                   # adds the 100,000-post archive
    python -m benchmarks --tiny                   # a few posts, report in a temporary folder
    python -m benchmarks --only build --sizes posts=1000,5000

Every module of this package that defines `BENCHMARK` (a `benchmarks.report.Benchmark`) is
part of the suite; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import logging
import multiprocessing
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from benchmarks.report import (
    FULL,
    QUICK,
    TINY,
    Benchmark,
    Result,
    RunInfo,
    Sizes,
    cpu_seconds,
    describe_machine,
    format_tables,
    run_prepare,
    write_markdown,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
NOT_MEASUREMENTS = {"__main__", "report", "plots"}
log = logging.getLogger("benchmarks")
# Set-ups run at once beside a waiting benchmark: one per core of the 2-core machine the
# suite is sized for (one at a time, the run waited 10-30 s for them after that benchmark).
SETUP_PROCESSES = 2


def discover() -> list[Benchmark]:
    """The registered benchmarks, in the order of their modules' names."""
    found: dict[str, Benchmark] = {}
    for module in sorted(pkgutil.iter_modules([str(PACKAGE)]), key=lambda m: m.name):
        if module.name in NOT_MEASUREMENTS:
            continue
        benchmark = getattr(importlib.import_module(f"benchmarks.{module.name}"), "BENCHMARK",
                            None)
        if isinstance(benchmark, Benchmark):
            if benchmark.name in found:
                raise ValueError(f"two benchmarks named {benchmark.name!r}")
            found[benchmark.name] = benchmark
    return list(found.values())


def parse_sizes(base: Sizes, edits: Sequence[str]) -> Sizes:
    """`base` with each `FIELD=N[,N...]` of `edits` applied; ValueError names a bad one."""
    fields = {f.name: f for f in dataclasses.fields(Sizes)}
    changes: dict[str, Any] = {}  # a tuple or an int, as the field is
    for edit in edits:
        name, _, values = edit.partition("=")
        if name not in fields:
            raise ValueError(f"--sizes {edit!r}: no size named {name!r} "
                             f"(sizes: {', '.join(fields)})")
        try:
            numbers = tuple(int(value.replace("_", "")) for value in values.split(","))
        except ValueError:
            raise ValueError(f"--sizes {edit!r}: give whole numbers, e.g. {name}=10,100") from None
        if not numbers or min(numbers) < 1:
            raise ValueError(f"--sizes {edit!r}: sizes are at least 1")
        if isinstance(getattr(base, name), tuple):
            changes[name] = numbers
        elif len(numbers) == 1:
            changes[name] = numbers[0]
        else:
            raise ValueError(f"--sizes {edit!r}: {name} takes one number")
    return dataclasses.replace(base, **changes)


def git_commit() -> str:
    """The commit measured, marked when the tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"{commit} with uncommitted changes" if dirty else commit


def run_benchmarks(benchmarks: Sequence[Benchmark], sizes: Sizes) -> list[Result]:
    """Run each in a fresh folder of its own, printing its table as soon as it is done.

    Those that mostly wait go first, and meanwhile two child processes at nice 19 run the
    others' `prepare`s (what the waiting benchmark leaves of the two cores, and both once
    it is done, so the set-up that takes longest bounds the wait for them, not the sum);
    every other benchmark starts only once no set-up runs, so that nothing runs beside what
    it times. The results are in the order given."""
    results: dict[int, Result] = {}
    order = sorted(range(len(benchmarks)), key=lambda i: not benchmarks[i].waits)
    with tempfile.TemporaryDirectory(prefix="forum-mirror-bench-") as folder, \
            ProcessPoolExecutor(SETUP_PROCESSES,
                                mp_context=multiprocessing.get_context("spawn"),
                                # Only the CPU the waiting benchmark leaves idle.
                                initializer=os.nice, initargs=(19,)) as pool:
        workdirs = [Path(folder) / f"{i:02}" for i in range(len(benchmarks))]
        for workdir in workdirs:
            workdir.mkdir()
        preparing: dict[int, list[Future[float]]] = {}
        started = time.perf_counter()
        for i in order:
            benchmark = benchmarks[i]
            if benchmark.waits and not preparing:
                preparing = {j: [pool.submit(run_prepare, part, sizes, workdirs[j])
                                 for part in b.setups()]
                             for j, b in enumerate(benchmarks) if b.prepare and not b.waits}
                for j, futures in preparing.items():
                    for part, future in zip(benchmarks[j].setups(), futures, strict=True):
                        future.add_done_callback(functools.partial(
                            _log_prepared, f"{benchmarks[j].name} ({part.__name__})",
                            started))
            waited = None
            if not benchmark.waits:  # nothing beside it, its own set-up done
                before = time.perf_counter()
                wait([future for futures in preparing.values() for future in futures])
                waited = time.perf_counter() - before
            results[i] = _run_one(benchmark, sizes, workdirs[i], preparing.get(i), waited)
            print(format_tables([results[i]]), flush=True)
    return [results[i] for i in range(len(benchmarks))]


def _log_prepared(name: str, started: float, done: Future[float]) -> None:
    cpu = "failed" if done.exception() else f"{done.result():.1f} s CPU"
    log.info("%s: set-up done, %.1f s into the run (%s)", name, time.perf_counter() - started,
             cpu)


def _run_one(benchmark: Benchmark, sizes: Sizes, workdir: Path,
             prepared: list[Future[float]] | None, waited: float | None = None) -> Result:
    log.info("running %s", benchmark.name)
    started, cpu = time.perf_counter(), cpu_seconds()
    setup_cpu = None
    try:
        if prepared is not None:
            setup_cpu = sum(future.result() for future in prepared)
            log.info("%s: its set-up ran beside the others, %.1f s CPU", benchmark.name,
                     setup_cpu)
        else:
            for part in benchmark.setups():
                part(sizes, workdir)
        measurements = benchmark.run(sizes, workdir)
        error = None
    except Exception as failure:  # the other benchmarks still run
        log.exception("%s failed", benchmark.name)
        measurements, error = [], f"{type(failure).__name__}: {failure}"
    return Result(benchmark, measurements, time.perf_counter() - started, error,
                  cpu_seconds() - cpu, setup_cpu,
                  # Only a wait that cost the run time is worth a word in the report.
                  waited if waited is not None and waited >= 0.1 else None)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; exit status 1 when a benchmark failed."""
    options = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"sizes (--sizes FIELD=N,N), quick: {QUICK.as_options()}")
    preset = options.add_mutually_exclusive_group()
    preset.add_argument("--full", action="store_true", help="also the 100,000-post archive")
    preset.add_argument("--tiny", action="store_true",
                        help="tiny sizes, only to check the code runs (report in a temp folder)")
    options.add_argument("--sizes", action="append", default=[], metavar="FIELD=N,N",
                         help="change one size of the preset (repeatable)")
    options.add_argument("--only", action="append", default=[], metavar="NAME",
                         help="run only this benchmark (repeatable; see --list)")
    options.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    options.add_argument("--output", type=Path, metavar="FILE.md",
                         help="the report (default docs/benchmarks.md; with --tiny a temp folder)")
    args = options.parse_args(argv)
    # Progress of the suite only: what Pelican and the others log at INFO is not the point.
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    benchmarks = discover()
    if args.list:
        for benchmark in benchmarks:
            print(f"{benchmark.name}: {benchmark.about.splitlines()[0] if benchmark.about else ''}")
        return 0
    known = {b.name for b in benchmarks}
    if unknown := [name for name in args.only if name not in known]:
        options.error(f"--only {unknown[0]!r}: no such benchmark ({', '.join(sorted(known))})")
    if args.only:
        benchmarks = [b for b in benchmarks if b.name in args.only]
    try:
        sizes = parse_sizes(TINY if args.tiny else FULL if args.full else QUICK, args.sizes)
    except ValueError as error:
        options.error(str(error))
    output = args.output or (
        Path(tempfile.mkdtemp(prefix="forum-mirror-bench-tiny-")) / "benchmarks.md"
        if args.tiny else ROOT / "docs" / "benchmarks.md")
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    commit, machine = git_commit(), describe_machine()
    started = time.perf_counter()
    results = run_benchmarks(benchmarks, sizes)
    info = RunInfo(command, sizes, time.perf_counter() - started, machine, commit)
    written = write_markdown(results, info, output)
    failed = [r.benchmark.name for r in results if r.error]
    print(f"wrote {output} and {len(written) - 1} plots in {output.parent / output.stem}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
