"""Build time and memory of the mirror against a floor, on generated archives.

The floor is the least any static build with search must do: the posts from
`forum-mirror export`, rendered 20 a page by a bare Jinja template, indexed by the Pagefind
CLI. Beside it, in the same run: `forum-mirror build` from scratch, the same build again with
nothing changed, again after only the archive's state folder changed (no thread did: Pelican
runs, keeps every thread's pages and writes the site-wide pages again), and again after one
thread got a new post. Each step runs as its own
process; peak RSS is that of the whole process tree (the floor's Pagefind included), sampled
from /proc. The mirror's build writes its own search index (offline_index.py), no Pagefind.
Figures are ratios from one run: absolute times are noise on a shared machine.

Run: `.venv/bin/python -m benchmarks.build [--posts 1000 10000] [--threads 25]
[--profile [full|one-thread]]
[--no-search]`. `--no-search` leaves search out of both sides (the floor renders only, the
build skips `write_search_files`): what the site generator itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import (  # noqa: E402
    Benchmark,
    Goal,
    Measurement,
    Plot,
    Sizes,
    child_environment,
    child_maxrss_bytes,
    tree_rss_bytes,
)
from scraper.archive import FORMAT_NAME, FORMAT_VERSION, THREADS_DIR  # noqa: E402
from scraper.archive_layout import STATE_DIR  # noqa: E402
from scraper.engines.canonical import quote_html  # noqa: E402

POSTS_PER_PAGE = 20
BOARD = "https://bench.example"
AUTHORS = 60  # members of the board; each writes in many threads (author pages span them)
FETCHED_AT = "2026-11-29T03:15:00Z"
CHANGED_AT = "2026-12-01T08:00:00Z"
# Arabic, Hebrew and English lines, as the boards we archive mix them.
LINES = (
    "مرحبا بالجميع، هذا الموضوع لأخبار المغرب اليومية. شاركونا ما تقرؤون.",
    "زرت الرباط والمغرب كله جميل في الخريف، والناس طيبون.",
    "أظن أن المنتخب سيتأهل إلى كأس العالم بسهولة هذه المرة.",
    "تصحيح: المباراة يوم السبت وليس يوم الأحد، حسب ما نشرته الجامعة.",
    "שר הביטחון Benny Gantz ביקר היום במרוקו ונפגש עם עמיתו.",
    "לדבריו, היחסים בין ישראל לבין מרוקו חזקים מתמיד.",
    "The match was moved to Saturday; tickets bought for Sunday stay valid.",
    "صورة من السوق القديم في فاس، قرب باب بوجلود، صباح يوم الجمعة.",
    "ما زلت أتذكر هذا التوقع من أول الموضوع، وكان في محله تماما.",
    "Merci pour le partage, le reportage sur Chefchaouen était superbe.",
)
FLOOR_TEMPLATE = """<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{{ title }} · {{ number }}</title>
</head><body><main><h1>{{ title }}</h1>
{% for post in posts %}<article id="post-{{ post.post_id }}" data-pagefind-body>
<h2>{{ post.author }}</h2><time datetime="{{ post.published }}">{{ post.published_text }}</time>
<div>{{ post.content_html | safe }}</div></article>
{% endfor %}</main></body></html>
"""


# --- Archives ------------------------------------------------------------------------------


def _post(thread: int, index: int, first_seen: str = FETCHED_AT) -> dict[str, Any]:
    """One archived post (thread.json form) of thread `thread`, at position `index + 1`."""
    post_id = f"{thread + 1}{index:06d}"
    member = (thread * 7 + index * 13) % AUTHORS
    lines = [LINES[(thread + index + n) % len(LINES)] for n in range(1 + index % 4)]
    html = "<br>\n".join(lines)
    text = "\n".join(lines)
    quotes = []
    if index and index % 5 == 0:
        quoted_id = f"{thread + 1}{index - 1:06d}"
        html = quote_html(f"عضو {member}", quoted_id, LINES[index % len(LINES)]) + html
        text = f"{LINES[index % len(LINES)]}\n{text}"
        quotes = [{"author": f"عضو {member}", "post_id": quoted_id}]
    day, hour = divmod(index, 24)
    date = f"20{15 + thread % 10}-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
    published = f"{date}T{hour:02d}:07:00+01:00"
    page = index // POSTS_PER_PAGE + 1
    url = f"{BOARD}/threads/t.{thread + 1}/page-{page}"
    return {
        "id": post_id,
        "position": index + 1,
        "author": {
            "name": f"عضو {member}",
            "url": f"{BOARD}/members/m.{member}/",
            "avatar_url": None,
            "avatar_path": None,
            "joined_text": "",
            "joined": None,
            "message_count": None,
            "member_id": str(member),
        },
        "published": published,
        "published_text": published[:10],
        "edited": None,
        "edited_text": "",
        "content_html": f'<div class="bbWrapper">{html}</div>',
        "content_text": text,
        "quotes": quotes,
        "embeds": [],
        "images": [],
        "page": page,
        "source_url": f"{url}#post-{post_id}",
        "fetched_at": FETCHED_AT,
        "page_sha256": f"{page:064x}",
        "warc_file": f"threads/bench.example-{thread + 1}/warc/run.warc.gz",
        "warc_record_id": f"<urn:uuid:00000000-0000-4000-8000-{page:012d}>",
        "first_seen_at": first_seen,
        "warc_offset": None,
        "revisions": [],
        "removed_upstream_at": None,
    }


def thread_key(thread: int) -> str:
    return f"bench.example-{thread + 1}"


def write_thread(root: Path, thread: int, posts: int, extra_posts: int = 0) -> Path:
    """Write thread number `thread` (0-based) with `posts` posts, plus `extra_posts` first
    seen later (an update that found new posts); returns its thread.json."""
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "key": thread_key(thread),
        "engine": "xenforo2",
        "thread": {
            "id": str(thread + 1),
            "url": f"{BOARD}/threads/t.{thread + 1}/",
            "title": f"{LINES[thread % len(LINES)][:40]} ({thread + 1})",
            "prefix": "",
            "breadcrumb": [{"title": "المنتديات", "url": f"{BOARD}/"}],
            "language": "ar-MA",
            "ignored_canonical": "",
        },
        "first_archived_at": FETCHED_AT,
        "last_archived_at": CHANGED_AT if extra_posts else FETCHED_AT,
        "scraper_version": "0.1.0",
        "pages": [],
        "posts": [_post(thread, index) for index in range(posts)]
        + [_post(thread, posts + n, CHANGED_AT) for n in range(extra_posts)],
        "assets": [],
        "runs": [],
        "unavailable_since": None,
        "unavailable_reason": "",
        "moves": [],
        "incomplete": None,
        "cursor": None,
    }
    path = root / THREADS_DIR / thread_key(thread) / "thread.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    # As the archive writes it (archive.py: orjson, indented), so reading and zipping it cost
    # what they do.
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def make_archive(root: Path, posts: int, threads: int) -> Path:
    """An archive of `posts` posts spread evenly over `threads` threads."""
    for thread in range(threads):
        share = posts // threads + (1 if thread < posts % threads else 0)
        write_thread(root, thread, share)
    return root


# --- Measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float  # the whole process tree, sampled
    # User and system time of the whole tree: on a machine shared with other work, wall
    # time is mostly waiting, and this compares better between steps of one run.
    cpu_seconds: float = 0.0


# Runs of each small rebuild (site-wide pages only, one thread changed), the median one
# counting: single runs of half a second varied by a tenth, as much as the margin their
# goal is judged by.
REBUILDS = 3


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time."""
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def run_measured(command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """Run `command`; its wall time and the peak RSS of its process tree."""
    started = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, tree_rss_bytes(process.pid))
            if done.wait(0.05):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4, not wait: the tool's own peak as the kernel counted it, which a run shorter
    # than a sampling interval (an unchanged rebuild: 50 ms) would otherwise miss.
    _, status, usage = os.wait4(process.pid, 0)
    code = process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    peak = max(peak, child_maxrss_bytes(usage))
    if code:
        raise RuntimeError(f"{command} exited with {code}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return Run(round(seconds, 2), round(peak / 2**20, 1), round(cpu, 2))


def floor_render(jsonl: Path, site: Path) -> int:
    """Render the exported posts 20 a page per thread with a bare template; pages written."""
    from jinja2 import Environment

    template = Environment(autoescape=True).from_string(FLOOR_TEMPLATE)
    pages = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal pages
        if not batch:
            return
        first = batch[0]
        number = (first["position"] - 1) // POSTS_PER_PAGE + 1
        path = site / first["thread_key"] / f"page-{number}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            template.render(title=first["thread_title"], number=number, posts=batch),
            encoding="utf-8",
        )
        pages += 1
        batch.clear()

    with jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            post = json.loads(line)
            if batch and (
                post["thread_key"] != batch[0]["thread_key"] or len(batch) == POSTS_PER_PAGE
            ):
                flush()
            batch.append(post)
    flush()
    return pages


