"""Crash safety: `forum-mirror` killed with SIGKILL at any point loses and doubles nothing.

The real CLI runs in a process of its own and is killed at exact points of its run:

- at the k-th request the board receives, for every request of the run (robots.txt, each
  page, each image and attachment): the DemoForum test hook sends the SIGKILL while the
  scraper waits for that answer, after everything before it was processed;
- at the k-th file event of the write phase, for every one of them: just after a temporary
  file is created, just before it is renamed into place, just after the rename (for each
  asset, the WARC file and `thread.json`). A few lines run before the CLI (`ZYGOTE` below)
  count these events and the run sends itself SIGKILL at the k-th; nothing else changes.

Both a first scrape and an `update` of an archived thread that has grown (a new page, a
new post with a new attachment, an edited post) are killed. After each kill the lock must
be free and the archive must be the previous good state or the new one, never a mix; then
the same command runs to completion and every post must be there exactly once, the edit
must be one revision, no temporary file may stay behind, and `forum-mirror verify` must
pass. Each command is also killed twice in a row (mid-pages, then just before the next
run's `thread.json` lands) before it may finish. Each run is a process of its own, forked
from one that imported the CLI once (`ZYGOTE`), so a kill point does not pay the imports.

`benchmarks/kill_test.py` runs every kill point and prints the count. This file runs every
request point but skips the file events of the assets between the first and the last one
(the same three steps again), to stay near 30 s.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from scraper.archive import SCHEMA_PATH, ThreadArchive
from scraper.cli import main
from scraper.demo_forum import DemoForum, RequestLog, SeedPost
from scraper.demo_forum.seed import Attachment, Text
from scraper.lock import LOCK_NAME
from scraper.verify import verify_archive

ROOT = Path(__file__).resolve().parent.parent
FETCH_OPTIONS = ["--delay", "0", "--max-retries", "0", "--timeout", "5"]
POSTS_PER_PAGE = 3
EDITED_POST = 990006
CHILD_TIMEOUT = 60
ASSET_NAME = re.compile(r"[0-9a-f]{64}")

# A long-lived child imports the CLI once and forks one process per run of it: importing
# anew costs a fresh interpreter about 0.7 s, which every kill point would pay. Each forked
# run counts the write phase's file events and sends itself SIGKILL at the `kill_at`-th (0:
# never), appending each event to the `events` file when set, then runs the real CLI. The
# functions patched below are looked up at call time (`archive._new_temporary`, the
# temporary file of every atomic write, and `os.replace`), so patching after the import
# catches every event, as patching before it did.
ZYGOTE = r"""
import json, os, signal, sys
from scraper import archive, forked
from scraper.cli import main

