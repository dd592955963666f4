"""Signed links a store sends a customer (plain functions over the gateway's Session): a link serves one
purpose on one document (today: deciding a quote), until it expires or staff revoke it. The link's secret
travels only in the URL; the gateway keeps its hash. Opening it gives a customer token bound to the link
(`Tokens.issue_customer`), refused on every other document and once the link is revoked."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import falcon
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.db import utcnow

from ..models import CustomerLink

LINK_TTL = timedelta(days=3)
QUOTE_DECISION = "quote_decision"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, staff_id: str, quote: dict) -> tuple[CustomerLink, str]:
    """A new link to decide `quote` (as sales answered it to the staff member) and its secret."""
    token = secrets.token_urlsafe(32)
    link = CustomerLink(token_hash=_hash(token), purpose=QUOTE_DECISION, document_type="quote",
                        document_id=quote["id"], customer_id=quote["customer_id"], store_id=quote["store_id"],
                        created_by=staff_id, expires_at=utcnow() + LINK_TTL)
    session.add(link)
    session.flush()
    return link, token


def redeem(session: Session, token: str) -> CustomerLink:
    """The live link behind a secret; 401 `link_invalid` when unknown, expired or revoked."""
    link = session.scalar(select(CustomerLink).where(CustomerLink.token_hash == _hash(token)))
    if link is None or link.revoked_at is not None or link.expires_at <= utcnow():
        raise falcon.HTTPUnauthorized(title="link_invalid", description="The link is unknown, expired or revoked.")
    return link


def revoke(session: Session, staff_id: str, document_type: str, document_id: str) -> int:
    """Revoke every live link to the document; how many were."""
    result = session.execute(update(CustomerLink).where(
        CustomerLink.document_type == document_type, CustomerLink.document_id == document_id,
        CustomerLink.revoked_at.is_(None)).values(revoked_at=utcnow(), revoked_by=staff_id))
    return int(getattr(result, "rowcount", 0) or 0)


def is_live(session: Session, link_id: str) -> bool:
    row = session.execute(select(CustomerLink.revoked_at, CustomerLink.expires_at)
                          .where(CustomerLink.id == link_id)).first()
    return row is not None and row.revoked_at is None and row.expires_at > utcnow()
