"""Pixel sizes of archived images, so every `<img>` gets width and height (no layout shift).

Assets are named by their SHA-256, so a size read once holds for every page and thread that
shows the same file; Pillow reads only the header.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .sanitize import ASSET_PATH

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageSize:
    width: int
    height: int


# sha256 (the asset's file name) -> its size, or None when it is not an image Pillow reads.
_cache: dict[str, ImageSize | None] = {}


def image_size(path: Path) -> ImageSize | None:
    """The size of the archived image at `path` (`assets/<sha256>.<ext>`), or None."""
    digest = path.stem
    if digest in _cache:
        return _cache[digest]
    size: ImageSize | None = None
    try:
        with Image.open(path) as image:
            width, height = image.size
        if width > 0 and height > 0:
            size = ImageSize(width, height)
    except FileNotFoundError:
        log.warning("image %s is missing from the archive", path)
        return None  # not cached: the file may yet be stored
    except (UnidentifiedImageError, OSError) as error:
        log.debug("no image size for %s: %s", path, error)  # e.g. a PDF attachment
    _cache[digest] = size
    return size


def thread_image_sizes(thread_dir: Path, asset_paths: Iterable[str]) -> Mapping[str, ImageSize]:
    """Sizes of a thread's archived images, by path relative to `thread_dir`."""
    sizes: dict[str, ImageSize] = {}
    for relative in asset_paths:
        if not ASSET_PATH.fullmatch(relative):
            continue
        size = image_size(thread_dir / relative)
        if size is not None:
            sizes[relative] = size
    return sizes
