"""A refusal reaches the console as a stable code with params, and the console words it from its
own dictionary, Chinese first (issue 18: the dispatch refusal showed `错误 422: Some technicians cannot
take this job · technicians: 赵磊 (01m9...) does not have the skill senior`)."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.console import CONSOLE_DIR
from gateway.schemas import ERROR_CODES
from services.common.errors import Invalid
from services.crm.domain.customers import TAKEN
from services.workshop.domain.dispatch import QUALIFICATION_PROBLEMS, refuse_unqualified

SERVICES = Path(__file__).resolve().parents[2] / "services"
GENERIC = ERROR_CODES[:ERROR_CODES.index("internal_error") + 1]
WORD = re.compile(r"error_([a-z0-9_]+): \[\"([^\"]+)\", \"([^\"]+)\"\]")
PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")


def raised_codes() -> set[str]:
    """Every rule code a service raises: literal `code="…"`, finance's `illegal("<what>", …)`
    (`<what>_state`), dispatch's qualification problems and crm's taken fields."""
    codes = set(QUALIFICATION_PROBLEMS) | set(TAKEN.values())
    for path in SERVICES.rglob("*.py"):
        text = path.read_text()
        codes.update(re.findall(r'\bcode="([a-z0-9_]+)"', text))
        codes.update(f"{what}_state" for what in re.findall(r'\billegal\("([a-z_]+)"', text))
    return codes


def dictionary() -> dict[str, tuple[str, str]]:
    text = (CONSOLE_DIR / "js" / "i18n.js").read_text()
    return {code: (zh, en) for code, zh, en in WORD.findall(text)}


def test_every_rule_code_a_service_raises_is_declared_in_the_api_document():
    assert not sorted(raised_codes() - set(ERROR_CODES))


def test_every_declared_rule_code_is_worded_in_chinese_and_english_with_the_same_params():
    words = dictionary()
    rules = set(ERROR_CODES) - set(GENERIC)
    assert rules and not sorted(rules - set(words))
    for code in rules:
        zh, en = words[code]
        assert re.search(r"[\u4e00-\u9fff]", zh), code  # Chinese first
        assert set(PLACEHOLDER.findall(zh)) == set(PLACEHOLDER.findall(en)), code


def test_the_dispatch_refusal_gives_every_param_its_words_use():
    """The words name the technicians (their names, never ids) and the skill; the service sends each."""
    crew = {"t1": SimpleNamespace(name="赵磊")}
    job = SimpleNamespace(skill="brakes", description="更换前刹车片", op_code="BRK-PAD-F")
    for code in QUALIFICATION_PROBLEMS:
        with pytest.raises(Invalid) as refused:
            refuse_unqualified({"t1": code}, crew, job)
        zh, en = dictionary()[code]
        assert set(PLACEHOLDER.findall(zh)) <= set(refused.value.params) and "{technicians}" in zh
        assert refused.value.params["technicians"] == ["赵磊"]



def test_every_code_is_declared_once():
    assert len(ERROR_CODES) == len(set(ERROR_CODES))
