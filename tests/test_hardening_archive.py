"""Issue 9, the archive's cases: a bad thread.json stops nothing, stored paths never lead out
of the archive or the site, archive errors are one family (exit 6), files honour the umask."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from scraper.archive import SCHEMA_PATH
from scraper.cli import EXIT_PARTIAL_FAILURE, EXIT_TOTAL_FAILURE, main

from .archive_factory import (
    POST_COUNT,
    THREAD_KEY,
    ImageSpec,
    PostSpec,
    build_fixture_archive,
    build_thread_archive,
)
from .conftest import ScrapedDemo

REPO = Path(__file__).resolve().parents[1]
ESCAPED = "ESCAPED"
SECRET = b"a file outside the archive that nothing may read or publish\n"
SYMLINKED_KEY = "forum.example-5000"  # its one image is a symlink out of the archive


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def run(argv: list[str]) -> tuple[int, str]:
    """`forum-mirror ARGV` in this process: (exit code, standard error)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def bad_threads(archive: Path, healthy: Path) -> dict[str, Path]:
    """Add four unreadable threads, made from `healthy` (a thread.json), to the archive:
    what is wrong with each, and its thread.json."""
    document = json.loads(healthy.read_text("utf-8"))

    def variant(folder: str, dotted: str, value: object) -> Path:
        """A copy in `folder` whose field at `dotted` (`assets.0.path`) is `value`, or is
        gone when `value` is None."""
        data = json.loads(json.dumps(document))
        data["key"] = folder
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
        path = archive / "threads" / folder / "thread.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        return path

    # The two that code before these checks read without complaint sort first.
    bad = {
        "key": variant("aa-key", "key", f"../../{ESCAPED}"),
        "asset": variant("ab-asset", "assets.0.path", f"../../../{ESCAPED}"),
        "schema": variant("ad-schema", "posts.0.page_sha256", None),
    }
    bad["garbage"] = archive / "threads" / "ac-garbage" / "thread.json"
    bad["garbage"].parent.mkdir(parents=True)
    bad["garbage"].write_bytes(b'{"format": "forum-mirror/thread", not json')
    return bad


def snapshot(paths: dict[str, Path]) -> dict[str, str]:
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in paths.items()}


# --- One archive with good and bad threads, built once for the build and export tests --------


@dataclass
class MixedArchive:
    root: Path  # tmp folder holding archive/, site/ and the secret outside both
    archive: Path
    bad: dict[str, Path]
    before: dict[str, str]
    secret: Path
    site: Path
    build_code: int
    build_err: str


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> MixedArchive:
    root = tmp_path_factory.mktemp("mixed")
    archive = root / "nest" / "archive"
    with umask(0o022):
        fixture = build_fixture_archive(archive)
        bad = bad_threads(archive, archive / "threads" / fixture.key / "thread.json")
        build_thread_archive(archive, [PostSpec("يوسف", "صورة", images=[ImageSpec("s.jpg", 8, 8)])],
                             key=SYMLINKED_KEY)
        secret = root / "secret.jpg"
        secret.write_bytes(SECRET)
        (image,) = (archive / "threads" / SYMLINKED_KEY / "assets").iterdir()
        image.unlink()
        image.symlink_to(secret)
        before = snapshot(bad)
        site = root / "nest" / "site"
        code, err = run(["build", "--archive", str(archive), "--output", str(site)])
    return MixedArchive(root, archive, bad, before, secret, site, code, err)


def test_build_publishes_the_healthy_threads(mixed: MixedArchive) -> None:
    assert (mixed.site / "threads" / THREAD_KEY / "index.html").is_file()
    assert (mixed.site / "threads" / THREAD_KEY / f"{THREAD_KEY}.zip").is_file()
    assert f"threads/{THREAD_KEY}/index.html" in (mixed.site / "index.html").read_text("utf-8")


def test_build_names_every_bad_thread_and_exits_6(mixed: MixedArchive) -> None:
    assert mixed.build_code == 6, mixed.build_err
    assert "4 thread(s) cannot be read and were left out of the site" in mixed.build_err
    for path in mixed.bad.values():
        assert str(path) in mixed.build_err
    assert "Traceback" not in mixed.build_err


