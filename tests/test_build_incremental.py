"""Rebuilds write only what changed: nothing for an unchanged archive, one thread's pages and
the site-wide pages it touches after an update of that thread (scraper/site/build_cache.py,
scraper/site/output.py)."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup
from selectolax.lexbor import LexborHTMLParser

from scraper.archive import ThreadArchive
from scraper.cli import _build_folders
from scraper.migrate import CURRENT_VERSION
from scraper.site.authors import AuthorContribution, AuthorPost, AuthorStore
from scraper.site.build import DEFAULT_SETTINGS_FILE, build_site, cache_folder
from scraper.site.generator import ThreadSiteGenerator
from scraper.site.output import (
    inodes,
    remove_all_but,
    sync_folder,
    write_if_changed,
    write_linked,
)
from scraper.site.template_cache import TEMPLATES_DIR, TemplateCache
from scraper.site.unchanged import RECORD_FILE
from scraper.thread_state import ThreadStates

from .archive_factory import (
    POST_COUNT,
    PostSpec,
    build_fixture_archive,
    build_thread_archive,
    settings_file,
)

ROOT = Path(__file__).resolve().parents[1]

OTHER_KEY = "forum.example-5000"


def snapshot(output: Path) -> dict[str, tuple[int, int]]:
    """Every file of the site with its mtime and inode: a rewrite changes one of them."""
    return {
        path.relative_to(output).as_posix(): (path.stat().st_mtime_ns, path.stat().st_ino)
        for path in output.rglob("*")
        if path.is_file()
    }


def two_thread_archive(root: Path) -> str:
    """The fixture thread and a second, English one; returns the fixture thread's key."""
    fixture = build_fixture_archive(root)
    texts = [f"Post {n} about Rabat." for n in range(5)]
    posts = [PostSpec(f"writer {n % 3}", html=text, text=text) for n, text in enumerate(texts)]
    build_thread_archive(root, posts, key=OTHER_KEY, title="An English thread", language="en")
    return fixture.key


def add_post(root: Path, key: str) -> str:
    """A later run found one more post in thread `key`; returns its id."""
    archive = ThreadArchive(root)
    thread = archive.load(key)
    assert thread is not None
    last = thread.posts[-1]
    new = dataclasses.replace(
        last,
        id=str(int(last.id) + 1),
        position=last.position + 1,
        content_text="منشور جديد عن طنجة",
        content_html='<div class="bbWrapper">منشور جديد عن طنجة</div>',
        first_seen_at="2026-12-01T08:00:00Z",
    )
    archive.save(dataclasses.replace(thread, posts=[*thread.posts, new]))
    return new.id


