"""Selector profiles: a board no engine knows, read by the CSS selectors a config file names.

A profile is a `[profiles.NAME]` table of `forum-mirror.toml` (docs/profiles.md):

    [profiles.fluxbb]
    url = 'viewtopic\\.php\\?(?:[^#]*&)?id=([0-9]+)'   # thread URLs; the group: the thread id
    title = ".crumbs li strong a"
    post = "div.blockpost"
    post_id = { attribute = "id", regex = 'p([0-9]+)' }
    content = ".postmsg"
    ...

Each field is a CSS selector (the element's text), or a table: `selector` (none: the
element itself), `attribute` (its value instead of the text) and `regex` (its first group
is the value). Post fields are looked for inside each post element; page fields (title,
breadcrumb, pagination, walls) in the whole page. `load_profile` checks a table and says
which file, profile and key is wrong (ConfigError, exit 12); `profile_engine` makes the
engine class, named `profile:NAME`: that name is the `engine` of the threads it archives,
and `engine_named` finds the profile again in the config file of the run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from ..errors import ConfigError, LayoutChanged, UnsupportedUrl
from ..records import AssetRef, Author, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from ..urls import canonical_url, origin_of, page_url, shown, thread_key
from . import canonical
from .base import (
    absolutize_urls,
    board_number,
    fill_positions,
    node_text,
    one_line,
    page_tree,
    unique_assets,
    url_filename,
)
from .counted import CountedPagesEngine
from .dates import PageDates, iso_from_machine_time
from .walls import check_not_a_wall, page_title, wall

log = logging.getLogger(__name__)

PREFIX = "profile:"  # the engine name of a profile: `profile:NAME`
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Fields read as a Field (selector, attribute, regex); where each is looked for.
PAGE_FIELDS = ("title", "breadcrumb", "next_page", "current_page", "last_page")
POST_FIELDS = ("post_id", "position", "author", "author_url", "member_id", "avatar",
               "published", "content", "images", "attachments", "quote", "quote_author",
               "quote_post_id")
OTHER_KEYS = ("url", "first_page", "post", "page_url", "date_format", "language", "time_zone",
              "remove", "walls")
KEYS = (*OTHER_KEYS, *PAGE_FIELDS, *POST_FIELDS)
REQUIRED = ("url", "title", "post", "post_id", "content")
FIELD_KEYS = ("selector", "attribute", "regex")
# Defaults of fields whose value is a URL: the attribute it is in.
URL_ATTRIBUTES = {"author_url": "href", "avatar": "src", "images": "src", "attachments": "href",
                  "next_page": "href", "quote_post_id": "href"}
_ISO_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T")


@dataclass(frozen=True)
class Field:
    """Where one value is: the element (`selector`; None: the element looked in), its
    `attribute` (None: its text) and the `regex` whose first group is the value."""

    selector: str | None = None
    attribute: str | None = None
    regex: re.Pattern[str] | None = None

    def nodes(self, scope: LexborNode) -> list[LexborNode]:
        return [scope] if self.selector is None else scope.css(self.selector)

    def read(self, node: LexborNode) -> str | None:
        """The value at `node` (an element this field's selector found), or None."""
        if self.attribute is not None:
            value = node.attributes.get(self.attribute)
        else:
            value = one_line(node.text())
        if value is None:
            return None
        if self.regex is not None:
            found = self.regex.search(value)
            return found.group(1) if found is not None else None
        return value.strip() or None

    def first(self, scope: LexborNode) -> str | None:
        for node in self.nodes(scope):
            value = self.read(node)
            if value is not None:
                return value
        return None

    def all(self, scope: LexborNode) -> list[tuple[LexborNode, str]]:
        return [(node, value) for node in self.nodes(scope)
                if (value := self.read(node)) is not None]


@dataclass(frozen=True)
class Profile:
    """A checked `[profiles.NAME]` table."""

    name: str
    source: str  # the config file it was read from, for messages
    url: re.Pattern[str]
    post: str
    fields: dict[str, Field]
    first_page: str = ""
    page_url: str = ""
    date_formats: tuple[str, ...] = ()
    language: str = ""
    time_zone: str | None = None
    remove: tuple[str, ...] = ()
    walls: tuple[str, ...] = ()
    table: dict[str, Any] = field(default_factory=dict, compare=False)  # as written


def load_profile(path: Path, name: str, table: Any) -> Profile:
    """The profile `table` names; ConfigError naming `path`, the profile and the key."""
    where = f"{path}: profiles.{name}"
    if not NAME.fullmatch(name):
        raise ConfigError(f"{where}: a profile name is 1-40 of a-z 0-9 _ - (lower case), "
                          f"starting with a letter or digit")
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of selectors ({', '.join(KEYS)})")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    missing = [key for key in REQUIRED if key not in table]
    if missing:
        raise ConfigError(f"{where}: missing required key {missing[0]!r} (required: "
                          f"{', '.join(REQUIRED)})")
    fields = {key: _field(where, key, table[key]) for key in (*PAGE_FIELDS, *POST_FIELDS)
              if key in table}
    if fields["post_id"].selector is None and fields["post_id"].attribute is None:
        raise ConfigError(f"{where}.post_id: name a selector or an attribute (e.g. "
                          "{ attribute = \"id\", regex = 'p([0-9]+)' })")
    date_formats = table.get("date_format", ())
    if isinstance(date_formats, str):
        date_formats = (date_formats,)
    if not isinstance(date_formats, list | tuple) or not all(
            isinstance(f, str) and f for f in date_formats):
        raise ConfigError(f"{where}.date_format must be a PHP date() format string such as "
                          "\"Y-m-d H:i:s\", or a list of them")
    for key in ("first_page", "page_url", "language", "time_zone"):
        if key in table and (not isinstance(table[key], str) or not table[key]):
            raise ConfigError(f"{where}.{key} must be a non-empty string")
    for key in ("first_page", "page_url"):
        if key in table:
            _check_template(where, key, table[key])
    return Profile(
        name=name, source=str(path), url=_regex(where, "url", table["url"]),
        post=_selector(where, "post", table["post"]),
        fields=fields, first_page=table.get("first_page", ""),
        page_url=table.get("page_url", ""), date_formats=tuple(date_formats),
        language=table.get("language", ""), time_zone=table.get("time_zone"),
        remove=tuple(_selector(where, "remove", s) for s in _strings(where, "remove", table)),
        walls=tuple(_selector(where, "walls", s) for s in _strings(where, "walls", table)),
        table=table)


def _strings(where: str, key: str, table: dict[str, Any]) -> list[str]:
    values = table.get(key, [])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}.{key} must be a list of CSS selectors")
    return list(values)


