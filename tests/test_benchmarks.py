"""The benchmarks run on tiny sizes, so their code cannot rot (CI never times them)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import build as build_benchmark


def test_build_benchmark_measures_the_floor_and_every_rebuild(tmp_path: Path) -> None:
    result = build_benchmark.measure(posts=60, threads=3, work=tmp_path)
    for step in ("floor", "full", "unchanged", "one_thread_changed"):
        assert result[step]["seconds"] > 0 and result[step]["peak_rss_mb"] > 0, step
    assert result["files_written_unchanged"] == 0
    assert result["files_written_one_changed"] > 0
    assert result["other_threads_files_written"] == 0
    assert len(list((tmp_path / "floor-site").rglob("*.html"))) == 3  # 20 posts a page
