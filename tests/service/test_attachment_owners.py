"""The owners' attachment calls with nameko's worker_factory and a real SQLite session: a work order
takes files in its store's scope and lists them; a customer's erasure in workshop removes the rows of
their work orders' files (and their findings') and queues the bytes, once per event."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common.attachments import ATTACHMENT_DELETIONS, ATTACHMENTS, new_attachment_id, storage_key
from services.common.db import utcnow
from services.common.errors import Forbidden, NotFound
from services.workshop.models import WorkOrder
from tests.service.test_workshop_service import OUTSIDER, SYSTEM, envelope, open_work_order, sqlite_session, workshop


@pytest.fixture
def session():
    made = sqlite_session()
    yield made
    made.close()


def record(service, work_order_id: str, store_id: str = "s1") -> dict:
    attachment_id = new_attachment_id("workshop")
    return service.record_attachment("work_order", work_order_id, {
        "id": attachment_id, "storage_key": storage_key(attachment_id, store_id, utcnow()),
        "content_type": "application/pdf", "kind": "pdf", "size": 120, "sha256": "a" * 64})


def test_a_work_order_takes_files_in_its_stores_scope(session):
    service = workshop(session)
    wo = open_work_order(service)
    assert service.authorize_attachment("work_order", wo["id"])["store_id"] == "s1"
    first, second = record(service, wo["id"]), record(service, wo["id"])
    assert first["id"].startswith("w-") and first["storage_key"].startswith("workshop/")
    listed = service.list_attachments("work_order", wo["id"])["items"]
    assert [a["id"] for a in listed] == [first["id"], second["id"]] and listed[0]["thumbnail_url"] is None
    assert "storage_key" not in listed[0]  # where the bytes are is for the gateway only
    assert service.get_attachment(first["id"])["storage_key"] == first["storage_key"]
    outsider = workshop(session, OUTSIDER)
    for call in (lambda: outsider.authorize_attachment("work_order", wo["id"]),
                 lambda: outsider.list_attachments("work_order", wo["id"]),
                 lambda: outsider.get_attachment(first["id"])):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(NotFound):
        service.authorize_attachment("complaint", wo["id"])  # a kind workshop does not keep


def test_a_customers_erasure_takes_their_work_orders_files_once_per_event(session):
    service = workshop(session)
    mine, theirs = open_work_order(service), open_work_order(service)
    gone, kept = record(service, mine["id"]), record(service, theirs["id"])
    finding_photo = record(service, theirs["id"])
    session.execute(ATTACHMENTS.update().where(ATTACHMENTS.c.id == finding_photo["id"])
                    .values(owner_type="finding", owner_id="f-1", parent_id=mine["id"]))  # a finding of mine
    session.get(WorkOrder, theirs["id"]).customer_id = "c2"
    session.commit()
    erased = envelope("crm.customer_erased", {"customer_id": "c1", "erased_at": utcnow().isoformat()})
    workshop(session, SYSTEM).on_customer_erased(erased)
    workshop(session, SYSTEM).on_customer_erased(erased)  # redelivered
    left = set(session.scalars(select(ATTACHMENTS.c.id)))
    assert gone["id"] not in left and finding_photo["id"] not in left and kept["id"] in left
    queued = set(session.scalars(select(ATTACHMENT_DELETIONS.c.storage_key)))
    assert queued == {gone["storage_key"], gone["storage_key"] + ".thumbnail.jpg",
                      finding_photo["storage_key"], finding_photo["storage_key"] + ".thumbnail.jpg"}
    with pytest.raises(NotFound):
        service.get_attachment(gone["id"])