def _selector(where: str, key: str, selector: Any) -> str:
    if not isinstance(selector, str) or not selector.strip():
        raise ConfigError(f"{where}.{key} must be a CSS selector string")
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError:
        raise ConfigError(f"{where}.{key}: {selector!r} is not a CSS selector that parses"
                          ) from None
    return selector


def _regex(where: str, key: str, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{where}.{key} must be a regular expression string")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"{where}.{key}: {pattern!r} does not compile: {error}") from None
    if compiled.groups < 1:
        raise ConfigError(f"{where}.{key}: {pattern!r} has no group: put the value in "
                          "parentheses, e.g. 'id=([0-9]+)'")
    return compiled


def _field(where: str, key: str, value: Any) -> Field:
    if isinstance(value, str):
        return Field(_selector(where, key, value), URL_ATTRIBUTES.get(key))
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key} must be a CSS selector or a table of "
                          f"{', '.join(FIELD_KEYS)}")
    unknown = sorted(set(value) - set(FIELD_KEYS))
    if unknown:
        raise ConfigError(f"{where}.{key}: unknown key {unknown[0]!r} (known: "
                          f"{', '.join(FIELD_KEYS)})")
    attribute = value.get("attribute", URL_ATTRIBUTES.get(key))
    if attribute is not None and (not isinstance(attribute, str) or not attribute):
        raise ConfigError(f"{where}.{key}.attribute must be an attribute name")
    return Field(
        selector=_selector(where, f"{key}.selector", value["selector"])
        if "selector" in value else None,
        attribute=attribute,
        regex=_regex(where, f"{key}.regex", value["regex"]) if "regex" in value else None)


def _check_template(where: str, key: str, template: str) -> None:
    try:
        template.format(id="1", page=2, thread_url="https://forum.example/t")
    except (KeyError, IndexError, ValueError):
        raise ConfigError(f"{where}.{key}: {template!r} may only use {{id}}, {{page}} and "
                          "{thread_url}") from None


