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


def _letters(ranges: tuple[tuple[int, int], ...]) -> frozenset[str]:
    """The letters (`str.isalpha`) of `ranges`: the ranges also hold digits, punctuation and
    marks (Arabic comma, tashkeel), which do not count."""
    return frozenset(chr(code) for low, high in ranges for code in range(low, high + 1)
                     if chr(code).isalpha())  # fmt: skip


_SCRIPTS = tuple((script, _letters(ranges)) for script, ranges in _SCRIPT_RANGES)
# Each script's letters become its mark (chr(1), chr(2)...), everything else is deleted:
# one pass in C over the text, then a count per mark. Three regular expressions (deleting
# what is not a script's letters) cost a match per word each: a quarter of building a
# post's view. Indexed by code point: a character past the table (an emoji) stays as it
# is, and is no mark (the marks themselves are deleted like any other character).
_MARKS = tuple(chr(number) for number in range(1, len(_SCRIPTS) + 1))
_TO_MARKS: list[int | None] = [None] * 0x10000
for _mark, (_, _script_letters) in zip(_MARKS, _SCRIPTS, strict=True):
    for _letter in _script_letters:
        _TO_MARKS[ord(_letter)] = ord(_mark)
# For `written_only_in`: the letters of every script but one.
_OTHER_LETTERS = {
    script: frozenset().union(*(letters for other, letters in _SCRIPTS if other != script))
    for script, _ in _SCRIPTS
}
_ALL_LETTERS = frozenset().union(*(letters for _, letters in _SCRIPTS))
LetterCounts = tuple[int, ...]  # letters of each script in `text`, in _SCRIPT_RANGES order
NO_LETTERS: LetterCounts = (0,) * len(_SCRIPTS)


def letter_counts(text: str) -> LetterCounts:
    """How many letters of each script `text` holds: those of texts joined by spaces add up."""
    marks = text.translate(_TO_MARKS)
    return tuple(marks.count(mark) for mark in _MARKS)


def most_letters(counts: LetterCounts) -> TextDirection | None:
    """The script with the most letters of `counts`, or None when there are none."""
    best: TextDirection | None = None
    most = 0
    for (script, _), count in zip(_SCRIPTS, counts, strict=True):
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
    # A direction of none of the scripts (a board's language): every letter is another's.
    return _OTHER_LETTERS.get(direction, _ALL_LETTERS).isdisjoint(text)
