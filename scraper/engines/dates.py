"""Post dates for every engine: the board's machine-readable time first, the shown text as a
fallback, read in the board's language and zone.

Results are ISO 8601 strings. A result carries an offset only when its zone is known (the
machine time, a zone the shown text states, or the board's zone the caller passes); a naive
result means "zone unknown", never "UTC". Relative forms ("Yesterday at 10:42", "منذ 3
ساعات") are resolved against the fetch time the WARC records, never against this machine's
clock: without that `reference` they give None.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dateparser.date import DateDataParser

log = logging.getLogger(__name__)


def iso_from_machine_time(value: str) -> str | None:
    """`2021-11-24T10:42:35+0100` (as XenForo writes it) as ISO 8601 `...+01:00`."""
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        log.warning("unreadable machine time %r", value)
        return None


def iso_from_unix(value: str | int) -> str | None:
    """Unix seconds (`data-time="1637746955"`, `data-timestamp`) as ISO 8601 in UTC (`+00:00`).

    Whole seconds only, in ASCII digits as boards write them; anything else gives None.
    """
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not re.fullmatch(r"-?[0-9]{1,12}", text):
        log.warning("unreadable unix time %r", value)
        return None
    try:
        return datetime.fromtimestamp(int(text), tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        log.warning("unix time out of range %r", value)
        return None


def parse_shown_date(
    text: str,
    board_language: str,
    *,
    reference: str | None = None,
    time_zone: str | None = None,
) -> str | None:
    """A date as the board shows it (`24 نونبر 2021 على 10:42`, `Today at 10:42 AM`) as ISO 8601.

    `reference` is the fetch time (ISO 8601, UTC when it has no offset, as the WARC records
    it): relative forms are resolved against it, taken in the board's zone when that is
    known, else as naive UTC. Without it a relative form gives None. `time_zone` is the
    board's zone where the page states it ("UTC", "+01:00", "Africa/Casablanca"): with it
    the result carries its offset; without it (or when it cannot be read) the result is
    naive, meaning the zone is unknown. None when the text cannot be read. Raises
    ValueError when `reference` is not an ISO 8601 time.
    """
    if not text or not text.strip():
        return None
    reading = _reading(text, (board_language or "en").strip())
    if reading is None:
        return None
    zone = _zone(time_zone) if time_zone else None
    if isinstance(reading, _Absolute):
        return _in_zone(reading.moment, zone).isoformat()
    if reference is None:
        log.debug("relative date %r needs the fetch time to be read", text)
        return None
    now = _reference_time(reference)
    local = now.astimezone(zone) if zone else now.replace(tzinfo=None)
    if isinstance(reading, _Ago):
        if reading.months:  # calendar months, on the board's calendar
            return _months_back(local, reading.months).isoformat()
        moment = now - reading.delta  # a duration, counted in UTC whatever the zone's DST does
        return (moment.astimezone(zone) if zone else moment.replace(tzinfo=None)).isoformat()
    if isinstance(reading, _OnDay):
        days_back = reading.days_back
        if reading.weekday is not None:  # the last such weekday before today
            days_back = (local.weekday() - reading.weekday) % 7 or 7
        day = local.date() - timedelta(days=days_back)
        return datetime.combine(day, reading.clock or time(0), tzinfo=zone).isoformat()
    moment_at = _dateparser_at(reading.text, reading.locales, local.replace(tzinfo=None))
    return _in_zone(moment_at, zone).isoformat() if moment_at else None


# --- what a shown text says, before any reference or zone is applied ------------------------


@dataclass(frozen=True)
class _Absolute:
    moment: datetime  # naive unless the text itself states its zone


@dataclass(frozen=True)
class _Ago:
    delta: timedelta
    months: int = 0  # "2 months ago" counts calendar months, not a duration


@dataclass(frozen=True)
class _OnDay:
    days_back: int  # 0 today, 1 yesterday
    clock: time | None
    weekday: int | None = None  # "Monday at 10:42": Monday=0


@dataclass(frozen=True)
class _FromDateparser:
    """A text dateparser reads differently depending on the day it is read (a relative form
    we do not know, a date without its year): read again against each reference."""

    text: str
    locales: tuple[str, ...]


_Reading = _Absolute | _Ago | _OnDay | _FromDateparser


@lru_cache(maxsize=8192)
def _reading(text: str, board_language: str) -> _Reading | None:
    """What `text` says; cached, since pages repeat the same strings (members' joined dates)."""
    plain = _plain(text)
    try:
        reading = _own_reading(_without_connectors(plain))
    except ValueError:  # e.g. "31 فبراير 2021"
        log.warning("impossible date %r", text)
        return None
    if reading is None:
        reading = _dateparser_reading(_for_dateparser(text), _locales(board_language))
    if reading is None:
        log.warning("unreadable date %r", text)
    return reading


def _own_reading(words: str) -> _Reading | None:
    if _MOMENT_AGO.fullmatch(words):
        return _Ago(timedelta(0))
    if match := _ago_match(words):
        amount, unit = _amount(match), _UNITS[match["unit"]]
        if unit == "month":
            return _Ago(timedelta(0), months=amount)
        if unit == "year":
            return _Ago(timedelta(0), months=12 * amount)
        return _Ago(timedelta(**{unit: amount}))
    if match := _DAY.fullmatch(words):
        day = match["day"]
        clock = _clock(match)
        if day in _WEEKDAYS:
            return _OnDay(0, clock, weekday=_WEEKDAYS[day])
        return _OnDay(_DAYS_BACK[day], clock)
    if match := _ARABIC_DATE.fullmatch(words):
        month = _ARABIC_MONTHS[match["month"]]
        if match["month2"] and _ARABIC_MONTHS[match["month2"]] != month:
            raise ValueError("two different months")
        day = int(match["day"] or 1)  # a month alone ("دجنبر 2020") means its first day
        return _Absolute(datetime.combine(date(int(match["year"]), month, day),
                                          _clock(match) or time(0)))
    return None


# --- text normalisation ---------------------------------------------------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Harakat, tatweel and direction marks change nothing a reader sees as a date.
_MARKS = re.compile("[\u064b-\u065f\u0670\u0640\u200b-\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# Hamza and alef forms, alef maqsura, ta marbuta and Persian letters, as people type them.
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                          "ی": "ي", "ک": "ك", "،": ","})


