"""`forum-mirror verify` passes on an intact archive and names each altered file and post."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scraper.cli import main

from .conftest import ScrapedDemo


@pytest.fixture
def archive(scraped_demo: ScrapedDemo, tmp_path: Path) -> Path:
    """A private copy of the scraped demo archive, free to damage."""
    copy = tmp_path / "archive"
    shutil.copytree(scraped_demo.root, copy)
    return copy


def thread_json(archive: Path) -> Path:
    (path,) = archive.glob("threads/*/thread.json")
    return path


def verify(archive: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", "--archive", str(archive)])
    return code, capsys.readouterr().err


def test_intact_archive_verifies(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = verify(archive, capsys)
    assert code == 0, err
    assert "1 thread(s) verified" in err


def test_intact_archive_verifies_after_a_conditional_rescrape(
    scraped_demo: ScrapedDemo, archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forum = scraped_demo.forum
    assert main(["scrape", forum.thread_url, "--archive", str(archive), "--delay", "0"]) == 0
    code, err = verify(archive, capsys)
    assert code == 0, err


def test_corrupted_asset_is_named(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asset = sorted(archive.glob("threads/*/assets/*"))[0]
    data = bytearray(asset.read_bytes())
    data[100] ^= 0xFF
    asset.write_bytes(bytes(data))
    code, err = verify(archive, capsys)
    assert code == 8
    assert asset.name in err and "altered" in err


def test_tampered_post_is_named(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = thread_json(archive)
    data = json.loads(path.read_text("utf-8"))
    post = data["posts"][2]
    post["content_text"] = post["content_text"].replace("المغرب", "الجزائر") + " (edited)"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, err = verify(archive, capsys)
    assert code == 8
    assert f"post {post['id']}: differs from the page" in err
    assert err.count("differs from the page") == 1  # only that post


def test_schema_violation_is_reported(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = thread_json(archive)
    data = json.loads(path.read_text("utf-8"))
    del data["posts"][0]["page_sha256"]
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, err = verify(archive, capsys)
    assert code == 8
    assert "schema" in err and "page_sha256" in err


def test_damaged_warc_is_reported(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (warc,) = archive.glob("threads/*/warc/*.warc.gz")
    data = warc.read_bytes()
    warc.write_bytes(data[: len(data) // 2])
    code, err = verify(archive, capsys)
    assert code == 8
    assert "warc" in err.lower()
