"""HTML of the demo board, rendered the way XenForo 2.2 renders it to a guest.

Pure functions: data in, HTML string out, no I/O, so tests can parse pages without a server.
The markup mirrors XenForo 2.2's public templates (PAGE_CONTAINER, thread_view, post_macros,
message_macros, bb_code_tag_quote, lightbox_macros, _media_site_embed_twitter, page_nav,
forum_list, forum_view, member_view) with the board's Arabic (ar-MA) phrases and Maghrebi
month names. Indentation is tidied; class names, attributes and nesting are XenForo's.
Nothing changes between requests: the CSRF token and cache-busting keys are fixed strings.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from . import images
from .seed import (
    HOME_TITLE,
    SEED_THREAD,
    Attachment,
    InlineImage,
    Member,
    Post,
    Quote,
    Segment,
    Text,
    Thread,
    Tweet,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8765"
DEFAULT_POSTS_PER_PAGE = 5

# Fixed stand-ins for values XenForo varies per session or deploy (tests rely on fixed pages).
CSRF_TOKEN = "1637712000,8d5e0f9a41c3b27e6f04d1a9c2b7e358"
JS_VERSION = "7d2a0c3e"
CSS_QUERY = "s=1&l=2&d=1637700000&k=0b6f1e2c9a7d45e3b8c1f0a2d4e6b8c0a1b2c3d4"

MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو",
    "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر",
)

# XenForo's 1x1 transparent GIF behind the reaction sprites.
_SPRITE_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def esc(value: object) -> str:
    return escape(str(value), quote=True)


# --- dates and numbers, as the ar-MA language formats them ----------------------------------


def date_string(moment: datetime | date) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def time_string(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def date_time_string(moment: datetime) -> str:
    return f"{date_string(moment)} على {time_string(moment)}"


def machine_time(moment: datetime) -> str:
    """`datetime` attribute form, with the numeric offset XenForo prints: +0100."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def iso_time(moment: datetime) -> str:
    """ISO 8601 with a colon in the offset (+01:00), as in JSON-LD."""
    return moment.isoformat()


def number(value: int) -> str:
    return f"{value:,}"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def time_tag(moment: datetime, itemprop: str = "") -> str:
    """XenForo's `<xf:date>`: old dates show the date string, the rest is in attributes."""
    prop = f' itemprop="{esc(itemprop)}"' if itemprop else ""
    return (
        f'<time class="u-dt" dir="auto" datetime="{machine_time(moment)}" '
        f'data-time="{int(moment.timestamp())}" '
        f'data-date-string="{esc(date_string(moment))}" '
        f'data-time-string="{time_string(moment)}" '
        f'title="{esc(date_time_string(moment))}"{prop}>{esc(date_string(moment))}</time>'
    )


# --- URLs (root-relative, as XenForo links inside pages) ------------------------------------


def thread_path(thread: Thread, page: int = 1) -> str:
    base = f"/threads/{thread.slug}.{thread.thread_id}/"
    return base if page <= 1 else f"{base}page-{page}"


def post_path(thread: Thread, post: Post) -> str:
    return f"/threads/{thread.slug}.{thread.thread_id}/post-{post.post_id}"


def goto_post_path(post_id: int) -> str:
    return f"/goto/post?id={post_id}"


def member_path(member: Member) -> str:
    return f"/members/{member.slug}.{member.user_id}/"


def forum_path(thread: Thread) -> str:
    return f"/forums/{thread.forum.slug}.{thread.forum.node_id}/"


def category_path(thread: Thread) -> str:
    return f"/#{thread.category.slug}.{thread.category.node_id}"


def attachment_slug(filename: str) -> str:
    """XenForo's URL form of a file name: `FE9C.jpeg` -> `fe9c-jpeg`."""
    return re.sub(r"[^a-z0-9]+", "-", filename.lower()).strip("-")


def attachment_path(attachment: Attachment) -> str:
    return f"/attachments/{attachment_slug(attachment.filename)}.{attachment.attachment_id}/"


def thumbnail_path(attachment: Attachment) -> str:
    """XenForo's thumbnail file: data/attachments/<data_id // 1000>/<data_id>-<file_hash>.jpg."""
    data_id = attachment.data_id
    file_hash = images.file_hash(attachment.filename)
    return f"/data/attachments/{data_id // 1000}/{data_id}-{file_hash}.jpg"


def page_count(thread: Thread, posts_per_page: int = DEFAULT_POSTS_PER_PAGE) -> int:
    return max(1, math.ceil(len(thread.posts) / posts_per_page))


def page_of(post: Post, posts_per_page: int = DEFAULT_POSTS_PER_PAGE) -> int:
    return (post.position - 1) // posts_per_page + 1


def posts_on_page(
    thread: Thread, page: int, posts_per_page: int = DEFAULT_POSTS_PER_PAGE
) -> tuple[Post, ...]:
    return thread.posts[(page - 1) * posts_per_page : page * posts_per_page]


def post_text(post: Post) -> str:
    """The post's own text (no quotes, embeds or images), paragraphs joined by a blank line."""
    return "\n\n".join(s.text for s in post.segments if isinstance(s, Text))


def snippet(text: str, length: int) -> str:
    """Whitespace-collapsed text cut at a word boundary, with `...` when cut."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0] + "..."


def thread_title_text(thread: Thread) -> str:
    """`prefix - title`, XenForo's plain-text form of a prefixed title (<title>, og:title)."""
    return f"{thread.prefix} - {thread.title}"


def breadcrumbs(thread: Thread) -> list[tuple[str, str]]:
    """(path, title) of the thread's breadcrumb: home, category, forum."""
    return [
        ("/", HOME_TITLE),
        (category_path(thread), thread.category.title),
        (forum_path(thread), thread.forum.title),
    ]


# --- page container -------------------------------------------------------------------------


def _breadcrumbs_html(crumbs: Sequence[tuple[str, str]], bottom: bool = False) -> str:
    if not crumbs:
        return ""
    items = ""
    for position, (href, title) in enumerate(crumbs, start=1):
        items += (
            '<li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">\n'
            f'\t<a href="{esc(href)}" itemprop="item">\n'
            f'\t\t<span itemprop="name">{esc(title)}</span>\n'
            "\t</a>\n"
            f'\t<meta itemprop="position" content="{position}" />\n'
            "</li>\n"
        )
    variant = "p-breadcrumbs--bottom" if bottom else ""
    return (
        f'<ul class="p-breadcrumbs {variant}"\n'
        '\titemscope itemtype="https://schema.org/BreadcrumbList">\n'
        f"{items}</ul>\n"
    )


