"""An image attachment's thumbnail: a JPEG at most 320 px on its longer side, made from the stored
(already re-encoded, upright, EXIF-free) photo by the owning service, off the upload's request path."""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from PIL import Image

THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_QUALITY = 80
MAX_PIXELS = 60_000_000
"""As the gateway's limit on uploads: a stored photo is never larger."""


def make_thumbnail(source: BinaryIO, target: Path) -> Path:
    """Read the image from `source`, write its thumbnail to `target`."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(source) as image:
        image.draft("RGB", THUMBNAIL_SIZE)  # a JPEG decodes at a fraction of its size: less memory and time
        thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    thumb.save(target, "JPEG", quality=THUMBNAIL_QUALITY)
    return target
