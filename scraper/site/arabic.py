"""Search forms of words: Arabic spelled the way readers type it, Hebrew without niqqud.

A reader types `المغرب` for `وَالْمَغْرِبُ`, `اسرائيل` for `إسرائيل`, `مدرسه` for `مدرسة`. Both
the index (at build time, here) and the query (in the browser, `theme/static/js/search.js`)
are brought to one form: marks removed, letter variants folded, clitic prefixes taken off.
`RULES` is the one statement of those rules: the build writes it into the site
(`search/rules.js`), and search.js applies it with the same steps as `search_words`.
"""

from __future__ import annotations

import functools
import re
from typing import Any

# Removed everywhere: Arabic tashkeel (fathatan..sukun, U+064B-U+065F, with shadda and the
# hamza/madda marks), superscript alef, tatweel, Quranic annotation marks; Hebrew niqqud
# and cantillation; zero-width joiners and direction marks that copy-paste leaves inside
# words.
REMOVE = (
    "[\u064b-\u065f\u0670\u0640\u06d6-\u06ed"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u200c-\u200f]"
)
# Letters readers write either way, folded to the plain one.
FOLD = {
    "\u0623": "\u0627",  # أ -> ا
    "\u0625": "\u0627",  # إ -> ا
    "\u0622": "\u0627",  # آ -> ا
    "\u0671": "\u0627",  # ٱ (wasla) -> ا
    "\u0649": "\u064a",  # ى -> ي
    "\u0629": "\u0647",  # ة -> ه
    "\u06cc": "\u064a",  # Persian ی (Persian keyboards) -> ي
    "\u06a9": "\u0643",  # Persian ک -> ك
}
# Clitics written onto the word: conjunction (و/ف), preposition (ب/ك/ل), article (ال,
# and لل = ل + ال). Each is taken off only if `min_rest` letters remain, so short words
# whose first letter merely looks like a prefix (ولد, فاس, ليس, الله) are kept whole.
# The longest prefix that fits wins; only one is taken off.
PREFIXES: list[tuple[str, int]] = [
    *((conj + prep + "ال", 3) for conj in ("", "و", "ف") for prep in ("", "ب", "ك")),
    *((conj + "لل", 3) for conj in ("", "و", "ف")),
    *((conj + prep, 4) for conj in ("و", "ف") for prep in ("ب", "ك", "ل")),
    ("و", 3),
    ("ف", 3),
    ("ب", 4),
    ("ك", 4),
    ("ل", 4),
]
PREFIXES.sort(key=lambda rule: len(rule[0]), reverse=True)

_REMOVE = re.compile(REMOVE)
# Letters and digits (JS: /[\p{L}\p{N}]+/gu); marks are removed before words are cut.
_WORD = re.compile(r"[^\W_]+")

RULES: dict[str, Any] = {
    "remove": REMOVE,
    "fold": FOLD,
    "prefixes": [[prefix, min_rest] for prefix, min_rest in PREFIXES],
}


def normalize_arabic(text: str) -> str:
    """`text` lower-cased, without tashkeel, tatweel or niqqud, letter variants folded."""
    text = _REMOVE.sub("", text)
    # One replace per variant, not str.translate: translate looks every character up in a
    # dict, 30 times slower on Arabic text, and was a large part of indexing a big archive.
    # No folded letter is itself a variant, so the order of the replaces does not matter.
    for variant, plain in FOLD.items():
        text = text.replace(variant, plain)
    return text.lower()


# Words repeat (a corpus is mostly its few hundred commonest words): trying every prefix
# rule for each occurrence was most of the time spent indexing a large archive.
@functools.lru_cache(maxsize=1 << 16)
def strip_prefix(word: str) -> str:
    """A normalized word without its clitic prefix (`والمغرب` -> `مغرب`), if it has one."""
    for prefix, min_rest in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= min_rest:
            return word[len(prefix) :]
    return word


def normalized_words(text: str) -> list[str]:
    """The words of `text` normalized, prefixes still on: `search_words` before `strip_prefix`."""
    words: list[str] = _WORD.findall(normalize_arabic(text))
    return words


def search_words(text: str) -> list[str]:
    """The words of `text` in their search form, in order: what the index and queries hold."""
    return [strip_prefix(word) for word in normalized_words(text)]
