"""The benchmarks' code runs, at tiny sizes, so that it cannot rot (CI runs no benchmark)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.scrape import compare_scrape, scrape_table, update_costs, update_table


def test_scrape_benchmark_at_tiny_size(tmp_path: Path) -> None:
    result = compare_scrape(3, 3, tmp_path / "scrape", forum_dl=None)
    ours, bare = result.run("forum-mirror"), result.run("bare httpx loop")
    assert ours is not None and bare is not None
    assert ours.usage.exit_code == bare.usage.exit_code == 0
    # The bare loop fetches exactly what the scrape fetched: robots.txt, 3 pages, assets.
    assert ours.requests == bare.requests == result.urls > 4
    assert ours.usage.peak_rss_bytes > 0 and ours.usage.seconds > 0
    assert "forum-mirror / bare loop" in scrape_table(result)
    costs = update_costs([9, 27], tmp_path, posts_per_page=1)
    # An unchanged re-check costs robots.txt and one conditional request, however long.
    assert [(c.pages, c.requests, c.new_posts) for c in costs] == [(9, 2, 0), (27, 2, 0)]
    assert "unchanged update" in update_table(costs)
