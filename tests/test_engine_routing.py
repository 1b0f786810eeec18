"""Which engine reads a URL: every engine's example URLs route to it, the page decides where
URL shapes are shared, detection picks the right engine for every fixture page at a URL no
engine claims (offline and over HTTP), and the README lists exactly the engines there are."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scraper.cli import main
from scraper.demo_forum import SEED_THREAD
from scraper.demo_forum.pages import page_count, render_thread_page
from scraper.engines import ENGINES, cookie_names, detect, engine_named, engines_claiming
from scraper.engines.claims import CLAIMS, URL_PATTERNS
from scraper.errors import UnsupportedUrl

from .fixture_board import BOARDS, FIXTURES, FixtureBoard

XENFORO = {"xenforo2", "xenforo1"}  # XenForo 1 and 2 share their URL scheme
# /threads/N/ is also a vBulletin 4 friendly URL.
SHARED_SHAPES = {"https://forum.example/threads/123/": XENFORO | {"vbulletin"}}
# Invision's /topic/ID-slug/ claims NodeBB's /topic/ID/slug too: the page tells them apart.
SHARED_SHAPES.update({url: {"invision", "nodebb"} for url in (
    "https://forum.example/topic/123/some-title", "https://forum.example/topic/123/some-title/7",
    "https://forum.example/topic/123", "https://forum.example/forum/topic/123/some-title?page=2",
    "https://forum.example/api/topic/123/some-title?page=2")})
NEUTRAL_URL = "http://127.0.0.1:1/neutral"
README = Path(__file__).parent.parent / "README.md"

EXAMPLES = [pytest.param(e.name, url, id=f"{e.name}:{url}")
            for e in ENGINES for url in dict.fromkeys((e.example, *e.examples))]


def claimed(url: str) -> set[str]:
    return {engine.name for engine in engines_claiming(url)}


@pytest.mark.parametrize(("engine", "url"), EXAMPLES)
def test_every_example_url_routes_to_its_engine(engine: str, url: str) -> None:
    if engine_named(engine).generic:  # claims no URL shape: detection reads its pages
        assert claimed(url) == set()
    elif url in SHARED_SHAPES:
        assert claimed(url) == SHARED_SHAPES[url]
    elif engine in XENFORO:
        assert claimed(url) == XENFORO
    else:
        assert claimed(url) == {engine}


@pytest.mark.parametrize(("url", "imported"), [
    ("https://forum.example/viewtopic.php?t=123", {"phpbb"}),
    ("https://forum.example/threads/some-title.123/", {"xenforo", "xenforo1"}),
    ("https://forum.example/neutral", set()),
])
def test_only_the_engines_claiming_a_url_are_imported(url: str, imported: set[str]) -> None:
    """A fresh interpreter asks which engines claim `url` (engines/claims.py)."""
    program = ("import sys\n"
               "from scraper.engines import engines_claiming\n"
               "from scraper.engines.claims import CLAIMS\n"
               f"engines_claiming({url!r})\n"
               "print(*(c.module for c in CLAIMS if 'scraper.engines.' + c.module in sys.modules))")
    ended = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                           check=True)
    assert set(ended.stdout.split()) == imported


def test_the_claims_table_names_each_engine_where_it_is() -> None:
    """`registered()` imports every engine from the table: each is the class it names."""
    assert [(c.name, c.class_name) for c in CLAIMS] == [(e.name, e.__name__) for e in ENGINES]
    assert all(e.pattern is URL_PATTERNS[e.name] for e in ENGINES)


# Each engine's fixture pages: (engine, file, the URL it was served at).
FIXTURE_PAGES = [
    *(("phpbb", f"phpbb-3.3/page-{n}.html") for n in (1, 2, 3)),
    *(("mybb", f"mybb-1.8/page-{n}.html") for n in (1, 2, 3)),
    *(("xenforo1", name) for name in ("xenforo1/page-1.html", "xenforo1/page-2.html",
                                      "xenforo1/ltr-page-3.html")),
    *(("vbulletin", name) for name in ("vbulletin/vb4-page-1.html", "vbulletin/vb4-page-2.html",
                                       "vbulletin/vb3-rtl-page-1.html")),
    *(("smf", f"smf/{version}/page-{n}.html") for version in ("smf-2.0-he", "smf-2.1-ar")
      for n in (1, 2)),
    *(("invision", f"invision/page-{n}.html") for n in (1, 2)),
    ("flarum", "flarum/page-1.html"), ("nodebb", "nodebb/page-1.html"),
    *((engine, f"{engine}/page-{n}.html") for engine in ("vbulletin5", "vanilla", "woltlab")
      for n in (1, 2)),
    *(("schemaorg", f"schemaorg/{name}.html") for name in ("page-1", "page-2", "jsonld-page-1")),
]


def demo_pages() -> list[str]:
    return [render_thread_page(n) for n in range(1, page_count(SEED_THREAD) + 1)]


@pytest.mark.parametrize(("engine", "name"), FIXTURE_PAGES, ids=[n for _, n in FIXTURE_PAGES])
def test_detection_picks_the_engine_of_every_fixture_page(engine: str, name: str) -> None:
    html = (FIXTURES / name).read_text("utf-8")
    assert claimed(NEUTRAL_URL) == set()
    assert detect(html, NEUTRAL_URL).name == engine


def test_detection_picks_xenforo2_for_the_demo_forum_pages() -> None:
    pages = demo_pages()
    assert len(pages) > 1
    for html in pages:
        assert detect(html, NEUTRAL_URL).name == "xenforo2"


@pytest.mark.parametrize(("engine", "html", "url"), [
    ("xenforo1", (FIXTURES / "xenforo1/page-1.html").read_text("utf-8"),
     "https://montada.example/forum/threads/afaq-altaawun-alaskari.77/"),
    ("xenforo1", (FIXTURES / "xenforo1/page-1.html").read_text("utf-8"),
     "https://montada.example/forum/threads/77/"),
    ("vbulletin", (FIXTURES / "vbulletin/vb4-page-1.html").read_text("utf-8"),
     "https://forums.example.org/threads/4521/"),
    ("xenforo2", render_thread_page(1), "https://forum.example/threads/123/"),
    ("xenforo2", render_thread_page(2), "https://forum.example/threads/some-title.123/page-2"),
], ids=["xenforo1-slug", "xenforo1-bare", "vbulletin-bare", "xenforo2-bare", "xenforo2-page"])
def test_a_shared_url_shape_is_told_by_its_page(engine: str, html: str, url: str) -> None:
    candidates = engines_claiming(url)
    assert len(candidates) > 1 and engine in {e.name for e in candidates}
    assert detect(html, url, candidates).name == engine


# phpBB and MyBB pages link the other pages relative to the page ("./viewtopic.php?..."),
# so their neutral URL sits in the board's folder, where those links lead on the board too.
NEUTRAL_PATHS = {"phpbb": "/neutral-path", "mybb": "/neutral-path"}


@pytest.mark.parametrize("engine", list(BOARDS))
def test_a_first_page_at_a_neutral_url_is_detected_and_fetched_once(engine: str, tmp_path: Path
                                                                    ) -> None:
    neutral = NEUTRAL_PATHS.get(engine, "/some/neutral/path")
    archive = tmp_path / "archive"
    with FixtureBoard(BOARDS[engine], neutral_path=neutral) as board:
        assert main(["scrape", board.origin + neutral, "--archive", str(archive), "--delay",
                     "0", "--max-retries", "0", "--timeout", "5"]) == 0
        seen = [urlsplit(r.path).path for r in board.requests]
        served = board.served
    (path,) = archive.glob("threads/*/thread.json")
    thread = json.loads(path.read_text("utf-8"))
    assert thread["engine"] == engine
    assert len(thread["pages"]) == len(BOARDS[engine].pages)
    assert seen.count(neutral) == 1
    # The first page was read from the neutral URL, never asked for again at its own.
    assert served == [page.file for page in BOARDS[engine].pages]


def readme_engines() -> dict[str, str]:
    """The README's table of supported engines: name -> example URL."""
    text = README.read_text("utf-8")
    section = text.split("### Supported forum engines", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", section, flags=re.M)
    assert len(rows) == len(dict(rows)), "an engine listed twice"
    return dict(rows)


def test_the_readme_lists_exactly_the_engines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engines", "--json"]) == 0
    engines = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    listed = readme_engines()
    assert list(listed) == list(engines)
    for name, example in listed.items():
        assert example in engines[name]["examples"], name
        generic = engine_named(name).generic  # claims no URL: its example is any URL
        assert generic or (name in claimed(example) and engine_named(name).matches(example))
    # The plain listing ends with the profile mechanism, for boards no engine knows.
    assert main(["engines"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        "and any board through a selector profile: [profiles.NAME] in forum-mirror.toml")


def test_a_forum_engine_in_the_config_is_used_without_asking_the_page(tmp_path: Path) -> None:
    """`engine = "xenforo1"` in the forum's table reads an XF1 thread at a neutral URL."""
    archive = tmp_path / "archive"
    neutral = "/some/neutral/path"
    with FixtureBoard(BOARDS["xenforo1"], neutral_path=neutral) as board:
        config = archive / "forum-mirror.toml"
        config.parent.mkdir(parents=True)
        host = urlsplit(board.origin).netloc
        config.write_text(f'[forums."{host}"]\nengine = "xenforo1"\n', "utf-8")
        assert main(["scrape", board.origin + neutral, "--archive", str(archive), "--delay",
                     "0", "--max-retries", "0"]) == 0
    (path,) = archive.glob("threads/*/thread.json")
    assert json.loads(path.read_text("utf-8"))["engine"] == "xenforo1"


def test_engine_option_forces_an_engine_and_add_records_it(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with FixtureBoard(BOARDS["smf"]) as board:
        # The page is SMF's; forcing phpBB reads it as phpBB, which finds no posts there.
        assert main(["scrape", board.thread_url, "--engine", "phpbb", "--archive",
                     str(archive), "--delay", "0", "--max-retries", "0"]) == 5
        assert not list(archive.glob("threads/*/thread.json"))
        neutral = "http://127.0.0.1:1/a/neutral/thread"
        assert main(["add", neutral, "--engine", "smf", "--archive", str(archive)]) == 0
    text = (archive / "forum-mirror.toml").read_text("utf-8")
    assert 'engine = "smf"' in text and neutral in text


def test_an_unknown_engine_is_a_usage_or_config_error(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["scrape", "http://127.0.0.1:1/t", "--engine", "nosuch"])
    assert usage.value.code == 2
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "forum-mirror.toml").write_text('[forums."127.0.0.1"]\nengine = "nosuch"\n')
    assert main(["update", "--archive", str(archive)]) == 12
    assert "engine must be one of" in capsys.readouterr().err


def test_a_boards_cookie_names_count_as_a_marker() -> None:
    header = ("phpbb3_x8k2_u=1; expires=Wed, 01-Dec-2027 08:00:00 GMT; path=/, "
              "phpbb3_x8k2_sid=0f3a; path=/; HttpOnly")
    assert cookie_names(header) == ["phpbb3_x8k2_u", "phpbb3_x8k2_sid"]
    bare = "<html><body><p>a page with no forum markup</p></body></html>"
    assert detect(bare, NEUTRAL_URL, cookies=cookie_names(header)).name == "phpbb"
    assert detect(bare, NEUTRAL_URL, cookies=["ips4_member_id"]).name == "invision"
    with pytest.raises(UnsupportedUrl, match="cookie names"):
        detect(bare, NEUTRAL_URL, cookies=["PHPSESSID"])
    # XenForo 1 and 2 share the xf_ prefix: the page's markers still tell them apart.
    xf1 = (FIXTURES / "xenforo1/page-1.html").read_text("utf-8")
    assert detect(xf1, NEUTRAL_URL, cookies=["xf_session"]).name == "xenforo1"
