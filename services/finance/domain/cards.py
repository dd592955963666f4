"""Member cards (会员卡): stored value with the bonus kept apart from the paid balance, and service
packages (units per service, an expiry date). A card is issued by one store (which holds the
liability) and usable at every store; use elsewhere records an inter-store settlement.

Top-up: Dr method · Cr 2205 (the paid amount only; a bonus is not money received and is booked as a
discount when spent). Package sale: Dr method · Cr 2206. Spending draws paid and bonus balances in
proportion to what is on the card."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.ids import new_id
from services.common.money import round_fen
from services.common.policy import sees_every_store

from ..models import CardTransaction, InterStoreSettlement, MemberCard, PackageItem
from . import ledger
from .common import get_locked, illegal, newest_first, require_manager
from .ledger import METHOD_ACCOUNTS, PACKAGES, STORED_VALUE, credit, debit


# -- pure rules --------------------------------------------------------------------------------------
def split_stored_value(paid_balance: int, bonus_balance: int, amount: int) -> tuple[int, int]:
    """(from paid balance, from bonus) for spending `amount`: in proportion to the balances, so the
    bonus is used up at the rate it was given (pay 1,000 get 1,100: 100 of every 1,100 is bonus)."""
    total = paid_balance + bonus_balance
    if amount > total:
        raise ValueError("more than the card holds")
    if total == 0:
        return 0, 0
    paid = round_fen(Decimal(amount) * paid_balance / total)
    paid = max(amount - bonus_balance, min(paid, paid_balance))
    return paid, amount - paid


def allocate_price(price_fen: int, units: list[int]) -> list[int]:
    """The package price shared over its items by units (largest remainder: the shares add up)."""
    total_units = sum(units)
    exact = [Decimal(price_fen) * u / total_units for u in units]
    shares = [int(x) for x in exact]
    order = sorted(range(len(units)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[:price_fen - sum(shares)]:
        shares[i] += 1
    return shares


def unit_value(value_left_fen: int, units_left: int) -> int:
    """What one redemption takes off the liability: an even share, the last unit takes the rest."""
    return value_left_fen if units_left <= 1 else value_left_fen // units_left


# -- cards -------------------------------------------------------------------------------------------
def get_card(session: Session, card_id: str) -> MemberCard:
    card = session.get(MemberCard, card_id)
    if card is None:
        raise NotFound("No such member card.")
    return card


def list_cards(session: Session, params: dict) -> list[MemberCard]:
    return newest_first(session, MemberCard, None, params, ("customer_id", "store_id", "number"))


def _replayed(session: Session, key: str | None) -> CardTransaction | None:
    if not key:
        return None
    return session.execute(select(CardTransaction).where(CardTransaction.idempotency_key == key)).scalar_one_or_none()


def issue_card(session: Session, caller: Caller, data: dict, key: str | None = None) -> MemberCard:
    caller.require_store(data["store_id"])
    if (done := _replayed(session, key)) is not None:
        return get_card(session, done.card_id)
    day = ledger.business_date(session, data["store_id"])
    card = MemberCard(id=new_id(), number=f"MC{day:%y%m%d}{new_id()[-6:].upper()}", kind=data["kind"],
                      status="active", customer_id=data["customer_id"], store_id=data["store_id"],
                      paid_balance_fen=0, bonus_balance_fen=0, price_fen=0, created_by=caller.user_id)
    session.add(card)
    if data["kind"] == "package":
        items = data["items"]
        shares = allocate_price(data["price_fen"], [item["units"] for item in items])
        card.package_name = data["package_name"]
        card.price_fen = data["price_fen"]
        card.expires_on = data.get("expires_on") or day + timedelta(days=data.get("valid_days") or 365)
        card.items = [PackageItem(service_code=item["service_code"], name=item["name"], units_total=item["units"],
                                  units_left=item["units"], value_left_fen=share)
                      for item, share in zip(items, shares, strict=True)]
        card.package_value_fen = sum(shares)
        session.flush()
        session.add(CardTransaction(card_id=card.id, store_id=card.store_id, kind="issue",
                                    units_delta=sum(i["units"] for i in items), method=data["method"],
                                    paid_delta_fen=data["price_fen"], idempotency_key=key,
                                    created_by=caller.user_id, business_date=day))
        session.flush()
        ledger.post_journal_entry(session, card.store_id, [
            debit(METHOD_ACCOUNTS[data["method"]], data["price_fen"]), credit(PACKAGES, data["price_fen"])],
            source_type="card", source_id=card.id, memo=f"Package {card.package_name} sold ({card.number})", day=day)
        record_audit(session, caller, "card_issued", "member_card", card.id, store_id=card.store_id, details={
            "kind": card.kind, "price_fen": card.price_fen, "method": data["method"],
            "units": {item.service_code: item.units_total for item in card.items}})
        return card
    record_audit(session, caller, "card_issued", "member_card", card.id, store_id=card.store_id,
                 details={"kind": card.kind})
    session.flush()
    session.add(CardTransaction(card_id=card.id, store_id=card.store_id, kind="issue", business_date=day,
                                idempotency_key=key if not data.get("top_up") else None, created_by=caller.user_id))
    session.flush()
    if data.get("top_up"):
        top_up(session, caller, card.id, {**data["top_up"], "store_id": card.store_id}, key)
    return card


def top_up(session: Session, caller: Caller, card_id: str, data: dict, key: str | None = None) -> MemberCard:
    """Load a stored-value card: the paid amount is a liability of the issuing store, the bonus is
    tracked apart (no money came in for it)."""
    if (done := _replayed(session, key)) is not None:
        if done.card_id != card_id:
            raise Conflict("This Idempotency-Key was used for another card.", code="idempotency_key_reused")
        return get_card(session, card_id)
    card = get_locked(session, MemberCard, card_id, "member card")
    store_id = data.get("store_id") or card.store_id
    caller.require_store(store_id)
    if card.status != "active":
        raise illegal("card", card.status, "topped up")
    if card.kind != "stored_value":
        raise Conflict("Only stored-value cards take top-ups.", fields={"kind": [card.kind]},
                       code="card_not_stored_value", params={"kind": card.kind})
    day = ledger.business_date(session, card.store_id)
    balance_before = card.paid_balance_fen + card.bonus_balance_fen
    card.paid_balance_fen += data["amount_fen"]
    card.bonus_balance_fen += data.get("bonus_fen", 0)
    txn = CardTransaction(card_id=card.id, store_id=store_id, kind="top_up", paid_delta_fen=data["amount_fen"],
                          bonus_delta_fen=data.get("bonus_fen", 0), method=data["method"], idempotency_key=key,
                          created_by=caller.user_id, business_date=day)
    session.add(txn)
    session.flush()
    record_audit(session, caller, "card_topped_up", "member_card", card.id, store_id=store_id, details={
        "amount_fen": data["amount_fen"], "bonus_fen": data.get("bonus_fen", 0), "method": data["method"],
        "balance_fen": {"before": balance_before, "after": card.paid_balance_fen + card.bonus_balance_fen}})
    # the money lands where it was taken; the liability is the issuing store's
    _post_across(session, store_id, card.store_id, METHOD_ACCOUNTS[data["method"]], STORED_VALUE,
                 data["amount_fen"], source_id=txn.id, memo=f"Top-up {card.number}")
    if store_id != card.store_id:  # the store that took the money owes the card's store
        session.add(InterStoreSettlement(card_id=card.id, payment_id=txn.id, debtor_store_id=store_id,
                                         creditor_store_id=card.store_id, amount_fen=data["amount_fen"],
                                         currency=card.currency))
    return card


def _post_across(session: Session, money_store: str, card_store: str, money_account: str, liability: str,
                 amount: int, *, source_id: str, memo: str) -> None:
    """Dr money · Cr liability, split over the two stores' books via the inter-store accounts."""
    if money_store == card_store:
        ledger.post_journal_entry(session, card_store, [debit(money_account, amount), credit(liability, amount)],
                                  source_type="card", source_id=source_id, memo=memo)
        return
    ledger.post_journal_entry(session, money_store, [debit(money_account, amount), credit(ledger.DUE_TO, amount)],
                              source_type="card", source_id=source_id, memo=memo)
    ledger.post_journal_entry(session, card_store, [debit(ledger.DUE_FROM, amount), credit(liability, amount)],
                              source_type="card", source_id=source_id, memo=memo)


