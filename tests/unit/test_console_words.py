"""The console's wording of the API's refusals, run as the ES module it is (Node.js, when the machine
has it; the browser tests drive the same code in Chromium): a rule's code and params in the reader's
language, vocabularies (skills, states) and amounts in words, marshmallow's field messages in Chinese."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from gateway.console import CONSOLE_DIR
from gateway.words import phrase

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

CASES = {
    "lacks_skill": {"code": "technician_lacks_skill",
                    "params": {"technicians": ["赵磊", "周婷"], "job": "更换前刹车片", "skill": "brakes"}},
    "state": {"code": "work_order_state", "params": {"status": "qc"}},
    "overpayment": {"code": "overpayment", "params": {"due_fen": "12345"}},
    "generic": {"code": "conflict", "params": {}},
    "short": {"code": "stock_short", "params": {"sku": "BRK-PAD-F", "name": "前刹车片", "on_hand": "1"}},
    "po": {"code": "purchase_order_state", "params": {"number": "PO-20261206-001", "status": "partially_received"}},
    "card": {"code": "card_balance_short", "params": {"balance_fen": "5000"}},
}
FIELD_MESSAGES = ["Missing data for required field.",
                  "Must be greater than or equal to 0 and less than or equal to 100.",
                  "Longer than maximum length 50.", "Something the console has no words for."]


def words(lang: str) -> dict:
    script = f"""
        globalThis.localStorage = {{ getItem: () => {json.dumps(lang)}, setItem() {{}} }};
        globalThis.document = {{ documentElement: {{}} }};
        const i18n = await import({json.dumps((CONSOLE_DIR / "js" / "i18n.js").as_uri())});
        const cases = {json.dumps(CASES)};
        console.log(JSON.stringify({{
          errors: Object.fromEntries(Object.entries(cases).map(([name, error]) => [name, i18n.errorWords(error)])),
          fields: {json.dumps(FIELD_MESSAGES)}.map(i18n.fieldWords),
        }}));
    """
    done = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_refusal_is_worded_in_chinese_from_its_code_with_names_and_words_for_its_values():
    said = words("zh")
    assert said["errors"] == {
        "lacks_skill": "赵磊、周婷 不具备「更换前刹车片」所需的制动技能，请改派有此技能的技师",
        "state": "工单当前为「质检」，不能进行此操作，请刷新后再看",
        "overpayment": "本单应收只有 ¥123.45，不能多收",
        "generic": None,  # a class's generic code: the form says the API's message
        "short": "前刹车片（BRK-PAD-F）在库只有 1",
        "po": "采购单 PO-20261206-001 当前为「部分到货」，不能进行此操作",
        "card": "储值卡余额只有 ¥50.00",
    }
    assert said["fields"] == ["必填", "须在 0 到 100 之间", "最多 50 个字符", "Something the console has no words for."]


def test_the_english_switch_words_the_same_codes_in_english():
    said = words("en")
    assert said["errors"]["lacks_skill"] == ("赵磊、周婷 lack the Brakes skill that 更换前刹车片 needs; "
                                             "choose a technician who has it")
    assert said["errors"]["state"].startswith("The work order is QC;")
    assert said["fields"][0] == "Missing data for required field."


def test_the_gateway_words_an_error_as_the_console_does():
    """The API's message for `Accept-Language: zh-CN` is the console's wording of the code, read from
    the same dictionary and filled the same way (gateway/words.py)."""
    for lang in ("zh", "en"):
        said = words(lang)["errors"]
        for name, error in CASES.items():
            assert phrase(f"error_{error['code']}", error["params"], lang) == said[name], (lang, name)


def test_every_word_is_defined_once():
    """A key written twice in the dictionary (two branches adding the same code) silently keeps the
    later words; each key is written once."""
    keys = re.findall(r"^  (\w+): \[", (CONSOLE_DIR / "js" / "i18n.js").read_text(encoding="utf-8"), flags=re.M)
    assert [key for key in set(keys) if keys.count(key) > 1] == []
