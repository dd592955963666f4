"""One rule for roles and store scope, the same for the gateway's Principal and a service's Caller."""
from __future__ import annotations

import pytest

from gateway.auth import Principal
from services.common import policy
from services.common.context import Caller
from services.common.errors import Forbidden, Invalid, NotFound


def actors(role: str | None, *stores: str) -> list:
    """The same person as the gateway and as a service sees them."""
    caller = Caller.from_context({"user_id": "u", "role": role, "store_ids": ",".join(stores)} if role else {})
    return [caller] + ([Principal("u", "name", role, stores)] if role else [])


@pytest.mark.parametrize("actor", actors("service_advisor", "s1", "s2"))
def test_a_store_user_sees_their_stores_only(actor):
    assert not policy.sees_every_store(actor) and not policy.manages(actor)
    assert policy.visible_stores(actor, None) == ["s1", "s2"]
    assert policy.visible_stores(actor, "s2") == ["s2"]
    with pytest.raises(Forbidden):
        policy.visible_stores(actor, "s3")
    assert policy.can_access_store(actor, None) and not policy.can_access_store(actor, "s3")


@pytest.mark.parametrize("actor", actors("hq_admin", "s1") + actors(None))
def test_hq_and_the_system_see_every_store_and_get_no_default(actor):
    assert policy.sees_every_store(actor) and policy.manages(actor)
    assert policy.visible_stores(actor, None) is None and policy.visible_stores(actor, "s9") == ["s9"]
    assert policy.only_store(actor) is None
    assert policy.with_default_store(actor, {}) == {}


@pytest.mark.parametrize("actor", actors("store_manager", "s1"))
def test_a_one_store_user_gets_their_store_filled_in(actor):
    assert policy.manages(actor) and policy.only_store(actor) == "s1"
    body = {"name": "x"}
    assert policy.with_default_store(actor, body, "home_store_id") == {"name": "x", "home_store_id": "s1"}
    assert body == {"name": "x"}  # a copy
    assert policy.required_store(actor, None, "complaint") == "s1"
    with pytest.raises(Forbidden):
        policy.with_default_store(actor, {"store_id": "s2"})


@pytest.mark.parametrize("actor", actors("cashier", "s1", "s2"))
def test_a_several_store_user_names_the_store(actor):
    assert policy.only_store(actor) is None
    assert policy.with_default_store(actor, {}) == {}
    with pytest.raises(Invalid):
        policy.required_store(actor, None, "complaint")
    assert policy.required_store(actor, "s2", "complaint") == "s2"


def test_a_customer_reaches_only_their_own_documents_and_staff_their_stores():
    owner = Caller(user_id="c1", role=policy.CUSTOMER_ROLE)
    owner.require_document("s1", "c1", "invoice")
    with pytest.raises(NotFound):
        owner.require_document("s1", "c2", "invoice")  # another's is unknown, never forbidden
    with pytest.raises(NotFound):
        Caller(role=policy.CUSTOMER_ROLE).require_document("s1", "c1", "invoice")
    acting = owner.at_store("s1")
    assert (acting.user_id, acting.role, acting.store_ids) == ("c1", policy.CUSTOMER_ROLE, frozenset({"s1"}))
    staff = Caller(user_id="u", role="cashier", store_ids=frozenset({"s1"}))
    staff.require_document("s1", "c2", "invoice")
    with pytest.raises(Forbidden):
        staff.require_document("s2", "c2", "invoice")
    with pytest.raises(Forbidden):
        staff.at_store("s1")  # only a customer acts on their own document