def cancel_card(session: Session, caller: Caller, card_id: str, data: dict) -> MemberCard:
    """Cancel a card and pay back what the customer paid and did not use (stored value: the paid
    balance; a package: the unredeemed share of its price); the bonus is forfeited. Manager only."""
    require_manager(caller, "Cancelling a member card")
    card = get_locked(session, MemberCard, card_id, "member card")
    caller.require_store(card.store_id)
    if card.status != "active":
        raise illegal("card", card.status, "cancelled")
    day = ledger.business_date(session, card.store_id)
    if card.kind == "stored_value":
        refund, liability = card.paid_balance_fen, STORED_VALUE
        txn = CardTransaction(card_id=card.id, store_id=card.store_id, kind="cancel", paid_delta_fen=-refund,
                              bonus_delta_fen=-card.bonus_balance_fen, method=data["method"],
                              created_by=caller.user_id, business_date=day)
        card.paid_balance_fen = card.bonus_balance_fen = 0
    else:
        refund, liability = sum(item.value_left_fen for item in card.items), PACKAGES
        txn = CardTransaction(card_id=card.id, store_id=card.store_id, kind="cancel", paid_delta_fen=-refund,
                              units_delta=-sum(item.units_left for item in card.items), method=data["method"],
                              created_by=caller.user_id, business_date=day)
        for item in card.items:
            item.units_left, item.value_left_fen = 0, 0
        card.package_value_fen = 0
    session.add(txn)
    session.flush()
    ledger.post_journal_entry(session, card.store_id, [debit(liability, refund),
                                                       credit(METHOD_ACCOUNTS[data["method"]], refund)],
                              source_type="card", source_id=txn.id, memo=f"Card {card.number} cancelled", day=day)
    record_audit(session, caller, "card_cancelled", "member_card", card.id, store_id=card.store_id, details={
        "refund_fen": refund, "method": data["method"], "before": {"status": card.status},
        "after": {"status": "cancelled"}})
    card.status = "cancelled"
    card.cancelled_at = utcnow()
    return card


