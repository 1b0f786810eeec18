"""axe-core (from npm, see package.json) finds no serious or critical accessibility problem.

Run on every top-level page of the built site (the index, the search page when there is
one), each thread's pages and a post's own page. The page's CSP would refuse the injected
axe script, so the browser context bypasses CSP: axe only reads the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from scraper.site.build import build_site

from .archive_factory import FixtureArchive, build_fixture_archive
from .conftest import serve_directory

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


@dataclass
class A11ySite:
    fixture: FixtureArchive
    output: Path
    base_url: str

    def pages(self) -> list[str]:
        """The pages axe looks at: every page at the root (index, search...), every thread page.

        (A post's own page, threads/<key>/posts/<id>.html, only redirects to its thread page.)
        """
        pages = [p.name for p in self.output.glob("*.html")]
        for thread in sorted((self.output / "threads").iterdir()):
            pages += [p.relative_to(self.output).as_posix() for p in thread.glob("*.html")]
        return sorted(pages)


@pytest.fixture(scope="module")
def a11y_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[A11ySite]:
    assert AXE.is_file(), f"{AXE} is missing: run scripts/bootstrap.sh (npm ci)"
    root = tmp_path_factory.mktemp("a11y-site")
    fixture = build_fixture_archive(root / "archive")
    output = root / "output"
    build_site(fixture.root, output)
    with serve_directory(output, 0) as base_url:
        yield A11ySite(fixture, output, base_url)


@pytest.fixture
def axe_page(browser: Browser, a11y_site: A11ySite) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    yield page
    context.close()
    site = urlsplit(a11y_site.base_url).netloc
    assert [url for url in requests if urlsplit(url).netloc != site] == []
    assert errors == []


def _violations(page: Page, url: str) -> list[dict[str, Any]]:
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    return list(page.evaluate(RUN_AXE))


def test_axe_finds_no_serious_or_critical_violation(a11y_site: A11ySite, axe_page: Page) -> None:
    pages = a11y_site.pages()
    thread = f"threads/{a11y_site.fixture.key}/index.html"
    assert {"index.html", thread} <= set(pages), pages
    found: dict[str, list[dict[str, Any]]] = {}
    # Desktop and phone widths lay out differently; the dark scheme has colours of its own.
    for width, scheme in ((1280, "light"), (390, "light"), (1280, "dark")):
        axe_page.set_viewport_size({"width": width, "height": 900})
        axe_page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        for relative in pages:
            violations = _violations(axe_page, a11y_site.base_url + relative)
            blocking = [v for v in violations if v["impact"] in BLOCKING]
            if blocking:
                found[f"{relative} at {width}px, {scheme}"] = blocking
    count = sum(len(v) for v in found.values())
    assert found == {}, f"{count} serious/critical axe violations on {len(found)} pages: {found}"


def test_axe_does_catch_a_broken_page(a11y_site: A11ySite, axe_page: Page) -> None:
    # The control: the same thread page with an image and a link that have no name.
    thread = a11y_site.output / "threads" / a11y_site.fixture.key
    html = (thread / "index.html").read_text()
    broken = '<img src="x.png" id="no-alt"><a href="page-2.html" id="no-name"></a>'
    (thread / "broken.html").write_text(html.replace("</main>", f"{broken}</main>"))
    url = f"{a11y_site.base_url}threads/{a11y_site.fixture.key}/broken.html"
    axe_page.route("**/x.png", lambda route: route.fulfill(status=204))
    found = {v["id"]: v["impact"] for v in _violations(axe_page, url)}
    assert found.get("image-alt") == "critical" and found.get("link-name") == "serious", found
