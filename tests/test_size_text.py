"""A file's size in the reader's words (site/size_text.py): Babel's, from the locale entries
the build cache keeps as from Babel's whole data."""

from __future__ import annotations

from pathlib import Path

import babel.localedata
import pytest

from scraper.site.size_text import SizeText, kept_file

SIZES = [0, 1, 2, 3, 11, 999, 1_000, 1_050, 117_934, 999_949, 1_000_000, 2_000_000,
         1_234_567_890]  # fmt: skip
LANGS = ["ar-MA", "ar", "he", "en", "en-GB", "fr", "de-CH", "ru", "pl", "cy", "hi", "",
         "xx-YY", "not a language"]  # fmt: skip


@pytest.mark.parametrize(
    ("size", "lang", "text"),
    [
        (117_934, "ar-MA", "117,9 كيلوبايت"),
        (117_934, "he", "117.9 kB"),
        (117_934, "en", "117.9 kB"),
        (2_000_000, "ar-MA", "2 م.ب"),
        (5, "en", "5 byte"),
        (117_934, "xx-YY", "117.9 kB"),  # not a locale Babel knows: English
    ],
)
def test_a_size_reads_as_the_locale_writes_it(tmp_path: Path, size: int, lang: str,
                                              text: str) -> None:  # fmt: skip
    assert SizeText(kept_file(tmp_path)).text(size, lang) == text
    assert SizeText(kept_file(tmp_path)).text(size, lang) == text  # from the kept entries


def test_the_kept_entries_give_what_babels_whole_data_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = SizeText(None)  # keeps nothing: each locale from Babel's data
    first = SizeText(kept_file(tmp_path))
    expected = {(size, lang): whole.text(size, lang) for size in SIZES for lang in LANGS}
    assert {key: first.text(*key) for key in expected} == expected
    assert len(set(expected.values())) > len(SIZES) * 5  # the languages do differ

    # The next build (a new SizeText, as in a new process) reads no locale's data at all.
    def no_load(name: str, merge_inherited: bool = True) -> dict[str, object]:
        raise AssertionError(f"Babel's data for {name} was loaded")

    monkeypatch.setattr(babel.localedata, "load", no_load)
    monkeypatch.setattr(babel.localedata, "_cache", {})
    known = [lang for lang in LANGS if lang not in ("xx-YY", "not a language")]
    again = SizeText(kept_file(tmp_path))
    assert {(s, lang): again.text(s, lang) for s in SIZES for lang in known} == {
        (s, lang): expected[s, lang] for s in SIZES for lang in known
    }


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_unreadable_kept_entries_are_read_from_babel_again(tmp_path: Path,
                                                           damage: bytes) -> None:  # fmt: skip
    path = kept_file(tmp_path)
    path.write_bytes(damage)
    assert SizeText(path).text(117_934, "ar-MA") == "117,9 كيلوبايت"
    assert path.read_bytes() != damage  # kept again, whole
    assert SizeText(path).text(117_934, "ar-MA") == "117,9 كيلوبايت"


def test_a_cache_folder_that_cannot_be_written_costs_only_the_keeping(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    assert SizeText(kept_file(blocked)).text(1_050, "he") == "1.1 kB"
