"""Post dates for every engine: the board's machine-readable time first, the shown text as a
fallback, read in the board's language and zone.

Numeric dates are ambiguous (`05-11-2021` is May or November): only the board knows its
order, so an engine passes the board's date formats as PHP `date()` letters (`m-d-Y, h:i A`),
the form every PHP board keeps them in; they are tried first. Month names of every Arabic
region, English and Hebrew, relative forms and times are read by our own grammar below;
dateparser only reads what that leaves (other languages), as it costs milliseconds a call.

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

from ..lazy_pattern import lazy_regex

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
    formats: tuple[str, ...] = (),
) -> str | None:
    """A date as the board shows it (`24 نونبر 2021 على 10:42`, `Today at 10:42 AM`) as ISO 8601.

    `reference` is the fetch time (ISO 8601, UTC when it has no offset, as the WARC records
    it): relative forms are resolved against it, taken in the board's zone when that is
    known, else as naive UTC. Without it a relative form gives None. `time_zone` is the
    board's zone where the page states it ("UTC", "+01:00", "Africa/Casablanca"): with it
    the result carries its offset; without it (or when it cannot be read) the result is
    naive, meaning the zone is unknown. `formats` are the board's own date formats as PHP
    `date()` letters (`m-d-Y, h:i A`, `D M d, Y g:i a`), tried first on the whole text. None
    when the text cannot be read. Raises ValueError when `reference` is not an ISO 8601 time.
    """
    if not text or not text.strip():
        return None
    reading = _reading(text, (board_language or "en").strip(), formats)
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


@dataclass(frozen=True)
class PageDates:
    """How one page's shown dates are read: the board's language, the fetch time (for relative
    forms), the zone the page states (None: unknown) and the board's date formats."""

    language: str
    reference: str | None = None  # the page's fetched_at
    time_zone: str | None = None
    formats: tuple[str, ...] = ()

    def read(self, text: str) -> str | None:
        """`text` as ISO 8601, or None (`parse_shown_date` with this page's settings)."""
        return parse_shown_date(text, self.language, reference=self.reference,
                                time_zone=self.time_zone, formats=self.formats)


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
def _reading(text: str, board_language: str, formats: tuple[str, ...] = ()) -> _Reading | None:
    """What `text` says; cached, since pages repeat the same strings (members' joined dates)."""
    if any(char.isdigit() and not char.isdecimal() for char in text):
        # Superscripts and circled digits are no board's date digits (NFKC would make them so).
        log.warning("unreadable date %r", text)
        return None
    try:
        reading = _board_format_reading(_letters(text), formats) or _own_reading(
            _without_connectors(_plain(text)))
    except ValueError:  # e.g. "31 فبراير 2021"
        log.warning("impossible date %r", text)
        return None
    if reading is None:
        reading = _dateparser_reading(_for_dateparser(text), _locales(board_language))
    if reading is None:
        log.warning("unreadable date %r", text)
    return reading


def _board_format_reading(letters: str, formats: tuple[str, ...]) -> _Reading | None:
    for php_format in formats:
        if match := php_date_pattern(php_format).fullmatch(letters):
            return _Absolute(_from_php_match(match))
    return None


def _own_reading(words: str) -> _Reading | None:
    if _MOMENT_AGO.fullmatch(words):
        return _Ago(timedelta(0))
    if found := _ago_match(words):
        ago, sign = found
        amount, unit = sign * _amount(ago), _UNITS[ago["unit"]]
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
    if match := _MONTH_DATE.fullmatch(words):
        month = _MONTHS[match["month"] or match["month_first"]]
        if match["month2"] and _MONTHS[match["month2"]] != month:
            raise ValueError("two different months")
        # A month alone ("دجنبر 2020") means its first day.
        day = int(match["day"] or match["day_after"] or 1)
        year = int(match["year"]) if match["year"] else _full_year(match["year2"])
        return _Absolute(datetime.combine(date(year, month, day), _clock(match) or time(0)))
    if match := _NUMERIC_ISO_DATE.fullmatch(words):
        return _Absolute(datetime.combine(
            date(int(match["year"]), int(match["month"]), int(match["day"])),
            _clock(match) or time(0)))
    return None


def _full_year(two_digits: str) -> int:
    """`'21` as 2021 and `'98` as 1998 (strptime's `%y` rule)."""
    return int(two_digits) + (2000 if int(two_digits) < 69 else 1900)


# --- text normalisation ---------------------------------------------------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Harakat, tatweel and direction marks change nothing a reader sees as a date.
_MARKS = lazy_regex("[\u064b-\u065f\u0670\u0640\u200b-\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# Hamza and alef forms, alef maqsura, ta marbuta and Persian letters, as people type them.
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                          "ی": "ي", "ک": "ك", "،": ","})