def serve():
    '''Fork a run per request line; here, say its pid and then how it ended.'''
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            return request
        print("pid", pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print("exit", os.waitstatus_to_exitcode(status), flush=True)
    sys.exit(0)

request = serve()
devnull = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(devnull, fd)
kill_at, events_file = request["kill_at"], request["events"]
count = 0

def event(name, path):
    global count
    count += 1
    if events_file:
        with open(events_file, "a", encoding="utf-8") as log:
            log.write(f"{name} {os.path.basename(os.fspath(path))}\n")
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

real_new_temporary, real_replace = archive._new_temporary, os.replace

def new_temporary(path):
    fd, name = real_new_temporary(path)
    event("temp file created", name)
    return fd, name

def replace(src, dst, *args, **kwargs):
    event("before rename to", dst)
    real_replace(src, dst, *args, **kwargs)
    event("after rename to", dst)

archive._new_temporary, os.replace = new_temporary, replace
# The end of a scrape indexes its assets in a forked child when a core is free, which
# would count (and be killed at) its own writes: here they are this run's, in-process, so
# that each kill point is one write of the run. test_forked.py kills the child at each.
forked.spare_core = lambda: False
sys.exit(main(request["args"]))
"""


def first_posts() -> list[SeedPost]:
    """Six posts after the eight seed posts: 14 posts, 5 pages of 3."""
    return [SeedPost(post_id=990001 + i, content_html=f"<p>مشاركة رقم {i}</p>") for i in range(6)]


def grown_posts() -> list[SeedPost]:
    """The same thread later: post 990006 (on the last page) edited, four posts more, one
    with a new attachment: 18 posts, 6 pages."""
    posts = first_posts()
    posts[-1] = SeedPost(
        post_id=EDITED_POST,
        content_html="<p>مشاركة رقم 5 (معدلة)</p>",
        edited_at=datetime(2021, 12, 1, 10, 0, tzinfo=UTC),
    )
    photo = Attachment(
        attachment_id=990100, data_id=990200, filename="crash-photo.jpg", view_count=3
    )
    posts += [
        SeedPost(post_id=990007, content_html="<p>جديدة 1</p>"),
        SeedPost(post_id=990008, segments=(Text("صورة جديدة"),), attachments=(photo,)),
        SeedPost(post_id=990009, content_html="<p>جديدة 3</p>"),
        SeedPost(post_id=990010, content_html="<p>جديدة 4</p>"),
    ]
    return posts


@dataclass(frozen=True)
class KillPoint:
    kind: str  # "request" (the k-th request of the run) or "write" (the k-th file event)
    index: int
    label: str

    def __str__(self) -> str:
        return f"{self.kind} {self.index} ({self.label})"


@dataclass
class SweepResult:
    scenario: str
    tried: list[tuple[KillPoint, ...]] = field(default_factory=list)  # the kills of one case
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return len(self.tried) - len(self.failures)

    def summary(self) -> str:
        twice = sum(1 for kills in self.tried if len(kills) > 1)
        return (
            f"{self.scenario}: {len(self.tried)} kill points ({twice} of them killing two "
            f"runs in a row), {self.passed} passed"
        )


@dataclass
class Scenario:
    """One command run against a forum, with what the archive must hold before and after."""

    name: str
    forum: DemoForum
    cli: Zygote  # runs the command in a process of its own
    command: list[str]  # CLI arguments, without --archive
    rerun: list[str]  # what the user runs next (the same command)
    prepare: Callable[[Path], None]  # puts the archive in its state before the command
    expected_revisions: dict[str, int]  # post id -> revisions when complete (others: 0)
    old_thread_json: bytes | None = None  # the previous good state (None: not archived)
    requests: list[str] = field(default_factory=list)  # of a run that is not killed
    events: list[str] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)

    @property
    def expected_ids(self) -> list[str]:
        return [str(post.post_id) for post in self.forum.thread.posts]

    def kill_points(self) -> list[KillPoint]:
        return [KillPoint("request", i, path) for i, path in enumerate(self.requests, 1)] + [
            KillPoint("write", i, e) for i, e in enumerate(self.events, 1)
        ]


class ForkedRun:
    """One run forked by the zygote: killed by pid, its exit status read from the zygote."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._zygote = zygote
        self._reading = threading.Lock()  # the test and the board's hook may both wait

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = CHILD_TIMEOUT) -> int:
        """Its exit code, as `Popen.wait` gives it (-9 when killed); TimeoutExpired."""
        with self._reading:
            if self.returncode is None:
                self.returncode = int(self._zygote.read_line("exit", timeout))
        return self.returncode


class Zygote:
    """The CLI imported once in a child process (`ZYGOTE`), forking one run at a time."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stdin is not None and self._process.stdout is not None
        self._requests, self._answers = self._process.stdin, self._process.stdout.fileno()
        self._buffer = b""

    def start(self, args: list[str], kill_at: int, events: Path | None) -> ForkedRun:
        request = {"args": args, "kill_at": kill_at, "events": events and str(events)}
        self._requests.write(json.dumps(request).encode() + b"\n")
        self._requests.flush()
        return ForkedRun(self, int(self.read_line("pid", CHILD_TIMEOUT)))

    def read_line(self, word: str, timeout: float | None) -> str:
        """The value of the zygote's next line, which must start with `word`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._answers], [], [], left)[0]:
                raise subprocess.TimeoutExpired(ZYGOTE, timeout or 0)
            if not (data := os.read(self._answers, 4096)):
                raise RuntimeError(f"the zygote died (exit code {self._process.wait()})")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        said, value = line.decode().split()
        assert said == word, line
        return value

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._requests.close()  # its loop ends
        try:
            self._process.wait(timeout=CHILD_TIMEOUT)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            assert self._process.stdout is not None
            self._process.stdout.close()


