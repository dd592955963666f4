"""The manager's screens speak the chains' vocabularies: the technicians screen offers every skill a
technician may hold (services/common/skills.py, `general` means anyone and is never held) and every
level; what waits for approval (sales' `approval_needs` codes) is worded in both languages."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from gateway.console import CONSOLE_DIR
from services.common.skills import ANY_SKILL, LEVELS, SKILLS

SCREENS = CONSOLE_DIR / "js" / "screens"


def js_list(source: str, name: str) -> list[str]:
    body = re.search(rf"export const {name} = \[(.*?)\];", source, re.DOTALL).group(1)
    return re.findall(r'"(\w+)"', body)


def test_the_technicians_screen_offers_every_skill_and_level_of_the_vocabulary():
    source = (SCREENS / "technicians.js").read_text(encoding="utf-8")
    assert js_list(source, "SKILLS") == [skill for skill in SKILLS if skill != ANY_SKILL]
    assert js_list(source, "LEVELS") == list(LEVELS)


def test_every_approval_need_sales_records_is_worded_in_both_languages():
    quotes = (CONSOLE_DIR.parents[1] / "services" / "sales" / "domain" / "quotes" / "negotiation.py").read_text(
        encoding="utf-8")
    codes = set(re.findall(r'needs\.append\(\{"code": "(\w+)"', quotes))
    dictionary = (CONSOLE_DIR / "js" / "i18n.js").read_text(encoding="utf-8")
    worded = set(re.findall(r'approval_(\w+): \["[^"]+", "[^"]+"\]', dictionary))
    assert codes == {"discount_above_limit", "below_cost"} and codes <= worded


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize("lang, said", [
    ("zh", "周一–周五 08:30–18:00；周六、周日 09:00–17:00；周三 19:00–07:00"),
    ("en", "Mon–Fri 08:30–18:00; Sat, Sun 09:00–17:00; Wed 19:00–07:00")])
def test_weekly_shifts_are_said_in_few_words(lang, said):
    shifts = [*({"weekday": d, "start": "08:30", "end": "18:00"} for d in (4, 0, 1, 2, 3)),
              {"weekday": 5, "start": "09:00", "end": "17:00"}, {"weekday": 6, "start": "09:00", "end": "17:00"},
              {"weekday": 2, "start": "19:00", "end": "07:00"}]
    script = f"""
        globalThis.localStorage = {{ getItem: () => {json.dumps(lang)}, setItem() {{}} }};
        globalThis.document = {{ documentElement: {{}} }};
        const screen = await import({json.dumps((SCREENS / "technicians.js").as_uri())});
        console.log(JSON.stringify(screen.shiftsText({json.dumps(shifts)})));
    """
    done = subprocess.run(["node", "--input-type=module", "-e", script], check=False, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == said
