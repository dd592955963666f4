"""Finding rows by any part of a name, number or code, the way staff type it.

On PostgreSQL a substring match (`ILIKE '%…%'`) is served by pg_trgm GIN indexes (`gin_trgm_ops`),
which need at least one whole trigram in the term: `TRIGRAM` characters. Shorter terms match columns
too big to read whole (a chain's customers) by prefix, which a B-tree serves. On SQLite (the embedded
default, one store's data) the same expressions are plain `LIKE` scans.

Pinyin initials (`刹车片` → `scp`) are computed on write into a column of their own, so that the
same index finds them."""
from __future__ import annotations

from pypinyin import Style, lazy_pinyin
from sqlalchemy import ColumnElement

TRIGRAM = 3
"""The shortest term a trigram index can narrow (`'%ab%'` holds no trigram: a full index scan)."""


def _escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, term: str) -> ColumnElement[bool]:
    """`column` holds `term` anywhere, ignoring ASCII case."""
    return column.ilike(f"%{_escaped(term)}%", escape="\\")


def starts_with(column, term: str) -> ColumnElement[bool]:
    """`column` begins with `term` (case-sensitive: a `text_pattern_ops` B-tree serves it)."""
    return column.like(f"{_escaped(term)}%", escape="\\")


def pinyin_initials(text: str | None) -> str:
    """The first letters of the pinyin of the Chinese characters of `text`, a space where anything
    else stood (`博世刹车片（前）` → `bsscp q`), so initials never run across a number or a word."""
    letters = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors=lambda _other: " ")
    return " ".join("".join(letters).split())