def open_card_values(session: Session, store_ids: list[str] | None) -> dict[str, int]:
    """Issuing store → what its active cards hold for their customers: stored value's paid balance (the bonus
    was never paid for) and the value left on packages — the two liabilities' right side (reconciliation)."""
    stored = (select(MemberCard.store_id, func.sum(MemberCard.paid_balance_fen))
              .where(MemberCard.status == "active", MemberCard.kind == "stored_value").group_by(MemberCard.store_id))
    packaged = (select(MemberCard.store_id, func.sum(PackageItem.value_left_fen))
                .join(PackageItem, PackageItem.card_id == MemberCard.id)
                .where(MemberCard.status == "active", MemberCard.kind == "package").group_by(MemberCard.store_id))
    held: dict[str, int] = {}
    for query in (stored, packaged):
        if store_ids is not None:
            query = query.where(MemberCard.store_id.in_(store_ids))
        for store_id, value in session.execute(query):
            held[store_id] = held.get(store_id, 0) + int(value or 0)
    return held


def card_transactions(session: Session, card_id: str) -> list[CardTransaction]:
    return list(session.execute(select(CardTransaction).where(CardTransaction.card_id == card_id)
                                .order_by(CardTransaction.id)).scalars())


def check_usable(card: MemberCard, customer_id: str, today: date) -> None:
    if card.status != "active":
        raise illegal("card", card.status, "used")
    if card.customer_id != customer_id:
        raise Invalid("The card belongs to another customer.", fields={"card_id": ["Not this customer's card."]},
                      code="card_of_other_customer")
    if card.expires_on is not None and card.expires_on < today:
        raise Conflict(f"The card expired on {card.expires_on.isoformat()}.", fields={"expires_on": [
            card.expires_on.isoformat()]}, code="card_expired", params={"expires_on": card.expires_on.isoformat()})


