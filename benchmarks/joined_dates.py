"""How long the engine spends on members' "joined" dates over a realistic run of posts.

A scrape of 4,000 posts by 37 members parses each member's joined date once per post: the
same 37 strings, over and over. Run: `.venv/bin/python -m benchmarks.joined_dates`, or as
part of `python -m benchmarks` (for each archive size, Arabic and English boards).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.report import Benchmark, Measurement, Plot, Sizes
from scraper.engines.dates import parse_shown_date
from scraper.site.dates import ENGLISH_MONTHS, MOROCCAN_MONTHS

MEMBERS = 37
LANGUAGES = ("ar-MA", "en")


def joined_strings(members: int, posts: int, language: str, seed: int = 37) -> list[str]:
    """`posts` joined dates as a XenForo board in `language` shows them, by `members` members."""
    rng = random.Random(seed)
    first = date(2009, 1, 1)
    days = [first + timedelta(days=rng.randrange(5000)) for _ in range(members)]
    if language.startswith("ar"):
        shown = [f"{day.day} {MOROCCAN_MONTHS[day.month - 1]} {day.year}" for day in days]
    else:
        shown = [f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}" for day in days]
    return [rng.choice(shown) for _ in range(posts)]


def timed_parse(texts: list[str], language: str) -> tuple[float, int]:
    """Seconds taken to read every one of `texts`, and how many were not read."""
    start = time.perf_counter()
    unread = sum(parse_shown_date(text, language) is None for text in texts)
    return time.perf_counter() - start, unread


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """For each archive size, the time to read its posts' joined dates on each kind of board."""
    for language in LANGUAGES:  # dateparser's start-up is not the point
        parse_shown_date(joined_strings(1, 1, language, seed=-1)[0], language)
    measured = []
    for seed, posts in enumerate(sizes.posts):
        for language in LANGUAGES:
            # Other members at each size, so no size reuses the dates an earlier one cached.
            texts = joined_strings(MEMBERS, posts, language, seed=seed)
            seconds, unread = timed_parse(texts, language)
            if unread:
                raise ValueError(f"{unread} of {posts} {language} joined dates unread")
            measured.append(Measurement(language, posts, seconds=seconds, unit="posts",
                                        note=f"{len(set(texts))} distinct dates"))
    return measured


BENCHMARK = Benchmark(
    "joined dates", run,
    about=f"Reading every post's member \"joined\" date, as a scrape does, for {MEMBERS} "
          "members: the profile's former top entry (dateparser at about 2 ms a call).",
    plots=(Plot("Joined dates: time against posts", "seconds"),))


def main() -> None:
    """Parse the joined dates of a run once and print the time it took."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--members", type=int, default=MEMBERS)
    options.add_argument("--posts", type=int, default=4000)
    options.add_argument("--language", default="ar-MA", help="the board's (default: ar-MA)")
    args = options.parse_args()
    texts = joined_strings(args.members, args.posts, args.language)
    parse_shown_date("1 Jan 2000", args.language)  # dateparser's start-up is not the point
    elapsed, unread = timed_parse(texts, args.language)
    print(f"{len(texts)} joined dates ({len(set(texts))} distinct): {elapsed * 1000:.1f} ms"
          f" ({elapsed / len(texts) * 1e6:.1f} µs a date), {unread} unread")


if __name__ == "__main__":
    main()