def floor_command(archive: Path, work: Path, search: bool = True) -> list[str]:
    """The floor as one shell pipeline: export, bare render, Pagefind CLI (unless not `search`)."""
    python = sys.executable
    site = work / "floor-site"
    jsonl = work / "posts.jsonl"
    steps = [
        f"{python} -m scraper.cli export --format jsonl "
        f"--archive {archive} -o {jsonl}",
        f"{python} -m benchmarks.build --floor-render {jsonl} {site}",
    ]
    if search:
        steps.append(f"{python} -m pagefind --site {site} --force-language ar --silent")
    return ["sh", "-c", " && ".join(steps)]


def build_command(
    archive: Path, output: Path, profile: Path | None = None, search: bool = True
) -> list[str]:
    # The program as installed (`forum-mirror` is `scraper.cli:run`): its own exit skips
    # the interpreter's teardown, which `main()` returning to `python -c` paid (10-20 ms
    # more after a rebuild that rendered a thread than after one that kept every page).
    cli = ["-m", "scraper.cli"]
    if profile is not None or not search:
        # Profiled in-process around `main`: the program's own exit (cli.exit_now, which
        # skips the interpreter's teardown) would end `python -m cProfile` before its dump.
        cli = ["-m", "benchmarks.build", "--build-step", str(profile or ""),
               "search" if search else "no-search"]  # fmt: skip
    return [sys.executable, *cli, "build", "--archive", str(archive), "--output", str(output)]


