"""A refusal in the console is worded from its code in the console's own dictionary, naming people
by name (issue 18: dispatching a job to a technician without its skill showed
`错误 422: Some technicians cannot take this job · technicians: 赵磊 (01m9...) does not have the skill senior`)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import confirmed_order
from tests.support.one_car import ok


def test_a_dispatch_to_a_technician_without_the_skill_is_refused_in_chinese_with_names(console, stack, shop, part):
    car = confirmed_order(stack, shop, part)  # its labour line asks for the skill maintenance
    painter = ok(shop.manager.post(f"{stack.url}/v1/technicians", json={
        "store_id": shop.id, "name": "孙漆匠", "level": "senior", "hourly_cost_fen": 6000, "skills": ["paint"]}), 201)
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/board")
    manager.locator(f"[data-status=open] [data-wo='{car['work_order']['id']}']").click()
    dispatch = manager.locator("#dispatch-form")
    expect(dispatch.locator("[data-job] h3")).to_contain_text("更换机油机滤 · 保养")  # the skill in words
    dispatch.locator(f"tr[data-tech='{painter['id']}'] [name=tech]").check()
    dispatch.locator("button[type=submit]").click()
    refusal = dispatch.locator(".form-error")
    expect(refusal).to_contain_text("孙漆匠 不具备「更换机油机滤」所需的保养技能")
    console.shot(manager, "dispatch-refused-in-words")
    said = refusal.inner_text()
    assert painter["id"] not in said and "Some technicians" not in said and "skill" not in said
    assert "422" not in said and not said.startswith("错误")  # no HTTP status before the words (issue 19)
    expect(refusal).to_have_attribute("data-status", "422")

    manager.locator("#lang").click()  # the English switch words it from the same code
    manager.locator(f"[data-status=open] [data-wo='{car['work_order']['id']}']").click()
    manager.locator(f"#dispatch-form tr[data-tech='{painter['id']}'] [name=tech]").check()
    manager.locator("#dispatch-form button[type=submit]").click()
    expect(manager.locator("#dispatch-form .form-error")).to_contain_text(
        "孙漆匠 lack the Maintenance skill that 更换机油机滤 needs")
