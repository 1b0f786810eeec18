"""Pelican settings for the static mirror (`pelican -s pelicanconf.py`, or `forum-mirror build`).

The archive (`PATH`) is not Pelican content: the `scraper.site` plugin reads it, and every
output of Pelican's own that we do not use is switched off.
"""

SITENAME = "forum-mirror"
PATH = "content"
THEME = "theme"
# The repository root, so `scraper.site` loads even when `scraper` is not installed.
PLUGIN_PATHS = ["."]
PLUGINS = ["scraper.site"]
TIMEZONE = "UTC"
# The language of pages that have no text to detect one from (e.g. an empty index); also
# the single language Pagefind indexes everything in, so one search box finds all scripts.
DEFAULT_LANG = "ar"
THREAD_POSTS_PER_PAGE = 20
# From this many bytes of thread.json to render, a forked worker process renders threads
# and author pages beside the build's own (scraper/site/render_worker.py); from a quarter
# of it, the one thread a rebuild renders has its pages written by a forked child
# (scraper/site/generator.py); 2**62: never.
THREAD_RENDER_WORKER_MIN_BYTES = 2**20

# Relative links and explicit file names: the site must browse from file:// (a USB stick),
# where a link to a folder shows a file listing instead of its index.html.
RELATIVE_URLS = True

# The archive must never be read as articles or pages, nor copied as static files.
READERS = {"html": None}
ARTICLE_PATHS: list[str] = []
PAGE_PATHS: list[str] = []
STATIC_PATHS: list[str] = []
DIRECT_TEMPLATES: list[str] = []
# The theme's static files are copied by our generator, which leaves unchanged ones alone;
# Pelican would rewrite every one on every build (scraper/site/output.py).
THEME_STATIC_PATHS: list[str] = []
ARTICLE_SAVE_AS = ""
ARTICLE_LANG_SAVE_AS = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
PAGE_SAVE_AS = ""
PAGE_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
TAG_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Site-wide pages (scraper/site/pages.py). The address the mirror is published at, e.g.
# "https://archive.example/forum/": sitemap.xml needs absolute URLs, so it is written only
# when this (or an absolute SITEURL) is set; feed.atom then links absolutely too.
SITEMAP_BASE_URL = ""
# feed.atom lists the posts archived most recently (by first_seen_at), at most this many.
FEED_MAX_ENTRIES = 50