def _nav_item(href: str, nav_id: str, label: str, key: int, selected: str) -> str:
    state = "is-selected" if nav_id == selected else ""
    return (
        f'<li><div class="p-navEl {state}">'
        f'<a href="{href}" class="p-navEl-link " data-xf-key="{key}" data-nav-id="{nav_id}">'
        f"{esc(label)}</a></div></li>\n"
    )


def _head(
    *,
    template: str,
    full_title: str,
    site_name: str,
    head_meta: str,
    data_keys: str,
) -> str:
    css_core = "public%3Anormalize.css%2Cpublic%3Afa.css%2Cpublic%3Acore.less%2Cpublic%3Aapp.less"
    css_page = (
        "public%3Abb_code.less%2Cpublic%3Alightbox.less%2Cpublic%3Amessage.less"
        "%2Cpublic%3Anode_list.less%2Cpublic%3Aextra.less"
    )
    css_query = esc(CSS_QUERY)
    return f"""<!DOCTYPE html>
<html id="XF" lang="ar-MA" dir="RTL"
\tdata-app="public"
\tdata-template="{template}"
{data_keys}\tdata-logged-in="false"
\tdata-cookie-prefix="xf_"
\tdata-csrf="{CSRF_TOKEN}"
\tclass="has-no-js template-{template}"
\t>
<head>
\t<meta charset="utf-8" />
\t<meta http-equiv="X-UA-Compatible" content="IE=Edge" />
\t<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
\t<title>{esc(full_title)}</title>
\t<link rel="manifest" href="/webmanifest.php">
\t<meta name="theme-color" content="#185886" />
\t<meta name="apple-mobile-web-app-title" content="{esc(site_name)}">
{head_meta}\t<link rel="stylesheet" href="/css.php?css={css_core}&amp;{css_query}" />
\t<link rel="stylesheet" href="/css.php?css={css_page}&amp;{css_query}" />
\t<script src="/js/xf/preamble.min.js?_v={JS_VERSION}"></script>
\t<link rel="icon" type="image/png" href="/styles/farmaroc/favicon.png" sizes="32x32" />
</head>
"""


def _header(site_name: str, nav_selected: str) -> str:
    nav = (
        _nav_item("/", "forums", "المنتديات", 1, nav_selected)
        + _nav_item("/whats-new/", "whatsNew", "الجديد", 2, nav_selected)
        + _nav_item("/members/", "members", "الأعضاء", 3, nav_selected)
    )
    return f"""<header class="p-header" id="header">
<div class="p-header-inner">
<div class="p-header-content">
\t<div class="p-header-logo p-header-logo--image">
\t\t<a href="/">
\t\t\t<img src="/styles/farmaroc/logo.png" alt="{esc(site_name)}"
\t\t\t\twidth="220" height="40" />
\t\t</a>
\t</div>
</div>
</div>
</header>

<div class="p-navSticky p-navSticky--primary" data-xf-init="sticky-header">
<nav class="p-nav">
<div class="p-nav-inner">
\t<button type="button" class="button--plain p-nav-menuTrigger button"
\t\tdata-xf-click="off-canvas" data-menu=".js-headerOffCanvasMenu" tabindex="0"
\t\taria-label="القائمة"><span class="button-text">
\t\t<i aria-hidden="true"></i>
\t</span></button>
\t<div class="p-nav-scroller hScroller" data-xf-init="h-scroller"
\t\tdata-auto-scroll=".p-navEl.is-selected">
\t\t<div class="hScroller-scroll">
\t\t\t<ul class="p-nav-list js-offCanvasNavSource">
{nav}\t\t\t</ul>
\t\t</div>
\t</div>
\t<div class="p-nav-opposite">
\t\t<div class="p-navgroup p-account p-navgroup--guest">
\t\t\t<a href="/login/"
\t\t\t\tclass="p-navgroup-link p-navgroup-link--textual p-navgroup-link--logIn"
\t\t\t\tdata-xf-click="overlay" data-follow-redirects="on">
\t\t\t\t<span class="p-navgroup-linkText">تسجيل الدخول</span>
\t\t\t</a>
\t\t\t<a href="/register/"
\t\t\t\tclass="p-navgroup-link p-navgroup-link--textual p-navgroup-link--register"
\t\t\t\tdata-xf-click="overlay" data-follow-redirects="on">
\t\t\t\t<span class="p-navgroup-linkText">التسجيل</span>
\t\t\t</a>
\t\t</div>
\t\t<div class="p-navgroup p-discovery">
\t\t\t<a href="/whats-new/"
\t\t\t\tclass="p-navgroup-link p-navgroup-link--iconic p-navgroup-link--whatsnew"
\t\t\t\taria-label="الجديد" title="الجديد">
\t\t\t\t<i aria-hidden="true"></i>
\t\t\t\t<span class="p-navgroup-linkText">الجديد</span>
\t\t\t</a>
\t\t\t<a href="/search/"
\t\t\t\tclass="p-navgroup-link p-navgroup-link--iconic p-navgroup-link--search"
\t\t\t\tdata-xf-click="menu" data-xf-key="/" aria-label="بحث" aria-expanded="false"
\t\t\t\taria-haspopup="true" title="بحث">
\t\t\t\t<i aria-hidden="true"></i>
\t\t\t\t<span class="p-navgroup-linkText">بحث</span>
\t\t\t</a>
\t\t</div>
\t</div>
</div>
</nav>
</div>

<div class="offCanvasMenu offCanvasMenu--nav js-headerOffCanvasMenu" data-menu="menu"
\taria-hidden="true" data-ocm-builder="navigation">
\t<div class="offCanvasMenu-backdrop" data-menu-close="true"></div>
\t<div class="offCanvasMenu-content">
\t\t<div class="offCanvasMenu-header">
\t\t\tالقائمة
\t\t\t<a class="offCanvasMenu-closer" data-menu-close="true" role="button" tabindex="0"
\t\t\t\taria-label="إغلاق"></a>
\t\t</div>
\t\t<div class="js-offCanvasNavTarget"></div>
\t</div>
</div>
"""


