"""Post dates: the board's machine-readable time first, the shown text only as a fallback."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

log = logging.getLogger(__name__)


def iso_from_machine_time(value: str) -> str | None:
    """`2021-11-24T10:42:35+0100` (as XenForo writes it) as ISO 8601 `...+01:00`."""
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        log.warning("unreadable machine time %r", value)
        return None


@cache
def _parser(locale: str) -> DateDataParser:
    from dateparser.date import DateDataParser  # slow import, only needed as a fallback

    # ar-MA knows the Maghrebi months (نونبر, دجنبر) that plain Arabic does not.
    locales = ["ar-MA", "en"] if locale.startswith("ar") else ["en"]
    return DateDataParser(locales=locales, settings={"PREFER_DAY_OF_MONTH": "first"})


def parse_shown_date(text: str, board_language: str) -> str | None:
    """A date as the board shows it (`24 نونبر 2021 على 10:42`) as naive ISO 8601, or None."""
    if not text:
        return None
    parsed = _parser(board_language or "en").get_date_data(text.replace(" على ", " "))
    if parsed.date_obj is None:
        log.warning("unreadable date %r", text)
        return None
    return str(parsed.date_obj.isoformat())
