"""A thread's activity chart: posts per day (or week, or month) as the bars of an inline SVG.

`activity_chart` turns post dates into bar geometry; `partials/activity.html` draws it as
`<svg>` with `<rect>`s, so the chart needs no script and its title is in the page's
language. Each post counts on the day the board showed it (its own UTC offset). On a
right-to-left page the time axis runs right to left, as the reader's eye does.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from .dates import ARABIC_MONTHS, ENGLISH_MONTHS, HEBREW_MONTHS, MOROCCAN_MONTHS

log = logging.getLogger(__name__)

Unit = Literal["day", "week", "month"]

MAX_SLOTS = 120  # more days than this and a day's bar is too thin to see: weeks, then months
WIDTH = 600  # viewBox units; the SVG scales to its box (site.css)
HEIGHT = 80
GAP = 0.2  # share of a slot left empty between bars


@dataclass(frozen=True)
class Bar:
    """One period with posts: its place in the viewBox, its first day and its post count."""

    x: float
    y: float
    width: float
    height: float
    start: str  # ISO date of the period's first day
    count: int


@dataclass(frozen=True)
class ActivityChart:
    unit: Unit  # what one bar counts
    posts: int  # posts with a date (the bars' total)
    days: int  # first to last post, both counted
    first: str  # ISO date of the first post
    last: str  # ISO date of the last post
    peak: int  # the highest bar's count
    width: int
    height: int
    bars: list[Bar]  # periods with posts, oldest first


def _period_start(day: date, unit: Unit) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if unit == "month":
        return day.replace(day=1)
    return day


def _next_period(start: date, unit: Unit) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _periods(first: date, last: date, unit: Unit) -> list[date]:
    starts = [_period_start(first, unit)]
    while (following := _next_period(starts[-1], unit)) <= last:
        starts.append(following)
    return starts


def post_days(published: Iterable[str | None]) -> list[date]:
    """The board's calendar day of each ISO 8601 time; unreadable or missing ones are skipped."""
    days = []
    for iso in published:
        if not iso:
            continue
        try:
            days.append(datetime.fromisoformat(iso).date())
        except ValueError:
            log.warning("activity chart: not an ISO 8601 time: %r", iso)
    return days


def activity_chart(published: Iterable[str | None], *, rtl: bool = False) -> ActivityChart | None:
    """Bars of posts per period for posts published at `published`; None when none has a date.

    The period is a day while the thread spans at most `MAX_SLOTS` days, else a week, else
    a month. With `rtl` the oldest period is at the right.
    """
    days = post_days(published)
    if not days:
        return None
    first, last = min(days), max(days)
    units: tuple[Unit, ...] = ("day", "week")
    unit: Unit = next((u for u in units if len(_periods(first, last, u)) <= MAX_SLOTS), "month")
    starts = _periods(first, last, unit)
    counts = Counter(_period_start(day, unit) for day in days)
    peak = max(counts.values())
    slot = WIDTH / len(starts)
    bars = []
    for index, start in enumerate(starts):
        count = counts.get(start, 0)
        if not count:
            continue
        height = max(2.0, HEIGHT * count / peak)  # a single post stays visible
        offset = (len(starts) - 1 - index) if rtl else index
        bars.append(
            Bar(
                x=round(offset * slot + slot * GAP / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(slot * (1 - GAP), 2),
                height=round(height, 2),
                start=start.isoformat(),
                count=count,
            )
        )
    return ActivityChart(
        unit=unit,
        posts=len(days),
        days=(last - first).days + 1,
        first=first.isoformat(),
        last=last.isoformat(),
        peak=peak,
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
    )


def date_text(iso_date: str, lang: str, board_language: str = "") -> str:
    """An ISO date (no time) as a reader of `lang` writes it: `24 نونبر 2021`, `Nov 24, 2021`."""
    day = date.fromisoformat(iso_date)
    month = day.month - 1
    if lang == "ar":
        moroccan = board_language.lower().startswith("ar-ma")
        return f"{day.day} {(MOROCCAN_MONTHS if moroccan else ARABIC_MONTHS)[month]} {day.year}"
    if lang == "he":
        return f"{day.day} ב{HEBREW_MONTHS[month]} {day.year}"
    return f"{ENGLISH_MONTHS[month]} {day.day}, {day.year}"
