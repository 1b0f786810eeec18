"""The site's own words (not the forum's) in the language of the page that shows them.

Templates say `{{ _("Posts") }}` through Jinja's i18n extension; the English text is the
message id, and the theme's gettext catalogs (`translations/<lang>/LC_MESSAGES/messages.po`,
as Pelican themes keep them) hold the other languages. Catalogs are read as `.po` with Babel
and compiled in memory, so no binary `.mo` file lives in the repository.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment
from markupsafe import Markup

log = logging.getLogger(__name__)

DOMAIN = "messages"


def base_language(lang: str) -> str:
    """`ar` for `ar-MA`: catalogs are per language, not per region."""
    return lang.split("-")[0].lower()


def translations(directory: Path, lang: str) -> gettext.NullTranslations:
    """The catalog for `lang` in `directory`; English (the message ids) when there is none."""
    return _catalog(directory, base_language(lang))


# By language, not by `lang`: an `ar-MA` thread on an `ar` site read and compiled the same
# catalog a second time (15-25 ms).
@cache
def _catalog(directory: Path, language: str) -> gettext.NullTranslations:
    po_file = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.is_file():
        return gettext.NullTranslations()
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _cached_gettext(catalog: gettext.NullTranslations) -> Callable[..., Markup]:
    """`_()` as Jinja's new-style gettext makes it (the translation is Markup, formatted with
    the call's keywords, which are escaped), with each translation looked up once.

    A thread page calls `_()` about a dozen times per post; Jinja's own wrapper goes through
    several calls and a fresh Markup each time, which was a tenth of a page's rendering.
    """
    found: dict[str, Markup] = {}

    def translate(message: str, **variables: object) -> Markup:
        text = found.get(message)
        if text is None:
            text = found[message] = Markup(catalog.gettext(message))
        return text % variables if variables else text

    return translate


def install(env: Environment, directory: Path, lang: str) -> gettext.NullTranslations:
    """Make `_()` in `env`'s templates speak `lang` (until the next call); returns the catalog."""
    env.add_extension("jinja2.ext.i18n")  # adding it again replaces it: no setting needed
    catalog = translations(directory, lang)
    # New-style gettext: `_("Page %(number)s", number=2)`, and the result is autoescaped.
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = _gettext_for(directory, base_language(lang))
    return catalog


@cache
def _gettext_for(directory: Path, language: str) -> Callable[..., Markup]:
    return _cached_gettext(_catalog(directory, language))
