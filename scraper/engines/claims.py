"""Which engine claims a thread URL, told without importing any engine.

Every command that reads a thread offers its URL to each engine's pattern (engines/
__init__.py). Importing all fourteen engines for that cost 35-75 ms of CPU at the start of
every scrape (measured: most of it their records' classes), before the first request; now
only the engine whose pattern claims the URL is imported. Each engine's class reads its
`pattern` from here (`URL_PATTERNS`), so a pattern is written once.

Digits are ASCII ones (`[0-9]`): `\\d` would take "١٢٣", which names no thread and no folder.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..lazy_pattern import lazy_regex


class Claim(NamedTuple):
    """An engine by name, where its class is, and the thread URLs it claims."""

    name: str
    module: str  # in scraper.engines
    class_name: str
    pattern: re.Pattern[str]


# Not `forum/thread(s)/ID`: WoltLab's and vBulletin 4's URLs in a board folder named `forum`;
# nor `forum/t/...` or `forum/d/ID`: Discourse's and Flarum's topics in that folder.
NOT_OTHER_BOARDS = r"(?!threads?/[0-9]|t/|d/[0-9])"

# In the order claims and detection try them.
CLAIMS: tuple[Claim, ...] = (
    # /threads/slug.123/, /threads/123/, optionally /page-N and index.php? routing; and the
    # post permalinks /posts/N/ and /goto/post?id=N, which name no thread (their page does).
    Claim("xenforo2", "xenforo", "XenForo2", lazy_regex(
        r"^https?://[^/?#]+(?P<root>/[^?#]*?)?/(?:index\.php\?)?(?:threads/"
        r"(?:[^/?#]*\.)?(?P<id>[0-9]+)/?(?:page-(?P<page>[0-9]+))?|posts/[0-9]+/?"
        r"|goto/post[?&](?:[^#]*&)?id=[0-9]+)(?:[?#&].*)?$")),
    # threads/[slug.]ID/[page-N], posts/N/ and goto/post?id=N, with or without index.php?.
    Claim("xenforo1", "xenforo1", "XenForo1", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*?)?/(?:index\.php\?)?(?:"
        r"threads/(?:[^/?#&]*\.)?(?P<id>[0-9]+)(?=$|[/?#&])|"
        r"posts/[0-9]+(?=$|[/?#&])|"
        r"goto/post[?&](?:[^#]*&)?id=[0-9]+)")),
    # viewtopic.php with t=TOPIC (group "id") or p=POST, in any order, optionally in a folder.
    Claim("phpbb", "phpbb", "PhpBB", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?/viewtopic\.php\?"
        r"(?=(?:[^#]*[&;])?[tp]=[0-9])"
        r"(?:(?:[^#]*[&;])?t=(?P<id>[0-9]+))?")),
    # showthread.php?...tid=N or ?pid=N, and the SEO forms thread-N[-page-M|-post-P].html,
    # under any folder. The archive's Lite mode (archive/index.php?thread-N.html) is not read.
    Claim("mybb", "mybb", "MyBB", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?/(?:showthread\.php\?(?:[^#]*&)?(?:tid|pid)=[0-9]+|"
        r"thread-(?P<id>[0-9]+)(?:-(?:page-[0-9]+|post-[0-9]+|lastpost|newpost|nextnewest|"
        r"nextoldest))?\.html)(?:[&?#].*)?$")),
    # showthread.php with t=/threadid=/p=/postid= (any order), the friendly forms
    # showthread.php?ID-slug[/pageN] and showthread.php/ID-slug, /threads/ID-slug[/pageN],
    # and showpost.php?p=N; in any folder. `thread_id` reads the id (no single group can).
    Claim("vbulletin", "vbulletin", "VBulletin", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?/(?:"
        r"showthread\.php\?(?:[^#]*?[&;])?(?:t|threadid|p|postid)=[0-9]+"
        r"|showthread\.php\?[0-9]+(?:-[^/?#&;]*)?(?:/page[0-9]+)?/?(?=$|[&;#])"
        r"|(?:showthread\.php|threads)/[0-9]+(?:-[^/?#]*)?(?:/page[0-9]+)?/?(?=$|[?#])"
        r"|showpost\.php\?(?:[^#]*?[&;])?p=[0-9]+"
        r")")),
    # index.php?...topic=ID[.N] or ?msg=N (not an action=... page), or the queryless
    # index.php/topic,ID.N.html; the script may be left out (`/forum/?topic=1.0`).
    Claim("smf", "smf", "SMF", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?/(?:index\.php)?"
        r"(?:\?(?!(?:[^#]*[;&])?action=)(?:[^#]*[;&])?(?:topic=(?P<id>[0-9]+)|msg=[0-9]+)"
        r"|/topic,[0-9]+[^?#]*\.html)(?:[.;&?#/].*)?$",
        re.IGNORECASE)),
    # /topic/ID[-slug]/ anywhere (friendly, or after index.php?), the 4.x raw route, 3.x
    # showtopic, and 3.x post permalinks (section=findpost&pid=N), which name no topic.
    Claim("invision", "invision", "Invision", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*?)?"
        r"(?:(?:/index\.php\?(?:/[^#&]*?)?)?/topic/(?P<id>[0-9]+)(?:-[^/?#&]*)?(?:/|$|[?#&])"
        r"|/index\.php\?(?:[^#]*&)?(?:showtopic=[0-9]+|controller=topic&(?:[^#]*&)?id=[0-9]+"
        r"|section=findpost&(?:[^#]*&)?pid=[0-9]+))")),
    # `/t/slug/ID`, `/t/ID`, `/t/slug/ID/N`, and the API's own `/t/ID.json`,
    # `/t/ID/posts.json?...`. A first segment of digits followed by another is `/t/ID/N`
    # (Discourse's router reads it so), never a slug.
    Claim("discourse", "discourse", "Discourse", lazy_regex(
        r"^(?P<base>https?://[^/?#]+(?:/[^?#]*?)?)/t/(?:(?!\d+(?:[/.?]|$))[^/?#]+/)?(?P<id>\d+)"
        r"(?:\.json|/posts\.json|/\d+(?:\.json)?)?/?(?:\?.*)?$")),
    # The folder the forum lives in, then /d/ID[-slug][/N]; or its API's discussion URL.
    Claim("flarum", "flarum", "Flarum", lazy_regex(
        r"^(?P<root>https?://[^/?#]+(?:/[^?#]*?)??)"
        r"(?:/d/(?P<id>[0-9]{1,15})(?:-[^/?#]*)?(?:/[0-9]{1,15})?/?"
        r"|/api/discussions/(?P<api_id>[0-9]{1,15}))(?:[?#]|$)")),
    # The forum's folder, then /topic/ID[/slug[/N]]; or its API's topic URL.
    Claim("nodebb", "nodebb", "NodeBB", lazy_regex(
        r"^(?P<root>https?://[^/?#]+(?:/[^?#]*?)??)(?:/api)?/topic/(?P<id>[0-9]{1,15})"
        r"(?:/(?P<slug>[^/?#]+)(?:/[0-9]{1,15})?)?/?(?:[?#]|$)")),
    # The root channel `forum`, sub-channels, then `ID-slug`, then `/pageN`.
    Claim("vbulletin5", "vbulletin5", "VBulletin5", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?/forum/" + NOT_OTHER_BOARDS +
        r"(?:[^/?#]+/)+(?P<id>[0-9]+)(?:-[^/?#]*)?"
        r"(?:/page[0-9]+)?/?(?:\?.*)?$")),
    Claim("vanilla", "vanilla", "Vanilla", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?/discussion/(?:(?P<id>[0-9]+)(?:/[^?#]*)?"
        r"|comment/[0-9]+/?)(?:\?.*)?$")),
    Claim("woltlab", "woltlab", "WoltLab", lazy_regex(
        r"^https?://[^/?#]+(?:/[^?#]*)?(?:/thread/|/index\.php\?/?thread/)(?P<id>[0-9]+)"
        r"(?:-[^/?#&]*)?/?(?:[?&].*)?$")),
    # Claims no URL shape: the page decides (its markup's schema.org posts).
    Claim("schemaorg", "schemaorg", "SchemaOrg", lazy_regex(r"(?!)")),
)

URL_PATTERNS: dict[str, re.Pattern[str]] = {claim.name: claim.pattern for claim in CLAIMS}
