"""The benchmark suite keeps working: its entry point on tiny sizes, and the parts it is made of.

Speed goals are not checked here (they are figures of benchmarks/, read as ratios of one
run); only that every benchmark still runs and reports, and that the report is right.
"""

from __future__ import annotations

import json
import pstats
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks import build as build_benchmark
from benchmarks import search
from benchmarks.__main__ import discover, parse_sizes, run_benchmarks
from benchmarks.plots import Series, line_plot_svg
from benchmarks.report import (
    QUICK,
    TINY,
    Benchmark,
    Goal,
    Measurement,
    Plot,
    Result,
    RunInfo,
    describe_machine,
    measure_command,
    write_markdown,
)
from benchmarks.scrape import ROUNDS, compare_scrape, scrape_table, update_costs, update_table
from scraper.site.arabic import search_words

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
MIB = 2**20


# One size of each kind is enough to run every benchmark's code (forum-dl's included, at
# TINY's 2 pages); a second size only runs the same code again. Plots of several sizes are
# test_a_line_plot_is_valid_svg_with_log_x_over_a_wide_range's.
ONE_SIZE_EACH = ["--sizes", "posts=40", "--sizes", "pages=2", "--sizes", "update_pages=2",
                 "--sizes", "search_posts=40"]


@pytest.mark.browser  # page weight, and the search benchmarks, run Chromium
# Every benchmark at tiny sizes took about 100 s on an idle 2-core machine (over 280 s on a
# slow CI machine) with two sizes each; one size each costs about 0.6 of that in CPU time.
# A hang still fails, a slow machine does not.
@pytest.mark.timeout(600)
def test_the_entry_point_runs_every_benchmark_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "docs" / "benchmarks.md"
    run = subprocess.run([sys.executable, "-m", "benchmarks", "--tiny", *ONE_SIZE_EACH,
                          "--output", str(report)],
                         cwd=ROOT, capture_output=True, text=True, timeout=580)
    assert run.returncode == 0, run.stdout + run.stderr
    benchmarks = discover()
    assert {"engine parse", "joined dates", "page weight", "search"} <= {b.name for b in benchmarks}
    text = report.read_text("utf-8")
    assert "ratios" in text and "one run" in text
    for fact in ("CPU: ", "RAM: ", "Python: ", "OS: "):
        assert f"\n- {fact}" in text
    assert "**Failed**" not in text
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text)
    for benchmark in benchmarks:
        assert f"\n## {benchmark.name}\n" in text
        assert f"{benchmark.name} (" in run.stdout  # its table was printed
        assert any(f"![{plot.title}](" in text for plot in benchmark.plots) or not benchmark.plots
    assert len(images) >= sum(bool(b.plots) for b in benchmarks)
    for image in images:
        svg = ET.parse(report.parent / image).getroot()
        assert svg.tag == f"{SVG}svg"
        assert svg.findall(f".//{SVG}polyline") or svg.findall(f".//{SVG}rect[@y]")
    assert re.search(r"^name +size +time", run.stdout, re.MULTILINE)  # the printed table


def test_a_benchmark_that_fails_is_reported_and_the_others_still_run() -> None:
    def broken(sizes: object, workdir: Path) -> list[Measurement]:
        raise RuntimeError("the board served no posts")

    def working(sizes: object, workdir: Path) -> list[Measurement]:
        assert workdir.is_dir() and not any(workdir.iterdir())
        return [Measurement("it", 1, seconds=0.5)]

    results = run_benchmarks([Benchmark("broken", broken), Benchmark("working", working)], TINY)
    assert results[0].error == "RuntimeError: the board served no posts"
    assert results[1].error is None and results[1].measurements[0].name == "it"


def test_every_part_of_a_set_up_runs_before_its_benchmark() -> None:
    def boards(sizes: object, workdir: Path) -> None:
        (workdir / "boards").write_text("made")

    def threads(sizes: object, workdir: Path) -> None:
        (workdir / "threads").write_text("made")

    def measured(sizes: object, workdir: Path) -> list[Measurement]:
        return [Measurement(part.name, 1) for part in sorted(workdir.iterdir())]

    benchmark = Benchmark("parts", measured, prepare=(boards, threads))
    assert benchmark.setups() == (boards, threads)
    [result] = run_benchmarks([benchmark], TINY)
    assert [m.name for m in result.measurements] == ["boards", "threads"]


def test_sizes_are_chosen_field_by_field() -> None:
    sizes = parse_sizes(QUICK, ["posts=500,5_000", "repeats=2"])
    assert sizes.posts == (500, 5000) and sizes.repeats == 2 and sizes.pages == QUICK.pages
    for bad in ("bogus=1", "posts=", "posts=1,x", "posts=0", "repeats=1,2"):
        with pytest.raises(ValueError, match=re.escape(bad)):
            parse_sizes(QUICK, [bad])


