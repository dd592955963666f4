"""finance's money rules as plain functions, with worked examples."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.common.money import gross_fen
from services.finance.domain.cards import allocate_price, split_stored_value, unit_value
from services.finance.domain.commission import invoice_commissions, split_by_pct
from services.finance.domain.invoices import bill_lines, invoice_totals, issue_posting, scale_line, status_after
from services.finance.domain.ledger import check_balanced, reversal
from services.finance.domain.payments import money_postings, refund_postings
from services.finance.domain.stock import stock_entries
from services.contracts.rpc.inventory import MOVEMENT_KINDS


def part(line_id, sku, qty, total, tax, rate="0.13", discount=0, unit=None):
    """A contracted part line, priced tax included unless `unit` (the unit price) says otherwise."""
    unit = (total + discount) // int(Decimal(qty)) if unit is None else unit
    return {"line_id": line_id, "kind": "part", "description": sku, "sku": sku, "qty": qty, "unit_price_fen": unit,
            "discount_fen": discount, "tax_rate": rate, "tax_fen": tax, "total_fen": total}


LABOUR = {"line_id": "L1", "kind": "labour", "description": "保养", "op_code": "MAINT", "hours": "1.5", "qty": "1",
          "unit_price_fen": 20_000, "discount_fen": 2_000, "tax_rate": "0.06", "tax_fen": 1_019, "total_fen": 18_000}
FEE = {"line_id": "F1", "kind": "fee", "description": "环保费", "qty": "1", "unit_price_fen": 1_000,
       "discount_fen": 0, "tax_rate": "0.06", "tax_fen": 57, "total_fen": 1_000}


def test_an_unbalanced_entry_is_refused():
    with pytest.raises(ValueError, match="unbalanced"):
        check_balanced([("1001", 100, 0), ("1122", 0, 99)])
    with pytest.raises(ValueError, match="unknown account"):
        check_balanced([("9999", 100, 0), ("1122", 0, 100)])
    with pytest.raises(ValueError, match="integer"):
        check_balanced([("1001", 1.5, 0), ("1122", 0, 1.5)])


def test_a_negative_debit_is_booked_as_a_credit_and_zero_lines_drop():
    assert check_balanced([("4101", -300, 0), ("1190", 500, 0), ("1122", 0, 200), ("2205", 0, 0)]) == [
        ("4101", 0, 300), ("1190", 500, 0), ("1122", 0, 200)]
    assert reversal([("1001", 5, 0), ("1122", 0, 5)]) == [("1001", 0, 5), ("1122", 5, 0)]


def test_the_issue_posting_of_the_worked_example_balances_with_revenue_gross_of_discount():
    lines = [LABOUR, part("P1", "OIL", "4", 24_000, 2_761), FEE]
    posting = check_balanced(issue_posting(lines))
    as_dict = {account: (dr, cr) for account, dr, cr in posting}
    assert as_dict["1122"] == (43_000, 0) and as_dict["4101"] == (2_000, 0)
    assert as_dict["4001"] == (0, 18_000 - 1_019 + 2_000) and as_dict["4002"] == (0, 24_000 - 2_761)
    assert as_dict["2221"] == (0, 1_019 + 2_761 + 57)
    assert invoice_totals(lines) == {"labour_fen": 16_981, "parts_fen": 21_239, "fees_fen": 943,
                                     "discount_fen": 2_000, "tax_fen": 3_837, "total_fen": 43_000}


def test_a_part_line_bills_the_quantity_used_at_the_contracted_price():
    scaled = scale_line(part("P1", "OIL", "4", 24_000, 2_761, discount=400), Decimal("2.5"))
    # ¥240.00 × 2.5/4 = ¥150.00; VAT inside at 13% = 17.26; discount 4.00 × 2.5/4 = 2.50
    assert (scaled["qty"], scaled["total_fen"], scaled["tax_fen"], scaled["discount_fen"]) == (
        Decimal("2.500"), 15_000, 1_726, 250)


def test_a_part_line_of_a_tax_exclusive_store_bills_the_quantity_used_with_vat_on_top():
    # contracted: 5 × ¥232.52 − ¥4.65 = ¥1,157.95 before tax, VAT 13% on top ¥150.53: ¥1,308.48
    scaled = scale_line(part("P1", "OIL", "5", 130_848, 15_053, discount=465, unit=23_252), Decimal("0.5"))
    # used 0.5: ¥116.26 − ¥0.47 = ¥115.79 before tax, VAT ¥15.05 on top (not a VAT inside the total)
    assert (scaled["total_fen"], scaled["tax_fen"], scaled["discount_fen"]) == (13_084, 1_505, 47)


def test_a_billed_line_is_its_unit_price_times_the_quantity_used_less_its_discount():
    # 1.5 × ¥89.05 = ¥133.58 − ¥4.33, tax included; 1 used: ¥89.05 − ¥2.89 = ¥86.16 (not ¥86.17)
    scaled = scale_line(part("P1", "OIL", "1.5", 12_925, 1_487, discount=433, unit=8_905), Decimal("1"))
    assert (scaled["total_fen"], scaled["tax_fen"], scaled["discount_fen"]) == (8_616, 991, 289)
    for used in ("0.5", "1.2", "2", "2.5", "4.999"):
        for line, inclusive in ((part("P1", "OIL", "5", 130_848, 15_053, discount=465, unit=23_252), False),
                                (part("P1", "OIL", "5", 115_795, 13_322, discount=465, unit=23_252), True)):
            scaled = scale_line(line, Decimal(used))
            amount = scaled["total_fen"] - (0 if inclusive else scaled["tax_fen"])
            assert amount + scaled["discount_fen"] == gross_fen(Decimal(used), 23_252), (used, inclusive)


def test_parts_used_match_by_line_then_by_sku_and_extras_stay_unbilled():
    contract = [LABOUR, part("P1", "OIL", "4", 24_000, 2_761), part("P2", "OIL", "1", 6_000, 690),
                part("P3", "FILTER", "1", 8_000, 920)]
    billed, unbilled = bill_lines(contract, [{"sku": "OIL", "qty": "4.5", "line_id": None},
                                             {"sku": "BULB", "qty": "2", "line_id": None}])
    assert [(b["line_id"], b["qty"]) for b in billed] == [("L1", Decimal("1.000")), ("P1", Decimal("4.000")),
                                                          ("P2", Decimal("0.500"))]
    assert unbilled == [{"line_id": None, "sku": "BULB", "qty": "2.000"}]


def test_invoice_status_follows_what_is_paid():
    assert [status_after(100, paid) for paid in (0, 1, 99, 100)] == [
        "issued", "partially_paid", "partially_paid", "paid"]


def test_stored_value_is_spent_in_proportion_to_paid_and_bonus_balances():
    assert split_stored_value(100_000, 10_000, 11_000) == (10_000, 1_000)
    assert split_stored_value(100_000, 10_000, 1) == (1, 0)
    assert split_stored_value(0, 500, 500) == (0, 500)
    assert split_stored_value(3, 3, 5) == (3, 2)  # never more than a balance holds
    with pytest.raises(ValueError):
        split_stored_value(10, 0, 11)


def test_a_package_price_is_shared_by_units_and_the_last_unit_clears_the_liability():
    assert allocate_price(10_000, [3, 3, 3]) == [3_334, 3_333, 3_333]
    assert sum(allocate_price(29_999, [10, 4])) == 29_999
    values, left = [], 10_000
    for units_left in range(3, 0, -1):
        value = unit_value(left, units_left)
        values.append(value)
        left -= value
    assert values == [3_333, 3_333, 3_334] and left == 0


def test_card_payments_at_another_store_balance_in_each_store():
    postings = money_postings("package", "serving", "issuing", 3_000, 5_000)
    for lines in postings.values():
        check_balanced(lines)
    assert postings["serving"][0] == ("1190", 3_000, 0) and postings["issuing"][1] == ("2190", 0, 3_000)
    refund = refund_postings("stored_value", "s", "s", 900, 1_000)
    assert check_balanced(refund["s"]) == [("2205", 0, 900), ("4101", 0, 100), ("4102", 1_000, 0)]
    assert money_postings("wechat", "s", None, 0, 700) == {"s": [("1012", 700, 0), ("1122", 0, 700)]}


def test_a_job_split_60_40_shares_the_commission_to_the_fen():
    assert split_by_pct(3_198, [("a", Decimal(60)), ("b", Decimal(40))]) == {"a": 1_919, "b": 1_279}
    assert split_by_pct(100, [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))]) == {"a": 34, "b": 33, "c": 33}
    rule = {"labour_pct": Decimal(10), "labour_per_hour_fen": 1_000, "parts_gp_pct": Decimal(5),
            "sales_pct": Decimal(1)}
    invoice = {"jobs": [{"line_id": "L1", "billed_hours": Decimal("1.5"), "technicians": [
        {"technician_id": "t-a", "user_id": "u-a", "split_pct": "60"},
        {"technician_id": "t-b", "user_id": None, "split_pct": "40"}]}],
        "labour_by_line": {"L1": 16_981}, "parts_fen": 28_319, "advisor_id": "adv", "revenue_fen": 46_243}
    result = invoice_commissions(rule, invoice, parts_cost_fen=14_500)
    assert result[("u-a", "technician")]["labour_fen"] == 1_919 and result[("t-b", "technician")]["labour_fen"] == 1_279
    assert result[("u-a", "technician")]["parts_fen"] + result[("t-b", "technician")]["parts_fen"] == 691
    assert result[("adv", "advisor")]["sales_fen"] == 462


def test_deposit_methods_land_in_their_accounts_and_cardless_card_deposits_await_reconciliation():
    from services.finance.domain.ledger import money_account
    assert [money_account(m) for m in ("cash", "card", "wechat", "alipay", "transfer", "stored_value")] == [
        "1001", "1011", "1012", "1013", "1002", "1099"]
    assert money_postings("transfer", "s", None, 0, 500) == {"s": [("1002", 500, 0), ("1122", 0, 500)]}


def test_every_expense_category_and_paid_from_of_the_api_posts_to_an_account_of_the_chart():
    """The API's vocabularies (the contracts) and the ledger's accounts for them name the same things."""
    from services.contracts.rpc.finance import EXPENSE_CATEGORIES, METHODS, PAID_FROM
    from services.finance.domain.books import PAID_FROM as PAID_FROM_ACCOUNTS
    from services.finance.domain.ledger import CHART, EXPENSE_ACCOUNTS, METHOD_ACCOUNTS
    assert set(EXPENSE_ACCOUNTS) == set(EXPENSE_CATEGORIES)
    assert set(PAID_FROM_ACCOUNTS) == set(PAID_FROM)
    assert set(METHOD_ACCOUNTS) <= set(METHODS)
    assert {*EXPENSE_ACCOUNTS.values(), *PAID_FROM_ACCOUNTS.values(), *METHOD_ACCOUNTS.values()} <= set(CHART)


def test_a_refund_carries_the_invoices_vat_in_proportion():
    from types import SimpleNamespace
    from services.finance.domain.payments import refund_vat
    invoice = SimpleNamespace(tax_fen=4_757, total_fen=51_000)
    assert [refund_vat(invoice, x) for x in (5_000, 11_000, 51_000, 0)] == [466, 1_026, 4_757, 0]
    assert refund_vat(None, 5_000) == 0


@pytest.mark.parametrize("kind", MOVEMENT_KINDS + ("opening",))
@pytest.mark.parametrize("value", [12_345, -12_345])
def test_every_kind_of_stock_movement_has_a_balanced_posting_that_moves_the_inventory_account(kind, value):
    valued = {"store_id": "gz", "kind": kind, "reference_type": "doc", "reference_id": "d-1", "value_fen": value,
              "lines": [], "from_store_id": "gz", "to_store_id": "sz", "in_transit_fen": abs(value)}
    entries = stock_entries(valued)
    inventory = 0
    for store_id, lines in entries:
        kept = check_balanced(lines)
        inventory += sum(dr - cr for account, dr, cr in kept if account == "1405" and store_id == "gz")
    assert inventory == value


def test_a_transfer_received_short_books_the_shortfall_at_the_receiving_store():
    [(store_id, lines)] = stock_entries({"store_id": "sz", "kind": "transfer_in", "reference_type": "transfer",
                                         "reference_id": "t-1", "value_fen": 4_400, "lines": [],
                                         "in_transit_fen": 6_600})
    assert store_id == "sz" and check_balanced(lines) == [("1405", 4_400, 0), ("6712", 2_200, 0),
                                                          ("1402", 0, 6_600)]
    with pytest.raises(ValueError, match="no posting rule"):
        stock_entries({"store_id": "sz", "kind": "teleported", "value_fen": 1})
