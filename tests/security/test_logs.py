"""The stack's logs (one file per process in its log_dir) carry no password, secret, password hash
or full phone number, after the chain was built (customers with known mobiles, every account
logged in with a known password), whatever other tests of this stack did, and a few paths that
put data into error messages: a duplicate mobile, a search by phone, wrong passwords; a manager's own mobile
set for their scheduled reports."""
from __future__ import annotations

import pytest
import requests

from tests.security.leaks import PASSWORD_HASH
from tests.security.world import PASSWORD, ok
from tests.support import data

pytestmark = pytest.mark.e2e


def test_no_password_secret_or_phone_number_is_logged(chain):
    url, advisor = chain.url, chain.sessions["service_advisor"]
    # a customer of this test's own: the fuzzer, run earlier on this stack, may have changed the chain's
    taken = data.mobile()
    chain.phones.append(taken)
    ok(advisor.post(f"{url}/v1/customers", json={"name": "王安全", "mobile": taken,
                                                 "home_store_id": chain.ids["own"]["store_id"]}, timeout=30))
    duplicate = advisor.post(f"{url}/v1/customers", json={"name": "重复", "mobile": taken}, timeout=30)
    assert duplicate.status_code == 409, duplicate.text
    assert advisor.get(f"{url}/v1/customers", params={"phone": taken}, timeout=30).status_code == 200
    staff_mobile = data.mobile()  # a manager's own, where their scheduled reports go (crm keeps it too)
    chain.phones.append(staff_mobile)
    manager, store_id = chain.sessions["store_manager"], chain.ids["own"]["store_id"]
    ok(manager.patch(f"{url}/v1/users/{chain.users['store_manager']['id']}", json={"mobile": staff_mobile}, timeout=30))
    for _ in range(2):  # the second: 409, already subscribed
        manager.post(f"{url}/v1/report-subscriptions", json={"store_id": store_id, "period": "weekly"}, timeout=30)
    username = chain.users["cashier"]["username"]
    for password in (PASSWORD + "x", "wrong-" + PASSWORD):
        requests.post(f"{url}/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    chain.passwords += [PASSWORD + "x", "wrong-" + PASSWORD]

    logs = sorted(chain.stack.log_dir.glob("*.log"))
    assert {path.stem for path in logs} >= {"gateway", "crm", "sales", "workshop", "inventory", "finance"}
    found = []
    for path in logs:
        text = path.read_text(errors="replace")
        found += [f"{path.name}: secret {secret[:3]}…" for secret in chain.secrets() if secret in text]
        found += [f"{path.name}: phone {phone[:3]}…{phone[-4:]}" for phone in chain.phones if phone in text]
        found += [f"{path.name}: a password hash"] if PASSWORD_HASH.search(text) else []
    assert not found, "the logs carry: " + ", ".join(found)