def test_a_bad_option_exits_2_naming_it() -> None:
    run = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "no such"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "no such" in run.stderr


def test_goals_compare_within_a_run_at_each_size() -> None:
    measured = [Measurement("forum-mirror", 10, seconds=2.0, unit="pages"),
                Measurement("bare httpx", 10, seconds=1.0, unit="pages"),
                Measurement("forum-mirror", 200, seconds=40.0, unit="pages"),
                Measurement("bare httpx", 200, seconds=4.0, unit="pages"),
                Measurement("forum-mirror", 400, seconds=1.0, unit="pages")]  # no baseline
    goal = Goal("at most 3x bare", "forum-mirror", "seconds", over="bare httpx", at_most=3)
    checks = goal.check(measured)
    assert [(c.size, c.value, c.met) for c in checks] == [(10, 2.0, True), (200, 10.0, False)]
    at_200 = Goal("at most 3x bare on 200", "forum-mirror", "seconds", over="bare httpx",
                  at_most=3, at=200)
    assert [(c.size, c.met) for c in at_200.check(measured)] == [(200, False)]
    rss = Goal("at most 2 GiB", "forum-mirror", "peak_rss_bytes", at_most=2 * 2**30)
    assert rss.check(measured) == []  # not measured is not met either: the report says so


def test_a_line_plot_is_valid_svg_with_log_x_over_a_wide_range() -> None:
    svg = line_plot_svg("Build <time> & RSS", "posts", "time (s)",
                        [Series("forum-mirror", ((1000, 2.0), (10_000, 9.0), (100_000, 70.0))),
                         Series("أرضية", ((1000, 1.0), (100_000, 30.0)))])
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Build <time> & RSS" in texts and "أرضية" in texts and "posts (log scale)" in texts
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    xs = [float(point.split(",")[0]) for point in lines[0].get("points", "").split()]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])  # 1k, 10k, 100k evenly spaced
    ys = [float(point.split(",")[1]) for point in lines[0].get("points", "").split()]
    assert ys[0] > ys[1] > ys[2]  # larger values higher up


