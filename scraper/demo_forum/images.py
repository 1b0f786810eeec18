"""Stand-in images for the seed thread's attachments (the originals are lost).

Each file name gets a real JPEG of a fixed size and colour with its name drawn on it, plus
a smaller thumbnail, as XenForo keeps one. Output is deterministic (same Pillow, same
bytes), so archive hashes stay stable between runs; results are cached in memory.
"""

from __future__ import annotations

import functools
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont, features

THUMBNAIL_WIDTH = 150
DEFAULT_SIZE = (800, 450)

# Sizes and colours are fixed per file so every file looks different and keeps its bytes.
_KNOWN: dict[str, tuple[tuple[int, int], tuple[int, int, int]]] = {
    "FE9CNKiWUAM6iQM.jpeg": ((1024, 576), (38, 84, 124)),
    "7C588B94-630C-43AD-A66A-5096614AED7A.jpeg": ((600, 800), (124, 58, 38)),
    "530BFC77-480A-4969-84C6-118DED6CA686.jpeg": ((800, 600), (52, 110, 64)),
    "Benny-Gantz-Abdellatif-Loudiyi.jpg": (DEFAULT_SIZE, (110, 48, 112)),
    "Benny-Gantz-Abdellatif-Loudiyi1.jpg": (DEFAULT_SIZE, (150, 120, 30)),
    "Benny-Gantz-Abdellatif-Loudiyi2.jpg": (DEFAULT_SIZE, (30, 120, 130)),
    "israelmaroc.jpg": ((900, 506), (140, 30, 50)),
}

_JPEG_QUALITY = 85
_THUMBNAIL_QUALITY = 80


def image_size(filename: str) -> tuple[int, int]:
    known = _KNOWN.get(filename)
    return known[0] if known else DEFAULT_SIZE


def thumbnail_size(filename: str) -> tuple[int, int]:
    width, height = image_size(filename)
    return THUMBNAIL_WIDTH, max(1, round(height * THUMBNAIL_WIDTH / width))


def _colour(filename: str) -> tuple[int, int, int]:
    known = _KNOWN.get(filename)
    if known:
        return known[1]
    # Unknown names (extra test posts) still get a stable colour of their own.
    digest = hashlib.sha256(filename.encode("utf-8")).digest()
    return digest[0] // 2 + 20, digest[1] // 2 + 20, digest[2] // 2 + 20


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    # Pillow's bundled font scales only with FreeType; the bitmap fallback is still stable.
    if features.check("freetype2"):
        return ImageFont.load_default(size=size)
    return ImageFont.load_default()


@functools.cache
def _picture(filename: str) -> Image.Image:
    width, height = image_size(filename)
    base = _colour(filename)
    image = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(image)
    # Lighter diagonal bands give the JPEG some structure, like a photo would have.
    light = tuple(min(255, c + 40) for c in base)
    step = max(width, height) // 8
    for offset in range(-height, width, step):
        draw.polygon(
            [(offset, 0), (offset + step // 2, 0), (offset + step // 2 + height, height),
             (offset + height, height)],
            fill=light,
        )
    margin = width // 16
    draw.rectangle((margin, height // 2 - height // 8, width - margin, height // 2 + height // 8),
                   fill=(245, 245, 240))
    # Shrink the font until the name fits the white band (portrait images are narrow).
    size = max(12, width // 28)
    font = _font(size)
    while size > 8 and draw.textlength(filename, font=font) > width - 4 * margin:
        size -= 1
        font = _font(size)
    for line, dy in ((filename, -size), (f"{width}x{height}", size // 2)):
        line_width = draw.textlength(line, font=font)
        draw.text(((width - line_width) / 2, height / 2 + dy), line, fill=(20, 20, 20), font=font)
    return image


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No optimize/progressive passes and no metadata: plain baseline output is reproducible.
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


@functools.cache
def full_image(filename: str) -> bytes:
    """The full-size JPEG served at /attachments/<slug>.<id>/."""
    return _encode(_picture(filename), _JPEG_QUALITY)


@functools.cache
def thumbnail(filename: str) -> bytes:
    """The thumbnail JPEG served under /data/attachments/."""
    small = _picture(filename).resize(thumbnail_size(filename), Image.Resampling.LANCZOS)
    return _encode(small, _THUMBNAIL_QUALITY)


def file_hash(filename: str) -> str:
    """MD5 of the full file, as XenForo's attachment data `file_hash` (used in thumbnail names)."""
    return hashlib.md5(full_image(filename)).hexdigest()


# XenForo 2 keeps each uploaded avatar in these square sizes (pixels), named by letter.
AVATAR_SIZES = {"s": 48, "m": 96, "l": 192, "h": 384}


@functools.cache
def avatar(username: str, colours: tuple[str, str], size: str) -> bytes:
    """An uploaded avatar of `size` ("s", "m", "l", "h"): a badge with the name's initial.

    Drawn at 384 px and scaled down, as XenForo scales the upload, so every size is the
    same picture; the bytes are the same on every run.
    """
    pixels = AVATAR_SIZES[size]
    big = AVATAR_SIZES["h"]
    background, foreground = colours
    image = Image.new("RGB", (big, big), background)
    draw = ImageDraw.Draw(image)
    # A ring and a band, so the picture differs clearly from a letter avatar.
    draw.ellipse((24, 24, big - 24, big - 24), outline=foreground, width=18)
    draw.rectangle((0, big * 5 // 8, big, big * 5 // 8 + 24), fill=foreground)
    font = _font(big // 2)
    letter = username[:1].upper() or "?"
    width = draw.textlength(letter, font=font)
    draw.text(((big - width) / 2, big / 4), letter, fill=(250, 250, 245), font=font)
    if pixels != big:
        image = image.resize((pixels, pixels), Image.Resampling.LANCZOS)
    return _encode(image, _JPEG_QUALITY)