_FOOTER = """<footer class="p-footer" id="footer">
<div class="p-footer-inner">
\t<div class="p-footer-row">
\t\t<div class="p-footer-row-main">
\t\t\t<ul class="p-footer-linkList">
\t\t\t\t<li><a href="/misc/style" data-xf-click="overlay" data-xf-init="tooltip"
\t\t\t\t\ttitle="اختيار النمط" rel="nofollow">النمط الافتراضي</a></li>
\t\t\t\t<li><a href="/misc/language" data-xf-click="overlay" data-xf-init="tooltip"
\t\t\t\t\ttitle="اختيار اللغة" rel="nofollow"><i class="fa--xf far fa-globe"
\t\t\t\t\taria-hidden="true"></i> العربية (المغرب)</a></li>
\t\t\t</ul>
\t\t</div>
\t\t<div class="p-footer-row-opposite">
\t\t\t<ul class="p-footer-linkList">
\t\t\t\t<li><a href="/misc/contact" data-xf-click="overlay">اتصل بنا</a></li>
\t\t\t\t<li><a href="/help/terms/">الشروط والقواعد</a></li>
\t\t\t\t<li><a href="/help/privacy-policy/">سياسة الخصوصية</a></li>
\t\t\t\t<li><a href="/help/">مساعدة</a></li>
\t\t\t\t<li><a href="/">الرئيسية</a></li>
\t\t\t\t<li><a href="/forums/-/index.rss" target="_blank" class="p-footer-rssLink"
\t\t\t\t\ttitle="RSS"><span aria-hidden="true"><i class="fa--xf far fa-rss"
\t\t\t\t\taria-hidden="true"></i><span class="u-srOnly">RSS</span></span></a></li>
\t\t\t</ul>
\t\t</div>
\t</div>
\t<div class="p-footer-copyright">
\t\t<a href="https://xenforo.com" class="u-concealed" dir="ltr" target="_blank"
\t\t\trel="sponsored noopener">Community platform by XenForo<sup>&reg;</sup>
\t\t\t<span class="copyright">&copy; 2010-2021 XenForo Ltd.</span></a>
\t</div>
</div>
</footer>
</div> <!-- closing p-pageWrapper -->

<div class="u-bottomFixer js-bottomFixTarget">
</div>

<div class="u-navButtons js-navButtons" data-trigger-type="up">
\t<a href="javascript:" class="button--scroll button"><span class="button-text"><i
\t\tclass="fa--xf far fa-arrow-left" aria-hidden="true"></i><span
\t\tclass="u-srOnly">عودة</span></span></a>
</div>

<div class="u-scrollButtons js-scrollButtons" data-trigger-type="up">
\t<a href="#top" class="button--scroll button" data-xf-click="scroll-to"><span
\t\tclass="button-text"><i class="fa--xf far fa-arrow-up" aria-hidden="true"></i><span
\t\tclass="u-srOnly">أعلى</span></span></a>
</div>
"""


def _scripts(base_url: str, extra: str) -> str:
    time_config = (
        '{"now": 1637921050, "today": 1637881200, "todayDow": 5, '
        '"tomorrow": 1637967600, "yesterday": 1637794800, "week": 1637362800}'
    )
    return f"""
<script src="/js/vendor/jquery/jquery-3.5.1.min.js?_v={JS_VERSION}"></script>
<script src="/js/vendor/vendor-compiled.js?_v={JS_VERSION}"></script>
<script src="/js/xf/core-compiled.js?_v={JS_VERSION}"></script>
{extra}<script>
\tjQuery.extend(true, XF.config, {{
\t\t"userId": 0,
\t\t"enablePush": false,
\t\t"url": {{
\t\t\t"fullBase": "{esc(base_url)}/",
\t\t\t"basePath": "/",
\t\t\t"css": "/css.php?css=__SENTINEL__&{CSS_QUERY}",
\t\t\t"keepAlive": "/login/keep-alive"
\t\t}},
\t\t"cookie": {{"path": "/", "domain": "", "prefix": "xf_", "secure": false}},
\t\t"csrf": "{CSRF_TOKEN}",
\t\t"js": {{}},
\t\t"css": {{}},
\t\t"time": {time_config},
\t\t"jsState": {{}}
\t}});
\tjQuery.extend(XF.phrases, {{
\t\t"date_x_at_time_y": "{{date}} على {{time}}",
\t\t"day_x_at_time_y": "{{day}} على {{time}}"
\t}});
</script>

</body>
</html>
"""


def _layout(
    *,
    template: str,
    title: str,
    body: str,
    base_url: str,
    site_name: str,
    canonical_path: str | None = None,
    description: str = "",
    og_title: str = "",
    head_extra: str = "",
    container_key: str = "",
    content_key: str = "",
    crumbs: Sequence[tuple[str, str]] = (),
    body_header: str = "",
    nav_selected: str = "forums",
    foot_scripts: str = "",
) -> str:
    """PAGE_CONTAINER around a page's content."""
    head_meta = ""
    if description:
        head_meta += (
            f'\t<meta name="description" content="{esc(description)}" />\n'
            f'\t<meta property="og:description" content="{esc(description)}" />\n'
            f'\t<meta property="twitter:description" content="{esc(description)}" />\n'
        )
    if canonical_path is not None:
        canonical = esc(base_url + canonical_path)
        head_meta += (
            f'\t<meta property="og:url" content="{canonical}" />\n'
            f'\t<link rel="canonical" href="{canonical}" />\n'
        )
    head_meta += head_extra
    head_meta += (
        f'\t<meta property="og:site_name" content="{esc(site_name)}" />\n'
        '\t<meta property="og:type" content="website" />\n'
        f'\t<meta property="og:title" content="{esc(og_title or title)}" />\n'
        f'\t<meta property="twitter:title" content="{esc(og_title or title)}" />\n'
    )
    data_keys = ""
    if container_key:
        data_keys += f'\tdata-container-key="{container_key}"\n'
    if content_key:
        data_keys += f'\tdata-content-key="{content_key}"\n'
    full_title = site_name if title == site_name else f"{title} | {site_name}"
    head = _head(
        template=template,
        full_title=full_title,
        site_name=site_name,
        head_meta=head_meta,
        data_keys=data_keys,
    )
    js_warning = (
        '<noscript class="js-jsWarning"><div class="blockMessage blockMessage--important '
        'blockMessage--iconic u-noJsOnly">تم تعطيل جافا سكريبت. للحصول على تجربة أفضل، '
        "الرجاء تمكين جافا سكريبت في المتصفح الخاص بك قبل المتابعة.</div></noscript>"
    )
    return f"""{head}<body data-template="{template}">

<div class="p-pageWrapper" id="top">

{_header(site_name, nav_selected)}
<div class="p-body">
<div class="p-body-inner">
<!--XF:EXTRA_OUTPUT-->

{_breadcrumbs_html(crumbs)}
{js_warning}

{body_header}
<div class="p-body-main  ">
<div class="p-body-contentCol"></div>
<div class="p-body-content">
<div class="p-body-pageContent">
{body}
</div>
</div>
</div>

{_breadcrumbs_html(crumbs, bottom=True)}
</div>
</div>

{_FOOTER}{_scripts(base_url, foot_scripts)}"""


def _title_header(title_html: str, description_html: str = "") -> str:
    description = (
        f'\t<div class="p-description">{description_html}</div>\n' if description_html else ""
    )
    return (
        '<div class="p-body-header">\n'
        '\t<div class="p-title ">\n'
        f'\t\t<h1 class="p-title-value">{title_html}</h1>\n'
        "\t</div>\n"
        f"{description}"
        "</div>\n"
    )