def test_an_unchanged_rebuild_writes_no_file(tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    two_thread_archive(archive)
    first = build_site(archive, output)
    before = snapshot(output)
    second = build_site(archive, output)
    assert snapshot(output) == before
    # The report still counts the pages left as they were.
    assert (second.threads, second.posts, second.pages) == (first.threads, first.posts,
                                                              first.pages)  # fmt: skip
    assert first.posts == POST_COUNT + 5
    assert second.unchanged and not first.unchanged  # told before Pelican (unchanged.py)
    # Without that record, the whole build runs: it too finds every thread as it was.
    (cache_folder(output) / RECORD_FILE).unlink()
    third = build_site(archive, output)
    assert not third.unchanged and snapshot(output) == before
    assert (third.threads, third.posts, third.pages) == (first.threads, first.posts,
                                                         first.pages)  # fmt: skip


# A rebuild in a fresh process: whether it found nothing changed, and which of the modules
# that make the command line's start-up slow it imported (cli/__init__.py).
REBUILD = """
import sys
from pathlib import Path
from typing import Any
from scraper.cli import main
code = main(["build", "--archive", sys.argv[1], f"--output={sys.argv[2]}"])
slow = ("pelican", "jinja2", "rich", "httpx", "scraper.engines", "scraper.cli.commands")
print(code, *[name for name in slow if name in sys.modules])
"""


def test_a_rebuild_with_nothing_changed_stops_before_importing_pelican(tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    two_thread_archive(archive)
    build_site(archive, output)
    rebuild = subprocess.run([sys.executable, "-c", REBUILD, str(archive), str(output)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert rebuild.stdout.split() == ["0"], rebuild.stderr
    said = " ".join(rebuild.stderr.split())  # the console wraps its lines
    assert "Nothing changed since the last build" in said and "2 thread(s)" in said
    # A build with something to do needs Pelican, not the rest of the command line.
    add_post(archive, OTHER_KEY)
    rebuild = subprocess.run([sys.executable, "-c", REBUILD, str(archive), str(output)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    code, *imported = rebuild.stdout.split()
    assert code == "0" and "pelican" in imported, rebuild.stderr
    assert "scraper.cli.commands" not in imported and "httpx" not in imported
    assert "Built 2 thread(s)" in " ".join(rebuild.stderr.split())


def test_only_a_plain_build_command_line_is_answered_before_the_full_command_line() -> None:
    """Any other spelling (abbreviated options, -v, --help) goes to argparse as before."""
    assert _build_folders(["build"]) == {"archive": Path("content"), "output": Path("output")}
    assert _build_folders(["build", "--output", "o", "--archive=a"]) == {
        "archive": Path("a"), "output": Path("o")}
    for argv in (["build", "--arch", "a"], ["-v", "build"], ["build", "--help"],
                 ["build", "--output"], ["build", "--output=", "o"], ["export"], []):
        assert _build_folders(argv) is None, argv


def test_the_command_lines_names_import_from_scraper_cli_in_a_fresh_process() -> None:
    """They are commands.py's, loaded on first use (cli/__init__.py's `__getattr__`)."""
    names = "from scraper.cli import EXIT_TOTAL_FAILURE, build_parser; print(EXIT_TOTAL_FAILURE)"
    done = subprocess.run([sys.executable, "-c", names], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr


def test_a_rebuild_sees_each_kind_of_change(tmp_path: Path) -> None:
    """A changed thread, thread state, theme or settings file, and a deleted or altered
    output file, each make the next build a full one (unchanged.py checks them all)."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    theme = tmp_path / "theme"
    shutil.copytree(DEFAULT_SETTINGS_FILE.parent / "theme", theme)
    settings = settings_file(tmp_path, THEME=str(theme))
    assert not build_site(archive, output, settings).unchanged
    assert build_site(archive, output, settings).unchanged

    add_post(archive, key)
    assert build_site(archive, output, settings).posts == POST_COUNT + 5 + 1
    assert build_site(archive, output, settings).unchanged

    page = output / "threads" / key / "page-2.html"
    page.unlink()
    assert not build_site(archive, output, settings).unchanged and page.is_file()
    index = output / "index.html"
    index.write_text("altered")
    assert not build_site(archive, output, settings).unchanged
    assert "altered" not in index.read_text(encoding="utf-8")

    template = theme / "templates" / "index.html"
    block = "{% block content %}"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace(block, f"{block}<p>theme changed</p>"), encoding="utf-8")
    assert not build_site(archive, output, settings).unchanged
    assert "theme changed" in index.read_text(encoding="utf-8")

    settings.write_text(settings.read_text(encoding="utf-8") + "SITENAME = 'Renamed'\n")
    assert not build_site(archive, output, settings).unchanged
    assert "Renamed" in index.read_text(encoding="utf-8")

    states = ThreadStates(ThreadArchive(archive))
    thread = ThreadArchive(archive).load(key)
    assert thread is not None
    assert states.record(thread, CURRENT_VERSION, checked_at="2031-01-01T00:00:00Z")
    assert not build_site(archive, output, settings).unchanged
    assert build_site(archive, output, settings).unchanged


def test_one_changed_thread_rewrites_its_pages_and_the_index_not_other_threads(
    tmp_path: Path,
) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    build_site(archive, output)
    before = snapshot(output)
    new_id = add_post(archive, key)
    report = build_site(archive, output)
    after = snapshot(output)
    changed = {name for name in after if after[name] != before.get(name)}
    assert report.posts == POST_COUNT + 5 + 1
    assert f"threads/{key}/page-2.html" in changed  # the new post's page
    assert f"threads/{key}/posts/{new_id}.html" in changed  # its permalink stub, new
    assert {"index.html", "feed.atom"} <= changed  # post counts, the newest post
    assert any(name.startswith("search/") for name in changed)
    # The search files: the changed thread's posts files, none of the other thread's.
    posts_files = "search/offline/posts/"
    assert any(name.startswith(posts_files) for name in changed)
    assert len({name.split("/")[3] for name in changed if name.startswith(posts_files)}) == 1
    assert not [name for name in changed if name.startswith(f"threads/{OTHER_KEY}/")]
    # Stubs of the thread's older posts still point at the same pages: not rewritten.
    assert f"threads/{key}/posts/{int(new_id) - 1}.html" not in changed
    # The other thread's authors: their pages show nothing of the changed thread.
    others = [name for name in after if name.startswith("authors/writer-")]
    assert others and not [name for name in others if name in changed]
    assert (output / f"threads/{key}/page-2.html").read_text(encoding="utf-8").count(
        "منشور جديد عن طنجة"
    ) == 1


@pytest.mark.parametrize("forked", [False, True], ids=["here", "forked writer"])
def test_a_post_added_to_the_last_page_rewrites_only_the_first_and_last_pages(
    tmp_path: Path, forked: bool
) -> None:
    """What changes with every post (the thread's post count, its zip's size) is shown on
    the first page only: the pages between stay as they were, file and inode, so that a
    publish of the site uploads two pages of the thread, not all of them."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    settings = settings_file(tmp_path, THREAD_POSTS_PER_PAGE=7,
                             THREAD_RENDER_WORKER_MIN_BYTES=0 if forked else 10**12)  # fmt: skip
    build_site(archive, output, settings)
    folder = f"threads/{key}"
    pages = ["index.html", "page-2.html", "page-3.html", "page-4.html"]
    assert [(output / folder / page).is_file() for page in [*pages, "page-5.html"]] == [
        True, True, True, True, False]  # fmt: skip
    before = snapshot(output)
    add_post(archive, key)
    build_site(archive, output, settings)
    after = snapshot(output)
    changed = [page for page in pages if after[f"{folder}/{page}"] != before[f"{folder}/{page}"]]
    assert changed == ["index.html", "page-4.html"]
    first = LexborHTMLParser((output / folder / "index.html").read_text(encoding="utf-8"))
    assert f": {POST_COUNT + 1}" in first.css_first(".thread-meta").text()  # was 24
    assert first.css_first(".thread-download-size") is not None
    middle = LexborHTMLParser((output / folder / "page-2.html").read_text(encoding="utf-8"))
    assert middle.css_first("a.thread-download") is not None  # the link, on every page
    assert middle.css_first(".thread-download-size") is None


def test_a_rebuild_takes_the_kept_threads_search_digests_without_hashing_their_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which search terms the cache holds for a thread is found by a digest of its posts:
    kept with the thread's data, not computed again from every kept thread's text by every
    build (a sixth of a rebuild's time at 100,000 posts)."""
    from scraper.site import offline_index, pages

    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    build_site(archive, output)
    hashed: list[int] = []
    digest = offline_index.posts_digest

    def counting(posts: list[offline_index.SearchPost]) -> str:
        hashed.append(len(posts))
        return digest(posts)

    monkeypatch.setattr(offline_index, "posts_digest", counting)
    monkeypatch.setattr(pages, "posts_digest", counting)
    (output / "search" / "offline-index.js").unlink()  # the search files written again
    build_site(archive, output)
    assert hashed == []
    add_post(archive, key)
    build_site(archive, output)
    assert hashed == [POST_COUNT + 1]  # the changed thread's, as its pages are made
    build_site(archive, tmp_path / "fresh")
    assert _search_answers(output) == _search_answers(tmp_path / "fresh")


def test_a_rebuild_reads_no_kept_threads_search_posts_unless_it_needs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept thread's search posts stay in their file of the build cache: a rebuild after
    another thread changed (its search files rewritten, the kept thread's posts files kept)
    reads none of them; one whose cached search terms are gone reads them again, and gives
    the same answers."""
    from scraper.site.build_cache import BuildCache

    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    build_site(archive, output)
    read: list[str] = []
    read_posts = BuildCache._read_search_posts

    def counting(self: BuildCache, thread: str, fingerprint: str) -> Any:
        read.append(thread)
        return read_posts(self, thread, fingerprint)

    monkeypatch.setattr(BuildCache, "_read_search_posts", counting)
    add_post(archive, key)
    build_site(archive, output)
    assert read == []
    shutil.rmtree(cache_folder(output) / "search-terms")
    add_post(archive, key)
    build_site(archive, output)
    assert read == [OTHER_KEY]
    build_site(archive, tmp_path / "fresh")
    assert _search_answers(output) == _search_answers(tmp_path / "fresh")


def test_a_damaged_kept_search_posts_file_is_read_again_from_the_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every kept thread whose search posts cannot be read from the build cache when they
    are needed is read again from its thread.json, with a warning, in the same build: the
    site is the one a full build writes."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    build_site(archive, output)
    kept = cache_folder(output) / "threads" / f"{OTHER_KEY}.search.pickle"
    assert kept.is_file()
    kept.write_bytes(b"not a pickle")
    shutil.rmtree(cache_folder(output) / "search-terms")  # so that the posts are needed
    add_post(archive, key)
    build_site(archive, output)
    assert f"search posts of {OTHER_KEY}" in caplog.text
    assert "reading the thread again" in caplog.text
    assert not kept.exists()  # forgotten: the next build renders that thread anew
    build_site(archive, tmp_path / "fresh")
    assert _site_files(output) == _site_files(tmp_path / "fresh")
    assert _search_answers(output) == _search_answers(tmp_path / "fresh")
    add_post(archive, key)
    build_site(archive, output)  # the next that renders anything renders that thread too
    assert kept.is_file()


def test_what_a_build_froze_from_the_gc_is_unfrozen_after_it_even_a_failed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output is written with the objects alive by then frozen (generator.py): a process
    that builds again (a scheduled job, these tests) must not keep them, and the cycles
    among them, out of the collector for good."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    gc.unfreeze()  # whatever froze before (the command line's imports), not this build
    frozen_while_writing: list[int] = []
    write_index = ThreadSiteGenerator._write_index

    def noting_index(self: ThreadSiteGenerator, *args: Any) -> None:
        frozen_while_writing.append(gc.get_freeze_count())
        write_index(self, *args)

    monkeypatch.setattr(ThreadSiteGenerator, "_write_index", noting_index)
    build_site(archive, output)
    assert frozen_while_writing[0] > 1000 and gc.get_freeze_count() == 0

    def failing_index(self: ThreadSiteGenerator, *args: Any) -> None:
        frozen_while_writing.append(gc.get_freeze_count())
        raise OSError("disk full")

    monkeypatch.setattr(ThreadSiteGenerator, "_write_index", failing_index)
    add_post(archive, key)
    with pytest.raises(Exception, match="disk full"):
        build_site(archive, output)
    assert frozen_while_writing[1] > 1000 and gc.get_freeze_count() == 0


def test_a_deleted_page_is_written_again(tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    build_site(archive, output)
    (output / "threads" / key / "page-2.html").unlink()
    build_site(archive, output)
    assert (output / "threads" / key / "page-2.html").is_file()


def test_a_rebuild_unpublishes_a_thread_gone_from_the_archive(tmp_path: Path) -> None:
    """Its pages, permalinks, zip and assets, and the pages of authors who wrote only there,
    leave the site: what is left is what a build from scratch writes."""
    archive, output, fresh = tmp_path / "archive", tmp_path / "site", tmp_path / "fresh"
    two_thread_archive(archive)
    build_site(archive, output)
    gone_authors = {name for name in _site_files(output) if name.startswith("authors/writer-")}
    assert gone_authors and (output / "threads" / OTHER_KEY / "index.html").is_file()
    shutil.rmtree(ThreadArchive(archive).thread_dir(OTHER_KEY))
    build_site(archive, output)
    assert not (output / "threads" / OTHER_KEY).exists()
    assert not gone_authors & set(_site_files(output))
    build_site(archive, fresh)
    assert _site_files(output) == _site_files(fresh)


@pytest.mark.parametrize("forked", [False, True], ids=["here", "forked writer"])
def test_a_rebuild_unpublishes_the_pages_and_posts_a_thread_no_longer_has(
    tmp_path: Path, forked: bool
) -> None:
    """A thread.json rewritten with fewer posts (a restored backup, a thread split in two)
    leaves no page, permalink or author page of the posts it lost, whichever process writes
    its pages (a single changed thread's: a forked child, generator._fork_writer)."""
    archive, output, fresh = tmp_path / "archive", tmp_path / "site", tmp_path / "fresh"
    key = two_thread_archive(archive)
    settings = settings_file(tmp_path, THREAD_RENDER_WORKER_MIN_BYTES=0 if forked else 10**12)
    build_site(archive, output, settings)
    store = ThreadArchive(archive)
    thread = store.load(key)
    assert thread is not None
    lost = thread.posts[3:]
    assert (output / "threads" / key / "page-2.html").is_file()
    store.save(dataclasses.replace(thread, posts=thread.posts[:3]))
    build_site(archive, output, settings)
    left = set(_site_files(output))
    assert f"threads/{key}/page-2.html" not in left
    assert not {f"threads/{key}/posts/{post.id}.html" for post in lost} & left
    assert f"threads/{key}/posts/{thread.posts[0].id}.html" in left
    build_site(archive, fresh, settings)
    assert _site_files(output) == _site_files(fresh)


def test_an_unreadable_thread_keeps_its_pages_until_it_reads_again(tmp_path: Path) -> None:
    """Left out of the site's index and reported, but not unpublished: a damaged thread.json
    is a fault to repair, not a thread gone."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    two_thread_archive(archive)
    build_site(archive, output)
    page = output / "threads" / OTHER_KEY / "index.html"
    before = page.read_bytes()
    (ThreadArchive(archive).thread_dir(OTHER_KEY) / "thread.json").write_text("{", "utf-8")
    report = build_site(archive, output)
    assert [u.path.parent.name for u in report.unreadable] == [OTHER_KEY]
    assert page.read_bytes() == before


def test_remove_all_but_deletes_the_rest_and_the_folders_it_empties(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "thread", tmp_path / "elsewhere"
    for name in ("index.html", "page-2.html", "posts/1.html", "posts/2.html", "old/x.html"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    (elsewhere / "kept.txt").parent.mkdir()
    (elsewhere / "kept.txt").write_text("not the build's")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    assert remove_all_but(folder, {"index.html", "posts/1.html"}) == 3
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "index.html", "linked", "posts", "posts/1.html"]
    assert (elsewhere / "kept.txt").is_file()  # a link is not followed


def test_the_build_cache_is_kept_beside_the_site_not_in_it(tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    two_thread_archive(archive)
    build_site(archive, output)
    assert cache_folder(output).parent == tmp_path
    assert list(cache_folder(output).rglob("*.pickle"))
    assert not [p for p in output.rglob("*") if p.suffix in (".pickle", ".tmp")]
    # Without its cache a build is a full one, and still changes no byte of the site.
    contents = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    for path in cache_folder(output).rglob("*"):
        if path.is_file():
            path.unlink()
    build_site(archive, output)
    assert {p: p.read_bytes() for p in output.rglob("*") if p.is_file()} == contents


def test_write_if_changed_leaves_equal_bytes_alone(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    assert write_if_changed(path, b"one")
    stat = path.stat()
    assert not write_if_changed(path, b"one")
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)
    assert write_if_changed(path, b"two")
    assert path.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["page.html"]


def test_sync_folder_copies_what_differs_and_deletes_what_the_source_lacks(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    for folder, files in ((source, {"same.js": "1", "changed.js": "new", "sub/new.js": "n"}),
                          (target, {"same.js": "1", "changed.js": "old", "stale.js": "s",
                                    "gone/stale.js": "s"})):  # fmt: skip
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    same = (target / "same.js").stat().st_ino
    assert sync_folder(source, target) == 4  # changed, sub/new copied; two stale deleted
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "changed.js",
        "same.js",
        "sub",
        "sub/new.js",
    ]
    assert (target / "changed.js").read_text() == "new"
    assert (target / "same.js").stat().st_ino == same
    assert sync_folder(source, target) == 0


def test_a_rebuild_leaves_no_stale_search_shard(tmp_path: Path) -> None:
    """A shard an earlier build wrote (its term key, or post file number, since gone) is
    deleted: search.js could load it, and the folder would grow with every build."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    build_site(archive, output)
    offline = output / "search" / "offline"
    written = {p.relative_to(offline) for p in offline.rglob("*.js")}
    stale = [offline / "terms" / "w-645-63a-631-628.js", offline / "posts" / "99.js"]
    for path in stale:
        path.write_text("old")
    add_post(archive, key)  # a changed archive, so the search files are written again
    build_site(archive, output)
    assert not [path for path in stale if path.exists()]
    assert {p.relative_to(offline) for p in offline.rglob("*.js")} >= written
    # Elsewhere in the site nothing was taken for stale.
    assert (output / "index.html").is_file() and (output / "search" / "rules.js").is_file()


def _contribution(page: str, number: int, thread_title: str = "A thread") -> AuthorContribution:
    post = AuthorPost(
        thread_title=thread_title, thread_href="threads/t/index.html",
        href=f"threads/t/index.html#post-{number}", number=number,
        published=f"2026-11-{number:02d}T10:00:00+00:00", board_language="ar-MA",
        snippet=f"post {number}", lang="ar", dir="rtl", removed_upstream_at=None,
    )  # fmt: skip
    return AuthorContribution(page=page, name=page, host="forum.example", profile_url="",
                              post=post, lang="ar")  # fmt: skip


def test_the_author_store_marks_only_the_authors_a_changed_thread_touches(tmp_path: Path) -> None:
    store = AuthorStore(tmp_path / "authors.sqlite", "signature")
    first = [_contribution("authors/a.html", 1), _contribution("authors/b.html", 2)]
    store.replace_thread("t", "one", first)
    store.replace_thread("u", "one", [_contribution("authors/a.html", 3, "Another")])
    assert store.stale() == {"authors/a.html", "authors/b.html"}  # a first build: everyone
    for page in store.pages():
        store.rendered(page)
    # One new post by b: a's lines in the thread are the same, so a's page is not redone.
    store.replace_thread("t", "two", [*first, _contribution("authors/b.html", 4)])
    assert store.stale() == {"authors/b.html"} and store.has_thread("t", "two")
    record = store.record("authors/b.html")
    assert record is not None and [p.number for p in record.posts] == [4, 2]  # newest first
    store.rendered("authors/b.html")
    store.close()
    # The marks and the posts outlive the build; a thread gone from the archive marks its
    # authors, and another signature (theme, settings, code) forgets everything.
    store = AuthorStore(tmp_path / "authors.sqlite", "signature")
    store.keep_only({"t"})
    assert store.stale() == {"authors/a.html"}
    assert [p.number for p in (store.record("authors/a.html") or record).posts] == [1]
    store.close()
    store = AuthorStore(tmp_path / "authors.sqlite", "another")
    assert store.pages() == [] and not store.has_thread("t", "two")
    store.close()


def test_write_linked_gives_every_name_the_bytes_as_one_file(tmp_path: Path) -> None:
    first, second, third = (tmp_path / f"{n}.html" for n in (1, 2, 3))
    names = ["1.html", "2.html", "3.html"]
    assert write_linked(tmp_path, names, b"page 1", inodes(tmp_path)) == 3
    assert {p.stat().st_ino for p in (first, second, third)} == {first.stat().st_ino}
    assert write_linked(tmp_path, names, b"page 1", inodes(tmp_path)) == 0  # nothing to do
    # Another page's file under one name (its post moved there): the link is redone by
    # rename, and the file it left keeps its bytes for its other names.
    other = tmp_path / "4.html"
    write_linked(tmp_path, ["4.html", "3.html"], b"page 2", inodes(tmp_path))
    assert third.read_bytes() == b"page 2" and first.read_bytes() == b"page 1"
    assert write_linked(tmp_path, names, b"page 1 again", inodes(tmp_path)) == 3
    assert [p.read_bytes() for p in (first, second, third, other)] == [b"page 1 again"] * 3 + [
        b"page 2"]
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def _site_files(output: Path) -> dict[str, bytes]:
    """Every file of the site but the search index, whose post numbers a rebuild keeps
    (offline_index.py: the same hits, other bytes) and which is compared by its answers."""
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in output.rglob("*")
        if path.is_file() and not path.relative_to(output).as_posix().startswith("search/")
    }


def _search_answers(output: Path) -> dict[str, dict[str, int]]:
    """Each term (every prefix of every word) -> the posts it finds (by URL), with counts."""
    from scraper.site.arabic import search_words
    from scraper.site.offline_index import read_search_data

    from .test_search import OfflineIndex

    data = read_search_data(output)
    index = OfflineIndex(output / "search")
    url_of = dict(zip(index.numbers(data), (post.url for post in data.posts()), strict=True))
    terms = {word[:n] for post in data.posts() for word in search_words(post.text)
             for n in range(1, len(word) + 1)}  # fmt: skip
    return {term: {url_of[n]: c for n, c in index.counts(term).items()} for term in terms}


def test_a_rebuild_after_one_thread_changed_equals_a_full_build(tmp_path: Path) -> None:
    """The site a rebuild leaves after a post was added is the one a full build from scratch
    writes, file for file (the search index: the same answers to every term); what the
    post did not change was taken from the last build (build_cache.FragmentCache): the
    other pages' posts as HTML, the views of the other posts on its page."""
    archive, output, fresh = tmp_path / "archive", tmp_path / "site", tmp_path / "fresh"
    key = two_thread_archive(archive)
    # However small the thread, its pages are written by a child (generator._fork_writer).
    settings = settings_file(tmp_path, THREAD_RENDER_WORKER_MIN_BYTES=0)
    build_site(archive, output, settings)
    folder = cache_folder(output) / "fragments"
    kept = {kind: (folder / f"{key}.{kind}.pickle").read_bytes() for kind in ("views", "parts")}
    signature, parts = pickle.loads(kept["parts"])
    _, views = pickle.loads(kept["views"])
    # What a kept part or view says shows in a page only if the rebuild took it.
    parts = {digest: text.replace("</article>", "<!--part kept--></article>", 1)
             for digest, text in parts.items()}  # fmt: skip
    mark = Markup("<!--view kept-->")
    views = {digest: (lookups, dataclasses.replace(view, body=view.body + mark))
             for digest, (lookups, view) in views.items()}  # fmt: skip
    (folder / f"{key}.parts.pickle").write_bytes(pickle.dumps((signature, parts)))
    (folder / f"{key}.views.pickle").write_bytes(pickle.dumps((signature, views)))
    add_post(archive, key)
    build_site(archive, output, settings)
    first = (output / "threads" / key / "index.html").read_text(encoding="utf-8")
    assert "<!--part kept-->" in first
    last = (output / "threads" / key / "page-2.html").read_text(encoding="utf-8")
    assert "<!--part kept-->" not in last  # the new post's page: its posts rendered again...
    assert last.count("<!--view kept-->") == last.count('<article class="post">') - 1  # ...
    # from the kept views of all but the new post
    for kind, data in kept.items():  # the parts and views as rendered: now compare
        (folder / f"{key}.{kind}.pickle").write_bytes(data)
    (output / "threads" / key / "index.html").unlink()
    rebuilt = build_site(archive, output, settings)
    full = build_site(archive, fresh, settings)
    assert (rebuilt.threads, rebuilt.posts, rebuilt.pages) == (full.threads, full.posts,
                                                               full.pages)  # fmt: skip
    assert rebuilt.posts == POST_COUNT + 5 + 1
    assert _site_files(output) == _site_files(fresh)
    assert _search_answers(output) == _search_answers(fresh)


def test_a_kept_post_view_is_made_again_when_what_it_looked_up_changed(tmp_path: Path) -> None:
    """A kept view is taken only while the links it looked up answer the same: a quote of
    a post that moved to another page (here: other page sizes) links to its new page."""
    from scraper.site.i18n import translations
    from scraper.site.views import PostViewCache, build_thread_view

    fixture = build_fixture_archive(tmp_path / "archive")
    thread = ThreadArchive(tmp_path / "archive").load(fixture.key)
    assert thread is not None
    catalogs = DEFAULT_SETTINGS_FILE.parent / "theme" / "translations"

    def view(per_page: int, cache: PostViewCache | None) -> list[list[object]]:
        built = build_thread_view(thread, posts_per_page=per_page, fallback_lang="ar",
                                  render_embed=lambda embed: "<div>embed</div>",
                                  translations_for=lambda lang: translations(catalogs, lang),
                                  cache=cache)  # fmt: skip
        return [page.posts for page in built.pages]

    cache = PostViewCache(b"salt")
    assert view(20, cache) == view(20, None)
    again = PostViewCache(b"salt", cache.now)
    assert view(20, again) == view(20, None) and again.made == 0  # all taken as kept
    moved = PostViewCache(b"salt", cache.now)
    assert view(2, moved) == view(2, None)
    assert 0 < moved.made < len(thread.posts)  # the quoting post, not every post


def test_a_thread_whose_pages_a_child_could_not_write_fails_the_build(tmp_path: Path) -> None:
    """The one thread a rebuild renders has its pages written by a child process
    (generator._fork_writer, from a size the settings say): when the child fails, so does
    the build, and the next build renders the thread again."""
    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    settings = settings_file(tmp_path, THREAD_RENDER_WORKER_MIN_BYTES=0)
    build_site(archive, output, settings)
    add_post(archive, key)
    page = output / "threads" / key / "page-2.html"
    page.unlink()
    page.mkdir()  # no page can be written there
    with pytest.raises(OSError, match=key):
        build_site(archive, output, settings)
    page.rmdir()
    page.write_text("stale", encoding="utf-8")  # every page present: only the cache can tell
    build_site(archive, output, settings)
    assert "منشور جديد عن طنجة" in page.read_text(encoding="utf-8")


def test_a_rebuild_takes_the_theme_compiled_from_the_cache_and_survives_a_bad_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of Pelican's generators has a Jinja environment of its own, and every build
    compiled the theme again: the compiled templates are kept in the build's cache folder.
    An entry that cannot be read is compiled again, not an error."""
    import jinja2

    archive, output = tmp_path / "archive", tmp_path / "site"
    key = two_thread_archive(archive)
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: str | None = None,
                 *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        compiled.append(name)
        return compile_template(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    build_site(archive, output)
    assert "thread.html" in compiled and "index.html" in compiled
    entries = sorted((cache_folder(output) / TEMPLATES_DIR).iterdir())
    assert entries

    compiled.clear()
    add_post(archive, key)
    build_site(archive, output)
    assert compiled == []

    entries[0].write_bytes(b"not a compiled template")
    entries[1].write_bytes(entries[1].read_bytes()[:20])
    compiled.clear()
    add_post(archive, key)
    report = build_site(archive, output)
    assert len(compiled) == 2 and report.posts == POST_COUNT + 5 + 2


def test_environments_that_compile_differently_never_share_compiled_templates(
    tmp_path: Path,
) -> None:
    """Autoescaping is compiled in: Pelican's environments do not escape, ours does, and
    both compile the theme. Code one compiled, run by the other, published scraped markup
    unescaped (tests/test_xss.py caught it)."""
    import jinja2

    templates = tmp_path / "theme"
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ text }}</p>", encoding="utf-8")

    def render(autoescape: bool) -> str:
        # A fresh environment each time, as each build and each generator has.
        cache = TemplateCache(tmp_path / "cache")
        environment = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
                                         autoescape=autoescape, bytecode_cache=cache)  # fmt: skip
        return environment.get_template("page.html").render(text="<script>x()</script>")

    for _ in range(2):  # compiled, then from the cache
        assert render(autoescape=False) == "<p><script>x()</script></p>"
        assert render(autoescape=True) == "<p>&lt;script&gt;x()&lt;/script&gt;</p>"
    assert len(list((tmp_path / "cache" / TEMPLATES_DIR).iterdir())) == 2
