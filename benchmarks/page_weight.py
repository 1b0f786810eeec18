"""Print what a thread page of 50 realistic posts weighs in Chromium, by kind of file.

Usage: .venv/bin/python -m benchmarks.page_weight
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from scraper.cli import serve_directory
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.test_weight import BUDGET, POSTS, build_weight_site, weigh

# Parts of a thread page whose markup the benchmark measures, to see where the weight is.
PARTS = """() => {
  const bytes = (s) => new TextEncoder().encode(s).length;
  const parts = {};
  for (const selector of [".post-body", ".post-user", ".post-meta", "details.provenance",
                          ".post-attachments", "article.post"]) {
    parts[selector] = [...document.querySelectorAll(selector)]
      .reduce((sum, n) => sum + bytes(n.outerHTML), 0);
  }
  parts["post text only"] = [...document.querySelectorAll(".post-body")]
    .reduce((sum, n) => sum + bytes(n.textContent), 0);
  return parts;
}"""


def main() -> None:
    """Build the 50-post thread, open it in headless Chromium, print its weight."""
    with tempfile.TemporaryDirectory() as folder:
        output, key = build_weight_site(Path(folder))
        with serve_directory(output, 0) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            weight = weigh(page, f"{base_url}threads/{key}/index.html")
            parts = page.evaluate(PARTS)
            browser.close()
    print(f"thread page of {POSTS} posts, before images ({weight.images} image responses):")
    for kind, url, decoded, sent in weight.files:
        name = url.rsplit("/", 1)[-1]
        print(f"  {kind:5} {sent / 1024:8.1f} KB sent ({decoded / 1024:6.1f} KB decoded)  {name}")
    for kind, size in weight.by_kind.items():
        print(f"  {kind:5} {size / 1024:8.1f} KB over the wire")
    print("  where the HTML goes (UTF-8 bytes of the elements' markup):")
    for selector, size in parts.items():
        print(f"    {selector:22} {size / 1024:8.1f} KB")
    decoded = sum(file[2] for file in weight.files)
    print(f"  all decoded {decoded / 1024:.1f} KB (file://, or a server that does not compress)")
    verdict = "within" if weight.total <= BUDGET else "OVER"
    print(f"  all   {weight.total / 1024:8.1f} KB ({verdict} the {BUDGET // 1024} KB budget)")


if __name__ == "__main__":
    main()
