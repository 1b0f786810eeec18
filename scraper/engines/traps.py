"""Crawler traps: links on a thread page that lead to forms, actions or endless variants.

A board links every post to "reply", "quote", "report", "edit", its login and register
forms, a printable copy, the next or previous topic and who-posted lists. None of them is
the thread; some change state, and some never end (ArchiveBot's forum ignore patterns list
the same kinds). Whatever an engine reads, the scraper requests no URL that matches here.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# (what it is, a pattern over the URL's path and query, lower-cased and unquoted)
TRAPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in (
        ("a reply or new-thread form", r"/(?:posting|newreply|newthread|newtopic|post)\.php"
                                       r"|[?&;](?:mode|do|action)=(?:reply|quote|newreply|"
                                       r"newthread|post|edit|editpost)\b|/(?:reply|add-reply|"
                                       r"post-thread|edit)(?:[/?]|$)"),
        ("an edit or moderation action", r"/(?:editpost|mcp|modcp|moderation|report|"
                                         r"reputation|inlinemod)\.php|[?&;]do=(?:report|"
                                         r"whoposted|markread)\b|/report(?:[/?]|$)"),
        ("a login or sign-up form", r"/(?:login|register|ucp|member\.php\?action=(?:login|"
                                    r"register))|[?&;](?:mode|action)=(?:login|register)\b"
                                    r"|/(?:login|register|lost-password)(?:[/?]|$)"),
        ("private messages", r"/(?:private|privmsg|sendmessage|conversations)(?:\.php|[/?]|$)"
                             r"|[?&;]action=pm\b"),
        ("a printable copy", r"/print(?:thread|topic)?\.php|[?&;](?:view=print|action="
                             r"printpage|print)\b|/print(?:[/?]|$)"),
        ("the next or previous topic", r"[?&;]view=(?:next|previous)\b|[?&;]goto=next"
                                       r"(?:newest|oldest)\b|/(?:next|prev)-topic"),
        ("a search-term highlight", r"[?&;](?:highlight|hilit)="),
    )
)


def crawler_trap(url: str) -> str | None:
    """What kind of trap `url` is, or None for an ordinary page or file."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None  # not a URL at all: the fetch refuses it and says why
    target = unquote(f"{parts.path}?{parts.query}").lower()
    for name, pattern in TRAPS:
        if pattern.search(target):
            return name
    return None
