"""The attachments' life after upload, on SQLite and PostgreSQL with the local object store: thumbnails
made once, off the request path, by whichever replica claims the image; rows past their kind's
retention go and then their bytes; a customer's erasure queues the bytes the same way; bytes no row
claims are swept once the grace period has passed."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import MetaData, select, update
from sqlalchemy.orm import Session

from services.common import attachment_jobs as jobs
from services.common.attachments import (ATTACHMENT_DELETIONS, ATTACHMENTS, add_attachment_tables, forget_documents,
                                         new_attachment_id, retention, storage_key, thumbnail_key_of)
from services.common.db import make_engine, utcnow
from services.common.storage import LocalStorage


@pytest.fixture
def engine(scratch_url):
    metadata = MetaData()
    add_attachment_tables(metadata)
    made = make_engine(scratch_url)
    metadata.create_all(made)
    yield made
    made.dispose()


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "attachments")


def attach(engine, storage, tmp_path, *, owner_type="work_order", document="wo-1", kind="image", age=timedelta(0)):
    """An attachment as the gateway leaves it: bytes stored, row recorded, no thumbnail."""
    attachment_id = new_attachment_id("workshop")
    uploaded_at = utcnow() - age
    key = storage_key(attachment_id, "store-1", uploaded_at)
    source = tmp_path / f"{attachment_id}.bin"
    if kind == "image":
        Image.new("RGB", (1600, 1200), (10, 120, 200)).save(source, "JPEG")
    else:
        source.write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    storage.put(key, source, "image/jpeg" if kind == "image" else "application/pdf")
    with engine.begin() as conn:
        conn.execute(ATTACHMENTS.insert().values(
            id=attachment_id, store_id="store-1", owner_type=owner_type, owner_id=document, parent_id=document,
            storage_key=key, content_type="image/jpeg" if kind == "image" else "application/pdf", kind=kind,
            size=source.stat().st_size, sha256="0" * 64, uploaded_at=uploaded_at))
    return attachment_id, key


def row(engine, attachment_id):
    with engine.connect() as conn:
        return conn.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.id == attachment_id)).mappings().first()


def queued(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(ATTACHMENT_DELETIONS.c.storage_key)))


def stored(storage) -> set[str]:
    return {key for key, _ in storage.listing("workshop/")} if storage.root.exists() else set()


def test_a_photos_thumbnail_is_made_once_and_a_pdf_gets_none(engine, storage, tmp_path):
    photo, key = attach(engine, storage, tmp_path)
    pdf, _ = attach(engine, storage, tmp_path, kind="pdf")
    assert jobs.make_thumbnails(engine, storage) == 1
    assert row(engine, photo)["thumbnail_key"] == thumbnail_key_of(key)
    assert row(engine, photo)["thumbnail_claimed_until"] is None
    with storage.open(thumbnail_key_of(key)) as thumb:
        assert Image.open(thumb).size == (320, 240)
    assert row(engine, pdf)["thumbnail_key"] is None
    assert jobs.make_thumbnails(engine, storage) == 0  # nothing left to do


def test_an_image_another_replica_claimed_is_left_to_it_until_its_claim_lapses(engine, storage, tmp_path):
    photo, _ = attach(engine, storage, tmp_path)
    with engine.begin() as conn:
        conn.execute(update(ATTACHMENTS).values(thumbnail_claimed_until=utcnow() + timedelta(seconds=30)))
    assert jobs.make_thumbnails(engine, storage) == 0
    assert jobs.make_thumbnails(engine, storage, now=utcnow() + timedelta(seconds=31)) == 1  # that replica died
    assert row(engine, photo)["thumbnail_key"]


def test_a_thumbnail_that_fails_leaves_the_photo_and_is_retried(engine, storage, tmp_path):
    photo, key = attach(engine, storage, tmp_path)
    os.replace(storage.root / key, tmp_path / "away")  # the store lost it for a moment
    assert jobs.make_thumbnails(engine, storage) == 0
    os.replace(tmp_path / "away", storage.root / key)
    assert jobs.make_thumbnails(engine, storage, now=utcnow() + jobs.CLAIM) == 1


def test_rows_past_their_kinds_retention_go_then_their_bytes(engine, storage, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHMENT_RETENTION_DAYS_COMPLAINT", "30")
    assert retention("complaint") == timedelta(days=30) and retention("receipt") == timedelta(days=3650)
    old_complaint, old_key = attach(engine, storage, tmp_path, owner_type="complaint", age=timedelta(days=31))
    young_complaint, young_key = attach(engine, storage, tmp_path, owner_type="complaint", age=timedelta(days=29))
    old_receipt, receipt_key = attach(engine, storage, tmp_path, owner_type="receipt", age=timedelta(days=400))
    assert jobs.expire(engine) == 1
    assert row(engine, old_complaint) is None and row(engine, young_complaint) and row(engine, old_receipt)
    assert queued(engine) == {old_key, thumbnail_key_of(old_key)}
    assert old_key in stored(storage)  # the bytes go after the rows, outside their transaction
    assert jobs.delete_released(engine, storage) == 2
    assert queued(engine) == set()
    assert stored(storage) == {young_key, receipt_key}


def test_a_documents_attachments_are_forgotten_with_it_and_a_repeat_changes_nothing(engine, storage, tmp_path):
    gone, gone_key = attach(engine, storage, tmp_path, document="wo-erased")
    kept, kept_key = attach(engine, storage, tmp_path, document="wo-other")
    for _ in range(2):  # a redelivered erasure
        with Session(engine) as session, session.begin():
            forget_documents(session, ["wo-erased"])
    assert row(engine, gone) is None and row(engine, kept)
    jobs.delete_released(engine, storage)
    assert stored(storage) == {kept_key}


def test_bytes_no_row_claims_are_swept_after_the_grace_period(engine, storage, tmp_path):
    kept, kept_key = attach(engine, storage, tmp_path)
    jobs.make_thumbnails(engine, storage)
    orphan = storage_key(new_attachment_id("workshop"), "store-1", utcnow())
    storage.put(orphan, tmp_path / f"{kept}.bin", "image/jpeg")  # the gateway died before recording
    later = utcnow() + jobs.ORPHAN_GRACE + timedelta(minutes=1)
    assert jobs.sweep_orphans(engine, storage, "workshop") == 0  # young: may be an upload being recorded
    assert jobs.sweep_orphans(engine, storage, "workshop", now=later) == 1
    assert stored(storage) == {kept_key, thumbnail_key_of(kept_key)}
    assert jobs.sweep_orphans(engine, storage, "sales", now=later) == 0  # another service's bytes are its own