def _letters(text: str) -> str:
    """`text` with ASCII digits, one spelling of each Arabic letter, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS)
    return " ".join(_MARKS.sub("", text).translate(_LETTERS).casefold().split())


def _plain(text: str) -> str:
    """`_letters`, with commas as words of their own (the grammar drops them)."""
    return " ".join(_letters(text).replace(",", " , ").split())


# Words boards print between a date and its time: "at", "على", "في", "الساعة", "בשעה", "ב-".
_CONNECTORS = frozenset({"at", ",", "@", "-", "|", "على", "علي", "في", "الساعه", "بتاريخ", "בשעה"})


def _without_connectors(plain: str) -> str:
    plain = re.sub(r"(?<!\S)ב-?(?=\d)", "", plain)  # "ב-10:42"
    return " ".join(word for word in plain.split() if word not in _CONNECTORS)


def _for_dateparser(text: str) -> str:
    text = _MARKS.sub("", unicodedata.normalize("NFKC", text).translate(_DIGITS))
    return " ".join(text.replace(" على ", " ").split())


# --- our own grammar: relative forms, month names (Arabic of every region, English, Hebrew) -

# AM and PM as boards write them (as `_letters` spells them): English, Arabic, Hebrew.
_MORNING = frozenset({"am", "a.m.", "ص", "صباحا", 'לפנה"צ', "לפנה״צ"})
_AFTERNOON = frozenset({"pm", "p.m.", "م", "مساء", "مساءا", "ظهرا", 'אחה"צ', "אחה״צ"})
_HALF = "|".join(re.escape(half) for half in sorted(_MORNING | _AFTERNOON, key=len, reverse=True))
_CLOCK = (r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
          rf"(?: ?(?P<half>{_HALF}))?")


def _clock(match: re.Match[str]) -> time | None:
    if match["hour"] is None:
        return None
    hour = _clock_hour(int(match["hour"]), match["half"])
    return time(hour, int(match["minute"]), int(match["second"] or 0))


def _clock_hour(hour: int, half: str | None) -> int:
    """The 24-hour hour of `hour` followed by AM/PM (`half`, if any)."""
    if half is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("hour out of range for AM/PM")
    return hour % 12 + (12 if _letters(half) in _AFTERNOON else 0)


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first (so "تشرين الثاني" beats "تشرين")."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# Month names as `_letters` spells them. Our own table: dateparser's locales hold one region
# each. Arabic of every region, English (as `%B`, `%b` print them), Hebrew (also as "בנובמבר").
_MONTH_NAMES = {
    1: ("يناير", "جانفي", "كانون الثاني", "كانون ثاني", "january", "jan", "ינואר"),
    2: ("فبراير", "فيفري", "شباط", "february", "feb", "פברואר"),
    3: ("مارس", "اذار", "march", "mar", "מרץ", "מרס"),
    4: ("ابريل", "افريل", "نيسان", "april", "apr", "אפריל"),
    5: ("مايو", "ماي", "ايار", "may", "מאי"),
    6: ("يونيو", "يونيه", "جوان", "حزيران", "june", "jun", "יוני"),
    7: ("يوليو", "يوليه", "يوليوز", "جويليه", "تموز", "july", "jul", "יולי"),
    8: ("اغسطس", "غشت", "اوت", "اب", "august", "aug", "אוגוסט"),
    9: ("سبتمبر", "شتنبر", "ايلول", "september", "sept", "sep", "ספטמבר"),
    10: ("اكتوبر", "تشرين الاول", "تشرين اول", "october", "oct", "אוקטובר"),
    11: ("نوفمبر", "نونبر", "تشرين الثاني", "تشرين ثاني", "november", "nov", "נובמבר"),
    12: ("ديسمبر", "دجنبر", "كانون الاول", "كانون اول", "december", "dec", "דצמבר"),
}
_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names}
_MONTHS |= {f"ב{name}": number for name, number in _MONTHS.items()
            if "\u05d0" <= name[0] <= "\u05ea"}  # Hebrew: "24 בנובמבר 2021"

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
_DAY = lazy_regex(rf"(?P<day>{_alternatives([*_WEEKDAYS, *_DAYS_BACK])})(?: {_CLOCK})?")

# A weekday before a date says nothing the date does not ("Wed Nov 24, 2021", "الأربعاء 24 نونبر").
_WEEKDAY_NAMES = (*_WEEKDAYS, "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat",
                  "sun")
_WEEKDAY = rf"(?:(?:يوم )?(?:{_alternatives(_WEEKDAY_NAMES)}) )?"
_MONTH = _alternatives(_MONTHS)
_ORDINAL = r"(?:st|nd|rd|th)?"
# "24 نونبر 2021", "نوفمبر 24, 2021", "24 تشرين الثاني/نوفمبر 2021", "Nov 24th, '21", then a time;
# the year may be followed by "م" (AD), which is not the PM of a time after it.
_MONTH_DATE = lazy_regex(
    rf"{_WEEKDAY}(?:(?:(?P<day>\d{{1,2}}){_ORDINAL} )?(?P<month>{_MONTH})"
    rf"(?: ?[/(] ?(?P<month2>{_MONTH})\)?)?|(?P<month_first>{_MONTH}) (?P<day_after>\d{{1,2}})"
    rf"{_ORDINAL}) (?:(?P<year>\d{{4}})|'(?P<year2>\d{{2}}))(?: ?م)?(?: {_CLOCK})?"
)
_NUMERIC_ISO_DATE = lazy_regex(
    rf"(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?: {_CLOCK})?")

_MOMENT_AGO = lazy_regex(
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
_AGO = tuple(lazy_regex(pattern) for pattern in (
    rf"(?:less than )?{_AMOUNT} ago", rf"(?:منذ|قبل) (?:حوالي |نحو |اقل من )?{_AMOUNT}",
    rf"לפני (?:כ-?|פחות מ-?)?{_AMOUNT}",
))
# Times a little ahead of the fetch (the board's clock runs fast): "In 3 minutes".
_AHEAD = tuple(lazy_regex(pattern) for pattern in (
    rf"in {_AMOUNT}", rf"بعد {_AMOUNT}", rf"בעוד {_AMOUNT}",
))


def _amount(match: re.Match[str]) -> int:
    number = match["number"]
    if number is None:
        return 2 if match["unit"] in _DUALS else 1
    return int(number) if number.isdigit() else _NUMBER_WORDS[number]


def _ago_match(words: str) -> tuple[re.Match[str], int] | None:
    """The amount-and-unit match of "N units ago" (sign 1) or "in N units" (sign -1)."""
    for patterns, sign in ((_AGO, 1), (_AHEAD, -1)):
        for pattern in patterns:
            if match := pattern.fullmatch(words):
                return match, sign
    return None


# --- the board's own formats: PHP date() letters ----------------------------------------------

# What each letter matches in `_letters` text; letters not here are taken as they stand. ASCII
# digits only: a search in a page's raw text (MyBB) must not stop inside other digits.
_PHP_LETTERS = {
    "d": r"(?P<day>[0-9]{2})", "j": r"(?P<day>[0-9]{1,2})", "S": r"(?:st|nd|rd|th)",
    "m": r"(?P<month>[0-9]{2})", "n": r"(?P<month>[0-9]{1,2})",
    "M": rf"(?P<month_name>{_MONTH})", "F": rf"(?P<month_name>{_MONTH})",
    "Y": r"(?P<year>[0-9]{4})", "y": r"(?P<year2>[0-9]{2})",
    "D": r"[^\W\d_]+", "l": r"[^\W\d_]+",
    "g": r"(?P<hour12>[0-9]{1,2})", "h": r"(?P<hour12>[0-9]{1,2})",
    "G": r"(?P<hour>[0-9]{1,2})", "H": r"(?P<hour>[0-9]{1,2})",
    "i": r"(?P<minute>[0-9]{2})", "s": r"(?P<second>[0-9]{2})",
    "A": rf"(?P<half>{_HALF})", "a": rf"(?P<half>{_HALF})",
}


@lru_cache(maxsize=256)
def php_date_pattern(php_format: str) -> re.Pattern[str]:
    """A PHP `date()` format (`m-d-Y, h:i A`) as a regex over the shown text (any case, any run
    of spaces where the format has one); a backslash takes the next letter as it stands."""
    parts = []
    escaped = False
    for char in php_format:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _PHP_LETTERS:
            parts.append(_PHP_LETTERS[char])
        else:
            parts.append(r"\s*" if char.isspace() else re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE)


def _from_php_match(match: re.Match[str]) -> datetime:
    """The naive moment a `php_date_pattern` match names; ValueError when it is no real date."""
    fields = {name: value for name, value in match.groupdict().items() if value is not None}
    if "month" in fields:
        month = int(fields["month"])
    elif "month_name" in fields:
        month = _MONTHS[_letters(fields["month_name"])]
    else:
        raise ValueError("a board format without a month")
    if "year" in fields:
        year = int(fields["year"])
    elif "year2" in fields:
        year = _full_year(fields["year2"])
    else:
        raise ValueError("a board format without a year")
    hour = int(fields.get("hour", 0))
    if "hour12" in fields:
        hour = _clock_hour(int(fields["hour12"]), fields.get("half"))
    return datetime(year, month, int(fields.get("day", 1)), hour, int(fields.get("minute", 0)),
                    int(fields.get("second", 0)))


# --- zones and the reference ----------------------------------------------------------------

# "+01:00", "UTC+1", "GMT +5.5" (vBulletin's decimal hours).
_OFFSET = lazy_regex(r"(?:utc|gmt)? ?(?P<sign>[+-]) ?(?P<hours>\d{1,2})"
                     r"(?::?(?P<minutes>\d{2})|\.(?P<fraction>\d{1,2}))?")


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo | None:
    """The zone a page states: "UTC", "GMT+1", "+01:00" or an IANA name; None if unreadable."""
    key = name.strip()
    if key.casefold() in {"utc", "gmt", "z"}:
        return UTC
    if match := _OFFSET.fullmatch(key.casefold()):
        minutes = int(match["minutes"] or 0) or round(float(f"0.{match['fraction'] or 0}") * 60)
        offset = timedelta(hours=int(match["hours"]), minutes=minutes)
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