# --- pieces of a thread page ----------------------------------------------------------------


def avatar_path(member: Member, size: str) -> str:
    """An uploaded avatar's file, as XenForo 2 keeps it: /data/avatars/<size>/<id // 1000>/."""
    group = member.user_id // 1000
    return f"/data/avatars/{size}/{group}/{member.user_id}.jpg?{member.avatar_date}"


# The avatar sizes XenForo 2 shows, as (file, file at 2x, CSS pixels).
_AVATAR_FILES = {
    "xxs": ("s", "m", 32), "xs": ("s", "m", 32), "s": ("s", "m", 48),
    "m": ("m", "l", 96), "l": ("l", "h", 192),
}  # fmt: skip


def _avatar(member: Member, size: str = "m") -> str:
    """The member's avatar: the uploaded picture, else XenForo's default letter avatar."""
    if member.avatar_date is not None:
        small, double, pixels = _AVATAR_FILES[size]
        return (
            f'<a href="{member_path(member)}" class="avatar avatar--{size}" '
            f'data-user-id="{member.user_id}" data-xf-init="member-tooltip">\n'
            f'\t<img src="{avatar_path(member, small)}" '
            f'srcset="{avatar_path(member, double)} 2x" alt="{esc(member.username)}" '
            f'class="avatar-u{member.user_id}-{size}" width="{pixels}" height="{pixels}" '
            'loading="lazy" /> \n'
            "</a>"
        )
    background, letter = member.avatar_colors
    return (
        f'<a href="{member_path(member)}" '
        f'class="avatar avatar--{size} avatar--default avatar--default--dynamic" '
        f'data-user-id="{member.user_id}" data-xf-init="member-tooltip" '
        f'style="background-color: {background}; color: {letter}">\n'
        f'\t<span class="avatar-u{member.user_id}-{size}" role="img" '
        f'aria-label="{esc(member.username)}">{esc(member.username[:1].upper())}</span> \n'
        "</a>"
    )


def username_link(member: Member, extra_class: str = "", itemprop: bool = False) -> str:
    prop = ' itemprop="name"' if itemprop else ""
    return (
        f'<a href="{member_path(member)}" class="username {extra_class}" dir="auto"{prop} '
        f'data-user-id="{member.user_id}" data-xf-init="member-tooltip">'
        f"{esc(member.username)}</a>"
    )


def _prefix_label(thread: Thread) -> str:
    return (
        f'<span class="label {thread.prefix_class}" dir="auto">{esc(thread.prefix)}</span>'
        '<span class="label-append">&nbsp;</span>'
    )


def _user_cell(member: Member) -> str:
    return f"""<div class="message-cell message-cell--user">
<section itemscope itemtype="https://schema.org/Person" class="message-user">
\t<div class="message-avatar ">
\t\t<div class="message-avatar-wrapper">
\t\t\t{_avatar(member)}
\t\t</div>
\t</div>
\t<div class="message-userDetails">
\t\t<h4 class="message-name">{username_link(member, itemprop=True)}</h4>
\t\t<h5 class="userTitle message-userTitle" dir="auto"
\t\t\titemprop="jobTitle">{esc(member.user_title)}</h5>
\t</div>
\t<div class="message-userExtras">
\t\t<dl class="pairs pairs--justified">
\t\t\t<dt>تاريخ التسجيل</dt>
\t\t\t<dd>{esc(date_string(member.joined))}</dd>
\t\t</dl>
\t\t<dl class="pairs pairs--justified">
\t\t\t<dt>المشاركات</dt>
\t\t\t<dd>{number(member.message_count)}</dd>
\t\t</dl>
\t\t<dl class="pairs pairs--justified">
\t\t\t<dt>مستوى التفاعل</dt>
\t\t\t<dd>{number(member.reaction_score)}</dd>
\t\t</dl>
\t</div>
\t<span class="message-userArrow"></span>
</section>
</div>
"""


def _text_html(text: str) -> str:
    # BB code rendering escapes the text and turns each newline into a <br />.
    return "<br />\n".join(esc(line) for line in text.split("\n"))


def _inline_image_html(attachment: Attachment, base_url: str) -> str:
    # XenForo 2.2 renders [ATTACH=full] through lightbox_macros::single_image: a lightbox
    # wrapper div (no <a>) whose data-src and <img src> are the full attachment URL.
    url = esc(base_url + attachment_path(attachment))
    width, height = images.image_size(attachment.filename)
    name = esc(attachment.filename)
    return (
        f'<div class="bbImageWrapper  js-lbImage" title="{name}"\n'
        f'\t\tdata-src="{url}" data-lb-sidebar-href="" data-lb-caption-extra-html="" '
        'data-single-image="1">\n'
        f'\t\t<img src="{url}"\n'
        '\t\t\tdata-url=""\n'
        '\t\t\tclass="bbImage"\n'
        '\t\t\tdata-zoom-target="1"\n'
        '\t\t\tstyle=""\n'
        f'\t\t\talt="{name}"\n'
        f'\t\t\ttitle="{name}"\n'
        f'\t\t\twidth="{width}" height="{height}" loading="lazy" />\n'
        "\t</div>"
    )


def _tweet_html(tweet: Tweet) -> str:
    # The container is XenForo 2.2's _media_site_embed_twitter. XenForo puts only a link in
    # it, which xf/embed.js swaps for Twitter's widget; we put Twitter's own embed
    # blockquote there instead, so the page itself holds the tweet's text (the evidence).
    return (
        '<div class="bbMediaJustifier bbCode-tweet"\n'
        '\t  data-media-site-id="twitter"\n'
        f'\t  data-media-key="{esc(tweet.tweet_id)}"\n'
        '\t  data-xf-init="tweet"\n'
        f'\t  data-tweet-id="{esc(tweet.tweet_id)}"\n'
        '\t  data-lang="ar"\n'
        '\t  data-theme="light"\n'
        f'\t  ><blockquote class="twitter-tweet" data-lang="{esc(tweet.lang)}">'
        f'<p lang="iw" dir="rtl">{esc(tweet.text)} '
        f'<a href="{esc(tweet.media_url)}">{esc(tweet.media_text)}</a></p>'
        f"&mdash; {esc(tweet.author_name)} (@{esc(tweet.handle)}) "
        f'<a href="{esc(tweet.url)}">{esc(tweet.date_text)}</a></blockquote></div>'
    )


