"""Shown dates of every region and engine, read against the fetch time and the board's zone."""

from __future__ import annotations

import pytest

from scraper.engines.dates import PageDates, iso_from_unix, parse_shown_date, php_date_pattern

# Fetch times as the WARC records them (WARC-Date): a Wednesday morning, and a late evening
# that is already the next day in Riyadh.
FETCHED = "2021-11-24T09:50:35Z"
LATE = "2021-11-24T23:30:00Z"

# (shown text, board language, fetch time, board zone, expected ISO 8601). A zone of None is
# a page that does not state one: the result is naive, its zone unknown.
SHOWN_DATES = [
    # Maghrebi months, as in the seed thread (a Moroccan XenForo board).
    ("الأربعاء 24 نونبر 2021 على 10:42", "ar-MA", None, "Africa/Casablanca",
     "2021-11-24T10:42:00+01:00"),
    ("25 نونبر 2021", "ar-MA", None, "Africa/Casablanca", "2021-11-25T00:00:00+01:00"),
    ("دجنبر 2020", "ar-MA", None, "+01:00", "2020-12-01T00:00:00+01:00"),
    ("12 يوليوز 2019 على 18:05", "ar-MA", None, "Africa/Casablanca",
     "2019-07-12T18:05:00+01:00"),
    ("3 غشت 2020", "ar-MA", None, "UTC", "2020-08-03T00:00:00+00:00"),
    ("٧ شتنبر ٢٠١٩ على ٠٩:٠٥", "ar-MA", None, "+0100", "2019-09-07T09:05:00+01:00"),
    # Morocco leaves +01:00 for Ramadan: the zone's rules, not a fixed offset.
    ("1 ماي 2021", "ar-MA", None, "Africa/Casablanca", "2021-05-01T00:00:00+00:00"),
    ("15 ابريل 2020", "ar-MA", None, "Africa/Casablanca", "2020-04-15T00:00:00+01:00"),
    # Levantine and Iraqi months, two words for some, sometimes with the other name after.
    ("24 تشرين الثاني 2021 الساعة 10:42 م", "ar-SY", None, "Asia/Damascus",
     "2021-11-24T22:42:00+02:00"),
    ("كانون الأول 2020", "ar-LB", None, None, "2020-12-01T00:00:00"),
    ("١٥ آذار ٢٠٢٠", "ar-IQ", None, None, "2020-03-15T00:00:00"),
    ("3 أيلول 2019، 08:30 ص", "ar-JO", None, "Asia/Amman", "2019-09-03T08:30:00+03:00"),
    ("24 تشرين الثاني/نوفمبر 2021", "ar-JO", None, None, "2021-11-24T00:00:00"),
    ("2 كانون الثاني 2022 في 16:20", "ar-LB", None, "Asia/Beirut", "2022-01-02T16:20:00+02:00"),
    ("9 حزيران 2018", "ar-IQ", None, "Asia/Baghdad", "2018-06-09T00:00:00+03:00"),
    ("1 ايار 2017", "ar-SY", None, None, "2017-05-01T00:00:00"),
    ("تشرين الأول 2019", "ar-IQ", None, None, "2019-10-01T00:00:00"),
    # Egyptian and Gulf months.
    ("24 نوفمبر 2021 - 10:42 م", "ar-EG", None, "Africa/Cairo", "2021-11-24T22:42:00+02:00"),
    ("٢ ديسمبر ٢٠٢١ الساعة ٠٩:١٥ ص", "ar-SA", None, "Asia/Riyadh",
     "2021-12-02T09:15:00+03:00"),
    ("15 يونيه 2018", "ar-EG", None, "Africa/Cairo", "2018-06-15T00:00:00+02:00"),
    ("إبريل 2016", "ar-KW", None, "+03:00", "2016-04-01T00:00:00+03:00"),
    ("30 أغسطس 2020", "ar-AE", None, "Asia/Dubai", "2020-08-30T00:00:00+04:00"),
    # Algerian and Tunisian months (after the French ones).
    ("3 جانفي 2022 على 14:05", "ar-DZ", None, "Africa/Algiers", "2022-01-03T14:05:00+01:00"),
    ("12 أفريل 2020", "ar-TN", None, None, "2020-04-12T00:00:00"),
    ("5 جويلية 2019", "ar-DZ", None, None, "2019-07-05T00:00:00"),
    ("15 أوت 2021", "ar-DZ", None, "Africa/Algiers", "2021-08-15T00:00:00+01:00"),
    ("1 فيفري 2021", "ar-TN", None, "Africa/Tunis", "2021-02-01T00:00:00+01:00"),
    ("20 جوان 2020", "ar-DZ", None, None, "2020-06-20T00:00:00"),
    # Arabic relative forms, against the fetch time taken in the board's zone.
    ("اليوم في 10:42", "ar-MA", FETCHED, "Africa/Casablanca", "2021-11-24T10:42:00+01:00"),
    ("أمس", "ar-MA", FETCHED, "Africa/Casablanca", "2021-11-23T00:00:00+01:00"),
    ("امس الساعة 11:30 م", "ar-EG", FETCHED, "Africa/Cairo", "2021-11-23T23:30:00+02:00"),
    ("منذ 3 ساعات", "ar", FETCHED, "UTC", "2021-11-24T06:50:35+00:00"),
    ("منذ ساعة", "ar", FETCHED, None, "2021-11-24T08:50:35"),
    ("منذ ساعتين", "ar", FETCHED, None, "2021-11-24T07:50:35"),
    ("منذ دقيقة", "ar", FETCHED, None, "2021-11-24T09:49:35"),
    ("منذ دقيقتين", "ar", FETCHED, None, "2021-11-24T09:48:35"),
    ("منذ 5 دقائق", "ar-SA", FETCHED, "Asia/Riyadh", "2021-11-24T12:45:35+03:00"),
    ("منذ 15 دقيقة", "ar", FETCHED, None, "2021-11-24T09:35:35"),
    ("منذ يوم", "ar", FETCHED, None, "2021-11-23T09:50:35"),
    ("منذ يومين", "ar", FETCHED, None, "2021-11-22T09:50:35"),
    ("منذ 4 أيام", "ar", FETCHED, None, "2021-11-20T09:50:35"),
    ("منذ لحظات", "ar", FETCHED, "Africa/Casablanca", "2021-11-24T10:50:35+01:00"),
    ("قبل 3 ساعات", "ar", FETCHED, None, "2021-11-24T06:50:35"),
    ("منذ ٣ ساعات", "ar", FETCHED, None, "2021-11-24T06:50:35"),
    ("منذ ۳ ساعات", "ar", FETCHED, None, "2021-11-24T06:50:35"),
    ("الثلاثاء في 10:42", "ar-LB", FETCHED, "Asia/Beirut", "2021-11-23T10:42:00+02:00"),
    ("اليوم الساعة 01:15 ص", "ar-SA", LATE, "Asia/Riyadh", "2021-11-25T01:15:00+03:00"),
    ("أمس", "ar-SA", LATE, "Asia/Riyadh", "2021-11-24T00:00:00+03:00"),
    ("منذ 3 ساعات", "ar", LATE, None, "2021-11-24T20:30:00"),
    # English: XenForo, phpBB, MyBB/vBulletin.
    ("Today at 10:42 AM", "en", FETCHED, "Africa/Casablanca", "2021-11-24T10:42:00+01:00"),
    ("Today at 01:15 AM", "en", LATE, None, "2021-11-24T01:15:00"),  # the fetch day in UTC
    ("Yesterday at 11:05 PM", "en", FETCHED, "America/New_York", "2021-11-23T23:05:00-05:00"),
    ("Yesterday, 18:30", "en", FETCHED, None, "2021-11-23T18:30:00"),
    ("5 minutes ago", "en", FETCHED, "+01:00", "2021-11-24T10:45:35+01:00"),
    ("a minute ago", "en", FETCHED, None, "2021-11-24T09:49:35"),
    ("A moment ago", "en", FETCHED, "UTC", "2021-11-24T09:50:35+00:00"),
    ("Just now", "en", FETCHED, None, "2021-11-24T09:50:35"),
    ("2 hours ago", "en", FETCHED, "Europe/London", "2021-11-24T07:50:35+00:00"),
    ("3 days ago", "en", FETCHED, None, "2021-11-21T09:50:35"),
    ("1 week ago", "en", FETCHED, None, "2021-11-17T09:50:35"),
    ("2 months ago", "en", FETCHED, None, "2021-09-24T09:50:35"),
    ("Monday at 8:00 PM", "en", FETCHED, "America/New_York", "2021-11-22T20:00:00-05:00"),
    ("Today, 08:12 AM", "en", FETCHED, None, "2021-11-24T08:12:00"),
    ("Wed Nov 24, 2021 8:12 am", "en", None, "+01:00", "2021-11-24T08:12:00+01:00"),
    ("11-24-2021, 08:12 AM", "en", None, "America/New_York", "2021-11-24T08:12:00-05:00"),
    ("Nov 24, 2021 at 10:42 AM", "en", None, "Europe/London", "2021-11-24T10:42:00+00:00"),
    # A date without its year is the last such day up to the fetch.
    ("Nov 24", "en", FETCHED, None, "2021-11-24T00:00:00"),
    ("Dec 24", "en", FETCHED, None, "2020-12-24T00:00:00"),
    # English month names in any order, as phpBB, XenForo 1 and SMF print them (our grammar).
    ("Thu Nov 25, 2021 11:05 pm", "en", None, None, "2021-11-25T23:05:00"),
    ("November 24th, 2021, 8:12 am", "en", None, None, "2021-11-24T08:12:00"),
    ("Nov 24th, '21, 10:42", "en", None, "UTC", "2021-11-24T10:42:00+00:00"),
    ("Apr 3, 2018 at 1:50 PM", "en", None, None, "2018-04-03T13:50:00"),
    ("3 Apr 2018 at 13:50", "en", None, None, "2018-04-03T13:50:00"),
    ("2018-04-03 at 13:50", "en", None, None, "2018-04-03T13:50:00"),
    ("Mar 2008", "en", None, None, "2008-03-01T00:00:00"),
    ("November 24, 2021, 08:12:00 AM", "en", None, None, "2021-11-24T08:12:00"),
    ("November 24, 2021, 12:05:00 AM", "en", None, None, "2021-11-24T00:05:00"),
    ("Nov 24, 2021, 01:30:00 PM", "en", None, None, "2021-11-24T13:30:00"),
    ("Wed, 24 November 2021, 21:47:00", "en", None, None, "2021-11-24T21:47:00"),
    # Month first in Arabic (SMF), on a board of any language.
    ("نوفمبر 25, 2021, 01:30:00 م", "en", None, None, "2021-11-25T13:30:00"),
    ("نوفمبر 24, 2021, 08:12:00 ص", "ar", None, None, "2021-11-24T08:12:00"),
    ("24 نونبر 2021، 10:42", "en", None, None, "2021-11-24T10:42:00"),
    ("٢٤ تشرين الثاني ٢٠٢١، ١٠:٤٢", "ar-SY", None, None, "2021-11-24T10:42:00"),
    # MyBB's relative forms, and times a little ahead of the fetch.
    ("Less than 1 minute ago", "en", FETCHED, None, "2021-11-24T09:49:35"),
    ("In 3 minutes", "en", FETCHED, None, "2021-11-24T09:53:35"),
    ("Yesterday, 11:59 PM", "en", "2021-11-24T00:30:00", None, "2021-11-23T23:59:00"),
    ("Today, 12:05 AM", "en", "2021-11-24T09:00:00+01:00", None, "2021-11-24T00:05:00"),
    # vBulletin's footer zones: decimal hours.
    ("Nov 24, 2021 at 10:42 AM", "en", None, "GMT +5.5", "2021-11-24T10:42:00+05:30"),
    ("Nov 24, 2021 at 10:42 AM", "en", None, "GMT -3.5", "2021-11-24T10:42:00-03:30"),
    # Hebrew.
    ("24 נובמבר 2021, 10:42:00", "he", None, None, "2021-11-24T10:42:00"),
    ("24 בנובמבר 2021 10:42 אחה\"צ", "he", None, "Asia/Jerusalem", "2021-11-24T22:42:00+02:00"),
    ("היום ב-10:42", "he", FETCHED, "Asia/Jerusalem", "2021-11-24T10:42:00+02:00"),
    ("אתמול בשעה 22:15", "he", FETCHED, "Asia/Jerusalem", "2021-11-23T22:15:00+02:00"),
    ("לפני 5 דקות", "he", FETCHED, None, "2021-11-24T09:45:35"),
    ("לפני דקה", "he", FETCHED, None, "2021-11-24T09:49:35"),
    ("לפני שעה", "he", FETCHED, None, "2021-11-24T08:50:35"),
    ("לפני שעתיים", "he", FETCHED, "Asia/Jerusalem", "2021-11-24T09:50:35+02:00"),
    ("לפני 3 ימים", "he", FETCHED, None, "2021-11-21T09:50:35"),
    ("לפני יומיים", "he", FETCHED, None, "2021-11-22T09:50:35"),
    ("24 בנובמבר 2021 בשעה 10:42", "he", None, "Asia/Jerusalem", "2021-11-24T10:42:00+02:00"),
    # Other languages: dateparser in the board's language.
    ("24 novembre 2021 à 10:42", "fr", None, "Europe/Paris", "2021-11-24T10:42:00+01:00"),
]