def _plain(text: str) -> str:
    """`text` with ASCII digits, one spelling of each Arabic letter, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS)
    text = _MARKS.sub("", text).translate(_LETTERS).casefold()
    return " ".join(text.replace(",", " , ").split())


# Words boards print between a date and its time: "at", "على", "في", "الساعة", "בשעה", "ב-".
_CONNECTORS = frozenset({"at", ",", "@", "-", "|", "على", "علي", "في", "الساعه", "بتاريخ", "בשעה"})


def _without_connectors(plain: str) -> str:
    plain = re.sub(r"(?<!\S)ב-?(?=\d)", "", plain)  # "ב-10:42"
    return " ".join(word for word in plain.split() if word not in _CONNECTORS)


def _for_dateparser(text: str) -> str:
    text = _MARKS.sub("", unicodedata.normalize("NFKC", text).translate(_DIGITS))
    return " ".join(text.replace(" على ", " ").split())


# --- our own grammar: relative forms and Arabic months of every region ----------------------

_CLOCK = (r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
          r"(?: ?(?P<half>am|pm|a\.m\.|p\.m\.|ص|م|صباحا|مساء|مساءا|ظهرا))?")
_AFTERNOON = frozenset({"pm", "p.m.", "م", "مساء", "مساءا", "ظهرا"})


def _clock(match: re.Match[str]) -> time | None:
    if match["hour"] is None:
        return None
    hour, half = int(match["hour"]), match["half"]
    if half is not None:
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for AM/PM")
        hour = hour % 12 + (12 if half in _AFTERNOON else 0)
    return time(hour, int(match["minute"]), int(match["second"] or 0))


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first (so "تشرين الثاني" beats "تشرين")."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# Month names as `_plain` spells them. Our own table: dateparser's locales hold one region each.
_MONTH_NAMES = {
    1: ("يناير", "جانفي", "كانون الثاني", "كانون ثاني"),
    2: ("فبراير", "فيفري", "شباط"),
    3: ("مارس", "اذار"),
    4: ("ابريل", "افريل", "نيسان"),
    5: ("مايو", "ماي", "ايار"),
    6: ("يونيو", "يونيه", "جوان", "حزيران"),
    7: ("يوليو", "يوليه", "يوليوز", "جويليه", "تموز"),
    8: ("اغسطس", "غشت", "اوت", "اب"),
    9: ("سبتمبر", "شتنبر", "ايلول"),
    10: ("اكتوبر", "تشرين الاول", "تشرين اول"),
    11: ("نوفمبر", "نونبر", "تشرين الثاني", "تشرين ثاني"),
    12: ("ديسمبر", "دجنبر", "كانون الاول", "كانون اول"),
}
_ARABIC_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names}

_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
    "الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5,
    "الاحد": 6,
    "יום שני": 0, "יום שלישי": 1, "יום רביעי": 2, "יום חמישי": 3, "יום שישי": 4, "שבת": 5,
    "יום שבת": 5, "יום ראשון": 6,
}  # fmt: skip
_DAYS_BACK = {"today": 0, "اليوم": 0, "היום": 0,
              "yesterday": 1, "امس": 1, "البارحه": 1, "אתמול": 1, "שלשום": 2}
_DAY = re.compile(rf"(?P<day>{_alternatives([*_WEEKDAYS, *_DAYS_BACK])})(?: {_CLOCK})?")

_ARABIC_WEEKDAY = rf"(?:(?:يوم )?(?:{_alternatives(w for w in _WEEKDAYS if w.startswith('ال'))}) )?"
_ARABIC_MONTH = _alternatives(_ARABIC_MONTHS)
_ARABIC_DATE = re.compile(
    rf"{_ARABIC_WEEKDAY}(?:(?P<day>\d{{1,2}}) )?(?P<month>{_ARABIC_MONTH})"
    rf"(?: ?[/(] ?(?P<month2>{_ARABIC_MONTH})\)?)? (?P<year>\d{{4}})(?: ?م)?(?: {_CLOCK})?"
)

_MOMENT_AGO = re.compile(
    r"just now|now|a moment ago|moments ago|a few seconds ago|few seconds ago"
    r"|الان|للتو|(?:منذ|قبل) (?:لحظات|لحظه|ثوان|ثواني|بضع ثوان|بضع ثواني|قليل)"
    r"|עכשיו|ממש עכשיו|כרגע|לפני רגע|לפני כמה שניות|לפני מספר שניות"
)
_UNITS = {
    **dict.fromkeys(("second", "seconds", "sec", "secs"), "seconds"),
    **dict.fromkeys(("minute", "minutes", "min", "mins"), "minutes"),
    **dict.fromkeys(("hour", "hours", "hr", "hrs"), "hours"),
    **dict.fromkeys(("day", "days"), "days"),
    **dict.fromkeys(("week", "weeks"), "weeks"),
    **dict.fromkeys(("month", "months"), "month"),
    **dict.fromkeys(("year", "years"), "year"),
    **dict.fromkeys(("ثانيه", "ثانيتين", "ثانيتان", "ثوان", "ثواني"), "seconds"),
    **dict.fromkeys(("دقيقه", "دقيقتين", "دقيقتان", "دقائق"), "minutes"),
    **dict.fromkeys(("ساعه", "ساعتين", "ساعتان", "ساعات"), "hours"),
    **dict.fromkeys(("يوم", "يوما", "يومين", "يومان", "ايام"), "days"),
    **dict.fromkeys(("اسبوع", "اسبوعا", "اسبوعين", "اسبوعان", "اسابيع"), "weeks"),
    **dict.fromkeys(("شهر", "شهرا", "شهرين", "شهران", "اشهر", "شهور"), "month"),
    **dict.fromkeys(("سنه", "سنتين", "سنتان", "سنوات", "عام", "عاما", "عامين", "اعوام"), "year"),
    **dict.fromkeys(("שנייה", "שניות"), "seconds"),
    **dict.fromkeys(("דקה", "דקות"), "minutes"),
    **dict.fromkeys(("שעה", "שעות", "שעתיים"), "hours"),
    **dict.fromkeys(("יום", "ימים", "יומיים"), "days"),
    **dict.fromkeys(("שבוע", "שבועות", "שבועיים"), "weeks"),
    **dict.fromkeys(("חודש", "חודשים", "חודשיים"), "month"),
    **dict.fromkeys(("שנה", "שנים", "שנתיים"), "year"),
}
# Arabic and Hebrew duals: two of their unit.
_DUALS = frozenset({
    "ثانيتين", "ثانيتان", "دقيقتين", "دقيقتان", "ساعتين", "ساعتان", "يومين", "يومان",
    "اسبوعين", "اسبوعان", "شهرين", "شهران", "سنتين", "سنتان", "عامين",
    "שעתיים", "יומיים", "שבועיים", "חודשיים", "שנתיים",
})
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "שתי": 2, "שני": 2,
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9,
    "عشر": 10, "عشره": 10,
}  # fmt: skip
_AMOUNT = (rf"(?:(?P<number>\d{{1,4}}|{_alternatives(_NUMBER_WORDS)}) )?"
           rf"(?P<unit>{_alternatives(_UNITS)})")
_AGO = tuple(re.compile(pattern) for pattern in (
    rf"{_AMOUNT} ago", rf"(?:منذ|قبل) (?:حوالي |نحو )?{_AMOUNT}", rf"לפני (?:כ-?)?{_AMOUNT}",
))


def _amount(match: re.Match[str]) -> int:
    number = match["number"]
    if number is None:
        return 2 if match["unit"] in _DUALS else 1
    return int(number) if number.isdigit() else _NUMBER_WORDS[number]


def _ago_match(words: str) -> re.Match[str] | None:
    return next((m for m in (pattern.fullmatch(words) for pattern in _AGO) if m), None)


# --- zones and the reference ----------------------------------------------------------------

_OFFSET = re.compile(r"(?:utc|gmt)? ?(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?")


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo | None:
    """The zone a page states: "UTC", "GMT+1", "+01:00" or an IANA name; None if unreadable."""
    key = name.strip()
    if key.casefold() in {"utc", "gmt", "z"}:
        return UTC
    if match := _OFFSET.fullmatch(key.casefold()):
        offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"] or 0))
        if offset < timedelta(hours=24):
            return timezone(-offset if match["sign"] == "-" else offset)
    else:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    log.warning("unknown time zone %r: dates are kept without an offset", name)
    return None


def _in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """`moment` in the board's zone, unless its own text stated a zone."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None and zone else moment


