"""Milliseconds per thread page for every engine, over the pages of its test fixtures.

Run: `.venv/bin/python -m benchmarks.engine_parse [--rounds N]` (one line per page), or as
part of `python -m benchmarks` (one line per engine). Each page is parsed once to warm the
caches (dates, URL parsing), then `rounds` times; the best round counts, since the others
only add the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.report import Benchmark, Measurement, Plot, Sizes
from benchmarks.scrape import generated_posts
from scraper.demo_forum import pages
from scraper.demo_forum.seed import build_thread
from scraper.engines import ENGINES, Engine

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
# A thread of the scrape benchmark's board (20 posts a page): its page 3 has pages before
# and after it.
BOARD_POSTS = 400


def fixture_pages(engine: Engine) -> list[tuple[str, str]]:
    """(name, text) of the engine's thread pages (an API engine's: its JSON answers); the
    demo forum's for XenForo 2, and a page of 20 posts of the scrape benchmark's board."""
    if engine.name == "xenforo2":
        board = build_thread(generated_posts(BOARD_POSTS))
        return [*((f"demo page-{n}", pages.render_thread_page(n)) for n in (1, 2)),
                ("board page-3", pages.render_thread_page(3, thread=board, posts_per_page=20))]
    # Its folder is named after it, maybe with a version (`phpbb-3.3`): not `vbulletin5/` for
    # `vbulletin`.
    files = sorted(f for folder in FIXTURES.iterdir()
                   if folder.name == engine.name or folder.name.startswith(f"{engine.name}-")
                   for suffix in ("html", "json") for f in folder.glob(f"**/*page-*.{suffix}"))
    return [(str(f.relative_to(FIXTURES)), f.read_text("utf-8")) for f in files]


def milliseconds_per_page(engine: Engine, html: str, rounds: int) -> float:
    engine.parse_page(html, engine.example)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        engine.parse_page(html, engine.example)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """Seconds per page for each engine: the mean over its fixture pages."""
    measured = []
    for engine_class in ENGINES:
        engine = engine_class()
        htmls = [html for _, html in fixture_pages(engine)]
        posts = [len(engine.parse_page(html, engine.example).posts) for html in htmls]
        ms = [milliseconds_per_page(engine, html, sizes.repeats) for html in htmls]
        measured.append(Measurement(
            engine.name, 1, seconds=sum(ms) / len(ms) / 1000, unit="page",
            note=f"mean of {len(htmls)} fixture pages of {min(posts)}-{max(posts)} posts"))
    return measured


BENCHMARK = Benchmark(
    "engine parse", run,
    about="Time an engine takes to read one thread page (page HTML to posts, no I/O), over "
          "its test fixtures; the best of `repeats` rounds per page.",
    plots=(Plot("Parse time per page by engine", "seconds", bars=True),))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"{'engine':<10} {'page':<44} {'KB':>5} {'posts':>5} {'ms/page':>8}")
    for engine_class in ENGINES:
        engine = engine_class()
        for name, html in fixture_pages(engine):
            posts = len(engine.parse_page(html, engine.example).posts)
            ms = milliseconds_per_page(engine, html, args.rounds)
            print(f"{engine.name:<10} {name:<44} {len(html.encode()) // 1024:>5} {posts:>5} "
                  f"{ms:>8.2f}")


if __name__ == "__main__":
    main()