def run_child(
    zygote: Zygote,
    args: list[str],
    archive: Path,
    *,
    kill_at: int = 0,
    events: Path | None = None,
    on_start: Callable[[ForkedRun], None] | None = None,
) -> int:
    """Run the CLI in a process of its own; its return code (-9 when it was killed)."""
    process = zygote.start([*args, "--archive", str(archive), *FETCH_OPTIONS], kill_at, events)
    if on_start is not None:
        on_start(process)
    try:
        return process.wait(timeout=CHILD_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def calibrate(scenario: Scenario, workdir: Path) -> None:
    """Run the command once without killing it: its requests, file events and result."""
    archive = workdir / f"{scenario.name}-reference"
    scenario.prepare(archive)
    events = workdir / f"{scenario.name}-events.txt"
    before = len(scenario.forum.requests)
    code = run_child(scenario.cli, scenario.command, archive, events=events)
    assert code == 0, f"the {scenario.name} run without a kill failed ({code})"
    scenario.requests = [r.path for r in scenario.forum.requests[before:]]
    scenario.events = events.read_text("utf-8").splitlines()
    data = read_thread(archive)
    assert data is not None
    scenario.assets = {a["sha256"] for a in data["assets"]}


def read_thread(archive: Path) -> dict | None:
    """The archive's only thread.json, or None when there is none."""
    found = sorted(archive.glob("threads/*/thread.json"))
    assert len(found) <= 1, found
    return json.loads(found[0].read_text("utf-8")) if found else None


def thread_bytes(archive: Path) -> bytes | None:
    found = sorted(archive.glob("threads/*/thread.json"))
    return found[0].read_bytes() if found else None


def lock_is_free(archive: Path) -> bool:
    """Whether the archive lock can be taken now (checked without `archive_lock`, which
    would also clean up after the killed run and hide what the next run must do)."""
    path = archive / LOCK_NAME
    if not path.exists():
        return True
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def complete_state_problems(scenario: Scenario, archive: Path) -> list[str]:
    """What is wrong with the archive, measured against the command's complete result."""
    data = read_thread(archive)
    if data is None:
        return ["no thread.json"]
    problems = [
        f"schema: {e.message}"
        for e in jsonschema.Draft202012Validator(
            json.loads(SCHEMA_PATH.read_text("utf-8"))
        ).iter_errors(data)
    ]
    ids = [post["id"] for post in data["posts"]]
    if len(ids) != len(set(ids)):
        problems.append(f"doubled posts: {sorted({i for i in ids if ids.count(i) > 1})}")
    if ids != scenario.expected_ids:
        missing = sorted(set(scenario.expected_ids) - set(ids))
        problems.append(f"posts {ids} are not the board's (missing: {missing})")
    revisions = {p["id"]: len(p["revisions"]) for p in data["posts"] if p["revisions"]}
    if revisions != scenario.expected_revisions:
        problems.append(f"revisions {revisions}, expected {scenario.expected_revisions}")
    if removed := [p["id"] for p in data["posts"] if p["removed_upstream_at"]]:
        problems.append(f"posts marked removed upstream: {removed}")
    if (assets := {a["sha256"] for a in data["assets"]}) != scenario.assets:
        problems.append(f"assets differ: {sorted(assets ^ scenario.assets)}")
    _, found = verify_archive(ThreadArchive(archive))
    problems += [f"verify: {p}" for p in found]
    return problems


def kill_run(scenario: Scenario, point: KillPoint, archive: Path) -> int:
    """Run the command in a subprocess and SIGKILL it at `point`; its exit code."""
    started = threading.Event()
    process_box: list[ForkedRun] = []
    seen = 0

    def kill_at_request(entry: RequestLog) -> None:
        nonlocal seen
        seen += 1
        if seen == point.index:
            started.wait(CHILD_TIMEOUT)
            process_box[0].kill()
            process_box[0].wait()  # answer only a dead scraper

    def on_start(process: ForkedRun) -> None:
        process_box.append(process)
        started.set()

    if point.kind == "request":
        scenario.forum.on_request = kill_at_request
    try:
        write_kill = point.index if point.kind == "write" else 0
        return run_child(
            scenario.cli, scenario.command, archive, on_start=on_start, kill_at=write_kill
        )
    finally:
        scenario.forum.on_request = None


def kill_and_resume(scenario: Scenario, archive: Path, *points: KillPoint) -> list[str]:
    """Kill the command at each of `points` in turn (one run each), checking the archive
    after each kill, then run it to completion; the problems found."""
    scenario.prepare(archive)
    problems = []
    for point in points:
        code = kill_run(scenario, point, archive)
        if code != -signal.SIGKILL:
            return [*problems, f"{point}: the run was not killed (exit code {code})"]
        if not lock_is_free(archive):
            problems.append(f"{point}: the lock is stuck after the kill")
        if thread_bytes(archive) != scenario.old_thread_json:  # then it must be the new state
            problems += [
                f"after the kill at {point}: {p}"
                for p in complete_state_problems(scenario, archive)
            ]

    if main([*scenario.rerun, "--archive", str(archive), *FETCH_OPTIONS]) != 0:
        return [*problems, "the next run failed"]
    problems += [f"after the next run: {p}" for p in complete_state_problems(scenario, archive)]
    if main(["verify", "--archive", str(archive)]) != 0:
        problems.append("forum-mirror verify failed")
    if stray := sorted(p.name for p in archive.rglob("*.tmp")):
        problems.append(f"temporary files left behind: {stray}")
    if len(parts := list(archive.rglob("*.part"))) > len(points):  # the killed runs', at most
        problems.append(f"unfinished WARC files: {parts}")
    return problems


def sweep(
    workdir: Path, select: Callable[[list[KillPoint]], list[KillPoint]] = list
) -> list[SweepResult]:
    """Kill a first scrape, then an update of the grown thread, at the points `select`
    keeps of each (all by default); what passed and what failed."""
    with Zygote() as cli:
        return sweep_with(cli, workdir, select)


def sweep_with(
    cli: Zygote, workdir: Path, select: Callable[[list[KillPoint]], list[KillPoint]]
) -> list[SweepResult]:
    results = []
    with DemoForum(posts_per_page=POSTS_PER_PAGE, extra_posts=first_posts()) as first:
        url, port = first.thread_url, int(first.base_url.rsplit(":", 1)[1])
        baseline = workdir / "baseline"
        assert main(["scrape", url, "--archive", str(baseline), *FETCH_OPTIONS]) == 0
        scrape = Scenario(
            "first scrape",
            first,
            cli,
            ["scrape", url],
            ["scrape", url],
            prepare=lambda archive: shutil.rmtree(archive, ignore_errors=True),
            expected_revisions={},
        )
        results.append(run_sweep(scrape, select, workdir))

    def archived(archive: Path) -> None:
        shutil.rmtree(archive, ignore_errors=True)
        shutil.copytree(baseline, archive)

    # Same port, so the same thread key: the board has moved on since the first scrape.
    with DemoForum(port=port, posts_per_page=POSTS_PER_PAGE, extra_posts=grown_posts()) as grown:
        update = Scenario(
            "update of the grown thread",
            grown,
            cli,
            ["update"],
            ["update"],
            prepare=archived,
            expected_revisions={str(EDITED_POST): 1},
            old_thread_json=thread_bytes(baseline),
        )
        results.append(run_sweep(update, select, workdir))
    return results


def run_sweep(
    scenario: Scenario, select: Callable[[list[KillPoint]], list[KillPoint]], workdir: Path
) -> SweepResult:
    calibrate(scenario, workdir)
    result = SweepResult(scenario.name)
    cases = [(point,) for point in select(scenario.kill_points())]
    # Killed again before it finishes: mid-way through the pages, then just before the next
    # run's thread.json lands (no asset stored yet by the first, so the events line up).
    pages = [p for p in scenario.kill_points() if p.label.startswith("/threads/")]
    last_write = [p for p in scenario.kill_points() if p.label == "before rename to thread.json"]
    cases.append((pages[len(pages) // 2], last_write[-1]))
    for number, kills in enumerate(cases):
        result.tried.append(kills)
        archive = workdir / f"{scenario.command[0]}-{number}"
        problems = kill_and_resume(scenario, archive, *kills)
        if problems:
            where = ", then ".join(map(str, kills))
            result.failures.append(f"{scenario.name}, {where}: {'; '.join(problems)}")
        else:
            shutil.rmtree(archive)  # failures stay for a look
    return result


def one_asset_of_many(points: list[KillPoint]) -> list[KillPoint]:
    """Every request, and every file event but those of the assets between the first and
    the last one stored (the same three steps again): keeps this file's run time short."""
    assets = [a for a in dict.fromkeys(ASSET_NAME.findall(" ".join(p.label for p in points)))]
    middle = set(assets[1:-1])
    return [
        p
        for p in points
        if p.kind == "request" or not middle.intersection(ASSET_NAME.findall(p.label))
    ]


def test_killed_at_each_request_and_write_the_next_run_resumes(tmp_path: Path) -> None:
    results = sweep(tmp_path, one_asset_of_many)
    summary = "; ".join(r.summary() for r in results)
    print(summary)
    failures = [f for r in results for f in r.failures]
    assert not failures, summary + "\n" + "\n".join(failures)