def profile_engine(profile: Profile) -> type[ProfileEngine]:
    """The engine class reading boards by `profile` (named `profile:NAME`)."""
    return type(f"Profile_{profile.name}", (ProfileEngine,), {
        "name": PREFIX + profile.name, "profile": profile,
        "pattern": profile.url,
        "example": f"(thread URLs matching {profile.url.pattern})",
        "summary": f"selector profile {profile.name!r} of {profile.source}"})


class ProfileEngine(CountedPagesEngine):
    """A board read by the selectors of a `Profile` (see the module)."""

    profile: ClassVar[Profile]

    @classmethod
    def matches(cls, url: str) -> bool:
        try:
            return cls.profile.url.search(canonical_url(url)) is not None
        except UnsupportedUrl:
            return False

    def thread_id(self, url: str) -> str:
        found = self.profile.url.search(canonical_url(url))
        if found is None or not found.group(1):
            raise UnsupportedUrl(f"{shown(url)} does not match profile {self.profile.name}'s "
                                 f"url {self.profile.url.pattern!r}")
        thread = found.group(1)
        return thread.lstrip("0") or "0" if thread.isdigit() else thread

    def thread_key(self, url: str) -> str:
        return thread_key(origin_of(url), self.thread_id(url))

    def first_page_url(self, url: str) -> str:
        if self.profile.first_page and self.matches(url):
            return canonical_url(urljoin(url, self.profile.first_page.format(
                id=self.thread_id(url), page=1, thread_url=canonical_url(url))))
        return canonical_url(url)

    def parse_counted(self, html: str, url: str, fetched_at: str | None,
                      first_index: int | None) -> ParsedPage:
        profile, fields = self.profile, self.profile.fields
        tree = page_tree(html)
        root = tree.root
        if root is None:
            raise LayoutChanged(f"{url} is an empty page")
        for selector in profile.walls:
            if tree.css_first(selector) is not None:
                raise wall(url, f"a page profile {profile.name} calls a wall ({selector})",
                           page_title(tree))
        nodes = tree.css(profile.post)
        if not nodes:
            check_not_a_wall(tree, url)
            raise LayoutChanged(f"found no posts ({profile.post!r} of profile "
                                f"{profile.name}) on {url}")
        title = fields["title"].first(root) or page_title(tree)
        thread_url = self.first_page_url(url)
        thread = self.thread_id(thread_url) if self.matches(thread_url) else None
        if thread is None:
            raise LayoutChanged(f"{url} names no thread: it does not match profile "
                                f"{profile.name}'s url {profile.url.pattern!r}")
        root_node = tree.css_first("html")
        language = (root_node.attributes.get("lang") or "") if root_node is not None else ""
        dates = PageDates(profile.language or language or "en", reference=fetched_at,
                          time_zone=profile.time_zone, formats=profile.date_formats)
        posts: list[ParsedPost] = []
        shown_numbers: list[int | None] = []
        for index, node in enumerate(nodes):
            post_id = fields["post_id"].first(node)
            if post_id is None:
                log.warning("post %d on %s has no id (profile %s's post_id finds none): "
                            "skipped", index + 1, url, profile.name)
                continue
            posts.append(self._post(node, post_id, url, dates))
            number = fields["position"].first(node) if "position" in fields else None
            shown_numbers.append(board_number(number) if number else None)
        if not posts:
            raise LayoutChanged(f"no post on {url} has an id (profile {profile.name}'s "
                                "post_id)")
        current = _page_number(fields, root, url)
        last = max([current, *(n for _, v in fields["last_page"].all(root)
                               if (n := board_number(v)) is not None)]
                   ) if "last_page" in fields else current
        if first_index is None:
            first_index = 0 if current == 1 else (current - 1) * len(posts)
        fill_positions(posts, shown_numbers, first_index)
        return ParsedPage(
            thread=ThreadInfo(id=thread, url=thread_url, title=title,
                              breadcrumb=[link for link in _breadcrumb(fields, root, url)
                                          if link.url != thread_url],
                              language=language),
            page_number=current, posts=posts,
            next_url=self._next_url(root, url, thread_url, thread, current, last),
            last_page=last)

    def _next_url(self, root: LexborNode, url: str, thread_url: str, thread: str,
                  current: int, last: int) -> str | None:
        fields = self.profile.fields
        if "next_page" in fields:
            href = fields["next_page"].first(root)
            return page_url(href, url) if href else None
        if self.profile.page_url and current < last:
            return page_url(self.profile.page_url.format(
                id=thread, page=current + 1, thread_url=thread_url), url)
        return None

    def _post(self, node: LexborNode, post_id: str, url: str, dates: PageDates) -> ParsedPost:
        fields = self.profile.fields
        read = {key: fields[key].first(node) if key in fields else None
                for key in ("author", "author_url", "member_id", "avatar", "published")}
        author_url = page_url(read["author_url"], url) if read["author_url"] else None
        avatar = page_url(read["avatar"], url) if read["avatar"] else None
        published_text = read["published"] or ""
        if _ISO_TIME.match(published_text):
            published = iso_from_machine_time(published_text)
        else:
            published = dates.read(published_text) if published_text else None
        contents = fields["content"].nodes(node)
        if not contents:
            raise LayoutChanged(f"post {post_id} on {url} has no content (profile "
                                f"{self.profile.name}'s content)")
        body = contents[0].clone()
        assets = [AssetRef(url=found, filename=one_line(link.text()) or url_filename(found))
                  for link, href in (fields["attachments"].all(node)
                                     if "attachments" in fields else [])
                  if (found := page_url(href, url))]
        absolutize_urls(body, url)
        for selector in self.profile.remove:
            for unwanted in body.css(selector):
                unwanted.decompose()
        for unwanted in body.css("script, style, noscript, form, button"):
            unwanted.decompose()
        canonical.drop_comments(body)
        quotes = self._quotes(body, url)
        images = fields.get("images", Field("img", "src"))
        for image, source in images.all(body):
            full = page_url(source, url)
            if full and full.startswith(("http://", "https://")):
                image.attrs["src"] = full
                if all(asset.url != full for asset in assets):
                    assets.append(AssetRef(url=full, filename=url_filename(full), kind="image"))
        canonical.drop_board_classes(body)
        return ParsedPost(
            id=post_id, position=0,
            author=Author(name=read["author"] or "", url=author_url, avatar_url=avatar,
                          member_id=read["member_id"]),
            published=published, published_text=published_text,
            content_html=(body.inner_html or "").strip(), content_text=node_text(body),
            quotes=quotes, assets=unique_assets(assets))

    def _quotes(self, body: LexborNode, url: str) -> list[Quote]:
        fields = self.profile.fields
        if "quote" not in fields or fields["quote"].selector is None:
            return []
        blocks = body.css(fields["quote"].selector)
        quotes = []
        for block in blocks:
            author = fields["quote_author"].first(block) if "quote_author" in fields else None
            post_id = (fields["quote_post_id"].first(block) if "quote_post_id" in fields
                       else None)
            quotes.append(Quote(author=author or "", post_id=post_id))
        header = fields.get("quote_author")

        def content_of(block: LexborNode) -> LexborNode:
            if header is not None and header.selector is not None:
                for node in block.css(header.selector):
                    node.decompose()
            # A box around the quoted words' own blockquote (FluxBB's div.quotebox): those.
            inner = block.css_first("blockquote") if block.tag != "blockquote" else None
            return inner if inner is not None else block

        canonical.replace_quotes(blocks, quotes, content_of)
        return quotes


def _page_number(fields: dict[str, Field], root: LexborNode, url: str) -> int:
    if "current_page" in fields:
        for _, value in fields["current_page"].all(root):
            number = board_number(value)
            if number is not None:
                return number
    return 1


def _breadcrumb(fields: dict[str, Field], root: LexborNode, url: str) -> list[Link]:
    if "breadcrumb" not in fields:
        return []
    links = []
    for node in fields["breadcrumb"].nodes(root):
        href = node.attributes.get("href")
        target = page_url(href, url) if href else None
        if target and (text := one_line(node.text())):
            links.append(Link(text, target))
    return links


def is_profile_name(name: str) -> bool:
    """Whether an engine name names a selector profile (`profile:NAME`)."""
    return name.startswith(PREFIX)


__all__ = ["PREFIX", "Field", "Profile", "ProfileEngine", "is_profile_name", "load_profile",
           "profile_engine"]
