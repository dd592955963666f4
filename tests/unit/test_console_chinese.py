"""Chinese first, for real: no English reaches a zh-CN console screen from the console itself. Every value
of the services' vocabularies (states, methods, kinds, areas…) has words in both languages; every key a
screen asks for exists; the dictionary's Chinese holds no English words; dates, money and hours come from
one formatter; the API's English lines (an order's status line, crm's history summaries) are worded by
the console from what they carry. Runs the ES modules in Node.js when the machine has it."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from gateway.console import CONSOLE_DIR
from services.common.policy import ROLES
from services.common.skills import LEVELS, SKILLS
from services.crm.domain.membership import TIERS
from services.finance.models import CARD_STATES
from services.contracts.rpc.crm import (CAMPAIGN_STATES, CHANNELS, COMPLAINT_STATES, FOLLOW_UP_STATES, HISTORY_KINDS,
                                        RECURRENCES)
from services.contracts.rpc.finance import (CARD_KINDS, HEALTH_RECORD_FAILURES, HEALTH_RECORD_STATES, INVOICE_STATES,
                                           METHODS)
from services.contracts.rpc.finance import payment_reconciliations as rc
from services.contracts.rpc.inventory import PO_STATES, TRANSFER_STATES
from services.contracts.rpc.sales import APPROVAL_STATES, LINE_KINDS, ORDER_STATES, PAYMENT_METHODS, QUOTE_STATES
from services.contracts.rpc.workshop.inspections import AREAS, CONDITIONS
from services.contracts.rpc.workshop.work_orders import STATES as WORK_ORDER_STATES
from services.contracts.rpc.workshop import JobOut

NODE = shutil.which("node")
JS = CONSOLE_DIR / "js"
SOURCES = sorted([*JS.glob("*.js"), *JS.glob("screens/*.js")])

# the prefix a screen puts before a value of the API → every value the services may send
VOCABULARIES = {
    "wo": WORK_ORDER_STATES, "job": JobOut._declared_fields["status"].metadata["enum"],
    "cond": CONDITIONS, "area": AREAS, "skill": tuple(SKILLS),
    "quote": QUOTE_STATES, "order": ORDER_STATES, "order_line": tuple(s for s in ORDER_STATES), "kind": LINE_KINDS,
    "method": tuple(set(PAYMENT_METHODS) | set(METHODS)), "invoice": INVOICE_STATES,
    "card": CARD_KINDS, "card_status": CARD_STATES,
    "history": HISTORY_KINDS, "tier": tuple(name for name, _floor in TIERS),
    "follow_up": FOLLOW_UP_STATES, "complaint": COMPLAINT_STATES,
    "po": PO_STATES, "transfer": TRANSFER_STATES, "campaign": CAMPAIGN_STATES, "channel": CHANNELS,
    "recurrence": RECURRENCES,
    "approval": APPROVAL_STATES, "level": LEVELS, "role": ROLES, "weekday": tuple(range(7)),
    "hr_status": HEALTH_RECORD_STATES, "hr_failure": HEALTH_RECORD_FAILURES,
    "rc_kind": rc.DIFFERENCE_KINDS, "rc_action": rc.ACTIONS, "rc_status": rc.DIFFERENCE_STATES, "rc_run": rc.RUN_STATES,
}
# ASCII a Chinese screen may show: units, standards and file formats a store's staff read as they are
# (single letters too: a plate never uses I or O)
ALLOWED_ASCII = {"VIN", "OE", "km", "JPEG", "PNG", "HEIC", "MP4", "PDF", "OFD", "CSV", "Excel", "QC", "h", "OK"}


def run_node(body: str, lang: str = "zh") -> object:
    script = f"""
        globalThis.localStorage = {{ getItem: () => {json.dumps(lang)}, setItem() {{}} }};
        globalThis.document = {{ documentElement: {{}} }};
        const i18n = await import({json.dumps((JS / "i18n.js").as_uri())});
        const format = await import({json.dumps((JS / "format.js").as_uri())});
        console.log(JSON.stringify(await (async () => {{ {body} }})()));
    """
    done = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dictionary() -> dict[str, list[str]]:
    """Every key of the console's dictionary with its [zh-CN, en] words."""
    keys = re.findall(r"\b(\w+): \[\"", (JS / "i18n.js").read_text(encoding="utf-8"))
    zh = run_node(f"return {json.dumps(keys)}.map(i18n.worded);", "zh")
    en = run_node(f"return {json.dumps(keys)}.map(i18n.worded);", "en")
    return {key: [z, e] for key, z, e in zip(keys, zh, en, strict=True)}


