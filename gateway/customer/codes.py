"""One-time sign-in codes (plain functions over the gateway's Session).

A code is six digits, kept only as an HMAC under the gateway's key, valid `CODE_TTL`, used once. Sending is
limited per number (one per `RESEND_AFTER`, `CODES_PER_NUMBER` an hour) and per client address
(`CODES_PER_ADDRESS` an hour unless `CUSTOMER_CODES_PER_ADDRESS` says otherwise), the same whether or not the
number is a customer's, so the answer never tells. A code takes `MAX_GUESSES` wrong guesses and is then
locked; the number asks for a new one after `LOCKED_COOL_DOWN` (an innocent owner waits minutes, a guesser
gets five tries per code)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import falcon
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.db import utcnow

from ..models import CustomerCode

CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
LOCKED_COOL_DOWN = timedelta(minutes=10)
CODES_PER_NUMBER = 5
CODES_PER_ADDRESS = 20
WINDOW = timedelta(hours=1)
MAX_GUESSES = 5


def code_hash(key: str, mobile: str, code: str) -> str:
    return hmac.new(key.encode(), f"{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _limited(until: datetime, message: str, code: str = "code_requests_limited") -> falcon.HTTPTooManyRequests:
    seconds = max(1, int((until - utcnow()).total_seconds()) + 1)
    return falcon.HTTPTooManyRequests(title=code, description=message, retry_after=seconds)


def _latest(session: Session, mobile: str) -> CustomerCode | None:
    return session.scalars(select(CustomerCode).where(CustomerCode.mobile == mobile)
                           .order_by(CustomerCode.created_at.desc()).limit(1)).first()


def require_may_send(session: Session, mobile: str, client_ip: str | None,
                     per_address: int = CODES_PER_ADDRESS) -> None:
    """429 `code_requests_limited` (with Retry-After) when this number or address asked too often."""
    now, since = utcnow(), utcnow() - WINDOW
    last = _latest(session, mobile)
    if last is not None:
        wait = LOCKED_COOL_DOWN if last.attempts >= MAX_GUESSES else RESEND_AFTER
        if last.created_at + wait > now:
            raise _limited(last.created_at + wait, "A code was sent to this number moments ago; wait and ask again.")
    sent = session.scalars(select(CustomerCode.created_at).where(
        CustomerCode.mobile == mobile, CustomerCode.created_at >= since).order_by(CustomerCode.created_at)).all()
    if len(sent) >= CODES_PER_NUMBER:
        raise _limited(sent[0] + WINDOW, "Too many codes for this number this hour.")
    if client_ip and (session.scalar(select(func.count()).select_from(CustomerCode).where(
            CustomerCode.client_ip == client_ip, CustomerCode.created_at >= since)) or 0) >= per_address:
        raise _limited(now + WINDOW, "Too many codes asked from this address this hour.")


def new_code(session: Session, key: str, mobile: str, client_ip: str | None) -> str:
    """A fresh code for the number (its hash stored); earlier unused codes of the number end."""
    code = f"{secrets.randbelow(10 ** 6):06d}"
    now = utcnow()
    session.add(CustomerCode(mobile=mobile, code_hash=code_hash(key, mobile, code), client_ip=client_ip,
                             created_at=now, expires_at=now + CODE_TTL, attempts=0))
    session.flush()
    return code


def redeem(session: Session, key: str, mobile: str, code: str) -> None:
    """Use the number's latest code. A wrong guess is counted (`guessed_wrong`, committed by the caller
    before it refuses); 401 `code_invalid` when wrong, expired or used, 429 `code_locked` once the code
    took `MAX_GUESSES` wrong ones."""
    last = _latest(session, mobile)
    if last is None or last.used_at is not None or last.expires_at <= utcnow():
        raise _invalid()
    if last.attempts >= MAX_GUESSES:
        raise _limited(last.created_at + LOCKED_COOL_DOWN, "Too many wrong codes; ask for a new one later.",
                       "code_locked")
    if not hmac.compare_digest(last.code_hash, code_hash(key, mobile, code)):
        raise WrongGuess(last.id)
    last.used_at = utcnow()


class WrongGuess(Exception):
    def __init__(self, code_id: str):
        super().__init__(code_id)
        self.code_id = code_id


def guessed_wrong(session: Session, guess: WrongGuess) -> falcon.HTTPUnauthorized:
    """Count the wrong guess (in its own transaction) and answer the refusal to raise."""
    session.execute(update(CustomerCode).where(CustomerCode.id == guess.code_id)
                    .values(attempts=CustomerCode.attempts + 1))  # atomic under concurrent guesses
    return _invalid()


def _invalid() -> falcon.HTTPUnauthorized:
    return falcon.HTTPUnauthorized(title="code_invalid", description="The code is wrong or has expired.")