@pytest.mark.parametrize(
    ("shown", "language", "fetched", "zone", "expected"), SHOWN_DATES,
    ids=[f"{case[1]}:{case[0]}" for case in SHOWN_DATES],
)
def test_shown_dates_of_every_region(
    shown: str, language: str, fetched: str | None, zone: str | None, expected: str
) -> None:
    assert parse_shown_date(shown, language, reference=fetched, time_zone=zone) == expected


def test_relative_forms_without_the_fetch_time_are_not_read() -> None:
    """This machine's clock is not the fetch time: without it, a relative form gives None."""
    relative = [("Today at 10:42 AM", "en"), ("Yesterday", "en"), ("5 minutes ago", "en"),
                ("Just now", "en"), ("Monday at 8:00 PM", "en"), ("2 months ago", "en"),
                ("Nov 24", "en"), ("أمس", "ar-MA"), ("اليوم في 10:42", "ar-MA"),
                ("منذ 3 ساعات", "ar"), ("منذ لحظات", "ar"), ("היום ב-10:42", "he"),
                ("לפני 5 דקות", "he")]
    read = {text: parse_shown_date(text, language, time_zone="UTC") for text, language in relative}
    assert read == dict.fromkeys(read)


def test_unknown_zone_gives_a_naive_time_and_a_known_one_an_offset() -> None:
    shown = "24 نونبر 2021 على 10:42"
    assert parse_shown_date(shown, "ar-MA") == "2021-11-24T10:42:00"
    assert parse_shown_date(shown, "ar-MA", time_zone="Morocco/Rabat") == "2021-11-24T10:42:00"
    assert parse_shown_date(shown, "ar-MA", time_zone="Africa/Casablanca") == (
        "2021-11-24T10:42:00+01:00")
    assert parse_shown_date(shown, "ar-MA", time_zone="GMT-03:30") == "2021-11-24T10:42:00-03:30"
    # A zone the shown text states is kept over the board's.
    assert parse_shown_date("Nov 24, 2021 8:12 am GMT+1", "en", time_zone="UTC") == (
        "2021-11-24T08:12:00+01:00")


