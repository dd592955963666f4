"""Uploads are judged by their bytes; photos are re-encoded without EXIF; limits per kind."""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime

import pytest
from PIL import Image

from gateway import media

SLOTS = media.ReencodeSlots(1, wait_seconds=10)


def jpeg_with_gps(path, size=(1200, 800)):
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone X"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif.get_ifd(0x8769)[0x9003] = "2026:12:05 14:30:00"  # DateTimeOriginal
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})  # GPS
    image.save(path, "JPEG", exif=exif)
    return path


def test_type_is_decided_by_the_bytes_not_the_name():
    assert media.sniff(b"\xff\xd8\xff\xe0" + b"\0" * 12).content_type == "image/jpeg"
    assert media.sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 8).content_type == "image/png"
    assert media.sniff(b"%PDF-1.7\n" + b"\0" * 8).content_type == "application/pdf"
    assert media.sniff(b"\0\0\0\x18ftypmp42\0\0\0\0").content_type == "video/mp4"
    assert media.sniff(b"\0\0\0\x18ftypheic\0\0\0\0").content_type == "image/heic"
    for fake in (b"just some text in a .jpg", b"GIF89a" + b"\0" * 10, b"PK\x03\x04zip", b"", b"\0\0\0\x18ftypqt  "):
        with pytest.raises(media.Unsupported):
            media.sniff(fake)


def test_photo_is_stored_without_gps_or_device_upright_with_taken_at_and_thumbnail(tmp_path):
    source = jpeg_with_gps(tmp_path / "in.jpg")
    assert Image.open(source).getexif().get_ifd(0x8825)  # the original has a location
    prepared = media.prepare(source, tmp_path, SLOTS)
    stored = Image.open(prepared.path)
    exif = stored.getexif()
    assert not exif.get_ifd(0x8825) and 0x010F not in exif and 0x0110 not in exif and 0x0112 not in exif
    assert b"Phone X" not in prepared.path.read_bytes() and b"PhoneMaker" not in prepared.path.read_bytes()
    assert (prepared.width, prepared.height) == (800, 1200)  # orientation applied to the pixels
    assert prepared.taken_at == datetime(2026, 12, 5, 14, 30)
    assert prepared.content_type == "image/jpeg" and prepared.size == prepared.path.stat().st_size
    assert prepared.sha256 == media.sha256_of(prepared.path)


def test_heic_is_converted_to_jpeg(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), (0, 90, 200))).save(buffer, quality=80)
    source = tmp_path / "in.heic"
    source.write_bytes(buffer.getvalue())
    prepared = media.prepare(source, tmp_path, SLOTS)
    assert prepared.content_type == "image/jpeg"
    assert prepared.path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert (prepared.width, prepared.height) == (64, 48)


def test_a_jpeg_header_on_garbage_is_refused(tmp_path):
    source = tmp_path / "fake.jpg"
    source.write_bytes(b"\xff\xd8\xff\xe0" + b"not really an image" * 10)
    with pytest.raises(media.Unsupported):
        media.prepare(source, tmp_path, SLOTS)


def test_limits_per_kind(tmp_path, monkeypatch):
    monkeypatch.setitem(media.LIMITS, "pdf", 1000)
    source = tmp_path / "big.pdf"
    source.write_bytes(b"%PDF-1.4\n" + b"x" * 1000)
    with pytest.raises(media.TooLarge) as raised:
        media.prepare(source, tmp_path, SLOTS)
    assert raised.value.kind == "pdf"
    small = tmp_path / "small.pdf"
    small.write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    assert media.prepare(small, tmp_path, SLOTS).content_type == "application/pdf"


def test_decompression_bomb_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "MAX_PIXELS", 1000)
    source = tmp_path / "wide.png"
    Image.new("L", (100, 100)).save(source, "PNG")
    with pytest.raises(media.Unsupported):
        media.prepare(source, tmp_path, SLOTS)


def test_no_more_photos_are_decoded_at_once_than_there_are_slots(tmp_path, monkeypatch):
    """Eight uploads at once in a worker's threads: never more than two photos in memory together."""
    inside, most, lock = 0, 0, threading.Lock()
    reencode = media._reencode

    def counted(*args):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        try:
            return reencode(*args)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(media, "_reencode", counted)
    slots = media.ReencodeSlots(2, wait_seconds=30)
    sources = [jpeg_with_gps(tmp_path / f"{n}.jpg", size=(300, 200)) for n in range(8)]
    outs = [tmp_path / f"out{n}" for n in range(8)]
    for out in outs:
        out.mkdir()
    threads = [threading.Thread(target=media.prepare, args=(source, out, slots))
               for source, out in zip(sources, outs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2 and all((out / "stored.jpg").exists() for out in outs)