def test_build_writes_nothing_outside_its_output(mixed: MixedArchive) -> None:
    outside = [p for p in mixed.root.rglob("*")
               if ESCAPED in p.name or (p.suffix == ".zip" and mixed.site not in p.parents)]
    assert outside == []
    for folder in ("aa-key", "ab-asset", "ad-schema"):
        assert not (mixed.site / "threads" / folder).exists()


def test_build_publishes_no_file_a_symlink_leads_out_to(mixed: MixedArchive) -> None:
    published = [p for p in mixed.site.rglob("*") if p.is_file()]
    assert all(SECRET not in p.read_bytes() for p in published if p.suffix != ".zip")
    bundle = mixed.site / "threads" / SYMLINKED_KEY / f"{SYMLINKED_KEY}.zip"
    with zipfile.ZipFile(bundle) as archive:
        assert all(archive.read(name) != SECRET for name in archive.namelist())
        assert not any("/assets/" in name for name in archive.namelist())


def test_site_files_honour_the_umask(mixed: MixedArchive) -> None:
    files = [p for p in mixed.site.rglob("*") if p.is_file()]
    assert any(p.suffix == ".zip" for p in files) and any(p.name == "feed.atom" for p in files)
    assert {p.relative_to(mixed.site).as_posix(): mode(p) for p in files
            if mode(p) != 0o644} == {}


def test_export_writes_the_healthy_threads_and_names_the_bad_ones(mixed: MixedArchive) -> None:
    out = mixed.root / "posts.jsonl"
    with umask(0o022):
        code, err = run(["export", "--archive", str(mixed.archive), "-o", str(out)])
    assert code == 6, err
    keys = [json.loads(line)["thread_key"] for line in out.read_text("utf-8").splitlines()]
    assert keys == [THREAD_KEY] * POST_COUNT + [SYMLINKED_KEY]
    assert "left out of the export" in err and "Traceback" not in err
    for path in mixed.bad.values():
        assert str(path) in err
    assert mode(out) == 0o644
    assert snapshot(mixed.bad) == mixed.before  # neither the build nor the export wrote them


# --- update ----------------------------------------------------------------------------------