def test_unix_times_are_utc() -> None:
    assert iso_from_unix("1637746955") == "2021-11-24T09:42:35+00:00"
    assert iso_from_unix(1637746955) == "2021-11-24T09:42:35+00:00"
    assert iso_from_unix(" 0 ") == "1970-01-01T00:00:00+00:00"
    assert [iso_from_unix(bad) for bad in ("", "soon", "1.6e9", "١٦٣٧٧٤٦٩٥٥", "9" * 20)] == [
        None] * 5


def test_the_boards_formats_come_first() -> None:
    """Numeric dates are ambiguous: the board's PHP date() format says which is the month."""
    shown = "05-11-2021, 10:42 AM"
    assert parse_shown_date(shown, "en") == "2021-05-11T10:42:00"
    assert parse_shown_date(shown, "en", formats=("d-m-Y, h:i A",)) == "2021-11-05T10:42:00"
    assert parse_shown_date(shown, "en", formats=("m-d-Y, h:i A",), time_zone="GMT +2") == (
        "2021-05-11T10:42:00+02:00")
    # Arabic and Hebrew AM/PM, Arabic-Indic digits and comma, localized month names.
    assert parse_shown_date("١١-٢٤-٢٠٢١، ٠٩:١٢ م", "ar", formats=("m-d-Y, h:i A",)) == (
        "2021-11-24T21:12:00")
    assert parse_shown_date('11-24-2021, 09:12 לפנה"צ', "he", formats=("m-d-Y, h:i A",)) == (
        "2021-11-24T09:12:00")
    assert parse_shown_date("نونبر 2021", "ar-MA", formats=("F Y",)) == "2021-11-01T00:00:00"
    assert parse_shown_date("11/24/21 08:12  PM", "en", formats=("m/d/y h:i A",)) == (
        "2021-11-24T20:12:00")
    # A format that does not match leaves the text to the grammar and dateparser.
    assert parse_shown_date("Today, 10:42 AM", "en", reference=FETCHED,
                            formats=("m-d-Y, h:i A",)) == "2021-11-24T10:42:00"