def _quote_html(quote: Quote) -> str:
    return (
        f'<blockquote data-attributes="member: {quote.user_id}" '
        f'data-quote="{esc(quote.username)}" data-source="post: {quote.post_id}"\n'
        '\tclass="bbCodeBlock bbCodeBlock--expandable bbCodeBlock--quote js-expandWatch">\n'
        '\t<div class="bbCodeBlock-title">\n'
        f'\t\t<a href="{esc(goto_post_path(quote.post_id))}"\n'
        '\t\t\tclass="bbCodeBlock-sourceJump"\n'
        '\t\t\trel="nofollow"\n'
        '\t\t\tdata-xf-click="attribution"\n'
        f'\t\t\tdata-content-selector="#post-{quote.post_id}">قال {esc(quote.username)}:</a>\n'
        "\t</div>\n"
        '\t<div class="bbCodeBlock-content">\n'
        '\t\t<div class="bbCodeBlock-expandContent js-expandContent ">\n'
        f"\t\t\t{_text_html(quote.text)}\n"
        "\t\t</div>\n"
        '\t\t<div class="bbCodeBlock-expandLink js-expandLink"><a role="button" '
        'tabindex="0">انقر للتوسيع...</a></div>\n'
        "\t</div>\n"
        "</blockquote>"
    )


def _segment_html(post: Post, segment: Segment, base_url: str) -> str:
    if isinstance(segment, Text):
        return _text_html(segment.text)
    if isinstance(segment, InlineImage):
        return _inline_image_html(post.attachment(segment.attachment_id), base_url)
    if isinstance(segment, Tweet):
        return _tweet_html(segment)
    return _quote_html(segment)


def post_body_html(post: Post, base_url: str = DEFAULT_BASE_URL) -> str:
    """The inside of the post's `div.bbWrapper`."""
    if post.content_html is not None:
        return post.content_html
    out = ""
    previous: Segment | None = None
    for segment in post.segments:
        if previous is not None:
            # XenForo drops the line break right after a block quote; elsewhere the blank
            # line the author typed between paragraphs and images stays as two <br />.
            out += "\n" if isinstance(previous, Quote) else "<br />\n<br />\n"
        out += _segment_html(post, segment, base_url)
        previous = segment
    return out


def _attachment_list(post: Post) -> str:
    """message_macros::attachments: the attachments not already shown inline."""
    listed = post.listed_attachments
    if not listed:
        return ""
    items = ""
    for attachment in listed:
        width, height = images.thumbnail_size(attachment.filename)
        size = file_size(len(images.full_image(attachment.filename)))
        name = esc(attachment.filename)
        items += f"""\t<li class="file file--linked">
\t\t<a class="u-anchorTarget" id="attachment-{attachment.attachment_id}"></a>
\t\t<a class="file-preview js-lbImage" href="{attachment_path(attachment)}" target="_blank">
\t\t\t<img src="{thumbnail_path(attachment)}" alt="{name}"
\t\t\t\twidth="{width}" height="{height}" loading="lazy" />
\t\t</a>
\t\t<div class="file-content">
\t\t\t<div class="file-info">
\t\t\t\t<span class="file-name" title="{name}">{name}</span>
\t\t\t\t<div class="file-meta">
\t\t\t\t\t{size} &middot; المشاهدات: {number(attachment.view_count)}
\t\t\t\t</div>
\t\t\t</div>
\t\t</div>
\t</li>
"""
    return f"""
<section class="message-attachments">
\t<h4 class="block-textHeader">المرفقات</h4>
\t<ul class="attachmentList">
{items}\t</ul>
</section>
"""


def _reactions_bar(post: Post) -> str:
    if not post.liked_by:
        return '<div class="reactionsBar js-reactionsList "></div>'
    names = [f"<bdi>{esc(name)}</bdi>" for name in post.liked_by]
    who = names[0] if len(names) == 1 else "، ".join(names[:-1]) + " و " + names[-1]
    return (
        '<div class="reactionsBar js-reactionsList is-active">\n'
        '\t<ul class="reactionSummary">\n'
        '\t\t<li><span class="reaction reaction--small reaction--1" data-reaction-id="1">'
        f'<i aria-hidden="true"></i><img src="{_SPRITE_GIF}" '
        'class="reaction-sprite js-reaction" alt="أعجبني" title="أعجبني" /></span></li>\n'
        "\t</ul>\n"
        '\t<span class="u-srOnly">التفاعلات:</span>\n'
        f'\t<a class="reactionsBar-link" href="/posts/{post.post_id}/reactions" '
        f'data-xf-click="overlay" data-cache="false" rel="nofollow">{who}</a>\n'
        "</div>"
    )


def post_html(thread: Thread, post: Post, base_url: str = DEFAULT_BASE_URL) -> str:
    """One `article.message--post`, as post_macros::post renders it to a guest."""
    link = post_path(thread, post)
    last_edit = ""
    if post.edited_at is not None:
        last_edit = (
            '<div class="message-lastEdit">\n'
            f"\tآخر تعديل: {time_tag(post.edited_at, 'dateModified')}\n"
            "</div>\n"
        )
    caption = f"{esc(post.author.username)} &middot; {esc(date_time_string(post.posted_at))}"
    return f"""
<article class="message message--post js-post js-inlineModContainer  "
\tdata-author="{esc(post.author.username)}"
\tdata-content="post-{post.post_id}"
\tid="js-post-{post.post_id}">

\t<span class="u-anchorTarget" id="post-{post.post_id}"></span>

<div class="message-inner">
{_user_cell(post.author)}
<div class="message-cell message-cell--main">
<div class="message-main js-quickEditTarget">

<header class="message-attribution message-attribution--split">
\t<ul class="message-attribution-main listInline ">
\t\t<li class="u-concealed">
\t\t\t<a href="{link}" rel="nofollow">
\t\t\t\t{time_tag(post.posted_at, "datePublished")}
\t\t\t</a>
\t\t</li>
\t</ul>

\t<ul class="message-attribution-opposite message-attribution-opposite--list ">
\t\t<li>
\t\t\t<a href="{link}"
\t\t\t\tclass="message-attribution-gadget"
\t\t\t\tdata-xf-init="share-tooltip"
\t\t\t\tdata-href="/posts/{post.post_id}/share"
\t\t\t\taria-label="مشاركة"
\t\t\t\trel="nofollow">
\t\t\t\t<i class="fa--xf far fa-share-alt" aria-hidden="true"></i>
\t\t\t</a>
\t\t</li>
\t\t<li>
\t\t\t<a href="{link}" rel="nofollow">#{post.position}</a>
\t\t</li>
\t</ul>
</header>

<div class="message-content js-messageContent">

<div class="message-userContent lbContainer js-lbContainer "
\tdata-lb-id="post-{post.post_id}"
\tdata-lb-caption-desc="{caption}">

\t<article class="message-body js-selectToQuote">
\t\t<div class="bbWrapper">{post_body_html(post, base_url)}</div>
\t\t<div class="js-selectToQuoteEnd">&nbsp;</div>
\t</article>
{_attachment_list(post)}
</div>
{last_edit}
</div>

<footer class="message-footer">
\t{_reactions_bar(post)}
\t<div class="js-historyTarget message-historyTarget toggleTarget" data-href="trigger-href">
\t</div>
</footer>
</div>
</div>
</div>
</article>
"""


