"""A refusal reaches the console as a stable code with params, and the console words it from its
own dictionary, Chinese first (issue 18: the dispatch refusal showed `错误 422: Some technicians cannot
take this job · technicians: 赵磊 (01m9...) does not have the skill senior`)."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.schemas import ERROR_CODES
from gateway.words import load_words
from services.common.errors import DOMAIN_ERRORS, DomainError, Invalid
from services.crm.domain.customers import TAKEN
from services.inventory.domain.catalogue import TAKEN as CATALOGUE_TAKEN
from services.workshop.domain.dispatch import QUALIFICATION_PROBLEMS, refuse_unqualified

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
GENERIC = ERROR_CODES[:ERROR_CODES.index("internal_error") + 1]
PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")


def raised_codes() -> set[str]:
    """Every rule code a service raises: literal `code="…"`, finance's `illegal("<what>", …)`
    (`<what>_state`), dispatch's qualification problems and crm's and the catalogue's taken fields."""
    codes = set(QUALIFICATION_PROBLEMS) | set(TAKEN.values()) | set(CATALOGUE_TAKEN.values())
    for path in [*SERVICES.rglob("*.py"), *(ROOT / "gateway").rglob("*.py")]:
        text = path.read_text()
        codes.update(re.findall(r'\bcode="([a-z0-9_]+)"', text))
        codes.update(f"{what}_state" for what in re.findall(r'\billegal\("([a-z_]+)"', text))
    return codes


def dictionary() -> dict[str, tuple[str, str]]:
    """The console's error words as the gateway reads them (gateway/words.py): code → (zh, en)."""
    return {key.removeprefix("error_"): word for key, word in load_words().items() if key.startswith("error_")}


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


ERRORS = {"DomainError", *DOMAIN_ERRORS}
assert set(DOMAIN_ERRORS.values()) == set(DomainError.__subclasses__())  # a new kind of error is listed there


def raises() -> list[tuple[str, ast.Call]]:
    """Every `raise <DomainError or subclass>(…)` in services/ and gateway/, with where it is."""
    found = []
    for path in [*SERVICES.rglob("*.py"), *(ROOT / "gateway").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in ERRORS:
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.exc))
    return found


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_every_refusal_carries_a_code():
    """Issue 19: a refusal without a code reaches the zh-CN console in the API's English. Exempt: a
    plain `NotFound(message)` (the console words `not_found`)."""
    def exempt(call):
        name = getattr(call.func, "id", getattr(call.func, "attr", None))
        return name == "NotFound" and len(call.args) == 1 and not call.keywords
    uncoded = [where for where, call in raises() if not exempt(call) and keyword(call, "code") is None]
    assert not uncoded


def test_a_refusal_sends_every_param_its_words_use():
    """Where a raise names its code and its params literally, the words use no param it does not send."""
    words = dictionary()
    for where, call in raises():
        code, params = keyword(call, "code"), keyword(call, "params")
        if not (isinstance(code, ast.Constant) and code.value in words and isinstance(params, (ast.Dict, type(None)))):
            continue
        sent = {key.value for key in params.keys} if params is not None else set()
        used = set(PLACEHOLDER.findall(words[code.value][0]))
        assert used <= sent, (where, code.value, used - sent)
