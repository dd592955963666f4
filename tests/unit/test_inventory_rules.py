"""inventory's rules that need no database: costing arithmetic, contract validation."""
from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from services.inventory.domain.ledger import document_number, issue_value, norm_sku
from services.contracts.rpc.inventory import (AdjustmentCreate, PartCreate, PartPatch, PurchaseOrderCreate,
                                              ReceiptCreate, StocktakeCounts, TransferCreate)


def level(on_hand, value_fen):
    return SimpleNamespace(on_hand=Decimal(on_hand), value_fen=value_fen)


def test_issue_value_is_proportional_and_the_last_unit_takes_what_is_left():
    stock = level("3", 1000)  # 333.33… fen a unit
    first = issue_value(stock, Decimal("1"))
    assert first == 333
    stock.on_hand, stock.value_fen = Decimal("2"), 1000 - first
    second = issue_value(stock, Decimal("1"))
    stock.on_hand, stock.value_fen = Decimal("1"), stock.value_fen - second
    assert issue_value(stock, Decimal("1")) == stock.value_fen  # nothing left over, nothing missing
    assert first + second + stock.value_fen == 1000


def test_issue_value_of_fractional_quantities_rounds_half_up():
    assert issue_value(level("4", 18000), Decimal("0.125")) == 563  # 562.5 → 563


def test_document_numbers_are_readable_and_distinct():
    numbers = {document_number("PO") for _ in range(200)}
    assert len(numbers) == 200
    assert all(re.fullmatch(r"PO-\d{8}-[0-9A-Z]{6}", n) for n in numbers)


def test_skus_are_compared_in_one_spelling():
    assert norm_sku("  oil-5w30 ") == "OIL-5W30"


@pytest.mark.parametrize("body, field", [
    ({"sku": "bad sku!", "name": "x", "category": "c", "list_price_fen": 1}, "sku"),
    ({"sku": "OK-1", "name": "x", "category": "c", "list_price_fen": 1.5}, "list_price_fen"),
    ({"sku": "OK-1", "name": "x", "category": "c", "list_price_fen": -1}, "list_price_fen"),
    ({"sku": "OK-1", "name": "x", "category": "c", "list_price_fen": 1, "unit": "bucket"}, "unit"),
    ({"sku": "OK-1", "name": "", "category": "c", "list_price_fen": 1}, "name"),
])
def test_part_contract_refuses_bad_fields(body, field):
    with pytest.raises(ValidationError) as error:
        PartCreate().load(body)
    assert field in error.value.messages


def test_a_part_keeps_its_sku():
    with pytest.raises(ValidationError):
        PartPatch().load({"sku": "NEW"})
    assert PartPatch().load({"list_price_fen": 100}) == {"list_price_fen": 100}


@pytest.mark.parametrize("qty", [0, -1, 1.0005, "abc", True])
def test_purchase_quantities_are_positive_with_three_decimals_at_most(qty):
    with pytest.raises(ValidationError):
        ReceiptCreate().load({"lines": [{"sku": "A", "qty": qty}]})


def test_a_purchase_order_names_each_sku_once():
    with pytest.raises(ValidationError) as error:
        PurchaseOrderCreate().load({"store_id": "s", "supplier_id": "p", "lines": [
            {"sku": "A", "qty": 1, "unit_cost_fen": 1}, {"sku": "A", "qty": 2, "unit_cost_fen": 1}]})
    assert "lines" in error.value.messages


def test_a_transfer_goes_between_two_stores():
    with pytest.raises(ValidationError) as error:
        TransferCreate().load({"from_store_id": "s", "to_store_id": "s", "lines": [{"sku": "A", "qty": 1}]})
    assert "to_store_id" in error.value.messages


def test_counts_may_be_zero_but_not_negative_and_adjustments_must_change_stock():
    assert StocktakeCounts().load({"counts": [{"sku": "A", "qty": 0}]})["counts"][0]["qty"] == 0
    with pytest.raises(ValidationError):
        StocktakeCounts().load({"counts": [{"sku": "A", "qty": -1}]})
    with pytest.raises(ValidationError):
        AdjustmentCreate().load({"store_id": "s", "sku": "A", "qty": 0, "reason": "damaged"})
    assert AdjustmentCreate().load({"store_id": "s", "sku": "A", "qty": -1.5, "reason": "lost"})["qty"] == Decimal(
        "-1.5")
