"""Letter counts and script checks of scraper.site.textdir, against str.isalpha per script."""

from __future__ import annotations

import pytest

from scraper.site.textdir import ARABIC, HEBREW, LATIN, detect, letter_counts, written_only_in


def test_only_letters_of_each_script_count() -> None:
    # Arabic comma, tashkeel and Arabic-Indic digits sit in the Arabic block but are no letters.
    assert letter_counts("مرحبا، بِكم ٣") == (8, 0, 0)
    assert letter_counts("שלום Benny") == (0, 4, 5)
    assert letter_counts("Ça va? ñ ǅ") == (0, 0, 6)


@pytest.mark.parametrize(
    "text",
    ["\x01\x02\x03", "😀🙂", "𠀀", "٣٤٥", "Привет", ""],
    ids=["the table's marks", "emoji", "past the BMP", "digits", "cyrillic", "empty"],
)
def test_characters_of_no_script_are_no_letters(text: str) -> None:
    assert letter_counts(text) == (0, 0, 0)
    assert detect(text) is None
    assert all(written_only_in(text, script) for script in (ARABIC, HEBREW, LATIN))


def test_written_only_in_sees_one_letter_of_another_script() -> None:
    assert written_only_in("مرحبا 😀 ٣", ARABIC)
    assert not written_only_in("مرحبا x", ARABIC)
    assert not written_only_in("hello ש", LATIN)
    # A language none of the scripts is: every letter is another script's.
    assert written_only_in("٣ 😀", type(LATIN)("fr", "ltr"))
    assert not written_only_in("bonjour", type(LATIN)("fr", "ltr"))