def test_php_date_patterns_search_raw_text() -> None:
    pattern = php_date_pattern("d.m.Y - H:i")
    found = pattern.search("(last modified: 24.11.2021 - 08:12 by admin)")
    assert found is not None and found.group() == "24.11.2021 - 08:12"
    assert php_date_pattern(r"j \d\e F Y").fullmatch("24 de november 2021") is not None
    assert php_date_pattern("m-d-Y").search("١١-٢٤-٢٠٢١") is None  # raw text: ASCII digits only


def test_impossible_and_mangled_dates_are_not_read() -> None:
    assert parse_shown_date("February 30, 2021, 10:00:00 AM", "en") is None
    assert parse_shown_date("13-24-2021, 10:42 AM", "en", formats=("m-d-Y, h:i A",)) is None
    assert parse_shown_date("نوفمبر ²⁴, ²⁰²¹, 08:59:00 ص", "ar") is None  # superscripts
    assert parse_shown_date("", "en") is None


def test_page_dates_read_with_the_pages_settings() -> None:
    dates = PageDates("ar-MA", reference=FETCHED, time_zone="Africa/Casablanca",
                      formats=("d/m/Y H:i",))
    assert dates.read("أمس") == "2021-11-23T00:00:00+01:00"
    assert dates.read("05/11/2021 10:42") == "2021-11-05T10:42:00+01:00"
