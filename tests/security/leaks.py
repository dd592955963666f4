"""What must never leave the gateway: secrets (the JWT secret, ADMIN_PASSWORD, any password),
password hashes, stack traces, and full phone numbers to a role that sees them masked."""
from __future__ import annotations

import io
import re

import requests
from pypdf import PdfReader

PASSWORD_HASH = re.compile(r"\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}")
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
MASKED_ROLES = frozenset({"technician"})


def leaks(text: str, secrets: list[str], phones: list[str] = ()) -> list[str]:
    """What `text` gives away; `phones` are the full numbers its reader must not see."""
    found = [f"secret {secret[:3]}…" for secret in secrets if secret and secret in text]
    found += [f"full phone {phone[:3]}…{phone[-4:]}" for phone in phones if phone in text]
    if PASSWORD_HASH.search(text):
        found.append("a password hash")
    if STACK_TRACE.search(text):
        found.append("a stack trace")
    return found


def readable(content: bytes, content_type: str) -> str:
    """A body as its reader sees it: a PDF's text, anything else as sent."""
    if content_type.startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode("utf-8", errors="replace")


def assert_no_leak(chain, reply: requests.Response, role: str) -> None:
    phones = chain.phones if role in MASKED_ROLES else []
    found = leaks(readable(reply.content, reply.headers.get("Content-Type", "")), chain.secrets(), phones)
    assert not found, f"{reply.request.method} {reply.request.url} as {role} leaks {', '.join(found)}"