def _page_link(href: str, page: int, current: int) -> str:
    if page == current:
        css = "pageNav-page--current "
    else:
        css = "pageNav-page--earlier" if page < current else "pageNav-page--later"
    return f'\t\t<li class="pageNav-page {css}"><a href="{href}">{page}</a></li>\n'


def _skip(which: str) -> str:
    return (
        f'\t\t<li class="pageNav-page pageNav-page--skip pageNav-page--skip{which}">'
        '<a role="button" tabindex="0">…</a></li>\n'
    )


def _simple_nav(thread: Thread, current: int, total: int) -> str:
    """The compact `pageNavSimple` XenForo shows on narrow screens."""
    before = after = ""
    if current > 1:
        before = (
            f'\t<a href="{thread_path(thread, 1)}" '
            'class="pageNavSimple-el pageNavSimple-el--first" data-xf-init="tooltip" '
            'title="الأولى"><i aria-hidden="true"></i> <span class="u-srOnly">الأولى</span></a>\n'
            f'\t<a href="{thread_path(thread, current - 1)}" '
            'class="pageNavSimple-el pageNavSimple-el--prev"><i aria-hidden="true"></i> '
            "السابق</a>\n"
        )
    if current < total:
        after = (
            f'\t<a href="{thread_path(thread, current + 1)}" '
            'class="pageNavSimple-el pageNavSimple-el--next">التالي '
            '<i aria-hidden="true"></i></a>\n'
            f'\t<a href="{thread_path(thread, total)}" '
            'class="pageNavSimple-el pageNavSimple-el--last" data-xf-init="tooltip" '
            'title="الأخيرة"><i aria-hidden="true"></i> <span class="u-srOnly">الأخيرة</span></a>\n'
        )
    return (
        '<div class="pageNavSimple">\n'
        f"{before}"
        '\t<a class="pageNavSimple-el pageNavSimple-el--current" data-xf-init="tooltip" '
        'title="انتقل إلى الصفحة"\n'
        '\t\tdata-xf-click="menu" role="button" tabindex="0" aria-expanded="false" '
        'aria-haspopup="true">\n'
        f"\t\t{current} من {total}\n"
        "\t</a>\n"
        f"{after}"
        "</div>\n"
    )


def page_nav_html(thread: Thread, current: int, total: int) -> str:
    """XenForo's page_nav (empty for one page): first, up to 2 either side of current, last."""
    if total <= 1:
        return ""
    inner_start = max(2, current - 2)
    inner_end = min(total - 1, current + 2)
    skip_start = inner_start > 2
    skip_end = inner_end + 1 < total
    links = _page_link(thread_path(thread, 1), 1, current)
    if skip_start:
        links += _skip("Start")
    for page in range(inner_start, inner_end + 1):
        links += _page_link(thread_path(thread, page), page, current)
    if skip_end:
        links += _skip("End")
    links += _page_link(thread_path(thread, total), total, current)
    prev_link = next_link = ""
    if current > 1:
        prev_link = (
            f'\t<a href="{thread_path(thread, current - 1)}" '
            'class="pageNav-jump pageNav-jump--prev">السابق</a>\n'
        )
    if current < total:
        next_link = (
            f'\t<a href="{thread_path(thread, current + 1)}" '
            'class="pageNav-jump pageNav-jump--next">التالي</a>\n'
        )
    classes = ("pageNav--skipStart " if skip_start else "") + (
        "pageNav--skipEnd" if skip_end else ""
    )
    return (
        '<nav class="pageNavWrapper pageNavWrapper--mixed ">\n'
        f'<div class="pageNav  {classes}">\n'
        f"{prev_link}"
        '\t<ul class="pageNav-main">\n'
        f"{links}"
        "\t</ul>\n"
        f"{next_link}"
        "</div>\n"
        f"{_simple_nav(thread, current, total)}"
        "</nav>\n"
    )


def _ld_json(thread: Thread, base_url: str) -> str:
    url = base_url + thread_path(thread)
    data = {
        "@context": "https://schema.org",
        "@type": "DiscussionForumPosting",
        "@id": url,
        "url": url,
        "headline": thread.title,
        "articleBody": snippet(post_text(thread.posts[0]), 250),
        "articleSection": thread.forum.title,
        "author": {"@type": "Person", "name": thread.starter.username},
        "datePublished": iso_time(thread.created_at),
        "dateModified": iso_time(thread.last_activity),
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": "https://schema.org/ReplyAction",
            "userInteractionCount": len(thread.posts) - 1,
        },
    }
    # "</" could end the script element early; JSON allows the escaped slash.
    body = json.dumps(data, ensure_ascii=False, indent=4).replace("</", "<\\/")
    return f'\t<script type="application/ld+json">\n{body}\n\t</script>\n'


def _thread_header(thread: Thread) -> str:
    description = f"""
\t<ul class="listInline listInline--bullet">
\t\t<li>
\t\t\t<i class="fa--xf far fa-user" aria-hidden="true" title="بادئ الموضوع"></i>
\t\t\t<span class="u-srOnly">بادئ الموضوع</span>
\t\t\t{username_link(thread.starter, " u-concealed")}
\t\t</li>
\t\t<li>
\t\t\t<i class="fa--xf far fa-clock" aria-hidden="true" title="تاريخ البدء"></i>
\t\t\t<span class="u-srOnly">تاريخ البدء</span>
\t\t\t<a href="{thread_path(thread)}" class="u-concealed">{time_tag(thread.created_at)}</a>
\t\t</li>
\t</ul>
"""
    return _title_header(_prefix_label(thread) + esc(thread.title), description)


