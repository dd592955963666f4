"""The console's menu is the role policy's answer (`/v1/me`), not a copy of it in the console's code."""
from __future__ import annotations

import re

import pytest

from gateway.console import CONSOLE_DIR
from services.common import policy
from tests.unit.test_crm_gateway_routes import login_as, new_store


@pytest.mark.parametrize("role", policy.ROLES)
def test_me_answers_the_screens_and_home_the_policy_gives_the_role(app, role):
    headers = login_as(app, role, [] if role in policy.HQ else [new_store(app, "S1")])
    me = app.simulate_get("/v1/me", headers=headers).json
    assert me["role"] == role and me["screens"] == policy.console_screens(role)
    assert me["screens"] and me["home"] in me["screens"]


def test_a_role_set_changed_in_the_policy_changes_what_the_console_shows(app, monkeypatch):
    cashier = login_as(app, "cashier", [new_store(app, "S1")])
    before = app.simulate_get("/v1/me", headers=cashier).json["screens"]
    assert "dashboard" not in before and "cashier" in before
    monkeypatch.setitem(policy.CONSOLE_SCREENS, "dashboard", policy.MANAGERS | {"cashier"})
    monkeypatch.setitem(policy.CONSOLE_SCREENS, "cashier", policy.MANAGERS)
    after = app.simulate_get("/v1/me", headers=cashier).json["screens"]
    assert "dashboard" in after and "cashier" not in after


def test_the_console_has_a_module_for_every_screen_and_names_no_role():
    app_js = (CONSOLE_DIR / "js" / "app.js").read_text()
    declared = re.search(r"const SCREENS = \{([^}]*)\}", app_js).group(1)
    modules = {entry.split(":")[0].strip() for entry in declared.split(",") if entry.strip()}
    assert modules == set(policy.CONSOLE_SCREENS)
    # the menus' areas name screens, one of which (cashier) is also a role's name
    outside_areas = re.sub(r"const AREAS = \[.*?\n\];", "", app_js, flags=re.S)
    assert "const AREAS" in app_js and "const AREAS" not in outside_areas
    assert not [role for role in policy.ROLES if f'"{role}"' in outside_areas]


@pytest.mark.parametrize("role", policy.ROLES)
def test_me_answers_what_the_policy_lets_the_role_do(app, role):
    headers = login_as(app, role, [] if role in policy.HQ else [new_store(app, "S1")])
    me = app.simulate_get("/v1/me", headers=headers).json
    assert me["manages"] is (role in policy.MANAGERS)
    assert me["sees_every_store"] is (role in policy.HQ)
    assert me["grantable_roles"] == {"hq_admin": list(policy.ROLES),
                                     "store_manager": ["service_advisor", "technician", "cashier"]}.get(role, [])


def test_no_screen_decides_by_a_list_of_roles():
    """Who manages, who sees every store and which roles a user may grant come from `/v1/me`; a screen
    compares a role only to say what another account is (HQ's accounts have no store)."""
    copies = {path.name: found for path in sorted((CONSOLE_DIR / "js" / "screens").glob("*.js"))
              if (found := re.findall(r"\[[^\]]*\"(?:hq_admin|store_manager)\"[^\]]*\]|ctx\.user\??\.role\b",
                                      path.read_text()))}
    assert copies == {}
