"""The site's own words: every message the theme and the site code use is translated."""

from __future__ import annotations

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
