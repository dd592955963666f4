"""What an uploaded file is and what is kept of it. The type is decided by the bytes (magic numbers),
never by the file name or the Content-Type the client sent. Photos are decoded and re-encoded
(which drops EXIF: location, device, everything but the orientation, which is applied to the pixels),
HEIC becomes JPEG. Videos (MP4) and PDFs are kept as sent. Thumbnails are not made here: the owning
service makes them from the stored photo (services/common/attachment_jobs.py), off the request path."""
from __future__ import annotations

import hashlib
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF from phones; without the plugin such files are refused as unsupported
    from pillow_heif import register_heif_opener
    register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a pinned dependency
    HEIC_SUPPORTED = False

MB = 1024 * 1024
LIMITS = {"image": 20 * MB, "video": 100 * MB, "pdf": 20 * MB}
"""The largest upload of each kind, in bytes (a phone photo is 2-6 MB, HEIC less; 30 s of 1080p ≈ 60 MB)."""
MAX_UPLOAD_BYTES = max(LIMITS.values())
MAX_PIXELS = 60_000_000
"""Larger images are refused before they are decoded (a decompression bomb is small on the wire)."""
JPEG_QUALITY = 85

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"mmp4"}


class Unsupported(Exception):
    """Not a file of a kind we take, or not what it claims to be (415)."""

    code = "unsupported_media_type"


class TooLarge(Exception):
    """Larger than its kind allows (413)."""

    code = "payload_too_large"

    def __init__(self, kind: str, limit: int):
        super().__init__(f"A {kind} upload is limited to {limit // MB} MB.")
        self.kind, self.limit = kind, limit


class Busy(Exception):
    """Every re-encoding slot of this process stayed taken while the upload waited (503, retry shortly)."""

    code = "uploads_busy"


class ReencodeSlots:
    """At most `slots` photos decoded at once in one process: a 12 MP photo holds ~140 MB of pixels while it is
    re-encoded, so a worker's threads taking photos together would otherwise multiply that. An upload waits up
    to `wait_seconds` for a slot, then is refused (`Busy`); its file is already on disk, nothing else waits."""

    def __init__(self, slots: int, wait_seconds: float):
        self.slots, self.wait_seconds = slots, wait_seconds
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def taken(self) -> Iterator[None]:
        if not self._free.acquire(timeout=self.wait_seconds):
            raise Busy(f"All {self.slots} photo re-encoding slots stayed busy for {self.wait_seconds:g} s.")
        try:
            yield
        finally:
            self._free.release()


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video | pdf
    content_type: str


def sniff(head: bytes) -> Sniffed:
    """The file's real type from its first bytes (at least 16 of them)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png")
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS and HEIC_SUPPORTED:
            return Sniffed("image", "image/heic")
        if brand in _MP4_BRANDS:
            return Sniffed("video", "video/mp4")
    raise Unsupported("Only JPEG, PNG or HEIC photos, MP4 videos and PDF files can be uploaded; "
                      "this file is none of them.")


@dataclass(frozen=True)
class Prepared:
    """What is stored: `path` (the file to keep), its type, size, hash and, for images, the
    dimensions and when the photo was taken."""
    path: Path
    content_type: str
    kind: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _taken_at(image: Image.Image) -> datetime | None:
    """When the photo was taken: EXIF DateTimeOriginal (else DateTime), with its OffsetTimeOriginal
    when the camera wrote one; naive otherwise (the camera's local clock)."""
    exif = image.getexif()
    details = exif.get_ifd(0x8769)
    raw = details.get(0x9003) or exif.get(0x0132)
    offset = str(details.get(0x9011) or "").strip("\x00 ")
    try:
        if not raw:
            return None
        taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        return datetime.fromisoformat(taken.isoformat() + offset) if offset else taken
    except ValueError:
        return None


def _reencode(source: Path, content_type: str, out_dir: Path) -> Prepared:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    as_png = content_type == "image/png"
    stored = out_dir / ("stored.png" if as_png else "stored.jpg")
    with ExitStack() as opened:
        try:
            image = opened.enter_context(Image.open(source))
            if image.width * image.height > MAX_PIXELS:
                raise Unsupported(f"Images are limited to {MAX_PIXELS // 1_000_000} megapixels.")
            taken_at = _taken_at(image)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # one copy of the pixels in memory, not two
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise Unsupported("The file starts like an image but cannot be read as one.") from exc
        upright = image if as_png or image.mode in ("RGB", "L") else image.convert("RGB")
        # Saving without `exif=` / `icc_profile` metadata other than colour: nothing of the original EXIF survives.
        if as_png:
            upright.save(stored, "PNG", optimize=True, icc_profile=upright.info.get("icc_profile"))
        else:
            upright.save(stored, "JPEG", quality=JPEG_QUALITY, optimize=True,
                         icc_profile=upright.info.get("icc_profile"))
        width, height = upright.size
    return Prepared(stored, "image/png" if as_png else "image/jpeg", "image", stored.stat().st_size,
                    sha256_of(stored), width, height, taken_at)


def prepare(upload: Path, out_dir: Path, slots: ReencodeSlots) -> Prepared:
    """Check and transform the uploaded file at `upload`; new files go into `out_dir`; a photo is re-encoded in one
    of `slots`."""
    with open(upload, "rb") as handle:
        head = handle.read(32)
    sniffed = sniff(head)
    size = upload.stat().st_size
    if size > LIMITS[sniffed.kind]:
        raise TooLarge(sniffed.kind, LIMITS[sniffed.kind])
    if sniffed.kind == "image":
        with slots.taken():
            return _reencode(upload, sniffed.content_type, out_dir)
    return Prepared(upload, sniffed.content_type, sniffed.kind, size, sha256_of(upload))