def build_step(profile: str, search: str, argv: list[str]) -> None:
    """`forum-mirror ARGV`, profiled into the file `profile` unless it is empty, with the
    search index left out (the pages' cost alone) when `search` is "no-search"."""
    from scraper.cli import main as cli_main
    from scraper.site import generator

    if search == "no-search":
        generator.write_search_files = lambda output, data, shard_bytes=0, keep=(): 0
    if not profile:
        raise SystemExit(cli_main(argv))
    import cProfile

    profiler = cProfile.Profile()
    code = profiler.runcall(cli_main, argv)
    profiler.dump_stats(profile)
    raise SystemExit(code)


def warmed_environment(folder: Path) -> dict[str, str]:
    """The environment of every measured step: compiled modules kept in `folder/pycache`,
    as an installed program has them, compiled first by a build and the floor of a small
    archive (otherwise the first step measured compiles what it imports)."""
    pycache = folder / "pycache"
    environment = child_environment(pycache)
    warmed = pycache / "build.warmed"
    if not warmed.exists():
        work = folder / "warm-up"
        make_archive(work / "archive", 40, 2)
        for command in (build_command(work / "archive", work / "site"),
                        floor_command(work / "archive", work)):  # fmt: skip
            subprocess.run(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                           check=True)  # fmt: skip
        shutil.rmtree(work)
        warmed.touch()
    return environment


def touch_state_folder(archive: Path) -> None:
    """What an `update` that found every thread unchanged leaves: the archive's state folder
    written, no thread folder touched. The next build cannot skip (site/unchanged.py), but
    keeps every thread's pages: what it costs is that of the site-wide pages and start-up."""
    states = archive / STATE_DIR / THREADS_DIR
    states.mkdir(parents=True, exist_ok=True)
    os.utime(states)


def one_thread_bound(site_wide_seconds: float, full_seconds: float, threads: int) -> float:
    """What a rebuild after one of `threads` equal threads changed may cost (issue 11): the
    rebuild that writes only the site-wide pages (start-up, Pelican, index, search page,
    about, feed) plus the thread's share of a full build (its pages, its part of the
    search index and of the author pages)."""
    return site_wide_seconds + full_seconds / threads