def test_the_report_replaces_the_plots_of_an_earlier_run(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    info = RunInfo("python -m benchmarks", TINY, 1.0, describe_machine())

    def result(title: str) -> Result:
        benchmark = Benchmark("b", lambda sizes, workdir: [], plots=(Plot(title, "seconds"),))
        return Result(benchmark, [Measurement("x", 1, seconds=1.0)], 1.0)

    write_markdown([result("First plot")], info, report)
    write_markdown([result("Second plot")], info, report)
    assert sorted(p.name for p in (tmp_path / "benchmarks").iterdir()) == ["second-plot.svg"]
    assert "(benchmarks/second-plot.svg)" in report.read_text("utf-8")


def test_peak_rss_sums_a_process_and_the_children_it_runs_at_once() -> None:
    # The child holds 120 MiB while its own child holds 120 MiB more: the build-and-Pagefind
    # shape, where no single process shows the peak.
    hold = "data = b'x' * (120 * 2**20)"
    grandchild = f"import time; {hold}; time.sleep(1)"
    child = (f"import subprocess, sys; {hold}; "
             f"subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)")
    run = measure_command([sys.executable, "-c", child])
    assert run.returncode == 0
    assert 240 * MIB <= run.peak_rss_bytes < 400 * MIB
    assert run.seconds >= 1


def test_a_small_childs_peak_rss_is_not_its_large_parents() -> None:
    """A child that execs keeps the high-water mark of the memory it had before (Linux), its
    parent's after Popen's vfork: a small rebuild was reported at the benchmark's own size."""
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parents[1])!r})
from benchmarks.build import run_measured
from benchmarks.report import measure_command
held = b"x" * (300 * 2**20)  # written: resident, not only reserved
small = [sys.executable, "-c", "import time; time.sleep(0.2)"]
print(measure_command(small).peak_rss_bytes / 2**20, run_measured(small).peak_rss_mb)
"""
    found = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           text=True).stdout.split()  # fmt: skip
    by_report, by_build = map(float, found)
    assert 0 < by_report < 100 and 0 < by_build < 100, found


def test_a_failed_or_overlong_command_is_loud_and_leaves_nothing_running(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="exited 3: no posts"):
        measure_command([sys.executable, "-c",
                         "import sys; sys.stderr.write('no posts'); sys.exit(3)"])
    pid_file = tmp_path / "pid"
    sleeper = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
               "'import time; time.sleep(60)']); "
               f"open({str(pid_file)!r}, 'w').write(str(p.pid)); p.wait()")
    with pytest.raises(TimeoutError):
        measure_command([sys.executable, "-c", sleeper], timeout=1.5)
    deadline = time.monotonic() + 5
    while running(int(pid_file.read_text())):
        assert time.monotonic() < deadline, "the grandchild outlived the timeout"
        time.sleep(0.05)


def running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_scrape_benchmark_at_tiny_size(tmp_path: Path) -> None:
    result = compare_scrape(3, 3, tmp_path / "scrape", forum_dl=None)
    ours, bare = result.run("forum-mirror"), result.run("bare httpx loop")
    assert ours is not None and bare is not None
    assert ours.usage.exit_code == bare.usage.exit_code == 0
    # The bare loop fetches exactly what the scrape fetched: robots.txt, 3 pages, assets.
    assert ours.requests == bare.requests == result.urls > 4
    # Each the median of its runs, taken in turn with the other's.
    taken = f"median of {ROUNDS} runs"
    assert ROUNDS > 1 and taken in ours.note and taken in bare.note
    assert ours.usage.peak_rss_bytes > 0 and ours.usage.seconds > 0
    assert "forum-mirror / bare loop" in scrape_table(result)
    costs = update_costs([9, 27], tmp_path, posts_per_page=1)
    # An unchanged re-check costs robots.txt and 3 conditional requests (the last page, two
    # revisits), however long.
    assert [(c.pages, c.requests, c.new_posts) for c in costs] == [(9, 4, 0), (27, 4, 0)]
    assert "unchanged update" in update_table(costs)


def test_build_benchmark_measures_the_floor_and_every_rebuild(tmp_path: Path) -> None:
    result = build_benchmark.measure(posts=60, threads=3, work=tmp_path)
    for step in ("floor", "full", "unchanged", "one_thread_changed"):
        assert result[step]["seconds"] > 0 and result[step]["peak_rss_mb"] > 0, step
    assert result["files_written_unchanged"] == 0
    assert result["files_written_one_changed"] > 0
    assert result["other_threads_files_written"] == 0
    assert len(list((tmp_path / "floor-site").rglob("*.html"))) == 3  # 20 posts a page
    assert result["full"]["cpu_seconds"] > 0


def test_build_benchmark_can_leave_search_out_and_profile_a_rebuild(tmp_path: Path) -> None:
    result = build_benchmark.measure(posts=40, threads=2, work=tmp_path, profile="one-thread",
                                     search=False)  # fmt: skip
    # The build's own process, profiled in-process: the program's exit skips cProfile's dump.
    # (Any of its entries: by own time, the generator's first ranked 156-185th of 1,863.)
    profiled = pstats.Stats(result["profile"]).stats  # type: ignore[attr-defined]
    assert any(file.endswith("scraper/site/generator.py") for file, _, _ in profiled)
    assert "tottime" in build_benchmark.top_entries(Path(result["profile"]))
    assert result["search"] is False and result["full"]["seconds"] > 0
    assert not (tmp_path / "site-40" / "search").exists()
    assert not (tmp_path / "floor-site" / "pagefind").exists()
    first_page = tmp_path / "site-40" / "threads" / build_benchmark.thread_key(0) / "index.html"
    assert first_page.is_file()


@pytest.mark.browser
def test_search_benchmark_answers_queries_over_http_and_from_files(tmp_path: Path) -> None:
    queries = ["المغرب", "في", "Benny Gantz"]
    # In a child process: the benchmark drives its own Chromium, which a test's Playwright
    # session (the browser fixture) would not let it start in this one.
    report = tmp_path / "answers.json"
    subprocess.run([sys.executable, "-m", "benchmarks.search", "--posts", "60", "--modes",
                    "http", "file", "--queries", *queries, "--json", str(report)],
                   check=True, capture_output=True, timeout=300, cwd=ROOT)
    answers = json.loads(report.read_text("utf-8"))
    assert [(a["mode"], a["query"]) for a in answers] == [
        (mode, query) for mode in ("http", "file") for query in queries
    ]
    data = search.generate(60)
    posts = list(data.posts())
    words = [search_words(post.text) for post in posts]
    anchors = [post.url.rsplit("#", 1)[1] for post in posts]
    for answer in answers:
        assert answer["ms"] > 0 and answer["total_bytes"] > answer["search_bytes"] > 0
        terms = search_words(answer["query"])
        expected = sum(all(any(w.startswith(t) for w in post) for t in terms) for post in words)
        # Both modes read the same index: every post that holds every term, at most 50
        # listed (6 when the status line is filled, the rest soon after).
        assert len(answer["hits"]) <= min(expected, 50)
        assert answer["status"].endswith(str(expected)) if expected else not answer["hits"]
        for anchor in answer["hits"]:
            post = words[anchors.index(anchor)]
            assert all(any(w.startswith(t) for w in post) for t in terms), anchor
        # rules, manifest, counts, one shard a term, at most one posts file a hit
        assert answer["files"] <= 3 + len(terms) + min(expected, 50)
