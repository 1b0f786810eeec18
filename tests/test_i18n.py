"""The site's own words: every message the theme and the site code use is translated."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from scraper.site import i18n

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "theme" / "translations"
LANGUAGES = ("ar", "he")


def used_messages() -> set[str]:
    """Message ids that the templates and scraper/site use, as `pybabel extract` finds them."""
    found: set[str] = set()
    for directory, method in (
        (ROOT / "theme" / "templates", "jinja2"),
        (ROOT / "scraper" / "site", "python"),
    ):
        pattern = "**.html" if method == "jinja2" else "**.py"
        options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(directory), method_map=[(pattern, method)], options_map={pattern: options}
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_extraction_finds_the_theme_messages() -> None:
    used = used_messages()
    assert {"Posts", "Page %(number)s of %(total)s", "said:", "image not archived"} <= used


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_used_message_is_translated(lang: str) -> None:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=lang)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(used_messages() - translated)
    assert not missing, f"{lang}: untranslated messages: {missing}"
    stale = sorted({m.id for m in catalog if m.id} - used_messages())
    assert not stale, f"{lang}: messages nothing uses any more: {stale}"


def test_catalogs_answer_in_their_language_and_fall_back_to_english() -> None:
    assert i18n.translations(TRANSLATIONS, "ar-MA").gettext("said:") == "قال:"
    assert i18n.translations(TRANSLATIONS, "he").gettext("said:") == "כתב/ה:"
    assert i18n.translations(TRANSLATIONS, "fr").gettext("said:") == "said:"


def test_a_regional_language_shares_its_languages_catalog() -> None:
    """An `ar-MA` thread on an `ar` site reads and compiles the catalog once, not twice."""
    assert i18n.translations(TRANSLATIONS, "ar-MA") is i18n.translations(TRANSLATIONS, "ar")
    assert i18n.translations(TRANSLATIONS, "he-IL") is i18n.translations(TRANSLATIONS, "he")
    assert i18n.translations(TRANSLATIONS, "he") is not i18n.translations(TRANSLATIONS, "ar")


def fresh_catalog(lang: str, kept_in: Path | None) -> gettext.NullTranslations:
    """The catalog as a new build process reads it (the in-process cache emptied)."""
    i18n._catalog.cache_clear()
    return i18n.translations(TRANSLATIONS, lang, kept_in)


def forbid_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_(*_args: object) -> bytes:
        raise AssertionError("the .po file was compiled again")

    monkeypatch.setattr(i18n, "_compile", compile_)


@pytest.mark.parametrize("lang", ["ar-MA", "he"])
def test_a_kept_catalog_answers_as_the_po_file_does_and_is_not_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    compiled = fresh_catalog(lang, None)
    kept = fresh_catalog(lang, tmp_path)  # compiles and keeps it
    assert len(list(tmp_path.glob("catalog-*.mo"))) == 1
    forbid_compiling(monkeypatch)
    read_back = fresh_catalog(lang, tmp_path)
    for message in sorted(used_messages()):
        assert read_back.gettext(message) == kept.gettext(message) == compiled.gettext(message)
    assert read_back.gettext("said:") != "said:"


def test_a_damaged_kept_catalog_is_compiled_again(tmp_path: Path) -> None:
    fresh_catalog("ar", tmp_path)
    (kept,) = tmp_path.glob("catalog-*.mo")
    for damage in (kept.read_bytes()[:40], b"", b"\x00" * 64):
        kept.write_bytes(damage)
        assert fresh_catalog("ar", tmp_path).gettext("said:") == "قال:"
        assert kept.read_bytes()[:4] == b"\xde\x12\x04\x95"  # written anew: the .mo magic


def test_a_changed_po_file_is_compiled_again(tmp_path: Path) -> None:
    theme = tmp_path / "translations"
    po_file = theme / "ar" / "LC_MESSAGES" / "messages.po"
    po_file.parent.mkdir(parents=True)
    po_file.write_bytes((TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po").read_bytes())
    cache = tmp_path / "cache"
    i18n._catalog.cache_clear()
    assert i18n.translations(theme, "ar", cache).gettext("said:") == "قال:"
    po_file.write_text(po_file.read_text("utf-8").replace('"قال:"', '"كتب العضو:"'), "utf-8")
    i18n._catalog.cache_clear()
    assert i18n.translations(theme, "ar", cache).gettext("said:") == "كتب العضو:"


def test_a_catalog_is_read_where_it_cannot_be_kept(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert fresh_catalog("he", not_a_folder).gettext("said:") == "כתב/ה:"