def changed_files(output: Path, since: float) -> list[str]:
    """Files under `output` modified after `since` (a time.time())."""
    return sorted(
        p.relative_to(output).as_posix()
        for p in output.rglob("*")
        if p.is_file() and p.stat().st_mtime > since
    )


def measure(
    posts: int,
    threads: int,
    work: Path,
    profile: str | None = None,
    search: bool = True,
) -> dict[str, Any]:
    """The floor and the mirror's full and unchanged builds, one run each, and its rebuilds
    of the site-wide pages only and after one thread changed, the median of `REBUILDS`
    each (without search on either side when not `search`), on the archive `prepare` left
    in `work` or, with none there, one made now."""
    archive = work / f"archive-{posts}"
    if (work / ARCHIVE_MADE).exists():
        (work / ARCHIVE_MADE).unlink()  # this run changes it: a second one must not find it
    else:
        make_archive(archive, posts, threads)
    output = work / f"site-{posts}"
    env = warmed_environment(work.parent)
    floor = run_measured(floor_command(archive, work, search), env=env)
    profile_file = work / f"build-{posts}-{profile}.prof" if profile else None
    full = run_measured(
        build_command(archive, output, profile_file if profile == "full" else None, search),
        env=env,
    )
    before = time.time()
    unchanged = run_measured(build_command(archive, output, search=search), env=env)
    unchanged_written = changed_files(output, before)
    site_wide_runs = []
    for _ in range(REBUILDS):
        touch_state_folder(archive)
        site_wide_runs.append(
            run_measured(build_command(archive, output, search=search), env=env)
        )
    site_wide = median_run(site_wide_runs)
    one_runs = []
    for number in range(REBUILDS):
        # A post more each time: each rebuild finds the thread changed.
        write_thread(archive, 0, posts // threads + (1 if posts % threads else 0),
                     extra_posts=1 + number)
        before = time.time()
        one_runs.append(run_measured(build_command(
            archive, output, profile_file if profile == "one-thread" and not number else None,
            search), env=env))
        one_written = changed_files(output, before)
    one = median_run(one_runs)
    other_threads = [f for f in one_written if f.startswith("threads/") and
                     not f.startswith(f"threads/{thread_key(0)}/")]  # fmt: skip
    result = {
        "posts": posts,
        "threads": threads,
        "search": search,
        "floor": asdict(floor),
        "full": asdict(full),
        "unchanged": asdict(unchanged),
        "site_wide_only": asdict(site_wide),
        "one_thread_changed": asdict(one),
        "one_thread_bound": round(one_thread_bound(site_wide.seconds, full.seconds, threads), 3),
        "full_over_floor": round(full.seconds / floor.seconds, 2),
        "full_over_floor_cpu": round(full.cpu_seconds / max(floor.cpu_seconds, 0.01), 2),
        "unchanged_over_full": round(unchanged.seconds / full.seconds, 3),
        "one_changed_over_full": round(one.seconds / full.seconds, 3),
        "unchanged_over_full_cpu": round(unchanged.cpu_seconds / max(full.cpu_seconds, 0.01), 3),
        "one_changed_over_full_cpu": round(one.cpu_seconds / max(full.cpu_seconds, 0.01), 3),
        "thread_share": round(1 / threads, 3),
        "files_written_unchanged": len(unchanged_written),
        "files_written_one_changed": len(one_written),
        "other_threads_files_written": len(other_threads),
    }
    if profile_file is not None:
        result["profile"] = str(profile_file)
    return result


THREADS = 25  # the shape: 100,000 posts as 25 threads of 4,000
ARCHIVE_MADE = "archive-made"  # beside an archive `prepare` made, once it is whole


