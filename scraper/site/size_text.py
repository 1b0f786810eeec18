"""A file's size in the reader's words ("117,9 كيلوبايت", "1.2 MB"), by Babel, with the few
entries of a locale's data that this takes kept in the build cache.

To format one number Babel loads a locale's whole CLDR data: for `ar-MA` that is root, ar
and ar_MA unpickled and merged, 45-60 ms. A rebuild after one post was added to a thread
spent about half of what it took beyond the thread's share there, for the single size its
pages show (the zip's). The entries a size needs (its three units' patterns, the number
formats and symbols, the plural rule) are a few kilobytes: kept, per Babel version, they
load in well under a millisecond, and Babel still does all of the formatting with them.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import babel
from babel.core import Locale, UnknownLocaleError
from babel.localedata import LocaleDataDict
from babel.units import format_unit

from ..archive import atomic_file

log = logging.getLogger(__name__)

UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte")
# What format_unit and the number formatting it calls read of a locale's data (beside the
# patterns of UNITS); tests/test_size_text.py checks that these are enough.
NUMBER_ENTRIES = ("decimal_formats", "number_symbols", "plural_form")
FALLBACK_LOCALE = "en"


def _unit_and_value(size: int) -> tuple[str, float | int]:
    if size >= 1_000_000:
        return "digital-megabyte", round(size / 1_000_000, 1)
    if size >= 1_000:
        return "digital-kilobyte", round(size / 1_000, 1)
    return "digital-byte", size


def _plain(value: object) -> object:
    """`value` with Babel's lazy mappings (which resolve its aliases on reading) made dicts."""
    if isinstance(value, Mapping):
        return {key: _plain(value[key]) for key in value}
    return value


class _KeptLocale(Locale):
    """A locale whose data is only the entries kept of it: what formatting a size reads."""

    def __init__(self, locale: Locale, entries: dict[str | int | None, Any]) -> None:
        super().__init__(locale.language, locale.territory, locale.script, locale.variant,
                         locale.modifier)  # fmt: skip
        self._entries = LocaleDataDict(entries)

    @property
    def _data(self) -> LocaleDataDict:  # Babel's own reads the locale's whole data
        return self._entries


class SizeText:
    """`text(size, lang)`: `size` bytes in `lang`'s words, the locale entries it needs kept
    in the file `kept_file` (none kept when it is None)."""

    def __init__(self, kept_file: Path | None) -> None:
        self._file = kept_file
        self._kept: dict[str, dict[str | int | None, Any]] | None = None
        # Every page of a thread shows its zip's size: formatting it once is enough.
        self.text = lru_cache(maxsize=1024)(self._text)

    def _text(self, size: int, lang: str) -> str:
        unit, value = _unit_and_value(size)
        identifier = (lang or FALLBACK_LOCALE).replace("-", "_")
        try:
            return format_unit(value, unit, length="short", locale=self._locale(identifier))
        except (ValueError, UnknownLocaleError):  # not a locale, or one without the unit
            return format_unit(value, unit, length="short", locale=self._locale(FALLBACK_LOCALE))

    def _locale(self, identifier: str) -> Locale:
        kept = self._read_kept()
        locale = Locale.parse(identifier)  # reads no data: only that the locale exists
        if identifier not in kept:
            patterns = locale._data["unit_patterns"]
            units = {unit: _plain(patterns[unit]) for unit in UNITS if unit in patterns}
            kept[identifier] = {
                "unit_patterns": units,
                **{entry: _plain(locale._data[entry]) for entry in NUMBER_ENTRIES},
            }
            self._write_kept(kept)
            return locale  # its whole data is loaded now anyway
        return _KeptLocale(locale, kept[identifier])

    def _read_kept(self) -> dict[str, dict[str | int | None, Any]]:
        if self._kept is None:
            self._kept = {}
            if self._file is not None and self._file.is_file():
                try:
                    with self._file.open("rb") as handle:
                        kept = pickle.load(handle)
                    if isinstance(kept, dict):
                        self._kept = kept
                except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError,
                        ValueError, ImportError, IndexError) as error:  # fmt: skip
                    log.debug("%s is unreadable (%s): reading Babel's data again",
                              self._file, error)  # fmt: skip
        return self._kept

    def _write_kept(self, kept: dict[str, dict[str | int | None, Any]]) -> None:
        if self._file is None:
            return
        try:
            with atomic_file(self._file, durable=False) as handle:
                pickle.dump(kept, handle, pickle.HIGHEST_PROTOCOL)
        except OSError as error:  # a cache: the next build reads Babel's data again
            log.debug("could not keep %s: %s", self._file, error)


def kept_file(cache_folder: Path) -> Path:
    """Where a build cache keeps the locale entries, for this version of Babel."""
    return cache_folder / f"size-text-babel-{babel.__version__}.pickle"
