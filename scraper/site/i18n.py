"""The site's own words (not the forum's) in the language of the page that shows them.

Templates say `{{ _("Posts") }}` through Jinja's i18n extension; the English text is the
message id, and the theme's gettext catalogs (`translations/<lang>/LC_MESSAGES/messages.po`,
as Pelican themes keep them) hold the other languages. Catalogs are read as `.po` with Babel
and compiled, so no binary `.mo` file lives in the repository; the compiled catalog is kept
in the build's cache folder, because reading and compiling the `.po` took 35-60 ms of every
build, a quarter of what a rebuild after one new post costs beyond that thread's pages.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import logging
import os
import struct
from collections.abc import Callable
from functools import cache
from pathlib import Path

import babel
from jinja2 import Environment
from markupsafe import Markup

from ..archive import atomic_file

log = logging.getLogger(__name__)

DOMAIN = "messages"


def base_language(lang: str) -> str:
    """`ar` for `ar-MA`: catalogs are per language, not per region."""
    return lang.split("-")[0].lower()


def translations(
    directory: Path, lang: str, kept_in: Path | None = None
) -> gettext.NullTranslations:
    """The catalog for `lang` in `directory`; English (the message ids) when there is none.
    `kept_in`: a cache folder where the compiled catalog is kept between builds."""
    return _catalog(directory, base_language(lang), kept_in)


# By language, not by `lang`: an `ar-MA` thread on an `ar` site read and compiled the same
# catalog a second time (15-25 ms).
@cache
def _catalog(directory: Path, language: str, kept_in: Path | None) -> gettext.NullTranslations:
    po_file = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        stat = po_file.stat()
    except OSError:
        return gettext.NullTranslations()
    kept = None if kept_in is None else kept_in / _kept_name(po_file, stat)
    if kept is not None:
        try:
            return gettext.GNUTranslations(io.BytesIO(kept.read_bytes()))
        except FileNotFoundError:
            pass
        # gettext's reader raises these on a file cut short or not a catalog.
        except (OSError, struct.error, UnicodeDecodeError, IndexError, ValueError) as error:
            log.debug("%s is unreadable (%s): compiling %s again", kept, error, po_file)
    compiled = _compile(po_file, language)
    if kept is not None:
        try:
            with atomic_file(kept, durable=False) as handle:
                handle.write(compiled)
        except OSError as error:  # a cache: the next build compiles the catalog again
            log.debug("could not keep %s: %s", kept, error)
    return gettext.GNUTranslations(io.BytesIO(compiled))


def _kept_name(po_file: Path, stat: os.stat_result) -> str:
    """The kept catalog's name: a changed `.po` file, another theme's or another Babel's
    compiling is another file, so none is read in the place of another."""
    source = f"{po_file.resolve()}\0{stat.st_mtime_ns}\0{stat.st_size}\0{babel.__version__}"
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"catalog-{po_file.parent.parent.name}-{digest}.mo"


def _compile(po_file: Path, language: str) -> bytes:
    # Imported here: a build that finds its catalogs kept does not load Babel's readers.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    return compiled.getvalue()


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


def install(
    env: Environment, directory: Path, lang: str, kept_in: Path | None = None
) -> gettext.NullTranslations:
    """Make `_()` in `env`'s templates speak `lang` (until the next call); returns the catalog.
    `kept_in`: as for `translations`."""
    env.add_extension("jinja2.ext.i18n")  # adding it again replaces it: no setting needed
    catalog = translations(directory, lang, kept_in)
    # New-style gettext: `_("Page %(number)s", number=2)`, and the result is autoescaped.
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = _gettext_for(directory, base_language(lang), kept_in)
    return catalog


@cache
def _gettext_for(directory: Path, language: str, kept_in: Path | None) -> Callable[..., Markup]:
    return _cached_gettext(_catalog(directory, language, kept_in))
