"""Extra search terms for Arabic words that carry a clitic prefix.

Pagefind's Arabic stemmer strips `بال` but not the conjunctions `و`/`ف`, so `المغرب` does
not find a post that only says `والمغرب`. The theme indexes, in a hidden element of each
post, the words with those prefixes taken off; readers never see them.
"""

from __future__ import annotations

import re

ARABIC_WORD = re.compile(r"[\u0621-\u064A\u0660-\u0669\u066E-\u06D3\u06FA-\u06FF]+")
# Conjunction (و/ف), then a preposition (ب/ك/ل), then the article ال. `لل` is ل + ال.
ARTICLE_PREFIX = re.compile(r"^[وف]?[بكل]?(?=ال..)|^[وف]?ل(?=ل..)")
CONJUNCTION = re.compile(r"^[وف](?=...)")


def _stripped(word: str) -> str:
    if match := ARTICLE_PREFIX.match(word):
        rest = word[match.end() :]
        return rest if rest.startswith("ال") else "ا" + rest
    return CONJUNCTION.sub("", word)


def clitic_free_terms(text: str) -> list[str]:
    """The Arabic words of `text` with clitic prefixes removed, when that changes them."""
    words = ARABIC_WORD.findall(text)
    present = set(words)
    terms: dict[str, None] = {}
    for word in words:
        stripped = _stripped(word)
        if stripped != word and stripped not in present:
            terms[stripped] = None
    return list(terms)
