"""The benchmarks keep working: each runs on tiny sizes here (their figures are not checked)."""

from __future__ import annotations

import pytest

from benchmarks import search
from scraper.site.arabic import search_words


@pytest.mark.browser
def test_search_benchmark_answers_queries_over_http_and_from_files() -> None:
    queries = ["المغرب", "في", "Benny Gantz"]
    answers = list(search.run(60, ["http", "file"], queries))
    assert [(a.mode, a.query) for a in answers] == [
        (mode, query) for mode in ("http", "file") for query in queries
    ]
    data = search.generate(60)
    words = [search_words(post.text) for post in data.posts]
    for answer in answers:
        assert answer.ms > 0 and answer.total_bytes > answer.search_bytes > 0
        terms = search_words(answer.query)
        expected = sum(all(any(w.startswith(t) for w in post) for t in terms) for post in words)
        if answer.mode == "file":
            assert len(answer.hits) == min(expected, 50)
            assert answer.status.endswith(str(expected)) if expected else not answer.hits
            # rules, manifest, filters, one shard a term, at most one posts file a hit
            assert answer.files <= 3 + len(terms) + len(answer.hits)