@lru_cache(maxsize=256)
def _reference_time(reference: str) -> datetime:
    """The fetch time as an aware datetime (UTC when it states no offset, as WARC-Date)."""
    moment = datetime.fromisoformat(reference.strip()).replace(microsecond=0)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _months_back(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if short)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return moment.replace(year=year, month=month + 1,
                          day=min(moment.day, (following - timedelta(days=1)).day))


# --- dateparser, for English and every other language -----------------------------------------

# Two far-apart "todays": a text read the same way against both does not depend on the clock.
_PROBES = (datetime(2001, 2, 3, 4, 5, 6), datetime(2012, 9, 10, 11, 12, 13))


def _locales(board_language: str) -> tuple[str, ...]:
    from dateparser.data import language_locale_dict  # slow import, only needed as a fallback

    language = board_language.split("-")[0].split("_")[0].casefold()
    if language == "ar":
        return ("ar-MA", "en")  # today's choice, kept: our table reads Arabic months first
    return (language, "en") if language in language_locale_dict and language != "en" else ("en",)


def _dateparser_reading(text: str, locales: tuple[str, ...]) -> _Reading | None:
    first, second = (_dateparser_at(text, locales, probe) for probe in _PROBES)
    if first is None:
        return None
    return _Absolute(first) if first == second else _FromDateparser(text, locales)


@lru_cache(maxsize=1024)
def _dateparser_at(text: str, locales: tuple[str, ...], today: datetime) -> datetime | None:
    parsed = _parser(locales, today).get_date_data(text).date_obj
    return None if parsed is None else parsed.replace(microsecond=0)


@lru_cache(maxsize=64)
def _parser(locales: tuple[str, ...], today: datetime) -> DateDataParser:
    from dateparser.date import DateDataParser  # slow import, only needed as a fallback

    # A month alone is its first day; a date without its year is the last one before the
    # fetch: posts are in the past.
    return DateDataParser(locales=list(locales), settings={
        "PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "past", "RELATIVE_BASE": today})
