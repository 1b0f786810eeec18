"""Point a post's HTML at the archive's local copies of its images and attachments."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

LOCAL_ATTRIBUTES = ("src", "href", "data-src", "data-url")


def localize_urls(content_html: str, local_paths: dict[str, str]) -> str:
    """Replace every attribute URL found in `local_paths` (absolute URL -> local path).

    `srcset` is dropped: its candidates are remote sizes the archive does not hold.
    """
    if not local_paths:
        return content_html
    tree = LexborHTMLParser(f"<div id='fm-root'>{content_html}</div>")
    root = tree.css_first("div#fm-root")
    assert root is not None  # we just wrapped the content in it
    for element in root.css("[src], [href], [data-src], [data-url], [srcset]"):
        if "srcset" in element.attributes:
            del element.attrs["srcset"]
        for attribute in LOCAL_ATTRIBUTES:
            value = element.attributes.get(attribute)
            if value and value in local_paths:
                element.attrs[attribute] = local_paths[value]
    return root.inner_html or ""