def test_update_checks_the_healthy_thread_and_names_the_bad_ones(
    scraped_demo: ScrapedDemo, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(scraped_demo.root, archive)
    (healthy,) = archive.glob("threads/*/thread.json")
    bad = bad_threads(archive, healthy)
    before = snapshot(bad)
    log = tmp_path / "log.jsonl"
    code, err = run(["update", "--archive", str(archive), "--delay", "0", "--log-json", str(log)])
    assert code == EXIT_PARTIAL_FAILURE, err
    events = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    failed = {e["file"]: e for e in events if e["event"] == "thread_failed"}
    assert sorted(failed) == sorted(str(p) for p in bad.values())
    assert all(e["exit_code"] == 6 and e["error"] == "ArchiveError" for e in failed.values())
    assert [e["thread"] for e in events if e["event"] == "thread_checked"] == [healthy.parent.name]
    assert events[-1]["threads_checked"] == 5 and events[-1]["threads_failed"] == 4
    assert "Traceback" not in err
    assert snapshot(bad) == before


def test_update_of_only_bad_threads_is_a_total_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fixture = build_fixture_archive(tmp_path / "archive")
    healthy = fixture.root / "threads" / fixture.key / "thread.json"
    bad = bad_threads(fixture.root, healthy)
    shutil.rmtree(healthy.parent)
    code, err = run(["update", "--archive", str(fixture.root)])
    assert code == EXIT_TOTAL_FAILURE, err
    assert "Checked 4 thread(s)" in err and "4 failed" in err
    errors = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert all(str(path) in errors for path in bad.values())


# --- verify and the schema: paths that lead out ---------------------------------------------


@pytest.fixture
def demo_copy(scraped_demo: ScrapedDemo, tmp_path: Path) -> Path:
    copy = tmp_path / "archive"
    shutil.copytree(scraped_demo.root, copy)
    return copy


def test_verify_reads_nothing_through_a_path_that_leads_out(demo_copy: Path) -> None:
    (path,) = demo_copy.glob("threads/*/thread.json")
    data = json.loads(path.read_text("utf-8"))
    asset = data["assets"][0]
    outside = demo_copy.parent / ESCAPED
    # The very bytes the archive expects: were it read, verify would find nothing wrong.
    outside.write_bytes((path.parent / asset["path"]).read_bytes())
    asset["path"] = f"../../../{ESCAPED}"
    data["posts"][0]["warc_file"] = f"../{ESCAPED}"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, err = run(["verify", "--archive", str(demo_copy)])
    assert code == 8
    assert path.relative_to(demo_copy).as_posix() in err
    assert "../../../ESCAPED" in err and "SHA-256" not in err


def test_verify_reads_no_asset_through_a_symlink_out_of_the_archive(demo_copy: Path) -> None:
    asset = sorted(demo_copy.glob("threads/*/assets/*"))[0]
    outside = demo_copy.parent / asset.name
    shutil.move(asset, outside)  # the same bytes, now outside
    asset.symlink_to(outside)
    code, err = run(["verify", "--archive", str(demo_copy)])
    assert code == 8, err
    assert asset.name in err and "symlink" in err


def test_the_schema_says_what_a_key_and_a_relative_path_may_hold(tmp_path: Path) -> None:
    fixture = build_fixture_archive(tmp_path)
    data = json.loads((tmp_path / "threads" / fixture.key / "thread.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text("utf-8")))
    assert list(validator.iter_errors(data)) == []
    data["key"] = "../../x"
    data["assets"][0]["path"] = "assets/../../x"
    data["pages"][0]["capture"]["warc_file"] = "/etc/passwd"
    data["posts"][2]["images"][0]["path"] = "threads\\x"
    data["posts"][0]["warc_file"] = "threads//x"
    data["posts"][1]["author"]["avatar_path"] = "./x"
    wrong = sorted("/".join(map(str, e.absolute_path)) for e in validator.iter_errors(data))
    assert wrong == ["assets/0/path", "key", "pages/0/capture/warc_file",
                     "posts/0/warc_file", "posts/1/author/avatar_path", "posts/2/images/0/path"]


# --- archive errors: one family, exit 6 ------------------------------------------------------

THREAD = "https://forum.example/threads/a-thread.1/"


@pytest.mark.parametrize("command", [
    ["scrape", THREAD], ["update"], ["add", THREAD], ["build"], ["verify"], ["export"],
])
def test_an_archive_that_is_a_file_is_an_archive_error(
    tmp_path: Path, command: list[str]
) -> None:
    file = tmp_path / "content"
    file.write_text("not a folder")
    code, err = run([*command, "--archive", str(file)])
    assert code == 6, err
    assert f"no archive at {file}: {file} is a file" in err
    assert file.read_text() == "not a folder"


@pytest.mark.parametrize("command", ["build", "verify", "export"])
def test_a_missing_archive_is_an_archive_error(tmp_path: Path, command: str) -> None:
    code, err = run([command, "--archive", str(tmp_path / "nope")])
    assert code == 6, err
    assert f"no archive at {tmp_path / 'nope'}" in err


def _without_root_file_access() -> None:
    """Run in the child before it starts Python: a root process keeps, through exec, only
    the capabilities of its bounding set; without these two it obeys file modes too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def test_a_read_only_archive_is_an_archive_error(tmp_path: Path) -> None:
    fixture = build_fixture_archive(tmp_path / "archive")
    folders = [fixture.root, *(p for p in fixture.root.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "scraper.cli", "update", "--archive", str(fixture.root)],
            cwd=REPO, capture_output=True, text=True, timeout=60,
            preexec_fn=_without_root_file_access if os.geteuid() == 0 else None,
        )
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert result.returncode == 6, result.stderr
    assert f"cannot write to the archive {fixture.root}" in result.stderr
    assert "Traceback" not in result.stderr


# --- modes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640)])
def test_archive_files_honour_the_umask(tmp_path: Path, mask: int, expected: int) -> None:
    with umask(mask):
        fixture = build_fixture_archive(tmp_path)
    files = [p for p in (fixture.root / "threads").rglob("*") if p.is_file()]
    assert len(files) == 2  # thread.json and its image
    assert [mode(p) for p in files] == [expected, expected]
