"""Archives of format version 1 keep working: read, verified, built, and upgraded in place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scraper.archive import FORMAT_VERSION, ThreadArchive
from scraper.cli import main
from scraper.demo_forum import DemoForum

VERSION_1 = Path(__file__).parent / "fixtures" / "archive-v1"
KEY = "127.0.0.1_8765-2741"
DEMO_PORT = 8765  # the port the version-1 archive was scraped from (its URLs name it)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(VERSION_1, root)
    return root


def stored(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (root / "threads" / KEY / "thread.json").read_text("utf-8"))
    return data


def test_a_version_1_archive_reads_as_canonical_content(archive: Path) -> None:
    assert stored(archive)["format_version"] == 1
    assert "bbCodeBlock" in (archive / "threads" / KEY / "thread.json").read_text("utf-8")
    thread = ThreadArchive(archive).load(KEY)
    assert thread is not None
    quoting = [p for p in thread.posts if p.quotes]
    assert quoting and all("bbCode" not in p.content_html for p in thread.posts)
    quote = quoting[0].quotes[0]
    assert (f'<blockquote class="fm-quote" data-author="{quote.author}" '
            f'data-post-id="{quote.post_id}">') in quoting[0].content_html
    assert "Click to expand" not in quoting[0].content_text
    assert {p.author.member_id for p in thread.posts} == {"1187", "2306", "845"}
    assert main(["verify", "--archive", str(archive)]) == 0


def test_the_mirror_of_a_version_1_archive_links_its_quotes(archive: Path, tmp_path: Path
                                                             ) -> None:
    output = tmp_path / "site"
    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    pages = "".join(p.read_text("utf-8") for p in (output / "threads" / KEY).glob("*.html"))
    assert '<a href="index.html#post-118287"><bdi>atlas_eagle</bdi>' in pages
    assert "bbCode" not in pages


def test_update_upgrades_the_archive_in_place_and_verify_passes(archive: Path) -> None:
    before = stored(archive)
    with DemoForum(port=DEMO_PORT):
        assert main(["update", "--archive", str(archive), "--delay", "0",
                     "--allow-private-addresses", "--log-json", str(archive / "log.jsonl")]
                    ) == 0
    after = stored(archive)
    assert after["format_version"] == FORMAT_VERSION == 2
    summary = json.loads((archive / "log.jsonl").read_text("utf-8").splitlines()[-1])
    assert (summary["new_posts"], summary["edited_posts"], summary["removed_posts"]) == (0, 0, 0)
    posts_before = before["posts"]
    posts_after = after["posts"]
    assert isinstance(posts_before, list) and isinstance(posts_after, list)
    assert [p["id"] for p in posts_after] == [p["id"] for p in posts_before]
    assert all(p["revisions"] == [] for p in posts_after)  # upgrading is no edit
    assert all(p["first_seen_at"] == q["first_seen_at"] for p, q in zip(posts_after, posts_before,
                                                                         strict=True))
    assert "bbCodeBlock" not in (archive / "threads" / KEY / "thread.json").read_text("utf-8")
    assert after["cursor"] is not None
    assert main(["verify", "--archive", str(archive)]) == 0
