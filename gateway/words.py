"""An error's `message` in the caller's language: the API answers `Accept-Language: zh-CN` in the
console's own words. The gateway reads them from the console's dictionary (`console/js/i18n.js`, its
`WORDS`: `key: ["zh-CN", "en"]` one entry at a time), so that there is one dictionary, not two copies
to keep in step; it fills a word's placeholders the way the console's `phrase()` does."""
from __future__ import annotations

import re

import falcon

from .console import CONSOLE_DIR

ENTRY = re.compile(r'(\w+): \["((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\]')
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
LANGUAGES = ("zh", "en")
GENERIC = {"validation_failed": "fix_fields", "service_unavailable": "service_unavailable"}
"""Codes worded by a general word of the console rather than an `error_<code>` entry."""


def load_words() -> dict[str, tuple[str, str]]:
    """`WORDS` of the console's i18n.js: key → (zh-CN, en)."""
    text = (CONSOLE_DIR / "js" / "i18n.js").read_text(encoding="utf-8")
    start = text.index("const WORDS = {")
    body = text[start:text.index("\n};", start)]
    return {key: (zh, en) for key, zh, en in ENTRY.findall(body)}


WORDS = load_words()


def yuan(fen) -> str:
    """Fen as the console shows money: `¥1,234.50` (format.js `yuan`)."""
    try:
        fen = int(fen)
    except (TypeError, ValueError):
        return str(fen)
    return f"{'-' if fen < 0 else ''}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def phrase(key: str, params: dict, language: str) -> str | None:
    """The word for `key` with `{name}` (a list joined with 、), `{name:yuan}` (fen in 元) and
    `{name:prefix}` (a vocabulary's word for the value) filled from `params`; None without a word."""
    if key not in WORDS:
        return None
    index = LANGUAGES.index(language)

    def say(value, how):
        if how == "yuan":
            return yuan(value)
        if how:
            return WORDS.get(f"{how}_{value}", (str(value),) * 2)[index]
        return "" if value is None else str(value)

    def fill(match):
        value, how = params.get(match[1]), match[2]
        return "、".join(say(v, how) for v in value) if isinstance(value, list) else say(value, how)

    return PLACEHOLDER.sub(fill, WORDS[key][index])


def preferred_language(req: falcon.Request) -> str:
    """`zh` when the caller's Accept-Language ranks Chinese above English, else `en` (the API's own)."""
    best, best_q = "en", 0.0
    for part in (req.get_header("Accept-Language") or "").split(","):
        tag, _, weight = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        try:
            q = float(weight.strip()[2:]) if weight.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if language in LANGUAGES and q > best_q:
            best, best_q = language, q
    return best


def error_message(req: falcon.Request, code: str, params: dict | None, message: str) -> str:
    """The error's message in Chinese when the caller asks for it and the console words the code."""
    if preferred_language(req) != "zh":
        return message
    return phrase(GENERIC.get(code, f"error_{code}"), params or {}, "zh") or message
