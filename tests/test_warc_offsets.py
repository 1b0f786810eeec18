"""Every capture knows where its WARC record starts, so the board's markup is one seek away."""

from __future__ import annotations

from warcio.archiveiterator import ArchiveIterator

from .conftest import ScrapedDemo


def test_each_page_and_post_names_the_offset_of_its_record(scraped_demo: ScrapedDemo) -> None:
    thread = scraped_demo.archive.load(scraped_demo.summary.key)
    assert thread is not None
    captures = [page.capture for page in thread.pages] + [a.capture for a in thread.assets]
    assert captures and all(c.warc_offset is not None for c in captures)
    for capture in captures:
        with (scraped_demo.root / capture.warc_file).open("rb") as stream:
            stream.seek(capture.warc_offset or 0)
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Record-ID") == capture.warc_record_id
    offsets = {p.capture.warc_record_id: p.capture.warc_offset for p in thread.pages}
    assert all(post.warc_offset == offsets[post.warc_record_id] for post in thread.posts)


def test_reading_by_offset_gives_the_record_and_a_wrong_offset_still_finds_it(
    scraped_demo: ScrapedDemo,
) -> None:
    thread = scraped_demo.archive.load(scraped_demo.summary.key)
    assert thread is not None
    page = thread.pages[-1].capture
    scanned = scraped_demo.archive.warc_payload(page.warc_file, page.warc_record_id)
    assert scraped_demo.archive.warc_payload(page.warc_file, page.warc_record_id,
                                             page.warc_offset) == scanned
    assert scraped_demo.archive.warc_payload(page.warc_file, page.warc_record_id, 0) == scanned
    assert scanned.startswith(b"<!DOCTYPE html>") or b"<html" in scanned[:200]
