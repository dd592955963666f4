"""The staff console is static files served by the gateway (no build step), outside the
OpenAPI document; every word it shows has a Chinese and an English form."""
from __future__ import annotations

import re

from gateway.console import CONSOLE_DIR

WORD_USE = re.compile(r"""\bt\(\s*"([a-z0-9_]+)"|field\(\s*"([a-z0-9_]+)"|\[\s*"([a-z0-9_]+)"\s*(?:,\s*"num"\s*)?\]""")


def test_root_opens_the_console_and_its_modules_are_served_as_javascript(app):
    assert app.simulate_get("/").headers["Location"].endswith("/console/")
    page = app.simulate_get("/console/")
    assert page.status_code == 200 and '<script type="module" src="/console/js/app.js">' in page.text
    script = app.simulate_get("/console/js/screens/quote.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert app.simulate_get("/console/#/board").status_code == 200
    assert app.simulate_get("/console/../gateway/app.py").status_code == 404


def test_the_console_is_not_part_of_the_api_document(app):
    paths = app.simulate_get("/openapi.json").json["paths"]
    assert paths and not [path for path in paths if not path.startswith(("/v1/", "/c/v1/", "/healthz", "/readyz"))]


def test_every_word_the_console_uses_has_both_languages():
    dictionary = (CONSOLE_DIR / "js" / "i18n.js").read_text()
    defined = set()
    for line in dictionary.splitlines():
        defined.update(re.findall(r"([a-z0-9_]+): \[\"[^\"]+\", \"[^\"]+\"\]", line))
    used = set()
    for script in (CONSOLE_DIR / "js").rglob("*.js"):
        for groups in WORD_USE.findall(script.read_text()):
            used.update(word for word in groups if word and not word.startswith("num"))
    assert used and not sorted(used - defined)


def test_every_rule_code_the_api_answers_is_worded_in_both_languages():
    """Issue 18: the console words a refusal from its code (Chinese first), never the API's English."""
    from gateway.schemas import ERROR_CODES
    dictionary = (CONSOLE_DIR / "js" / "i18n.js").read_text()
    worded = set(re.findall(r"error_([a-z0-9_]+): \[\"[^\"]+\",\s+\"[^\"]+\"\]", dictionary))
    rules = ERROR_CODES[ERROR_CODES.index("internal_error") + 1:]
    assert rules and not sorted(set(rules) - worded)


def test_every_skill_of_the_vocabulary_is_worded_in_both_languages():
    """The board names a job's skill in the reader's language (制动, not `brakes`)."""
    from services.common.skills import SKILLS
    dictionary = (CONSOLE_DIR / "js" / "i18n.js").read_text()
    worded = dict(re.findall(r"skill_([a-z0-9_]+): \[\"([^\"]+)\", \"[^\"]+\"\]", dictionary))
    assert worded == SKILLS


def test_no_screen_types_a_day_or_a_time_in_the_browsers_own_inputs():
    """Chromium's date and time inputs follow the browser's language (12/06/2026, 02:30 PM): days and times are
    typed in ui.js's dateInput and timeInput, one format whatever the browser."""
    native = re.compile(r"""type:\s*["'](date|time|datetime-local|month|week)["']""")
    found = [f"{path.relative_to(CONSOLE_DIR)}:{number}" for path in sorted(CONSOLE_DIR.rglob("*.js"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if native.search(line)]
    assert not found