# -- inter-store settlement --------------------------------------------------------------------------
def settlement_positions(session: Session, store_id: str) -> dict:
    """What other stores owe this store for cards it served, and what it owes for its own cards used
    elsewhere (unsettled), per counterparty."""
    rows = session.execute(select(InterStoreSettlement).where(
        InterStoreSettlement.settled.is_(False),
        (InterStoreSettlement.debtor_store_id == store_id) | (InterStoreSettlement.creditor_store_id == store_id))
    ).scalars().all()
    positions: dict[str, dict] = {}
    for row in rows:
        other = row.debtor_store_id if row.creditor_store_id == store_id else row.creditor_store_id
        position = positions.setdefault(other, {"store_id": other, "receivable_fen": 0, "payable_fen": 0})
        if row.creditor_store_id == store_id:
            position["receivable_fen"] += row.amount_fen
        else:
            position["payable_fen"] += row.amount_fen
    items = [{**p, "net_fen": p["receivable_fen"] - p["payable_fen"]} for _, p in sorted(positions.items())]
    return {"store_id": store_id, "items": items}


def settle_between(session: Session, caller: Caller, data: dict) -> dict:
    """HQ settles what one store owes another for cards (by bank transfer): Dr 2190 · Cr 1002 at the
    debtor, Dr 1002 · Cr 1190 at the creditor, for the net of their unsettled records."""
    if not sees_every_store(caller):
        raise Forbidden("Inter-store settlement is done by HQ.", code="needs_hq")
    debtor, creditor = data["debtor_store_id"], data["creditor_store_id"]
    if debtor == creditor:
        raise Invalid("Two different stores settle.", fields={"creditor_store_id": ["Same as the debtor."]},
                      code="settlement_same_store")
    rows = session.execute(select(InterStoreSettlement).where(
        InterStoreSettlement.settled.is_(False),
        ((InterStoreSettlement.debtor_store_id == debtor) & (InterStoreSettlement.creditor_store_id == creditor)) |
        ((InterStoreSettlement.debtor_store_id == creditor) & (InterStoreSettlement.creditor_store_id == debtor))
    ).with_for_update()).scalars().all()
    net = sum(r.amount_fen if r.debtor_store_id == debtor else -r.amount_fen for r in rows)
    if net <= 0:
        raise Conflict(f"{debtor} owes {creditor} nothing to settle.", fields={"net_fen": [str(net)]},
                       code="nothing_to_settle")
    reference = new_id()
    ledger.post_journal_entry(session, debtor, [debit(ledger.DUE_TO, net), credit(ledger.BANK, net)],
                              source_type="settlement", source_id=reference, memo=f"Card settlement to {creditor}")
    ledger.post_journal_entry(session, creditor, [debit(ledger.BANK, net), credit(ledger.DUE_FROM, net)],
                              source_type="settlement", source_id=reference, memo=f"Card settlement from {debtor}")
    for row in rows:
        row.settled = True
    record_audit(session, caller, "settlement_recorded", "settlement", reference, store_id=debtor, details={
        "debtor_store_id": debtor, "creditor_store_id": creditor, "amount_fen": net, "records": len(rows)})
    return {"debtor_store_id": debtor, "creditor_store_id": creditor, "amount_fen": net, "records": len(rows),
            "reference": reference}
