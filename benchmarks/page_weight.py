"""Print what a thread page of 50 realistic posts weighs in Chromium, by kind of file.

Usage: .venv/bin/python -m benchmarks.page_weight (by file and by element), or as part of
`python -m benchmarks` (by kind of file, against the budget of tests/test_weight.py).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.report import Benchmark, Goal, Measurement, Plot, Sizes
from scraper.serve import serve_directory
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.test_weight import BUDGET, POSTS, Weight, build_weight_site, weigh

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


PREPARED = "built.json"


def prepare(sizes: Sizes, workdir: Path) -> None:
    """The suite's set-up (`Benchmark.prepare`): the 50-post thread built into `workdir`
    (a Pelican build: most of what this benchmark took, and none of what it measures)."""
    output, key = build_weight_site(workdir)
    (workdir / PREPARED).write_text(json.dumps({"output": str(output), "key": key}),
                                    encoding="utf-8")


def measure(workdir: Path) -> tuple[Weight, dict[str, int]]:
    """Open the 50-post thread built in `workdir` (built now, unless `prepare` did) in
    headless Chromium: its weight, and the bytes of each part of its markup."""
    if (workdir / PREPARED).exists():
        built = json.loads((workdir / PREPARED).read_text(encoding="utf-8"))
        output, key = Path(built["output"]), built["key"]
    else:
        output, key = build_weight_site(workdir)
    with serve_directory(output, 0) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        weight = weigh(page, f"{base_url}threads/{key}/index.html")
        parts: dict[str, int] = page.evaluate(PARTS)
        browser.close()
    return weight, parts


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """Bytes over the wire by kind of file, and in all; the page is the same at every size."""
    weight, _ = measure(workdir)
    measured = []
    for kind, sent in weight.by_kind.items():
        decoded = sum(file[2] for file in weight.files if file[0] == kind)
        if decoded:
            measured.append(Measurement(kind, POSTS, bytes=sent, unit="posts",
                                        note=f"{decoded / 1024:.1f} KiB decoded"))
    decoded = sum(file[2] for file in weight.files)
    measured.append(Measurement("all", POSTS, bytes=weight.total, unit="posts",
                                note=f"{decoded / 1024:.1f} KiB decoded; images left out"))
    return measured


BENCHMARK = Benchmark(
    "page weight", run, prepare=prepare,
    about=f"What a thread page of {POSTS} realistic posts loads in headless Chromium, as bytes "
          "over the wire from the mirror's own (compressing) server: HTML, CSS and JS; images "
          "left out, as is the search index, which loads only when one searches.",
    plots=(Plot("Thread page weight by kind of file", "bytes", bars=True),),
    goals=(Goal(f"a page of {POSTS} posts weighs at most {BUDGET // 1024} KiB over the wire",
                "all", "bytes", at_most=BUDGET),))


def main() -> None:
    """Build the 50-post thread, open it in headless Chromium, print its weight."""
    with tempfile.TemporaryDirectory() as folder:
        weight, parts = measure(Path(folder))
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
