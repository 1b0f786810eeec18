"""What of a post the search finds: its text and the text of what it embeds."""

from __future__ import annotations

from ..records import ArchivedPost


def post_search_text(post: ArchivedPost) -> str:
    """The post's plain text, then each embed's author and text (a tweet quoted in Hebrew)."""
    parts = [post.content_text]
    for embed in post.embeds:
        parts.extend(part for part in (embed.author, embed.text) if part)
    return "\n".join(part.strip() for part in parts if part.strip())