def _threads(posts: int) -> int:
    return min(THREADS, max(1, posts // 20))


def prepare(sizes: Sizes, workdir: Path) -> None:
    """The suite's set-up (`Benchmark.prepare`): the archive of each size written (generated
    thread.json files: nothing any step times), where `measure` finds it."""
    for posts in sizes.posts:
        work = workdir / f"build-{posts}"
        make_archive(work / f"archive-{posts}", posts, _threads(posts))
        (work / ARCHIVE_MADE).touch()


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """The suite's entry (benchmarks/report.py): floor and builds at every `sizes.posts`."""
    found: list[Measurement] = []
    for posts in sizes.posts:
        result = measure(posts, _threads(posts), workdir / f"build-{posts}")
        for step, name in (("floor", "floor"), ("full", "full build"),
                           ("unchanged", "unchanged rebuild"),
                           ("site_wide_only", "site-wide pages only"),
                           ("one_thread_changed", "one thread changed")):
            found.append(Measurement(name, posts, result[step]["seconds"],
                                     int(result[step]["peak_rss_mb"] * 2**20), unit="posts",
                                     note=f"CPU {result[step]['cpu_seconds']:.2f} s"))
        found.append(Measurement(
            "one-thread bound", posts, result["one_thread_bound"], unit="posts",
            note=f"site-wide pages only + 1/{result['threads']} of the full build"))
    return found


BENCHMARK = Benchmark(
    "build",
    run,
    prepare=prepare,
    about="Archives of generated posts (25 threads at most) built by `forum-mirror build`, "
          "against a floor measured in the same run: the posts from `forum-mirror export` "
          "rendered 20 a page by a bare Jinja template and indexed by the Pagefind CLI; then "
          "a rebuild with nothing changed, one after only the archive's state folder changed "
          "(site-wide pages only: every thread's pages kept, the index, search page, about "
          "page and feed written again) and one after a post was added to one thread (these "
          "two the median of three runs each, the last a post more each time). The "
          "one-thread bound is the site-wide rebuild plus the thread's share (1/threads) of the "
          "full build. Peak RSS is of the whole process tree (the floor's Pagefind included; "
          "the mirror writes its own search index).",
    plots=(Plot("Build time against posts", "seconds",
                ("floor", "full build", "unchanged rebuild", "site-wide pages only",
                 "one thread changed")),
           Plot("Peak RSS of the build against posts", "peak_rss_bytes",
                ("floor", "full build"))),
    goals=(Goal("a full build at most 2x the floor", "full build", "seconds", over="floor",
                at_most=2.0),
           Goal("an unchanged rebuild at most 10% of a full build", "unchanged rebuild",
                "seconds", over="full build", at_most=0.10),
           Goal("a one-thread rebuild at most the site-wide rebuild + the thread's share",
                "one thread changed", "seconds",
                over="one-thread bound", at_most=1.0),
           Goal("peak RSS of the build at most 2 GiB", "full build", "peak_rss_bytes",
                at_most=2 * 2**30)),
)


def top_entries(profile: Path, count: int = 12) -> str:
    """The profile's top entries by own time, as pstats prints them."""
    import io
    import pstats

    stream = io.StringIO()
    pstats.Stats(str(profile), stream=stream).sort_stats("tottime").print_stats(count)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 10000],
                        help="archive sizes to measure (add 100000 for the full run)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=25, help="threads the posts spread over")
    parser.add_argument("--profile", nargs="?", const="full", choices=("full", "one-thread"),
                        help="profile the full build, or the one-thread rebuild (cProfile: "
                             "the build's own process, not its worker or child), and print "
                             "its top entries")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--no-search", action="store_true",
                        help="leave search out of the floor (Pagefind) and of the builds")
    parser.add_argument("--floor-render", nargs=2, type=Path, metavar=("JSONL", "SITE"),
                        help=argparse.SUPPRESS)  # the floor's render step, run as its own process
    parser.add_argument("--build-step", nargs=argparse.REMAINDER,
                        help=argparse.SUPPRESS)  # a build, profiled or without search
    args = parser.parse_args(argv)
    if args.build_step is not None:
        build_step(args.build_step[0], args.build_step[1], args.build_step[2:])
        return
    if args.floor_render:
        floor_render(*args.floor_render)
        return
    with tempfile.TemporaryDirectory() as temp:
        work = args.keep or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        for posts in args.posts:
            size_dir = work / str(posts)
            shutil.rmtree(size_dir, ignore_errors=True)
            size_dir.mkdir()
            result = measure(posts, min(args.threads, posts), size_dir, args.profile,
                             search=not args.no_search)
            print(json.dumps(result), flush=True)
            if args.profile:
                print(top_entries(Path(result["profile"])), flush=True)


if __name__ == "__main__":
    main()
