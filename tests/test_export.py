"""`forum-mirror export --format jsonl`: one JSON object per post, in thread order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.cli import main

from .conftest import ScrapedDemo

CONTRACT_FIELDS = {
    "thread_url", "thread_id", "thread_title", "post_id", "position", "author", "author_url",
    "published", "published_text", "content_html", "content_text", "quotes", "images",
    "source_url", "fetched_at", "page_sha256", "warc_record_id", "engine",
}


def test_export_to_stdout_has_every_post_in_order(
    scraped_demo: ScrapedDemo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "jsonl", "--archive", str(scraped_demo.root)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == scraped_demo.summary.posts
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    for row in rows:
        assert row.keys() >= CONTRACT_FIELDS
        assert row["engine"] == "xenforo2"
        assert row["source_url"].endswith(f"#post-{row['post_id']}")
        for image in row["images"]:
            assert {"url", "path", "sha256", "content_type", "bytes"} <= image.keys()
            assert (scraped_demo.root / image["path"]).is_file()
    quoting = [r for r in rows if r["quotes"]]
    post_ids = {r["post_id"] for r in rows}
    assert quoting and all(quoted in post_ids for quoted in quoting[0]["quotes"])


def test_export_to_a_file_matches_stdout(
    scraped_demo: ScrapedDemo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "posts.jsonl"
    assert main(["export", "--archive", str(scraped_demo.root), "-o", str(out)]) == 0
    main(["export", "--archive", str(scraped_demo.root), "-o", "-"])
    assert out.read_text("utf-8") == capsys.readouterr().out


def test_export_of_a_missing_archive_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--archive", str(tmp_path / "nope")]) != 0
    assert "no archive" in capsys.readouterr().err
