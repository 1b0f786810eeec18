"""Which language and direction a text is written in, from the letters it uses.

Counting letters rather than taking the first strong character (what `dir="auto"` does)
keeps an Arabic line that starts with an English name right-to-left.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextDirection:
    lang: str  # "ar", "he" or "en"
    dir: str  # "rtl" or "ltr"


ARABIC = TextDirection("ar", "rtl")
HEBREW = TextDirection("he", "rtl")
LATIN = TextDirection("en", "ltr")

_SCRIPT_RANGES = (
    (ARABIC, ((0x0600, 0x06FF), (0x0750, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    (HEBREW, ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    (LATIN, ((0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x024F))),
)


def _script_of(char: str) -> TextDirection | None:
    code = ord(char)
    for script, ranges in _SCRIPT_RANGES:
        if any(low <= code <= high for low, high in ranges):
            return script
    return None


def detect(text: str) -> TextDirection | None:
    """The script with the most letters in `text`, or None when it has no letters."""
    counts = {ARABIC: 0, HEBREW: 0, LATIN: 0}
    for char in text:
        if char.isalpha():
            script = _script_of(char)
            if script is not None:
                counts[script] += 1
    # max() keeps the first of equal counts, so a tie goes to the right-to-left script.
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else None
