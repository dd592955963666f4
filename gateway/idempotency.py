"""`Idempotency-Key` for POSTs that create documents or move money: the first answer is
stored and replayed for a repeat with the same key and body; the same key with another
body, or a repeat while the first is still running, is a 409."""
from __future__ import annotations

import hashlib
import json
from typing import Callable

import falcon
from sqlalchemy import Text, cast, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .models import IdempotencyRecord


def fingerprint(method: str, path: str, body: dict | None) -> str:
    canonical = json.dumps(body or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


IN_PROGRESS = "request_in_progress"
"""The 409 of a repeat while the first request is still running: a client keeps its key and retries later."""
KEY_REUSED = "idempotency_key_reused"
"""The 409 of a key sent again with another request: a client takes a new key."""


def _conflict(code: str, message: str) -> falcon.HTTPConflict:
    return falcon.HTTPConflict(title=code, description=message)


def idempotent_call(sessions: sessionmaker, user_id: str, key: str, method: str, path: str, body: dict | None,
                    run: Callable[[], dict], status: Callable[[], int | str]) -> tuple[int | str, dict]:
    if len(key) > 200:
        raise falcon.HTTPBadRequest(title="malformed_json", description="Idempotency-Key is at most 200 characters.")
    print_ = fingerprint(method, path, body)
    with sessions() as session:
        record = session.get(IdempotencyRecord, (user_id, key))
        if record is None:
            session.add(IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                raise _conflict(IN_PROGRESS, "A request with this Idempotency-Key is in progress.") from None
        elif record.fingerprint != print_:
            raise _conflict(KEY_REUSED, "This Idempotency-Key was used for a different request.")
        elif record.status is None:
            raise _conflict(IN_PROGRESS, "A request with this Idempotency-Key is in progress.")
        else:
            return _http_status(record.status), record.response
    try:
        media = run()
    except Exception:
        _forget(sessions, user_id, key)  # nothing was answered: a retry may go ahead
        raise
    code = int(str(status()).split()[0])
    with sessions() as session:
        record = session.get(IdempotencyRecord, (user_id, key))
        record.status, record.response = code, media
        session.commit()
    return status(), media


def _forget(sessions: sessionmaker, user_id: str, key: str) -> None:
    with sessions() as session:
        session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key))
        session.commit()


def _http_status(code: int) -> str:
    return falcon.code_to_http_status(code)


def forget_answers_about(sessions: sessionmaker, record_id: str) -> int:
    """Drop stored answers that mention `record_id` (an erased customer's: they hold the name, mobile,
    plate as first answered); a later repeat of such a request runs afresh. How many."""
    with sessions() as session:
        deleted = session.execute(delete(IdempotencyRecord).where(
            cast(IdempotencyRecord.response, Text).contains(record_id))).rowcount
        session.commit()
    return deleted