def english_words(text: str) -> set[str]:
    text = re.sub(r"\{\w+(?::\w+)?\}", "", text)  # placeholders are filled with the reader's words
    return {word for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", text) if len(word) > 1} - ALLOWED_ASCII


needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


@needs_node
def test_every_value_the_services_send_has_words_in_both_languages():
    words = dictionary()
    missing = [f"{prefix}_{value}" for prefix, values in VOCABULARIES.items() for value in values
               if f"{prefix}_{value}" not in words
               and not (prefix == "order_line" and f"order_line_{value}_paid" in words)]
    assert missing == []
    assert all(zh and en for zh, en in words.values())


@needs_node
def test_the_dictionarys_chinese_holds_no_english():
    said = {key: sorted(english_words(zh)) for key, (zh, _en) in dictionary().items() if english_words(zh)}
    assert said == {"switch_lang": ["English"]}  # the switch names the other language in its own words


@needs_node
def test_every_key_a_screen_asks_for_has_words():
    words = dictionary()
    asked = {key for path in SOURCES for key in
             re.findall(r"""\b(?:t|worded|phrase|field)\(\s*"(\w+)\"""", path.read_text(encoding="utf-8"))}
    asked |= {key for path in SOURCES for key in re.findall(r"""\[\[\"(\w+)\"""", path.read_text(encoding="utf-8"))}
    assert sorted(asked - set(words)) == []


def test_screens_show_dates_hours_and_api_lines_only_through_the_formatters():
    """The class of the review's `0.008 h`, `2026/12/6`, `Confirmed; waiting…` and a printed `null`."""
    forbidden = {
        "hours with an English unit (use hours())": r"""\}\s?h`|" h"|'h'""",
        "a date formatted in place (use format.js)":
            r"toLocale(Date|Time)?String\(\s*[\"'(]|Intl\.DateTimeFormat|getFullYear|getMonth",
        "an English line of the API shown verbatim": r"\.status_line|\.summary\b",
        "children replaced without leaving out null (use fill())": r"\.replaceChildren\(",
    }
    found = {f"{path.relative_to(JS)}: {why}" for path in SOURCES if path.name not in ("format.js", "ui.js", "i18n.js")
             for why, pattern in forbidden.items() if re.search(pattern, path.read_text(encoding="utf-8"))}
    assert found == set()


@needs_node
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_date_format_in_the_stores_time_zone_money_in_yuan_and_hours_as_hours_and_minutes(lang):
    said = run_node("""return {
        at: format.dateTime("2026-12-06T06:03:00Z", "Asia/Shanghai"),
        late: format.dateTime("2026-12-06T16:30:00Z", "Asia/Shanghai"),
        day: format.date("2026-12-06T16:30:00Z", "Asia/Shanghai"),
        money: [format.yuan(120510), format.yuan(-20090), format.yuan(5)],
        hours: [0.008, 0.02, 0.5, 1.5, 12.25, null].map(format.hours),
        refusal: i18n.errorWords({ code: "overpayment", params: { due_fen: 1234567 } }),
    };""", lang)
    assert said["at"] == "2026-12-06 14:03"
    assert said["late"] == "2026-12-07 00:30" and said["day"] == "2026-12-07"
    assert said["money"] == ["¥1,205.10", "-¥200.90", "¥0.05"]
    assert said["hours"] == ["0:00", "0:01", "0:30", "1:30", "12:15", "—"]
    assert "¥12,345.67" in said["refusal"]


@needs_node
def test_an_orders_status_line_and_crms_history_summaries_are_worded_in_chinese():
    said = run_node("""
        const orders = [["confirmed", null], ["in_progress", null], ["completed", null],
                        ["completed", "2026-12-06T06:00:00Z"],
                        ["delivered", null], ["closed", null], ["cancelled", null]]
          .map(([state, paid_at]) => i18n.orderLine({ state, paid_at, cancel_reason: "客户改期" }));
        const history = [
          { kind: "payment", summary: "+1205 points" }, { kind: "refund", summary: "-12 points" },
          { kind: "delivery", summary: "交车 delivered", mileage_km: 45210 },
          { kind: "delivery", summary: "交车 delivered (customer not satisfied at delivery)" },
          { kind: "follow_up", summary: "satisfaction 4/5: 师傅很专业" },
          { kind: "complaint", summary: "resolved: 已退工时费" },
          { kind: "merge", summary: "merged duplicate 01abc (2 vehicles, 7 history lines)" },
          { kind: "visit", summary: "maintenance, tyres, 异响" },
          { kind: "order", summary: "更换机油机滤; 全合成机油 5W-30 4L" },
          { kind: "order", summary: null },
        ].map(i18n.historySummary);
        return { orders, history };""")
    assert said["orders"][0] == "已确认，等待车间开工"
    assert said["orders"][3] == "已完工，已付清，可以交车" and said["orders"][6] == "已取消：客户改期"
    assert said["history"] == ["积分 +1205", "积分 -12", "里程 45210 km", "交车时客户不满意", "满意度 4/5 · 师傅很专业",
                               "已解决：已退工时费", "合并重复档案：车辆 2 辆，记录 7 条", "保养、轮胎、异响",
                               "更换机油机滤; 全合成机油 5W-30 4L", ""]
    assert not [line for line in said["orders"] + said["history"][:-2] if english_words(line)]


@needs_node
def test_english_mode_words_the_same_lines_in_english():
    said = run_node("""return [i18n.orderLine({ state: "confirmed" }),
                       i18n.historySummary({ kind: "payment", summary: "+1205 points" }),
                       i18n.historySummary({ kind: "visit", summary: "maintenance" })];""", "en")
    assert said == ["Confirmed; waiting for the workshop to start", "+1205 points", "Maintenance"]


@needs_node
def test_the_car_owners_phone_app_shows_moments_and_days_in_the_consoles_one_format():
    words = (CONSOLE_DIR.parent / "mobile" / "js" / "words.js").as_uri()
    said = run_node(f"""const m = await import({json.dumps(words)});
        return [m.when("2026-12-06T16:30:00Z", "Asia/Shanghai"), m.when("2026-12-06T06:03:00Z"),
                m.day("2026-12-07")];""")
    assert said == ["2026-12-07 00:30", "2026-12-06 14:03", "2026-12-07"]
