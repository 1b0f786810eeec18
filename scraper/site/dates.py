"""Post times in the reader's terms, in the offset the board gave them (not converted)."""

from __future__ import annotations

from datetime import datetime

# Morocco names the months after the French ones; the board's language (ar-MA) says so.
MOROCCAN_MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو",
    "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر",
)  # fmt: skip
ARABIC_MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
)  # fmt: skip
HEBREW_MONTHS = (
    "ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני",
    "יולי", "אוגוסט", "ספטמבר", "אוקטובר", "נובמבר", "דצמבר",
)  # fmt: skip
ENGLISH_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def format_datetime(iso: str, lang: str, board_language: str = "") -> str:
    """`iso` as a reader of `lang` writes it, e.g. `24 نونبر 2021، 10:42` or `Nov 24, 2021, 10:42`.

    Raises ValueError when `iso` is not an ISO 8601 time.
    """
    moment = datetime.fromisoformat(iso)
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    month = moment.month - 1
    if lang == "ar":
        moroccan = board_language.lower().startswith("ar-ma")
        name = (MOROCCAN_MONTHS if moroccan else ARABIC_MONTHS)[month]
        return f"{moment.day} {name} {moment.year}، {clock}"
    if lang == "he":
        return f"{moment.day} ב{HEBREW_MONTHS[month]} {moment.year}, {clock}"
    return f"{ENGLISH_MONTHS[month]} {moment.day}, {moment.year}, {clock}"
