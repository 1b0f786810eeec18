"""How long the engine spends on members' "joined" dates over a realistic run of posts.

A scrape of 4,000 posts by 37 members parses each member's joined date once per post: the
same 37 strings, over and over. Run: `.venv/bin/python -m benchmarks.joined_dates`.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

from scraper.engines.dates import parse_shown_date
from scraper.site.dates import ENGLISH_MONTHS, MOROCCAN_MONTHS


def joined_strings(members: int, posts: int, language: str) -> list[str]:
    """`posts` joined dates as a XenForo board in `language` shows them, by `members` members."""
    rng = random.Random(37)
    first = date(2009, 1, 1)
    days = [first + timedelta(days=rng.randrange(5000)) for _ in range(members)]
    if language.startswith("ar"):
        shown = [f"{day.day} {MOROCCAN_MONTHS[day.month - 1]} {day.year}" for day in days]
    else:
        shown = [f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}" for day in days]
    return [rng.choice(shown) for _ in range(posts)]


def main() -> None:
    """Parse the joined dates of a run once and print the time it took."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--members", type=int, default=37)
    options.add_argument("--posts", type=int, default=4000)
    options.add_argument("--language", default="ar-MA", help="the board's (default: ar-MA)")
    args = options.parse_args()
    texts = joined_strings(args.members, args.posts, args.language)
    parse_shown_date("1 Jan 2000", args.language)  # dateparser's start-up is not the point
    start = time.perf_counter()
    unread = sum(parse_shown_date(text, args.language) is None for text in texts)
    elapsed = time.perf_counter() - start
    print(f"{len(texts)} joined dates ({len(set(texts))} distinct): {elapsed * 1000:.1f} ms"
          f" ({elapsed / len(texts) * 1e6:.1f} µs a date), {unread} unread")


if __name__ == "__main__":
    main()
