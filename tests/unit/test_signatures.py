"""A drawn signature is bound to the hash of its document's canonical form: the same facts hash the same
however they were written (key order, 1.50 vs 1.5, an instant's offset); any change to what was signed
changes it; the contract's status, payments and the signatory's name (erased with the customer) are not
part of what was signed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from services.common.signatures import canonical, digest
from services.sales.domain.signing import contract_document

SHANGHAI = timezone(timedelta(hours=8))


def order(**changes) -> SimpleNamespace:
    line = SimpleNamespace(id="L1", position=0, kind="labour", description="更换机油机滤", op_code="OIL-CHG", sku=None,
                           hours=Decimal("1.000"), qty=Decimal("1.000"), unit_price_fen=12000, discount_fen=0,
                           tax_fen=1381, total_fen=12000)
    return SimpleNamespace(**{
        "number": "SO20261206-0001", "store_id": "s1", "quote_id": "q1", "customer_id": "c1", "vehicle_id": "v1",
        "subtotal_fen": 12000, "discount_fen": 0, "tax_fen": 1381, "total_excl_tax_fen": 10619, "total_fen": 12000,
        "tax_rate": Decimal("0.1300"), "tax_inclusive": True, "payment_method": "wechat", "deposit_fen": 0,
        "promised_at": datetime(2026, 12, 6, 18, 0, tzinfo=SHANGHAI), "terms": None, "signed_by": "王车主",
        "lines": [line], "state": "confirmed", "paid_at": None, **changes})


def test_the_same_facts_written_differently_hash_the_same():
    assert canonical({"b": 1, "a": Decimal("1.50")}) == canonical({"a": Decimal("1.5"), "b": 1})
    same_instant = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
    assert digest(contract_document(order())) == digest(contract_document(order(promised_at=same_instant)))
    assert "更换机油机滤".encode() in canonical(contract_document(order()))  # UTF-8, not escaped


def test_a_changed_price_or_deposit_breaks_the_hash_but_status_payment_and_an_erased_name_do_not():
    signed = digest(contract_document(order()))
    repriced = order()
    repriced.lines[0].unit_price_fen = 9900
    assert digest(contract_document(repriced)) != signed
    assert digest(contract_document(order(deposit_fen=5000))) != signed
    assert digest(contract_document(order(state="closed", paid_at=datetime.now(timezone.utc)))) == signed
    assert digest(contract_document(order(signed_by="已删除客户"))) == signed  # erasure keeps the hash
