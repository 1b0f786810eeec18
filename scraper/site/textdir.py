"""Which language and direction a text is written in, from the letters it uses.

Counting letters rather than taking the first strong character (what `dir="auto"` does)
keeps an Arabic line that starts with an English name right-to-left.
"""

from __future__ import annotations

import re
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


def _letter_spans(ranges: tuple[tuple[int, int], ...]) -> str:
    """The letters (`str.isalpha`) of `ranges` as the inside of a regex class: the ranges
    also hold digits, punctuation and marks (Arabic comma, tashkeel), which do not count."""
    letters = [code for low, high in ranges for code in range(low, high + 1) if chr(code).isalpha()]
    spans: list[tuple[int, int]] = []
    for code in letters:
        if spans and spans[-1][1] == code - 1:
            spans[-1] = (spans[-1][0], code)
        else:
            spans.append((code, code))
    return "".join(
        re.escape(chr(low)) + ("" if low == high else "-" + re.escape(chr(high)))
        for low, high in spans
    )


# One compiled pass per script: the scan runs in C, not one Python step per character
# (that loop was most of a large build's time). A script's letters are found by a run of
# them, and counted by deleting everything else: one string out, where a list of runs was
# twice the time (the count ran for every line of every post).
_SCRIPTS = tuple(
    (script, re.compile(f"[{spans}]+"), re.compile(f"[^{spans}]+"))
    for script, spans in ((script, _letter_spans(ranges)) for script, ranges in _SCRIPT_RANGES)
)
LetterCounts = tuple[int, ...]  # letters of each script in `text`, in _SCRIPT_RANGES order
NO_LETTERS: LetterCounts = (0,) * len(_SCRIPTS)


def letter_counts(text: str) -> LetterCounts:
    """How many letters of each script `text` holds: those of texts joined by spaces add up."""
    return tuple(len(others.sub("", text)) for _, _, others in _SCRIPTS)


def most_letters(counts: LetterCounts) -> TextDirection | None:
    """The script with the most letters of `counts`, or None when there are none."""
    best: TextDirection | None = None
    most = 0
    for (script, _, _), count in zip(_SCRIPTS, counts, strict=True):
        # Strictly more: a tie keeps the earlier script, the right-to-left one.
        if count > most:
            best, most = script, count
    return best


def detect(text: str) -> TextDirection | None:
    """The script with the most letters in `text`, or None when it has no letters."""
    return most_letters(letter_counts(text))


def written_only_in(text: str, direction: TextDirection) -> bool:
    """Whether `text` has no letters of another script than `direction`'s (so no part of it
    could be detected as written in another)."""
    return not any(letters.search(text) for script, letters, _ in _SCRIPTS if script != direction)
