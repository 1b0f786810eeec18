"""The canonical post HTML that every engine writes (scraper/engines/canonical.py)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.engines.canonical import (
    code_html,
    quote_html,
    replace_with_html,
    spoiler_html,
    unwrap_redirect,
)


def test_a_quote_carries_its_author_and_post_id_escaped() -> None:
    tree = LexborHTMLParser(quote_html('"><script>', "12", "<p>نص</p>"))
    quote = tree.css_first("blockquote.fm-quote")
    assert quote is not None
    assert quote.attributes["data-author"] == '"><script>'
    assert quote.attributes["data-post-id"] == "12"
    assert tree.css_first("script") is None
    assert tree.css_first(".fm-quote-body p").text() == "نص"


def test_code_and_spoiler_keep_markup_as_text() -> None:
    code = LexborHTMLParser(code_html("<b>not bold</b>")).css_first("pre.fm-code code")
    assert code is not None and code.text() == "<b>not bold</b>"
    spoiler = LexborHTMLParser(spoiler_html("<i>t</i>", "<p>x</p>"))
    assert spoiler.css_first("details.fm-spoiler summary").text() == "<i>t</i>"


def test_replace_with_html_keeps_the_neighbours_in_order() -> None:
    tree = LexborHTMLParser("<div><p>a</p><span>old</span><p>b</p></div>")
    replace_with_html(tree.css_first("span"), "<em>new</em> text")
    assert tree.css_first("div").html == "<div><p>a</p><em>new</em> text<p>b</p></div>"


def test_redirect_wrappers_unwrap_only_to_web_urls() -> None:
    wrapped = "https://f.example/redirect/?to=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1"
    assert unwrap_redirect(wrapped, "/redirect/", "to") == "https://example.com/a?b=1"
    hostile = "https://f.example/redirect/?to=javascript%3Aalert(1)"
    assert unwrap_redirect(hostile, "/redirect/", "to") == hostile
    assert unwrap_redirect("https://f.example/x?to=https://a", "/redirect/", "to") == (
        "https://f.example/x?to=https://a")
