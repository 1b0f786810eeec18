"""Threads rendered by a forked worker process come out exactly as rendered by the build's own."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from scraper.site.authors import AuthorStore
from scraper.site.build import build_site, cache_folder
from scraper.site.build_cache import AUTHORS_FILE
from scraper.site.render_worker import WORKER_SETTING

from .archive_factory import PostSpec, build_fixture_archive, build_thread_archive, settings_file

ROOT = Path(__file__).resolve().parents[1]
# build_site(ARCHIVE, OUTPUT, SETTINGS) in a fresh process: its report and what the worker did.
PARALLEL_BUILD = """
import json, logging, signal, sys
from pathlib import Path
from scraper.site.build import build_site
from scraper.errors import Interrupted
def interrupted(signum, frame):  # as the CLI's handler does
    raise Interrupted(signum)
signal.signal(signal.SIGTERM, interrupted)
said = []
handler = logging.Handler()
handler.emit = lambda record: said.append(record.getMessage())
logging.getLogger("scraper.site.render_worker").addHandler(handler)
logging.getLogger("scraper.site.render_worker").setLevel(logging.DEBUG)
report = build_site(*map(Path, sys.argv[1:4]))
print(json.dumps({"threads": report.threads, "posts": report.posts, "pages": report.pages,
                  "unreadable": [str(u.path) for u in report.unreadable],
                  "worker": [m for m in said if "worker process" in m]}))
"""


def site_files(output: Path) -> dict[str, bytes]:
    """Every file of the site but Pagefind's index (the same search data on both sides)."""
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in output.rglob("*")
        if path.is_file() and "pagefind" not in path.relative_to(output).parts
    }


def test_a_worker_renders_the_same_site_and_report(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    build_fixture_archive(archive)
    for number, language in ((1, "en"), (2, "he"), (3, "en")):
        texts = [f"Post {n} of thread {number}, about Fes." for n in range(30)]
        posts = [PostSpec(f"writer {n % 4}", html=text, text=text) for n, text in enumerate(texts)]
        build_thread_archive(
            archive, posts, key=f"forum.example-{number}", title=f"T {number}", language=language
        )
    broken = archive / "threads" / "forum.example-9" / "thread.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    here = tmp_path / "here"
    here.mkdir()
    forked = tmp_path / "forked"
    forked.mkdir()
    serial = build_site(archive, tmp_path / "serial",
                        settings_file(here, **{WORKER_SETTING: 2**62}))  # fmt: skip
    # In a process of its own: threads other tests leave in this one keep it from forking.
    run = subprocess.run(
        [sys.executable, "-c", PARALLEL_BUILD, str(archive), str(tmp_path / "parallel"),
         str(settings_file(forked, **{WORKER_SETTING: 0}))],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    parallel = json.loads(run.stdout)
    # The SIGTERM that ends the worker is not taken for the build's own (a traceback).
    assert "Traceback" not in run.stderr, run.stderr
    assert parallel["worker"] and not parallel["worker"][0].startswith("0 "), parallel
    assert [parallel["threads"], parallel["posts"], parallel["pages"]] == [
        serial.threads, serial.posts, serial.pages]  # fmt: skip
    assert parallel["unreadable"] == [str(broken)]
    assert site_files(tmp_path / "parallel") == site_files(tmp_path / "serial")
    # The author pages the worker wrote are marked as rendered: the next build leaves them.
    store = AuthorStore.reader(cache_folder(tmp_path / "parallel") / AUTHORS_FILE)
    try:
        assert store.pages() and not store.stale()
    finally:
        store.close()


def test_the_cli_build_status_starts_no_thread() -> None:
    """With a thread alive the build renders on one core (it forks no worker): the status
    line `forum-mirror build` shows must not animate itself from a thread, as rich's does."""
    from scraper.cli.build import build_status

    before = threading.active_count()
    with build_status("building"):
        assert threading.active_count() == before


# The worker's signal handlers, from a fresh process whose own SIGTERM handler raises (as the
# CLI's does): the SIGTERM that ends the worker must end it, not raise there.
WORKER_SIGNALS = """
import signal
from scraper.site.render_worker import RenderWorker
signal.signal(signal.SIGTERM, lambda signum, frame: None)
tasks = {"signals": lambda _: (signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
                               signal.getsignal(signal.SIGINT) == signal.SIG_IGN)}
with RenderWorker(tasks, start=True) as worker:
    print(worker.share("signals", [None])()[0])
"""


def test_the_worker_leaves_signals_to_the_build() -> None:
    run = subprocess.run([sys.executable, "-c", WORKER_SIGNALS], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)  # fmt: skip
    assert run.stdout.strip() == "((True, True), True)", run.stderr


# Items shared between the worker and this process (RenderWorker.share): each result in order,
# whichever process ran it, and which one did.
WORKER_SHARE = """
import os
from scraper.site.render_worker import RenderWorker
tasks = {"twice": lambda n: (n * 2, os.getpid())}
with RenderWorker(tasks, start=True) as worker:
    results = worker.share("twice", list(range(40)))()
print([value for (value, _), _ in results] == [n * 2 for n in range(40)],
      all((pid != os.getpid()) == elsewhere for (_, pid), elsewhere in results),
      any(elsewhere for _, elsewhere in results))
"""


def test_shared_items_come_back_in_order_from_either_process() -> None:
    run = subprocess.run([sys.executable, "-c", WORKER_SHARE], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)  # fmt: skip
    assert run.stdout.split() == ["True", "True", "True"], run.stderr