def render_thread_page(
    page: int = 1,
    *,
    thread: Thread = SEED_THREAD,
    posts_per_page: int = DEFAULT_POSTS_PER_PAGE,
    base_url: str = DEFAULT_BASE_URL,
) -> str:
    """One page of the thread (`thread_view`); raises ValueError for a page out of range."""
    total = page_count(thread, posts_per_page)
    if not 1 <= page <= total:
        raise ValueError(f"page {page} out of range 1..{total}")
    posts = posts_on_page(thread, page, posts_per_page)
    head_extra = ""
    for rel, other in (("prev", page - 1), ("next", page + 1)):
        if 1 <= other <= total:
            href = esc(base_url + thread_path(thread, other))
            head_extra += f'\t<link rel="{rel}" href="{href}" />\n'
    head_extra += _ld_json(thread, base_url)

    nav = page_nav_html(thread, page, total)
    posts_html = "".join(post_html(thread, post, base_url) for post in posts)
    body = f"""<div class="block block--messages" data-xf-init="" data-type="post"
\tdata-href="/inline-mod/" data-search-target="*">

\t<span class="u-anchorTarget" id="posts"></span>

\t<div class="block-outer"><div class="block-outer-main">{nav}</div></div>

\t<div class="block-outer js-threadStatusField"></div>

\t<div class="block-container lbContainer"
\t\tdata-xf-init="lightbox select-to-quote"
\t\tdata-message-selector=".js-post"
\t\tdata-lb-id="thread-{thread.thread_id}"
\t\tdata-lb-universal="0">

\t\t<div class="block-body js-replyNewMessageContainer">
{posts_html}
\t\t</div>
\t</div>

\t<div class="block-outer block-outer--after">
\t\t<div class="block-outer-main">{nav}</div>
\t\t<div class="block-outer-opposite">
\t\t\t<a href="/login/" class="button--link button--wrap button" data-xf-click="overlay">
\t\t\t\t<span class="button-text">يجب تسجيل الدخول أو التسجيل للرد هنا.</span>
\t\t\t</a>
\t\t</div>
\t</div>
</div>
"""
    # XenForo adds xf/embed.js only to pages that embed media; it loads Twitter's widgets.
    has_tweet = any(isinstance(s, Tweet) for post in posts for s in post.segments)
    embed_js = f'<script src="/js/xf/embed.min.js?_v={JS_VERSION}"></script>\n'
    title_text = thread_title_text(thread)
    return _layout(
        template="thread_view",
        title=title_text if page == 1 else f"{title_text} | الصفحة {page}",
        og_title=title_text,
        body=body,
        base_url=base_url,
        site_name=thread.site_name,
        canonical_path=thread_path(thread, page),
        description=snippet(post_text(thread.posts[0]), 250),
        head_extra=head_extra,
        container_key=f"node-{thread.forum.node_id}",
        content_key=f"thread-{thread.thread_id}",
        crumbs=breadcrumbs(thread),
        body_header=_thread_header(thread),
        foot_scripts=embed_js if has_tweet else "",
    )


# --- other pages ----------------------------------------------------------------------------


def render_forum_index(*, thread: Thread = SEED_THREAD, base_url: str = DEFAULT_BASE_URL) -> str:
    """The board's home page (`forum_list`) with the one category and forum."""
    last = thread.posts[-1]
    category = thread.category
    forum = thread.forum
    body = f"""<div class="block block--category block--category{category.node_id}">
\t<span class="u-anchorTarget" id="{category.slug}.{category.node_id}"></span>
\t<div class="block-container">
\t\t<h2 class="block-header">
\t\t\t<a href="{category_path(thread)}">{esc(category.title)}</a>
\t\t</h2>
\t\t<div class="block-body">
<div class="node node--id{forum.node_id} node--depth2 node--forum node--read">
\t<div class="node-body">
\t\t<span class="node-icon" aria-hidden="true">
\t\t\t<i class="fa--xf far fa-comments" aria-hidden="true"></i>
\t\t</span>
\t\t<div class="node-main js-nodeMain">
\t\t\t<h3 class="node-title">
\t\t\t\t<a href="{forum_path(thread)}" data-xf-init="element-tooltip"
\t\t\t\t\tdata-shortcut="node-description">{esc(forum.title)}</a>
\t\t\t</h3>
\t\t\t<div class="node-description node-description--tooltip js-nodeDescTooltip">
\t\t\t\t{esc(forum.description)}
\t\t\t</div>
\t\t</div>
\t\t<div class="node-stats">
\t\t\t<dl class="pairs pairs--rows"><dt>المواضيع</dt><dd>1</dd></dl>
\t\t\t<dl class="pairs pairs--rows"><dt>المشاركات</dt><dd>{number(len(thread.posts))}</dd></dl>
\t\t</div>
\t\t<div class="node-extra">
\t\t\t<div class="node-extra-icon">{_avatar(last.author, "xs")}</div>
\t\t\t<div class="node-extra-row">
\t\t\t\t<a href="{post_path(thread, last)}" class="node-extra-title"
\t\t\t\t\ttitle="{esc(thread.title)}">{_prefix_label(thread)}{esc(thread.title)}</a>
\t\t\t</div>
\t\t\t<div class="node-extra-row">
\t\t\t\t<ul class="listInline listInline--bullet">
\t\t\t\t\t<li class="node-extra-date">{time_tag(last.posted_at)}</li>
\t\t\t\t\t<li class="node-extra-user">{username_link(last.author)}</li>
\t\t\t\t</ul>
\t\t\t</div>
\t\t</div>
\t</div>
</div>
\t\t</div>
\t</div>
</div>
"""
    return _layout(
        template="forum_list",
        title=thread.site_name,
        body=body,
        base_url=base_url,
        site_name=thread.site_name,
        canonical_path="/",
        body_header=_title_header(esc(thread.site_name)),
    )


def render_forum_page(
    *,
    thread: Thread = SEED_THREAD,
    posts_per_page: int = DEFAULT_POSTS_PER_PAGE,
    base_url: str = DEFAULT_BASE_URL,
) -> str:
    """The forum's thread list (`forum_view`), holding the seed thread."""
    starter = thread.starter
    last = thread.posts[-1]
    first_page = thread_path(thread)
    total = page_count(thread, posts_per_page)
    jumps = "".join(f'<a href="{thread_path(thread, p)}">{p}</a>' for p in range(2, total + 1))
    page_jump = f'\n\t\t<span class="structItem-pageJump">{jumps}</span>' if jumps else ""
    likes = number(len(thread.posts[0].liked_by))
    body = f"""<div class="block" data-xf-init="" data-type="thread" data-href="/inline-mod/">
<div class="block-container">
<div class="block-body">
<div class="structItemContainer">
<div class="structItemContainer-group js-threadList">
<div class="structItem structItem--thread js-inlineModContainer
\tjs-threadListItem-{thread.thread_id}" data-author="{esc(starter.username)}">
\t<div class="structItem-cell structItem-cell--icon">
\t\t<div class="structItem-iconContainer">
\t\t\t{_avatar(starter, "s")}
\t\t</div>
\t</div>
\t<div class="structItem-cell structItem-cell--main" data-xf-init="touch-proxy">
\t\t<div class="structItem-title">
\t\t\t<a href="{forum_path(thread)}?prefix_id={thread.prefix_id}" class="labelLink"
\t\t\t\trel="nofollow"><span class="label {thread.prefix_class}"
\t\t\t\tdir="auto">{esc(thread.prefix)}</span></a>
\t\t\t<a href="{first_page}" class="" data-tp-primary="on" data-xf-init="preview-tooltip"
\t\t\t\tdata-preview-url="{first_page}preview">{esc(thread.title)}</a>
\t\t</div>
\t\t<div class="structItem-minor">
\t\t\t<ul class="structItem-parts">
\t\t\t\t<li>{username_link(starter)}</li>
\t\t\t\t<li class="structItem-startDate"><a href="{first_page}"
\t\t\t\t\trel="nofollow">{time_tag(thread.created_at)}</a></li>
\t\t\t</ul>{page_jump}
\t\t</div>
\t</div>
\t<div class="structItem-cell structItem-cell--meta" title="التفاعلات مع أول مشاركة: {likes}">
\t\t<dl class="pairs pairs--justified">
\t\t\t<dt>الردود</dt><dd>{number(len(thread.posts) - 1)}</dd>
\t\t</dl>
\t\t<dl class="pairs pairs--justified structItem-minor">
\t\t\t<dt>المشاهدات</dt><dd>{number(thread.view_count)}</dd>
\t\t</dl>
\t</div>
\t<div class="structItem-cell structItem-cell--latest">
\t\t<a href="{first_page}latest" rel="nofollow">{time_tag(last.posted_at)}</a>
\t\t<div class="structItem-minor">{username_link(last.author)}</div>
\t</div>
\t<div class="structItem-cell structItem-cell--icon structItem-cell--iconEnd">
\t\t<div class="structItem-iconContainer">{_avatar(last.author, "xxs")}</div>
\t</div>
</div>
</div>
</div>
</div>
</div>
</div>
"""
    return _layout(
        template="forum_view",
        title=thread.forum.title,
        body=body,
        base_url=base_url,
        site_name=thread.site_name,
        canonical_path=forum_path(thread),
        description=thread.forum.description,
        container_key=f"node-{thread.forum.node_id}",
        crumbs=breadcrumbs(thread)[:2],
        body_header=_title_header(esc(thread.forum.title), esc(thread.forum.description)),
    )


def _member_post_row(thread: Thread, post: Post) -> str:
    return f"""<li class="block-row block-row--separated">
\t<div class="contentRow">
\t\t<div class="contentRow-main">
\t\t\t<h3 class="contentRow-title">
\t\t\t\t<a href="{post_path(thread, post)}">{esc(thread.title)}</a>
\t\t\t</h3>
\t\t\t<div class="contentRow-snippet">{esc(snippet(post_text(post), 150))}</div>
\t\t\t<div class="contentRow-minor contentRow-minor--hideLinks">
\t\t\t\t<ul class="listInline listInline--bullet">
\t\t\t\t\t<li>مشاركة #{post.position}</li>
\t\t\t\t\t<li>{time_tag(post.posted_at)}</li>
\t\t\t\t\t<li>المنتدى: <a href="{forum_path(thread)}">{esc(thread.forum.title)}</a></li>
\t\t\t\t</ul>
\t\t\t</div>
\t\t</div>
\t</div>
</li>
"""


def render_member_page(
    member: Member,
    *,
    thread: Thread = SEED_THREAD,
    base_url: str = DEFAULT_BASE_URL,
) -> str:
    """A member's profile (`member_view`) as guests see it, listing their posts here."""
    rows = "".join(_member_post_row(thread, p) for p in thread.posts if p.author == member)
    search = f"/search/member?user_id={member.user_id}"
    body = f"""<div class="block">
<div class="block-container">
<div class="block-body">
<div class="memberHeader ">
\t<div class="memberHeader-main">
\t\t<span class="memberHeader-avatar"><span class="avatarWrapper">
\t\t\t{_avatar(member, "l")}
\t\t</span></span>
\t\t<div class="memberHeader-content memberHeader-content--info">
\t\t\t<h1 class="memberHeader-name"><span class="memberHeader-nameWrapper"><span
\t\t\t\tclass="username " dir="auto"
\t\t\t\tdata-user-id="{member.user_id}">{esc(member.username)}</span></span></h1>
\t\t\t<div class="memberHeader-blurbContainer">
\t\t\t\t<div class="memberHeader-blurb" dir="auto">
\t\t\t\t\t<span class="userTitle" dir="auto">{esc(member.user_title)}</span>
\t\t\t\t</div>
\t\t\t\t<div class="memberHeader-blurb">
\t\t\t\t\t<dl class="pairs pairs--inline">
\t\t\t\t\t\t<dt>تاريخ التسجيل</dt><dd>{esc(date_string(member.joined))}</dd>
\t\t\t\t\t</dl>
\t\t\t\t</div>
\t\t\t</div>
\t\t</div>
\t</div>
\t<div class="memberHeader-content">
\t\t<div class="memberHeader-stats">
\t\t\t<div class="pairJustifier">
\t\t\t\t<dl class="pairs pairs--rows pairs--rows--centered fauxBlockLink">
\t\t\t\t\t<dt>المشاركات</dt>
\t\t\t\t\t<dd><a href="{search}" rel="nofollow"
\t\t\t\t\t\tclass="fauxBlockLink-linkRow u-concealed">{number(member.message_count)}</a></dd>
\t\t\t\t</dl>
\t\t\t\t<dl class="pairs pairs--rows pairs--rows--centered">
\t\t\t\t\t<dt>مستوى التفاعل</dt><dd>{number(member.reaction_score)}</dd>
\t\t\t\t</dl>
\t\t\t</div>
\t\t</div>
\t</div>
</div>
</div>
</div>
</div>
<div class="block">
<div class="block-container">
\t<h3 class="block-header">آخر المشاركات</h3>
\t<ul class="block-body">
{rows}\t</ul>
</div>
</div>
"""
    return _layout(
        template="member_view",
        title=member.username,
        body=body,
        base_url=base_url,
        site_name=thread.site_name,
        canonical_path=member_path(member),
        content_key=f"user-{member.user_id}",
        crumbs=[("/members/", "الأعضاء")],
        nav_selected="members",
    )


NOT_FOUND_MESSAGE = "تعذر العثور على الصفحة المطلوبة."
ERROR_TITLE = "عفوا! لقد واجهتنا بعض المشاكل."


def render_not_found(
    message: str = NOT_FOUND_MESSAGE,
    *,
    site_name: str = SEED_THREAD.site_name,
    base_url: str = DEFAULT_BASE_URL,
) -> str:
    """XenForo's error page, sent with status 404."""
    return _layout(
        template="error",
        title=ERROR_TITLE,
        body=f'<div class="blockMessage">\n\t{esc(message)}\n</div>\n',
        base_url=base_url,
        site_name=site_name,
        body_header=_title_header(esc(ERROR_TITLE)),
    )
